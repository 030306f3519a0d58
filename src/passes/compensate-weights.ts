// compensate-weights: calibrated pruning and weight sharing (replaces prune + share-weights
// when calibration statistics are given). Matches each conv / depthwise / FC int8 filter that
// has layer-input statistics; emits the filter pruned (OBS saliency) and/or snapped to a
// per-tensor codebook with error compensation (src/compress/compensate.ts), keeping the
// data-free result (magnitude pruning, balanced k-means) when that has the lower output
// error on the calibration data; each row's least-squares gain then moves into the op's
// per-channel multiplier, rounded to 7 significant bits (src/compress/row-gain.ts), and the
// bias is divided by that gain and corrected by the remaining mean accumulator error. Filters
// without statistics get the data-free treatment. Guarantees: tensor.data is exactly what
// tensor.codebook decodes to; biases stay int32 (clamped); multipliers stay in [2^30, 2^31)
// or 0, shifts in [-31, 31].

import { Graph, Tensor, cloneGraph, consumers } from '../ir/graph.js';
import { LayerStats } from '../compress/layer-stats.js';
import { Compensated, FilterRows, compensateFilter, filterError, targetRows } from '../compress/compensate.js';
import { Requant, gridMultiplier, realMultiplier, rowGains } from '../compress/row-gain.js';
import { BIAS_INPUT, MULT_INPUT, SHIFT_INPUT } from './narrow-shifts.js';
import { pruneSmallest } from './prune.js';
import { shareTensor } from './share-weights.js';
import { WeightRef, weightRefs } from './weights.js';

export interface CompensateWeightsOptions {
  /** Layer-input statistics by filter tensor index (collectLayerStats). */
  stats: Map<number, LayerStats>;
  /** Default codebook bits (0 or undefined: no sharing). */
  bits?: number;
  /** Per-layer bits by source op index; 0 = no codebook there. */
  layers?: Record<number, number>;
  /** Fraction of each filter's weights set to 0. */
  prune?: number;
  /** Centroids per table by source op index (<= 2^bits; default 2^bits): the size budget's finer grid. */
  levelsLayers?: Record<number, number>;
  /** Rate weight of the entropy-constrained assignment by source op index (compensate.ts `rate`; 0 or absent: nearest centroid). */
  ratesLayers?: Record<number, number>;
  /** Per-filter outcome, by source op index, for reports and the size budget. */
  outcome?: Map<number, LayerOutcome>;
  /** Results by filter tensor, bits and prune fraction: the size budget converts many times with the same statistics. */
  cache?: Map<string, Compressed>;
  /** Only these filter tensors are compressed (sequential statistics: the groups done so far); others stay int8. */
  only?: Set<number>;
  /** Progress lines (a filter compressed, at most one line per 2 s). */
  log?: (line: string) => void;
}

/** One filter's result: its values and codebook, the rows' gains, the bias terms and the outcome. */
export interface Compressed {
  values: Int8Array;
  codebook: Compensated['codebook'];
  /** Per row: the least-squares gain (row-gain.ts), before the multiplier's rounding. */
  gains: number[];
  /** Per row: q . mean patch and w . mean int8 patch (biasTerms). */
  qMeans: number[];
  wMeans: number[];
  outcome: LayerOutcome;
}

export interface LayerOutcome {
  method: 'compensated' | 'data-free';
  /** Codebook bits (0: int8 values, pruning only). */
  bits: number;
  error: number;
  signal: number;
}

export function compensateWeights(opts: CompensateWeightsOptions): (g: Graph) => Graph {
  return (input) => {
    const g = cloneGraph(input);
    const readers = consumers(g);
    const refs = weightRefs(g), started = Date.now();
    let shown = started;
    for (const [n, ref] of refs.entries()) {
      const named = opts.layers?.[ref.op.sourceIndex];
      let bits = named ?? opts.bits ?? 0;
      if (named === undefined && ref.layout.rowElems < 1 << bits) bits = 0;
      const prune = opts.prune ?? 0;
      if ((!bits && !prune) || (opts.only && !opts.only.has(ref.t))) continue;
      const stats = opts.stats.get(ref.t);
      const f = filterRows(ref);
      const free = dataFree(ref, bits, prune);
      if (!stats || stats.k !== f.k) {
        g.tensors[ref.t] = { ...ref.tensor, data: free.values, codebook: free.codebook ?? undefined };
        continue;
      }
      const levels = bits ? Math.min(opts.levelsLayers?.[ref.op.sourceIndex] ?? 1 << bits, 1 << bits) : 0;
      const rate = bits ? opts.ratesLayers?.[ref.op.sourceIndex] ?? 0 : 0;
      const key = `${ref.t}:${bits}:${prune}${levels < 1 << bits ? `:${levels}` : ''}${rate ? `:r${rate}` : ''}`;
      let done = opts.cache?.get(key);
      if (!done) {
        done = compress(ref.tensor.data as Int8Array, f, stats, bits, prune, free, levels, rate);
        opts.cache?.set(key, done);
        if (opts.log && Date.now() - shown > 2000) {
          shown = Date.now();
          opts.log(`calibration: compressed filter ${n + 1}/${refs.length} (op ${ref.op.sourceIndex}, ${f.rows} x ${f.k}) (${((shown - started) / 1000).toFixed(1)} s)`);
        }
      }
      opts.outcome?.set(ref.op.sourceIndex, done.outcome);
      g.tensors[ref.t] = { ...ref.tensor, data: done.values, codebook: done.codebook ?? undefined };
      const gains = applyGains(g, ref, readers, done.gains);
      correctBias(g, ref, readers, gains, done.qMeans, done.wMeans);
    }
    return g;
  };
}

/**
 * Compensated or data-free, whichever has the lower output error on the calibration data;
 * then each row's gain, and the error with it (the multiplier's rounding left out: 1/128 at most).
 */
function compress(data: Int8Array, f: FilterRows, stats: LayerStats, bits: number, prune: number, free: Pick<Compensated, 'values' | 'codebook'>, levels?: number, rate?: number): Compressed {
  const comp = compensateFilter(data, f, stats, { bits, prune, levels, rate });
  const w = targetRows(data, f, stats);
  const freeError = filterError(w, rowsOf(free.values, f), f, stats);
  const chosen = comp.error <= freeError ? comp : free;
  const { gains, reduction } = rowGains(w, rowsOf(chosen.values, f), f, stats);
  const { qMeans, wMeans } = biasTerms(data, chosen.values, f, stats);
  return {
    values: chosen.values, codebook: chosen.codebook, gains, qMeans, wMeans,
    // sum s^2 (a q - w)^T H (a q - w) = signal - reduction (comp.signal: sum s^2 w^T H w, the same w and H)
    outcome: { method: chosen === comp ? 'compensated' : 'data-free', bits, error: Math.max(0, comp.signal - reduction), signal: comp.signal },
  };
}

function filterRows(ref: WeightRef): FilterRows {
  const { rows, rowElems: k, channelLast } = ref.layout;
  const s = ref.tensor.quant?.scale ?? [1];
  return {
    rows, k,
    index: channelLast ? (r, i) => i * rows + r : (r, i) => r * k + i,
    scales: Array.from({ length: rows }, (_, r) => s[s.length > 1 ? r : 0]),
  };
}

function rowsOf(data: Int8Array, f: FilterRows): Float64Array[] {
  return Array.from({ length: f.rows }, (_, r) => Float64Array.from({ length: f.k }, (_, i) => data[f.index(r, i)]));
}

/** Today's data-free result: magnitude pruning, then balanced k-means (0 kept when pruned). */
function dataFree(ref: WeightRef, bits: number, prune: number): Pick<Compensated, 'values' | 'codebook'> {
  const w = ref.tensor.data as Int8Array;
  const pruned = prune ? pruneSmallest(w, Math.floor(prune * w.length)) : w;
  if (!bits) return { values: pruned, codebook: null };
  return shareTensor({ ...ref, tensor: { ...ref.tensor, data: pruned } }, bits, false, prune > 0);
}

/**
 * Per row: q . mean patch and w . mean int8 patch, whose difference (q scaled by its gain) is
 * the mean accumulator error the bias takes back (the two means differ under sequential
 * statistics: the earlier layers' mean error too).
 */
function biasTerms(w: Int8Array, q: Int8Array, f: FilterRows, stats: LayerStats): { qMeans: number[]; wMeans: number[] } {
  const qMeans: number[] = [], wMeans: number[] = [];
  for (let r = 0; r < f.rows; r++) {
    const g = stats.rowsPerGram ? Math.floor(r / stats.rowsPerGram) : 0;
    const mean = stats.means[g], refMean = stats.refMeans?.[g] ?? mean;
    let sq = 0, sw = 0;
    for (let i = 0; i < f.k; i++) {
      sq += q[f.index(r, i)] * mean[i];
      sw += w[f.index(r, i)] * refMean[i];
    }
    qMeans.push(sq);
    wMeans.push(sw);
  }
  return { qMeans, wMeans };
}

/**
 * Multiplies each output channel's requantization multiplier by its row's gain, rounded to 7
 * significant bits (row-gain.ts gridMultiplier); returns the gains the rounded multipliers
 * realise (1 for a channel left as it was: a zero multiplier, or one the grid cannot hold).
 * New multiplier and shift tensors when another op reads the old ones.
 */
function applyGains(g: Graph, ref: WeightRef, readers: number[][], gains: number[]): number[] {
  const m = ref.op.inputs[MULT_INPUT], s = ref.op.inputs[SHIFT_INPUT];
  if (ref.op.inputs.length !== 5 || m < 0 || s < 0) return gains.map(() => 1);
  const mult = g.tensors[m].data, shift = g.tensors[s].data;
  if (!(mult instanceof Int32Array) || !(shift instanceof Int32Array) || mult.length !== gains.length || shift.length !== gains.length) return gains.map(() => 1);
  const newMult = new Int32Array(mult.length), newShift = new Int32Array(shift.length);
  const realised = gains.map((a, r) => {
    const old: Requant = { multiplier: mult[r], shift: shift[r] };
    const next = old.multiplier > 0 ? gridMultiplier(realMultiplier(old) * a) : null;
    const kept = next && next.multiplier > 0 ? next : old;
    newMult[r] = kept.multiplier;
    newShift[r] = kept.shift;
    return kept === old ? 1 : realMultiplier(kept) / realMultiplier(old);
  });
  replaceInput(g, ref, readers, MULT_INPUT, newMult, 'multiplier');
  replaceInput(g, ref, readers, SHIFT_INPUT, newShift, 'shift');
  return realised;
}

/** Op input k's int32 data replaced: in place when the op is its only reader, else a new tensor. */
function replaceInput(g: Graph, ref: WeightRef, readers: number[][], k: number, data: Int32Array, what: string): void {
  const t = ref.op.inputs[k];
  if (readers[t].length === 1) {
    g.tensors[t] = { ...g.tensors[t], data };
    return;
  }
  g.tensors.push({ ...g.tensors[t], name: `${ref.tensor.name}/${what}`, data });
  ref.op.inputs = ref.op.inputs.map((v, i) => (i === k ? g.tensors.length - 1 : v));
}

const INT32_MIN = -2147483648, INT32_MAX = 2147483647;

/**
 * bias[r] <- round((bias[r] - (a_r q . mean - w . mean)) / a_r), a_r the realised gain (with
 * a_r = 1: bias[r] - round(q . mean - w . mean)); a new bias tensor when the op has none or shares it.
 */
function correctBias(g: Graph, ref: WeightRef, readers: number[][], gains: number[], qMeans: number[], wMeans: number[]): void {
  const b = ref.op.inputs[BIAS_INPUT];
  const old = b >= 0 ? (g.tensors[b].data as Int32Array) : new Int32Array(gains.length);
  const next = (v: number, r: number) => {
    const a = gains[r];
    return a === 1 ? v - Math.round(qMeans[r] - wMeans[r]) : Math.round((v - (a * qMeans[r] - wMeans[r])) / a);
  };
  const data = Int32Array.from(old, (v, r) => Math.max(INT32_MIN, Math.min(INT32_MAX, next(v, r))));
  if (data.every((v, r) => v === old[r])) return;
  if (b >= 0 && readers[b].length === 1) {
    g.tensors[b] = { ...g.tensors[b], data };
    return;
  }
  const tensor: Tensor = { name: `${ref.tensor.name}/bias`, shape: [gains.length], dtype: 'int32', data };
  g.tensors.push(tensor);
  ref.op.inputs = ref.op.inputs.map((t, i) => (i === BIAS_INPUT ? g.tensors.length - 1 : t));
}
