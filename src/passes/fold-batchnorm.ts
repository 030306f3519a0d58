// fold-batchnorm: matches BATCH_NORM (inputs x, scale, bias, mean, var; option epsilon;
// channels on the last axis). After a float CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED
// that only it reads, emits that op with w'[c] = w[c] * s[c] and b'[c] = (b[c] - mean[c]) * s[c]
// + beta[c], s = scale / sqrt(var + eps); anywhere else, a MUL and an ADD by per-channel
// constants. Guarantees: no BATCH_NORM is left; the float function is unchanged.

import { constValue } from '../float/interpret.js';
import { ConvertError, Graph, Op, cloneGraph, describeOp, producers } from '../ir/graph.js';
import { soleConsumer } from './rewrite.js';

const FOLDS_INTO: Record<string, number> = { CONV_2D: 0, FULLY_CONNECTED: 0, DEPTHWISE_CONV_2D: 3 };

interface Affine {
  mul: Float32Array;
  add: Float32Array;
}

function affine(g: Graph, op: Op): Affine {
  const v = op.inputs.slice(1, 5).map((i) => constValue(g.tensors[i]));
  if (v.some((x) => !x)) throw new ConvertError(`${g.source}: ${describeOp(op)}: scale, bias, mean and variance must be constants`);
  const [scale, bias, mean, variance] = v as Float32Array[];
  const eps = (op.options.epsilon as number) ?? 1e-5;
  const mul = scale.map((s, c) => s / Math.sqrt(variance[c] + eps));
  const add = bias.map((b, c) => b - mean[c] * mul[c]);
  return { mul, add };
}

function addConst(g: Graph, name: string, data: Float32Array, shape: number[]): number {
  g.tensors.push({ name, shape, dtype: 'float32', data });
  return g.tensors.length - 1;
}

/** Folds into the producer's weights and bias; false when the producer does not qualify. */
function foldInto(g: Graph, bn: Op, a: Affine): boolean {
  const x = bn.inputs[0];
  const p = producers(g)[x];
  if (p < 0) return false;
  const prod = g.ops[p];
  const axis = FOLDS_INTO[prod.type];
  if (axis === undefined || soleConsumer(g, x) < 0 || (prod.options.activation ?? 'NONE') !== 'NONE') return false;
  const w = g.tensors[prod.inputs[1]];
  const wv = constValue(w);
  if (!wv || w.dtype !== 'float32') return false;
  const channels = w.shape[axis], inner = w.shape.slice(axis + 1).reduce((m, d) => m * d, 1);
  if (channels !== a.mul.length) return false;
  const nw = wv.map((v, i) => v * a.mul[Math.floor(i / inner) % channels]);
  const bv = prod.inputs[2] >= 0 && prod.inputs[2] !== undefined ? constValue(g.tensors[prod.inputs[2]]) : undefined;
  const nb = a.add.map((add, c) => (bv ? bv[c] : 0) * a.mul[c] + add);
  prod.inputs = [prod.inputs[0], addConst(g, `${w.name}/bn`, nw, [...w.shape]), addConst(g, `${g.tensors[bn.outputs[0]].name}/bias`, nb, [channels])];
  prod.outputs = [bn.outputs[0]];
  g.ops = g.ops.filter((o) => o !== bn);
  return true;
}

/** y = x * mul + add, channels last: a MUL and an ADD in place of the BATCH_NORM. */
function lower(g: Graph, bn: Op, a: Affine): void {
  const y = g.tensors[bn.outputs[0]];
  const c = a.mul.length;
  const mid = g.tensors.push({ name: `${y.name}/scaled`, shape: [...y.shape], dtype: 'float32' }) - 1;
  const m = addConst(g, `${y.name}/bn_mul`, a.mul, [c]);
  const b = addConst(g, `${y.name}/bn_add`, a.add, [c]);
  const mul: Op = { type: 'MUL', inputs: [bn.inputs[0], m], outputs: [mid], options: { activation: 'NONE' }, sourceIndex: bn.sourceIndex };
  const add: Op = { type: 'ADD', inputs: [mid, b], outputs: [bn.outputs[0]], options: { activation: 'NONE' }, sourceIndex: bn.sourceIndex };
  g.ops.splice(g.ops.indexOf(bn), 1, mul, add);
}

export function foldBatchNorm(input: Graph): Graph {
  if (!input.ops.some((o) => o.type === 'BATCH_NORM')) return input;
  const g = cloneGraph(input);
  for (const bn of g.ops.filter((o) => o.type === 'BATCH_NORM')) {
    const a = affine(g, bn);
    if (!foldInto(g, bn, a)) lower(g, bn, a);
  }
  return g;
}
