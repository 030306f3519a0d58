// Layer input statistics for error-compensated compression: for every conv / depthwise /
// FC filter, the Gram matrix H = X^T X and the mean of the int8 patches X the filter rows
// multiply (values x - input zero point, 0 in the padding), over the calibration set.
// The int8 activations come from running the int8 model itself in the runtime, with every
// filter's input made a graph output. Memory stays bounded: one K x K matrix per layer
// (depthwise: one kh*kw square per input channel), never the patches; when a layer has more
// patches than GRAM_BUDGET / K^2, each sample contributes an evenly spaced subset of its
// output positions (phase shifted by the golden ratio per sample, so samples cover different
// positions). Deterministic for a given graph and sample order.

import { Graph } from '../ir/graph.js';
import { emit } from '../convert.js';
import { load } from '../runtime/loader.js';
import { WeightRef, weightRefs } from '../passes/weights.js';

/** Multiply-adds spent on one layer's Gram matrix (patches x K^2): about a second of JavaScript. */
export const GRAM_BUDGET = 1e9;

/**
 * Longest filter row given statistics: factoring H costs ~K^3 (K = 1536: ~15 G multiply-adds,
 * tens of seconds); longer rows (micro_speech's 4000-input FC) keep data-free compression.
 */
export const MAX_ROW = 1536;

export interface LayerStats {
  /** Weights per filter row (K). */
  k: number;
  /** Gram matrices (K x K, row-major): one shared by every row, or one per input channel (depthwise). */
  grams: Float64Array[];
  /** Mean patch per Gram matrix (length K). */
  means: Float64Array[];
  /** Output channels per Gram matrix (depthwise channel multiplier); 0 when one matrix serves all rows. */
  rowsPerGram: number;
  /** Patches accumulated (per Gram matrix). */
  patches: number;
}

/** The Gram matrix and mean patch row r of the filter multiplies. */
export function statsForRow(s: LayerStats, r: number): { gram: Float64Array; mean: Float64Array } {
  const i = s.rowsPerGram ? Math.floor(r / s.rowsPerGram) : 0;
  return { gram: s.grams[i], mean: s.means[i] };
}

/** Accumulates one layer's patches. */
interface Collector {
  add(x: Int8Array, sample: number): void;
  finish(): LayerStats;
}

/**
 * Runs the int8 graph (after prepare-kernels) on every sample and returns the statistics of
 * each filter it can describe, keyed by the filter's tensor index. Grouped convolutions and
 * rows longer than MAX_ROW are skipped (they keep data-free compression).
 */
export async function collectLayerStats(g: Graph, samples: Uint8Array[][], log?: (line: string) => void): Promise<Map<number, LayerStats>> {
  const refs = weightRefs(g);
  const collectors = new Map<number, Collector>();
  for (const ref of refs) {
    const c = collectorFor(g, ref, samples.length);
    if (c) collectors.set(ref.t, c);
  }
  const probeOutputs = [...new Set(refs.filter((r) => collectors.has(r.t)).map((r) => r.op.inputs[0]).filter((t) => !g.inputs.includes(t)))];
  const probe: Graph = { ...g, outputs: [...g.outputs, ...probeOutputs.filter((t) => !g.outputs.includes(t))] };
  const model = await load(emit(probe, 'io').epk);
  const started = Date.now();
  let shown = started;
  for (const [s, inputs] of samples.entries()) {
    const outs = model.run(...inputs);
    const activation = (t: number): Int8Array => {
      const u8 = g.inputs.includes(t) ? inputs[g.inputs.indexOf(t)] : outs[probe.outputs.indexOf(t)];
      return new Int8Array(u8.buffer, u8.byteOffset, u8.length);
    };
    for (const ref of refs) collectors.get(ref.t)?.add(activation(ref.op.inputs[0]), s);
    if (log && (Date.now() - shown > 2000 || s === samples.length - 1)) {
      shown = Date.now();
      log(`calibration: layer inputs of ${s + 1}/${samples.length} samples (${((shown - started) / 1000).toFixed(1)} s)`);
    }
  }
  const stats = new Map<number, LayerStats>();
  for (const [t, c] of collectors) stats.set(t, c.finish());
  return stats;
}

function collectorFor(g: Graph, ref: WeightRef, sampleCount: number): Collector | null {
  const p = ref.op.kernel?.params;
  if (!p || ref.layout.rowElems > MAX_ROW) return null;
  const x = g.tensors[ref.op.inputs[0]], y = g.tensors[ref.op.outputs[0]];
  if (ref.op.type === 'FULLY_CONNECTED') return new FcCollector(ref.tensor.shape[1], p[0]);
  const [n, h, w, c] = x.shape;
  const [, kh, kw] = ref.tensor.shape;
  const geo: Geometry = { n, h, w, c, kh, kw, oh: y.shape[1], ow: y.shape[2], strideH: p[0], strideW: p[1], dilH: p[2], dilW: p[3], padTop: p[4], padLeft: p[5], offset: p[6] };
  if (ref.op.type === 'DEPTHWISE_CONV_2D') return new DepthwiseCollector(geo, p[10], sampleCount);
  if (ref.tensor.shape[3] !== c) return null; // grouped convolution
  return new ConvCollector(geo, sampleCount);
}

interface Geometry {
  n: number; h: number; w: number; c: number; kh: number; kw: number; oh: number; ow: number;
  strideH: number; strideW: number; dilH: number; dilW: number; padTop: number; padLeft: number;
  /** Input offset: -zero point. */
  offset: number;
}

/** Adds v v^T (upper triangle) to the K x K matrix g and v to sum, skipping zero entries. */
function accumulate(g: Float64Array, sum: Float64Array, v: Float64Array, k: number, nz: Int32Array): void {
  let m = 0;
  for (let i = 0; i < k; i++) {
    if (v[i] !== 0) nz[m++] = i;
    sum[i] += v[i];
  }
  for (let a = 0; a < m; a++) {
    const i = nz[a], vi = v[i], row = i * k;
    for (let b = a; b < m; b++) g[row + nz[b]] += vi * v[nz[b]];
  }
}

/** Mirrors the upper triangle into the lower one and divides the sums by the count. */
function finishGram(g: Float64Array, sum: Float64Array, k: number, count: number): void {
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) g[j * k + i] = g[i * k + j];
  for (let i = 0; i < k; i++) sum[i] /= Math.max(1, count);
}

/** Output positions sample s contributes: all, or `take` evenly spaced ones with a per-sample phase. */
function positions(total: number, take: number, s: number): number[] {
  if (take >= total) return Array.from({ length: total }, (_, i) => i);
  const step = total / take, phase = (s * 0.6180339887498949) % 1;
  return Array.from({ length: take }, (_, j) => Math.min(total - 1, Math.floor((j + phase) * step)));
}

class FcCollector implements Collector {
  private gram: Float64Array;
  private sum: Float64Array;
  private v: Float64Array;
  private nz: Int32Array;
  private count = 0;
  constructor(private k: number, private offset: number) {
    this.gram = new Float64Array(k * k);
    this.sum = new Float64Array(k);
    this.v = new Float64Array(k);
    this.nz = new Int32Array(k);
  }
  add(x: Int8Array): void {
    for (let b = 0; b + this.k <= x.length; b += this.k) {
      for (let i = 0; i < this.k; i++) this.v[i] = x[b + i] + this.offset;
      accumulate(this.gram, this.sum, this.v, this.k, this.nz);
      this.count++;
    }
  }
  finish(): LayerStats {
    finishGram(this.gram, this.sum, this.k, this.count);
    return { k: this.k, grams: [this.gram], means: [this.sum], rowsPerGram: 0, patches: this.count };
  }
}

class ConvCollector implements Collector {
  private k: number;
  private gram: Float64Array;
  private sum: Float64Array;
  private v: Float64Array;
  private nz: Int32Array;
  private perSample: number;
  private count = 0;
  constructor(private geo: Geometry, sampleCount: number) {
    this.k = geo.kh * geo.kw * geo.c;
    this.gram = new Float64Array(this.k * this.k);
    this.sum = new Float64Array(this.k);
    this.v = new Float64Array(this.k);
    this.nz = new Int32Array(this.k);
    this.perSample = Math.max(1, Math.ceil(GRAM_BUDGET / (this.k * this.k) / sampleCount));
  }
  add(x: Int8Array, s: number): void {
    const { n, h, w, c, kh, kw, oh, ow } = this.geo;
    for (const pos of positions(n * oh * ow, this.perSample, s)) {
      const b = Math.floor(pos / (oh * ow)), oy = Math.floor(pos / ow) % oh, ox = pos % ow;
      let e = 0;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * this.geo.strideH - this.geo.padTop + ky * this.geo.dilH;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * this.geo.strideW - this.geo.padLeft + kx * this.geo.dilW;
          const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
          const base = ((b * h + iy) * w + ix) * c;
          for (let ci = 0; ci < c; ci++) this.v[e++] = inside ? x[base + ci] + this.geo.offset : 0;
        }
      }
      accumulate(this.gram, this.sum, this.v, this.k, this.nz);
      this.count++;
    }
  }
  finish(): LayerStats {
    finishGram(this.gram, this.sum, this.k, this.count);
    return { k: this.k, grams: [this.gram], means: [this.sum], rowsPerGram: 0, patches: this.count };
  }
}

class DepthwiseCollector implements Collector {
  private k: number;
  private grams: Float64Array[];
  private sums: Float64Array[];
  private v: Float64Array;
  private nz: Int32Array;
  private perSample: number;
  private count = 0;
  constructor(private geo: Geometry, private multiplier: number, sampleCount: number) {
    this.k = geo.kh * geo.kw;
    this.grams = Array.from({ length: geo.c }, () => new Float64Array(this.k * this.k));
    this.sums = Array.from({ length: geo.c }, () => new Float64Array(this.k));
    this.v = new Float64Array(this.k);
    this.nz = new Int32Array(this.k);
    this.perSample = Math.max(1, Math.ceil(GRAM_BUDGET / (this.k * this.k * geo.c) / sampleCount));
  }
  add(x: Int8Array, s: number): void {
    const { n, h, w, c, kh, kw, oh, ow } = this.geo;
    for (const pos of positions(n * oh * ow, this.perSample, s)) {
      const b = Math.floor(pos / (oh * ow)), oy = Math.floor(pos / ow) % oh, ox = pos % ow;
      for (let ci = 0; ci < c; ci++) {
        let e = 0;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * this.geo.strideH - this.geo.padTop + ky * this.geo.dilH;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * this.geo.strideW - this.geo.padLeft + kx * this.geo.dilW;
            const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            this.v[e++] = inside ? x[((b * h + iy) * w + ix) * c + ci] + this.geo.offset : 0;
          }
        }
        accumulate(this.grams[ci], this.sums[ci], this.v, this.k, this.nz);
      }
      this.count++;
    }
  }
  finish(): LayerStats {
    this.grams.forEach((g, i) => finishGram(g, this.sums[i], this.k, this.count));
    return { k: this.k, grams: this.grams, means: this.sums, rowsPerGram: this.multiplier, patches: this.count };
  }
}
