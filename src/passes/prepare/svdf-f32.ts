// Prepare for SVDF on float32 (TFLM's float SVDF): x, feature weights, time weights, bias
// (optional) and the state (a variable tensor) all float32, shapes as the int8 SVDF. Params
// (7, as the int8 op's count): rank, activation kind (ActivationKind: Clamp for NONE, RELU,
// RELU6, RELU_N1_TO_1; Tanh), clamp lo, hi as f32 bits (0, 0 for tanh), 0, 0, 0. TFLM's float
// kernel applies the fused activation (unlike its integer one); SIGN_BIT is refused.

import { ActivationKind, OpCode } from '../../format/constants.js';
import { f32Bits } from '../quant-math.js';
import { PrepareContext } from './context.js';
import { checkSvdfShapes } from './svdf.js';

const F32_MAX = 3.4028234663852886e38;
const CLAMPS: Record<string, [number, number]> = { NONE: [-F32_MAX, F32_MAX], RELU: [0, F32_MAX], RELU6: [0, 6], RELU_N1_TO_1: [-1, 1] };

export function prepareSvdfF32(ctx: PrepareContext): void {
  ctx.expectCounts(4, 5);
  const x = ctx.input(0, 'input'), wf = ctx.input(1, 'feature weights'), wt = ctx.input(2, 'time weights');
  const b = ctx.optionalInput(3), st = ctx.input(4, 'state'), y = ctx.output();
  for (const [t, role] of [[x, 'input'], [wf, 'feature weights'], [wt, 'time weights'], [st, 'state'], [y, 'output']] as const) {
    ctx.expectDtype(t, ['float32'], role);
    ctx.expectRank(t, 2, role);
  }
  ctx.expectConst(wf, 'feature weights');
  ctx.expectConst(wt, 'time weights');
  if (b) {
    ctx.expectDtype(b, ['float32'], 'bias');
    ctx.expectConst(b, 'bias');
  }
  const rank = ctx.op.options.rank as number;
  checkSvdfShapes(ctx, x, wf, wt, b, st, y, rank);
  const activation = (ctx.op.options.activation as string | undefined) ?? 'NONE';
  const clamp = CLAMPS[activation];
  if (!clamp && activation !== 'TANH') ctx.fail(`fused activation ${activation} is not supported on float32 SVDF (supported: ${[...Object.keys(CLAMPS), 'TANH'].join(', ')})`);
  const params = clamp ? [rank, ActivationKind.Clamp, f32Bits(clamp[0]), f32Bits(clamp[1])] : [rank, ActivationKind.Tanh, 0, 0];
  ctx.op.inputs = [ctx.op.inputs[0], ctx.op.inputs[1], ctx.op.inputs[2], ctx.op.inputs[3] ?? -1, ctx.op.inputs[4]];
  ctx.op.kernel = { opcode: OpCode.Svdf, params: [...params, 0, 0, 0] };
}
