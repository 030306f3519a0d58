// strip: matches ops that do nothing at inference -- IDENTITY, DROPOUT, CAST to the same
// dtype, RESHAPE/SQUEEZE/EXPAND_DIMS to the same shape -- and ops whose outputs nobody
// reads (training-only outputs). Emits the graph without them, readers rewired to the
// op's input. Guarantees: every graph output is still produced; values are unchanged.

import { Graph, Op, cloneGraph } from '../ir/graph.js';
import { dropDeadOps, replaceUses, sameShape } from './rewrite.js';

const ALWAYS_NOOP = new Set(['IDENTITY', 'DROPOUT']);
const RESHAPES = new Set(['RESHAPE', 'SQUEEZE', 'EXPAND_DIMS']);

function isNoop(g: Graph, op: Op): boolean {
  const x = g.tensors[op.inputs[0]], y = g.tensors[op.outputs[0]];
  if (!x || !y || x.dtype !== y.dtype) return false;
  if (ALWAYS_NOOP.has(op.type)) return true;
  if (op.type === 'CAST' || RESHAPES.has(op.type)) return sameShape(x.shape, y.shape);
  return false;
}

export function strip(input: Graph): Graph {
  const g = cloneGraph(input);
  let changed = false;
  for (const op of [...g.ops]) {
    if (!isNoop(g, op)) continue;
    const x = op.inputs[0], y = op.outputs[0];
    // A graph input that is also a graph output would need a copy op: keep this one.
    if (g.inputs.includes(x) && g.outputs.includes(y)) continue;
    replaceUses(g, y, x);
    g.ops = g.ops.filter((o) => o !== op);
    changed = true;
  }
  if (dropDeadOps(g)) changed = true;
  return changed ? g : input;
}
