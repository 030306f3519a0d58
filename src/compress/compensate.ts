// Error-compensated compression of one filter from its layer-input statistics
// (OBS / OBC / GPTQ). A row w of the filter produces w . x for every patch x; changing it to
// q changes the layer's accumulators on the calibration set by (q - w)^T H (q - w) summed,
// H = X^T X. Weights are quantized (codebook assignment, or int8 rounding) one column at a
// time; the rounding error of column i is spread over the not-yet-quantized columns j > i
// through the upper Cholesky factor U of (H + damping)^-1:  w_j -= (w_i - q_i) / U_ii * U_ij.
// Coordinate descent then moves single weights to other centroids while that lowers the
// damped error (the sweep decides each weight once, before the ones after it are known).
// Pruning picks the weights of least OBS saliency s_r^2 w^2 / [H^-1]_ii and forces them to 0
// in the same sweep. Centroids are then refit by least squares against the original
// accumulators and the assignment re-run; the best round (least error) is kept, and so is
// the data-free result when that is better. Rows are weighted by their quantization scale
// squared (s_r): the error in real units. Deterministic.

import { Codebook } from '../format/packed.js';
import { histogram, kmeansInt8 } from './kmeans.js';
import { damped, inverseFromCholesky, cholesky, matVec, quadForm, solveSpd, upperCholesky } from './linalg.js';
import { LayerStats, statsForRow } from './layer-stats.js';

/** Damping added to H: 1% of its mean diagonal (GPTQ's default; trades fit for stability). */
export const DAMPING = 0.01;
/** Assignment / refit rounds. */
export const ROUNDS = 3;

export interface FilterRows {
  rows: number;
  k: number;
  /** Element index in the tensor's data of weight i of row r. */
  index(r: number, i: number): number;
  /** Per-row quantization scale (real weight = scale * q). */
  scales: number[];
}

export interface CompensateOptions {
  /** Codebook index bits (2..8); 0 = plain int8 values (pruning only). */
  bits: number;
  /** Fraction of the filter's weights set to 0 (OBS saliency). */
  prune: number;
  /** Centroids per table (<= 2^bits; default 2^bits): fewer levels cost fewer Huffman bits per index. */
  levels?: number;
  /**
   * Rate weight mu (0 or undefined: nearest-centroid assignment). With mu > 0 the assignment
   * minimises error + lambda x index bits (entropy-constrained quantization), lambda = mu x the
   * filter's mean error per weight at mu = 0: see `rateConstrained`.
   */
  rate?: number;
}

export interface Compensated {
  values: Int8Array;
  codebook: Codebook | null;
  /** Sum over rows of s_r^2 (q - w)^T H (q - w): output error energy on the calibration set. */
  error: number;
  /** Sum over rows of s_r^2 w^T H w: the layer's output energy (the same units). */
  signal: number;
}

/** Per Gram matrix: U, the upper Cholesky factor of (H + damping)^-1, and diag((H + damping)^-1). */
interface Prepared {
  /** H + damping. */
  hd: Float64Array;
  u: Float64Array;
  invDiag: Float64Array;
  /** (H + damping)^-1. */
  inv: Float64Array;
}

/** Prepared factors by Gram matrix: a layer compressed at several widths (the size budget) factors its H once. */
const preparedCache = new WeakMap<Float64Array, Prepared>();

function prepareGram(h: Float64Array, k: number): Prepared {
  const hit = preparedCache.get(h);
  if (hit) return hit;
  const p = factorGram(h, k);
  preparedCache.set(h, p);
  return p;
}

function factorGram(h: Float64Array, k: number): Prepared {
  // Columns are swept in their own order. Sweeping in decreasing diag(H) order (GPTQ's "act
  // order") was measured worse here: ic_resnet8 4-bit 87.6% -> 86.75% top-1 on 800 held-out
  // images, sww_dscnn 15 held-out samples identical -> 21.2 dB.
  const hd = damped(h, k, DAMPING);
  const inv = inverseFromCholesky(cholesky(hd, k), k);
  const invDiag = new Float64Array(k);
  for (let i = 0; i < k; i++) invDiag[i] = inv[i * k + i];
  return { hd, u: upperCholesky(inv, k), invDiag, inv };
}

/** The value nearest to v among the sorted centroids c (the lower one on a tie). */
export function nearestSorted(c: ArrayLike<number>, v: number): number {
  let lo = 0, hi = c.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (c[mid] <= v) lo = mid;
    else hi = mid;
  }
  return Math.abs(c[hi] - v) < Math.abs(c[lo] - v) ? c[hi] : c[lo];
}

/**
 * GPTQ sweep over one row: returns the quantized row. `pruned[i]` forces 0; `quant` maps a
 * (compensated) value to its representable value.
 */
export function sweepRow(w: Float64Array, u: Float64Array, k: number, pruned: Uint8Array | null, quant: (v: number) => number): Int8Array {
  const x = Float64Array.from(w);
  const q = new Int8Array(k);
  for (let i = 0; i < k; i++) {
    const qi = pruned?.[i] ? 0 : quant(x[i]);
    q[i] = qi;
    const e = (x[i] - qi) / u[i * k + i];
    if (e === 0) continue;
    const row = i * k;
    for (let j = i + 1; j < k; j++) x[j] -= e * u[row + j];
  }
  return q;
}

/**
 * Coordinate-descent passes after each sweep, at most (ic_resnet8's filters settle in 2-4).
 * Each costs K per weight checked plus K per weight moved; the K^2 product that starts it
 * replaces filterError's. Measured (docs/compression.md "Sixth round"): layer SQNR on new
 * images +0.1..0.6 dB on ic_resnet8's big layers at 3-8 levels, bytes within 0.5%.
 */
export const DESCENT_PASSES = 8;

/**
 * Coordinate descent on (q - w)^T Hd (q - w) (Hd = H + damping) from the sweep's result q, in
 * place: each weight in turn takes the representable value nearest to its exact 1-D minimiser
 * q_i - g_i / Hd_ii (g = Hd (q - w), kept up to date: K multiply-adds per change), until a pass
 * changes nothing or `passes` are done. Every change lowers the objective; pruned weights stay
 * 0. Returns the row's undamped error (q - w)^T H (q - w) = d . g - sum_i (Hd_ii - H_ii) d_i^2,
 * so the caller needs no second K^2 product.
 */
export function descendRow(w: Float64Array, q: Int8Array, h: Float64Array, hd: Float64Array, k: number, pruned: Uint8Array | null, quant: (v: number) => number, passes: number): number {
  const d = new Float64Array(k);
  for (let i = 0; i < k; i++) d[i] = q[i] - w[i];
  const g = matVec(hd, d, k);
  for (let pass = 0; pass < passes; pass++) {
    let changed = 0;
    for (let i = 0; i < k; i++) {
      if (pruned?.[i]) continue;
      const hii = hd[i * k + i];
      const v = quant(q[i] - g[i] / hii);
      const delta = v - q[i];
      if (delta === 0 || delta * (2 * g[i] + delta * hii) >= 0) continue;
      q[i] = v;
      d[i] += delta;
      changed++;
      const row = i * k; // Hd is symmetric: column i is row i
      for (let j = 0; j < k; j++) g[j] += delta * hd[row + j];
    }
    if (!changed) break;
  }
  let e = 0;
  for (let i = 0; i < k; i++) e += d[i] * g[i] - (hd[i * k + i] - h[i * k + i]) * d[i] * d[i];
  return e;
}

/**
 * The descent runs only on layers with at least this many calibration patches per row weight.
 * With fewer patches than weights the Gram matrix is singular, and the descent fits the
 * calibration inputs along directions they do not cover: sww_dscnn's two smallest layers (30
 * patches for 32 and 128 weights) took its calibrated 4-bit output from identical to int8 on
 * the held-out samples to 24.7 dB SQNR; without the descent there, 36.7 dB, the data-free
 * figure (docs/compression.md "Seventh round"). Every ic_resnet8 layer has 3 or more.
 */
export const DESCENT_MIN_PATCHES_PER_WEIGHT = 1;

export function compensateFilter(data: Int8Array, f: FilterRows, stats: LayerStats, opts: CompensateOptions): Compensated {
  const { rows, k } = f;
  const prepared = new Map<Float64Array, Prepared>();
  const prep = (r: number) => {
    const { gram } = statsForRow(stats, r);
    let p = prepared.get(gram);
    if (!p) prepared.set(gram, (p = prepareGram(gram, k)));
    return p;
  };
  const w = targetRows(data, f, stats);
  const mask = opts.prune > 0 ? obsMask(w, f, opts.prune, (r) => prep(r).invDiag) : null;
  const keepZero = mask !== null;
  const levels = Math.min(opts.levels ?? 1 << opts.bits, 1 << opts.bits);
  let centroids = opts.bits ? initialCentroids(data, mask, f, levels, keepZero) : null;
  let best: { q: Int8Array[]; error: number; centroids: number[] | null } | null = null;
  let hw: Float64Array[] | null = null; // H w per row: the same in every refit round
  const passes = stats.patches >= DESCENT_MIN_PATCHES_PER_WEIGHT * k ? DESCENT_PASSES : 0; // 0: the sweep's values, their error
  for (let round = 0; round < (centroids ? ROUNDS : 1); round++) {
    const c = centroids;
    const quant = c ? (v: number) => nearestSorted(c, v) : (v: number) => Math.max(-128, Math.min(127, Math.round(v)));
    let error = 0;
    const q = w.map((row, r) => {
      const p = prep(r), m = mask?.[r] ?? null, qr = sweepRow(row, p.u, k, m, quant);
      error += f.scales[r] ** 2 * descendRow(row, qr, statsForRow(stats, r).gram, p.hd, k, m, quant, passes);
      return qr;
    });
    if (!best || error < best.error) best = { q, error, centroids: c };
    if (!c) break;
    hw ??= gramTimesRows(w, f, stats);
    centroids = refitCentroids(hw, q, c, f, stats, keepZero);
  }
  if (opts.rate && best!.centroids) best = rateConstrained(w, f, stats, prep, mask, passes, best as RateStart, opts.rate, hw ?? gramTimesRows(w, f, stats), keepZero);
  return finish(data, f, stats, opts.bits, best!.q, best!.centroids, w, best!.error);
}

/** Passes of the entropy-constrained assignment, each with the code lengths of the one before. */
export const RATE_PASSES = 3;

interface RateStart { q: Int8Array[]; error: number; centroids: number[] }

/**
 * Entropy-constrained assignment (rate-distortion optimised quantization, as video codecs'
 * RDOQ): the stored indices are Huffman-coded, so an index costs about -log2 p(index) bits,
 * and the nearest centroid is not the cheapest one when a rarer index buys little error.
 * From the nearest-centroid result, each pass takes the code lengths from the current
 * histogram (one table per filter, as pack's Huffman code) and re-runs the sweep and the
 * descent on error + lambda x length, with lambda = mu x the filter's mean error per weight
 * at mu = 0 (so mu is the same for every layer and width: one bit is worth mu times the
 * typical weight's error). The centroids stay the start's. The pass of least error +
 * lambda x bits is kept; the returned error is the distortion alone, in filterError's units.
 */
function rateConstrained(
  w: Float64Array[], f: FilterRows, stats: LayerStats, prep: (r: number) => Prepared, mask: Uint8Array[] | null, passes: number, start: RateStart, mu: number,
  hw: Float64Array[], keepZero: boolean,
): RateStart {
  const lambda = (mu * start.error) / (f.rows * f.k);
  if (!(lambda > 0) || start.centroids.length < 2) return start;
  let best = { ...start, cost: start.error + lambda * indexBits(start.q, start.centroids) };
  let q = start.q, c = start.centroids;
  for (let pass = 0; pass < RATE_PASSES; pass++) {
    const len = codeLengths(q, c), cc = c;
    let error = 0;
    q = w.map((row, r) => {
      const p = prep(r), m = mask?.[r] ?? null, lam = lambda / f.scales[r] ** 2; // in the row's units: s_r^2 is outside
      const slots = sweepRowRate(row, p.u, f.k, m, cc, len, lam);
      error += f.scales[r] ** 2 * descendRowRate(row, slots, statsForRow(stats, r).gram, p.hd, f.k, m, cc, len, lam, passes);
      return Int8Array.from(slots, (j) => cc[j]);
    });
    const cost = error + lambda * indexBits(q, c);
    if (cost < best.cost) best = { q, error, centroids: c, cost };
    // the least-squares centroids of this assignment start the next pass (as in the rounds above)
    c = refitCentroids(hw, q, c, f, stats, keepZero);
  }
  return { q: best.q, error: best.error, centroids: best.centroids };
}

/** Code length in bits of each centroid's index, -log2 of its share of the filter's weights (a never-used one: as if used half a time). */
export function codeLengths(q: Int8Array[], c: number[]): Float64Array {
  const count = new Float64Array(c.length);
  const slot = slotOf(c);
  let n = 0;
  for (const row of q) for (const v of row) { count[slot(v)]++; n++; }
  return Float64Array.from(count, (m) => -Math.log2(Math.max(m, 0.5) / n));
}

/** The filter's index entropy in bits (its Huffman payload, to within a bit per symbol). */
function indexBits(q: Int8Array[], c: number[]): number {
  const len = codeLengths(q, c), slot = slotOf(c);
  let bits = 0;
  for (const row of q) for (const v of row) bits += len[slot(v)];
  return bits;
}

/** Index of a value's centroid: its own, or the nearest after a refit moved the centroids. */
function slotOf(c: number[]): (v: number) => number {
  const exact = new Map(c.map((v, j) => [v, j]));
  return (v) => exact.get(v) ?? c.indexOf(nearestSorted(c, v));
}

/** Index of the largest centroid <= v (0 when none is). */
function floorSlot(c: ArrayLike<number>, v: number): number {
  let lo = 0, hi = c.length - 1;
  if (c[hi] <= v) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (c[mid] <= v) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The centroid index of least (c_j - t)^2 x a + lam x len_j among the two on each side of t
 * (a rate term moves a weight by one or two levels at most: a farther centroid costs more
 * error than any index saves at the lambdas used).
 */
function cheapestSlot(c: ArrayLike<number>, len: Float64Array, t: number, a: number, lam: number): number {
  const lo = floorSlot(c, t);
  let best = -1, bestCost = Infinity;
  for (let j = Math.max(0, lo - 1); j <= Math.min(c.length - 1, lo + 2); j++) {
    const cost = (c[j] - t) ** 2 * a + lam * len[j];
    if (cost < bestCost) { bestCost = cost; best = j; }
  }
  return best;
}

/**
 * sweepRow with the rate term: column i takes the centroid of least (x_i - c)^2 / U_ii^2 +
 * lam x len(c), the error this column adds to (q - w)^T Hd (q - w) (GPTQ's OBS step) plus its
 * bits. Returns centroid indices.
 */
function sweepRowRate(w: Float64Array, u: Float64Array, k: number, pruned: Uint8Array | null, c: number[], len: Float64Array, lam: number): Int32Array {
  const x = Float64Array.from(w);
  const slots = new Int32Array(k);
  const zero = c.indexOf(0);
  for (let i = 0; i < k; i++) {
    const uii = u[i * k + i];
    const j = pruned?.[i] ? zero : cheapestSlot(c, len, x[i], 1 / (uii * uii), lam);
    slots[i] = j;
    const e = (x[i] - c[j]) / uii;
    if (e === 0) continue;
    const row = i * k;
    for (let l = i + 1; l < k; l++) x[l] -= e * u[row + l];
  }
  return slots;
}

/**
 * descendRow with the rate term: weight i moves to the centroid of least change in
 * (q - w)^T Hd (q - w) + lam x bits among those around its 1-D minimiser, while that change is
 * negative. Returns the row's undamped error (q - w)^T H (q - w), as descendRow does.
 */
function descendRowRate(w: Float64Array, slots: Int32Array, h: Float64Array, hd: Float64Array, k: number, pruned: Uint8Array | null, c: number[], len: Float64Array, lam: number, passes: number): number {
  const d = new Float64Array(k);
  for (let i = 0; i < k; i++) d[i] = c[slots[i]] - w[i];
  const g = matVec(hd, d, k);
  for (let pass = 0; pass < passes; pass++) {
    let changed = 0;
    for (let i = 0; i < k; i++) {
      if (pruned?.[i]) continue;
      const hii = hd[i * k + i], qi = c[slots[i]];
      // change of the objective for q_i -> v: (v - q_i)(2 g_i + (v - q_i) Hd_ii) = Hd_ii (v - t)^2 - const, t the minimiser
      const j = cheapestSlot(c, len, qi - g[i] / hii, hii, lam);
      const delta = c[j] - qi;
      if (j === slots[i] || delta * (2 * g[i] + delta * hii) + lam * (len[j] - len[slots[i]]) >= 0) continue;
      slots[i] = j;
      d[i] += delta;
      changed++;
      const row = i * k;
      for (let l = 0; l < k; l++) g[l] += delta * hd[row + l];
    }
    if (!changed) break;
  }
  let e = 0;
  for (let i = 0; i < k; i++) e += d[i] * g[i] - (hd[i * k + i] - h[i * k + i]) * d[i] * d[i];
  return e;
}

/** H w_r for every row r (its own Gram matrix). */
function gramTimesRows(w: Float64Array[], f: FilterRows, stats: LayerStats): Float64Array[] {
  return w.map((wr, r) => matVec(statsForRow(stats, r).gram, wr, f.k));
}

/**
 * The rows the sweep aims at. Plain statistics: the int8 weights. Sequential statistics
 * (inputs x~ from the model with earlier layers compressed, cross moments C = sum x~ x^T
 * against the int8 model's x): sum (q . x~ - w . x)^2 = (q - w*)^T H (q - w*) + const with
 * w* = H^-1 C w, so the layer also takes back the error of those before it. Solved as
 * w* = w + (H + damping)^-1 (C - H) w: the damping pulls toward w (not toward 0), and
 * w* = w exactly when the earlier layers changed nothing.
 */
export function targetRows(data: Int8Array, f: FilterRows, stats: LayerStats): Float64Array[] {
  const { rows, k } = f;
  const w = Array.from({ length: rows }, (_, r) => Float64Array.from({ length: k }, (_, i) => data[f.index(r, i)]));
  if (!stats.cross) return w;
  const t = new Float64Array(k);
  return w.map((row, r) => {
    const g = stats.rowsPerGram ? Math.floor(r / stats.rowsPerGram) : 0;
    const c = stats.cross![g], h = stats.grams[g], inv = prepareGram(h, k).inv;
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += (c[i * k + j] - h[i * k + j]) * row[j];
      t[i] = s;
    }
    return Float64Array.from({ length: k }, (_, i) => {
      let s = row[i];
      for (let j = 0; j < k; j++) s += inv[i * k + j] * t[j];
      return Math.max(-128, Math.min(127, s));
    });
  });
}

/** The mask of pruned weights: the floor(F * n) of least saliency s_r^2 w^2 / [H^-1]_ii over the filter (ties: lower row, then column). */
function obsMask(w: Float64Array[], f: FilterRows, fraction: number, invDiag: (r: number) => Float64Array): Uint8Array[] {
  const n = f.rows * f.k, count = Math.floor(fraction * n);
  const sal = new Float64Array(n);
  w.forEach((row, r) => {
    const d = invDiag(r), s2 = f.scales[r] ** 2;
    row.forEach((v, i) => (sal[r * f.k + i] = (s2 * v * v) / d[i]));
  });
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => sal[a] - sal[b] || a - b);
  const mask = w.map(() => new Uint8Array(f.k));
  for (let j = 0; j < count; j++) mask[Math.floor(order[j] / f.k)][order[j] % f.k] = 1;
  return mask;
}

/** k-means over the kept weights (0 reserved as a centroid when pruning). */
function initialCentroids(data: Int8Array, mask: Uint8Array[] | null, f: FilterRows, k: number, keepZero: boolean): number[] {
  const kept: number[] = [];
  for (let r = 0; r < f.rows; r++) for (let i = 0; i < f.k; i++) if (!mask?.[r][i]) kept.push(data[f.index(r, i)]);
  const h = histogram(kept);
  if (!keepZero) return kmeansInt8(h, k);
  h[128] = 0;
  const rest = h.some((c) => c > 0) ? kmeansInt8(h, k - 1) : [];
  return [...new Set([0, ...rest])].sort((a, b) => a - b);
}

/** Sum over rows of s_r^2 (q - w)^T H (q - w). */
export function filterError(w: Float64Array[], q: ArrayLike<number>[], f: FilterRows, stats: LayerStats): number {
  let e = 0;
  const d = new Float64Array(f.k);
  w.forEach((row, r) => {
    for (let i = 0; i < f.k; i++) d[i] = q[r][i] - row[i];
    e += f.scales[r] ** 2 * quadForm(statsForRow(stats, r).gram, d, f.k);
  });
  return e;
}

/**
 * Least-squares centroids for a fixed assignment: minimise sum_r s_r^2 (w_r - A_r c)^T H (w_r - A_r c)
 * over c (A_r: one-hot assignment of row r): normal equations (sum A^T H A) c = sum A^T H w.
 * Results are rounded to int8; 0 stays when kept; unused centroids keep their value.
 */
function refitCentroids(hw: Float64Array[], q: Int8Array[], c: number[], f: FilterRows, stats: LayerStats, keepZero: boolean): number[] {
  const m = c.length, k = f.k;
  const slot = new Map(c.map((v, j) => [v, j]));
  const mat = new Float64Array(m * m), rhs = new Float64Array(m);
  const g = new Float64Array(k * m);
  const a = new Int32Array(k);
  q.forEach((row, r) => {
    const h = statsForRow(stats, r).gram, s2 = f.scales[r] ** 2, hwr = hw[r];
    for (let i = 0; i < k; i++) a[i] = slot.get(row[i])!;
    g.fill(0);
    for (let i = 0; i < k; i++) {
      const hr = i * k, gr = i * m;
      for (let j = 0; j < k; j++) g[gr + a[j]] += h[hr + j];
      rhs[a[i]] += s2 * hwr[i];
    }
    for (let i = 0; i < k; i++) {
      const row = a[i] * m, gr = i * m;
      for (let l = 0; l < m; l++) mat[row + l] += s2 * g[gr + l];
    }
  });
  // fixed centroids (0 when pruning, and unused ones): their equations pin them to their value
  let trace = 0;
  for (let j = 0; j < m; j++) trace += mat[j * m + j];
  for (let j = 0; j < m; j++) {
    if ((keepZero && c[j] === 0) || mat[j * m + j] <= 1e-12 * trace) {
      for (let l = 0; l < m; l++) {
        rhs[l] -= mat[l * m + j] * c[j];
        mat[j * m + l] = 0;
        mat[l * m + j] = 0;
      }
      mat[j * m + j] = 1;
      rhs[j] = c[j];
    } else mat[j * m + j] += 1e-9 * trace;
  }
  let x: Float64Array;
  try {
    x = solveSpd(mat, rhs, m);
  } catch {
    return c;
  }
  return [...new Set(Array.from(x, (v) => Math.max(-128, Math.min(127, Math.round(v)))))].sort((p, s) => p - s);
}

/** Writes the quantized rows back in the tensor's layout, with the codebook and the bias shifts. */
function finish(data: Int8Array, f: FilterRows, stats: LayerStats, bits: number, q: Int8Array[], centroids: number[] | null, w: Float64Array[], error: number): Compensated {
  const values = new Int8Array(data.length);
  q.forEach((row, r) => row.forEach((v, i) => (values[f.index(r, i)] = v)));
  let signal = 0;
  w.forEach((row, r) => (signal += f.scales[r] ** 2 * quadForm(statsForRow(stats, r).gram, row, f.k)));
  return { values, codebook: centroids ? codebookOf(values, centroids, bits) : null, error, signal };
}

/** One per-tensor table of 2^bits entries (padded with the last centroid) and the index of every weight. */
export function codebookOf(values: Int8Array, centroids: number[], bits: number): Codebook {
  const n = 1 << bits;
  const tables = new Int8Array(n);
  for (let j = 0; j < n; j++) tables[j] = centroids[Math.min(j, centroids.length - 1)];
  const slot = new Map(centroids.map((v, j) => [v, j]));
  const indices = Uint8Array.from(values, (v) => slot.get(v)!);
  return { bits, tables, tableCount: 1, indices };
}
