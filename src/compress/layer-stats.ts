// Layer input statistics for error-compensated compression: for every conv / depthwise /
// FC filter, the Gram matrix H = X^T X and the mean of the int8 patches X the filter rows
// multiply (values x - input zero point, 0 in the padding), over the calibration set.
// The int8 activations come from running the int8 model itself in the runtime, with every
// filter's input made a graph output. Memory stays bounded: one K x K matrix per layer
// (depthwise: one kh*kw square per input channel), never the patches; when a layer has more
// patches than GRAM_BUDGET / K^2, each sample contributes an evenly spaced subset of its
// output positions (phase shifted by the golden ratio per sample, so samples cover different
// positions); GRAM_TOTAL caps the sum over layers. Sequential statistics (calibrated.ts)
// take the patches from a graph whose earlier filters are already compressed, with their
// cross moments against the int8 graph's patches at the same positions. Deterministic for a
// given graph and sample order.

import { Graph } from '../ir/graph.js';
import { emit } from '../convert.js';
import { load } from '../runtime/loader.js';
import { WeightRef, weightRefs } from '../passes/weights.js';
import { layoutWeights } from '../passes/layout-weights.js';

/** Multiply-adds spent on one layer's Gram matrix (patches x K^2): about a second of JavaScript. */
export const GRAM_BUDGET = 1e9;
/**
 * Multiply-adds spent on all the layers' Gram matrices together: a model with more than
 * GRAM_TOTAL / GRAM_BUDGET filters (mobilenet_v2: 53) gives each an equal share, so its
 * statistics take minutes, not tens of minutes; ic_resnet8 (9 filters) keeps GRAM_BUDGET each.
 */
export const GRAM_TOTAL = 1.2e10;

/** Patches per row weight sequential statistics need to keep their cross moments and int8 means. */
export const CROSS_PATCHES_PER_WEIGHT = 8;

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
  /**
   * Sequential statistics only: the patches above are the inputs the model with the earlier
   * layers already compressed gives (x~); per Gram matrix, cross = sum x~ x^T (K x K,
   * row-major) with the int8 model's patches x at the same positions, and refMeans the mean x.
   */
  cross?: Float64Array[];
  refMeans?: Float64Array[];
}

/** The Gram matrix and mean patch row r of the filter multiplies. */
export function statsForRow(s: LayerStats, r: number): { gram: Float64Array; mean: Float64Array } {
  const i = s.rowsPerGram ? Math.floor(r / s.rowsPerGram) : 0;
  return { gram: s.grams[i], mean: s.means[i] };
}

/** Accumulates one layer's patches (xr: the int8 model's activation, sequential statistics). */
interface Collector {
  add(x: Int8Array, sample: number, xr: Int8Array | null): void;
  finish(): LayerStats;
}

export interface SequentialInputs {
  /** The graph with some filters compressed (same tensor indices): its activations are x~; absent: plain statistics of `only`. */
  compressed?: Graph;
  /** Filter tensors whose statistics to collect. */
  only: Set<number>;
}

/** Bytes as `run` returns them, seen as int8. */
const int8Of = (u8: Uint8Array) => new Int8Array(u8.buffer, u8.byteOffset, u8.length);

/** The tensor whose bytes t shares: t itself, or what the reshape aliases that produce it start from. */
function aliasRoot(g: Graph, t: number): number {
  for (let guard = 0; guard < g.ops.length; guard++) {
    const op = g.ops.find((o) => o.alias && o.outputs[0] === t);
    if (!op) return t;
    t = op.inputs[0];
  }
  return t;
}

/** A runnable copy of g with the inputs of the given filters as extra graph outputs. */
async function probeModel(g: Graph, probeOutputs: number[]): Promise<{ run: (inputs: Uint8Array[]) => Uint8Array[]; outputs: number[] }> {
  const probe: Graph = { ...g, outputs: [...g.outputs, ...probeOutputs.filter((t) => !g.outputs.includes(t))] };
  // weights in the fast kernels' layouts: the reference layout runs mobilenet_v2 ~40x slower
  const model = await load(emit(layoutWeights(probe), 'io').epk);
  return { run: (inputs) => model.run(...inputs), outputs: probe.outputs };
}

/**
 * Runs the int8 graph (after prepare-kernels) on every sample and returns the statistics of
 * each filter it can describe, keyed by the filter's tensor index. Grouped convolutions and
 * rows longer than MAX_ROW are skipped (they keep data-free compression). With `sequential`,
 * only the filters named there, on the inputs the compressed graph gives, with the cross
 * moments against the int8 graph's inputs.
 */
export async function collectLayerStats(g: Graph, samples: Uint8Array[][], log?: (line: string) => void, sequential?: SequentialInputs): Promise<Map<number, LayerStats>> {
  const all = weightRefs(g);
  const refs = sequential ? all.filter((r) => sequential.only.has(r.t)) : all;
  const described = all.filter((r) => describable(g, r)).length;
  const gramBudget = Math.min(GRAM_BUDGET, GRAM_TOTAL / Math.max(1, described));
  const collectors = new Map<number, Collector>();
  for (const ref of refs) {
    const c = collectorFor(g, ref, samples.length, gramBudget, !!sequential?.compressed);
    if (c) collectors.set(ref.t, c);
  }
  // a filter's input may be a reshape of another tensor (micro_speech: of the graph input): its root holds the bytes
  const source = new Map(refs.map((r) => [r.t, aliasRoot(g, r.op.inputs[0])]));
  const probeOutputs = [...new Set(refs.filter((r) => collectors.has(r.t)).map((r) => source.get(r.t)!).filter((t) => !g.inputs.includes(t)))];
  const reference = await probeModel(g, probeOutputs);
  const compressed = sequential?.compressed ? await probeModel(sequential.compressed, probeOutputs) : null;
  const started = Date.now();
  let shown = started;
  for (const [s, inputs] of samples.entries()) {
    const outs = reference.run(inputs), outsC = compressed?.run(inputs);
    const activation = (t: number, o: Uint8Array[], names: number[]): Int8Array => int8Of(g.inputs.includes(t) ? inputs[g.inputs.indexOf(t)] : o[names.indexOf(t)]);
    for (const ref of refs) {
      const c = collectors.get(ref.t);
      if (!c) continue; // a filter kept data-free (grouped, or rows over MAX_ROW): its input is no probe output
      const t = source.get(ref.t)!, x = activation(t, outs, reference.outputs);
      if (outsC) c.add(activation(t, outsC, compressed!.outputs), s, x);
      else c.add(x, s, null);
    }
    if (log && (Date.now() - shown > 2000 || s === samples.length - 1)) {
      shown = Date.now();
      log(`calibration: layer inputs of ${s + 1}/${samples.length} samples${sequential?.compressed ? ` (${collectors.size} layers, inputs from the partly compressed model)` : ''} (${((shown - started) / 1000).toFixed(1)} s)`);
    }
  }
  const stats = new Map<number, LayerStats>();
  for (const [t, c] of collectors) stats.set(t, c.finish());
  return stats;
}

/** Whether the filter gets statistics: rows up to MAX_ROW, not a grouped convolution. */
function describable(g: Graph, ref: WeightRef): boolean {
  if (!ref.op.kernel?.params || ref.layout.rowElems > MAX_ROW) return false;
  return ref.op.type !== 'CONV_2D' || ref.tensor.shape[3] === g.tensors[ref.op.inputs[0]].shape[3];
}

function collectorFor(g: Graph, ref: WeightRef, sampleCount: number, gramBudget: number, withReference: boolean): Collector | null {
  if (!describable(g, ref)) return null;
  const p = ref.op.kernel!.params;
  const x = g.tensors[ref.op.inputs[0]], y = g.tensors[ref.op.outputs[0]];
  if (ref.op.type === 'FULLY_CONNECTED') return new FcCollector(ref.tensor.shape[1], p[0], withReference);
  const [n, h, w, c] = x.shape;
  const [, kh, kw] = ref.tensor.shape;
  const geo: Geometry = { n, h, w, c, kh, kw, oh: y.shape[1], ow: y.shape[2], strideH: p[0], strideW: p[1], dilH: p[2], dilW: p[3], padTop: p[4], padLeft: p[5], offset: p[6] };
  if (ref.op.type === 'DEPTHWISE_CONV_2D') return new DepthwiseCollector(geo, p[10], sampleCount, gramBudget, withReference);
  return new ConvCollector(geo, sampleCount, gramBudget, withReference);
}

interface Geometry {
  n: number; h: number; w: number; c: number; kh: number; kw: number; oh: number; ow: number;
  strideH: number; strideW: number; dilH: number; dilW: number; padTop: number; padLeft: number;
  /** Input offset: -zero point. */
  offset: number;
}

/**
 * Running moments of one Gram matrix: sum v v^T (upper triangle), sum v and, with a reference
 * patch vr at the same position, the cross sum v vr^T and sum vr. Zero entries are skipped.
 */
class Moments {
  readonly gram: Float64Array;
  readonly sum: Float64Array;
  readonly cross?: Float64Array;
  readonly refSum?: Float64Array;
  private nz: Int32Array;
  private nzr: Int32Array;
  constructor(private k: number, withReference: boolean) {
    this.gram = new Float64Array(k * k);
    this.sum = new Float64Array(k);
    this.nz = new Int32Array(k);
    this.nzr = new Int32Array(k);
    if (withReference) {
      this.cross = new Float64Array(k * k);
      this.refSum = new Float64Array(k);
    }
  }
  add(v: Float64Array, vr: Float64Array | null): void {
    const { k, gram, sum, nz } = this;
    let m = 0;
    for (let i = 0; i < k; i++) {
      if (v[i] !== 0) nz[m++] = i;
      sum[i] += v[i];
    }
    for (let a = 0; a < m; a++) {
      const i = nz[a], vi = v[i], row = i * k;
      for (let b = a; b < m; b++) gram[row + nz[b]] += vi * v[nz[b]];
    }
    if (!vr || !this.cross) return;
    const cross = this.cross, refSum = this.refSum!, nzr = this.nzr;
    let mr = 0;
    for (let i = 0; i < k; i++) {
      if (vr[i] !== 0) nzr[mr++] = i;
      refSum[i] += vr[i];
    }
    for (let a = 0; a < m; a++) {
      const i = nz[a], vi = v[i], row = i * k;
      for (let b = 0; b < mr; b++) cross[row + nzr[b]] += vi * vr[nzr[b]];
    }
  }
  /** Mirrors the Gram matrix's upper triangle and divides the sums by the count. */
  finish(count: number): void {
    const { k, gram, sum } = this;
    for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) gram[j * k + i] = gram[i * k + j];
    for (let i = 0; i < k; i++) sum[i] /= Math.max(1, count);
    if (this.refSum) for (let i = 0; i < k; i++) this.refSum[i] /= Math.max(1, count);
  }
}

function statsOf(k: number, moments: Moments[], rowsPerGram: number, patches: number): LayerStats {
  moments.forEach((m) => m.finish(patches));
  const stats: LayerStats = { k, grams: moments.map((m) => m.gram), means: moments.map((m) => m.sum), rowsPerGram, patches };
  // the cross moments fit K x K numbers per row, and the mean input error K numbers: with
  // fewer than CROSS_PATCHES_PER_WEIGHT x K patches (an FC layer sees one per input) both
  // follow the calibration inputs, so the layer gets plain statistics of its inputs x~
  if (moments[0].cross && patches >= CROSS_PATCHES_PER_WEIGHT * k) {
    stats.cross = moments.map((m) => m.cross!);
    stats.refMeans = moments.map((m) => m.refSum!);
  }
  return stats;
}

/** Patch cost relative to plain statistics: sequential ones also fill the full cross matrix (twice the Gram's upper triangle). */
const costOf = (withReference: boolean) => (withReference ? 3 : 1);

/** Output positions sample s contributes: all, or `take` evenly spaced ones with a per-sample phase. */
function positions(total: number, take: number, s: number): number[] {
  if (take >= total) return Array.from({ length: total }, (_, i) => i);
  const step = total / take, phase = (s * 0.6180339887498949) % 1;
  return Array.from({ length: take }, (_, j) => Math.min(total - 1, Math.floor((j + phase) * step)));
}

class FcCollector implements Collector {
  private moments: Moments;
  private v: Float64Array;
  private vr: Float64Array;
  private count = 0;
  constructor(private k: number, private offset: number, withReference: boolean) {
    this.moments = new Moments(k, withReference);
    this.v = new Float64Array(k);
    this.vr = new Float64Array(k);
  }
  add(x: Int8Array, _s: number, xr: Int8Array | null): void {
    for (let b = 0; b + this.k <= x.length; b += this.k) {
      for (let i = 0; i < this.k; i++) this.v[i] = x[b + i] + this.offset;
      if (xr) for (let i = 0; i < this.k; i++) this.vr[i] = xr[b + i] + this.offset;
      this.moments.add(this.v, xr && this.vr);
      this.count++;
    }
  }
  finish(): LayerStats {
    return statsOf(this.k, [this.moments], 0, this.count);
  }
}

/** The patch of output position (b, oy, ox): every input channel (ch < 0) or channel ch alone, 0 in the padding. */
function fillPatch(geo: Geometry, x: Int8Array, b: number, oy: number, ox: number, ch: number, v: Float64Array): void {
  const { h, w, c, kh, kw } = geo;
  const c0 = ch < 0 ? 0 : ch, c1 = ch < 0 ? c : ch + 1;
  let e = 0;
  for (let ky = 0; ky < kh; ky++) {
    const iy = oy * geo.strideH - geo.padTop + ky * geo.dilH;
    for (let kx = 0; kx < kw; kx++) {
      const ix = ox * geo.strideW - geo.padLeft + kx * geo.dilW;
      const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
      const base = ((b * h + iy) * w + ix) * c;
      for (let ci = c0; ci < c1; ci++) v[e++] = inside ? x[base + ci] + geo.offset : 0;
    }
  }
}

class ConvCollector implements Collector {
  private k: number;
  private moments: Moments;
  private v: Float64Array;
  private vr: Float64Array;
  private perSample: number;
  private count = 0;
  constructor(private geo: Geometry, sampleCount: number, gramBudget: number, withReference: boolean) {
    this.k = geo.kh * geo.kw * geo.c;
    this.moments = new Moments(this.k, withReference);
    this.v = new Float64Array(this.k);
    this.vr = new Float64Array(this.k);
    this.perSample = Math.max(1, Math.ceil(gramBudget / (this.k * this.k * costOf(withReference)) / sampleCount));
  }
  add(x: Int8Array, s: number, xr: Int8Array | null): void {
    const { n, oh, ow } = this.geo;
    for (const pos of positions(n * oh * ow, this.perSample, s)) {
      const b = Math.floor(pos / (oh * ow)), oy = Math.floor(pos / ow) % oh, ox = pos % ow;
      fillPatch(this.geo, x, b, oy, ox, -1, this.v);
      if (xr) fillPatch(this.geo, xr, b, oy, ox, -1, this.vr);
      this.moments.add(this.v, xr && this.vr);
      this.count++;
    }
  }
  finish(): LayerStats {
    return statsOf(this.k, [this.moments], 0, this.count);
  }
}

class DepthwiseCollector implements Collector {
  private k: number;
  private moments: Moments[];
  private v: Float64Array;
  private vr: Float64Array;
  private perSample: number;
  private count = 0;
  constructor(private geo: Geometry, private multiplier: number, sampleCount: number, gramBudget: number, withReference: boolean) {
    this.k = geo.kh * geo.kw;
    this.moments = Array.from({ length: geo.c }, () => new Moments(this.k, withReference));
    this.v = new Float64Array(this.k);
    this.vr = new Float64Array(this.k);
    this.perSample = Math.max(1, Math.ceil(gramBudget / (this.k * this.k * geo.c * costOf(withReference)) / sampleCount));
  }
  add(x: Int8Array, s: number, xr: Int8Array | null): void {
    const { n, c, oh, ow } = this.geo;
    for (const pos of positions(n * oh * ow, this.perSample, s)) {
      const b = Math.floor(pos / (oh * ow)), oy = Math.floor(pos / ow) % oh, ox = pos % ow;
      for (let ci = 0; ci < c; ci++) {
        fillPatch(this.geo, x, b, oy, ox, ci, this.v);
        if (xr) fillPatch(this.geo, xr, b, oy, ox, ci, this.vr);
        this.moments[ci].add(this.v, xr && this.vr);
      }
      this.count++;
    }
  }
  finish(): LayerStats {
    return statsOf(this.k, this.moments, this.multiplier, this.count);
  }
}
