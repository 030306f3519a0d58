// structured-prune: removes whole output channels (filters) of CONV_2D layers, the
// `fraction` with the smallest L1 norm (real-valued: scale[c] * sum |q|) per layer,
// where every reader of the output can be rewired: a following depthwise (multiplier 1)
// or pooling passes the channel set on; a following CONV_2D loses the same input
// channels. Emits smaller filters, biases, per-channel scales and activation shapes.
// Guarantees: the graph stays consistent (prepare-kernels re-checks every shape); a
// layer whose output reaches ADD, CONCATENATION, reshape, FC or a graph output is kept.

import { ConvertError, Graph, Op, Quant, Tensor, TensorData, cloneGraph, consumers } from '../ir/graph.js';

type Plan = { passes: Op[]; sinks: Op[] };

export function structuredPrune(fraction: number): (g: Graph) => Graph {
  return (input) => {
    if (!(fraction >= 0 && fraction < 1)) throw new ConvertError(`${input.source}: --structured-prune must be in [0, 1), got ${fraction}`);
    const g = cloneGraph(input);
    for (const op of g.ops) {
      if (op.type !== 'CONV_2D' || !prunableFilter(g, op)) continue;
      const plan = rewirePlan(g, op.outputs[0]);
      const n = g.tensors[op.inputs[1]].shape[0];
      const drop = Math.floor(fraction * n);
      if (!plan || drop < 1 || n - drop < 1) continue;
      applyPrune(g, op, plan, keepStrongest(g.tensors[op.inputs[1]], n - drop));
    }
    return g;
  };
}

function prunableFilter(g: Graph, op: Op): boolean {
  const w = g.tensors[op.inputs[1]], x = g.tensors[op.inputs[0]];
  return w.data instanceof Int8Array && w.shape.length === 4 && w.shape[3] === x.shape[3];
}

/** Ops that carry the channel set on (depthwise x1, pooling) and ops that end it (conv), or null. */
function rewirePlan(g: Graph, t: number): Plan | null {
  const readers = consumers(g);
  const plan: Plan = { passes: [], sinks: [] };
  const visit = (tensor: number): boolean => {
    if (g.outputs.includes(tensor) || readers[tensor].length === 0) return false;
    for (const i of readers[tensor]) {
      const op = g.ops[i];
      if (op.inputs[0] !== tensor || op.inputs.slice(1).includes(tensor)) return false;
      const w = op.inputs[1] !== undefined && op.inputs[1] >= 0 ? g.tensors[op.inputs[1]] : null;
      if (op.type === 'CONV_2D' && w?.data instanceof Int8Array && w.shape[3] === g.tensors[tensor].shape[3]) plan.sinks.push(op);
      else if (op.type === 'DEPTHWISE_CONV_2D' && w?.data instanceof Int8Array && w.shape[3] === g.tensors[tensor].shape[3] && readersOnce(readers, op)) {
        plan.passes.push(op);
        if (!visit(op.outputs[0])) return false;
      } else if (op.type === 'AVERAGE_POOL_2D' || op.type === 'MAX_POOL_2D') {
        plan.passes.push(op);
        if (!visit(op.outputs[0])) return false;
      } else return false;
    }
    return true;
  };
  return visit(t) ? plan : null;
}

/** The depthwise filter, bias and scales must belong to this op alone. */
function readersOnce(readers: number[][], op: Op): boolean {
  return op.inputs.slice(1).every((t) => t < 0 || readers[t].length === 1);
}

/** Indices (ascending) of the `keep` output channels with the largest real L1 norm. */
export function keepStrongest(w: Tensor, keep: number): number[] {
  const q = w.data as Int8Array;
  const n = w.shape[0], row = q.length / n;
  const norm = Array.from({ length: n }, (_, c) => {
    let s = 0;
    for (let k = 0; k < row; k++) s += Math.abs(q[c * row + k]);
    return s * (w.quant && w.quant.scale.length > 1 ? w.quant.scale[c] : 1);
  });
  return Array.from(norm.keys()).sort((a, b) => norm[b] - norm[a] || a - b).slice(0, keep).sort((a, b) => a - b);
}

/** Copy of `data` (shape) keeping only indices `keep` along `axis`. */
export function sliceAxis<T extends TensorData>(data: T, shape: number[], axis: number, keep: number[]): T {
  const outer = shape.slice(0, axis).reduce((a, d) => a * d, 1);
  const inner = shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const out = new (data.constructor as new (n: number) => T)(outer * keep.length * inner);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const k of keep) {
      const from = (o * shape[axis] + k) * inner;
      for (let i = 0; i < inner; i++) out[at++] = data[from + i];
    }
  }
  return out;
}

function sliceQuant(q: Quant | undefined, keep: number[]): Quant | undefined {
  if (!q || q.scale.length <= 1) return q;
  return { ...q, scale: keep.map((c) => q.scale[c]), zeroPoint: keep.map((c) => q.zeroPoint[c] ?? 0) };
}

function sliceConst(g: Graph, t: number, axis: number, keep: number[], quantToo: boolean): void {
  if (t === undefined || t < 0) return;
  const x = g.tensors[t];
  const shape = [...x.shape];
  const data = sliceAxis(x.data!, shape, axis, keep);
  shape[axis] = keep.length;
  g.tensors[t] = { ...x, shape, data, quant: quantToo ? sliceQuant(x.quant, keep) : x.quant };
}

function setChannels(g: Graph, t: number, n: number): void {
  const x = g.tensors[t];
  g.tensors[t] = { ...x, shape: [...x.shape.slice(0, 3), n] };
}

function applyPrune(g: Graph, op: Op, plan: Plan, keep: number[]): void {
  sliceConst(g, op.inputs[1], 0, keep, true);
  sliceConst(g, op.inputs[2], 0, keep, false);
  setChannels(g, op.outputs[0], keep.length);
  for (const p of plan.passes) {
    if (p.type === 'DEPTHWISE_CONV_2D') {
      sliceConst(g, p.inputs[1], 3, keep, true);
      sliceConst(g, p.inputs[2], 0, keep, false);
    }
    setChannels(g, p.outputs[0], keep.length);
  }
  for (const s of plan.sinks) sliceConst(g, s.inputs[1], 3, keep, false);
}
