// Float reference for the reductions of issue 10: ARG_MAX / ARG_MIN (the first index of the
// extreme along one axis, written as a number; the tensor itself is int32), REDUCE_MAX and
// SUM over constant axes, L2_NORMALIZATION over the last axis (TFLite's float kernel:
// x / sqrt(max(sum x^2, 1e-6))).

import { elementCount } from '../ir/graph.js';
import type { FloatOp } from './interpret.js';
import { expectCount, pad4, strides4 } from './movement.js';

type Kernel = (ctx: FloatOp) => Float32Array;

/** Folds every input element into its output slot: the axes of input 1 are reduced (rank <= 4). */
function reduce(ctx: FloatOp, init: number, fold: (acc: number, v: number) => number): Float32Array {
  const rank = ctx.shape(0).length, lead = 4 - rank;
  const axes = new Set(ctx.ints(1).map((a) => lead + (a < 0 ? a + rank : a)));
  const xs = pad4(ctx.shape(0)), x = ctx.x(0);
  const ys = xs.map((d, k) => (axes.has(k) ? 1 : d)), sy = strides4(ys);
  expectCount(ctx, elementCount(ys));
  const out = new Float32Array(elementCount(ys)).fill(init);
  let p = 0;
  for (let i0 = 0; i0 < xs[0]; i0++) for (let i1 = 0; i1 < xs[1]; i1++) for (let i2 = 0; i2 < xs[2]; i2++) for (let i3 = 0; i3 < xs[3]; i3++) {
    const o = (axes.has(0) ? 0 : i0 * sy[0]) + (axes.has(1) ? 0 : i1 * sy[1]) + (axes.has(2) ? 0 : i2 * sy[2]) + (axes.has(3) ? 0 : i3);
    out[o] = fold(out[o], x[p++]);
  }
  return out;
}

/** ARG_MAX / ARG_MIN over the one axis of input 1; ties keep the first index, as TFLite. */
function argExtreme(better: (v: number, best: number) => boolean): Kernel {
  return (ctx) => {
    const xs = ctx.shape(0), x = ctx.x(0);
    let axis = ctx.ints(1)[0];
    if (axis < 0) axis += xs.length;
    const outer = xs.slice(0, axis).reduce((a, d) => a * d, 1), size = xs[axis], inner = xs.slice(axis + 1).reduce((a, d) => a * d, 1);
    expectCount(ctx, outer * inner);
    const out = new Float32Array(outer * inner);
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
      let best = 0;
      for (let k = 1; k < size; k++) if (better(x[(o * size + k) * inner + i], x[(o * size + best) * inner + i])) best = k;
      out[o * inner + i] = best;
    }
    return out;
  };
}

const l2Normalization: Kernel = (ctx) => {
  const x = ctx.x(0), shape = ctx.shape(0), depth = shape[shape.length - 1];
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += depth) {
    let sum = 0;
    for (let k = 0; k < depth; k++) sum += x[r + k] * x[r + k];
    const norm = Math.sqrt(Math.max(sum, 1e-6));
    for (let k = 0; k < depth; k++) out[r + k] = x[r + k] / norm;
  }
  return out;
};

export const REDUCE_KERNELS: Record<string, Kernel> = {
  ARG_MAX: argExtreme((v, best) => v > best),
  ARG_MIN: argExtreme((v, best) => v < best),
  REDUCE_MAX: (ctx) => reduce(ctx, -Infinity, (acc, v) => Math.max(acc, v)),
  SUM: (ctx) => reduce(ctx, 0, (acc, v) => acc + v),
  L2_NORMALIZATION: l2Normalization,
};
