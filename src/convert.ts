// The converter's pipeline, in order, one named pass per line.
// import (tflite) -> [prune -> structured-prune] -> prepare-kernels -> [share-weights -> pack]
// -> plan-memory -> emit .epk   (bracketed passes run when compression options ask for them)

import { Graph, formatGraph } from './ir/graph.js';
import { importTflite } from './import/tflite/index.js';
import { prepareKernels } from './passes/prepare-kernels.js';
import { MemoryPlan, planMemory } from './passes/plan-memory.js';
import { verifyGraph } from './passes/verify.js';
import { writeEpk } from './format/writer.js';
import { magnitudePrune } from './passes/prune.js';
import { structuredPrune } from './passes/structured-prune.js';
import { shareWeights } from './passes/share-weights.js';
import { pack, packScratchBytes } from './passes/pack-huffman.js';
import { Repr } from './format/packed.js';

/** Compression choices (docs/compression.md); all off by default. */
export interface CompressOptions {
  /** Magnitude pruning: fraction of each filter's weights set to 0 (--prune). */
  prune?: number;
  /** Structured pruning: fraction of output channels removed where consumers allow (--structured-prune). */
  structuredPrune?: number;
  /** Codebook index bits, 2..8 (--codebook). */
  codebook?: number;
  /** Per-layer codebook bits by source op index (--codebook-layer OP=B); 0 = no codebook there. */
  codebookLayers?: Record<number, number>;
  /** One codebook per output channel (--per-channel-codebook). */
  perChannelCodebook?: boolean;
  /** Allow Huffman coding (--huffman). */
  huffman?: boolean;
  /** Force a representation for every filter (--pack). */
  pack?: Repr;
}

export interface ConvertOptions {
  /** Pass names after which to print the graph (`--dump-after`). */
  dumpAfter?: string[];
  log?: (line: string) => void;
  compress?: CompressOptions;
}

export interface ConvertResult {
  graph: Graph;
  plan: MemoryPlan;
  epk: Uint8Array;
}

type Pass = [name: string, run: (g: Graph) => Graph];

/** Graph passes between import and planning, in order. */
export const PASSES: Pass[] = [['prepare-kernels', prepareKernels]];

/** The passes one conversion runs: PASSES with the compression passes its options ask for. */
export function passesFor(c: CompressOptions = {}): Pass[] {
  const before: Pass[] = [], after: Pass[] = [];
  if (c.prune) before.push(['prune', magnitudePrune(c.prune)]);
  if (c.structuredPrune) before.push(['structured-prune', structuredPrune(c.structuredPrune)]);
  if (c.codebook || c.codebookLayers) {
    after.push(['share-weights', shareWeights({ bits: c.codebook, layers: c.codebookLayers, perChannel: c.perChannelCodebook, keepZero: !!c.prune })]);
  }
  if (c.codebook || c.codebookLayers || c.huffman || c.pack) after.push(['pack', pack({ huffman: c.huffman, force: c.pack })]);
  return [...before, ...PASSES, ...after];
}

export function convertGraph(imported: Graph, opts: ConvertOptions = {}): ConvertResult {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const dump = (name: string, g: Graph) => {
    if (opts.dumpAfter?.includes(name)) log(`--- after ${name}\n${formatGraph(g)}`);
  };
  let g = imported;
  verifyGraph(g, 'import');
  dump('import', g);
  for (const [name, run] of passesFor(opts.compress)) {
    g = run(g);
    verifyGraph(g, name);
    dump(name, g);
  }
  const plan = planMemory(g);
  const epk = writeEpk(g, plan, { scratchBytes: packScratchBytes(g) });
  return { graph: g, plan, epk };
}

export function convertModel(bytes: Uint8Array, name: string, opts: ConvertOptions = {}): ConvertResult {
  return convertGraph(importModel(bytes, name), opts);
}

export function importModel(bytes: Uint8Array, name: string): Graph {
  return importTflite(bytes, name);
}
