// Calibration: runs the float reference over sample inputs and records, per activation
// tensor, its range -- min/max, or the P-th / (100-P)-th percentile of a strided sample
// (at most SAMPLE_PER_RUN values per tensor per input, so 300 CIFAR images x 30
// tensors stay near 37 MB).

import { ConvertError, Graph, elementCount } from '../ir/graph.js';
import { runFloat } from './interpret.js';
import { geometry } from '../ir/geometry.js';

export type Range = [lo: number, hi: number];

export interface CalibrationOptions {
  /** Percentile in (50, 100]; 100 or absent = plain min/max. */
  percentile?: number;
  /** Most multiply-adds (floatWork) one float inference may take; default MAX_FLOAT_WORK. */
  maxWork?: number;
}

const SAMPLE_PER_RUN = 1024;

/**
 * Most multiply-adds (or pool taps) one float inference may take, as floatWork bounds them:
 * 2^30, 3.5x mobilenet_v2 224's 0.3 G and 50x ic_resnet8's 21 M estimate; the float reference runs ~70 M/s, so at most
 * ~15 s per calibration sample. A hostile file (a pool with a 2^20 x 2^20 filter, a
 * 2^20-wide input) is refused at once instead of running for hours.
 */
export const MAX_FLOAT_WORK = 2 ** 30;

/** Multiply-adds of one float inference, estimated from shapes and options (an upper bound), plus every element each op reads and every graph input's elements. */
export function floatWork(g: Graph): number {
  // every graph input is scanned for its range even when no op reads it
  let work = g.inputs.reduce((a, t) => a + elementCount(g.tensors[t].shape), 0);
  for (const op of g.ops) {
    const t = (k: number) => (op.inputs[k] >= 0 ? g.tensors[op.inputs[k]] : undefined);
    const outElems = op.outputs.reduce((a, o) => a + elementCount(g.tensors[o].shape), 0);
    work += op.inputs.reduce((a, i) => a + (i >= 0 ? elementCount(g.tensors[i].shape) : 0), 0);
    const x = t(0), w = t(1), o = op.options as Record<string, number>;
    // The float reference loops over what the input shape implies (SAME/VALID: out <= in), which a
    // hostile file can make far larger than the declared output: bound by both.
    const spatial = (c: number) => Math.max(outElems, x && x.shape.length === 4 ? x.shape[0] * x.shape[1] * x.shape[2] * c : 0);
    const dims = (s: number[] | undefined) => (s && s.length ? s : [1]);
    switch (op.type) {
      case 'CONV_2D': { const [oc, kh = 1, kw = 1, ic = 1] = dims(w?.shape); work += windowTaps(x?.shape, o, kh, kw, oc * ic) ?? spatial(oc) * kh * kw * ic; break; }
      case 'DEPTHWISE_CONV_2D': { const s = dims(w?.shape), kh = s[1] ?? 1, kw = s[2] ?? 1; work += windowTaps(x?.shape, o, kh, kw, s[s.length - 1]) ?? spatial(s[s.length - 1]) * kh * kw; break; }
      case 'FULLY_CONNECTED': { const s = dims(w?.shape); work += Math.max(outElems * s[s.length - 1], (x ? elementCount(x.shape) : 0) * s[0]); break; }
      case 'TRANSPOSE_CONV': { const f = dims(w?.shape), xin = t(2); work += (xin ? elementCount(xin.shape) : 0) * f[0] * (f[1] ?? 1) * (f[2] ?? 1); break; }
      case 'UNIDIRECTIONAL_SEQUENCE_LSTM': { const h = t(18); work += outElems * 4 * ((x?.shape[2] ?? 1) + (h?.shape[1] ?? 1)); break; }
      case 'SVDF': { const f = dims(w?.shape), m = dims(t(2)?.shape); work += (x?.shape[0] ?? 1) * (f[0] ?? 1) * ((f[1] ?? 1) + (m[1] ?? 1)); break; }
      case 'AVERAGE_POOL_2D': case 'MAX_POOL_2D': work += windowTaps(x?.shape, o, o.filterH, o.filterW, x?.shape[3] ?? 1) ?? spatial(x?.shape[3] ?? 1) * Math.max(1, o.filterH) * Math.max(1, o.filterW); break;
      default: work += outElems;
    }
  }
  return work;
}

/**
 * Multiply-adds (pool: taps) of a window op as the float reference runs it (interpret.ts conv
 * and pool: every output pixel of the geometry, every filter tap, `perTap` products per tap:
 * conv oc * ic, depthwise oc, pool C), or undefined when the shapes or options give no
 * output pixel or no finite count. A strided or global window is its own size, where the
 * input-sized bound in floatWork counts it stride^2 times over (a 16x16 stride-16 patch conv
 * over 224x224: 256x) or filter-area times over (a global pool).
 */
function windowTaps(shape: number[] | undefined, o: Record<string, number>, kh: number, kw: number, perTap: number): number | undefined {
  if (!shape || shape.length !== 4) return undefined;
  const [n, inH, inW] = shape;
  const g = geometry(o, inH, inW, kh, kw);
  if (!(g.outH >= 1 && g.outW >= 1)) return undefined; // no output pixel (a filter past the input): floatWork's bound decides
  const taps = n * g.outH * g.outW * Math.max(1, kh) * Math.max(1, kw) * perTap;
  return Number.isFinite(taps) ? taps : undefined;
}

/** Range per tensor index, for every tensor the float graph produces or takes in. */
export function calibrate(g: Graph, samples: Float32Array[][], opts: CalibrationOptions = {}): Map<number, Range> {
  const p = opts.percentile ?? 100;
  if (!(p > 50 && p <= 100)) throw new Error(`percentile ${p} must lie in (50, 100]`);
  const work = floatWork(g), limit = opts.maxWork ?? MAX_FLOAT_WORK;
  if (!(work <= limit)) {
    throw new ConvertError(`${g.source}: calibration refused: one float inference would take ~${work.toExponential(2)} multiply-adds, above the limit of ${limit} (absurd shapes or pool filter sizes; for a model this large, raise it with --max-float-work N: the float reference runs ~70 M per second per sample)`);
  }
  const minMax = new Map<number, Range>();
  const pools = new Map<number, number[]>();
  const state = new Map<number, Float32Array>(); // recurrent states: the samples are one stream, as a batch in `edgepack run`
  for (const inputs of samples) {
    runFloat(g, inputs, (t, v) => {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < v.length; i++) {
        if (v[i] < lo) lo = v[i];
        if (v[i] > hi) hi = v[i];
      }
      const r = minMax.get(t);
      minMax.set(t, r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi]);
      if (p < 100) {
        const pool = pools.get(t) ?? [];
        const step = Math.max(1, Math.floor(v.length / SAMPLE_PER_RUN));
        for (let i = 0; i < v.length; i += step) pool.push(v[i]);
        pools.set(t, pool);
      }
    }, state);
  }
  if (p === 100) return minMax;
  const ranges = new Map<number, Range>();
  for (const [t, pool] of pools) {
    pool.sort((a, b) => a - b);
    const at = (q: number) => pool[Math.min(pool.length - 1, Math.max(0, Math.round(q * (pool.length - 1))))];
    ranges.set(t, [at(1 - p / 100), at(p / 100)]);
  }
  return ranges;
}

/** Uniform random inputs in [lo, hi] for every graph input, from a seeded generator. */
export function randomInputs(g: Graph, count: number, seed = 1, lo = -1, hi = 1): Float32Array[][] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () =>
    g.inputs.map((t) => Float32Array.from({ length: elementCount(g.tensors[t].shape) }, () => lo + (hi - lo) * rand())),
  );
}

/** Small deterministic PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
