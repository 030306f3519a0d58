// compensate-weights: calibrated pruning and weight sharing (replaces prune + share-weights
// when calibration statistics are given). Matches each conv / depthwise / FC int8 filter that
// has layer-input statistics; emits the filter pruned (OBS saliency) and/or snapped to a
// per-tensor codebook with error compensation (src/compress/compensate.ts), keeping the
// data-free result (magnitude pruning, balanced k-means) when that has the lower output
// error on the calibration data, and the bias corrected by the remaining mean accumulator
// error. Filters without statistics get the data-free treatment. Guarantees: tensor.data is
// exactly what tensor.codebook decodes to; biases stay int32 (clamped).

import { Graph, Tensor, cloneGraph, consumers } from '../ir/graph.js';
import { LayerStats } from '../compress/layer-stats.js';
import { Compensated, FilterRows, compensateFilter, filterError, targetRows } from '../compress/compensate.js';
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

/** One filter's result: its values and codebook, the bias shifts and the outcome. */
export interface Compressed {
  values: Int8Array;
  codebook: Compensated['codebook'];
  shifts: number[];
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
      correctBias(g, ref, readers, done.shifts);
    }
    return g;
  };
}

/** Compensated or data-free, whichever has the lower output error on the calibration data. */
function compress(data: Int8Array, f: FilterRows, stats: LayerStats, bits: number, prune: number, free: Pick<Compensated, 'values' | 'codebook'>, levels?: number, rate?: number): Compressed {
  const comp = compensateFilter(data, f, stats, { bits, prune, levels, rate });
  const freeError = filterError(targetRows(data, f, stats), rowsOf(free.values, f), f, stats);
  const chosen = comp.error <= freeError ? comp : free;
  return {
    values: chosen.values, codebook: chosen.codebook, shifts: biasShifts(data, chosen.values, f, stats),
    outcome: { method: chosen === comp ? 'compensated' : 'data-free', bits, error: Math.min(comp.error, freeError), signal: comp.signal },
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
 * Per row: the mean accumulator error the bias takes back, q . mean patch - w . mean int8
 * patch (the two means differ under sequential statistics: the earlier layers' mean error too).
 */
function biasShifts(w: Int8Array, q: Int8Array, f: FilterRows, stats: LayerStats): number[] {
  return Array.from({ length: f.rows }, (_, r) => {
    const g = stats.rowsPerGram ? Math.floor(r / stats.rowsPerGram) : 0;
    const mean = stats.means[g], refMean = stats.refMeans?.[g] ?? mean;
    let s = 0;
    for (let i = 0; i < f.k; i++) s += q[f.index(r, i)] * mean[i] - w[f.index(r, i)] * refMean[i];
    return s;
  });
}

const INT32_MIN = -2147483648, INT32_MAX = 2147483647;

/** bias[r] -= round(shift[r]); a new bias tensor when the op has none or shares it. */
function correctBias(g: Graph, ref: WeightRef, readers: number[][], shift: number[]): void {
  const rounded = shift.map((s) => Math.round(s));
  if (rounded.every((s) => s === 0)) return;
  const b = ref.op.inputs[2];
  const old = b >= 0 ? (g.tensors[b].data as Int32Array) : new Int32Array(shift.length);
  const data = Int32Array.from(old, (v, r) => Math.max(INT32_MIN, Math.min(INT32_MAX, v - rounded[r])));
  if (b >= 0 && readers[b].length === 1) {
    g.tensors[b] = { ...g.tensors[b], data };
    return;
  }
  const tensor: Tensor = { name: `${ref.tensor.name}/bias`, shape: [shift.length], dtype: 'int32', data };
  g.tensors.push(tensor);
  ref.op.inputs = ref.op.inputs.map((t, i) => (i === 2 ? g.tensors.length - 1 : t));
}
