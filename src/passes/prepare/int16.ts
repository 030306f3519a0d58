// Prepare for the int16 (16x8) ops: int16 activations with zero point 0, int8 symmetric
// weights (per tensor or per channel), int64 bias (int32 where the model has it). The
// multipliers are TFLM's Prepare for int8 (the same double arithmetic); the shift range is
// narrower: TFLM's 64-bit MultiplyByQuantizedMultiplier shifts by 15 - shift, so shift <= 7.
// The op keeps its TFLite opcode; the runtime picks the _S16 kernel variant by the input's
// dtype (src/format/kernels.ts, assembly/dispatch.ts).

import { Graph, Op, Tensor } from '../../ir/graph.js';
import { activationRange, f32Bits, quantizeMultiplier } from '../quant-math.js';
import { attachChannels, Channels, perChannelMultipliers, spatial } from './conv.js';
import { PrepareContext } from './context.js';
import { prepareAlias, prepareConcatenation, preparePad, prepareTranspose } from './shape-ops.js';
import { prepareStridedSlice } from './strided-slice.js';
import { prepareLeakyRelu } from './leaky-relu.js';
import { prepareTransposeConv } from './transpose-conv.js';
import { OpCode } from '../../format/constants.js';
import { prepareLstmS16 } from './lstm-s16.js';
import { checkBroadcast, smallerThanOne } from './elementwise.js';
import { prepareMeanS16, preparePoolS16, prepareSoftmaxS16 } from './other-s16.js';

const INT16_MIN = -32768, INT16_MAX = 32767;
/** Largest shift TFLM's 64-bit MultiplyByQuantizedMultiplier takes (assembly/ops.ts S16_SHIFT_MAX). */
export const S16_SHIFT_MAX = 7;

/** Zero point 0 (TFLM's 16x8 scheme), per-tensor: the activation's scale. */
function int16Quant(ctx: PrepareContext, t: Tensor, role: string): number {
  ctx.expectDtype(t, ['int16'], role);
  const q = ctx.quant(t, role);
  if (q.zeroPoint !== 0) ctx.fail(`${role} "${t.name}" is int16 with zero point ${q.zeroPoint}; int16 activations must have zero point 0`);
  return q.scale;
}

/** Bias of a 16x8 op: constant int64 (TFLM's default) or int32, one value per channel. */
function checkBias16(ctx: PrepareContext, b: Tensor | null, channels: number, dtypes = ['int64', 'int32']): void {
  if (!b) return;
  ctx.expectDtype(b, dtypes, 'bias');
  ctx.expectConst(b, 'bias');
  if (b.shape.reduce((a, d) => a * d, 1) !== channels) ctx.fail(`bias "${b.name}" has shape ${JSON.stringify(b.shape)}, expected ${channels} values`);
}

function checkShifts(ctx: PrepareContext, ch: Channels): void {
  const bad = ch.shifts.findIndex((s) => s > S16_SHIFT_MAX);
  if (bad >= 0) ctx.fail(`channel ${bad}: input scale x weight scale / output scale is ${2 ** (ch.shifts[bad] - 1)} or more; int16 ops take less than 2^${S16_SHIFT_MAX}`);
}

export function prepareFullyConnectedS16(ctx: PrepareContext): void {
  ctx.expectCounts(2, 3);
  const x = ctx.input(0, 'input'), w = ctx.input(1, 'weights'), b = ctx.optionalInput(2), y = ctx.output();
  const xScale = int16Quant(ctx, x, 'input'), yScale = int16Quant(ctx, y, 'output');
  ctx.expectDtype(w, ['int8'], 'weights');
  ctx.expectConst(w, 'weights');
  ctx.expectRank(w, 2, 'weights');
  if (ctx.op.options.weightsFormat) ctx.fail('shuffled weights format is not supported');
  const [oc, depth] = w.shape;
  const inCount = x.shape.reduce((a, d) => a * d, 1);
  if (inCount % depth !== 0) ctx.fail(`input "${x.name}" has ${inCount} values, not a multiple of the weights' depth ${depth}`);
  const batches = inCount / depth;
  if (y.shape.reduce((a, d) => a * d, 1) !== batches * oc) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} does not hold ${batches}x${oc} values`);
  checkBias16(ctx, b, oc);
  const [actMin, actMax] = activationRange(ctx.op.options.activation as string, yScale, 0, INT16_MIN, INT16_MAX);
  let ch: Channels;
  if (w.quant && w.quant.scale.length > 1) {
    ch = perChannelMultipliers(ctx, x, w, y, oc, 0);
  } else {
    if (!w.quant || w.quant.scale.length === 0) ctx.fail(`weights "${w.name}" have no quantization parameters`);
    if (w.quant.zeroPoint[0]) ctx.fail(`weights "${w.name}" have a non-zero zero point`);
    // as int8: input_scale * filter_scale in float32, then divided in double
    const q = quantizeMultiplier(Math.fround(xScale * w.quant.scale[0]) / yScale);
    ch = { multipliers: new Array(oc).fill(q.multiplier), shifts: new Array(oc).fill(q.shift) };
  }
  checkShifts(ctx, ch);
  ctx.op.inputs = attachChannels(ctx, ch, ctx.op.inputs[1], ctx.op.inputs[2] ?? -1);
  ctx.op.kernel = { opcode: OpCode.FullyConnected, params: [0, 0, actMin, actMax] };
}

/** x, filter and y rank 4; x and y int16 with zero point 0; filter int8 constant. */
function convTensors(ctx: PrepareContext) {
  ctx.expectCounts(2, 3);
  const x = ctx.input(0, 'input'), w = ctx.input(1, 'filter'), b = ctx.optionalInput(2), y = ctx.output();
  const xScale = int16Quant(ctx, x, 'input'), yScale = int16Quant(ctx, y, 'output');
  ctx.expectDtype(w, ['int8'], 'filter');
  ctx.expectConst(w, 'filter');
  for (const [t, r] of [[x, 'input'], [w, 'filter'], [y, 'output']] as const) ctx.expectRank(t, 4, r);
  return { x, w, b, y, xScale, yScale };
}

/** Conv-family params with offsets 0 and int16 clamps; inputs [x, w, bias, mult, shift]. */
function finishConv(ctx: PrepareContext, opcode: OpCode, x: Tensor, w: Tensor, y: Tensor, yScale: number, channels: number, axis: number, extra: number[]): void {
  const sp = spatial(ctx, x, y, w.shape[1], w.shape[2]);
  const [actMin, actMax] = activationRange(ctx.op.options.activation as string, yScale, 0, INT16_MIN, INT16_MAX);
  const ch = perChannelMultipliers(ctx, x, w, y, channels, axis);
  checkShifts(ctx, ch);
  ctx.op.inputs = attachChannels(ctx, ch, ctx.op.inputs[1], ctx.op.inputs[2] ?? -1);
  ctx.op.kernel = { opcode, params: [sp.strideH, sp.strideW, sp.dilH, sp.dilW, sp.padTop, sp.padLeft, 0, 0, actMin, actMax, ...extra] };
}

export function prepareConvS16(ctx: PrepareContext): void {
  const { x, w, b, y, yScale } = convTensors(ctx);
  const [oc, , , icg] = w.shape;
  const ic = x.shape[3];
  if (icg <= 0 || ic % icg !== 0) ctx.fail(`filter "${w.name}" has ${icg} input channels, which does not divide the input's ${ic}`);
  if (oc % (ic / icg) !== 0) ctx.fail(`${oc} output channels cannot be split into ${ic / icg} groups`);
  if (y.shape[3] !== oc || y.shape[0] !== x.shape[0]) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} does not match filter ${JSON.stringify(w.shape)}`);
  checkBias16(ctx, b, oc);
  finishConv(ctx, OpCode.Conv2D, x, w, y, yScale, oc, 0, []);
}

export function prepareDepthwiseS16(ctx: PrepareContext): void {
  const { x, w, b, y, yScale } = convTensors(ctx);
  const [one, , , oc] = w.shape;
  const ic = x.shape[3];
  if (one !== 1) ctx.fail(`filter "${w.name}" shape ${JSON.stringify(w.shape)} must start with 1`);
  if (oc % ic !== 0) ctx.fail(`filter "${w.name}" has ${oc} channels, not a multiple of the input's ${ic}`);
  if (y.shape[3] !== oc || y.shape[0] !== x.shape[0]) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} does not match filter ${JSON.stringify(w.shape)}`);
  checkBias16(ctx, b, oc, ['int64']); // TFLM's int16 depthwise reads its bias as int64 only
  finishConv(ctx, OpCode.DepthwiseConv2D, x, w, y, yScale, oc, 3, [oc / ic]);
}

/** Two int16 operands broadcasting to an int16 output, all with zero point 0; int16 clamps. */
function binaryS16(ctx: PrepareContext) {
  ctx.expectCounts(2, 2);
  const a = ctx.input(0, 'input 1'), b = ctx.input(1, 'input 2'), y = ctx.output();
  const as = int16Quant(ctx, a, 'input 1'), bs = int16Quant(ctx, b, 'input 2'), ys = int16Quant(ctx, y, 'output');
  checkBroadcast(ctx, a, b, y);
  const [actMin, actMax] = activationRange(ctx.op.options.activation as string, ys, 0, INT16_MIN, INT16_MAX);
  return { as, bs, ys, actMin, actMax };
}

/** ADD / SUB: TFLM's general int16 path, inputs scaled up by 2^15 (TFLM passes pot_scale = false). */
function prepareAddSubS16(ctx: PrepareContext, opcode: OpCode.Add | OpCode.Sub): void {
  const { as, bs, ys, actMin, actMax } = binaryS16(ctx);
  const leftShift = 15;
  const twiceMax = 2 * Math.max(as, bs);
  const m1 = smallerThanOne(ctx, as / twiceMax, 'input 1');
  const m2 = smallerThanOne(ctx, bs / twiceMax, 'input 2');
  const mo = smallerThanOne(ctx, twiceMax / ((1 << leftShift) * ys), 'output');
  ctx.op.kernel = { opcode, params: [0, 0, 0, leftShift, m1.multiplier, m1.shift, m2.multiplier, m2.shift, mo.multiplier, mo.shift, actMin, actMax] };
}

/** MUL: (a * b) rescaled by a_scale * b_scale / y_scale in double, as int8. */
function prepareMulS16(ctx: PrepareContext): void {
  const { as, bs, ys, actMin, actMax } = binaryS16(ctx);
  const m = quantizeMultiplier((as * bs) / ys);
  ctx.op.kernel = { opcode: OpCode.Mul, params: [0, 0, 0, m.multiplier, m.shift, actMin, actMax] };
}

/** QUANTIZE to int16 (from float32, int8 or int16) or from int16 (to int8): AffineQuantize or Requantize, scales in double. */
function prepareQuantizeS16(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  if (x.shape.reduce((a, d) => a * d, 1) !== y.shape.reduce((a, d) => a * d, 1)) ctx.fail('input and output sizes differ');
  ctx.expectDtype(x, ['float32', 'int8', 'int16'], 'input');
  ctx.expectDtype(y, x.dtype === 'int16' ? ['int8', 'int16'] : ['int16'], 'output');
  const side = (t: Tensor, role: string) => (t.dtype === 'int16' ? { scale: int16Quant(ctx, t, role), zeroPoint: 0 } : ctx.quant(t, role));
  const yq = side(y, 'output');
  if (x.dtype === 'float32') {
    if (!(Math.fround(yq.scale) > 0 && Number.isFinite(Math.fround(yq.scale)))) ctx.fail(`output "${y.name}" scale ${yq.scale} is not a finite float32 above 0`);
    ctx.op.kernel = { opcode: OpCode.Quantize, params: [f32Bits(yq.scale), 0] };
    return;
  }
  const xq = side(x, 'input');
  const m = quantizeMultiplier(xq.scale / yq.scale);
  ctx.op.kernel = { opcode: OpCode.Requantize, params: [xq.zeroPoint, yq.zeroPoint, m.multiplier, m.shift] };
}

/** DEQUANTIZE int16 -> float32: scale * x. */
function prepareDequantizeS16(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  const xs = int16Quant(ctx, x, 'input');
  ctx.expectDtype(y, ['float32'], 'output');
  if (x.shape.reduce((a, d) => a * d, 1) !== y.shape.reduce((a, d) => a * d, 1)) ctx.fail('input and output sizes differ');
  if (!(Math.fround(xs) > 0 && Number.isFinite(Math.fround(xs)))) ctx.fail(`input "${x.name}" scale ${xs} is not a finite float32 above 0`);
  ctx.op.kernel = { opcode: OpCode.Dequantize, params: [f32Bits(xs), 0] };
}

/** The int8 prepare's checks with int16 in place of int8 (data movement: the same params). */
class Int16Context extends PrepareContext {
  expectDtype(t: Tensor, dtypes: string[], role: string): void {
    super.expectDtype(t, dtypes.map((d) => (d === 'int8' ? 'int16' : d)), role);
  }
}

/** PAD, TRANSPOSE, STRIDED_SLICE, LEAKY_RELU on int16: input and output zero point 0 (PAD's value 0 unless constant_values gives one), then the int8 prepare by element size. */
function moveS16(prepare: (ctx: PrepareContext) => void): (ctx: PrepareContext) => void {
  return (ctx) => {
    int16Quant(ctx, ctx.input(0, 'input'), 'input');
    int16Quant(ctx, ctx.output(), 'output');
    prepare(new Int16Context(ctx.g, ctx.op));
  };
}

/** Ops with an int16 (16x8) prepare, by TFLite op type. */
export const PREPARE_S16: Record<string, (ctx: PrepareContext) => void> = {
  FULLY_CONNECTED: prepareFullyConnectedS16,
  CONV_2D: prepareConvS16,
  DEPTHWISE_CONV_2D: prepareDepthwiseS16,
  ADD: (ctx) => prepareAddSubS16(ctx, OpCode.Add),
  SUB: (ctx) => prepareAddSubS16(ctx, OpCode.Sub),
  MUL: prepareMulS16,
  QUANTIZE: prepareQuantizeS16,
  DEQUANTIZE: prepareDequantizeS16,
  // reshape-likes alias their input whatever the element size (shape-ops.ts prepareAlias)
  RESHAPE: prepareAlias,
  SQUEEZE: prepareAlias,
  EXPAND_DIMS: prepareAlias,
  // data movement: the int8 kernel's byte copies scaled by the element size (no new row)
  CONCATENATION: prepareConcatenation,
  // 2-byte walks under the int8 rows PAD, TRANSPOSE, STRIDED_SLICE (assembly/kernels/wide-shape.ts)
  PAD: moveS16(preparePad),
  PADV2: moveS16(preparePad),
  TRANSPOSE: moveS16(prepareTranspose),
  STRIDED_SLICE: moveS16(prepareStridedSlice),
  // TFLM's QuantizeLeakyRelu<int16_t>: the int8 multipliers, int16 clamp (leaky_relu_s16, row LEAKY_RELU)
  LEAKY_RELU: moveS16(prepareLeakyRelu),
  // TFLM's reference_integer_ops::TransposeConv for int16: 64-bit sums, int64 bias (row CONV_S16)
  TRANSPOSE_CONV: (ctx) => prepareTransposeConv(ctx, {
    activations: (x, y) => { int16Quant(ctx, x, 'input'); int16Quant(ctx, y, 'output'); },
    bias: (b, channels) => checkBias16(ctx, b, channels, ['int64']),
    shifts: (ch) => checkShifts(ctx, ch),
  }),
  UNIDIRECTIONAL_SEQUENCE_LSTM: prepareLstmS16, // EvalLstm<int16_t, int8_t, int16_t, int64_t> (prepare/lstm-s16.ts, row LSTM_S16)
  // row OTHER_S16 (other-s16.ts): TFLM's int16 softmax (tables computed here), pooling, mean and sum
  SOFTMAX: prepareSoftmaxS16,
  AVERAGE_POOL_2D: (ctx) => preparePoolS16(ctx, OpCode.AveragePool2D),
  MAX_POOL_2D: (ctx) => preparePoolS16(ctx, OpCode.MaxPool2D),
  MEAN: (ctx) => prepareMeanS16(ctx, false),
  SUM: (ctx) => prepareMeanS16(ctx, true),
};

/** The int16 prepare of op when its input 0 holds int16 activations, else undefined. */
export function int16Prepare(g: Graph, op: Op): ((ctx: PrepareContext) => void) | undefined {
  const x = g.tensors[op.inputs[op.type === 'TRANSPOSE_CONV' ? 2 : 0]], y = g.tensors[op.outputs[0]]; // TRANSPOSE_CONV: input 2 is the data
  const int16 = x?.dtype === 'int16' || (op.type === 'QUANTIZE' && y?.dtype === 'int16');
  return int16 ? PREPARE_S16[op.type] : undefined;
}
