// The converter's pipeline, in order, one named pass per line:
// import (tflite | onnx) -> check-ops -> strip -> fold -> fuse -> lower-slices -> lower-pack -> collapse-rank -> quantize -> lower-space-to-batch -> collapse-rank -> [prune -> structured-prune]
// -> prepare-kernels -> [share-weights -> pack] -> layout-weights -> plan-memory -> emit .epk
// (bracketed passes run when compression options ask for them).

import { ConvertError, Graph, formatGraph } from './ir/graph.js';
import { importTflite } from './import/tflite/index.js';
import { importOnnx, isOnnx } from './import/onnx/index.js';
import { strip } from './passes/strip.js';
import { foldBatchNorm } from './passes/fold-batchnorm.js';
import { foldConstants } from './passes/fold-constants.js';
import { fuseActivation } from './passes/fuse-activation.js';
import { fusePad } from './passes/fuse-pad.js';
import { QuantizeOptions, quantizeInt8 } from './passes/quantize-int8.js';
import { magnitudePrune } from './passes/prune.js';
import { structuredPrune } from './passes/structured-prune.js';
import { prepareKernels } from './passes/prepare-kernels.js';
import { lowerSlices } from './passes/lower-slices.js';
import { lowerPack } from './passes/lower-pack.js';
import { lowerSpaceToBatch } from './passes/lower-space-to-batch.js';
import { collapseRank } from './passes/collapse-rank.js';
import { shareWeights } from './passes/share-weights.js';
import { Compressed, LayerOutcome, compensateWeights } from './passes/compensate-weights.js';
import type { LayerStats } from './compress/layer-stats.js';
import { pack, packScratchBytes } from './passes/pack-huffman.js';
import { narrowShiftScratch, narrowShifts } from './passes/narrow-shifts.js';
import { layoutWeights, scratchBytes } from './passes/layout-weights.js';
import { MemoryPlan, PlanOptions, planMemory } from './passes/plan-memory.js';
import { verifyGraph } from './passes/verify.js';
import { checkOps } from './passes/check-ops.js';
import { NameMode, writeEpk } from './format/writer.js';
import { Repr } from './format/packed.js';
import { Bytes, toBytes } from './io/bytes.js';

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
  /** With calibration: centroids per codebook table by source op index (<= 2^bits; chosen by the size budget). */
  levelsLayers?: Record<number, number>;
  /** With calibration: rate weight of the entropy-constrained assignment by source op index (chosen by the size budget). */
  ratesLayers?: Record<number, number>;
  /** Allow Huffman coding (--huffman). */
  huffman?: boolean;
  /** Force a representation for every filter (--pack). */
  pack?: Repr;
  /** Tensor names kept in the .epk (--names); default 'io' when any compression option is on, else 'all'. */
  names?: NameMode;
  /**
   * Layer-input statistics from calibration data (src/compress/calibrated.ts): pruning and
   * sharing then run as compensate-weights instead of prune + share-weights.
   */
  calibration?: { stats: Map<number, LayerStats>; outcome?: Map<number, LayerOutcome>; cache?: Map<string, Compressed> };
}

/** True when the options ask for any compression pass. */
export function compressing(c: CompressOptions = {}): boolean {
  return !!(c.prune || c.structuredPrune || c.codebook || c.codebookLayers || c.huffman || c.pack);
}

export interface ConvertOptions {
  /** Pass names after which to print the graph (`--dump-after`). */
  dumpAfter?: string[];
  log?: (line: string) => void;
  /** Calibration for float models (`--calibrate`, `--percentile`). */
  quantize?: QuantizeOptions;
  compress?: CompressOptions;
  /**
   * Reorder weights into the fast kernels' blocked layouts (layout-weights). Default: on for
   * plain conversions, off when compressing (the layouts add requantization tables and
   * padding: person_detect int8+Huffman 0.800x -> 0.884x the .tflite), and off for streamed
   * builds that tile weights by output channel within a small stage.
   */
  weightLayouts?: boolean;
  /**
   * Streamed stage budget (bytes): only ops whose constants fit it may write their output
   * over their input (plan-memory), since such an op cannot be tiled. Default 8192.
   */
  stageBytes?: number;
}

export interface ConvertResult {
  graph: Graph;
  plan: MemoryPlan;
  epk: Uint8Array;
  /** The graph after each pass, by pass name ('import' too). */
  after: Record<string, Graph>;
}

type Pass = [name: string, run: (g: Graph, opts: ConvertOptions) => Graph];

/** Graph passes between import and planning, in order (compression passes: passesFor). */
export const PASSES: Pass[] = [
  ['strip', strip],
  ['fold-batchnorm', foldBatchNorm],
  ['fold-constants', foldConstants],
  ['fuse-activation', fuseActivation],
  ['fuse-pad', fusePad],
  ['lower-slices', lowerSlices], // before quantize-int8: the float reference then sees one-output STRIDED_SLICEs
  ['lower-pack', lowerPack],
  ['collapse-rank', collapseRank(false)], // after the lowerings (rank-5 slices become STRIDED_SLICEs), before the float reference
  ['quantize-int8', (g, o) => quantizeInt8(g, o.quantize)],
  ['lower-space-to-batch', lowerSpaceToBatch],
  ['collapse-rank-lowered', collapseRank(true)],
  ['prepare-kernels', prepareKernels],
  ['layout-weights', layoutWeights],
];

/**
 * The passes one conversion runs: PASSES with the compression passes its options ask for --
 * pruning before prepare-kernels, sharing and packing right after it (layout-weights then
 * leaves packed filters to the LUT/Huffman kernels).
 */
export function passesFor(opts: ConvertOptions = {}): Pass[] {
  const c = opts.compress ?? {};
  const prune: Pass[] = [], share: Pass[] = [];
  const cal = c.calibration;
  if (c.prune && !cal) prune.push(['prune', magnitudePrune(c.prune)]);
  if (c.structuredPrune) prune.push(['structured-prune', structuredPrune(c.structuredPrune)]);
  if (cal && (c.prune || c.codebook || c.codebookLayers)) {
    share.push(['compensate-weights', compensateWeights({ stats: cal.stats, bits: c.codebook, layers: c.codebookLayers, levelsLayers: c.levelsLayers, ratesLayers: c.ratesLayers, prune: c.prune, outcome: cal.outcome, cache: cal.cache, log: opts.log })]);
  } else if (c.codebook || c.codebookLayers) {
    share.push(['share-weights', shareWeights({ bits: c.codebook, layers: c.codebookLayers, perChannel: c.perChannelCodebook, keepZero: !!c.prune })]);
  }
  if (c.codebook || c.codebookLayers || c.huffman || c.pack) share.push(['pack', pack({ huffman: c.huffman, force: c.pack })], ['narrow-shifts', narrowShifts]);
  const prepare = PASSES.findIndex(([name]) => name === 'prepare-kernels');
  const layouts = opts.weightLayouts ?? !compressing(c);
  const rest = PASSES.slice(prepare + 1).filter(([name]) => name !== 'layout-weights' || layouts);
  return [...PASSES.slice(0, prepare), ...prune, PASSES[prepare], ...share, ...rest];
}

export function convertGraph(imported: Graph, opts: ConvertOptions = {}): ConvertResult {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const dump = (name: string, g: Graph) => {
    if (opts.dumpAfter?.includes(name)) log(`--- after ${name}\n${formatGraph(g)}`);
  };
  let g = imported;
  const after: Record<string, Graph> = { import: g };
  checkOps(g); // custom ops, ops no pass handles, int16 activations: named before any graph check
  verifyGraph(g, 'import');
  dump('import', g);
  for (const [name, run] of passesFor(opts)) {
    g = inPass(name, g.source, () => run(g, opts));
    verifyGraph(g, name);
    after[name] = g;
    dump(name, g);
  }
  const c = opts.compress ?? {};
  const { plan, epk } = inPass('emit', g.source, () => emit(g, c.names ?? (compressing(c) ? 'io' : 'all'), { stageBytes: opts.stageBytes }));
  return { graph: g, plan, epk, after };
}

/**
 * Runs one pass; an exception that is not a ConvertError (a bug, or an input no check
 * caught) becomes one ConvertError naming the pass, never a raw TypeError/RangeError.
 */
export function inPass<T>(pass: string, source: string, run: () => T): T {
  try {
    return run();
  } catch (e) {
    if (e instanceof ConvertError) throw e;
    throw new ConvertError(`${source}: internal error in pass ${pass}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

/** plan-memory -> emit: the arena plan and the .epk bytes of a prepared graph. */
export function emit(g: Graph, names: NameMode = 'all', planOptions: PlanOptions = {}): { plan: MemoryPlan; epk: Uint8Array } {
  const plan = planMemory(g, planOptions);
  // Huffman tiles (packed filters) and im2col patches (layout-packed convs) never share an op.
  const epk = writeEpk(g, plan, { scratchBytes: Math.max(packScratchBytes(g), scratchBytes(g), narrowShiftScratch(g)), names });
  return { plan, epk };
}

export function convertModel(bytes: Bytes, name: string, opts: ConvertOptions = {}): ConvertResult {
  return convertGraph(importModel(bytes, name), opts);
}

/** Picks the importer by content: a TFLite flatbuffer says "TFL3" at byte 4; else ONNX protobuf. */
export function importModel(input: Bytes, name: string): Graph {
  const bytes = toBytes(input, 'model bytes');
  return inPass('import', name, () => (isOnnx(bytes) ? importOnnx(bytes, name) : importTflite(bytes, name)));
}
