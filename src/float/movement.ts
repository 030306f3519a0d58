// Float reference for the data-movement ops of issue 10 (group a and STRIDED_SLICE): every
// output element is one input element (or a bilinear blend of four), found with the same
// index arithmetic the int8 prepare uses (src/passes/prepare/table-copy.ts, strided-slice.ts),
// so calibration sees exactly the values the int8 kernels move. Rank <= 4, viewed as 4-D.

import { elementCount } from '../ir/graph.js';
import { mirrorIndex, nearestIndex } from '../passes/prepare/table-copy.js';
import { sliceAxis } from '../passes/prepare/strided-slice.js';
import type { FloatOp } from './interpret.js';

type Kernel = (ctx: FloatOp) => Float32Array;

export function pad4(s: number[]): number[] { return [...new Array(Math.max(0, 4 - s.length)).fill(1), ...s]; }
export function strides4(s: number[]): number[] { return [s[1] * s[2] * s[3], s[2] * s[3], s[3], 1]; }

/** The op's parameters give `count` values: checked against the output before any is computed (a hostile file's huge pads or blocks). */
export function expectCount(ctx: FloatOp, count: number): void {
  if (!(count === elementCount(ctx.y.shape))) ctx.fail(`produces ${count} values for output shape ${JSON.stringify(ctx.y.shape)}`);
}

/** Output (4-D view `ys`) filled by source(i0, i1, i2, i3): an input element index, or -1 for 0. */
function pick(ctx: FloatOp, ys: number[], source: (i: number[]) => number): Float32Array {
  expectCount(ctx, elementCount(ys));
  const x = ctx.x(0), out = new Float32Array(elementCount(ys));
  let p = 0;
  for (let i0 = 0; i0 < ys[0]; i0++) for (let i1 = 0; i1 < ys[1]; i1++) for (let i2 = 0; i2 < ys[2]; i2++) for (let i3 = 0; i3 < ys[3]; i3++) {
    const s = source([i0, i1, i2, i3]);
    if (s >= x.length) ctx.fail(`reads element ${s} of an input of ${x.length}`);
    out[p++] = s < 0 ? 0 : x[s];
  }
  return out;
}

const stridedSlice: Kernel = (ctx) => {
  const xs = ctx.shape(0), rank = xs.length, o = ctx.o as Record<string, number>;
  const [begin, end, strides] = [1, 2, 3].map((k) => ctx.ints(k));
  const axes = xs.map((d, k) => sliceAxis(d, begin[k], end[k], strides[k], !!(o.beginMask & (1 << k)), !!(o.endMask & (1 << k)), !!(o.shrinkAxisMask & (1 << k))));
  const lead = 4 - rank, x4 = pad4(xs), sx = strides4(x4);
  const a4 = [0, 1, 2, 3].map((k) => (k < lead ? { start: 0, stride: 1, count: 1 } : axes[k - lead]));
  return pick(ctx, a4.map((a) => a.count), (i) => i.reduce((s, v, k) => s + (a4[k].start + v * a4[k].stride) * sx[k], 0));
};

/** RESIZE_*: input [N, H, W, C], output [N, OH, OW, C] (OH, OW from the constant size input). */
function resizeDims(ctx: FloatOp): { n: number; h: number; w: number; c: number; oh: number; ow: number; align: boolean; half: boolean } {
  const [n, h, w, c] = ctx.shape(0), [, oh, ow] = ctx.y.shape;
  return { n, h, w, c, oh, ow, align: ctx.o.alignCorners === true, half: ctx.o.halfPixelCenters === true };
}

const resizeNearest: Kernel = (ctx) => {
  const { n, h, w, c, oh, ow, align, half } = resizeDims(ctx);
  return pick(ctx, [n, oh, ow, c], ([b, y, x, k]) => ((b * h + nearestIndex(y, h, oh, align, half)) * w + nearestIndex(x, w, ow, align, half)) * c + k);
};

/** TFLite's float ResizeBilinear: ComputeInterpolationValues in float32, then the four-tap blend. */
const resizeBilinear: Kernel = (ctx) => {
  const { n, h, w, c, oh, ow, align, half } = resizeDims(ctx);
  const f = Math.fround, x = ctx.x(0);
  const scale = (i: number, o: number) => (align && o > 1 ? f((i - 1) / f(o - 1)) : f(i / f(o)));
  const taps = (v: number, sc: number, size: number) => {
    const pos = half ? f(f(f(v + 0.5) * sc) - 0.5) : f(v * sc);
    return { pos, lo: Math.max(Math.floor(pos), 0), hi: Math.min(Math.ceil(pos), size - 1) };
  };
  const sh = scale(h, oh), sw = scale(w, ow);
  expectCount(ctx, n * oh * ow * c);
  const out = new Float32Array(n * oh * ow * c);
  let p = 0;
  for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) {
    const ty = taps(oy, sh, h), dy = ty.pos - ty.lo;
    for (let ox = 0; ox < ow; ox++) {
      const tx = taps(ox, sw, w), dx = tx.pos - tx.lo;
      const at = (yy: number, xx: number, k: number) => x[((b * h + yy) * w + xx) * c + k];
      for (let k = 0; k < c; k++) {
        out[p++] = at(ty.lo, tx.lo, k) * (1 - dy) * (1 - dx) + at(ty.hi, tx.lo, k) * dy * (1 - dx) + at(ty.lo, tx.hi, k) * (1 - dy) * dx + at(ty.hi, tx.hi, k) * dy * dx;
      }
    }
  }
  return out;
};

const mirrorPad: Kernel = (ctx) => {
  const xs = ctx.shape(0), rank = xs.length, pads = ctx.ints(1), lead = 4 - rank;
  const offset = ctx.o.mode === 0 ? 1 : 0;
  const x4 = pad4(xs), sx = strides4(x4), y4 = pad4(ctx.y.shape);
  const before = [0, 1, 2, 3].map((k) => (k < lead ? 0 : pads[2 * (k - lead)]));
  return pick(ctx, y4, (i) => i.reduce((s, v, k) => s + mirrorIndex(v, before[k], x4[k], offset) * sx[k], 0));
};

const depthToSpace: Kernel = (ctx) => {
  const [n, h, w, c] = ctx.shape(0), bs = ctx.o.blockSize as number, oc = c / (bs * bs);
  return pick(ctx, [n, h * bs, w * bs, oc], ([b, y, x, k]) => ((b * h + Math.floor(y / bs)) * w + Math.floor(x / bs)) * c + ((y % bs) * bs + (x % bs)) * oc + k);
};

const spaceToDepth: Kernel = (ctx) => {
  const [n, h, w, c] = ctx.shape(0), bs = ctx.o.blockSize as number;
  return pick(ctx, [n, h / bs, w / bs, c * bs * bs], ([b, y, x, d]) => {
    const by = Math.floor(d / (c * bs)), bx = Math.floor(d / c) % bs;
    return ((b * h + y * bs + by) * w + x * bs + bx) * c + (d % c);
  });
};

/** The 4-D view of a rank-3 or rank-4 *_ND op: [batch, h, w, c], block [bh, bw], pads [top, bottom, left, right]. */
function blockView(ctx: FloatOp): { x4: number[]; bh: number; bw: number; pad: number[] } {
  const xs = ctx.shape(0), block = ctx.ints(1), pads = ctx.ints(2);
  if (xs.length === 3) return { x4: [xs[0], xs[1], 1, xs[2]], bh: block[0], bw: 1, pad: [pads[0], pads[1], 0, 0] };
  return { x4: xs, bh: block[0], bw: block[1], pad: pads.slice(0, 4) };
}

const spaceToBatch: Kernel = (ctx) => {
  const { x4: [ib, ih, iw, c], bh, bw, pad: [pt, pb, pl, pr] } = blockView(ctx);
  const oh = (ih + pt + pb) / bh, ow = (iw + pl + pr) / bw;
  return pick(ctx, [ib * bh * bw, oh, ow, c], ([b, y, x, k]) => {
    const off = Math.floor(b / ib), iy = y * bh + Math.floor(off / bw) - pt, ix = x * bw + (off % bw) - pl;
    return iy < 0 || iy >= ih || ix < 0 || ix >= iw ? -1 : (((b % ib) * ih + iy) * iw + ix) * c + k;
  });
};

const batchToSpace: Kernel = (ctx) => {
  const { x4: [ib, ih, iw, c], bh, bw, pad: [ct, cb, cl, cr] } = blockView(ctx);
  const ob = ib / (bh * bw);
  return pick(ctx, [ob, ih * bh - ct - cb, iw * bw - cl - cr, c], ([b, y, x, k]) => {
    const src = (((y + ct) % bh) * bw + ((x + cl) % bw)) * ob + b;
    return ((src * ih + Math.floor((y + ct) / bh)) * iw + Math.floor((x + cl) / bw)) * c + k;
  });
};

/** GATHER with constant or input indices: outer x indices x inner, along `axis` after `batchDims`. */
const gather: Kernel = (ctx) => {
  const xs = ctx.shape(0), idxShape = ctx.shape(1), indices = ctx.ints(1), rank = xs.length;
  let axis = ctx.o.axis as number, batchDims = (ctx.o.batchDims as number) ?? 0;
  if (axis < 0) axis += rank;
  if (batchDims < 0) batchDims += idxShape.length;
  const prod = (s: number[]) => s.reduce((a, d) => a * d, 1);
  const batch = prod(xs.slice(0, batchDims)), outer = prod(xs.slice(batchDims, axis)), size = xs[axis], inner = prod(xs.slice(axis + 1));
  const perBatch = indices.length / batch, x = ctx.x(0);
  expectCount(ctx, batch * outer * perBatch * inner);
  const out = new Float32Array(batch * outer * perBatch * inner);
  let p = 0;
  for (let b = 0; b < batch; b++) for (let o = 0; o < outer; o++) for (let j = 0; j < perBatch; j++) {
    const v = indices[b * perBatch + j];
    if (v < 0 || v >= size) ctx.fail(`index ${v} is outside axis ${axis} of size ${size}`);
    const base = ((b * outer + o) * size + v) * inner;
    for (let i = 0; i < inner; i++) out[p++] = x[base + i];
  }
  return out;
};

export const MOVEMENT_KERNELS: Record<string, Kernel> = {
  STRIDED_SLICE: stridedSlice,
  RESIZE_NEAREST_NEIGHBOR: resizeNearest,
  RESIZE_BILINEAR: resizeBilinear,
  MIRROR_PAD: mirrorPad,
  DEPTH_TO_SPACE: depthToSpace,
  SPACE_TO_DEPTH: spaceToDepth,
  SPACE_TO_BATCH_ND: spaceToBatch,
  BATCH_TO_SPACE_ND: batchToSpace,
  GATHER: gather,
};
