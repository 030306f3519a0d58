// Conversion with calibration data for compression: converts once plainly to reach the
// prepared int8 graph, runs it on the calibration inputs to collect each filter's
// layer-input statistics (layer-stats.ts), then converts with compensate-weights
// (src/passes/compensate-weights.ts) in place of prune + share-weights.

import { ConvertOptions, ConvertResult, convertModel } from '../convert.js';
import { Graph } from '../ir/graph.js';
import { Compressed, LayerOutcome, compensateWeights } from '../passes/compensate-weights.js';
import { weightRefs } from '../passes/weights.js';
import { LayerStats, collectLayerStats } from './layer-stats.js';

/**
 * Model multiply-adds x calibration inputs the sequential statistics may spend per pass
 * budget: passes = this / (MACs x inputs), at least 1, at most one per filter. ic_resnet8
 * (12.5 M MACs) with 200 inputs: one pass per filter; mobilenet_v2 (300 M): 2.
 */
export const SEQUENTIAL_BUDGET = 1.2e11;

export interface Calibrated {
  result: ConvertResult;
  stats: Map<number, LayerStats>;
  /** Per source op: compensated or data-free, and the output error energy on the calibration data. */
  outcome: Map<number, LayerOutcome>;
}

/** The prepared int8 graph compensate-weights will see (same passes before it, no compression after). */
export function preparedGraph(bytes: Uint8Array, name: string, opts: ConvertOptions): Graph {
  const c = opts.compress ?? {};
  const plain = convertModel(bytes, name, { ...opts, log: () => {}, compress: { structuredPrune: c.structuredPrune, names: 'all' }, weightLayouts: false });
  return plain.after['prepare-kernels'];
}

/** The statistics of every filter of the prepared graph over the calibration inputs (bytes as `run` takes them). */
export async function layerStats(bytes: Uint8Array, name: string, opts: ConvertOptions, samples: Uint8Array[][], log?: (l: string) => void): Promise<Map<number, LayerStats>> {
  return collectLayerStats(preparedGraph(bytes, name, opts), samples, log);
}

/** Whether calibrated conversions use sequential statistics unless told. */
export const SEQUENTIAL_DEFAULT = false;

/** Calibrated conversion; `sequential: false` takes every layer's statistics from the int8 model (one pass). */
export async function convertCalibrated(bytes: Uint8Array, name: string, opts: ConvertOptions, samples: Uint8Array[][], log?: (l: string) => void, { sequential = SEQUENTIAL_DEFAULT } = {}): Promise<Calibrated> {
  const c = opts.compress ?? {};
  const cache = new Map<string, Compressed>();
  const prepared = preparedGraph(bytes, name, opts);
  const stats = sequential
    ? await sequentialStats(prepared, samples, { bits: c.codebook, layers: c.codebookLayers, prune: c.prune }, cache, log)
    : await collectLayerStats(prepared, samples, log);
  const outcome = new Map<number, LayerOutcome>();
  const result = convertModel(bytes, name, { ...opts, log: opts.log ?? log, compress: { ...c, calibration: { stats, outcome, cache } } });
  return { result, stats, outcome };
}

/** Multiply-adds of one inference over the filters (weights x output positions). */
export function filterMacs(g: Graph): number {
  return weightRefs(g).reduce((s, r) => s + r.layout.rows * r.layout.rowElems * (g.tensors[r.op.outputs[0]].shape.reduce((a, b) => a * b, 1) / r.layout.rows), 0);
}

/**
 * Sequential statistics (GPTQ's sequential mode, with the int8 model as the target): the
 * filters in op order split into passes; the first pass's statistics come from the int8
 * model, each later pass's from the model whose filters of the earlier passes are already
 * compressed (`compress`, with the statistics found so far), with cross moments against the
 * int8 model, so a layer's weights take back the output error of the layers before it.
 */
export async function sequentialStats(
  prepared: Graph, samples: Uint8Array[][], compress: { bits?: number; layers?: Record<number, number>; levelsLayers?: Record<number, number>; ratesLayers?: Record<number, number>; prune?: number },
  cache: Map<string, Compressed>, log?: (l: string) => void,
): Promise<Map<number, LayerStats>> {
  const refs = weightRefs(prepared);
  const passes = Math.max(1, Math.min(refs.length, Math.floor(SEQUENTIAL_BUDGET / Math.max(1, filterMacs(prepared) * samples.length))));
  const stats = new Map<number, LayerStats>();
  const done = new Set<number>();
  for (let p = 0; p < passes; p++) {
    const group = refs.slice(Math.floor((p * refs.length) / passes), Math.floor(((p + 1) * refs.length) / passes));
    const only = new Set(group.map((r) => r.t));
    const compressed = p === 0 ? undefined : compensateWeights({ ...compress, stats, only: done, cache, log })(prepared);
    log?.(`calibration: pass ${p + 1}/${passes}: ${group.length} filters${p ? ', inputs from the model with the earlier ones compressed' : ''}`);
    for (const [t, s] of await collectLayerStats(prepared, samples, log, { compressed, only })) stats.set(t, s);
    for (const t of only) done.add(t);
  }
  return stats;
}

/** Calibration samples of a float model (float32 values) as the prepared graph's input bytes: float32, or int8 quantized with the input's scale and zero point. */
export function inputBytes(g: Graph, sample: Float32Array[]): Uint8Array[] {
  return g.inputs.map((t, k) => {
    const x = sample[k], tensor = g.tensors[t];
    if (tensor.dtype === 'float32') return new Uint8Array(Float32Array.from(x).buffer);
    const scale = tensor.quant?.scale[0] ?? 1, zp = tensor.quant?.zeroPoint[0] ?? 0;
    return Uint8Array.from(x, (v) => {
      const r = v / scale;
      return Math.max(-128, Math.min(127, Math.sign(r) * Math.round(Math.abs(r)) + zp)) & 0xff;
    });
  });
}
