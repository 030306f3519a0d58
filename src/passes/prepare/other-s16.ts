// Prepare for row OTHER_S16 (branch svdf16): int16 (16x8 scheme, zero points 0) SOFTMAX,
// AVERAGE_POOL_2D, MAX_POOL_2D, MEAN and SUM, as TFLM's Prepare for int16:
// - SOFTMAX: output scale 1/32768 (within TFLM's 0.1%), zero point 0; the input multiplier
//   and shift of input scale * beta / (10 / 65535) (double, as TFLM); TFLM's two 513-entry
//   tables (exp on [-10, 0], 1 / (1 + x) on [0, 1], its LUTPopulate in float arithmetic)
//   computed here and shipped as int16 constant inputs, one pair per graph;
// - pooling: input and output quantization equal, the int16 activation clamp;
// - MEAN / SUM: the input / output scale ratio's multiplier, for MEAN with TFLM's 1/N folded
//   in (QuantizedMeanOrSum), at most 65536 values per output (i32 sums).
// Params keep the int8 layouts (docs/FORMAT.md); the runtime picks kernels/other-s16.ts by dtype.

import { OpCode } from '../../format/constants.js';
import { Tensor } from '../../ir/graph.js';
import { activationRange, quantizeMultiplier } from '../quant-math.js';
import { spatial } from './conv.js';
import { PrepareContext, shape4 } from './context.js';

const f = Math.fround;
const INT16_MIN = -32768, INT16_MAX = 32767;
const SUM_MAX = 65536; // values one i32 sum of int16 takes (kernels/other-s16.ts)

function int16Scale(ctx: PrepareContext, t: Tensor, role: string): number {
  ctx.expectDtype(t, ['int16'], role);
  const q = ctx.quant(t, role);
  if (q.zeroPoint !== 0) ctx.fail(`${role} "${t.name}" is int16 with zero point ${q.zeroPoint}; int16 activations must have zero point 0`);
  return q.scale;
}

/** TfLiteRound on a float: half away from zero. */
const round = (v: number) => (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5));

/**
 * TFLM's LUTPopulate<int16_t> (float arithmetic, each step rounded to f32): 512 samples of fn
 * over the input range, each less half the rounding error at its midpoint, and one last entry.
 */
export function lutPopulateS16(inScale: number, inZp: number, outScale: number, outZp: number, fn: (v: number) => number): Int16Array {
  const inMin = f(inScale * (INT16_MIN - inZp)), inMax = f(inScale * (INT16_MAX - inZp));
  const outMin = f(outScale * (INT16_MIN - outZp)), outMax = f(outScale * (INT16_MAX - outZp));
  const step = f(f(inMax - inMin) / 512), halfStep = f(step / 2);
  const inv = f(65536 / f(outMax - outMin));
  const clamp = (v: number) => Math.min(Math.max(v, INT16_MIN), INT16_MAX);
  const lut = new Int16Array(513);
  for (let i = 0; i < 512; i++) {
    const at = f(inMin + f(i * step));
    const val = fn(at), mid = fn(f(at + halfStep)), next = fn(f(inMin + f((i + 1) * step)));
    const sample = round(f(val * inv));
    const interp = round(f(f(f(next * inv) + sample) / 2));
    const bias = round(f(f(interp - round(f(mid * inv))) / 2));
    lut[i] = clamp(f(sample - bias));
  }
  lut[512] = clamp(round(f(fn(inMax) * inv)));
  return lut;
}

const RANGE = 65535; // int16 max - min
/** exp on [-10, 0] (TFLM's softmax exp_lut); std::exp of a float is glibc's expf, here exp rounded to f32. */
export const SOFTMAX_EXP_LUT = (): Int16Array => lutPopulateS16(f(10 / RANGE), INT16_MAX, f(2 / RANGE), 0, (v) => f(Math.exp(v)));
/** 1 / (1 + x) on [0, 1] (TFLM's one_over_one_plus_x_lut). */
export const SOFTMAX_RECIP_LUT = (): Int16Array => lutPopulateS16(f(1 / RANGE), INT16_MIN, f(2 / RANGE), 0, (v) => f(1 / f(1 + v)));

const EXP_NAME = 'edgepack/softmax_s16_exp_lut', RECIP_NAME = 'edgepack/softmax_s16_recip_lut';

/** The graph's constant int16 [513] table `name` (added once). */
function table(ctx: PrepareContext, name: string, make: () => Int16Array): number {
  const at = ctx.g.tensors.findIndex((t) => t.name === name && t.data instanceof Int16Array && t.data.length === 513);
  if (at >= 0) return at;
  ctx.g.tensors.push({ name, shape: [513], dtype: 'int16', data: make() });
  return ctx.g.tensors.length - 1;
}

export function prepareSoftmaxS16(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  const xScale = int16Scale(ctx, x, 'input'), yScale = int16Scale(ctx, y, 'output');
  if (x.shape.length < 1 || x.shape.length > 4 || !ctx.sameShape(x, y)) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} differs from input ${JSON.stringify(x.shape)} (rank 1 to 4)`);
  if (!(Math.abs(yScale - 1 / 32768) <= 0.001 / 32768)) ctx.fail(`output "${y.name}" scale ${yScale}: int16 softmax needs 1/32768 (zero point 0), as TFLM`);
  const depth = x.shape[x.shape.length - 1];
  if (depth > SUM_MAX) ctx.fail(`rows of ${depth} values: int16 softmax takes at most ${SUM_MAX}`);
  const beta = (ctx.op.options.beta as number | undefined) ?? 1;
  const m = quantizeMultiplier((xScale * beta) / (10 / 65535));
  if (m.shift > 15) ctx.fail(`input scale x beta ${xScale * beta} is too large for TFLM's int16 softmax (input shift ${m.shift} > 15)`);
  ctx.op.inputs = [ctx.op.inputs[0], table(ctx, EXP_NAME, SOFTMAX_EXP_LUT), table(ctx, RECIP_NAME, SOFTMAX_RECIP_LUT)];
  ctx.op.kernel = { opcode: OpCode.Softmax, params: [m.multiplier, m.shift, 0] };
}

export function preparePoolS16(ctx: PrepareContext, opcode: OpCode.AveragePool2D | OpCode.MaxPool2D): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  const xScale = int16Scale(ctx, x, 'input'), yScale = int16Scale(ctx, y, 'output');
  ctx.expectRank(x, 4, 'input');
  ctx.expectRank(y, 4, 'output');
  if (!(Math.abs(xScale - yScale) <= 1e-6)) ctx.fail(`input and output scales differ (${xScale}, ${yScale}); TFLM's int16 pooling needs them equal`);
  const o = ctx.op.options as Record<string, number>;
  if (!(o.filterH >= 1 && o.filterW >= 1)) ctx.fail(`filter ${o.filterH}x${o.filterW} must be at least 1x1`);
  if (o.filterH * o.filterW > SUM_MAX) ctx.fail(`filter ${o.filterH}x${o.filterW} holds more than ${SUM_MAX} values (int16 pooling sums in i32)`);
  if (y.shape[0] !== x.shape[0] || y.shape[3] !== x.shape[3]) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} does not match input ${JSON.stringify(x.shape)}`);
  const sp = spatial(ctx, x, y, o.filterH, o.filterW);
  const activation = (ctx.op.options.activation as string | undefined) ?? 'NONE';
  if (!['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'].includes(activation)) ctx.fail(`fused activation ${activation} is not supported`);
  const [actMin, actMax] = activationRange(activation, yScale, 0, INT16_MIN, INT16_MAX);
  ctx.op.kernel = { opcode, params: [sp.strideH, sp.strideW, o.filterH, o.filterW, sp.padTop, sp.padLeft, actMin, actMax] };
}

/** MEAN (sum = false) or SUM on int16: runs as MEAN with [mask, 0, 0, multiplier, shift]. */
export function prepareMeanS16(ctx: PrepareContext, sum: boolean): void {
  ctx.expectCounts(2, 2);
  const x = ctx.input(0, 'input'), y = ctx.output();
  const xScale = int16Scale(ctx, x, 'input'), yScale = int16Scale(ctx, y, 'output');
  const rank = x.shape.length, lead = 4 - rank;
  if (rank < 1 || rank > 4) ctx.fail(`input "${x.name}" has rank ${rank}; ranks 1 to 4 are supported`);
  const axes = ctx.intValues(ctx.input(1, 'axis'), 'axis').map((a) => (a < 0 ? a + rank : a));
  if (axes.some((a) => a < 0 || a >= rank)) ctx.fail(`axis ${JSON.stringify(axes)} out of range for rank ${rank}`);
  let mask = 0;
  for (const a of axes) mask |= 1 << (lead + a);
  const x4 = shape4(x.shape);
  const kept = x4.filter((_, i) => !(mask & (1 << i))).reduce((a, d) => a * d, 1);
  if (y.shape.reduce((a, d) => a * d, 1) !== kept) ctx.fail(`output shape ${JSON.stringify(y.shape)} does not match the reduced input`);
  const n = x4.filter((_, i) => mask & (1 << i)).reduce((a, d) => a * d, 1);
  if (n > SUM_MAX) ctx.fail(`${sum ? 'sum' : 'mean'} over ${n} values: int16 reductions take at most ${SUM_MAX} per output (i32 sums)`);
  const q = quantizeMultiplier(xScale / yScale);
  let multiplier = q.multiplier, shift = q.shift;
  if (!sum) { // TFLM's QuantizedMeanOrSum folds 1/n into the multiplier
    const s = Math.min(31 - Math.clz32(n), 32, 31 + q.shift);
    multiplier = Number((BigInt(q.multiplier) << BigInt(s)) / BigInt(n));
    shift = q.shift - s;
  }
  if (shift > 0 && n * 32768 * 2 ** shift > 2 ** 31) ctx.fail(`input / output scale ${xScale / yScale} shifts a sum of ${n} int16 values past 32 bits`);
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = { opcode: OpCode.Mean, params: [mask, 0, 0, multiplier, shift] };
}
