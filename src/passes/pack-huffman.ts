// pack (with Huffman): matches every conv / depthwise / FC int8 filter; emits
// `tensor.packed`, the smallest of raw int8 / codebook indices / Huffman over int8 /
// Huffman over codebook indices (or the representation the user forces). Guarantees:
// the blob decodes to exactly `tensor.data`, checked here for every packed tensor.

import { ConvertError, Graph, cloneGraph } from '../ir/graph.js';
import { Repr, blobInfo, decodeBlob, encodeBlob } from '../format/packed.js';
import { weightRefs } from './weights.js';

export interface PackOptions {
  /** Allow Huffman coding (--huffman). */
  huffman?: boolean;
  /** Force one representation for every filter it applies to (--pack). */
  force?: Repr;
}

export const REPRS: Repr[] = ['raw', 'codebook', 'huffman', 'codebook+huffman'];

export function pack(opts: PackOptions): (g: Graph) => Graph {
  return (input) => {
    const g = cloneGraph(input);
    for (const ref of weightRefs(g)) {
      const values = ref.tensor.data as Int8Array;
      const cb = ref.tensor.codebook ?? null;
      // A forced codebook representation applies to the filters that have a codebook; the others stay raw.
      const forced = opts.force && (!opts.force.startsWith('codebook') || cb) ? [opts.force] : opts.force ? [] : null;
      const allowed = forced ?? REPRS.filter((r) => (!r.startsWith('codebook') || cb) && (!r.endsWith('huffman') || opts.huffman));
      let best: { blob: Uint8Array; repr: Repr } | null = null;
      for (const repr of allowed) {
        if (repr === 'raw') continue;
        const blob = encodeBlob(ref.layout, values, repr.startsWith('codebook') ? cb : null, repr.endsWith('huffman'));
        if (!best || blob.length < best.blob.length) best = { blob, repr };
      }
      const keepRaw = !best || (!forced && best.blob.length >= values.length);
      if (keepRaw) {
        g.tensors[ref.t] = { ...ref.tensor, packed: undefined };
        continue;
      }
      checkRoundTrip(g.source, ref.tensor.name, best!.blob, ref.layout.channelLast, values);
      g.tensors[ref.t] = { ...ref.tensor, packed: best! };
    }
    return g;
  };
}

function checkRoundTrip(source: string, name: string, blob: Uint8Array, channelLast: boolean, values: Int8Array): void {
  const back = decodeBlob(blob, channelLast);
  const bad = back.findIndex((v, i) => v !== values[i]);
  if (bad >= 0) throw new ConvertError(`${source}: packed "${name}" (${blobInfo(blob).repr}) decodes wrongly at weight ${bad}`);
}

/** Scratch bytes the runtime needs: the largest Huffman tile of any packed tensor. */
export function packScratchBytes(g: Graph): number {
  return g.tensors.reduce((m, t) => Math.max(m, t.packed ? blobInfo(t.packed.blob).tileBytes : 0), 0);
}
