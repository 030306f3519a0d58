// Prepare for SVDF on int8 with int16 state, as TFLM's PrepareSvdf: inputs x int8 [batch, nIn],
// feature weights int8 [nFilter, nIn], time weights int16 [nFilter, nMemory], bias int32
// [nFilter / rank], state an int16 variable tensor [batch, nFilter * nMemory] (zero point 0)
// -- or time weights and state both int8 (any state zero point; the kernel reads it);
// output int8 [batch, nFilter / rank]. Multipliers from float32 products of the scales, as
// TFLM: feature = input * feature / state, output = state * time / output, each as
// QuantizeMultiplier's (q, shift). TFLM's integer kernel applies no fused activation, so
// NONE and RELU both run it as is (checked against tflm-run); others are refused.

import { OpCode } from '../../format/constants.js';
import { quantizeMultiplier } from '../quant-math.js';
import { Tensor } from '../../ir/graph.js';
import { PrepareContext } from './context.js';
import { f32Quant } from './lstm.js';

export function prepareSvdf(ctx: PrepareContext): void {
  ctx.expectCounts(5, 5);
  const x = ctx.input(0, 'input'), wf = ctx.input(1, 'feature weights'), wt = ctx.input(2, 'time weights');
  const b = ctx.optionalInput(3), st = ctx.input(4, 'state'), y = ctx.output();
  const rank = ctx.op.options.rank as number;
  const activation = ctx.op.options.activation as string;
  if (activation !== 'NONE' && activation !== 'RELU') ctx.fail(`fused activation ${activation} is not supported (TFLM's integer SVDF applies none; NONE and RELU run as such)`);
  // time weights and state: int16 both, or int8 both (TFLM's EvalInt8SvdfReference)
  const sdt = wt.dtype === 'int8' ? 'int8' : 'int16';
  for (const [t, role, dt] of [[x, 'input', 'int8'], [wf, 'feature weights', 'int8'], [wt, 'time weights', sdt], [st, 'state', sdt], [y, 'output', 'int8']] as const) {
    ctx.expectDtype(t, [dt], role);
    ctx.expectRank(t, 2, role);
  }
  if (!b) return ctx.fail('needs a bias (input 3): TFLM\'s integer SVDF reads its scale');
  ctx.expectDtype(b, ['int32'], 'bias');
  ctx.expectConst(wf, 'feature weights');
  ctx.expectConst(wt, 'time weights');
  ctx.expectConst(b, 'bias');
  checkSvdfShapes(ctx, x, wf, wt, b, st, y, rank);
  const xq = f32Quant(ctx, x, 'input'), wfq = f32Quant(ctx, wf, 'feature weights'), wtq = f32Quant(ctx, wt, 'time weights');
  const sq = f32Quant(ctx, st, 'state'), yq = f32Quant(ctx, y, 'output'), bq = f32Quant(ctx, b, 'bias');
  if (sdt === 'int16' && sq.zeroPoint !== 0) ctx.fail(`state "${st.name}" has zero point ${sq.zeroPoint}; int16 state must have zero point 0`);
  const f = Math.fround;
  const feature = f(f(xq.scale * wfq.scale) / sq.scale); // float32 arithmetic, as TFLM
  const output = f(f(sq.scale * wtq.scale) / yq.scale);
  if (!(Math.abs(bq.scale - f(sq.scale * wtq.scale)) < 1e-5)) ctx.fail(`bias "${b.name}" scale ${bq.scale} differs from state scale x time weights scale ${f(sq.scale * wtq.scale)}`);
  const m1 = quantizeMultiplier(feature), m2 = quantizeMultiplier(output);
  ctx.op.kernel = {
    opcode: OpCode.Svdf,
    params: [rank, xq.zeroPoint, yq.zeroPoint, m1.multiplier, m1.shift, m2.multiplier, m2.shift],
  };
}

/** SVDF's shapes (any dtype): x [batch, nIn], feature [nFilter, nIn], time [nFilter, nMemory], bias [nFilter / rank], state a variable [batch, nFilter * nMemory], y [batch, nFilter / rank]. */
export function checkSvdfShapes(ctx: PrepareContext, x: Tensor, wf: Tensor, wt: Tensor, b: Tensor | null, st: Tensor, y: Tensor, rank: number): void {
  if (!st.variable || st.data) ctx.fail(`state "${st.name}" must be a variable tensor (is_variable, no buffer)`);
  const [batch, nIn] = x.shape, [nFilter, nMemory] = wt.shape;
  if (!(rank >= 1) || nFilter % rank !== 0) ctx.fail(`rank ${rank} does not divide the ${nFilter} filters`);
  const nUnit = nFilter / rank;
  if (wf.shape[0] !== nFilter || wf.shape[1] !== nIn) ctx.fail(`feature weights "${wf.name}" ${JSON.stringify(wf.shape)} do not fit input ${JSON.stringify(x.shape)} and time weights ${JSON.stringify(wt.shape)}`);
  if (b && b.shape.reduce((a, d) => a * d, 1) !== nUnit) ctx.fail(`bias "${b.name}" must hold ${nUnit} values`);
  if (st.shape[0] !== batch || st.shape[1] !== nFilter * nMemory) ctx.fail(`state "${st.name}" ${JSON.stringify(st.shape)} must be [${batch}, ${nFilter * nMemory}]`);
  if (y.shape[0] !== batch || y.shape[1] !== nUnit) ctx.fail(`output "${y.name}" ${JSON.stringify(y.shape)} must be [${batch}, ${nUnit}]`);
}
