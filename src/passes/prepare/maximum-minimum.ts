// Prepare for MAXIMUM and MINIMUM on int8: TFLM compares the stored int8 values as they are
// (no rescaling, whatever the quantization), with broadcasting; the runtime's 4-D view.

import { OpCode } from '../../format/constants.js';
import { PrepareContext, shape4 } from './context.js';

export function prepareMaximumMinimum(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const a = ctx.input(0, 'input 1'), b = ctx.input(1, 'input 2'), y = ctx.output();
  ctx.expectDtype(a, ['int8'], 'input 1');
  ctx.expectDtype(b, ['int8'], 'input 2');
  ctx.expectDtype(y, ['int8'], 'output');
  if (a.shape.length > 4 || b.shape.length > 4 || y.shape.length > 4) ctx.fail('broadcasting is supported up to rank 4');
  const a4 = shape4(a.shape), b4 = shape4(b.shape), y4 = shape4(y.shape);
  for (let k = 0; k < 4; k++) {
    if (Math.max(a4[k], b4[k]) !== y4[k] || (a4[k] !== y4[k] && a4[k] !== 1) || (b4[k] !== y4[k] && b4[k] !== 1)) {
      ctx.fail(`shapes ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)} do not broadcast to output ${JSON.stringify(y.shape)}`);
    }
  }
  ctx.op.kernel = { opcode: ctx.op.type === 'MAXIMUM' ? OpCode.Maximum : OpCode.Minimum, params: [] };
}
