// The converter's pipeline, in order, one named pass per line.
// import (tflite) -> prepare-kernels -> layout-weights -> plan-memory -> emit .epk

import { Graph, formatGraph } from './ir/graph.js';
import { importTflite } from './import/tflite/index.js';
import { prepareKernels } from './passes/prepare-kernels.js';
import { layoutWeights, scratchBytes } from './passes/layout-weights.js';
import { MemoryPlan, planMemory } from './passes/plan-memory.js';
import { verifyGraph } from './passes/verify.js';
import { writeEpk } from './format/writer.js';

export interface ConvertOptions {
  /** Pass names after which to print the graph (`--dump-after`). */
  dumpAfter?: string[];
  log?: (line: string) => void;
}

export interface ConvertResult {
  graph: Graph;
  plan: MemoryPlan;
  epk: Uint8Array;
}

type Pass = [name: string, run: (g: Graph) => Graph];

/** Graph passes between import and planning, in order. */
export const PASSES: Pass[] = [
  ['prepare-kernels', prepareKernels],
  ['layout-weights', layoutWeights],
];

export function convertGraph(imported: Graph, opts: ConvertOptions = {}): ConvertResult {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const dump = (name: string, g: Graph) => {
    if (opts.dumpAfter?.includes(name)) log(`--- after ${name}\n${formatGraph(g)}`);
  };
  let g = imported;
  verifyGraph(g, 'import');
  dump('import', g);
  for (const [name, run] of PASSES) {
    g = run(g);
    verifyGraph(g, name);
    dump(name, g);
  }
  const plan = planMemory(g);
  const epk = writeEpk(g, plan, { scratchBytes: scratchBytes(g) });
  return { graph: g, plan, epk };
}

export function convertModel(bytes: Uint8Array, name: string, opts: ConvertOptions = {}): ConvertResult {
  return convertGraph(importModel(bytes, name), opts);
}

export function importModel(bytes: Uint8Array, name: string): Graph {
  return importTflite(bytes, name);
}
