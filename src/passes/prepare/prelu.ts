// Prepare for PRELU on int8, as TFLM's CalculatePreluParams: input and alpha (int8, alpha
// broadcast against the input) and two multipliers from the float32 scales in double,
// identity = input_scale / output_scale and alpha = input_scale * alpha_scale / output_scale,
// each as QuantizeMultiplier's (q, shift). TFLM applies no activation.

import { OpCode } from '../../format/constants.js';
import { quantizeMultiplier } from '../quant-math.js';
import { PrepareContext } from './context.js';
import { checkBroadcast } from './elementwise.js';

export function preparePrelu(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const x = ctx.input(0, 'input'), alpha = ctx.input(1, 'alpha'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(alpha, ['int8'], 'alpha');
  ctx.expectDtype(y, ['int8'], 'output');
  checkBroadcast(ctx, x, alpha, y);
  const xq = ctx.quant(x, 'input'), aq = ctx.quant(alpha, 'alpha'), yq = ctx.quant(y, 'output');
  const identity = quantizeMultiplier(xq.scale / yq.scale);
  const slope = quantizeMultiplier((xq.scale * aq.scale) / yq.scale);
  ctx.op.kernel = {
    opcode: OpCode.Prelu,
    params: [-xq.zeroPoint, -aq.zeroPoint, yq.zeroPoint, identity.multiplier, identity.shift, slope.multiplier, slope.shift],
  };
}
