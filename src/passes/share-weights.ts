// share-weights: k-means weight sharing. Matches each conv / depthwise / FC int8 filter
// with a codebook width (--codebook B, --codebook-layer OP=B; B = 2..8); emits the
// filter's values snapped to 2^B int8 centroids (per tensor, or per output channel) and
// `tensor.codebook` (tables + one index per weight). Filters with fewer weights per output
// channel than 2^B entries (3x3 depthwise, a 3x3x1 first conv) stay unshared unless named
// by --codebook-layer: they are tiny and the most sensitive to a shared table.
// Guarantees: tensor.data is exactly what the codebook decodes to (plain int8 arithmetic).

import { ConvertError, Graph, cloneGraph } from '../ir/graph.js';
import { Codebook } from '../format/packed.js';
import { histogram, kmeansInt8, nearest } from '../compress/kmeans.js';
import { WeightRef, weightRefs } from './weights.js';

export interface ShareOptions {
  /** Default index bits for every filter (0 or undefined: no sharing). */
  bits?: number;
  /** Per-layer bits by source op index; 0 disables sharing for that layer. */
  layers?: Record<number, number>;
  /** One table per output channel instead of one per tensor. */
  perChannel?: boolean;
  /** Keep 0 as an exact centroid (after magnitude pruning, so pruned weights stay 0). */
  keepZero?: boolean;
}

export function shareWeights(opts: ShareOptions): (g: Graph) => Graph {
  return (input) => {
    const g = cloneGraph(input);
    for (const ref of weightRefs(g)) {
      const named = opts.layers?.[ref.op.sourceIndex];
      const bits = named ?? opts.bits ?? 0;
      if (!bits) continue;
      if (named === undefined && ref.layout.rowElems < 1 << bits) continue;
      if (!(Number.isInteger(bits) && bits >= 2 && bits <= 8)) throw new ConvertError(`${g.source}: op ${ref.op.sourceIndex}: codebook bits must be 2..8, got ${bits}`);
      const { values, codebook } = shareTensor(ref, bits, !!opts.perChannel, !!opts.keepZero);
      g.tensors[ref.t] = { ...ref.tensor, data: values, codebook };
    }
    return g;
  };
}

/** Centroids for one group of weights: k-means, with 0 reserved when asked. */
function centroids(values: number[], k: number, keepZero: boolean): number[] {
  const h = histogram(values);
  if (!keepZero || h[128] === 0) return kmeansInt8(h, k);
  h[128] = 0;
  const rest = h.some((c) => c > 0) ? kmeansInt8(h, k - 1) : [];
  return [...new Set([0, ...rest])].sort((a, b) => a - b);
}

export function shareTensor(ref: WeightRef, bits: number, perChannel: boolean, keepZero: boolean): { values: Int8Array; codebook: Codebook } {
  const w = ref.tensor.data as Int8Array;
  const { rows, channelLast } = ref.layout;
  const k = 1 << bits;
  const rowOf = (e: number) => (channelLast ? e % rows : Math.floor(e / ref.layout.rowElems));
  const groups = perChannel ? rows : 1;
  const members: number[][] = Array.from({ length: groups }, () => []);
  w.forEach((v, e) => members[perChannel ? rowOf(e) : 0].push(v));
  const tables = new Int8Array(groups * k);
  const lists = members.map((m, gi) => {
    const c = centroids(m, k, keepZero);
    for (let j = 0; j < k; j++) tables[gi * k + j] = c[Math.min(j, c.length - 1)]; // pad with the last centroid
    return c;
  });
  const indices = new Uint8Array(w.length);
  const values = new Int8Array(w.length);
  const table = (e: number) => lists[perChannel ? rowOf(e) : 0];
  w.forEach((v, e) => {
    indices[e] = nearest(table(e), v);
  });
  const rowsOf: number[][] = Array.from({ length: rows }, () => []);
  for (let e = 0; e < w.length; e++) rowsOf[rowOf(e)].push(e);
  for (const row of rowsOf) balanceRow(row, w, indices, table, keepZero);
  w.forEach((_, e) => {
    values[e] = table(e)[indices[e]];
  });
  return { values, codebook: { bits, tables, tableCount: groups, indices } };
}

/**
 * Balanced assignment: nearest-centroid snapping can shift an output channel's weight sum
 * (sum of errors up to n x half a gap), a systematic error in every output that scales
 * with the input's mean (x - zero point). This moves the cheapest borderline weights to
 * their other neighbouring centroid until the row's error sum is as close to 0 as single
 * moves allow, so the channel's response to a constant input is kept. Data-free; costs
 * a little weight MSE (each move is the least squared-error increase per unit of sum).
 * With keepZero, weights that are 0 (pruned) never move.
 */
function balanceRow(row: number[], w: Int8Array, indices: Uint8Array, table: (e: number) => number[], keepZero: boolean): void {
  let sum = 0;
  for (const e of row) sum += table(e)[indices[e]] - w[e];
  if (sum === 0) return;
  const moves: { e: number; to: number; delta: number; cost: number }[] = [];
  for (const e of row) {
    if (keepZero && w[e] === 0) continue;
    const c = table(e), j = indices[e];
    const to = sum > 0 ? j - 1 : j + 1; // the neighbour that lowers |sum|
    if (to < 0 || to >= c.length || c[to] === c[j]) continue;
    const delta = c[to] - c[j];
    const cost = (c[to] - w[e]) ** 2 - (c[j] - w[e]) ** 2;
    moves.push({ e, to, delta, cost: cost / Math.abs(delta) });
  }
  moves.sort((a, b) => a.cost - b.cost || a.e - b.e);
  for (const m of moves) {
    if (Math.abs(sum + m.delta) >= Math.abs(sum)) continue;
    sum += m.delta;
    indices[m.e] = m.to;
    if (sum === 0) break;
  }
}
