// The weight tensors compression passes work on: the int8 constant filter (input 1) of
// CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, read by exactly one op, with the
// row layout (one row per output channel) the packed format and the runtime use.

import { Graph, Op, Tensor, consumers } from '../ir/graph.js';
import { RowLayout } from '../format/packed.js';

export const WEIGHT_OPS = ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'];

export interface WeightRef {
  t: number;
  tensor: Tensor;
  op: Op;
  layout: RowLayout;
}

export function rowLayout(op: Op, shape: number[]): RowLayout {
  const n = shape.reduce((a, d) => a * d, 1);
  if (op.type === 'DEPTHWISE_CONV_2D') return { rows: shape[3], rowElems: n / shape[3], channelLast: true };
  return { rows: shape[0], rowElems: n / shape[0], channelLast: false };
}

export function weightRefs(g: Graph): WeightRef[] {
  const readers = consumers(g);
  const refs: WeightRef[] = [];
  for (const op of g.ops) {
    if (!WEIGHT_OPS.includes(op.type)) continue;
    const t = op.inputs[1];
    const tensor = g.tensors[t];
    if (t === undefined || t < 0 || tensor.dtype !== 'int8' || !(tensor.data instanceof Int8Array)) continue;
    if (readers[t].length !== 1) continue;
    if (g.tensors[op.inputs[0]]?.dtype === 'int16') continue; // 16x8 ops read plain int8 weights only
    if (op.type === 'FULLY_CONNECTED' ? tensor.shape.length !== 2 : tensor.shape.length !== 4) continue;
    refs.push({ t, tensor, op, layout: rowLayout(op, tensor.shape) });
  }
  return refs;
}
