// Prepare for ARG_MAX / ARG_MIN (int8 in, int32 out), REDUCE_MAX and SUM on int8, in the
// runtime's 4-D view. SUM is TFLM's QuantizedMeanOrSum with compute_sum: the int32 sum less
// zp_in * N, requantized by the input/output scale ratio, which is the MEAN kernel with the
// ratio's multiplier unchanged (no 1/N folded in): it runs as MEAN (params below).
// REDUCE_MAX compares stored bytes, so TFLM requires equal input and output quantization.

import { OpCode } from '../../format/constants.js';
import { Tensor } from '../../ir/graph.js';
import { quantizeMultiplier } from '../quant-math.js';
import { PrepareContext, shape4 } from './context.js';

/** The 4-D axis mask of a reduction's constant axes (negative axes count from the end; repeats allowed). */
export function axisMask(ctx: PrepareContext, x: Tensor): number {
  const rank = x.shape.length, lead = 4 - rank;
  if (rank < 1 || rank > 4) ctx.fail(`input "${x.name}" has rank ${rank}; ranks 1 to 4 are supported`);
  const axes = ctx.intValues(ctx.input(1, 'axis'), 'axis').map((a) => (a < 0 ? a + rank : a));
  if (axes.some((a) => a < 0 || a >= rank)) ctx.fail(`axis ${JSON.stringify(axes)} out of range for rank ${rank}`);
  let mask = 0;
  for (const a of axes) mask |= 1 << (lead + a);
  return mask;
}

export function expectReducedShape(ctx: PrepareContext, x: Tensor, y: Tensor, mask: number): void {
  const kept = shape4(x.shape).filter((_, k) => !(mask & (1 << k))).reduce((a, d) => a * d, 1);
  if (y.shape.reduce((a, d) => a * d, 1) !== kept) ctx.fail(`output shape ${JSON.stringify(y.shape)} does not match the reduced input`);
}

export function prepareArgMaxMin(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  if (y.dtype === 'int64') ctx.fail(`output "${y.name}" is int64; only an int32 output is supported (output_type INT32)`);
  ctx.expectDtype(y, ['int32'], 'output');
  const axisT = ctx.input(1, 'axis');
  const axes = ctx.intValues(axisT, 'axis');
  if (axes.length !== 1) ctx.fail(`axis "${axisT.name}" holds ${axes.length} values; one is expected`);
  const mask = axisMask(ctx, x);
  expectReducedShape(ctx, x, y, mask);
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = { opcode: ctx.op.type === 'ARG_MAX' ? OpCode.ArgMax : OpCode.ArgMin, params: [31 - Math.clz32(mask)] };
}

export function prepareReduceMax(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  const xq = ctx.quant(x, 'input'), yq = ctx.quant(y, 'output');
  if (xq.scale !== yq.scale || xq.zeroPoint !== yq.zeroPoint) ctx.fail(`output "${y.name}" quantization differs from the input's (TFLM requires them equal for int8)`);
  const mask = axisMask(ctx, x);
  expectReducedShape(ctx, x, y, mask);
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = { opcode: OpCode.ReduceMax, params: [mask] };
}

export function prepareSum(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  const mask = axisMask(ctx, x);
  expectReducedShape(ctx, x, y, mask);
  const n = shape4(x.shape).filter((_, k) => mask & (1 << k)).reduce((a, d) => a * d, 1);
  if (n * 256 >= 2 ** 31) ctx.fail(`sum over ${n} elements may overflow int32`);
  const xq = ctx.quant(x, 'input'), yq = ctx.quant(y, 'output');
  const q = quantizeMultiplier(xq.scale / yq.scale);
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = { opcode: OpCode.Mean, params: [mask, xq.zeroPoint, yq.zeroPoint, q.multiplier, q.shift] };
}
