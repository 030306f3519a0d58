// Prepare for the int8 data-movement ops of issue 10, each lowered to TABLE_COPY
// (assembly/kernels/table-copy.ts): the output is viewed as [v0, v1, v2, v3] and every
// output element is the input element at t0[i0] + t1[i1] + t2[i2] + t3[i3], the tables
// computed here from TFLite's reference index arithmetic. Bytes are copied as TFLM does
// (no requantization). RESIZE_NEAREST_NEIGHBOR, MIRROR_PAD, DEPTH_TO_SPACE, SPACE_TO_DEPTH,
// BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND (its padding a PADV2 before it, lower-space-to-batch.ts)
// and GATHER with constant indices (indices read at run time, or varying over batch_dims, go
// to the GATHER kernel instead, assembly/kernels/gather.ts).

import { OpCode } from '../../format/constants.js';
import { Tensor } from '../../ir/graph.js';
import { PrepareContext, shape4 } from './context.js';

/** u16 param count of an op record: 4 view dims and the tables must fit. */
const MAX_PARAMS = 0xffff;

type Tables = [number[], number[], number[], number[]];

/** Row-major element strides of a 4-D shape. */
function strides4(s: number[]): number[] {
  return [s[1] * s[2] * s[3], s[2] * s[3], s[3], 1];
}

function range(n: number, f: (i: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

/** Sets op's kernel to TABLE_COPY of the tables (one per view axis); only input 0 stays. */
function emitTableCopy(ctx: PrepareContext, tables: Tables): void {
  const view = tables.map((t) => t.length);
  const y = ctx.output();
  if (view.reduce((a, d) => a * d, 1) !== y.shape.reduce((a, d) => a * d, 1)) throw new Error(`table view ${JSON.stringify(view)} does not cover output ${JSON.stringify(y.shape)}`);
  const count = 4 + view.reduce((a, d) => a + d, 0);
  if (count > MAX_PARAMS) ctx.fail(`output ${JSON.stringify(y.shape)} needs ${count} index-table params, more than an op record holds (${MAX_PARAMS})`);
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = { opcode: OpCode.TableCopy, params: [...view, ...tables.flat()] };
}

/** Input and output int8 with rank 1..4; TFLM copies the bytes, so only the dtypes matter. */
function int8Pair(ctx: PrepareContext, rank?: number): { x: Tensor; y: Tensor } {
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  if (rank !== undefined) ctx.expectRank(x, rank, 'input');
  if (x.shape.length < 1 || x.shape.length > 4) ctx.fail(`input "${x.name}" has rank ${x.shape.length}; ranks 1 to 4 are supported`);
  if (y.shape.length > 4) ctx.fail(`output "${y.name}" has rank ${y.shape.length}; ranks up to 4 are supported`);
  return { x, y };
}

function expectShape(ctx: PrepareContext, y: Tensor, shape: number[]): void {
  if (!ctx.sameShape(y, { ...y, shape })) ctx.fail(`output "${y.name}" has shape ${JSON.stringify(y.shape)}; the op gives ${JSON.stringify(shape)}`);
}

/** TFLite's GetNearestNeighbor, in float32 as TFLM computes it. */
export function nearestIndex(v: number, inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): number {
  const f = Math.fround;
  const scale = alignCorners && outSize > 1 ? f((inSize - 1) / f(outSize - 1)) : f(inSize / f(outSize));
  const pos = f(f(v + (halfPixel ? 0.5 : 0)) * scale);
  const rounded = alignCorners ? Math.sign(pos) * Math.round(Math.abs(pos)) : Math.floor(pos); // std::round: half away from zero
  const i = Math.min(rounded, inSize - 1);
  return halfPixel ? Math.max(0, i) : i;
}

/** The constant [height, width] of a resize op (input 1), checked against the output. */
export function resizeSize(ctx: PrepareContext, x: Tensor, y: Tensor): [number, number] {
  const size = ctx.intValues(ctx.input(1, 'size'), 'size');
  if (size.length !== 2 || size.some((d) => d < 1)) ctx.fail(`size ${JSON.stringify(size)} must be two values >= 1`);
  expectShape(ctx, y, [x.shape[0], size[0], size[1], x.shape[3]]);
  return [size[0], size[1]];
}

export function prepareResizeNearest(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const { x, y } = int8Pair(ctx, 4);
  const [oh, ow] = resizeSize(ctx, x, y);
  const align = ctx.op.options.alignCorners === true, half = ctx.op.options.halfPixelCenters === true;
  const s = strides4(x.shape);
  emitTableCopy(ctx, [
    range(x.shape[0], (b) => b * s[0]),
    range(oh, (i) => nearestIndex(i, x.shape[1], oh, align, half) * s[1]),
    range(ow, (i) => nearestIndex(i, x.shape[2], ow, align, half) * s[2]),
    range(x.shape[3], (c) => c),
  ]);
}

/** TFLite's MirrorPad GetInputDimension: offset 1 for REFLECT (edge not repeated), 0 for SYMMETRIC. */
export function mirrorIndex(o: number, before: number, size: number, offset: number): number {
  if (o < before) {
    const original = before + offset - 1;
    return original - Math.min(o, original - offset);
  }
  const i = o - before;
  if (i < size) return i;
  const original = size - (1 + offset);
  return original - Math.min(i - size, original);
}

export function prepareMirrorPad(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const { x, y } = int8Pair(ctx);
  const rank = x.shape.length;
  const pads = ctx.intValues(ctx.input(1, 'paddings'), 'paddings');
  if (pads.length !== 2 * rank) ctx.fail(`paddings has ${pads.length} values; the input has rank ${rank} (needs ${2 * rank})`);
  const mode = ctx.op.options.mode as number;
  if (mode !== 0 && mode !== 1) ctx.fail(`mode ${mode} is not REFLECT (0) or SYMMETRIC (1)`);
  const offset = mode === 0 ? 1 : 0;
  x.shape.forEach((d, k) => {
    const [b, a] = [pads[2 * k], pads[2 * k + 1]];
    if (b < 0 || a < 0 || b > d - offset || a > d - offset) {
      ctx.fail(`paddings [${b}, ${a}] of axis ${k} (size ${d}) out of range: ${mode === 0 ? 'REFLECT' : 'SYMMETRIC'} pads at most ${d - offset}`);
    }
  });
  expectShape(ctx, y, x.shape.map((d, k) => d + pads[2 * k] + pads[2 * k + 1]));
  const lead = 4 - rank, x4 = shape4(x.shape), s = strides4(x4);
  const before4 = [0, 1, 2, 3].map((k) => (k < lead ? 0 : pads[2 * (k - lead)]));
  const y4 = shape4(y.shape);
  emitTableCopy(ctx, [0, 1, 2, 3].map((k) => range(y4[k], (o) => mirrorIndex(o, before4[k], x4[k], offset) * s[k])) as Tables);
}

function blockSize(ctx: PrepareContext): number {
  return ctx.op.options.blockSize as number;
}

export function prepareDepthToSpace(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const { x, y } = int8Pair(ctx, 4);
  const bs = blockSize(ctx);
  const [n, h, w, c] = x.shape;
  if (c % (bs * bs) !== 0) ctx.fail(`input depth ${c} is not a multiple of block_size^2 (${bs * bs})`);
  const oc = c / (bs * bs);
  expectShape(ctx, y, [n, h * bs, w * bs, oc]);
  const s = strides4(x.shape);
  emitTableCopy(ctx, [
    range(n, (b) => b * s[0]),
    range(h * bs, (oy) => Math.floor(oy / bs) * s[1] + (oy % bs) * bs * oc),
    range(w * bs, (ox) => Math.floor(ox / bs) * s[2] + (ox % bs) * oc),
    range(oc, (k) => k),
  ]);
}

export function prepareSpaceToDepth(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const { x, y } = int8Pair(ctx, 4);
  const bs = blockSize(ctx);
  const [n, h, w, c] = x.shape;
  if (h % bs !== 0 || w % bs !== 0) ctx.fail(`input height ${h} and width ${w} must be multiples of block_size ${bs}`);
  expectShape(ctx, y, [n, h / bs, w / bs, c * bs * bs]);
  const s = strides4(x.shape);
  emitTableCopy(ctx, [
    range(n, (b) => b * s[0]),
    range(h / bs, (oy) => oy * bs * s[1]),
    range(w / bs, (ox) => ox * bs * s[2]),
    range(c * bs * bs, (od) => Math.floor(od / (c * bs)) * s[1] + (Math.floor(od / c) % bs) * s[2] + (od % c)),
  ]);
}

/** block_shape and the [2, 2]-style crops/paddings of a rank-3 or rank-4 *_ND op, as 4-D (a rank-3 op has width 1, block 1). */
function blockOperands(ctx: PrepareContext, x: Tensor, what: string): { block: [number, number]; pad: [number, number, number, number] } {
  const rank = x.shape.length;
  if (rank !== 3 && rank !== 4) ctx.fail(`input "${x.name}" has rank ${rank}; ranks 3 and 4 are supported`);
  const spatial = rank - 2;
  const block = ctx.intValues(ctx.input(1, 'block_shape'), 'block_shape');
  const pads = ctx.intValues(ctx.input(2, what), what);
  if (block.length !== spatial || block.some((b) => b < 1)) ctx.fail(`block_shape ${JSON.stringify(block)} must be ${spatial} values >= 1`);
  if (pads.length !== 2 * spatial || pads.some((p) => p < 0)) ctx.fail(`${what} ${JSON.stringify(pads)} must be ${2 * spatial} values >= 0`);
  return spatial === 2
    ? { block: [block[0], block[1]], pad: [pads[0], pads[1], pads[2], pads[3]] }
    : { block: [block[0], 1], pad: [pads[0], pads[1], 0, 0] };
}

export function prepareBatchToSpace(ctx: PrepareContext): void {
  ctx.expectCounts(3, 3);
  const { x, y } = int8Pair(ctx);
  const { block: [bh, bw], pad: [ct, cb, cl, cr] } = blockOperands(ctx, x, 'crops');
  const x4 = x.shape.length === 3 ? [x.shape[0], x.shape[1], 1, x.shape[2]] : x.shape;
  const [ib, ih, iw, c] = x4;
  if (ib % (bh * bw) !== 0) ctx.fail(`input batch ${ib} is not a multiple of the block size ${bh * bw}`);
  const ob = ib / (bh * bw), oh = ih * bh - ct - cb, ow = iw * bw - cl - cr;
  if (oh < 1 || ow < 1) ctx.fail(`crops leave an empty output (${oh} x ${ow})`);
  expectShape(ctx, y, x.shape.length === 3 ? [ob, oh, c] : [ob, oh, ow, c]);
  const s = strides4(x4);
  emitTableCopy(ctx, [
    range(ob, (b) => b * s[0]),
    range(oh, (i) => ((i + ct) % bh) * bw * ob * s[0] + Math.floor((i + ct) / bh) * s[1]),
    range(ow, (i) => ((i + cl) % bw) * ob * s[0] + Math.floor((i + cl) / bw) * s[2]),
    range(c, (k) => k),
  ]);
}

export function prepareSpaceToBatch(ctx: PrepareContext): void {
  ctx.expectCounts(3, 3);
  const { x, y } = int8Pair(ctx);
  const { block: [bh, bw], pad } = blockOperands(ctx, x, 'paddings');
  if (pad.some((p) => p !== 0)) ctx.fail(`paddings ${JSON.stringify(pad)} must be constant and >= 0`); // lower-space-to-batch moved valid ones into a PADV2
  const x4 = x.shape.length === 3 ? [x.shape[0], x.shape[1], 1, x.shape[2]] : x.shape;
  const [ib, ih, iw, c] = x4;
  if (ih % bh !== 0 || iw % bw !== 0) ctx.fail(`input height ${ih} and width ${iw} must be multiples of block_shape ${JSON.stringify([bh, bw])}`);
  const ob = ib * bh * bw, oh = ih / bh, ow = iw / bw;
  expectShape(ctx, y, x.shape.length === 3 ? [ob, oh, c] : [ob, oh, ow, c]);
  const s = strides4(x4);
  emitTableCopy(ctx, [
    range(ob, (b) => (b % ib) * s[0] + Math.floor(Math.floor(b / ib) / bw) * s[1] + (Math.floor(b / ib) % bw) * s[2]),
    range(oh, (i) => i * bh * s[1]),
    range(ow, (i) => i * bw * s[2]),
    range(c, (k) => k),
  ]);
}

export function prepareGather(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const { x, y } = int8Pair(ctx);
  const idxT = ctx.input(1, 'indices');
  const rank = x.shape.length;
  const axis = (ctx.op.options.axis as number) < 0 ? (ctx.op.options.axis as number) + rank : (ctx.op.options.axis as number);
  if (axis < 0 || axis >= rank) ctx.fail(`axis ${ctx.op.options.axis} out of range for rank ${rank}`);
  let batchDims = ctx.op.options.batchDims as number;
  if (batchDims < 0) batchDims += idxT.shape.length;
  if (batchDims < 0 || batchDims > axis || batchDims > idxT.shape.length) ctx.fail(`batch_dims ${ctx.op.options.batchDims} must lie in [0, ${Math.min(axis, idxT.shape.length)}] (axis ${axis}, indices rank ${idxT.shape.length})`);
  for (let k = 0; k < batchDims; k++) {
    if (x.shape[k] !== idxT.shape[k]) ctx.fail(`batch axis ${k}: input has ${x.shape[k]}, indices "${idxT.name}" ${idxT.shape[k]}`);
  }
  expectShape(ctx, y, [...x.shape.slice(0, axis), ...idxT.shape.slice(batchDims), ...x.shape.slice(axis + 1)]);
  const prod = (s: number[]) => s.reduce((a, d) => a * d, 1);
  const batch = prod(x.shape.slice(0, batchDims)), outer = prod(x.shape.slice(batchDims, axis)), size = x.shape[axis], inner = prod(x.shape.slice(axis + 1));
  if (idxT.data) {
    const indices = ctx.intValues(idxT, 'indices');
    indices.forEach((v, k) => {
      if (v < 0 || v >= size) ctx.fail(`index ${v} (at position ${k} of "${idxT.name}") is outside axis ${axis} of size ${size}`);
    });
    if (batch === 1) {
      emitTableCopy(ctx, [[0], range(outer, (o) => o * size * inner), indices.map((v) => v * inner), range(inner, (i) => i)]);
      return;
    }
  }
  // indices read at run time (or varying over a batch): the GATHER kernel, which checks each
  ctx.expectDtype(idxT, ['int32'], 'indices');
  ctx.op.kernel = { opcode: OpCode.Gather, params: [batch, outer, size, inner] };
}
