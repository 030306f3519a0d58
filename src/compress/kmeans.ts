// 1-D k-means over int8 weights, on a 256-bin histogram (so each Lloyd step costs 256
// bins, not n weights). Centroids start evenly spaced over [min, max] (linear
// initialisation, which keeps the rare large weights that random or density-based starts
// lose), move to the weighted mean of their bins, and end rounded to int8, so weights
// decoded through the table are plain int8 values and the arithmetic stays exact int8.

const MAX_ITERATIONS = 40;

/** Histogram of int8 values: bin v + 128. */
export function histogram(values: ArrayLike<number>): Float64Array {
  const h = new Float64Array(256);
  for (let i = 0; i < values.length; i++) h[values[i] + 128]++;
  return h;
}

/** Up to k int8 centroids for the histogram `h`, sorted ascending; exact when <= k distinct values. */
export function kmeansInt8(h: Float64Array, k: number): number[] {
  const present: number[] = [];
  h.forEach((c, b) => c > 0 && present.push(b - 128));
  if (present.length === 0) return [0];
  if (present.length <= k) return present;
  const lo = present[0], hi = present[present.length - 1];
  let c = Array.from({ length: k }, (_, i) => lo + ((hi - lo) * i) / (k - 1));
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    const sum = new Float64Array(k), cnt = new Float64Array(k);
    for (const v of present) {
      const j = nearest(c, v);
      sum[j] += v * h[v + 128];
      cnt[j] += h[v + 128];
    }
    const next = c.map((old, j) => (cnt[j] > 0 ? sum[j] / cnt[j] : old));
    const moved = next.some((v, j) => Math.abs(v - c[j]) > 1e-3);
    c = next;
    if (!moved) break;
  }
  return [...new Set(c.map((v) => Math.max(-128, Math.min(127, Math.round(v)))))].sort((a, b) => a - b);
}

/** Index of the centroid nearest to v (the lower one on a tie). */
export function nearest(c: ArrayLike<number>, v: number): number {
  let best = 0;
  for (let j = 1; j < c.length; j++) if (Math.abs(c[j] - v) < Math.abs(c[best] - v)) best = j;
  return best;
}

/** Weight SQNR in dB of `approx` against `ref` (Infinity when equal). */
export function sqnrDb(ref: ArrayLike<number>, approx: ArrayLike<number>): number {
  let s = 0, e = 0;
  for (let i = 0; i < ref.length; i++) {
    s += ref[i] * ref[i];
    e += (ref[i] - approx[i]) ** 2;
  }
  return e === 0 ? Infinity : 10 * Math.log10(s / e);
}
