// Prepare for standalone RELU and RELU6 on int8 tensors (int8 .tflite models; float models
// fuse or tabulate theirs earlier). TFLM's integer arithmetic runs here once per int8 value
// and becomes a 256-entry LUT (opcode LUT, assembly/kernels/activation.ts), exact by
// construction:
//   RELU:  y = clamp(out_zp + MultiplyByQuantizedMultiplier(x - in_zp, in_scale / out_scale),
//                    max(-128, out_zp + roundf(0 / out_scale)), 127)      (CalculateReluOpData)
//   RELU6: y = min(max(in_zp, x), six), six = clamp(round(6.0f / in_scale) + in_zp) to int8;
//          no rescale: TFLM copies the clamped input value, whatever the output's quantization.

import { quantizeMultiplier, roundHalfAway } from '../quant-math.js';
import { PrepareContext } from './context.js';
import { mbqm, tabulateInt8, unaryInt8 } from './int8-table.js';

const clamp8 = (v: number) => Math.max(-128, Math.min(127, v));

function reluTable(inScale: number, inZp: number, outScale: number, outZp: number): number[] {
  const q = quantizeMultiplier(inScale / outScale);
  const lo = Math.max(-128, outZp + roundHalfAway(Math.fround(0 / Math.fround(outScale))));
  return Array.from({ length: 256 }, (_, i) => Math.min(127, Math.max(lo, outZp + mbqm(i - 128 - inZp, q.multiplier, q.shift))));
}

function relu6Table(inScale: number, inZp: number): number[] {
  const six = clamp8(roundHalfAway(Math.fround(6 / Math.fround(inScale))) + inZp);
  return Array.from({ length: 256 }, (_, i) => Math.min(Math.max(inZp, i - 128), six));
}

export function prepareRelu(ctx: PrepareContext): void {
  const { y, xq, yq } = unaryInt8(ctx);
  const values = ctx.op.type === 'RELU6' ? relu6Table(xq.scale, xq.zeroPoint) : reluTable(xq.scale, xq.zeroPoint, yq.scale, yq.zeroPoint);
  tabulateInt8(ctx, y, (v) => values[v + 128]);
}
