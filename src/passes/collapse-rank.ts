// collapse-rank: runs ops on tensors of rank 5 (or more) in the runtime's 4-D view. The
// runtime and the .epk hold at most 4 dims per tensor, but most ops TFLM runs on rank 5 treat
// adjacent axes alike: an elementwise op sees one flat run, a broadcast merges axes whose
// operands broadcast the same way, CONCATENATION sees [before, axis, after], TRANSPOSE merges
// axes that stay neighbours, PAD merges an axis with the unpadded ones after it, a reduction
// merges axes reduced (or kept) together. This pass gives each such op those merged shapes
// through RESHAPE aliases (no bytes move), and stores every high-rank tensor with its leading
// dims merged ([d0 * ... * d(r-4), d(r-3), .., d(r-1)]: the same bytes in the same order).
// Where merging leaves more than 4 axes, a broadcast operand is repeated along an axis (a
// constant in the model, a run-time input by a GATHER before the op), a reduction or a
// TRANSPOSE gets TRANSPOSEs before it and a PAD a first PAD of its leading padded axes; each
// writes a new tensor the memory planner places like any other.
//
// Guarantees: after the pass no tensor has rank above 4 and every op computes what it did
// on the original shapes; an op whose shapes cannot be merged to 4 dims (or that has no
// merge rule) fails here, naming it, the tensor and its rank. The run before quantize-int8
// (`strict` false) leaves ops without a rule on their original shapes (SPACE_TO_BATCH_ND before
// its lowering); the run after the last lowering pass is strict.

import { ConvertError, Graph, Op, Tensor, TensorData, cloneGraph, isConst } from '../ir/graph.js';
import { sliceAxis } from './prepare/strided-slice.js';

const MAX_RANK = 4;

/** Ops that read and write same-shape tensors element by element (their only data input is 0). */
const ELEMENTWISE = new Set([
  'QUANTIZE', 'DEQUANTIZE', 'LOGISTIC', 'TANH', 'RELU', 'RELU6', 'RELU_N1_TO_1', 'RELU_0_TO_1', 'HARD_SWISH',
  'LEAKY_RELU', 'RSQRT', 'EXP', 'ABS', 'NEG', 'SQRT', 'LOG', 'CAST',
]);
/** Binary ops with TFLite's broadcasting. */
const BROADCAST = new Set(['ADD', 'SUB', 'MUL', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE', 'DIV', 'PRELU']);
/** Ops over the last axis, rows independent. */
const LAST_AXIS = new Set(['SOFTMAX', 'LOG_SOFTMAX', 'L2_NORMALIZATION']);
const ALIASES = new Set(['RESHAPE', 'SQUEEZE', 'EXPAND_DIMS']);

type Fail = (m: string) => never;

/** What one op needs: the shape each input/output slot must have (undefined: leave the slot), constants to swap in. */
interface Collapsed {
  inputs: (number[] | undefined)[];
  outputs: number[][];
  /** New constant operands by input slot (int32 values with their shape). */
  constants?: Record<number, { values: number[]; shape: number[] }>;
  /** Constant operands replaced by a copy repeated along some axes (a broadcast made less sparse). */
  tiled?: Record<number, { data: TensorData; shape: number[] }>;
  options?: Record<string, unknown>;
  /** Run-time operands moved into a new buffer before the op, by input slot (see Stage). */
  staged?: Record<number, Stage[]>;
}

/**
 * One data-movement op put before an op whose axes cannot merge otherwise: the operand, viewed as
 * `view` (4 dims at most), becomes a new planned tensor of `shape`. GATHER with indices all 0
 * repeats a broadcast axis of size 1 (a run-time operand made less sparse); TRANSPOSE [0,2,1,3]
 * swaps two neighbouring runs of axes (a reduced run moved after a kept one).
 */
interface Stage {
  type: 'GATHER' | 'TRANSPOSE' | 'PAD' | 'PADV2' | 'MIRROR_PAD';
  view: number[];
  shape: number[];
  param: number[];
  /** The param tensor's shape ([param.length] when absent; PAD's paddings are [4, 2]). */
  paramShape?: number[];
  /** Inputs after the param, by the op's own slots (PADV2's constant value). */
  extra?: number[];
  options: Record<string, unknown>;
}

const product = (s: number[]) => s.reduce((a, d) => a * d, 1);

/** The shape a high-rank tensor is stored with: its leading dims merged down to rank 4. */
export function storedShape(shape: number[]): number[] {
  if (shape.length <= MAX_RANK) return shape;
  const cut = shape.length - MAX_RANK + 1;
  return [product(shape.slice(0, cut)), ...shape.slice(cut)];
}

const highRank = (t: Tensor) => t.shape.length > MAX_RANK;

export function collapseRank(strict: boolean) {
  return (input: Graph): Graph => {
    if (!input.tensors.some(highRank)) return input;
    const g = cloneGraph(input);
    const touches = (op: Op) => [...op.inputs, ...op.outputs].some((t) => t >= 0 && highRank(g.tensors[t]) && !isParam(op, t, g));
    // before lowering, the tensors of ops without a rule keep their shape for the strict run
    const pinned = new Set(strict ? [] : g.ops.filter((op) => touches(op) && !hasRule(op)).flatMap((op) => [...op.inputs, ...op.outputs]));
    const stored = g.tensors.map((t, i) => (pinned.has(i) ? [...t.shape] : storedShape(t.shape)));
    const ops: Op[] = [];
    for (const op of g.ops) {
      if (!touches(op) || !hasRule(op)) {
        if (strict && touches(op)) refuse(g, op);
        ops.push(op);
        continue;
      }
      const fail: Fail = (m) => { throw new ConvertError(`${g.source}: op ${op.sourceIndex} (${op.type}): ${m}`); };
      ops.push(...rewire(g, op, collapseOp(g, op, fail), stored, fail));
    }
    g.ops = ops;
    stored.forEach((shape, t) => (g.tensors[t].shape = shape));
    return g;
  };
}

/** Whether tensor t is a constant parameter of op (perm, paddings, axes, begin/end/strides, a shape). */
function isParam(op: Op, t: number, g: Graph): boolean {
  return isConst(g.tensors[t]) && op.inputs.indexOf(t) > 0 && !BROADCAST.has(op.type) && op.type !== 'CONCATENATION' && op.type !== 'GATHER';
}

function refuse(g: Graph, op: Op): never {
  const t = [...op.inputs, ...op.outputs].find((i) => i >= 0 && highRank(g.tensors[i]))!;
  const x = g.tensors[t];
  throw new ConvertError(`${g.source}: op ${op.sourceIndex} (${op.type}): tensor "${x.name}" has rank ${x.shape.length}; above rank 4 edgepack runs elementwise ops, ${[...BROADCAST].join(', ')}, `
    + 'CONCATENATION, TRANSPOSE, PAD, PADV2, MIRROR_PAD, MEAN, SUM, REDUCE_MAX, ARG_MAX, ARG_MIN, SOFTMAX, LOG_SOFTMAX, '
    + 'L2_NORMALIZATION, GATHER, STRIDED_SLICE (and SLICE, SPLIT, SPLIT_V, PACK, UNPACK) and reshapes');
}

const RULES = new Set(['CONCATENATION', 'TRANSPOSE', 'PAD', 'PADV2', 'MIRROR_PAD', 'MEAN', 'SUM', 'REDUCE_MAX', 'ARG_MAX', 'ARG_MIN', 'GATHER', 'STRIDED_SLICE']);

/** Whether this pass knows how to merge op's axes. */
function hasRule(op: Op): boolean {
  return ALIASES.has(op.type) || ELEMENTWISE.has(op.type) || BROADCAST.has(op.type) || LAST_AXIS.has(op.type) || RULES.has(op.type);
}

/**
 * Inserts the RESHAPE aliases between each slot's stored shape and the shape the op needs,
 * and swaps in constants of the needed shape. Returns the ops that replace `op`.
 */
function rewire(g: Graph, op: Op, c: Collapsed, storedShapes: number[][], fail: Fail): Op[] {
  const before: Op[] = [], after: Op[] = [];
  const stored = (t: number) => storedShapes[t] ?? g.tensors[t].shape; // tensors made here are at most 4-D
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
  const view = (t: number, shape: number[], suffix: string) => {
    const x = g.tensors[t];
    if (x.quant && x.quant.scale.length > 1) fail(`tensor "${x.name}" has per-channel quantization; it cannot be viewed as ${JSON.stringify(shape)}`);
    g.tensors.push({ name: `${x.name}/${suffix}`, shape, dtype: x.dtype, quant: x.quant, data: x.data });
    return g.tensors.length - 1;
  };
  /** t seen as `shape`: itself, a constant's alias, or a RESHAPE alias before the op. */
  const input = (t: number, shape: number[]) => {
    if (same(shape, stored(t))) return t;
    const v = view(t, shape, `r${shape.length}`);
    if (!isConst(g.tensors[t])) before.push({ type: 'RESHAPE', inputs: [t], outputs: [v], options: {}, sourceIndex: op.sourceIndex });
    return v;
  };
  const stage = (t: number, s: Stage, k: number) => {
    const x = g.tensors[t], v = input(t, s.view);
    g.tensors.push({ name: `${op.type.toLowerCase()}${op.sourceIndex}/param${k}/${s.type.toLowerCase()}${before.length}`, shape: s.paramShape ?? [s.param.length], dtype: 'int32', data: Int32Array.from(s.param) });
    g.tensors.push({ name: `${x.name}/${s.type.toLowerCase()}${before.length}`, shape: s.shape, dtype: x.dtype, quant: x.quant });
    before.push({ type: s.type, inputs: [v, g.tensors.length - 2, ...(s.extra ?? [])], outputs: [g.tensors.length - 1], options: s.options, sourceIndex: op.sourceIndex });
    return g.tensors.length - 1;
  };
  const slots = Math.max(op.inputs.length, ...Object.keys(c.constants ?? {}).map((k) => Number(k) + 1));
  op.inputs = Array.from({ length: slots }, (_, k) => op.inputs[k] ?? -1).map((t, k) => {
    const tiled = c.tiled?.[k];
    if (tiled) {
      const x = g.tensors[t];
      g.tensors.push({ name: `${x.name}/tiled`, shape: c.inputs[k] ?? tiled.shape, dtype: x.dtype, quant: x.quant, data: tiled.data });
      return g.tensors.length - 1;
    }
    const constant = c.constants?.[k];
    if (constant) {
      g.tensors.push({ name: `${op.type.toLowerCase()}${op.sourceIndex}/param${k}`, shape: constant.shape, dtype: 'int32', data: Int32Array.from(constant.values) });
      return g.tensors.length - 1;
    }
    if (t >= 0) for (const s of c.staged?.[k] ?? []) t = stage(t, s, k);
    const want = c.inputs[k];
    return t < 0 || !want ? t : input(t, want);
  });
  op.outputs = op.outputs.map((t, k) => {
    const want = c.outputs[k];
    if (same(want, stored(t))) return t;
    const v = view(t, want, `r${want.length}`);
    after.push({ type: 'RESHAPE', inputs: [v], outputs: [t], options: {}, sourceIndex: op.sourceIndex });
    return v;
  });
  if (c.options) op.options = { ...op.options, ...c.options };
  return [...before, op, ...after];
}

function constInts(g: Graph, t: number | undefined, what: string, fail: Fail): number[] {
  const d = t === undefined || t < 0 ? undefined : g.tensors[t].data;
  if (d instanceof Int32Array) return Array.from(d);
  if (d instanceof BigInt64Array) return Array.from(d, Number);
  return fail(`${what} must be a constant int32 or int64 tensor`);
}

function axisOf(a: number, rank: number, fail: Fail): number {
  if (!Number.isInteger(a) || a < -rank || a >= rank) fail(`axis ${a} is outside [-${rank}, ${rank})`);
  return a < 0 ? a + rank : a;
}

/** Groups of adjacent axes [first, end) merged into one; fails when more than 4 remain. */
type Groups = [number, number][];

function checkGroups(groups: Groups, what: string, fail: Fail): Groups {
  if (groups.length > MAX_RANK) fail(`${what} cannot be merged to 4 dims (${groups.length} axes stay apart)`);
  return groups.length ? groups : [[0, 0]];
}

/** Adjacent axes merged while `joins(i)` says axis i goes with axis i - 1. */
function groupAxes(rank: number, joins: (i: number) => boolean): Groups {
  const groups: Groups = [];
  for (let i = 0; i < rank; i++) {
    if (groups.length && joins(i)) groups[groups.length - 1][1] = i + 1;
    else groups.push([i, i + 1]);
  }
  return groups;
}

const merge = (shape: number[], groups: Groups) => groups.map(([a, b]) => product(shape.slice(a, b)));

function collapseOp(g: Graph, op: Op, fail: Fail): Collapsed {
  const shape = (t: number) => g.tensors[t].shape;
  if (ALIASES.has(op.type)) return { inputs: [storedShape(shape(op.inputs[0]))], outputs: [storedShape(shape(op.outputs[0]))] };
  if (ELEMENTWISE.has(op.type)) {
    const s = storedShape(shape(op.outputs[0]));
    return { inputs: [s], outputs: [s] };
  }
  if (BROADCAST.has(op.type)) return collapseBroadcast(g, op, fail);
  if (LAST_AXIS.has(op.type)) {
    const y = shape(op.outputs[0]), s = [product(y.slice(0, -1)), y[y.length - 1]];
    return { inputs: [s], outputs: [s] };
  }
  switch (op.type) {
    case 'CONCATENATION': return collapseConcat(g, op, fail);
    case 'TRANSPOSE': return collapseTranspose(g, op, fail);
    case 'PAD': case 'PADV2': case 'MIRROR_PAD': return collapsePad(g, op, fail);
    case 'MEAN': case 'SUM': case 'REDUCE_MAX': return collapseReduce(g, op, fail);
    case 'ARG_MAX': case 'ARG_MIN': return collapseArgMax(g, op, fail);
    case 'GATHER': return collapseGather(g, op, fail);
    default: return collapseStridedSlice(g, op, fail); // STRIDED_SLICE (hasRule lists no other)
  }
}

/** Axes where each input either spans the output or is 1 (broadcast) the same way merge. */
function collapseBroadcast(g: Graph, op: Op, fail: Fail): Collapsed {
  const y = g.tensors[op.outputs[0]].shape, rank = y.length;
  const ins = op.inputs.map((t) => {
    const s = g.tensors[t].shape;
    if (s.length > rank) fail(`input "${g.tensors[t].name}" has a higher rank than the output`);
    return [...new Array(rank - s.length).fill(1), ...s];
  });
  const kept = [...Array(rank).keys()].filter((i) => y[i] !== 1); // axes of size 1 merge with anything: drop them
  const groupsOf = (shapes: number[][]) => {
    const pattern = (i: number) => shapes.map((s) => (s[i] === 1 ? 'b' : 'f')).join('');
    return groupAxes(kept.length, (j) => pattern(kept[j]) === pattern(kept[j - 1]));
  };
  const tiled = tileConstants(g, op, ins, y, kept, groupsOf);
  const staged = repeatInputs(ins, y, kept, groupsOf);
  const groups = checkGroups(groupsOf(ins), `output "${g.tensors[op.outputs[0]].name}"`, fail);
  const pick = (s: number[]) => groups.map(([a, b]) => product(kept.slice(a, b).map((i) => s[i])));
  return { inputs: ins.map(pick), outputs: [pick(y)], tiled, staged };
}

/**
 * While a broadcast between run-time operands still keeps more than 4 axes apart, repeats one
 * operand along one of its broadcast axes with a GATHER (indices all 0) into a planned buffer:
 * the axis that merges most, the smallest copy among equals. Each output element then reads the
 * same operand values as before, so the op's arithmetic is unchanged; `ins` is updated.
 */
function repeatInputs(ins: number[][], y: number[], kept: number[], groupsOf: (s: number[][]) => Groups): Collapsed['staged'] {
  const staged: NonNullable<Collapsed['staged']> = {};
  while (groupsOf(ins).length > MAX_RANK) {
    let best: { k: number; axis: number; groups: number; size: number } | undefined;
    ins.forEach((s, k) => {
      for (const i of kept) {
        if (s[i] !== 1) continue;
        const to = s.map((d, a) => (a === i ? y[i] : d));
        const n = groupsOf(ins.map((o, j) => (j === k ? to : o))).length, size = product(to);
        if (!best || n < best.groups || (n === best.groups && size < best.size)) best = { k, axis: i, groups: n, size };
      }
    });
    if (!best) break;
    const { k, axis } = best, from = ins[k];
    const outer = product(from.slice(0, axis)), inner = product(from.slice(axis + 1));
    (staged[k] ??= []).push({ type: 'GATHER', view: [outer, 1, inner], shape: [outer, y[axis], inner], param: new Array(y[axis]).fill(0), options: { axis: 1, batchDims: 0 } });
    ins[k] = from.map((d, a) => (a === axis ? y[axis] : d));
  }
  return Object.keys(staged).length ? staged : undefined;
}

/**
 * While a broadcast keeps more than 4 axes apart, repeats a constant operand along the broadcast
 * axis that merges the most (the bytes a kernel would have read anyway); `ins` is updated.
 */
function tileConstants(g: Graph, op: Op, ins: number[][], y: number[], kept: number[], groupsOf: (s: number[][]) => Groups): Collapsed['tiled'] {
  const tiled: NonNullable<Collapsed['tiled']> = {};
  while (groupsOf(ins).length > MAX_RANK) {
    let best: [k: number, axis: number, groups: number] | undefined;
    op.inputs.forEach((t, k) => {
      if (!isConst(g.tensors[t])) return;
      for (const i of kept) {
        if (ins[k][i] !== 1) continue;
        const trial = ins.map((s, j) => (j === k ? s.map((d, a) => (a === i ? y[i] : d)) : s));
        const n = groupsOf(trial).length;
        if (!best || n < best[2]) best = [k, i, n];
      }
    });
    if (!best) break;
    const [k, i] = best;
    const from = tiled[k]?.shape ?? ins[k];
    const to = from.map((d, a) => (a === i ? y[i] : d));
    tiled[k] = { data: tile(tiled[k]?.data ?? (g.tensors[op.inputs[k]].data as TensorData), from, to), shape: to };
    ins[k] = to;
  }
  return Object.keys(tiled).length ? tiled : undefined;
}

/** Row-major `data` of shape `from` repeated to shape `to` (each axis equal or from 1). */
function tile(data: TensorData, from: number[], to: number[]): TensorData {
  const out = new (data.constructor as { new (n: number): TensorData })(product(to));
  const strides = from.map((_, a) => (from[a] === 1 ? 0 : product(from.slice(a + 1))));
  for (let o = 0; o < out.length; o++) {
    let rest = o, src = 0;
    for (let a = to.length - 1; a >= 0; a--) {
      src += (rest % to[a]) * strides[a];
      rest = Math.floor(rest / to[a]);
    }
    out[o] = data[src] as never;
  }
  return out;
}

function collapseConcat(g: Graph, op: Op, fail: Fail): Collapsed {
  const y = g.tensors[op.outputs[0]].shape, rank = y.length;
  const axis = axisOf((op.options.axis as number) ?? 0, rank, fail);
  const view = (s: number[]) => [product(s.slice(0, axis)), s[axis], product(s.slice(axis + 1))];
  return { inputs: op.inputs.map((t) => view(g.tensors[t].shape)), outputs: [view(y)], options: { axis: 1 } };
}

/** Output axes that stay neighbours in the input (perm[j] = perm[j-1] + 1) merge; size-1 axes drop. */
/**
 * Axes that stay neighbours merge. A permutation with more than 4 such runs first moves axes
 * into place with TRANSPOSEs before the op, each of 4 runs ([before, block, axis, after] ->
 * [before, axis, block, after]: the axis that belongs at the first wrong position), until the
 * rest merges; pure data movement, so the bytes are the same.
 */
function collapseTranspose(g: Graph, op: Op, fail: Fail): Collapsed {
  const x = g.tensors[op.inputs[0]].shape, rank = x.length;
  const perm = constInts(g, op.inputs[1], 'perm', fail);
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) fail(`perm ${JSON.stringify(perm)} is not a permutation of ${rank} axes`);
  const keptIn = [...Array(rank).keys()].filter((i) => x[i] !== 1);
  const renumber = new Map(keptIn.map((a, i) => [a, i]));
  const want = perm.filter((a) => x[a] !== 1).map((a) => renumber.get(a)!);
  if (!want.length) return { inputs: [[1], undefined], outputs: [[1]], constants: { 1: { values: [0], shape: [1] } } };
  const sizes = keptIn.map((a) => x[a]);
  // cur: the kept axes in the order the (staged) input holds them
  let cur = [...want.keys()];
  const runsOf = () => {
    const p = want.map((a) => cur.indexOf(a));
    return { p, groups: groupAxes(p.length, (j) => p[j] === p[j - 1] + 1) };
  };
  const staged: Stage[] = [];
  for (let { groups } = runsOf(); groups.length > MAX_RANK; ({ groups } = runsOf())) {
    const i = want.findIndex((a, k) => cur[k] !== a), j = cur.indexOf(want[i]);
    const xs = cur.map((a) => sizes[a]);
    const view = [product(xs.slice(0, i)), product(xs.slice(i, j)), xs[j], product(xs.slice(j + 1))];
    staged.push({ type: 'TRANSPOSE', view, shape: [view[0], view[2], view[1], view[3]], param: [0, 2, 1, 3], options: {} });
    cur = [...cur.slice(0, i), cur[j], ...cur.slice(i, j), ...cur.slice(j + 1)];
  }
  const { p, groups } = runsOf();
  const outGroups = checkGroups(groups, `input "${g.tensors[op.inputs[0]].name}"`, fail);
  // input groups: the same runs, in input order
  const runs = outGroups.map(([a, b]) => [p[a], p[b - 1] + 1] as [number, number]);
  const inOrder = [...runs].sort((a, b) => a[0] - b[0]);
  const xs = cur.map((a) => sizes[a]);
  const newPerm = runs.map((r) => inOrder.indexOf(r));
  return {
    inputs: [inOrder.map(([a, b]) => product(xs.slice(a, b))), undefined],
    outputs: [runs.map(([a, b]) => product(xs.slice(a, b)))],
    constants: { 1: { values: newPerm, shape: [newPerm.length] } },
    staged: staged.length ? { 0: staged } : undefined,
  };
}

/**
 * An axis merges into the one before it when it is not padded (MIRROR_PAD: only unpadded runs
 * merge). When the padded axes keep more than 4 groups apart, a PAD of the same kind (same
 * value, same mode) before the op pads the leading padded axes and the op pads the rest: each
 * output index maps to an input index axis by axis in TFLM's PAD and MIRROR_PAD, so padding in
 * two steps gives the same bytes.
 */
function collapsePad(g: Graph, op: Op, fail: Fail): Collapsed {
  const x = g.tensors[op.inputs[0]].shape, rank = x.length;
  const pads = constInts(g, op.inputs[1], 'paddings', fail);
  if (pads.length !== 2 * rank) fail(`paddings hold ${pads.length} values, expected ${rank}x2`);
  const mirror = op.type === 'MIRROR_PAD';
  const groupsOf = (pd: number[]) => {
    const padded = (i: number) => pd[2 * i] !== 0 || pd[2 * i + 1] !== 0;
    return groupAxes(rank, (i) => !padded(i) && (!mirror || !padded(i - 1)));
  };
  const plan = (shape: number[], pd: number[], groups: Groups) => {
    const inner = (a: number, b: number) => product(shape.slice(a + 1, b));
    return {
      view: merge(shape, groups),
      pads: groups.flatMap(([a, b]) => [pd[2 * a] * inner(a, b), pd[2 * a + 1] * inner(a, b)]),
      out: groups.map(([a, b]) => (shape[a] + pd[2 * a] + pd[2 * a + 1]) * inner(a, b)),
    };
  };
  let shape = x, rest = pads;
  const staged: Stage[] = [];
  if (groupsOf(pads).length > MAX_RANK) {
    // the first step pads the leading padded axes while it still merges to 4 groups
    const paddedAxes = [...Array(rank).keys()].filter((i) => pads[2 * i] !== 0 || pads[2 * i + 1] !== 0);
    let k = paddedAxes.length - 1;
    const first = (n: number) => pads.map((v, i) => (paddedAxes.indexOf(Math.floor(i / 2)) < n ? v : 0));
    while (k > 1 && groupsOf(first(k)).length > MAX_RANK) k--;
    const step = first(k), stepGroups = groupsOf(step);
    const s = plan(shape, step, stepGroups);
    staged.push({ type: op.type as Stage['type'], view: s.view, shape: s.out, param: s.pads, paramShape: [stepGroups.length, 2], extra: op.inputs.slice(2), options: op.options });
    shape = x.map((d, i) => d + step[2 * i] + step[2 * i + 1]);
    rest = pads.map((v, i) => v - step[i]);
  }
  const groups = checkGroups(groupsOf(rest), `input "${g.tensors[op.inputs[0]].name}"`, fail);
  const last = plan(shape, rest, groups);
  return {
    inputs: [last.view, undefined, ...op.inputs.slice(2).map(() => undefined)],
    outputs: [last.out],
    constants: { 1: { values: last.pads, shape: [groups.length, 2] } },
    staged: staged.length ? { 0: staged } : undefined,
  };
}

/**
 * Reduced axes merge with reduced neighbours, kept with kept; the op keeps dims, a RESHAPE gives
 * the output its shape. When reduced and kept runs alternate over more than 4 groups, TRANSPOSEs
 * before the op move the first reduced run that a kept run follows after it, until 4 remain: the
 * kept axes keep their order (the output's bytes) and so do the reduced ones, so each output
 * element still sums (or compares) its inputs in the order TFLM's raster walk visits them, which
 * keeps float sums bit-exact; int8 MEAN and SUM add in int32 and rescale once, as before.
 */
function collapseReduce(g: Graph, op: Op, fail: Fail): Collapsed {
  const x = g.tensors[op.inputs[0]].shape, rank = x.length;
  const axes = new Set(constInts(g, op.inputs[1], 'axis', fail).map((a) => axisOf(a, rank, fail)));
  const kept = [...Array(rank).keys()].filter((i) => x[i] !== 1);
  let xs = kept.map((i) => x[i]), red = kept.map((i) => axes.has(i));
  const groupsNow = () => groupAxes(xs.length, (j) => red[j] === red[j - 1]);
  const staged: Stage[] = [];
  for (let groups = groupsNow(); groups.length > MAX_RANK; groups = groupsNow()) {
    const j = groups.findIndex(([a], n) => red[a] && n + 1 < groups.length); // runs alternate: the next one is kept
    const [a, m] = groups[j], b = groups[j + 1][1];
    const swap = <T>(v: T[]) => [...v.slice(0, a), ...v.slice(m, b), ...v.slice(a, m), ...v.slice(b)];
    const view = [product(xs.slice(0, a)), product(xs.slice(a, m)), product(xs.slice(m, b)), product(xs.slice(b))];
    staged.push({ type: 'TRANSPOSE', view, shape: [view[0], view[2], view[1], view[3]], param: [0, 2, 1, 3], options: {} });
    xs = swap(xs);
    red = swap(red);
  }
  const groups = checkGroups(groupsNow(), `input "${g.tensors[op.inputs[0]].name}"`, fail);
  const reduced = groups.map(([a]) => xs.length > 0 && red[a]);
  const view = merge(xs, groups);
  if (!reduced.some((r) => r)) { // every reduced axis has size 1: reduce a size-1 axis after the kept ones (at most one group)
    view.push(1);
    reduced.push(true);
  }
  const newAxes = reduced.flatMap((r, i) => (r ? [i] : []));
  return {
    inputs: [view, undefined],
    outputs: [view.map((d, i) => (reduced[i] ? 1 : d))],
    constants: { 1: { values: newAxes, shape: [newAxes.length] } },
    options: { keepDims: true },
    staged: staged.length ? { 0: staged } : undefined,
  };
}

function collapseArgMax(g: Graph, op: Op, fail: Fail): Collapsed {
  const x = g.tensors[op.inputs[0]].shape, rank = x.length;
  const a = constInts(g, op.inputs[1], 'axis', fail);
  if (a.length !== 1) fail(`axis holds ${a.length} values; one is expected`);
  const axis = axisOf(a[0], rank, fail);
  const before = product(x.slice(0, axis)), after = product(x.slice(axis + 1));
  return { inputs: [[before, x[axis], after], undefined], outputs: [[before, after]], constants: { 1: { values: [1], shape: [1] } } };
}

function collapseGather(g: Graph, op: Op, fail: Fail): Collapsed {
  const x = g.tensors[op.inputs[0]].shape, rank = x.length;
  if (((op.options.batchDims as number) ?? 0) !== 0) fail('batch_dims other than 0 is not supported above rank 4');
  const axis = axisOf((op.options.axis as number) ?? 0, rank, fail);
  const n = product(g.tensors[op.inputs[1]].shape);
  const before = product(x.slice(0, axis)), after = product(x.slice(axis + 1));
  return { inputs: [[before, x[axis], after], [n]], outputs: [[before, n, after]], options: { axis: 1, batchDims: 0 } };
}

/**
 * Each axis resolved to start, stride and count; an axis taken whole merges into the one before
 * it when that one has stride 1 (then the merged run starts at start * inner). Shrunk axes are
 * kept as size 1 and dropped by the RESHAPE after the op.
 */
function collapseStridedSlice(g: Graph, op: Op, fail: Fail): Collapsed {
  const x = g.tensors[op.inputs[0]].shape, rank = x.length;
  const begin = constInts(g, op.inputs[1], 'begin', fail), end = constInts(g, op.inputs[2], 'end', fail);
  const strides = op.inputs[3] !== undefined && op.inputs[3] >= 0 ? constInts(g, op.inputs[3], 'strides', fail) : x.map(() => 1);
  if (begin.length !== rank || end.length !== rank || strides.length !== rank) fail(`begin, end and strides must hold ${rank} values`);
  const o = op.options as Record<string, number>;
  if (o.ellipsisMask || o.newAxisMask) fail('ellipsis and new-axis masks are not supported');
  if (o.offset) fail('offset is not supported');
  const bit = (m: number | undefined, i: number) => (((m ?? 0) >> i) & 1) === 1;
  const cuts = x.map((d, i) => {
    if (strides[i] === 0) fail(`stride ${i} is 0`);
    return sliceAxis(d, begin[i], end[i], strides[i], bit(o.beginMask, i), bit(o.endMask, i), bit(o.shrinkAxisMask, i));
  });
  const whole = (i: number) => cuts[i].start === 0 && cuts[i].stride === 1 && cuts[i].count === x[i];
  const groups = checkGroups(groupAxes(rank, (i) => whole(i) && cuts[i - 1].stride === 1), `input "${g.tensors[op.inputs[0]].name}"`, fail);
  const inner = (a: number, b: number) => product(x.slice(a + 1, b));
  const starts = groups.map(([a, b]) => cuts[a].start * inner(a, b));
  const counts = groups.map(([a, b]) => cuts[a].count * inner(a, b));
  const steps = groups.map(([a]) => cuts[a].stride);
  const n = groups.length;
  // explicit bounds: end = start + count * stride (for a negative stride, -1 past index 0 is masked instead)
  const ends = starts.map((s, k) => s + counts[k] * steps[k]);
  const endMask = ends.reduce((m, e, k) => (e < 0 ? m | (1 << k) : m), 0);
  return {
    inputs: [merge(x, groups), undefined, undefined, undefined],
    outputs: [counts],
    constants: {
      1: { values: starts, shape: [n] },
      2: { values: ends.map((e) => Math.max(e, 0)), shape: [n] },
      3: { values: steps, shape: [n] },
    },
    options: { beginMask: 0, endMask, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false },
  };
}
