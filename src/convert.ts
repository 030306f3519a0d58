// The converter's pipeline, in order, one named pass per line.
// import (tflite | onnx) -> strip -> fold -> fuse -> quantize -> prepare-kernels -> plan-memory -> emit .epk

import { Graph, formatGraph } from './ir/graph.js';
import { importTflite } from './import/tflite/index.js';
import { importOnnx, isOnnx } from './import/onnx/index.js';
import { strip } from './passes/strip.js';
import { foldBatchNorm } from './passes/fold-batchnorm.js';
import { foldConstants } from './passes/fold-constants.js';
import { fuseActivation } from './passes/fuse-activation.js';
import { fusePad } from './passes/fuse-pad.js';
import { QuantizeOptions, quantizeInt8 } from './passes/quantize-int8.js';
import { prepareKernels } from './passes/prepare-kernels.js';
import { MemoryPlan, planMemory } from './passes/plan-memory.js';
import { verifyGraph } from './passes/verify.js';
import { writeEpk } from './format/writer.js';

export interface ConvertOptions {
  /** Pass names after which to print the graph (`--dump-after`). */
  dumpAfter?: string[];
  log?: (line: string) => void;
  /** Calibration for float models (`--calibrate`, `--percentile`). */
  quantize?: QuantizeOptions;
}

export interface ConvertResult {
  graph: Graph;
  plan: MemoryPlan;
  epk: Uint8Array;
  /** The graph after each pass, by pass name ('import' too). */
  after: Record<string, Graph>;
}

type Pass = [name: string, run: (g: Graph, opts: ConvertOptions) => Graph];

/** Graph passes between import and planning, in order. */
export const PASSES: Pass[] = [
  ['strip', strip],
  ['fold-batchnorm', foldBatchNorm],
  ['fold-constants', foldConstants],
  ['fuse-activation', fuseActivation],
  ['fuse-pad', fusePad],
  ['quantize-int8', (g, o) => quantizeInt8(g, o.quantize)],
  ['prepare-kernels', prepareKernels],
];

export function convertGraph(imported: Graph, opts: ConvertOptions = {}): ConvertResult {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const dump = (name: string, g: Graph) => {
    if (opts.dumpAfter?.includes(name)) log(`--- after ${name}\n${formatGraph(g)}`);
  };
  let g = imported;
  const after: Record<string, Graph> = { import: g };
  verifyGraph(g, 'import');
  dump('import', g);
  for (const [name, run] of PASSES) {
    g = run(g, opts);
    verifyGraph(g, name);
    after[name] = g;
    dump(name, g);
  }
  const plan = planMemory(g);
  const epk = writeEpk(g, plan);
  return { graph: g, plan, epk, after };
}

export function convertModel(bytes: Uint8Array, name: string, opts: ConvertOptions = {}): ConvertResult {
  return convertGraph(importModel(bytes, name), opts);
}

/** Picks the importer by content: a TFLite flatbuffer says "TFL3" at byte 4; else ONNX protobuf. */
export function importModel(bytes: Uint8Array, name: string): Graph {
  return isOnnx(bytes) ? importOnnx(bytes, name) : importTflite(bytes, name);
}
