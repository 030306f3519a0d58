// ONNX nodes for the ops of issue 10 (groups a, b, c): Max/Min, Sub, Exp, Reciprocal,
// Resize, Gather, ArgMax/ArgMin, DepthToSpace/SpaceToDepth, ReduceMax/ReduceSum, Slice,
// Split, LpNormalization. Layout as in ops.ts: a 4-D activation is NHWC, so an ONNX
// (NCHW) axis a of it is NHWC axis NCHW_TO_NHWC.indexOf(a); where an op's output order
// would differ from ONNX's, the op runs in NHWC with kept dims and the result is reshaped
// through NCHW order (c.nchwOrder), as Flatten does.

import { ImportContext, NCHW_TO_NHWC } from './context.js';
import { computePadding } from '../../passes/quant-math.js';
import { binary, broadcast, convTranspose, nhwcOperand, prod, spatialInput, unary } from './ops.js';

type Handler = (c: ImportContext) => void;

/** IR axis of ONNX axis `a` (negative counts from the end) of tensor t. */
function irAxis(c: ImportContext, t: number, a: number): number {
  const rank = c.shapeOf(t).length;
  if (!Number.isInteger(a) || a < -rank || a >= rank) c.fail(`axis ${a} is outside [-${rank}, ${rank})`);
  const k = a < 0 ? a + rank : a;
  return c.nhwc.has(t) ? NCHW_TO_NHWC.indexOf(k) : k;
}

function onnxAxis(c: ImportContext, t: number, a: number): number {
  const rank = c.shapeOf(t).length;
  if (!Number.isInteger(a) || a < -rank || a >= rank) c.fail(`axis ${a} is outside [-${rank}, ${rank})`);
  return a < 0 ? a + rank : a;
}

function int32Const(c: ImportContext, suffix: string, values: number[], shape = [values.length]): number {
  return c.addConst(`${c.node.output![0]}/${suffix}`, 'int32', shape, Int32Array.from(values));
}

/** Max / Min with any number of inputs: a chain of MAXIMUM / MINIMUM, numpy broadcasting. */
function variadic(type: 'MAXIMUM' | 'MINIMUM'): Handler {
  return (c) => {
    const ins = (c.node.input ?? []).map((_, k) => c.required(k, `input ${k}`));
    if (ins.length === 0) c.fail('needs at least one input');
    if (ins.length === 1) return c.bind(0, ins[0]);
    const out = ins.map((t) => c.shapeOf(t)).reduce((a, b) => broadcast(c, a, b));
    const irIns = out.length === 4 ? ins.map((t) => nhwcOperand(c, t)) : ins;
    let acc = irIns[0];
    for (let k = 1; k < irIns.length; k++) {
      const last = k === irIns.length - 1;
      const partial = broadcast(c, c.shapeOf(acc), c.shapeOf(irIns[k]));
      const y = last ? c.output(0, out) : c.temp(`partial${k}`, partial.length === 4 ? NCHW_TO_NHWC.map((p) => partial[p]) : partial, partial, partial.length === 4);
      c.emit(type, [acc, irIns[k]], [y], {});
      acc = y;
    }
  };
}

/** Reciprocal: DIV of a constant 1 by x (int8 DIV with calibration data or QDQ). */
const reciprocal: Handler = (c) => {
  const x = c.required(0, 'input'), s = c.shapeOf(x);
  const one = c.addConst(`${c.node.output![0]}/one`, 'float32', [1], Float32Array.of(1));
  c.onnxShape.set(one, [1]);
  const a = s.length === 4 ? nhwcOperand(c, one) : one;
  c.emit('DIV', [a, x], [c.output(0, s)], { activation: 'NONE' });
};

/** ONNX Resize's source coordinate of output index v (before rounding / interpolation). */
function sourceCoordinate(mode: string, v: number, scale: number, inSize: number, outSize: number): number {
  switch (mode) {
    case 'half_pixel': return (v + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel': return outSize > 1 ? (v + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return outSize === 1 ? 0 : (v * (inSize - 1)) / (outSize - 1);
    case 'asymmetric': return v / scale;
    case 'tf_half_pixel_for_nn': return (v + 0.5) / scale;
    default: return NaN;
  }
}

function roundNearest(x: number, mode: string): number {
  const half = x - Math.floor(x) === 0.5;
  switch (mode) {
    case 'round_prefer_floor': return half ? Math.floor(x) : Math.round(x);
    case 'round_prefer_ceil': return half ? Math.ceil(x) : Math.round(x);
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
    default: return NaN;
  }
}

/** TFLite's (align_corners, half_pixel_centers) pairs: the nearest-neighbour index tables they give. */
const TFLITE_NEAREST: [boolean, boolean][] = [[false, true], [true, false], [false, false]];

/**
 * Resize (opset 11+: X, roi, scales, sizes; opset 10: X, scales) on a 4-D input, H and W
 * only. linear -> RESIZE_BILINEAR for half_pixel (and pytorch_half_pixel with outputs > 1),
 * align_corners, asymmetric. nearest -> RESIZE_NEAREST_NEIGHBOR when one of TFLite's index
 * rules gives exactly ONNX's indices for this mode, nearest_mode and size (compared here,
 * index by index); anything else is refused naming the mode.
 */
const resize: Handler = (c) => {
  const x = c.required(0, 'X');
  if (!c.nhwc.has(x)) c.fail(`input shape ${JSON.stringify(c.shapeOf(x))}: only 4-D NCHW inputs are supported`);
  const [n, ch, h, w] = c.shapeOf(x);
  const mode = c.attr('mode', 'nearest') as string;
  const ctm = c.attr('coordinate_transformation_mode', c.opset >= 11 ? 'half_pixel' : 'asymmetric') as string;
  if ((c.attr('antialias', 0) as number) !== 0) c.fail('antialias=1 is not supported');
  if (c.attrs.has('axes')) c.fail('the axes attribute is not supported (scales or sizes for all 4 axes)');
  const policy = c.attr('keep_aspect_ratio_policy', 'stretch') as string;
  if (policy !== 'stretch') c.fail(`keep_aspect_ratio_policy ${policy} is not supported (stretch only)`);
  const si = c.opset >= 11 ? c.input(2) : c.input(1), zi = c.opset >= 11 ? c.input(3) : -1;
  let oh: number, ow: number, sh: number, sw: number;
  if (zi >= 0 && c.constInts(zi, 'sizes').length > 0) {
    const sizes = c.constInts(zi, 'sizes');
    if (sizes.length !== 4 || sizes[0] !== n || sizes[1] !== ch) c.fail(`sizes ${JSON.stringify(sizes)} must keep N and C of ${JSON.stringify([n, ch, h, w])}`);
    [oh, ow] = [sizes[2], sizes[3]];
    [sh, sw] = [oh / h, ow / w];
  } else {
    if (si < 0) c.fail('needs scales or sizes');
    const scales = Array.from(c.constFloats(si, 'scales'));
    if (scales.length !== 4 || scales[0] !== 1 || scales[1] !== 1) c.fail(`scales ${JSON.stringify(scales)} must be 4 values with N and C scales 1`);
    [sh, sw] = [scales[2], scales[3]];
    [oh, ow] = [Math.floor(h * sh), Math.floor(w * sw)];
  }
  if (!(oh >= 1 && ow >= 1 && Number.isSafeInteger(oh) && Number.isSafeInteger(ow))) c.fail(`output size ${oh}x${ow} must be whole numbers >= 1`);
  const size = int32Const(c, 'size', [oh, ow]);
  const y = c.output(0, [n, ch, oh, ow]);
  if (mode === 'linear') {
    const modes: Record<string, [boolean, boolean]> = { half_pixel: [false, true], align_corners: [true, false], asymmetric: [false, false] };
    if (ctm === 'pytorch_half_pixel' && oh > 1 && ow > 1) modes.pytorch_half_pixel = modes.half_pixel;
    const m = modes[ctm];
    if (!m) c.fail(`linear resize with coordinate_transformation_mode ${ctm} is not supported (half_pixel, align_corners, asymmetric; pytorch_half_pixel with outputs > 1)`);
    if (ctm !== 'align_corners' && (oh / h !== sh || ow / w !== sw)) c.fail(`scales ${sh}, ${sw} do not give whole output sizes (${h}x${w} -> ${oh}x${ow}); TFLite scales by input/output size`);
    return c.emit('RESIZE_BILINEAR', [x, size], [y], { alignCorners: m[0], halfPixelCenters: m[1] });
  }
  if (mode !== 'nearest') c.fail(`mode ${mode} is not supported (nearest, linear)`);
  const nearestMode = c.attr('nearest_mode', 'round_prefer_floor') as string;
  const onnxIndex = (v: number, inSize: number, outSize: number, scale: number) =>
    Math.max(0, Math.min(inSize - 1, roundNearest(sourceCoordinate(ctm, v, scale, inSize, outSize), nearestMode)));
  const table = (inSize: number, outSize: number, f: (v: number) => number) => Array.from({ length: outSize }, (_, v) => f(v));
  const same = (a: number[], b: number[]) => a.every((v, i) => v === b[i]);
  const match = TFLITE_NEAREST.find(([align, half]) =>
    same(table(h, oh, (v) => onnxIndex(v, h, oh, sh)), table(h, oh, (v) => tfliteNearest(v, h, oh, align, half)))
    && same(table(w, ow, (v) => onnxIndex(v, w, ow, sw)), table(w, ow, (v) => tfliteNearest(v, w, ow, align, half))));
  if (!match) c.fail(`nearest resize with coordinate_transformation_mode ${ctm} and nearest_mode ${nearestMode} picks other source pixels than any TFLite RESIZE_NEAREST_NEIGHBOR for ${h}x${w} -> ${oh}x${ow} (e.g. half_pixel with round_prefer_ceil, asymmetric with floor, align_corners with round_prefer_ceil)`);
  c.emit('RESIZE_NEAREST_NEIGHBOR', [x, size], [y], { alignCorners: match![0], halfPixelCenters: match![1] });
};

/** TFLite's GetNearestNeighbor in float32 (as src/passes/prepare/table-copy.ts nearestIndex). */
function tfliteNearest(v: number, inSize: number, outSize: number, alignCorners: boolean, halfPixel: boolean): number {
  const f = Math.fround;
  const scale = alignCorners && outSize > 1 ? f((inSize - 1) / f(outSize - 1)) : f(inSize / f(outSize));
  const pos = f(f(v + (halfPixel ? 0.5 : 0)) * scale);
  const rounded = alignCorners ? Math.sign(pos) * Math.round(Math.abs(pos)) : Math.floor(pos);
  const i = Math.min(rounded, inSize - 1);
  return halfPixel ? Math.max(0, i) : i;
}

/** Gather with constant indices (negative ones counted from the end); 4-D inputs gather along the NHWC axis when the output stays 4-D. */
const gather: Handler = (c) => {
  const x = c.required(0, 'data'), ii = c.required(1, 'indices');
  const s = c.shapeOf(x), is = c.shapeOf(ii);
  const axis = onnxAxis(c, x, c.attr('axis', 0) as number);
  const raw = c.constInts(ii, 'indices');
  const idx = raw.map((v) => (v < 0 ? v + s[axis] : v));
  idx.forEach((v, k) => { if (v < 0 || v >= s[axis]) c.fail(`index ${raw[k]} (position ${k}) is outside axis ${axis} of size ${s[axis]}`); });
  const out = [...s.slice(0, axis), ...is, ...s.slice(axis + 1)];
  if (c.isConst(x) && !c.nhwc.has(x)) return foldGather(c, x, axis, idx, out);
  if (c.nhwc.has(x) && out.length === 4) {
    const indices = int32Const(c, 'indices', idx, is);
    return c.emit('GATHER', [x, indices], [c.output(0, out)], { axis: NCHW_TO_NHWC.indexOf(axis), batchDims: 0 });
  }
  const xo = c.nchwOrder(x);
  const indices = int32Const(c, 'indices', idx, is);
  if (out.length !== 4) return c.emit('GATHER', [xo, indices], [c.output(0, out)], { axis, batchDims: 0 });
  const mid = c.temp('nchw_out', [...out], out, false);
  c.emit('GATHER', [xo, indices], [mid], { axis, batchDims: 0 });
  c.move(mid, c.output(0, out), NCHW_TO_NHWC, out);
};

/** Gather of a constant (an embedding table, a shape vector): computed now, as a constant of the data's type. */
function foldGather(c: ImportContext, x: number, axis: number, idx: number[], out: number[]): void {
  const s = c.shapeOf(x), data = c.tensor(x).data!;
  const outer = prod(s.slice(0, axis)), size = s[axis], inner = prod(s.slice(axis + 1));
  const values = new (data.constructor as new (n: number) => typeof data)(outer * idx.length * inner);
  let p = 0;
  for (let o = 0; o < outer; o++) for (const v of idx) for (let i = 0; i < inner; i++) (values as Float32Array)[p++] = (data as Float32Array)[(o * size + v) * inner + i];
  const name = c.node.output![0];
  c.byName.set(name, c.addConst(name, c.tensor(x).dtype, out, values));
}

/** ArgMax / ArgMin: one axis, keepdims 0 or 1, select_last_index 0 (TFLite keeps the first index); int32 output. */
function argExtreme(type: 'ARG_MAX' | 'ARG_MIN'): Handler {
  return (c) => {
    const x = c.required(0, 'data'), s = c.shapeOf(x);
    if ((c.attr('select_last_index', 0) as number) !== 0) c.fail('select_last_index=1 is not supported (TFLite keeps the first index)');
    const axis = onnxAxis(c, x, c.attr('axis', 0) as number);
    const keep = (c.attr('keepdims', 1) as number) !== 0;
    const out = keep ? s.map((d, i) => (i === axis ? 1 : d)) : s.filter((_, i) => i !== axis);
    const opts = { outputType: 2 }; // TensorType INT32
    if (c.nhwc.has(x) && (keep || axis === 1)) {
      // NHWC without the axis is ONNX's order when the channels go, and the kept-dims NHWC order otherwise
      const a = NCHW_TO_NHWC.indexOf(axis), xs = c.tensor(x).shape;
      const reduced = xs.filter((_, i) => i !== a);
      const y = keep ? c.addTensor({ name: `${c.node.output![0]}/reduced`, shape: reduced, dtype: 'int32' }, reduced) : c.output(0, out, 'int32');
      c.emit(type, [x, int32Const(c, 'axis', [a], [1])], [y], opts);
      if (keep) c.emit('RESHAPE', [y], [c.output(0, out, 'int32')]);
      return;
    }
    const xo = c.nchwOrder(x);
    const reduced = s.filter((_, i) => i !== axis);
    const y = keep ? c.addTensor({ name: `${c.node.output![0]}/reduced`, shape: reduced, dtype: 'int32' }, reduced) : c.output(0, out, 'int32');
    c.emit(type, [xo, int32Const(c, 'axis', [axis], [1])], [y], opts);
    if (keep) c.emit('RESHAPE', [y], [c.output(0, out, 'int32')]);
  };
}

function blocksize(c: ImportContext): number {
  const bs = c.attr('blocksize', 0) as number;
  if (!(Number.isSafeInteger(bs) && bs >= 1)) c.fail(`blocksize ${bs} must be a whole number >= 1`);
  return bs;
}

/**
 * DepthToSpace: TFLite's DEPTH_TO_SPACE reads channel (by * bs + bx) * C' + k, which is ONNX's
 * DCR. CRD reads channel k * bs^2 + by * bs + bx: a GATHER of the channels into DCR order first.
 */
const depthToSpace: Handler = (c) => {
  const x = c.required(0, 'input');
  if (!c.nhwc.has(x)) c.fail(`input shape ${JSON.stringify(c.shapeOf(x))}: only 4-D NCHW inputs are supported`);
  const [n, ch, h, w] = c.shapeOf(x), bs = blocksize(c);
  if (ch % (bs * bs) !== 0) c.fail(`${ch} channels are not a multiple of blocksize^2 (${bs * bs})`);
  const mode = c.attr('mode', 'DCR') as string, oc = ch / (bs * bs);
  if (mode !== 'DCR' && mode !== 'CRD') c.fail(`mode ${mode} is not supported (DCR, CRD)`);
  let src = x;
  if (mode === 'CRD') {
    const order = Array.from({ length: ch }, (_, d) => (d % oc) * bs * bs + Math.floor(d / oc));
    src = c.temp('dcr', c.tensor(x).shape, [n, ch, h, w], true);
    c.emit('GATHER', [x, int32Const(c, 'dcr_order', order)], [src], { axis: 3, batchDims: 0 });
  }
  c.emit('DEPTH_TO_SPACE', [src], [c.output(0, [n, oc, h * bs, w * bs])], { blockSize: bs });
};

/** SpaceToDepth: ONNX's channel order (by * bs + bx) * C + k is TFLite's. */
const spaceToDepth: Handler = (c) => {
  const x = c.required(0, 'input');
  if (!c.nhwc.has(x)) c.fail(`input shape ${JSON.stringify(c.shapeOf(x))}: only 4-D NCHW inputs are supported`);
  const [n, ch, h, w] = c.shapeOf(x), bs = blocksize(c);
  if (h % bs !== 0 || w % bs !== 0) c.fail(`height ${h} and width ${w} must be multiples of blocksize ${bs}`);
  c.emit('SPACE_TO_DEPTH', [x], [c.output(0, [n, ch * bs * bs, h / bs, w / bs])], { blockSize: bs });
};

/** ReduceMax / ReduceSum: axes from the attribute or input 1 (empty: all, unless noop_with_empty_axes), keepdims. */
function reduceOp(type: 'REDUCE_MAX' | 'SUM'): Handler {
  return (c) => {
    const x = c.required(0, 'data'), s = c.shapeOf(x);
    const ai = c.input(1);
    let axes = ai >= 0 ? c.constInts(ai, 'axes') : (c.attr('axes', []) as number[]);
    if (axes.length === 0) {
      if ((c.attr('noop_with_empty_axes', 0) as number) !== 0) return c.bind(0, x);
      axes = s.map((_, i) => i);
    }
    const on = [...new Set(axes.map((a) => onnxAxis(c, x, a)))];
    const keep = (c.attr('keepdims', 1) as number) !== 0;
    const kept = s.map((d, i) => (on.includes(i) ? 1 : d));
    const out = keep ? kept : s.filter((_, i) => !on.includes(i));
    const irAxes = int32Const(c, 'axes', on.map((a) => irAxis(c, x, a)));
    // NHWC with the reduced axes dropped is ONNX's order when the kept axes stay in order (e.g. H, W or C reduced)
    const keptOrder = s.map((_, i) => i).filter((i) => !on.includes(i)).map((i) => NCHW_TO_NHWC.indexOf(i));
    const inOrder = keptOrder.every((p, i) => i === 0 || p > keptOrder[i - 1]);
    if (!c.nhwc.has(x) || keep || inOrder) return c.emit(type, [x, irAxes], [c.output(0, out)], { keepDims: keep });
    // 4-D in, fewer dims out: reduce with kept dims (NHWC), then ONNX order, then drop them
    const mid = c.temp('kept', NCHW_TO_NHWC.map((p) => kept[p]), kept, true);
    c.emit(type, [x, irAxes], [mid], { keepDims: true });
    c.emit('RESHAPE', [c.nchwOrder(mid)], [c.output(0, out)]);
  };
}

/** One STRIDED_SLICE of x (ONNX axes' begin/end/step given per ONNX axis) into ONNX output k. */
function sliceInto(c: ImportContext, x: number, k: number, begin: number[], end: number[], steps: number[], endMask: number): void {
  const s = c.shapeOf(x);
  const out = s.map((_, i) => Math.max(0, steps[i] > 0 ? Math.ceil((end[i] - begin[i]) / steps[i]) : Math.ceil(((endMask & (1 << i) ? -1 : end[i]) - begin[i]) / steps[i])));
  if (out.some((d) => d === 0)) c.fail(`output ${k} would be empty (shape ${JSON.stringify(out)})`);
  const order = c.nhwc.has(x) ? NCHW_TO_NHWC : s.map((_, i) => i);
  const mask = order.reduce((m, a, i) => m | (endMask & (1 << a) ? 1 << i : 0), 0);
  const name = c.node.output![k];
  const t = (what: string, v: number[]) => c.addConst(`${name}/${what}`, 'int32', [v.length], Int32Array.from(order.map((a) => v[a])));
  c.emit('STRIDED_SLICE', [x, t('begin', begin), t('end', end), t('strides', steps)], [c.output(k, out)], { beginMask: 0, endMask: mask, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false });
}

/** Slice: constant starts/ends/axes/steps, clamped as ONNX does; a negative step ending before index 0 sets end_mask. */
const slice: Handler = (c) => {
  const x = c.required(0, 'data'), s = c.shapeOf(x);
  if (c.attrs.has('starts')) c.fail('Slice-1 attributes (starts/ends) are not supported; opset 10+ inputs only');
  const starts = c.constInts(c.required(1, 'starts'), 'starts'), ends = c.constInts(c.required(2, 'ends'), 'ends');
  const axes = c.input(3) >= 0 ? c.constInts(c.input(3), 'axes') : starts.map((_, i) => i);
  const steps = c.input(4) >= 0 ? c.constInts(c.input(4), 'steps') : starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) c.fail('starts, ends, axes and steps must have one value per sliced axis');
  const begin = s.map(() => 0), end = [...s], step = s.map(() => 1);
  let endMask = 0;
  axes.forEach((a0, i) => {
    const a = onnxAxis(c, x, a0), d = s[a], st = steps[i];
    if (!Number.isSafeInteger(st) || st === 0) c.fail(`step ${steps[i]} of axis ${a} must be a non-zero whole number`);
    const norm = (v: number) => (v < 0 ? v + d : v);
    step[a] = st;
    if (st > 0) {
      begin[a] = Math.min(Math.max(norm(starts[i]), 0), d);
      end[a] = Math.min(Math.max(norm(ends[i]), 0), d);
    } else {
      begin[a] = Math.min(Math.max(norm(starts[i]), 0), d - 1);
      end[a] = Math.min(Math.max(norm(ends[i]), -1), d - 1);
      if (end[a] === -1) { endMask |= 1 << a; end[a] = 0; }
    }
  });
  sliceInto(c, x, 0, begin, end, step, endMask);
};

/** Split: sizes from input 1 (opset 13), the `split` attribute, num_outputs (opset 18) or equal parts; one STRIDED_SLICE per output. */
const split: Handler = (c) => {
  const x = c.required(0, 'input'), s = c.shapeOf(x);
  const axis = onnxAxis(c, x, c.attr('axis', 0) as number);
  const outs = (c.node.output ?? []).length;
  let sizes = c.input(1) >= 0 ? c.constInts(c.input(1), 'split') : (c.attr('split', []) as number[]);
  if (sizes.length === 0) {
    const parts = (c.attr('num_outputs', outs) as number);
    const each = Math.ceil(s[axis] / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.min(each, s[axis] - i * each));
  }
  if (sizes.length !== outs || sizes.some((d) => !(d >= 1)) || prod([sizes.reduce((a, b) => a + b, 0)]) !== s[axis]) {
    c.fail(`split ${JSON.stringify(sizes)} into ${outs} outputs does not cut axis ${axis} of size ${s[axis]} (parts >= 1)`);
  }
  let at = 0;
  sizes.forEach((d, k) => {
    const begin = s.map(() => 0), end = [...s];
    begin[axis] = at;
    end[axis] = at + d;
    at += d;
    if (c.node.output![k]) sliceInto(c, x, k, begin, end, s.map(() => 1), 0);
  });
};

/** LpNormalization with p = 2 over the last axis (channels of a 4-D input, which NHWC keeps last) -> L2_NORMALIZATION. */
const lpNormalization: Handler = (c) => {
  const x = c.required(0, 'input'), s = c.shapeOf(x);
  const p = c.attr('p', 2) as number, axis = onnxAxis(c, x, c.attr('axis', -1) as number);
  if (p !== 2) c.fail(`p = ${p} is not supported (2 only: TFLite's L2_NORMALIZATION)`);
  const last = c.nhwc.has(x) ? axis === 1 : axis === s.length - 1;
  if (!last) c.fail(`axis ${axis} of ${JSON.stringify(s)} is not supported (the last axis, or channels of a 4-D input)`);
  c.emit('L2_NORMALIZATION', [x], [c.output(0, s)], { activation: 'NONE' });
};

/**
 * ConvTranspose with strides > 1 -> TRANSPOSE_CONV: filter [O, KH, KW, I] = W[i, o, ky, kx]
 * (both scatter x[iy] to iy * stride - pad + ky). TFLite derives its padding from the output
 * size (SAME: ceil(out / s) = in; VALID: floor((out - k + s) / s) = in) as
 * floor((s (in - 1) + k - out) / 2) at the top/left, the rest cut at the bottom/right: ONNX
 * pads (and output_padding) are accepted when they give that. Group 1, dilation 1.
 */
const convTransposeAny: Handler = (c) => {
  const strides = c.attr('strides', [1, 1]) as number[];
  if (strides.every((s) => s === 1)) return convTranspose(c);
  const { x, n, ch, h, w } = spatialInput(c);
  const wi = c.required(1, 'weights'), ws = c.shapeOf(wi);
  if (ws.length !== 4 || ws[0] !== ch) c.fail(`weights ${JSON.stringify(ws)} do not fit ${ch} input channels (2-D only)`);
  const [, oc, kh, kw] = ws;
  if ((c.attr('dilations', [1, 1]) as number[]).some((d) => d !== 1) || (c.attr('group', 1) as number) !== 1) c.fail('only dilation 1, group 1 ConvTranspose is supported');
  if (strides.length !== 2 || !strides.every((s) => Number.isSafeInteger(s) && s >= 1 && s <= 1 << 24)) c.fail(`strides ${JSON.stringify(strides)} must be two whole numbers in [1, 2^24]`);
  if (c.attrs.has('output_shape')) c.fail('output_shape is not supported (pads and output_padding only)');
  if ((c.attr('auto_pad', 'NOTSET') as string) !== 'NOTSET') c.fail('auto_pad is not supported on ConvTranspose');
  const [pt, pl, pb, pr] = c.attr('pads', [0, 0, 0, 0]) as number[];
  const [oph, opw] = c.attr('output_padding', [0, 0]) as number[];
  const oh = strides[0] * (h - 1) + oph + kh - pt - pb, ow = strides[1] * (w - 1) + opw + kw - pl - pr;
  if (!(oh >= 1 && ow >= 1)) c.fail(`output ${oh}x${ow} is empty`);
  const fits = (padding: string) => [[h, oh, kh, strides[0], pt], [w, ow, kw, strides[1], pl]].every(([i, o, k, s, p]) => {
    const g = computePadding(padding, s, 1, o, k);
    return g.out === i && g.pad === p;
  });
  const padding = ['SAME', 'VALID'].find(fits);
  if (!padding) c.fail(`pads ${JSON.stringify([pt, pl, pb, pr])} with output_padding ${JSON.stringify([oph, opw])} are not TFLite's SAME or VALID padding for ${h}x${w} -> ${oh}x${ow} (top/left = floor((stride (in - 1) + k - out) / 2))`);
  const W = c.constFloats(wi, 'weights');
  const f = new Float32Array(W.length);
  for (let i = 0; i < ch; i++) for (let o = 0; o < oc; o++) for (let k = 0; k < kh * kw; k++) f[(o * kh * kw + k) * ch + i] = W[(i * oc + o) * kh * kw + k];
  const y = c.output(0, [n, oc, oh, ow]);
  const bias = c.input(2);
  const ins = [int32Const(c, 'output_shape', [n, oh, ow, oc]), c.addConst(`${c.tensor(wi).name}/ohwi`, 'float32', [oc, kh, kw, ch], f), x];
  if (bias >= 0) ins.push(c.addConst(c.tensor(bias).name, 'float32', [oc], c.constFloats(bias, 'bias')));
  c.emit('TRANSPOSE_CONV', ins, [y], { padding, strideH: strides[0], strideW: strides[1], activation: 'NONE' });
};

export const MORE_HANDLERS: Record<string, Handler> = {
  Max: variadic('MAXIMUM'),
  Min: variadic('MINIMUM'),
  Sub: binary('SUB'),
  Exp: unary('EXP'),
  Reciprocal: reciprocal,
  Resize: resize,
  Gather: gather,
  ArgMax: argExtreme('ARG_MAX'),
  ArgMin: argExtreme('ARG_MIN'),
  DepthToSpace: depthToSpace,
  SpaceToDepth: spaceToDepth,
  ReduceMax: reduceOp('REDUCE_MAX'),
  ReduceSum: reduceOp('SUM'),
  Slice: slice,
  Split: split,
  LpNormalization: lpNormalization,
  ConvTranspose: convTransposeAny,
};
