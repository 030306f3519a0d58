// Small graph-rewriting helpers shared by the cleanup passes (strip, fold, fuse):
// who reads a tensor, bypassing an op, dropping dead ops.

import { Graph, consumers } from '../ir/graph.js';

/** Makes every reader of `from` (ops and graph outputs) read `to` instead. */
export function replaceUses(g: Graph, from: number, to: number): void {
  for (const op of g.ops) op.inputs = op.inputs.map((i) => (i === from ? to : i));
  g.outputs = g.outputs.map((o) => (o === from ? to : o));
}

/** True when `t` feeds exactly one op and is not a graph output: safe to fuse away. */
export function soleConsumer(g: Graph, t: number): number {
  if (g.outputs.includes(t)) return -1;
  const c = consumers(g)[t];
  return c.length === 1 ? c[0] : -1;
}

/** Drops ops none of whose outputs is read (training-only branches, folded leftovers). */
export function dropDeadOps(g: Graph): boolean {
  let changed = false;
  for (;;) {
    const used = new Set<number>(g.outputs);
    for (const op of g.ops) op.inputs.forEach((i) => used.add(i));
    const keep = g.ops.filter((op) => op.outputs.some((o) => used.has(o)));
    if (keep.length === g.ops.length) return changed;
    g.ops = keep;
    changed = true;
  }
}

export function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
