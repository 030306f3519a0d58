// Prepare for SQUARED_DIFFERENCE on int8, as TFLM's PrepareQuantized (left shift 7): both
// inputs rescaled to twice the larger input scale (multipliers below one), the squared
// difference rescaled by (2 max scale)^2 / (2^14 output scale) (QuantizeMultiplier; the
// denominator a float32 product, as TFLM's int * float). Broadcasting; no activation.

import { OpCode } from '../../format/constants.js';
import { quantizeMultiplier } from '../quant-math.js';
import { PrepareContext } from './context.js';
import { checkBroadcast, smallerThanOne } from './elementwise.js';

const LEFT_SHIFT = 7;

export function prepareSquaredDifference(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const a = ctx.input(0, 'input 1'), b = ctx.input(1, 'input 2'), y = ctx.output();
  ctx.expectDtype(a, ['int8'], 'input 1');
  ctx.expectDtype(b, ['int8'], 'input 2');
  ctx.expectDtype(y, ['int8'], 'output');
  checkBroadcast(ctx, a, b, y);
  const aq = ctx.quant(a, 'input 1'), bq = ctx.quant(b, 'input 2'), yq = ctx.quant(y, 'output');
  const twiceMax = 2 * Math.max(aq.scale, bq.scale);
  const m1 = smallerThanOne(ctx, aq.scale / twiceMax, 'input 1');
  const m2 = smallerThanOne(ctx, bq.scale / twiceMax, 'input 2');
  const mo = quantizeMultiplier((twiceMax * twiceMax) / Math.fround((1 << (2 * LEFT_SHIFT)) * yq.scale));
  ctx.op.kernel = {
    opcode: OpCode.SquaredDifference,
    params: [-aq.zeroPoint, -bq.zeroPoint, yq.zeroPoint, LEFT_SHIFT, m1.multiplier, m1.shift, m2.multiplier, m2.shift, mo.multiplier, mo.shift],
  };
}
