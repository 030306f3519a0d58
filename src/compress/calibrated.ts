// Conversion with calibration data for compression: converts once plainly to reach the
// prepared int8 graph, runs it on the calibration inputs to collect each filter's
// layer-input statistics (layer-stats.ts), then converts with compensate-weights
// (src/passes/compensate-weights.ts) in place of prune + share-weights.

import { ConvertOptions, ConvertResult, convertModel } from '../convert.js';
import { Graph } from '../ir/graph.js';
import { LayerOutcome } from '../passes/compensate-weights.js';
import { LayerStats, collectLayerStats } from './layer-stats.js';

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

export async function convertCalibrated(bytes: Uint8Array, name: string, opts: ConvertOptions, samples: Uint8Array[][], log?: (l: string) => void): Promise<Calibrated> {
  const stats = await layerStats(bytes, name, opts, samples, log);
  const outcome = new Map<number, LayerOutcome>();
  const result = convertModel(bytes, name, { ...opts, compress: { ...opts.compress, calibration: { stats, outcome } } });
  return { result, stats, outcome };
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
