// Prepare for L2_NORMALIZATION on int8, as TFLM's L2NormPrepare: rank <= 4, no fused
// activation (TFLM requires none), the input zero point as the one param. The kernel's
// output is in 1/128 steps with zero point 0 whatever the output tensor says (TFLM does not
// read the output's quantization); normalised along the last axis.

import { OpCode } from '../../format/constants.js';
import { PrepareContext } from './context.js';

export function prepareL2Normalization(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  if (x.shape.length > 4) ctx.fail('rank above 4 is not supported');
  if (!ctx.sameShape(x, y)) ctx.fail(`output shape ${JSON.stringify(y.shape)} differs from input ${JSON.stringify(x.shape)}`);
  const activation = (ctx.op.options.activation as string | undefined) ?? 'NONE';
  if (activation !== 'NONE') ctx.fail(`fused activation ${activation} is not supported (TFLM's int8 L2_NORMALIZATION takes none)`);
  const xq = ctx.quant(x, 'input');
  ctx.op.kernel = { opcode: OpCode.L2Normalization, params: [xq.zeroPoint] };
}
