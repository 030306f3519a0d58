// Prepare for the weight-bearing ops and pooling: per-channel multipliers and shifts,
// padding, activation ranges -- what TFLM computes in Prepare, computed once here.

import { OpCode } from '../../format/constants.js';
import { Tensor } from '../../ir/graph.js';
import { activationRange, quantizeMultiplier } from '../quant-math.js';
import { padDim } from '../../ir/geometry.js';
import { PrepareContext } from './context.js';

export interface Channels {
  multipliers: number[];
  shifts: number[];
}

/** Per-output-channel (multiplier, shift) from input scale * filter scale[c] / output scale, in double. */
export function perChannelMultipliers(ctx: PrepareContext, x: Tensor, w: Tensor, y: Tensor, channels: number, axis: number): Channels {
  const inScale = ctx.quant(x, 'input').scale;
  const outScale = ctx.quant(y, 'output').scale;
  const wq = w.quant;
  if (!wq || wq.scale.length === 0) ctx.fail(`filter "${w.name}" has no quantization parameters`);
  const perChannel = wq.scale.length > 1;
  if (perChannel && (wq.scale.length !== channels || wq.axis !== axis)) {
    ctx.fail(`filter "${w.name}" has ${wq.scale.length} scales on axis ${wq.axis}; expected ${channels} on axis ${axis}`);
  }
  if (wq.zeroPoint.some((z) => z !== 0)) ctx.fail(`filter "${w.name}" has a non-zero zero point; int8 weights must be symmetric`);
  const multipliers: number[] = [];
  const shifts: number[] = [];
  for (let c = 0; c < channels; c++) {
    const s = perChannel ? wq.scale[c] : wq.scale[0];
    const q = quantizeMultiplier((inScale * s) / outScale);
    multipliers.push(q.multiplier);
    shifts.push(q.shift);
  }
  return { multipliers, shifts };
}

export function checkBias(ctx: PrepareContext, b: Tensor | null, channels: number): void {
  if (!b) return;
  ctx.expectDtype(b, ['int32'], 'bias');
  ctx.expectConst(b, 'bias');
  if (b.shape.reduce((a, d) => a * d, 1) !== channels) ctx.fail(`bias "${b.name}" has shape ${JSON.stringify(b.shape)}, expected ${channels} values`);
}

export function spatial(ctx: PrepareContext, x: Tensor, y: Tensor, kh: number, kw: number) {
  const o = ctx.op.options as Record<string, number & string>;
  const strideH = o.strideH, strideW = o.strideW;
  const dilH = o.dilationH ?? 1, dilW = o.dilationW ?? 1;
  if (!(strideH >= 1 && strideW >= 1 && dilH >= 1 && dilW >= 1)) ctx.fail(`strides (${strideH},${strideW}) and dilations (${dilH},${dilW}) must be >= 1`);
  const ph = padDim(o, 'H', strideH, dilH, x.shape[1], kh);
  const pw = padDim(o, 'W', strideW, dilW, x.shape[2], kw);
  if (ph.out !== y.shape[1] || pw.out !== y.shape[2]) {
    ctx.fail(`output "${y.name}" is ${y.shape[1]}x${y.shape[2]}, but ${o.padding} padding with this filter and stride gives ${ph.out}x${pw.out}`);
  }
  // the runtime's load checks (assembly/ops.ts packedGeometry, pool params): padding in
  // [0, 65535], every input row/column a window reaches below 2^24
  if (ph.pad > 0xffff || pw.pad > 0xffff) ctx.fail(`padding ${ph.pad}x${pw.pad} of the ${kh}x${kw} filter is out of range (at most 65535)`);
  const spanH = (ph.out - 1) * strideH + (kh - 1) * dilH, spanW = (pw.out - 1) * strideW + (kw - 1) * dilW;
  if (spanH > GEOMETRY_LIMIT || spanW > GEOMETRY_LIMIT) ctx.fail(`the windows span ${spanH}x${spanW} input rows/columns, above the runtime's limit of ${GEOMETRY_LIMIT}`);
  return { strideH, strideW, dilH, dilW, padTop: ph.pad, padLeft: pw.pad };
}

/** Input rows/columns a window may span (assembly/ops.ts GEOMETRY_LIMIT). */
const GEOMETRY_LIMIT = 1 << 24;

export function attachChannels(ctx: PrepareContext, ch: Channels, weightsIndex: number, bias: number): number[] {
  const base = ctx.tensor(weightsIndex).name;
  const m = ctx.addConstI32(`${base}/multiplier`, ch.multipliers);
  const s = ctx.addConstI32(`${base}/shift`, ch.shifts);
  return [ctx.op.inputs[0], weightsIndex, bias, m, s];
}

export function prepareConv(ctx: PrepareContext): void {
  ctx.expectCounts(2, 3);
  const x = ctx.input(0, 'input'), w = ctx.input(1, 'filter'), b = ctx.optionalInput(2), y = ctx.output();
  for (const [t, r] of [[x, 'input'], [w, 'filter'], [y, 'output']] as const) {
    ctx.expectDtype(t, ['int8'], r);
    ctx.expectRank(t, 4, r);
  }
  ctx.expectConst(w, 'filter');
  const [oc, kh, kw, icg] = w.shape;
  const ic = x.shape[3];
  if (icg <= 0 || ic % icg !== 0) ctx.fail(`filter "${w.name}" has ${icg} input channels, which does not divide the input's ${ic}`);
  const groups = ic / icg;
  if (oc % groups !== 0) ctx.fail(`${oc} output channels cannot be split into ${groups} groups`);
  if (y.shape[3] !== oc || y.shape[0] !== x.shape[0]) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} does not match filter ${JSON.stringify(w.shape)}`);
  checkBias(ctx, b, oc);
  const sp = spatial(ctx, x, y, kh, kw);
  const xq = ctx.quant(x, 'input'), yq = ctx.quant(y, 'output');
  const [actMin, actMax] = activationRange(ctx.op.options.activation as string, yq.scale, yq.zeroPoint);
  const ch = perChannelMultipliers(ctx, x, w, y, oc, 0);
  ctx.op.inputs = attachChannels(ctx, ch, ctx.op.inputs[1], ctx.op.inputs[2] ?? -1);
  ctx.op.kernel = {
    opcode: OpCode.Conv2D,
    params: [sp.strideH, sp.strideW, sp.dilH, sp.dilW, sp.padTop, sp.padLeft, -xq.zeroPoint, yq.zeroPoint, actMin, actMax],
  };
}

export function prepareDepthwise(ctx: PrepareContext): void {
  ctx.expectCounts(2, 3);
  const x = ctx.input(0, 'input'), w = ctx.input(1, 'filter'), b = ctx.optionalInput(2), y = ctx.output();
  for (const [t, r] of [[x, 'input'], [w, 'filter'], [y, 'output']] as const) {
    ctx.expectDtype(t, ['int8'], r);
    ctx.expectRank(t, 4, r);
  }
  ctx.expectConst(w, 'filter');
  const [one, kh, kw, oc] = w.shape;
  const ic = x.shape[3];
  if (one !== 1) ctx.fail(`filter "${w.name}" shape ${JSON.stringify(w.shape)} must start with 1`);
  if (oc % ic !== 0) ctx.fail(`filter "${w.name}" has ${oc} channels, not a multiple of the input's ${ic}`);
  const multiplier = oc / ic;
  if (y.shape[3] !== oc || y.shape[0] !== x.shape[0]) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} does not match filter ${JSON.stringify(w.shape)}`);
  checkBias(ctx, b, oc);
  const sp = spatial(ctx, x, y, kh, kw);
  const xq = ctx.quant(x, 'input'), yq = ctx.quant(y, 'output');
  const [actMin, actMax] = activationRange(ctx.op.options.activation as string, yq.scale, yq.zeroPoint);
  const ch = perChannelMultipliers(ctx, x, w, y, oc, 3);
  ctx.op.inputs = attachChannels(ctx, ch, ctx.op.inputs[1], ctx.op.inputs[2] ?? -1);
  ctx.op.kernel = {
    opcode: OpCode.DepthwiseConv2D,
    params: [sp.strideH, sp.strideW, sp.dilH, sp.dilW, sp.padTop, sp.padLeft, -xq.zeroPoint, yq.zeroPoint, actMin, actMax, multiplier],
  };
}

export function prepareFullyConnected(ctx: PrepareContext): void {
  ctx.expectCounts(2, 3);
  const x = ctx.input(0, 'input'), w = ctx.input(1, 'weights'), b = ctx.optionalInput(2), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(w, ['int8'], 'weights');
  ctx.expectDtype(y, ['int8'], 'output');
  ctx.expectConst(w, 'weights');
  ctx.expectRank(w, 2, 'weights');
  if (ctx.op.options.weightsFormat) ctx.fail('shuffled weights format is not supported');
  const [oc, depth] = w.shape;
  const inCount = x.shape.reduce((a, d) => a * d, 1);
  if (inCount % depth !== 0) ctx.fail(`input "${x.name}" has ${inCount} values, not a multiple of the weights' depth ${depth}`);
  const batches = inCount / depth;
  if (y.shape.reduce((a, d) => a * d, 1) !== batches * oc) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} does not hold ${batches}x${oc} values`);
  checkBias(ctx, b, oc);
  const xq = ctx.quant(x, 'input'), yq = ctx.quant(y, 'output');
  const [actMin, actMax] = activationRange(ctx.op.options.activation as string, yq.scale, yq.zeroPoint);
  let ch: Channels;
  if (w.quant && w.quant.scale.length > 1) {
    ch = perChannelMultipliers(ctx, x, w, y, oc, 0);
  } else {
    if (!w.quant) ctx.fail(`weights "${w.name}" have no quantization parameters`);
    if (w.quant.zeroPoint[0]) ctx.fail(`weights "${w.name}" have a non-zero zero point`);
    // Per-tensor FC: TFLM forms input_scale * filter_scale in float32, then divides in double.
    const q = quantizeMultiplier(Math.fround(xq.scale * w.quant.scale[0]) / yq.scale);
    ch = { multipliers: new Array(oc).fill(q.multiplier), shifts: new Array(oc).fill(q.shift) };
  }
  ctx.op.inputs = attachChannels(ctx, ch, ctx.op.inputs[1], ctx.op.inputs[2] ?? -1);
  ctx.op.kernel = { opcode: OpCode.FullyConnected, params: [-xq.zeroPoint, yq.zeroPoint, actMin, actMax] };
}

export function preparePool(ctx: PrepareContext, opcode: OpCode.AveragePool2D | OpCode.MaxPool2D): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  for (const [t, r] of [[x, 'input'], [y, 'output']] as const) {
    ctx.expectDtype(t, ['int8'], r);
    ctx.expectRank(t, 4, r);
  }
  const o = ctx.op.options as Record<string, number>;
  if (!(o.filterH >= 1 && o.filterW >= 1)) ctx.fail(`filter ${o.filterH}x${o.filterW} must be at least 1x1`);
  if (y.shape[0] !== x.shape[0] || y.shape[3] !== x.shape[3]) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} does not match input ${JSON.stringify(x.shape)}`);
  const xq = ctx.quant(x, 'input'), yq = ctx.quant(y, 'output');
  if (xq.scale !== yq.scale || xq.zeroPoint !== yq.zeroPoint) ctx.fail('input and output quantization must match for int8 pooling');
  const sp = spatial(ctx, x, y, o.filterH, o.filterW);
  const [actMin, actMax] = activationRange(ctx.op.options.activation as string, yq.scale, yq.zeroPoint);
  ctx.op.kernel = { opcode, params: [sp.strideH, sp.strideW, o.filterH, o.filterW, sp.padTop, sp.padLeft, actMin, actMax] };
}
