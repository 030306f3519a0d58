// Random single-op .tflite models of issue 10's group a (data movement, resize, reductions),
// built in code for the tflm-run oracle tests (test/ops-a-tflm.test.ts) and the fuzz seed.
// Each returns the model, its random int8 inputs (INVOKES of them) and a one-line case name.

import { TfliteBuilder } from './tflite-builder.js';

export interface OpCase { model: Uint8Array; inputs: Uint8Array[][]; what: string }

type Rng = () => number;
const randInt = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const randScale = (r: Rng) => Math.fround(0.004 + r() * 0.2);
const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });
const elems = (s: number[]) => s.reduce((a, d) => a * d, 1);
const INVOKES = 2;

function int8Inputs(r: Rng, n: number): Uint8Array[][] {
  return Array.from({ length: INVOKES }, () => [Uint8Array.from({ length: n }, () => randInt(r, 0, 255))]);
}

/** x -> op(x, constant int32 operands) -> y, x and y with one random quantization unless given. */
function unary(r: Rng, type: string, xShape: number[], yShape: number[], consts: [number[], number[]][], options: Record<string, unknown>,
  yDtype: 'int8' | 'int32' = 'int8', sameQuant = true): Uint8Array {
  const b = new TfliteBuilder();
  const xq = q(randScale(r), randInt(r, -128, 127));
  const x = b.tensor('x', xShape, 'int8', xq);
  const cs = consts.map(([shape, values], k) => b.constant(`c${k}`, shape, 'int32', Int32Array.from(values)));
  const y = yDtype === 'int32' ? b.tensor('y', yShape, 'int32') : b.tensor('y', yShape, 'int8', sameQuant ? xq : q(randScale(r), randInt(r, -128, 127)));
  b.op(type, [x, ...cs], [y], options);
  b.io([x], [y]);
  return b.finish();
}

export function resizeCase(r: Rng, type: 'RESIZE_NEAREST_NEIGHBOR' | 'RESIZE_BILINEAR'): OpCase {
  const xs = [randInt(r, 1, 2), randInt(r, 1, 7), randInt(r, 1, 7), randInt(r, 1, 5)];
  const oh = randInt(r, 1, 15), ow = randInt(r, 1, 15);
  const mode = randInt(r, 0, 2); // 0 plain, 1 align_corners, 2 half_pixel_centers
  const options = { alignCorners: mode === 1, halfPixelCenters: mode === 2 };
  const model = unary(r, type, xs, [xs[0], oh, ow, xs[3]], [[[2], [oh, ow]]], options);
  return { model, inputs: int8Inputs(r, elems(xs)), what: `${JSON.stringify(xs)} -> ${oh}x${ow} ${['plain', 'align_corners', 'half_pixel_centers'][mode]}` };
}

export function argCase(r: Rng, type: 'ARG_MAX' | 'ARG_MIN'): OpCase {
  const rank = randInt(r, 1, 4);
  const xs = Array.from({ length: rank }, () => randInt(r, 1, 6));
  const axis = randInt(r, 0, rank - 1);
  const axisValue = r() < 0.3 ? axis - rank : axis;
  const ys = xs.filter((_, k) => k !== axis);
  const model = unary(r, type, xs, ys, [[[1], [axisValue]]], { outputType: 2 }, 'int32');
  // few distinct values, so ties occur
  const inputs = Array.from({ length: INVOKES }, () => [Uint8Array.from({ length: elems(xs) }, () => randInt(r, 0, 4) * 60)]);
  return { model, inputs, what: `${JSON.stringify(xs)} axis ${axisValue}` };
}

export function gatherCase(r: Rng): OpCase {
  const rank = randInt(r, 1, 3);
  const xs = Array.from({ length: rank }, () => randInt(r, 1, 6));
  const axis = randInt(r, 0, rank - 1);
  const idxRank = randInt(r, 1, 4 - rank);
  const is = Array.from({ length: idxRank }, () => randInt(r, 1, 4));
  const idx = Array.from({ length: elems(is) }, () => randInt(r, 0, xs[axis] - 1));
  const ys = [...xs.slice(0, axis), ...is, ...xs.slice(axis + 1)];
  const axisOpt = r() < 0.3 ? axis - rank : axis;
  const model = unary(r, 'GATHER', xs, ys, [[is, idx]], { axis: axisOpt });
  return { model, inputs: int8Inputs(r, elems(xs)), what: `${JSON.stringify(xs)} axis ${axisOpt} indices ${JSON.stringify(is)}` };
}

/** GATHER with int32 indices as a model input (read at run time), batch_dims 0 or more; `bad` puts one index outside the axis. */
export function gatherDynamicCase(r: Rng, bad = false): OpCase {
  const rank = randInt(r, 1, 4);
  const xs = Array.from({ length: rank }, () => randInt(r, 1, 5));
  const axis = randInt(r, 0, rank - 1);
  const batchDims = randInt(r, 0, Math.min(axis, 1));
  const is = [...xs.slice(0, batchDims), ...Array.from({ length: randInt(r, 1, Math.max(1, 4 - rank)) }, () => randInt(r, 1, 4))].slice(0, Math.max(batchDims + 1, 4 - rank + batchDims));
  const ys = [...xs.slice(0, axis), ...is.slice(batchDims), ...xs.slice(axis + 1)];
  const b = new TfliteBuilder();
  const xq = q(randScale(r), randInt(r, -128, 127));
  const x = b.tensor('x', xs, 'int8', xq);
  const idx = b.tensor('indices', is, 'int32');
  const y = b.tensor('y', ys, 'int8', xq);
  b.op('GATHER', [x, idx], [y], { axis: r() < 0.3 ? axis - rank : axis, batchDims });
  b.io([x, idx], [y]);
  const inputs = Array.from({ length: INVOKES }, () => {
    const v = Int32Array.from({ length: elems(is) }, () => randInt(r, 0, xs[axis] - 1));
    if (bad) v[randInt(r, 0, v.length - 1)] = r() < 0.5 ? -1 : xs[axis];
    return [Uint8Array.from({ length: elems(xs) }, () => randInt(r, 0, 255)), new Uint8Array(v.buffer)];
  });
  return { model: b.finish(), inputs, what: `${JSON.stringify(xs)} axis ${axis} batch_dims ${batchDims} indices ${JSON.stringify(is)} (run time)` };
}

export function mirrorPadCase(r: Rng): OpCase {
  const rank = randInt(r, 1, 4);
  const xs = Array.from({ length: rank }, () => randInt(r, 1, 5));
  const mode = randInt(r, 0, 1), offset = mode === 0 ? 1 : 0;
  const pads = xs.flatMap((d) => [randInt(r, 0, d - offset), randInt(r, 0, d - offset)]);
  const ys = xs.map((d, k) => d + pads[2 * k] + pads[2 * k + 1]);
  const model = unary(r, 'MIRROR_PAD', xs, ys, [[[rank, 2], pads]], { mode });
  return { model, inputs: int8Inputs(r, elems(xs)), what: `${JSON.stringify(xs)} pads ${JSON.stringify(pads)} ${mode ? 'SYMMETRIC' : 'REFLECT'}` };
}

export function depthSpaceCase(r: Rng, type: 'DEPTH_TO_SPACE' | 'SPACE_TO_DEPTH'): OpCase {
  const bs = randInt(r, 1, 3), n = randInt(r, 1, 2), h = randInt(r, 1, 4), w = randInt(r, 1, 4), c = randInt(r, 1, 3);
  const [xs, ys] = type === 'DEPTH_TO_SPACE'
    ? [[n, h, w, c * bs * bs], [n, h * bs, w * bs, c]]
    : [[n, h * bs, w * bs, c], [n, h, w, c * bs * bs]];
  const model = unary(r, type, xs, ys, [], { blockSize: bs });
  return { model, inputs: int8Inputs(r, elems(xs)), what: `${JSON.stringify(xs)} block ${bs}` };
}

export function reduceCase(r: Rng, type: 'REDUCE_MAX' | 'SUM'): OpCase {
  const rank = randInt(r, 1, 4);
  const xs = Array.from({ length: rank }, () => randInt(r, 1, 6));
  const axes = [...new Set(Array.from({ length: randInt(r, 1, rank) }, () => randInt(r, 0, rank - 1)))].map((a) => (r() < 0.3 ? a - rank : a));
  const keepDims = r() < 0.5;
  const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const ys = keepDims ? xs.map((d, k) => (reduced.has(k) ? 1 : d)) : xs.filter((_, k) => !reduced.has(k));
  const model = unary(r, type, xs, ys, [[[axes.length], axes]], { keepDims }, 'int8', type === 'REDUCE_MAX');
  return { model, inputs: int8Inputs(r, elems(xs)), what: `${JSON.stringify(xs)} axes ${JSON.stringify(axes)}${keepDims ? ' keep_dims' : ''}` };
}

export function batchSpaceCase(r: Rng, type: 'SPACE_TO_BATCH_ND' | 'BATCH_TO_SPACE_ND'): OpCase {
  const rank = randInt(r, 3, 4);
  const bh = randInt(r, 1, 3), bw = rank === 4 ? randInt(r, 1, 3) : 1;
  const n = randInt(r, 1, 2), h = randInt(r, 1, 3), w = randInt(r, 1, 3), c = randInt(r, 1, 3);
  const block = rank === 4 ? [bh, bw] : [bh];
  let xs: number[], ys: number[], pads: number[];
  if (type === 'SPACE_TO_BATCH_ND') {
    xs = rank === 4 ? [n, h * bh, w * bw, c] : [n, h * bh, c];
    ys = rank === 4 ? [n * bh * bw, h, w, c] : [n * bh, h, c];
    pads = block.flatMap(() => (r() < 0.5 ? [0, 0] : [randInt(r, 0, 2), randInt(r, 0, 2)]));
    const padded = [h * bh + pads[0] + pads[1], rank === 4 ? w * bw + pads[2] + pads[3] : 1];
    xs = rank === 4 ? [n, h * bh, w * bw, c] : [n, h * bh, c];
    // the padded sides must stay multiples of the block: grow the after-padding until they are
    pads[1] += (bh - (padded[0] % bh)) % bh;
    if (rank === 4) pads[3] += (bw - (padded[1] % bw)) % bw;
    const oh = (h * bh + pads[0] + pads[1]) / bh, ow = rank === 4 ? (w * bw + pads[2] + pads[3]) / bw : 1;
    ys = rank === 4 ? [n * bh * bw, oh, ow, c] : [n * bh, oh, c];
  } else {
    const ct = randInt(r, 0, bh - 1), cb = randInt(r, 0, Math.min(bh - 1, h * bh - ct - 1));
    const cl = randInt(r, 0, bw - 1), cr = randInt(r, 0, Math.min(bw - 1, w * bw - cl - 1));
    xs = rank === 4 ? [n * bh * bw, h, w, c] : [n * bh, h, c];
    ys = rank === 4 ? [n, h * bh - ct - cb, w * bw - cl - cr, c] : [n, h * bh - ct - cb, c];
    pads = rank === 4 ? [ct, cb, cl, cr] : [ct, cb];
  }
  const model = unary(r, type, xs, ys, [[[block.length], block], [[block.length, 2], pads]], {});
  return { model, inputs: int8Inputs(r, elems(xs)), what: `${JSON.stringify(xs)} block ${JSON.stringify(block)} ${type === 'SPACE_TO_BATCH_ND' ? 'paddings' : 'crops'} ${JSON.stringify(pads)}` };
}

/**
 * Every group-a op in one chain (the fuzz seed, tools/fuzz.ts): x [1, 4, 4, 8] ->
 * DEPTH_TO_SPACE -> SPACE_TO_DEPTH -> RESIZE_BILINEAR 6x6 -> MIRROR_PAD -> SPACE_TO_BATCH_ND
 * -> GATHER (batch_dims 1) -> BATCH_TO_SPACE_ND (crops) -> RESIZE_NEAREST_NEIGHBOR 5x5 -> GATHER -> SUM -> REDUCE_MAX
 * -> ARG_MAX -> y int32 [1, 5].
 */
export function buildOpsANet(): Uint8Array {
  const b = new TfliteBuilder();
  const qa = q(0.05, 3), qs = q(0.2, -7);
  const t = (name: string, shape: number[], qq = qa) => b.tensor(name, shape, 'int8', qq);
  const c = (name: string, shape: number[], v: number[]) => b.constant(name, shape, 'int32', Int32Array.from(v));
  const x = t('x', [1, 4, 4, 8]);
  const a = t('a', [1, 8, 8, 2]), bb = t('b', [1, 4, 4, 8]), cc = t('c', [1, 6, 6, 8]), d = t('d', [1, 8, 8, 8]);
  const e = t('e', [4, 4, 4, 8]), e2 = t('e2', [4, 4, 2, 8]), f = t('f', [1, 7, 3, 8]), g = t('g', [1, 5, 5, 8]), h = t('h', [1, 5, 5, 5]);
  const i = t('i', [1, 1, 5, 5], qs), j = t('j', [1, 5, 5], qs);
  const y = b.tensor('y', [1, 5], 'int32');
  b.op('DEPTH_TO_SPACE', [x], [a], { blockSize: 2 });
  b.op('SPACE_TO_DEPTH', [a], [bb], { blockSize: 2 });
  b.op('RESIZE_BILINEAR', [bb, c('s6', [2], [6, 6])], [cc], { halfPixelCenters: true });
  b.op('MIRROR_PAD', [cc, c('mp', [4, 2], [0, 0, 1, 1, 1, 1, 0, 0])], [d], { mode: 0 });
  b.op('SPACE_TO_BATCH_ND', [d, c('bs', [2], [2, 2]), c('zp', [2, 2], [0, 0, 0, 0])], [e]);
  b.op('GATHER', [e, c('bg', [4, 2], [0, 3, 1, 2, 3, 3, 2, 0])], [e2], { axis: 2, batchDims: 1 }); // indices vary over the batch: the GATHER kernel
  b.op('BATCH_TO_SPACE_ND', [e2, c('bs2', [2], [2, 2]), c('cr', [2, 2], [0, 1, 1, 0])], [f]);
  b.op('RESIZE_NEAREST_NEIGHBOR', [f, c('s5', [2], [5, 5])], [g], { alignCorners: true });
  b.op('GATHER', [g, c('gi', [5], [0, 2, 4, 6, 7])], [h], { axis: 3 });
  b.op('SUM', [h, c('sa', [1], [1])], [i], { keepDims: true });
  b.op('REDUCE_MAX', [i, c('ma', [1], [1])], [j]);
  b.op('ARG_MAX', [j, c('aa', [1], [2])], [y]);
  b.io([x], [y]);
  return b.finish();
}
