// Fidelity of a quantized model against its float reference: output and per-layer
// SQNR = 10 log10(sum(ref^2) / sum((q - ref)^2)) dB, and top-1 agreement. Per-layer
// values come from the real int8 kernels: a probe build of the prepared graph exposes
// every int8 activation that has a float twin as an extra output.

import { Graph, Quant, elementCount } from '../ir/graph.js';
import { emit } from '../convert.js';
import { loadModelNode } from '../runtime/node.js';
import { Target } from '../runtime/loader.js';
import { runFloat } from './interpret.js';

export interface LayerSqnr {
  tensor: string;
  op: string;
  sqnrDb: number;
}

export interface SqnrReport {
  layers: LayerSqnr[];
  outputSqnrDb: number;
  top1Agreement: number;
  samples: number;
}

/** Running sums for SQNR over many samples. */
export class SqnrAccumulator {
  signal = 0;
  noise = 0;
  add(ref: ArrayLike<number>, got: ArrayLike<number>): void {
    for (let i = 0; i < ref.length; i++) {
      this.signal += ref[i] * ref[i];
      this.noise += (got[i] - ref[i]) ** 2;
    }
  }
  get db(): number {
    return this.noise === 0 ? Infinity : 10 * Math.log10(this.signal / this.noise);
  }
}

export function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

export function dequantize(bytes: Uint8Array, q: Quant): Float32Array {
  const v = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Float32Array.from(v, (x) => q.scale[0] * (x - q.zeroPoint[0]));
}

export function f32(bytes: Uint8Array): Float32Array {
  return new Float32Array(bytes.slice().buffer);
}

export function f32Bytes(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
}

/**
 * floatGraph: the graph quantize-int8 read; prepared: the final graph (same tensor
 * indices for activations). Inputs and outputs are float32 on both sides.
 */
export async function measureSqnr(floatGraph: Graph, prepared: Graph, samples: Float32Array[][], target: Target = 'simd'): Promise<SqnrReport> {
  const producedBy = new Map<number, string>();
  prepared.ops.forEach((op) => op.outputs.forEach((t) => producedBy.set(t, op.type)));
  const probes = prepared.ops
    .flatMap((op) => op.outputs)
    .filter((t) => t < floatGraph.tensors.length && prepared.tensors[t].dtype === 'int8' && prepared.tensors[t].quant && !prepared.outputs.includes(t) &&
      elementCount(prepared.tensors[t].shape) === elementCount(floatGraph.tensors[t].shape));
  const probe: Graph = { ...prepared, outputs: [...prepared.outputs, ...probes] };
  const model = await loadModelNode(emit(probe).epk, target);
  const layerAcc = probes.map(() => new SqnrAccumulator());
  const outAcc = new SqnrAccumulator();
  let agree = 0;
  for (const inputs of samples) {
    const ref = new Map<number, Float32Array>();
    const refOut = runFloat(floatGraph, inputs, (t, v) => ref.set(t, v));
    const got = model.run(...inputs.map(f32Bytes));
    const outs = got.slice(0, prepared.outputs.length).map(f32);
    outAcc.add(refOut[0], outs[0]);
    if (argmax(refOut[0]) === argmax(outs[0])) agree++;
    probes.forEach((t, k) => layerAcc[k].add(ref.get(t)!, dequantize(got[prepared.outputs.length + k], prepared.tensors[t].quant!)));
  }
  return {
    layers: probes.map((t, k) => ({ tensor: prepared.tensors[t].name, op: producedBy.get(t)!, sqnrDb: layerAcc[k].db })),
    outputSqnrDb: outAcc.db,
    top1Agreement: agree / samples.length,
    samples: samples.length,
  };
}

export function formatSqnr(r: SqnrReport): string {
  const lines = r.layers.map((l) => `  ${l.sqnrDb.toFixed(1).padStart(6)} dB  ${l.op.padEnd(18)} ${l.tensor}`);
  lines.push(`output SQNR ${r.outputSqnrDb.toFixed(1)} dB, top-1 agreement ${(100 * r.top1Agreement).toFixed(1)}% over ${r.samples} inputs`);
  return ['per-layer SQNR vs float reference:', ...lines].join('\n');
}
