// Prepare for standalone RELU and RELU6 on int8 tensors (int8 .tflite models; float models
// fuse or tabulate theirs earlier). TFLM's integer arithmetic runs here once per int8 value
// and becomes a 256-entry LUT (opcode LUT, assembly/kernels/activation.ts), exact by
// construction:
//   RELU:  y = clamp(out_zp + MultiplyByQuantizedMultiplier(x - in_zp, in_scale / out_scale),
//                    max(-128, out_zp + roundf(0 / out_scale)), 127)      (CalculateReluOpData)
//   RELU6: y = min(max(in_zp, x), six), six = clamp(round(6.0f / in_scale) + in_zp) to int8;
//          no rescale: TFLM copies the clamped input value, whatever the output's quantization.

import { OpCode } from '../../format/constants.js';
import { quantizeMultiplier, roundHalfAway } from '../quant-math.js';
import { PrepareContext } from './context.js';

/** MultiplyByQuantizedMultiplier in exact integers: (x << left) wraps to int32 as in C, then gemmlowp's two roundings. */
function multiplyByQuantizedMultiplier(x: number, m: number, shift: number): number {
  const left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  const a = BigInt((x << left) | 0) * BigInt(m);
  const nudge = a >= 0n ? 1n << 30n : 1n - (1n << 30n);
  const high = (a + nudge) / (1n << 31n); // truncates toward zero, as C++
  const mask = (1n << BigInt(right)) - 1n;
  const threshold = (mask >> 1n) + (high < 0n ? 1n : 0n);
  return Number((high >> BigInt(right)) + ((high & mask) > threshold ? 1n : 0n));
}

const clamp8 = (v: number) => Math.max(-128, Math.min(127, v));

function reluTable(inScale: number, inZp: number, outScale: number, outZp: number): number[] {
  const q = quantizeMultiplier(inScale / outScale);
  const lo = Math.max(-128, outZp + roundHalfAway(Math.fround(0 / Math.fround(outScale))));
  return Array.from({ length: 256 }, (_, i) => Math.min(127, Math.max(lo, outZp + multiplyByQuantizedMultiplier(i - 128 - inZp, q.multiplier, q.shift))));
}

function relu6Table(inScale: number, inZp: number): number[] {
  const six = clamp8(roundHalfAway(Math.fround(6 / Math.fround(inScale))) + inZp);
  return Array.from({ length: 256 }, (_, i) => Math.min(Math.max(inZp, i - 128), six));
}

export function prepareRelu(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  if (x.shape.reduce((a, d) => a * d, 1) !== y.shape.reduce((a, d) => a * d, 1)) ctx.fail('input and output sizes differ');
  const xq = ctx.quant(x, 'input'), yq = ctx.quant(y, 'output');
  const values = ctx.op.type === 'RELU6' ? relu6Table(xq.scale, xq.zeroPoint) : reluTable(xq.scale, xq.zeroPoint, yq.scale, yq.zeroPoint);
  ctx.g.tensors.push({ name: `${y.name}/lut`, shape: [256], dtype: 'int8', data: Int8Array.from(values) });
  ctx.op.inputs = [ctx.op.inputs[0], ctx.g.tensors.length - 1];
  ctx.op.kernel = { opcode: OpCode.Lut, params: [] };
}
