// plan-memory: gives every activation tensor an arena offset from its lifetime.
// Reshape-like aliases share their source's bytes. Buffers are placed largest first,
// each at the lowest 16-byte-aligned offset that overlaps no already-placed buffer
// whose lifetime intersects its own. Elementwise ops whose kernels read element i
// before writing it (ADD, MUL, REQUANTIZE, SOFTMAX) write in place over an input of the
// same shape that dies there. Guarantees: two tensors live at the same op never share a
// byte, except such an in-place pair; the arena is the highest end offset.

import { OpCode } from '../format/constants.js';
import { Graph, byteSize, isConst } from '../ir/graph.js';

/** Kernels that may write their output over an input of identical shape (y == x). */
export const IN_PLACE_OPCODES = new Set<number>([OpCode.Add, OpCode.Mul, OpCode.Requantize, OpCode.Softmax]);

export const ARENA_ALIGN = 16;

export interface MemoryPlan {
  /** Arena offset per tensor index; -1 for constants and unused tensors. */
  offsets: number[];
  arenaBytes: number;
  /** Alias root of each tensor (itself when it owns its bytes). */
  root: number[];
  /** Lifetime [first, last] op index per root; first = -1 for graph inputs. */
  lifetimes: Map<number, [number, number]>;
}

export function planMemory(g: Graph): MemoryPlan {
  const root = aliasRoots(g);
  const lifetimes = computeLifetimes(g, root);
  mergeInPlace(g, root, lifetimes);
  const order = [...lifetimes.keys()].sort((a, b) => byteSize(g.tensors[b]) - byteSize(g.tensors[a]) || lifetimes.get(a)![0] - lifetimes.get(b)![0] || a - b);
  const placed: { t: number; start: number; end: number }[] = [];
  const offsets = new Array<number>(g.tensors.length).fill(-1);
  let arenaBytes = 0;
  for (const t of order) {
    const size = byteSize(g.tensors[t]);
    const [first, last] = lifetimes.get(t)!;
    const busy = placed
      .filter((p) => {
        const [pf, pl] = lifetimes.get(p.t)!;
        return pf <= last && first <= pl;
      })
      .sort((a, b) => a.start - b.start);
    let offset = 0;
    for (const b of busy) {
      if (offset + size <= b.start) break;
      offset = Math.max(offset, alignUp(b.end));
    }
    placed.push({ t, start: offset, end: offset + size });
    offsets[t] = offset;
    arenaBytes = Math.max(arenaBytes, offset + size);
  }
  for (let t = 0; t < g.tensors.length; t++) if (root[t] !== t && offsets[root[t]] >= 0) offsets[t] = offsets[root[t]];
  return { offsets, arenaBytes: alignUp(arenaBytes), root, lifetimes };
}

/** Lets in-place-capable ops reuse a dying input's bytes: the output joins the input's root. */
function mergeInPlace(g: Graph, root: number[], life: Map<number, [number, number]>): void {
  const graphInputs = new Set(g.inputs.map((t) => root[t]));
  g.ops.forEach((op, i) => {
    if (!op.kernel || !IN_PLACE_OPCODES.has(op.kernel.opcode)) return;
    const out = root[op.outputs[0]];
    const y = g.tensors[op.outputs[0]];
    for (const t of op.inputs) {
      if (t < 0 || isConst(g.tensors[t])) continue;
      const r = root[t];
      const x = g.tensors[t];
      const sameShape = x.shape.length === y.shape.length && x.shape.every((d, k) => d === y.shape[k]);
      if (r === out || graphInputs.has(r) || !sameShape || x.dtype !== y.dtype || life.get(r)![1] !== i) continue;
      if (byteSize(g.tensors[r]) !== byteSize(g.tensors[out])) continue;
      life.set(r, [life.get(r)![0], life.get(out)![1]]);
      life.delete(out);
      for (let k = 0; k < root.length; k++) if (root[k] === out) root[k] = r;
      return;
    }
  });
}

function alignUp(n: number): number {
  return Math.ceil(n / ARENA_ALIGN) * ARENA_ALIGN;
}

function aliasRoots(g: Graph): number[] {
  const root = g.tensors.map((_, i) => i);
  for (const op of g.ops) if (op.alias) root[op.outputs[0]] = root[op.inputs[0]];
  return root;
}

/** Lifetimes of the arena tensors that own bytes, over the ops that run (aliases do not). */
function computeLifetimes(g: Graph, root: number[]): Map<number, [number, number]> {
  const life = new Map<number, [number, number]>();
  const touch = (t: number, at: number) => {
    if (t < 0 || isConst(g.tensors[root[t]])) return;
    const r = root[t];
    const cur = life.get(r);
    if (!cur) life.set(r, [at, at]);
    else life.set(r, [Math.min(cur[0], at), Math.max(cur[1], at)]);
  };
  g.inputs.forEach((t) => touch(t, -1));
  g.ops.forEach((op, i) => {
    if (op.alias) return;
    op.inputs.forEach((t) => touch(t, i));
    op.outputs.forEach((t) => touch(t, i));
  });
  g.outputs.forEach((t) => touch(t, g.ops.length));
  return life;
}
