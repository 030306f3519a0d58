// Prepare for LEAKY_RELU on int8, as TFLM's CalculateOpDataLeakyRelu: two multipliers,
// identity = input_scale / output_scale and alpha = input_scale * alpha / output_scale
// (doubles from the float32 scales and alpha), each as QuantizeMultiplier's (q, shift).

import { OpCode } from '../../format/constants.js';
import { quantizeMultiplier } from '../quant-math.js';
import { PrepareContext } from './context.js';

export function prepareLeakyRelu(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  if (!ctx.sameShape(x, y)) ctx.fail(`output shape ${JSON.stringify(y.shape)} differs from input ${JSON.stringify(x.shape)}`);
  const xq = ctx.quant(x, 'input'), yq = ctx.quant(y, 'output');
  const alpha = ctx.op.options.alpha as number;
  // The kernels take multipliers >= 0; TFLM's negative-alpha multiplier has no edgepack form.
  if (!(alpha >= 0) || !Number.isFinite(alpha)) ctx.fail(`alpha ${alpha} is not supported (alpha must be finite and >= 0)`);
  const identity = quantizeMultiplier(xq.scale / yq.scale);
  const slope = quantizeMultiplier((xq.scale * alpha) / yq.scale);
  ctx.op.kernel = {
    opcode: OpCode.LeakyRelu,
    params: [xq.zeroPoint, yq.zeroPoint, identity.multiplier, identity.shift, slope.multiplier, slope.shift],
  };
}
