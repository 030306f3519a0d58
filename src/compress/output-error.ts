// Whole-model output error of a compressed graph against the int8 graph, on calibration
// inputs (tools/budget-experiment.ts ranks allocation rules by it). An output a SOFTMAX
// produces is compared before it, on the logits: the KL divergence of softmax(beta x logits)
// from the int8 model's, in nats per input, or their total variation (the int8 softmax output moves in steps of 1/256,
// so a few inputs whose top class flips would dominate a measure taken after it). Any other
// output: sum (y - ref)^2 / sum ref^2 over its real values. The sum over outputs is returned.

import { Graph } from '../ir/graph.js';
import { emit } from '../convert.js';
import { load } from '../runtime/loader.js';
import { layoutWeights } from '../passes/layout-weights.js';

/** How two softmax outputs are compared: KL(int8 || compressed) in nats, or total variation 0.5 sum |p - q| (bounded by 1 per input). */
export type Divergence = 'kl' | 'tv';

/** What each graph output is measured on: the tensor run, and whether it holds softmax logits. */
interface Probe {
  tensor: number;
  scale: number;
  zeroPoint: number;
  /** Softmax beta when the tensor is a SOFTMAX input (logits), else undefined. */
  beta?: number;
  /** Last dimension (the softmax axis). */
  depth: number;
}

function probes(g: Graph): Probe[] {
  return g.outputs.map((t) => {
    const op = g.ops.find((o) => o.outputs.includes(t));
    const logits = op?.type === 'SOFTMAX' && g.tensors[op.inputs[0]].dtype === 'int8' ? op.inputs[0] : -1;
    const tensor = logits >= 0 ? logits : t;
    const x = g.tensors[tensor];
    const beta = Number(op?.options.beta ?? 1) || 1;
    return { tensor, scale: x.quant?.scale[0] ?? 1, zeroPoint: x.quant?.zeroPoint[0] ?? 0, beta: logits >= 0 ? beta : undefined, depth: x.shape[x.shape.length - 1] ?? 1 };
  });
}

/** Real values of one run's output bytes (int8 tensors dequantized; float32 as stored). */
function realValues(g: Graph, p: Probe, bytes: Uint8Array): Float64Array {
  if (g.tensors[p.tensor].dtype === 'float32') return Float64Array.from(new Float32Array(bytes.slice().buffer));
  const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  return Float64Array.from(q, (v) => p.scale * (v - p.zeroPoint));
}

/** Runs g with the probed tensors as its outputs; returns their real values per input. */
async function runProbed(g: Graph, ps: Probe[], samples: Uint8Array[][]): Promise<Float64Array[][]> {
  const model = await load(emit(layoutWeights({ ...g, outputs: ps.map((p) => p.tensor) }), 'io').epk);
  return samples.map((x) => model.run(...x).map((y, k) => realValues(g, ps[k], y)));
}

/** log softmax of one row, beta applied. */
function logSoftmax(row: Float64Array, beta: number): Float64Array {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, beta * v);
  let sum = 0;
  for (const v of row) sum += Math.exp(beta * v - max);
  const lse = max + Math.log(sum);
  return row.map((v) => beta * v - lse);
}

function outputError(p: Probe, ref: Float64Array, y: Float64Array, divergence: Divergence): { err: number } {
  if (p.beta === undefined) {
    let err = 0;
    for (let i = 0; i < ref.length; i++) err += (y[i] - ref[i]) ** 2;
    return { err };
  }
  let d = 0;
  for (let r = 0; r + p.depth <= ref.length; r += p.depth) {
    const lp = logSoftmax(ref.subarray(r, r + p.depth), p.beta), lq = logSoftmax(y.subarray(r, r + p.depth), p.beta);
    if (divergence === 'kl') for (let i = 0; i < p.depth; i++) d += Math.exp(lp[i]) * (lp[i] - lq[i]);
    else for (let i = 0; i < p.depth; i++) d += 0.5 * Math.abs(Math.exp(lp[i]) - Math.exp(lq[i]));
  }
  return { err: d };
}

/**
 * Returns a function giving a graph's output error against `reference` (the same graph
 * structure: same tensor indices, weights changed) per sample of `samples`: KL (nats) per
 * softmax output plus relative squared error (to the output's mean energy per sample) of the others.
 */
export async function outputErrorMeasure(reference: Graph, samples: Uint8Array[][], divergence: Divergence = 'kl'): Promise<(g: Graph) => Promise<Float64Array>> {
  const ps = probes(reference);
  const refOut = await runProbed(reference, ps, samples);
  const energy = ps.map((p, k) => p.beta === undefined ? refOut.reduce((s, o) => s + o[k].reduce((a, v) => a + v * v, 0), 0) / samples.length : 1);
  return async (g) => {
    const out = await runProbed(g, ps, samples);
    return Float64Array.from(out, (o, i) => ps.reduce((s, p, k) => s + outputError(p, refOut[i][k], o[k], divergence).err / (energy[k] || 1), 0));
  };
}

/** Mean of per-sample errors over the samples i with i % parts == part (all when parts is 1). */
export function meanError(e: Float64Array, parts = 1, part = 0): number {
  let s = 0, n = 0;
  for (let i = part; i < e.length; i += parts) { s += e[i]; n++; }
  return n ? s / n : 0;
}
