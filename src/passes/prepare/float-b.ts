// Prepare for the float32 forms of issue 10's groups a, b, c (rows MISC_F32, MOVE_F32 chosen by
// dtype; assembly/ops-f32b.ts checks what is emitted here). Each op keeps its int8 opcode and
// param layout: the data-movement ops reuse the int8 prepares through Float32Context (the
// same TABLE_COPY tables, counted in elements, or GATHER's sizes); ARG_MAX/ARG_MIN the int8
// params; RESIZE_BILINEAR its f32 scales as TFLite's reference computes them; SUM is MEAN
// with param 1 = 1 (no division); EXP and RSQRT are ACTIVATION kinds. Errors name op, index
// and tensor, as every prepare.

import { ActivationKind, OpCode } from '../../format/constants.js';
import { Tensor } from '../../ir/graph.js';
import { f32Bits } from '../quant-math.js';
import { PrepareContext } from './context.js';
import { checkBroadcast } from './elementwise.js';
import { Float32Context, floatRange } from './float.js';
import { axisMask, expectReducedShape, prepareArgMaxMin } from './reduce.js';
import {
  prepareBatchToSpace, prepareDepthToSpace, prepareGather, prepareMirrorPad, prepareResizeNearest, prepareSpaceToBatch, prepareSpaceToDepth, resizeSize,
} from './table-copy.js';

function expectF32(ctx: PrepareContext, ts: [Tensor, string][]): void {
  for (const [t, role] of ts) ctx.expectDtype(t, ['float32'], role);
}

function rank4AtMost(ctx: PrepareContext, x: Tensor): void {
  if (x.shape.length > 4) ctx.fail(`input "${x.name}" has rank ${x.shape.length}; ranks up to 4 are supported`);
}

/** The int8 prepare with float32 wherever it asks int8 (no arithmetic on the values). */
const asFloat = (prepare: (ctx: PrepareContext) => void) => (ctx: PrepareContext) => prepare(new Float32Context(ctx.g, ctx.op));

/** TFLite's float scale of a resize axis: in / out, or (in - 1) / (out - 1) with align_corners and out > 1 (f32 division). */
export function bilinearScaleF32(inSize: number, outSize: number, alignCorners: boolean): number {
  const f = Math.fround;
  return alignCorners && outSize > 1 ? f(f(inSize - 1) / f(outSize - 1)) : f(f(inSize) / f(outSize));
}

/** The source position of output index v, in f32 as TFLM's ComputeInterpolationValues. */
export function bilinearPosition(v: number, scale: number, half: boolean): number {
  const f = Math.fround;
  return half ? f(f(f(v + 0.5) * scale) - 0.5) : f(v * scale);
}

function prepareResizeBilinearF32(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const x = ctx.input(0, 'input'), y = ctx.output();
  expectF32(ctx, [[x, 'input'], [y, 'output']]);
  ctx.expectRank(x, 4, 'input');
  const [oh, ow] = resizeSize(ctx, x, y);
  const align = ctx.op.options.alignCorners === true, half = ctx.op.options.halfPixelCenters === true;
  if (align && half) ctx.fail('align_corners and half_pixel_centers together are not allowed (TFLite refuses them)');
  const [, h, w] = x.shape;
  const scaleH = bilinearScaleF32(h, oh, align), scaleW = bilinearScaleF32(w, ow, align);
  // the loader's check (assembly/ops-f32b.ts): the last position's lower tap inside the input
  if (Math.floor(bilinearPosition(oh - 1, scaleH, half)) > h - 1 || Math.floor(bilinearPosition(ow - 1, scaleW, half)) > w - 1) {
    ctx.fail(`output ${JSON.stringify(y.shape)} steps past input ${JSON.stringify(x.shape)}`);
  }
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = { opcode: OpCode.ResizeBilinear, params: [f32Bits(scaleH), f32Bits(scaleW), half ? 1 : 0] };
}

/** REDUCE_MAX (params [mask]) and SUM (MEAN's params [mask, 1, 0, 0, 0]: summed, not divided). */
function prepareReduceF32(ctx: PrepareContext, sum: boolean): void {
  ctx.expectCounts(2, 2);
  const x = ctx.input(0, 'input'), y = ctx.output();
  expectF32(ctx, [[x, 'input'], [y, 'output']]);
  const mask = axisMask(ctx, x);
  expectReducedShape(ctx, x, y, mask);
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = sum ? { opcode: OpCode.Mean, params: [mask, 1, 0, 0, 0] } : { opcode: OpCode.ReduceMax, params: [mask] };
}

/** PRELU (alpha broadcast), SQUARED_DIFFERENCE: params all 0; DIV: MUL's layout with the fused activation's clamp at 5-6. */
function prepareBinaryF32B(ctx: PrepareContext, opcode: OpCode.Prelu | OpCode.SquaredDifference | OpCode.Div): void {
  ctx.expectCounts(2, 2);
  const a = ctx.input(0, 'input'), b = ctx.input(1, opcode === OpCode.Prelu ? 'alpha' : 'input 2'), y = ctx.output();
  expectF32(ctx, [[a, 'input'], [b, opcode === OpCode.Prelu ? 'alpha' : 'input 2'], [y, 'output']]);
  checkBroadcast(ctx, a, b, y);
  if (opcode === OpCode.Div) {
    const [lo, hi] = floatRange(ctx);
    ctx.op.kernel = { opcode, params: [0, 0, 0, 0, 0, lo, hi] };
  } else {
    ctx.op.kernel = { opcode, params: new Array(opcode === OpCode.Prelu ? 7 : 10).fill(0) };
  }
}

/** L2_NORMALIZATION (no fused activation, as TFLM), LOG_SOFTMAX: along the last axis, params all 0. */
function prepareRowsF32(ctx: PrepareContext, opcode: OpCode.L2Normalization | OpCode.LogSoftmax): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  expectF32(ctx, [[x, 'input'], [y, 'output']]);
  rank4AtMost(ctx, x);
  if (!ctx.sameShape(x, y)) ctx.fail(`output shape ${JSON.stringify(y.shape)} differs from input ${JSON.stringify(x.shape)}`);
  const activation = (ctx.op.options.activation as string | undefined) ?? 'NONE';
  if (activation !== 'NONE') ctx.fail(`fused activation ${activation} is not supported (TFLM's L2_NORMALIZATION takes none)`);
  ctx.op.kernel = { opcode, params: new Array(opcode === OpCode.L2Normalization ? 1 : 5).fill(0) };
}

/** EXP, RSQRT: ACTIVATION kinds (params [kind, 0, 0]). */
function prepareUnaryF32(ctx: PrepareContext, kind: ActivationKind): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  expectF32(ctx, [[x, 'input'], [y, 'output']]);
  if (!ctx.sameShape(x, y)) ctx.fail(`output shape ${JSON.stringify(y.shape)} differs from input ${JSON.stringify(x.shape)}`);
  ctx.op.kernel = { opcode: OpCode.Activation, params: [kind, 0, 0] };
}

/** Float32 prepares of groups a, b, c by op type (merged into float.ts PREPARE_F32). */
export const PREPARE_F32B: Record<string, (ctx: PrepareContext) => void> = {
  RESIZE_NEAREST_NEIGHBOR: asFloat(prepareResizeNearest),
  MIRROR_PAD: asFloat(prepareMirrorPad),
  DEPTH_TO_SPACE: asFloat(prepareDepthToSpace),
  SPACE_TO_DEPTH: asFloat(prepareSpaceToDepth),
  SPACE_TO_BATCH_ND: asFloat(prepareSpaceToBatch),
  BATCH_TO_SPACE_ND: asFloat(prepareBatchToSpace),
  GATHER: asFloat(prepareGather),
  ARG_MAX: asFloat(prepareArgMaxMin),
  ARG_MIN: asFloat(prepareArgMaxMin),
  RESIZE_BILINEAR: prepareResizeBilinearF32,
  REDUCE_MAX: (ctx) => prepareReduceF32(ctx, false),
  SUM: (ctx) => prepareReduceF32(ctx, true),
  PRELU: (ctx) => prepareBinaryF32B(ctx, OpCode.Prelu),
  SQUARED_DIFFERENCE: (ctx) => prepareBinaryF32B(ctx, OpCode.SquaredDifference),
  DIV: (ctx) => prepareBinaryF32B(ctx, OpCode.Div),
  L2_NORMALIZATION: (ctx) => prepareRowsF32(ctx, OpCode.L2Normalization),
  LOG_SOFTMAX: (ctx) => prepareRowsF32(ctx, OpCode.LogSoftmax),
  EXP: (ctx) => prepareUnaryF32(ctx, ActivationKind.Exp),
  RSQRT: (ctx) => prepareUnaryF32(ctx, ActivationKind.Rsqrt),
};

/** Ops that run on float32 only (TFLM has no integer kernel): an int8 or int16 one fails naming this. */
export const FLOAT32_ONLY = new Set(['EXP']);
