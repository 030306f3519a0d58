// plan-memory: gives every activation tensor an arena offset from its lifetime.
// Reshape-like aliases share their source's bytes. Buffers are placed largest first (under
// a few strategies, the smallest arena kept: STRATEGIES),
// each at the lowest 16-byte-aligned offset where it shares no byte with an already-placed
// buffer whose lifetime intersects its own -- except two kinds of proven-safe pairs:
// - in place: elementwise ops whose kernels read element i before writing it (ADD, MUL,
//   REQUANTIZE, SOFTMAX) write over an input of the same shape that dies there;
// - output over input (overlap-rule.ts): a raster-ordered conv, depthwise or pool writes
//   over part of its input 0 that dies there, its output at O <= I + maxShift.
// Graph inputs are never written over (a host may read them back after invoke). Variable
// tensors (state kept across invokes) live from before the first op to after the last and
// are never in-place or overlap targets, so no other tensor ever shares their bytes. Guarantees:
// two tensors live at the same op share a byte only as such a pair; the arena is the
// highest end offset.

import { OpCode } from '../format/constants.js';
import { Graph, Op, byteSize, isConst } from '../ir/graph.js';
import { maxOutputShift, overlapGeometry } from './overlap-rule.js';

/** Kernels that may write their output over an input of identical shape (y == x). */
export const IN_PLACE_OPCODES = new Set<number>([OpCode.Add, OpCode.Mul, OpCode.Requantize, OpCode.Softmax]);

export const ARENA_ALIGN = 16;

/**
 * Stage budget of the streamed runtime: an op whose output overlaps its input must run
 * untiled (a tile re-reads the whole input), so the planner lets only ops whose staged
 * constants (each 16-aligned, as assembly/streamed.ts stages them) fit this many bytes
 * overlap -- a stage this size still runs the model.
 */
export const DEFAULT_STAGE_BYTES = 8192;

export interface PlanOptions {
  /** Stage bytes an overlapping op's constants must fit (DEFAULT_STAGE_BYTES). */
  stageBytes?: number;
  /** Allow output-over-input pairs (default true); false gives the plain plan. */
  overlap?: boolean;
}

/** A proven-safe partial overlap: root `output` may start at most `maxShift` bytes above root `input`. */
export interface Overlap {
  op: number;
  output: number;
  input: number;
  maxShift: number;
}

export interface MemoryPlan {
  /** Arena offset per tensor index; -1 for constants and unused tensors. */
  offsets: number[];
  arenaBytes: number;
  /** Alias root of each tensor (itself when it owns its bytes). */
  root: number[];
  /** Lifetime [first, last] op index per root; first = -1 for graph inputs. */
  lifetimes: Map<number, [number, number]>;
  /** Output-over-input pairs the placement was allowed to use (they may end up disjoint). */
  overlaps: Overlap[];
}

interface Placed {
  t: number;
  start: number;
  end: number;
}

export function planMemory(g: Graph, opts: PlanOptions = {}): MemoryPlan {
  const root = aliasRoots(g);
  const lifetimes = computeLifetimes(g, root);
  mergeInPlace(g, root, lifetimes);
  const overlaps = opts.overlap === false ? [] : findOverlaps(g, root, lifetimes, opts.stageBytes ?? DEFAULT_STAGE_BYTES);
  // One placement per strategy, the smallest kept (the first on ties): plain first fit, and
  // first fit that leaves room below each dying input for its chain of outputs.
  const tries = (overlaps.length ? STRATEGIES : STRATEGIES.slice(0, 1)).map((s) => place(g, lifetimes, overlaps, s));
  const { offsets, arenaBytes } = tries.reduce((best, p) => (p.arenaBytes < best.arenaBytes ? p : best));
  for (let t = 0; t < g.tensors.length; t++) if (root[t] !== t && offsets[root[t]] >= 0) offsets[t] = offsets[root[t]];
  return { offsets, arenaBytes: alignUp(arenaBytes), root, lifetimes, overlaps };
}

/**
 * A placement strategy: which overlap outputs get room reserved under their input (none, or
 * those smaller / no larger than it), and whether an input's candidate offsets are only
 * those at or above its reserve (`raise` false) or also every candidate raised by it.
 */
interface Strategy {
  chain: 'none' | 'smaller' | 'same size' | 'no larger';
  raise: boolean;
}

// Which wins, on the shared models: person_detect 'smaller' (a strided depthwise under its
// input), kws_dscnn 'no larger' (depthwise/pointwise staircases), ic_resnet8 'same size' raised
// (conv2 of a block under conv1, both above the live shortcut), sww_dscnn 'no larger' unraised.
const STRATEGIES: Strategy[] = [
  { chain: 'none', raise: false },
  ...(['smaller', 'same size', 'no larger'] as const).flatMap((chain) => [{ chain, raise: true }, { chain, raise: false }]),
];

/**
 * Largest first, each at its lowest fit. With a reserve, an input that a chain of outputs
 * (smaller, or no larger, than their inputs) may start under -- a depthwise -> pointwise ->
 * ... staircase -- is placed above the room the chain needs, and the chain takes that room
 * at once, before buffers of other lifetimes can claim it.
 */
function place(g: Graph, lifetimes: Map<number, [number, number]>, overlaps: Overlap[], strategy: Strategy): { offsets: number[]; arenaBytes: number } {
  const order = [...lifetimes.keys()].sort((a, b) => byteSize(g.tensors[b]) - byteSize(g.tensors[a]) || lifetimes.get(a)![0] - lifetimes.get(b)![0] || a - b);
  const placed: Placed[] = [];
  const offsets = new Array<number>(g.tensors.length).fill(-1);
  const below = new Map<number, number>();
  const busyFor = (t: number) => {
    const [first, last] = lifetimes.get(t)!;
    return placed.filter((p) => {
      const [pf, pl] = lifetimes.get(p.t)!;
      return pf <= last && first <= pl;
    });
  };
  const put = (t: number, at: number) => {
    placed.push({ t, start: at, end: at + byteSize(g.tensors[t]) });
    offsets[t] = at;
  };
  const placeChain = (t: number) => {
    for (const o of chainOutputs(g, t, overlaps, strategy.chain)) {
      if (offsets[o.output] >= 0) continue;
      const at = alignDown(offsets[t] + o.maxShift), size = byteSize(g.tensors[o.output]);
      if (at < 0 || !busyFor(o.output).every((b) => fits(o.output, at, size, b, overlaps))) continue;
      put(o.output, at);
      placeChain(o.output);
    }
  };
  for (const t of order) {
    if (offsets[t] >= 0) continue;
    const size = byteSize(g.tensors[t]);
    put(t, lowestFit(t, size, busyFor(t), overlaps, reserveBelow(g, t, overlaps, strategy.chain, below), strategy.raise));
    placeChain(t);
  }
  return { offsets, arenaBytes: Math.max(0, ...placed.map((p) => p.end)) };
}

/** Overlap pairs whose input is t and whose output the reserve covers (placed after t: not larger). */
function chainOutputs(g: Graph, t: number, overlaps: Overlap[], chain: Strategy['chain']): Overlap[] {
  if (chain === 'none') return [];
  const fits = (out: number, x: number) => (chain === 'smaller' ? out < x : chain === 'same size' ? out === x : out <= x);
  return overlaps.filter((o) => o.input === t && fits(byteSize(g.tensors[o.output]), byteSize(g.tensors[t])));
}

/** Bytes to leave below input t for its chain of outputs, each starting -maxShift under its input. */
function reserveBelow(g: Graph, t: number, overlaps: Overlap[], chain: Strategy['chain'], memo: Map<number, number>): number {
  if (memo.has(t)) return memo.get(t)!;
  let bytes = 0;
  for (const o of chainOutputs(g, t, overlaps, chain)) bytes = Math.max(bytes, alignUp(reserveBelow(g, o.output, overlaps, chain, memo) - o.maxShift));
  memo.set(t, bytes);
  return bytes;
}

/**
 * The lowest candidate offset at which t fits beside every busy buffer. Candidates: 0 and the
 * end of each busy buffer -- raised by `below` (room kept under t for its chain of outputs),
 * or (raise false) below itself and those at or above it -- and for each overlap pair the
 * bound itself: I + maxShift rounded down when t is the output, O - maxShift rounded up when
 * t is the input. The highest end always fits, so there is always an answer.
 */
function lowestFit(t: number, size: number, busy: Placed[], overlaps: Overlap[], below: number, raise: boolean): number {
  const ends = [0, ...busy.map((b) => alignUp(b.end))];
  const candidates = raise ? ends.map((c) => c + below) : [below, ...ends.filter((c) => c >= below)];
  for (const b of busy) {
    const asOutput = overlaps.find((o) => o.output === t && o.input === b.t);
    const asInput = overlaps.find((o) => o.input === t && o.output === b.t);
    if (asOutput && b.start + asOutput.maxShift >= below) candidates.push(alignDown(b.start + asOutput.maxShift));
    if (asInput) candidates.push(alignUp(Math.max(below, b.start - asInput.maxShift)));
  }
  candidates.sort((a, b) => a - b);
  return candidates.find((at) => busy.every((b) => fits(t, at, size, b, overlaps)))!;
}

/** True if t at [at, at + size) may sit beside placed buffer b: disjoint, or a safe overlap pair. */
function fits(t: number, at: number, size: number, b: Placed, overlaps: Overlap[]): boolean {
  if (at + size <= b.start || b.end <= at) return true;
  for (const o of overlaps) {
    if (o.output === t && o.input === b.t && at <= b.start + o.maxShift) return true;
    if (o.input === t && o.output === b.t && b.start <= at + o.maxShift) return true;
  }
  return false;
}

/**
 * Output-over-input pairs: op i's output root and its input 0's root, when the input dies
 * at i, is no graph input nor another input of the op, the rule covers the op
 * (overlap-rule.ts) and its staged constants fit the stage budget.
 */
function findOverlaps(g: Graph, root: number[], life: Map<number, [number, number]>, stageBytes: number): Overlap[] {
  const graphInputs = pinned(g, root);
  const found: Overlap[] = [];
  g.ops.forEach((op, i) => {
    const geo = overlapGeometry(g, op);
    if (!geo || stagedConstBytes(g, op) > stageBytes) return;
    const input = root[op.inputs[0]], output = root[op.outputs[0]];
    if (input === output || graphInputs.has(input) || life.get(input)?.[1] !== i || life.get(output)?.[0] !== i) return;
    if (op.inputs.some((t, k) => k > 0 && t >= 0 && root[t] === input)) return; // read as another input too
    found.push({ op: i, output, input, maxShift: maxOutputShift(geo) });
  });
  return found;
}

/** Stage bytes of op's constants as the streamed runtime fetches them: each distinct one, 16-aligned. */
export function stagedConstBytes(g: Graph, op: Op): number {
  const consts = new Set(op.inputs.filter((t) => t >= 0 && isConst(g.tensors[t])));
  let bytes = 0;
  for (const t of consts) bytes += alignUp(g.tensors[t].packed?.blob.length ?? byteSize(g.tensors[t]));
  return bytes;
}

/** Lets in-place-capable ops reuse a dying input's bytes: the output joins the input's root. */
function mergeInPlace(g: Graph, root: number[], life: Map<number, [number, number]>): void {
  const graphInputs = pinned(g, root);
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

/** Roots no output may be written over: graph inputs and variable tensors. */
function pinned(g: Graph, root: number[]): Set<number> {
  const set = new Set(g.inputs.map((t) => root[t]));
  g.tensors.forEach((t, i) => { if (t.variable && !isConst(t)) set.add(root[i]); });
  return set;
}

function alignUp(n: number): number {
  return Math.ceil(n / ARENA_ALIGN) * ARENA_ALIGN;
}

function alignDown(n: number): number {
  return Math.floor(n / ARENA_ALIGN) * ARENA_ALIGN;
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
  g.tensors.forEach((t, i) => { // state: live across the whole invoke, and from one invoke to the next
    if (t.variable && life.has(root[i])) { touch(i, -1); touch(i, g.ops.length); }
  });
  return life;
}
