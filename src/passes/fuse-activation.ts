// fuse-activation: matches a standalone RELU / RELU6 / RELU_N1_TO_1 whose float input is
// produced, and read only, by an op with a fused-activation slot (CONV_2D,
// DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD, MUL, pooling) that has none yet. Emits the
// producer with that activation, writing the activation's output. Guarantees: same
// float function, one op and one tensor fewer per match.

import { Graph, cloneGraph, producers } from '../ir/graph.js';
import { soleConsumer } from './rewrite.js';

export const FUSABLE_ACTIVATIONS = new Set(['RELU', 'RELU6', 'RELU_N1_TO_1']);
const HAS_ACTIVATION_SLOT = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'ADD', 'MUL', 'AVERAGE_POOL_2D', 'MAX_POOL_2D']);

export function fuseActivation(input: Graph): Graph {
  let g = input;
  for (;;) {
    const prod = producers(g);
    const match = g.ops.findIndex((op) => {
      if (!FUSABLE_ACTIVATIONS.has(op.type)) return false;
      const x = op.inputs[0], p = prod[x];
      if (p < 0 || g.tensors[x].dtype !== 'float32' || soleConsumer(g, x) < 0) return false;
      const producer = g.ops[p];
      return HAS_ACTIVATION_SLOT.has(producer.type) && (producer.options.activation ?? 'NONE') === 'NONE';
    });
    if (match < 0) return g;
    if (g === input) g = cloneGraph(input);
    const act = g.ops[match];
    const producer = g.ops[producers(g)[act.inputs[0]]];
    producer.options.activation = act.type;
    producer.outputs = [act.outputs[0]];
    g.ops.splice(match, 1);
  }
}
