// lower-pack: matches PACK and emits, per input, a RESHAPE that gives it a size-1 axis where
// the new axis goes (an alias: no bytes move), then one CONCATENATION of those along that
// axis. Guarantees: TFLM's bytes (PACK copies its inputs in order); a bad axis or input
// shape fails here with the PACK named.

import { ConvertError, Graph, Op, cloneGraph } from '../ir/graph.js';

export function lowerPack(input: Graph): Graph {
  if (!input.ops.some((o) => o.type === 'PACK')) return input;
  const g = cloneGraph(input);
  g.ops = g.ops.flatMap((op) => (op.type === 'PACK' ? packOps(g, op) : [op]));
  return g;
}

function packOps(g: Graph, op: Op): Op[] {
  const fail = (m: string): never => { throw new ConvertError(`${g.source}: op ${op.sourceIndex} (PACK): ${m}`); };
  if (op.inputs.length < 1 || op.outputs.length !== 1 || op.inputs.some((t) => t < 0)) fail('expects inputs and one output');
  const shape = g.tensors[op.inputs[0]].shape, rank = shape.length + 1;
  const a = (op.options.axis as number) ?? 0;
  if (!Number.isInteger(a) || a < -rank || a >= rank) fail(`axis ${a} is outside [-${rank}, ${rank})`);
  const axis = a < 0 ? a + rank : a;
  const expanded = [...shape.slice(0, axis), 1, ...shape.slice(axis)];
  const ops: Op[] = [];
  const parts = op.inputs.map((t, k) => {
    const x = g.tensors[t];
    if (x.shape.length !== shape.length || x.shape.some((d, i) => d !== shape[i])) fail(`input ${k} "${x.name}" has shape ${JSON.stringify(x.shape)}, input 0 ${JSON.stringify(shape)}`);
    g.tensors.push({ name: `${x.name}/packed`, shape: expanded, dtype: x.dtype, quant: x.quant });
    const r = g.tensors.length - 1;
    ops.push({ type: 'RESHAPE', inputs: [t], outputs: [r], options: {}, sourceIndex: op.sourceIndex });
    return r;
  });
  ops.push({ type: 'CONCATENATION', inputs: parts, outputs: op.outputs, options: { axis, activation: 'NONE' }, sourceIndex: op.sourceIndex });
  return ops;
}
