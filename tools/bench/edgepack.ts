// edgepack under the harness: convert a .tflite (with or without the layout-weights pass),
// load it in a runtime build, count MACs per emitted op, and time ops one by one.

import { convertModel, importModel } from '../../src/convert.js';
import { writeEpk } from '../../src/format/writer.js';
import { OP_NAMES, OP_PACKED_PARAM_COUNT, OpCode } from '../../src/format/constants.js';
import { Graph, Op } from '../../src/ir/graph.js';
import { prepareKernels } from '../../src/passes/prepare-kernels.js';
import { planMemory } from '../../src/passes/plan-memory.js';
import { Model, RuntimeExports } from '../../src/runtime/loader.js';
import { loadModelNode } from '../../src/runtime/node.js';
import { Target } from '../../src/runtime/loader.js';

export interface Converted {
  epk: Uint8Array;
  graph: Graph;
  scratchBytes: number;
  arenaBytes: number;
}

/** The full pipeline (packed layouts), or `reference`: prepare + plan + emit only (_ref kernels). */
export function convert(bytes: Uint8Array, name: string, reference = false): Converted {
  if (!reference) {
    const r = convertModel(bytes, name, { log: () => {} });
    return { epk: r.epk, graph: r.graph, scratchBytes: new DataView(r.epk.buffer).getUint32(24, true), arenaBytes: r.plan.arenaBytes };
  }
  const g = prepareKernels(importModel(bytes, name));
  const plan = planMemory(g);
  return { epk: writeEpk(g, plan), graph: g, scratchBytes: 0, arenaBytes: plan.arenaBytes };
}

/** Multiply-accumulates of one emitted op (conv, depthwise, FC; 0 for the rest). */
export function opMacs(g: Graph, op: Op): number {
  const k = op.kernel;
  if (!k) return 0;
  if (k.opcode !== OpCode.Conv2D && k.opcode !== OpCode.DepthwiseConv2D && k.opcode !== OpCode.FullyConnected) return 0;
  const y = g.tensors[op.outputs[0]].shape, x = g.tensors[op.inputs[0]].shape, w = g.tensors[op.inputs[1]].shape;
  const outputs = y.reduce((a, d) => a * d, 1);
  if (k.opcode === OpCode.Conv2D) {
    const packed = k.params.length === OP_PACKED_PARAM_COUNT[OpCode.Conv2D];
    const taps = packed ? k.params[11] * k.params[12] * x[3] : w[1] * w[2] * w[3];
    return outputs * taps;
  }
  if (k.opcode === OpCode.DepthwiseConv2D) return outputs * w[1] * w[2];
  if (k.opcode === OpCode.FullyConnected) {
    const depth = k.params.length === OP_PACKED_PARAM_COUNT[OpCode.FullyConnected] ? k.params[5] : w[1];
    return outputs * depth;
  }
  return 0;
}

export function emittedOps(g: Graph): Op[] {
  return g.ops.filter((o) => o.kernel);
}

export function modelMacs(g: Graph): number {
  return emittedOps(g).reduce((a, op) => a + opMacs(g, op), 0);
}

export function opLabel(op: Op): string {
  return OP_NAMES[op.kernel!.opcode as OpCode] ?? op.type;
}

export async function load(epk: Uint8Array, target: Target): Promise<Model> {
  return loadModelNode(epk, target);
}

/** Per-op time (median over `rounds` full passes, each op timed alone), in ms. */
export function profileOps(model: Model, input: Uint8Array, rounds: number): number[] {
  const e = model.exports as RuntimeExports & { ep_op_count(): number; ep_invoke_op(i: number): number };
  const n = e.ep_op_count();
  const times: number[][] = Array.from({ length: n }, () => []);
  for (let r = 0; r < rounds; r++) {
    new Uint8Array(e.memory.buffer, e.ep_input_ptr(0), input.length).set(input);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const code = e.ep_invoke_op(i);
      times[i].push(performance.now() - t0);
      if (code !== 0) throw new Error(`ep_invoke_op(${i}) returned ${code}`);
    }
  }
  return times.map((t) => median(t));
}

export function median(v: number[]): number {
  return quantile(v, 0.5);
}

/** Linear interpolation between order statistics, as tinybench does. */
export function quantile(v: number[], q: number): number {
  const s = [...v].sort((a, b) => a - b);
  const pos = (s.length - 1) * q, lo = Math.floor(pos), hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
