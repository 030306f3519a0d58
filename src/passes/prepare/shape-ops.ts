// Prepare for data-movement ops: PAD, MEAN, TRANSPOSE, CONCATENATION, and the
// reshape family that becomes an alias (no runtime op at all). Constant operands
// (paddings, axes, permutations) are folded into params and dropped from the inputs.

import { OpCode } from '../../format/constants.js';
import { quantizeMultiplier } from '../quant-math.js';
import { PrepareContext, shape4 } from './context.js';

function requireRank4(ctx: PrepareContext, shape: number[], role: string): void {
  if (shape.length > 4) ctx.fail(`${role} has rank ${shape.length}; edgepack supports up to rank 4`);
}

export function preparePad(ctx: PrepareContext): void {
  ctx.expectCounts(2, 3);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  requireRank4(ctx, x.shape, 'input');
  const pads = ctx.intValues(ctx.input(1, 'paddings'), 'paddings');
  const rank = x.shape.length;
  if (pads.length !== rank * 2) ctx.fail(`paddings hold ${pads.length} values, expected ${rank}x2`);
  if (pads.some((p) => p < 0)) ctx.fail('negative paddings are not supported');
  const lead = 4 - rank;
  const before = [0, 0, 0, 0], after = [0, 0, 0, 0];
  for (let i = 0; i < rank; i++) {
    before[lead + i] = pads[2 * i];
    after[lead + i] = pads[2 * i + 1];
  }
  const want = shape4(x.shape).map((d, i) => d + before[i] + after[i]);
  if (want.join() !== shape4(y.shape).join()) ctx.fail(`output shape ${JSON.stringify(y.shape)} is not the padded input shape ${JSON.stringify(want.slice(lead))}`);
  const yq = ctx.quant(y, 'output'), xq = ctx.quant(x, 'input');
  if (xq.scale !== yq.scale || xq.zeroPoint !== yq.zeroPoint) ctx.fail('input and output quantization must match');
  let value = yq.zeroPoint;
  const cv = ctx.optionalInput(2);
  if (cv) {
    ctx.expectConst(cv, 'constant_values');
    ctx.expectDtype(cv, ['int8'], 'constant_values');
    value = (cv.data as Int8Array)[0];
  }
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = { opcode: OpCode.Pad, params: [...before, ...after, value] };
}

/**
 * MEAN over any set of axes. The 1/N factor is folded into the multiplier exactly as
 * TFLM's QuantizedMeanOrSum does: shift = min(floor(log2 N), 32, 31 + shift0),
 * multiplier = (multiplier0 << shift) / N (truncating), shift0 - shift.
 */
export function prepareMean(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  requireRank4(ctx, x.shape, 'input');
  const rank = x.shape.length, lead = 4 - rank;
  const axes = ctx.intValues(ctx.input(1, 'axis'), 'axis').map((a) => (a < 0 ? a + rank : a));
  if (axes.some((a) => a < 0 || a >= rank)) ctx.fail(`axis ${JSON.stringify(axes)} out of range for rank ${rank}`);
  let mask = 0;
  for (const a of axes) mask |= 1 << (lead + a);
  const x4 = shape4(x.shape);
  const kept = x4.filter((_, i) => !(mask & (1 << i))).reduce((a, d) => a * d, 1);
  if (y.shape.reduce((a, d) => a * d, 1) !== kept) ctx.fail(`output shape ${JSON.stringify(y.shape)} does not match the reduced input`);
  const n = x4.filter((_, i) => mask & (1 << i)).reduce((a, d) => a * d, 1);
  const xq = ctx.quant(x, 'input'), yq = ctx.quant(y, 'output');
  const q = quantizeMultiplier(xq.scale / yq.scale);
  if (n >= 2 ** 31) ctx.fail(`mean over ${n} elements is too large`);
  const shift = Math.min(31 - Math.clz32(n), 32, 31 + q.shift);
  const multiplier = Number((BigInt(q.multiplier) << BigInt(shift)) / BigInt(n));
  if (multiplier > 0x7fffffff) ctx.fail(`mean multiplier overflows for ${n} elements`);
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = { opcode: OpCode.Mean, params: [mask, xq.zeroPoint, yq.zeroPoint, multiplier, q.shift - shift] };
}

export function prepareTranspose(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  requireRank4(ctx, x.shape, 'input');
  const rank = x.shape.length, lead = 4 - rank;
  const perm = ctx.intValues(ctx.input(1, 'perm'), 'perm');
  if (perm.length !== rank || [...perm].sort().some((p, i) => p !== i)) ctx.fail(`perm ${JSON.stringify(perm)} is not a permutation of ${rank} axes`);
  const perm4 = [0, 1, 2, 3].map((i) => (i < lead ? i : lead + perm[i - lead]));
  const x4 = shape4(x.shape);
  if (perm4.map((p) => x4[p]).join() !== shape4(y.shape).join()) ctx.fail(`output shape ${JSON.stringify(y.shape)} is not the permuted input shape`);
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = { opcode: OpCode.Transpose, params: perm4 };
}

export function prepareConcatenation(ctx: PrepareContext): void {
  const y = ctx.output();
  if (ctx.op.inputs.length < 1) ctx.fail('needs at least one input');
  ctx.expectDtype(y, ['int8', 'int16'], 'output'); // int16: the same byte copies (variant CONCAT by element size)
  requireRank4(ctx, y.shape, 'output');
  if ((ctx.op.options.activation ?? 'NONE') !== 'NONE') ctx.fail('a fused activation on CONCATENATION is not supported');
  const rank = y.shape.length;
  const axis = (ctx.op.options.axis as number) < 0 ? (ctx.op.options.axis as number) + rank : (ctx.op.options.axis as number);
  if (axis < 0 || axis >= rank) ctx.fail(`axis ${ctx.op.options.axis} out of range for rank ${rank}`);
  const yq = ctx.quant(y, 'output');
  let total = 0;
  ctx.op.inputs.forEach((_, k) => {
    const x = ctx.input(k, `input ${k}`);
    ctx.expectDtype(x, [y.dtype], `input ${k}`);
    if (x.shape.length !== rank || x.shape.some((d, i) => i !== axis && d !== y.shape[i])) {
      ctx.fail(`input ${k} "${x.name}" shape ${JSON.stringify(x.shape)} does not fit output ${JSON.stringify(y.shape)} on axis ${axis}`);
    }
    const xq = ctx.quant(x, `input ${k}`);
    // TFLM requires identical quantization for int8 concatenation (it copies bytes).
    if (xq.scale !== yq.scale || xq.zeroPoint !== yq.zeroPoint) ctx.fail(`input ${k} "${x.name}" quantization differs from the output's`);
    total += x.shape[axis];
  });
  if (total !== y.shape[axis]) ctx.fail(`inputs sum to ${total} on axis ${axis}, output has ${y.shape[axis]}`);
  ctx.op.kernel = { opcode: OpCode.Concatenation, params: [axis + 4 - rank] };
}

/** RESHAPE, SQUEEZE, EXPAND_DIMS: same bytes, new shape. The output aliases the input. */
export function prepareAlias(ctx: PrepareContext): void {
  const x = ctx.input(0, 'input'), y = ctx.output();
  if (ctx.op.outputs.length !== 1) ctx.fail('expects one output');
  if (x.dtype !== y.dtype) ctx.fail(`input is ${x.dtype}, output is ${y.dtype}`);
  const n = (s: number[]) => s.reduce((a, d) => a * d, 1);
  if (n(x.shape) !== n(y.shape)) ctx.fail(`input ${JSON.stringify(x.shape)} and output ${JSON.stringify(y.shape)} sizes differ`);
  if (x.quant && y.quant && (x.quant.scale[0] !== y.quant.scale[0] || x.quant.zeroPoint[0] !== y.quant.zeroPoint[0])) {
    ctx.fail('input and output quantization differ');
  }
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.alias = true;
  if (x.data) {
    // Reshape of a constant: the output is the same constant bytes under a new shape.
    y.data = x.data;
    y.quant ??= x.quant;
  }
}
