// Prepare for float32 ops (group f32): an op whose output is float32 keeps its TFLite opcode
// and takes a float32 kernel variant (src/format/kernels.ts float32Variant, chosen by dtype).
// Params keep the int8 layout of docs/FORMAT.md, with the int8-only fields (offsets,
// multipliers) 0 and the float values (activation clamp, pad value, beta, alpha, activation
// bounds) stored as f32 bits; bias stays float32. Standalone activations become ACTIVATION.
// Errors name op, index and tensor, as every prepare.

import { ActivationKind, OpCode } from '../../format/constants.js';
import { Op, Tensor } from '../../ir/graph.js';
import { f32Bits, computePadding } from '../quant-math.js';
import { PrepareContext, shape4 } from './context.js';
import { spatial } from './conv.js';
import { checkBroadcast } from './elementwise.js';
import { prepareStridedSlice } from './strided-slice.js';
import { prepareTranspose } from './shape-ops.js';
import { prepareLstmF32 } from './lstm-f32.js';
import { PREPARE_F32B } from './float-b.js';
import { prepareSvdfF32 } from './svdf-f32.js';

const F32_MAX = 3.4028234663852886e38;

/** True when op runs a float32 kernel: its output is float32 (ARG_MAX/ARG_MIN: its input; QUANTIZE/DEQUANTIZE are int8 boundary ops). */
export function isFloat32Op(tensors: Tensor[], op: Op): boolean {
  const value = op.type === 'ARG_MAX' || op.type === 'ARG_MIN' ? op.inputs[0] : op.outputs[0];
  return op.type !== 'QUANTIZE' && op.type !== 'DEQUANTIZE' && tensors[value]?.dtype === 'float32';
}

/** The int8 prepare, asking float32 wherever it asks int8: for ops that move values without arithmetic. */
export class Float32Context extends PrepareContext {
  expectDtype(t: Tensor, dtypes: string[], role: string): void {
    super.expectDtype(t, dtypes.map((d) => (d === 'int8' ? 'float32' : d)), role);
  }
}

function expectF32(ctx: PrepareContext, ts: [Tensor, string][], rank?: number): void {
  for (const [t, role] of ts) {
    ctx.expectDtype(t, ['float32'], role);
    if (rank !== undefined) ctx.expectRank(t, rank, role);
  }
}

/** TFLM's CalculateActivationRange for float: the fused activation's clamp, as f32 bits. */
export function floatRange(ctx: PrepareContext): [number, number] {
  const act = (ctx.op.options.activation as string | undefined) ?? 'NONE';
  const range: Record<string, [number, number]> = { NONE: [-F32_MAX, F32_MAX], RELU: [0, F32_MAX], RELU6: [0, 6], RELU_N1_TO_1: [-1, 1] };
  const r = range[act];
  if (!r) ctx.fail(`fused activation ${act} is not supported on float32 (supported: ${Object.keys(range).join(', ')})`);
  return [f32Bits(r[0]), f32Bits(r[1])];
}

function floatBias(ctx: PrepareContext, b: Tensor | null, channels: number): void {
  if (!b) return;
  ctx.expectDtype(b, ['float32'], 'bias');
  ctx.expectConst(b, 'bias');
  if (b.shape.reduce((a, d) => a * d, 1) !== channels) ctx.fail(`bias "${b.name}" has shape ${JSON.stringify(b.shape)}, expected ${channels} values`);
}

function prepareConvF32(ctx: PrepareContext): void {
  ctx.expectCounts(2, 3);
  const x = ctx.input(0, 'input'), w = ctx.input(1, 'filter'), b = ctx.optionalInput(2), y = ctx.output();
  expectF32(ctx, [[x, 'input'], [w, 'filter'], [y, 'output']], 4);
  ctx.expectConst(w, 'filter');
  const depthwise = ctx.op.type === 'DEPTHWISE_CONV_2D';
  const [w0, kh, kw, w3] = w.shape;
  const ic = x.shape[3], oc = depthwise ? w3 : w0;
  if (depthwise && (w0 !== 1 || oc % ic !== 0)) ctx.fail(`filter "${w.name}" shape ${JSON.stringify(w.shape)} must be [1, kh, kw, a multiple of the input's ${ic} channels]`);
  if (!depthwise && (w3 <= 0 || ic % w3 !== 0 || oc % (ic / w3) !== 0)) ctx.fail(`filter "${w.name}" has ${w3} input channels, which does not split the input's ${ic} and ${oc} outputs into groups`);
  if (y.shape[3] !== oc || y.shape[0] !== x.shape[0]) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} does not match filter ${JSON.stringify(w.shape)}`);
  floatBias(ctx, b, oc);
  const sp = spatial(ctx, x, y, kh, kw);
  const [lo, hi] = floatRange(ctx);
  ctx.op.inputs = [ctx.op.inputs[0], ctx.op.inputs[1], ctx.op.inputs[2] ?? -1];
  const params = [sp.strideH, sp.strideW, sp.dilH, sp.dilW, sp.padTop, sp.padLeft, 0, 0, lo, hi];
  ctx.op.kernel = depthwise ? { opcode: OpCode.DepthwiseConv2D, params: [...params, oc / ic] } : { opcode: OpCode.Conv2D, params };
}

function prepareTransposeConvF32(ctx: PrepareContext): void {
  ctx.expectCounts(3, 4);
  const shape = ctx.intValues(ctx.input(0, 'output_shape'), 'output_shape');
  const w = ctx.input(1, 'filter'), x = ctx.input(2, 'input'), b = ctx.optionalInput(3), y = ctx.output();
  expectF32(ctx, [[x, 'input'], [w, 'filter'], [y, 'output']], 4);
  ctx.expectConst(w, 'filter');
  if (shape.length !== 4 || shape.some((d, k) => d !== y.shape[k])) ctx.fail(`output_shape ${JSON.stringify(shape)} differs from output "${y.name}" ${JSON.stringify(y.shape)}`);
  const [oc, kh, kw, ic] = w.shape;
  if (ic !== x.shape[3] || y.shape[3] !== oc || y.shape[0] !== x.shape[0]) ctx.fail(`filter "${w.name}" ${JSON.stringify(w.shape)} does not fit input ${JSON.stringify(x.shape)} and output ${JSON.stringify(y.shape)}`);
  floatBias(ctx, b, oc);
  const o = ctx.op.options as Record<string, number & string>;
  if (!(o.strideH >= 1 && o.strideW >= 1) || o.strideH > 1 << 24 || o.strideW > 1 << 24) ctx.fail(`strides ${o.strideH}x${o.strideW} must lie in [1, 2^24]`);
  const ph = computePadding(o.padding, o.strideH, 1, y.shape[1], kh), pw = computePadding(o.padding, o.strideW, 1, y.shape[2], kw);
  if (ph.pad > 0xffff || pw.pad > 0xffff) ctx.fail(`padding ${ph.pad}x${pw.pad} is out of range (at most 65535)`);
  const [lo, hi] = floatRange(ctx);
  ctx.op.inputs = [ctx.op.inputs[2], ctx.op.inputs[1], ctx.op.inputs[3] ?? -1];
  ctx.op.kernel = { opcode: OpCode.TransposeConv, params: [o.strideH, o.strideW, ph.pad, pw.pad, 0, 0, lo, hi] };
}

function prepareFullyConnectedF32(ctx: PrepareContext): void {
  ctx.expectCounts(2, 3);
  const x = ctx.input(0, 'input'), w = ctx.input(1, 'weights'), b = ctx.optionalInput(2), y = ctx.output();
  expectF32(ctx, [[x, 'input'], [w, 'weights'], [y, 'output']]);
  ctx.expectConst(w, 'weights');
  ctx.expectRank(w, 2, 'weights');
  if (ctx.op.options.weightsFormat) ctx.fail('shuffled weights format is not supported');
  const [oc, depth] = w.shape;
  const n = x.shape.reduce((a, d) => a * d, 1);
  if (n % depth !== 0) ctx.fail(`input "${x.name}" has ${n} values, not a multiple of the weights' depth ${depth}`);
  if (y.shape.reduce((a, d) => a * d, 1) !== (n / depth) * oc) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} does not hold ${n / depth}x${oc} values`);
  floatBias(ctx, b, oc);
  const [lo, hi] = floatRange(ctx);
  ctx.op.inputs = [ctx.op.inputs[0], ctx.op.inputs[1], ctx.op.inputs[2] ?? -1];
  ctx.op.kernel = { opcode: OpCode.FullyConnected, params: [0, 0, lo, hi] };
}

function preparePoolF32(ctx: PrepareContext, opcode: OpCode.AveragePool2D | OpCode.MaxPool2D): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  expectF32(ctx, [[x, 'input'], [y, 'output']], 4);
  const o = ctx.op.options as Record<string, number>;
  if (!(o.filterH >= 1 && o.filterW >= 1)) ctx.fail(`filter ${o.filterH}x${o.filterW} must be at least 1x1`);
  if (y.shape[0] !== x.shape[0] || y.shape[3] !== x.shape[3]) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} does not match input ${JSON.stringify(x.shape)}`);
  const sp = spatial(ctx, x, y, o.filterH, o.filterW);
  const [lo, hi] = floatRange(ctx);
  ctx.op.kernel = { opcode, params: [sp.strideH, sp.strideW, o.filterH, o.filterW, sp.padTop, sp.padLeft, lo, hi] };
}

/** ADD, SUB (12 params: clamp at 10-11), MUL (7: clamp at 5-6), MAXIMUM, MINIMUM (none). */
function prepareBinaryF32(ctx: PrepareContext, opcode: OpCode): void {
  ctx.expectCounts(2, 2);
  const a = ctx.input(0, 'input 1'), b = ctx.input(1, 'input 2'), y = ctx.output();
  expectF32(ctx, [[a, 'input 1'], [b, 'input 2'], [y, 'output']]);
  checkBroadcast(ctx, a, b, y);
  if (opcode === OpCode.Maximum || opcode === OpCode.Minimum) {
    ctx.op.kernel = { opcode, params: [] };
    return;
  }
  const [lo, hi] = floatRange(ctx);
  ctx.op.kernel = { opcode, params: [...new Array(opcode === OpCode.Mul ? 5 : 10).fill(0), lo, hi] };
}

function prepareSoftmaxF32(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  expectF32(ctx, [[x, 'input'], [y, 'output']]);
  if (x.shape.length > 4 || !ctx.sameShape(x, y)) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} differs from input ${JSON.stringify(x.shape)} (rank up to 4)`);
  const beta = (ctx.op.options.beta as number | undefined) ?? 1;
  if (!Number.isFinite(Math.fround(beta))) ctx.fail(`beta ${beta} is not a finite float32`);
  ctx.op.kernel = { opcode: OpCode.Softmax, params: [f32Bits(beta), 0, 0] };
}

function prepareMeanF32(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const x = ctx.input(0, 'input'), y = ctx.output();
  expectF32(ctx, [[x, 'input'], [y, 'output']]);
  if (x.shape.length > 4) ctx.fail(`input has rank ${x.shape.length}; edgepack supports up to rank 4`);
  const rank = x.shape.length, lead = 4 - rank;
  const axes = ctx.intValues(ctx.input(1, 'axis'), 'axis').map((a) => (a < 0 ? a + rank : a));
  if (axes.some((a) => a < 0 || a >= rank)) ctx.fail(`axis ${JSON.stringify(axes)} out of range for rank ${rank}`);
  let mask = 0;
  for (const a of axes) mask |= 1 << (lead + a);
  const kept = shape4(x.shape).filter((_, i) => !(mask & (1 << i))).reduce((a, d) => a * d, 1);
  if (y.shape.reduce((a, d) => a * d, 1) !== kept) ctx.fail(`output shape ${JSON.stringify(y.shape)} does not match the reduced input`);
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = { opcode: OpCode.Mean, params: [mask, 0, 0, 0, 0] };
}

function preparePadF32(ctx: PrepareContext): void {
  ctx.expectCounts(2, 3);
  const x = ctx.input(0, 'input'), y = ctx.output();
  expectF32(ctx, [[x, 'input'], [y, 'output']]);
  if (x.shape.length > 4) ctx.fail(`input has rank ${x.shape.length}; edgepack supports up to rank 4`);
  const pads = ctx.intValues(ctx.input(1, 'paddings'), 'paddings');
  const rank = x.shape.length, lead = 4 - rank;
  if (pads.length !== rank * 2) ctx.fail(`paddings hold ${pads.length} values, expected ${rank}x2`);
  if (pads.some((p) => p < 0)) ctx.fail('negative paddings are not supported');
  const before = [0, 0, 0, 0], after = [0, 0, 0, 0];
  for (let i = 0; i < rank; i++) { before[lead + i] = pads[2 * i]; after[lead + i] = pads[2 * i + 1]; }
  const want = shape4(x.shape).map((d, i) => d + before[i] + after[i]);
  if (want.join() !== shape4(y.shape).join()) ctx.fail(`output shape ${JSON.stringify(y.shape)} is not the padded input shape ${JSON.stringify(want.slice(lead))}`);
  let value = 0;
  const cv = ctx.optionalInput(2);
  if (cv) {
    ctx.expectConst(cv, 'constant_values');
    ctx.expectDtype(cv, ['float32'], 'constant_values');
    value = (cv.data as Float32Array)[0];
  }
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = { opcode: OpCode.Pad, params: [...before, ...after, f32Bits(value)] };
}

function prepareConcatenationF32(ctx: PrepareContext): void {
  const y = ctx.output();
  if (ctx.op.inputs.length < 1) ctx.fail('needs at least one input');
  ctx.expectDtype(y, ['float32'], 'output');
  if (y.shape.length > 4) ctx.fail(`output has rank ${y.shape.length}; edgepack supports up to rank 4`);
  if ((ctx.op.options.activation ?? 'NONE') !== 'NONE') ctx.fail('a fused activation on CONCATENATION is not supported');
  const rank = y.shape.length;
  const axis0 = ctx.op.options.axis as number, axis = axis0 < 0 ? axis0 + rank : axis0;
  if (!(axis >= 0 && axis < rank)) ctx.fail(`axis ${axis0} out of range for rank ${rank}`);
  let total = 0;
  ctx.op.inputs.forEach((_, k) => {
    const x = ctx.input(k, `input ${k}`);
    ctx.expectDtype(x, ['float32'], `input ${k}`);
    if (x.shape.length !== rank || x.shape.some((d, i) => i !== axis && d !== y.shape[i])) ctx.fail(`input ${k} "${x.name}" shape ${JSON.stringify(x.shape)} does not fit output ${JSON.stringify(y.shape)} on axis ${axis}`);
    total += x.shape[axis];
  });
  if (total !== y.shape[axis]) ctx.fail(`inputs sum to ${total} on axis ${axis}, output has ${y.shape[axis]}`);
  ctx.op.kernel = { opcode: OpCode.Concatenation, params: [axis + 4 - rank] };
}

/** Standalone activations: ACTIVATION (kind, lo, hi); LEAKY_RELU keeps its opcode (alpha, 0 x 5). */
function prepareActivationF32(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  expectF32(ctx, [[x, 'input'], [y, 'output']]);
  if (x.shape.reduce((a, d) => a * d, 1) !== y.shape.reduce((a, d) => a * d, 1)) ctx.fail(`output "${y.name}" size differs from input "${x.name}"`);
  const o = ctx.op.options as Record<string, number>;
  if (ctx.op.type === 'LEAKY_RELU') {
    if (!Number.isFinite(Math.fround(o.alpha))) ctx.fail(`alpha ${o.alpha} is not a finite float32`);
    ctx.op.kernel = { opcode: OpCode.LeakyRelu, params: [f32Bits(o.alpha), 0, 0, 0, 0, 0] };
    return;
  }
  const clamps: Record<string, [number, number]> = { RELU: [0, F32_MAX], RELU6: [0, 6], RELU_N1_TO_1: [-1, 1], RELU_0_TO_1: [0, 1], CLIP: [o.min, o.max] };
  const kinds: Record<string, ActivationKind> = { LOGISTIC: ActivationKind.Logistic, TANH: ActivationKind.Tanh, HARD_SWISH: ActivationKind.HardSwish };
  const c = clamps[ctx.op.type];
  if (c) {
    const [lo, hi] = c.map((v) => Math.max(-F32_MAX, Math.min(F32_MAX, Math.fround(v))));
    if (!(lo <= hi)) ctx.fail(`clamp [${c[0]}, ${c[1]}] is empty`);
    ctx.op.kernel = { opcode: OpCode.Activation, params: [ActivationKind.Clamp, f32Bits(lo), f32Bits(hi)] };
  } else {
    ctx.op.kernel = { opcode: OpCode.Activation, params: [kinds[ctx.op.type], 0, 0] };
  }
}

/** Float32 prepares by op type; a float32 op missing here fails naming it (prepare-kernels). */
export const PREPARE_F32: Record<string, (ctx: PrepareContext) => void> = {
  CONV_2D: prepareConvF32,
  DEPTHWISE_CONV_2D: prepareConvF32,
  TRANSPOSE_CONV: prepareTransposeConvF32,
  FULLY_CONNECTED: prepareFullyConnectedF32,
  AVERAGE_POOL_2D: (ctx) => preparePoolF32(ctx, OpCode.AveragePool2D),
  MAX_POOL_2D: (ctx) => preparePoolF32(ctx, OpCode.MaxPool2D),
  ADD: (ctx) => prepareBinaryF32(ctx, OpCode.Add),
  SUB: (ctx) => prepareBinaryF32(ctx, OpCode.Sub),
  MUL: (ctx) => prepareBinaryF32(ctx, OpCode.Mul),
  MAXIMUM: (ctx) => prepareBinaryF32(ctx, OpCode.Maximum),
  MINIMUM: (ctx) => prepareBinaryF32(ctx, OpCode.Minimum),
  SOFTMAX: prepareSoftmaxF32,
  MEAN: prepareMeanF32,
  PAD: preparePadF32,
  PADV2: preparePadF32,
  CONCATENATION: prepareConcatenationF32,
  TRANSPOSE: (ctx) => prepareTranspose(new Float32Context(ctx.g, ctx.op)),
  STRIDED_SLICE: (ctx) => prepareStridedSlice(new Float32Context(ctx.g, ctx.op)),
  RELU: prepareActivationF32,
  RELU6: prepareActivationF32,
  RELU_N1_TO_1: prepareActivationF32,
  RELU_0_TO_1: prepareActivationF32,
  CLIP: prepareActivationF32,
  LOGISTIC: prepareActivationF32,
  TANH: prepareActivationF32,
  HARD_SWISH: prepareActivationF32,
  LEAKY_RELU: prepareActivationF32,
  UNIDIRECTIONAL_SEQUENCE_LSTM: prepareLstmF32, // prepare/lstm-f32.ts
  ...PREPARE_F32B, // groups a, b, c (float-b.ts)
  SVDF: prepareSvdfF32, // svdf-f32.ts (branch svdf16)
};

/** Op types a float32 graph keeps as aliases (dtype-agnostic int8 prepare). */
export const F32_ALIASES = new Set(['RESHAPE', 'SQUEEZE', 'EXPAND_DIMS']);
