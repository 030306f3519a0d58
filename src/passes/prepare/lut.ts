// Prepare for LUT: an int8 -> int8 activation given as a constant 256-entry table
// (built by quantize-int8 from the activation's float function and the tensors' scales).

import { OpCode } from '../../format/constants.js';
import { PrepareContext } from './context.js';

export function prepareLut(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const x = ctx.input(0, 'input'), table = ctx.input(1, 'table'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(table, ['int8'], 'table');
  ctx.expectDtype(y, ['int8'], 'output');
  ctx.expectConst(table, 'table');
  if (table.data!.length !== 256) ctx.fail(`table "${table.name}" holds ${table.data!.length} entries, expected 256`);
  if (x.shape.reduce((a, d) => a * d, 1) !== y.shape.reduce((a, d) => a * d, 1)) ctx.fail('input and output sizes differ');
  ctx.op.kernel = { opcode: OpCode.Lut, params: [] };
}
