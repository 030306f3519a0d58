// fold-constants: matches float ops all of whose inputs are constants (a Transpose of
// a weight, a Mul of two constants, ...). Emits the op's output as a constant computed
// by the float reference, and drops the op. Guarantees: the float function is
// unchanged; int8 and shape-only graphs are left alone.

import { FLOAT_KERNELS, runFloat } from '../float/interpret.js';
import { Graph, cloneGraph, isConst } from '../ir/graph.js';

export function foldConstants(input: Graph): Graph {
  const foldable = (g: Graph) => g.ops.filter((op) =>
    FLOAT_KERNELS[op.type] && op.outputs.length === 1 && g.tensors[op.outputs[0]].dtype === 'float32' &&
    op.inputs.every((i) => i < 0 || isConst(g.tensors[i])));
  if (foldable(input).length === 0) return input;
  const g = cloneGraph(input);
  for (const op of foldable(g)) {
    const [value] = runFloat({ tensors: g.tensors, ops: [op], inputs: [], outputs: op.outputs, source: g.source }, []);
    const y = op.outputs[0];
    g.tensors[y] = { ...g.tensors[y], data: value };
    g.ops = g.ops.filter((o) => o !== op);
  }
  return g;
}
