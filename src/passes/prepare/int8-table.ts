// Shared by the prepares that tabulate an elementwise int8 op into the LUT op (opcode LUT,
// assembly/kernels/activation.ts): TFLM's integer arithmetic runs here once per int8 input
// value, so the 256-entry table is exact by construction and the runtime needs no new kernel.
// Also gemmlowp's fixed-point primitives in exact integers, as the table builders need them.

import { OpCode } from '../../format/constants.js';
import { Tensor } from '../../ir/graph.js';
import { PrepareContext } from './context.js';

export const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1;

/** The one int8 input and output of a tabulated op, with their per-tensor quantization. */
export function unaryInt8(ctx: PrepareContext): { x: Tensor; y: Tensor; xq: { scale: number; zeroPoint: number }; yq: { scale: number; zeroPoint: number } } {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  if (x.shape.reduce((a, d) => a * d, 1) !== y.shape.reduce((a, d) => a * d, 1)) ctx.fail('input and output sizes differ');
  return { x, y, xq: ctx.quant(x, 'input'), yq: ctx.quant(y, 'output') };
}

/** Makes the op a LUT over `valueOf(v)` for every int8 input v (-128..127), clamped to int8. */
export function tabulateInt8(ctx: PrepareContext, y: Tensor, valueOf: (v: number) => number): void {
  const data = Int8Array.from({ length: 256 }, (_, i) => Math.max(-128, Math.min(127, valueOf(i - 128))));
  ctx.g.tensors.push({ name: `${y.name}/lut`, shape: [256], dtype: 'int8', data });
  ctx.op.inputs = [ctx.op.inputs[0], ctx.g.tensors.length - 1];
  ctx.op.kernel = { opcode: OpCode.Lut, params: [] };
}

/** gemmlowp SaturatingRoundingDoublingHighMul on int32 raws. */
export function srdhm(a: number, b: number): number {
  if (a === b && a === I32_MIN) return I32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // truncates toward zero, as C++
}

/** gemmlowp RoundingDivideByPOT, exponent 0..31. */
export function rdbpot(x: number, e: number): number {
  const mask = e === 0 ? 0 : e >= 31 ? 0x7fffffff : (1 << e) - 1;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> Math.min(e, 31)) + ((x & mask) > threshold ? 1 : 0);
}

/** SaturatingRoundingMultiplyByPOT with a positive exponent. */
export function shiftLeftSat(x: number, e: number): number {
  const threshold = 2 ** (31 - e) - 1;
  if (x > threshold) return I32_MAX;
  if (x < -threshold) return I32_MIN;
  return x * 2 ** e;
}

/** MultiplyByQuantizedMultiplier (int32): (x << left) wraps to int32 as in C, then gemmlowp's two roundings. */
export function mbqm(x: number, m: number, shift: number): number {
  const left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  return rdbpot(srdhm((x * 2 ** left) | 0, m), right);
}
