// prune: magnitude (unstructured) pruning. Matches every conv / depthwise / FC int8
// filter; emits it with the fraction `sparsity` of its smallest-|w| weights set to 0,
// per layer. Guarantees: shapes, biases and quantization are untouched; exactly
// floor(sparsity * n) weights of each filter are zero or were already.

import { ConvertError, Graph, cloneGraph } from '../ir/graph.js';
import { weightRefs } from './weights.js';

export function magnitudePrune(sparsity: number): (g: Graph) => Graph {
  return (input) => {
    if (!(sparsity >= 0 && sparsity < 1)) throw new ConvertError(`${input.source}: --prune must be in [0, 1), got ${sparsity}`);
    const g = cloneGraph(input);
    for (const ref of weightRefs(g)) {
      const w = ref.tensor.data as Int8Array;
      g.tensors[ref.t] = { ...ref.tensor, data: pruneSmallest(w, Math.floor(sparsity * w.length)) };
    }
    return g;
  };
}

/** A copy of w with its `count` smallest-magnitude weights zeroed (ties: lower index first). O(n) via a magnitude histogram. */
export function pruneSmallest(w: Int8Array, count: number): Int8Array {
  const hist = new Array<number>(129).fill(0);
  for (const v of w) hist[Math.abs(v)]++;
  let below = 0, m = 0;
  while (m < 128 && below + hist[m] <= count) below += hist[m++]; // every |w| < m goes
  let atM = count - below; // then this many of |w| == m, lowest index first
  const out = Int8Array.from(w);
  for (let i = 0; i < out.length; i++) {
    const a = Math.abs(out[i]);
    if (a < m) out[i] = 0;
    else if (a === m && atM > 0) {
      out[i] = 0;
      atM--;
    }
  }
  return out;
}
