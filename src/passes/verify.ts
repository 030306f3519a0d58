// verify: the graph invariants every pass must keep, checked between passes.
// Tensor indices in range; each tensor produced at most once, never a constant, a graph
// input or one of its own op's inputs; ops in topological order (every input is a
// constant, a graph input, a variable tensor, or produced by an earlier op).

import { ConvertError, Graph } from '../ir/graph.js';

export function verifyGraph(g: Graph, after: string): void {
  const fail = (m: string): never => {
    throw new ConvertError(`${g.source}: graph invalid after ${after}: ${m}`);
  };
  const n = g.tensors.length;
  const ready = new Array<boolean>(n).fill(false);
  g.tensors.forEach((t, i) => (ready[i] = t.data !== undefined || t.variable === true)); // a variable holds state from the last invoke
  for (const i of g.inputs) {
    if (!(i >= 0 && i < n)) fail(`graph input ${i} out of range`);
    ready[i] = true;
  }
  const produced = new Set<number>();
  const graphInputs = new Set(g.inputs);
  g.ops.forEach((op) => {
    for (const t of op.inputs) {
      if (t === -1) continue;
      if (!(t >= 0 && t < n)) fail(`op ${op.sourceIndex} (${op.type}) reads tensor ${t}, out of range`);
      if (!ready[t]) fail(`op ${op.sourceIndex} (${op.type}) reads "${g.tensors[t].name}" before it is produced`);
    }
    for (const t of op.outputs) {
      if (!(t >= 0 && t < n)) fail(`op ${op.sourceIndex} (${op.type}) writes tensor ${t}, out of range`);
      if (produced.has(t)) fail(`tensor "${g.tensors[t].name}" is produced twice`);
      if (op.inputs.includes(t)) fail(`op ${op.sourceIndex} (${op.type}) writes its own input "${g.tensors[t].name}"`);
      if (graphInputs.has(t) || g.tensors[t].data !== undefined) fail(`op ${op.sourceIndex} (${op.type}) writes "${g.tensors[t].name}", a graph input or constant`);
      produced.add(t);
      ready[t] = true;
    }
  });
  for (const o of g.outputs) if (!(o >= 0 && o < n) || !ready[o]) fail(`graph output ${o} is never produced`);
}
