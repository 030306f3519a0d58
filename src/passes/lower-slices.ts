// lower-slices: matches SLICE, SPLIT, SPLIT_V and UNPACK on int8 tensors and emits one
// STRIDED_SLICE per output that is read (SPLIT's outputs are the input cut along one axis;
// UNPACK's drop that axis, a shrink mask). Guarantees: the bytes TFLM copies, each op with
// one output, so prepare-kernels and the runtime handle them as STRIDED_SLICE; bad axes,
// sizes or begin/size pairs fail here with the source op named.

import { ConvertError, Graph, Op, cloneGraph, consumers } from '../ir/graph.js';

/** Ops this pass and lower-pack rewrite into ops prepare-kernels knows. */
export const LOWERED_OPS = ['SLICE', 'SPLIT', 'SPLIT_V', 'UNPACK', 'PACK'];

const SLICE_OPS = ['SLICE', 'SPLIT', 'SPLIT_V', 'UNPACK'];

type Fail = (m: string) => never;

/** One output's cut: begin and end per axis, and the axis it drops (-1: none). */
interface Cut { output: number; begin: number[]; end: number[]; shrink: number }

export function lowerSlices(input: Graph): Graph {
  if (!input.ops.some((o) => SLICE_OPS.includes(o.type))) return input;
  const g = cloneGraph(input);
  const readers = consumers(g);
  const used = (t: number) => g.outputs.includes(t) || readers[t].length > 0;
  const ops: Op[] = [];
  for (const op of g.ops) {
    if (!SLICE_OPS.includes(op.type)) { ops.push(op); continue; }
    const fail: Fail = (m) => { throw new ConvertError(`${g.source}: op ${op.sourceIndex} (${op.type}): ${m}`); };
    const x = op.type === 'SPLIT' ? op.inputs[1] : op.inputs[0];
    if (x === undefined || x < 0) fail('missing input');
    const shape = g.tensors[x].shape;
    for (const cut of cutsOf(g, op, shape, fail)) {
      if (!used(cut.output)) continue;
      ops.push(sliceOp(g, op, x, cut));
    }
  }
  g.ops = ops;
  return g;
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

/** Cuts of `shape` along `axis` into pieces of the given sizes, one per output. */
function alongAxis(op: Op, shape: number[], axis: number, sizes: number[], shrink: boolean): Cut[] {
  let at = 0;
  return sizes.map((size, i) => {
    const begin = shape.map(() => 0), end = [...shape];
    begin[axis] = at;
    end[axis] = at + size;
    at += size;
    return { output: op.outputs[i], begin, end, shrink: shrink ? axis : -1 };
  });
}

function cutsOf(g: Graph, op: Op, shape: number[], fail: Fail): Cut[] {
  const rank = shape.length;
  switch (op.type) {
    case 'SLICE': {
      const begin = constInts(g, op.inputs[1], 'begin', fail), size = constInts(g, op.inputs[2], 'size', fail);
      if (begin.length !== rank || size.length !== rank) fail(`begin and size need ${rank} values, have ${begin.length} and ${size.length}`);
      const end = size.map((s, k) => (s === -1 ? shape[k] : begin[k] + s));
      shape.forEach((d, k) => {
        if (!(begin[k] >= 0 && end[k] > begin[k] && end[k] <= d)) fail(`begin ${begin[k]} and size ${size[k]} of axis ${k} do not lie inside its size ${d}`);
      });
      return [{ output: op.outputs[0], begin, end, shrink: -1 }];
    }
    case 'SPLIT': {
      const [a] = constInts(g, op.inputs[0], 'axis', fail);
      const axis = axisOf(a, rank, fail), n = op.outputs.length;
      if (shape[axis] % n !== 0) fail(`axis ${axis} of size ${shape[axis]} does not split into ${n} equal parts`);
      return alongAxis(op, shape, axis, op.outputs.map(() => shape[axis] / n), false);
    }
    case 'SPLIT_V': {
      const sizes = constInts(g, op.inputs[1], 'size_splits', fail);
      const [a] = constInts(g, op.inputs[2], 'axis', fail);
      const axis = axisOf(a, rank, fail);
      if (sizes.length !== op.outputs.length) fail(`${sizes.length} size_splits for ${op.outputs.length} outputs`);
      const unknown = sizes.filter((s) => s === -1).length, known = sizes.reduce((t, s) => (s === -1 ? t : t + s), 0);
      if (unknown > 1 || sizes.some((s) => s !== -1 && s < 1)) fail(`size_splits ${JSON.stringify(sizes)}: sizes must be >= 1, at most one -1`);
      const full = sizes.map((s) => (s === -1 ? shape[axis] - known : s));
      if (full.some((s) => s < 1) || full.reduce((t, s) => t + s, 0) !== shape[axis]) fail(`size_splits ${JSON.stringify(sizes)} do not add up to axis ${axis} of size ${shape[axis]}`);
      return alongAxis(op, shape, axis, full, false);
    }
    default: { // UNPACK
      const axis = axisOf((op.options.axis as number) ?? 0, rank, fail);
      if (shape[axis] !== op.outputs.length) fail(`axis ${axis} has size ${shape[axis]}, but the op has ${op.outputs.length} outputs`);
      return alongAxis(op, shape, axis, op.outputs.map(() => 1), true);
    }
  }
}

function sliceOp(g: Graph, op: Op, x: number, cut: Cut): Op {
  const name = g.tensors[cut.output].name;
  const constant = (what: string, v: number[]) => {
    g.tensors.push({ name: `${name}/${what}`, shape: [v.length], dtype: 'int32', data: Int32Array.from(v) });
    return g.tensors.length - 1;
  };
  return {
    type: 'STRIDED_SLICE',
    inputs: [x, constant('begin', cut.begin), constant('end', cut.end), constant('strides', cut.begin.map(() => 1))],
    outputs: [cut.output],
    options: { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: cut.shrink < 0 ? 0 : 1 << cut.shrink, offset: false },
    sourceIndex: op.sourceIndex,
  };
}
