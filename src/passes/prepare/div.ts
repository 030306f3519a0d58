// Prepare for DIV on int8, as TFLM's CalculateOpDataDiv: one multiplier from
// input1_scale / (input2_scale * output_scale) computed in float32 then widened to double
// (QuantizeMultiplier), zero points as offsets, the fused activation's range. MUL's param
// layout. The kernel (assembly/kernels/div.ts) needs the multiplier's shift <= 21.

import { OpCode } from '../../format/constants.js';
import { activationRange, quantizeMultiplier } from '../quant-math.js';
import { PrepareContext } from './context.js';
import { checkBroadcast } from './elementwise.js';

export const DIV_OUTPUT_SHIFT_MAX = 21;

export function prepareDiv(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const a = ctx.input(0, 'input 1'), b = ctx.input(1, 'input 2'), y = ctx.output();
  ctx.expectDtype(a, ['int8'], 'input 1');
  ctx.expectDtype(b, ['int8'], 'input 2');
  ctx.expectDtype(y, ['int8'], 'output');
  checkBroadcast(ctx, a, b, y);
  const aq = ctx.quant(a, 'input 1'), bq = ctx.quant(b, 'input 2'), yq = ctx.quant(y, 'output');
  const f = Math.fround;
  const real = f(f(aq.scale) / f(f(bq.scale) * f(yq.scale)));
  const m = quantizeMultiplier(real);
  if (m.shift > DIV_OUTPUT_SHIFT_MAX) ctx.fail(`input 1 scale / (input 2 scale x output scale) = ${real} is above 2^${DIV_OUTPUT_SHIFT_MAX} (the int8 kernel's range)`);
  const [actMin, actMax] = activationRange(ctx.op.options.activation as string, yq.scale, yq.zeroPoint);
  ctx.op.kernel = { opcode: OpCode.Div, params: [-aq.zeroPoint, -bq.zeroPoint, yq.zeroPoint, m.multiplier, m.shift, actMin, actMax] };
}
