// ONNX mappings of issue 10's ops (src/import/onnx/ops-more.ts): each ONNX model built in
// code is imported and run by the float reference, and its output (NHWC for 4-D) compared
// with ONNX's semantics written out below on NCHW arrays (numpy's take, ONNX Resize's
// coordinate modes, DepthToSpace DCR/CRD, ...). The same models convert with calibration data
// and their .epk bytes equal tflm-run's on the int8 tflite of the quantized graph (simd,
// scalar, streamed; test/calib-oracle.ts); a QDQ model goes through the same check.
// Unsupported attributes fail with one line naming the node.

import { test } from 'uvu';
import { loadModelNode } from '../src/runtime/node.js';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { ConvertError } from '../src/ir/graph.js';
import { runFloat } from '../src/float/interpret.js';
import { f32Bytes } from '../src/float/sqnr.js';
import { importOnnx } from '../src/import/onnx/index.js';
import { OnnxBuilder } from '../src/testing/onnx-builder.js';
import { calibratedMatchesTflm, coreOps } from './calib-oracle.js';
import { hasTflm, rng } from './tflm-oracle.js';

if (!hasTflm) console.log('onnx-more-ops: tflm-run absent (../shared/tools/tflm-run); comparing builds only');

// ---- ONNX semantics on NCHW arrays ----

interface ND { shape: number[]; data: Float32Array }
const elems = (s: number[]) => s.reduce((a, d) => a * d, 1);
const stridesOf = (s: number[]) => s.map((_, i) => elems(s.slice(i + 1)));
function build(shape: number[], f: (idx: number[]) => number): ND {
  const data = new Float32Array(elems(shape)), st = stridesOf(shape);
  for (let i = 0; i < data.length; i++) data[i] = f(shape.map((d, k) => Math.floor(i / st[k]) % d));
  return { shape, data };
}
const at = (x: ND, idx: number[]) => x.data[idx.reduce((a, v, k) => a + v * stridesOf(x.shape)[k], 0)];
/** Broadcast read (numpy rules): idx over the output's rank. */
const bat = (x: ND, idx: number[]) => at(x, x.shape.map((d, k) => (d === 1 ? 0 : idx[idx.length - x.shape.length + k])));
const nchwToNhwc = (x: ND): Float32Array => (x.shape.length === 4 ? build([0, 2, 3, 1].map((p) => x.shape[p]), ([n, h, w, c]) => at(x, [n, c, h, w])).data : x.data);
const rand = (r: () => number, shape: number[], lo = -2, hi = 2): ND => ({ shape, data: Float32Array.from({ length: elems(shape) }, () => lo + (hi - lo) * r()) });

// ---- harness ----

interface Case { what: string; onnx: Uint8Array; inputs: ND[]; want: ND[]; tol?: number; lo?: number; hi?: number }

/** Float reference of the imported graph vs ONNX's semantics, then calibration vs tflm-run. */
async function check(c: Case, r: () => number): Promise<string[]> {
  const g = importOnnx(c.onnx, `${c.what}.onnx`);
  const got = runFloat(g, c.inputs.map(nchwToNhwc));
  c.want.forEach((w, k) => {
    const want = nchwToNhwc(w);
    assert.is(got[k].length, want.length, `${c.what}: output ${k} size`);
    want.forEach((v, i) => assert.ok(Math.abs(got[k][i] - v) <= (c.tol ?? 1e-5) * Math.max(1, Math.abs(v)), `${c.what}: output ${k}[${i}] ${got[k][i]} vs ONNX ${v}`));
  });
  const lo = c.lo ?? -2, hi = c.hi ?? 2;
  const samples = Array.from({ length: 8 }, () => c.inputs.map((x) => rand(r, x.shape, lo, hi)).map(nchwToNhwc));
  const x = c.inputs.map((i) => f32Bytes(nchwToNhwc(rand(r, i.shape, lo, hi))));
  const { quantized } = await calibratedMatchesTflm(c.what, c.onnx, samples, x);
  return coreOps(quantized);
}

function oneNode(op: string, ins: { shape: number[] }[], extra: (b: OnnxBuilder) => string[], attrs: Record<string, unknown>, outShapes: number[][]): Uint8Array {
  const b = new OnnxBuilder();
  const names = ins.map((x, i) => b.input(`x${i}`, x.shape));
  const outs = b.node(op, [...names, ...extra(b)], attrs as never, outShapes.length);
  // node() returns the first output's name; the others follow its counter
  const first = Number(outs.split('_').pop());
  outShapes.forEach((s, k) => b.output(`${op.toLowerCase()}_${first + k}`, s));
  return b.build();
}

// ---- cases ----

test('Max / Min (n-ary, broadcast, constant operand) -> MAXIMUM / MINIMUM chain; Sub -> SUB', async () => {
  const r = rng(2001);
  const a = rand(r, [1, 3, 4, 5]), b2 = rand(r, [1, 3, 4, 5]), k = rand(r, [3, 1, 1]);
  const onnx = (op: string) => oneNode(op, [a, b2], (b) => [b.init(k.shape, k.data)], {}, [a.shape]);
  const ops = await check({ what: 'Max3', onnx: onnx('Max'), inputs: [a, b2], want: [build(a.shape, (i) => Math.max(at(a, i), at(b2, i), bat(k, i)))] }, r);
  assert.equal(ops, ['MAXIMUM', 'MAXIMUM']);
  await check({ what: 'Min3', onnx: onnx('Min'), inputs: [a, b2], want: [build(a.shape, (i) => Math.min(at(a, i), at(b2, i), bat(k, i)))] }, r);
  const m = rand(r, [4, 6]), v = rand(r, [6]);
  await check({ what: 'Min2d', onnx: oneNode('Min', [m], (b) => [b.init([6], v.data)], {}, [m.shape]), inputs: [m], want: [build(m.shape, (i) => Math.min(at(m, i), bat(v, i)))] }, r);
  assert.equal(await check({ what: 'Sub4d', onnx: oneNode('Sub', [a], (b) => [b.init(k.shape, k.data)], {}, [a.shape]), inputs: [a], want: [build(a.shape, (i) => at(a, i) - bat(k, i))] }, r), ['SUB']);
  await check({ what: 'Sub2d', onnx: oneNode('Sub', [m, { shape: [1, 6] }], () => [], {}, [m.shape]), inputs: [m, { shape: [1, 6], data: v.data }], want: [build(m.shape, (i) => at(m, i) - v.data[i[1]])] }, r);
});

/** ONNX Resize on NCHW, H and W: nearest with nearest_mode, linear (edge-clamped neighbours). */
function resizeRef(x: ND, oh: number, ow: number, mode: string, ctm: string, nearest = 'round_prefer_floor'): ND {
  const [, , h, w] = x.shape;
  const coord = (v: number, inS: number, outS: number) => {
    const s = outS / inS;
    switch (ctm) {
      case 'half_pixel': return (v + 0.5) / s - 0.5;
      case 'align_corners': return outS === 1 ? 0 : (v * (inS - 1)) / (outS - 1);
      case 'asymmetric': return v / s;
      case 'tf_half_pixel_for_nn': return (v + 0.5) / s;
      default: throw new Error(ctm);
    }
  };
  const clamp = (i: number, n: number) => Math.max(0, Math.min(n - 1, i));
  const round = (p: number) => {
    const half = p - Math.floor(p) === 0.5;
    return nearest === 'floor' ? Math.floor(p) : nearest === 'ceil' ? Math.ceil(p) : half ? (nearest === 'round_prefer_ceil' ? Math.ceil(p) : Math.floor(p)) : Math.round(p);
  };
  return build([x.shape[0], x.shape[1], oh, ow], ([n, c, y, xx]) => {
    const py = coord(y, h, oh), px = coord(xx, w, ow);
    if (mode === 'nearest') return at(x, [n, c, clamp(round(py), h), clamp(round(px), w)]);
    const y0 = Math.floor(py), x0 = Math.floor(px), dy = py - y0, dx = px - x0;
    const v = (yy: number, xv: number) => at(x, [n, c, clamp(yy, h), clamp(xv, w)]);
    return v(y0, x0) * (1 - dy) * (1 - dx) + v(y0 + 1, x0) * dy * (1 - dx) + v(y0, x0 + 1) * (1 - dy) * dx + v(y0 + 1, x0 + 1) * dy * dx;
  });
}

test('Resize: linear (half_pixel, align_corners, asymmetric) -> RESIZE_BILINEAR; nearest where a TFLite rule gives ONNX\'s pixels -> RESIZE_NEAREST_NEIGHBOR', async () => {
  const r = rng(2002);
  const cases: [string, string, string | undefined, number[], number[], boolean][] = [
    ['linear', 'half_pixel', undefined, [1, 3, 4, 5], [7, 10], true],
    ['linear', 'align_corners', undefined, [2, 2, 3, 4], [5, 7], true],
    ['linear', 'asymmetric', undefined, [1, 2, 4, 4], [8, 8], false],
    ['linear', 'half_pixel', undefined, [1, 2, 6, 8], [3, 4], false],
    ['nearest', 'half_pixel', 'round_prefer_ceil', [1, 3, 4, 5], [8, 10], false],
    ['nearest', 'half_pixel', 'round_prefer_floor', [1, 2, 3, 3], [6, 6], false],
    ['nearest', 'asymmetric', 'floor', [1, 2, 4, 6], [8, 9], true],
    ['nearest', 'align_corners', 'round_prefer_ceil', [1, 2, 4, 5], [7, 9], true],
    ['nearest', 'tf_half_pixel_for_nn', 'floor', [1, 2, 4, 4], [6, 7], true],
  ];
  for (const [mode, ctm, nearest, s, [oh, ow], sizes] of cases) {
    const x = rand(r, s);
    const attrs: Record<string, unknown> = { mode, coordinate_transformation_mode: ctm };
    if (nearest) attrs.nearest_mode = nearest;
    const onnx = oneNode('Resize', [x], (b) => (sizes ? ['', '', b.ints([s[0], s[1], oh, ow])] : ['', b.init([4], [1, 1, oh / s[2], ow / s[3]])]), attrs, [[s[0], s[1], oh, ow]]);
    const what = `Resize ${mode} ${ctm} ${nearest ?? ''} ${JSON.stringify(s)} -> ${oh}x${ow}`;
    const ops = await check({ what, onnx, inputs: [x], want: [resizeRef(x, oh, ow, mode, ctm, nearest)], tol: 1e-5 }, r);
    assert.equal(ops, [mode === 'linear' ? 'RESIZE_BILINEAR' : 'RESIZE_NEAREST_NEIGHBOR'], what);
  }
});

test('Resize refusals name the node: cubic, tf_crop_and_resize, a nearest rule TFLite has not (asymmetric ceil doubling)', () => {
  const x = { shape: [1, 1, 4, 4] };
  const model = (attrs: Record<string, unknown>, out = 8) => oneNode('Resize', [x], (b) => ['', '', b.ints([1, 1, out, out])], attrs, [[1, 1, out, out]]);
  assert.throws(() => importOnnx(model({ mode: 'cubic' }), 'r.onnx'), /r\.onnx: node 0 "Resize_0" \(Resize\): mode cubic is not supported \(nearest, linear\)/);
  assert.throws(() => importOnnx(model({ mode: 'linear', coordinate_transformation_mode: 'tf_crop_and_resize' }), 'r.onnx'), /node 0 "Resize_0" \(Resize\): linear resize with coordinate_transformation_mode tf_crop_and_resize is not supported/);
  // asymmetric + ceil doubling picks [0,1,1,2,2,3,3,3]; TFLite's rules give [0,0,1,1,2,2,3,3] (or align_corners' [0,0,1,1,2,2,3,3] rounding)
  assert.throws(() => importOnnx(model({ mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'ceil' }), 'r.onnx'), /node 0 "Resize_0" \(Resize\): nearest resize with coordinate_transformation_mode asymmetric and nearest_mode ceil picks other source pixels than any TFLite RESIZE_NEAREST_NEIGHBOR for 4x4 -> 8x8/);
});

test('Gather (constant indices, negative ones, NHWC axis or through NCHW order) -> GATHER', async () => {
  const r = rng(2003);
  const x = rand(r, [1, 4, 3, 5]), m = rand(r, [4, 6]);
  const take = (x: ND, axis: number, idx: number[], is: number[]) => build([...x.shape.slice(0, axis), ...is, ...x.shape.slice(axis + 1)], (i) => {
    const flat = is.length === 0 ? 0 : i.slice(axis, axis + is.length).reduce((a, v, k) => a * is[k] + v, 0);
    const v = idx[flat] < 0 ? idx[flat] + x.shape[axis] : idx[flat];
    return at(x, [...i.slice(0, axis), v, ...i.slice(axis + is.length)]);
  });
  for (const [d, axis, idx, is] of [[x, 1, [3, 0, -1], [3]], [x, 2, [-1], []], [x, 3, [1, 4, 4, 0], [4]], [m, 0, [3, 1, 0, -4], [2, 2]], [m, -1, [5, 0], [2]]] as [ND, number, number[], number[]][]) {
    const want = take(d, axis < 0 ? axis + d.shape.length : axis, idx, is);
    const b = new OnnxBuilder();
    const ii = b.rawInit(is, 7, new Uint8Array(BigInt64Array.from(idx.map(BigInt)).buffer));
    b.output(b.node('Gather', [b.input('x', d.shape), ii], { axis }), want.shape);
    const ops = await check({ what: `Gather ${JSON.stringify(d.shape)} axis ${axis} ${JSON.stringify(idx)}`, onnx: b.build(), inputs: [d], want: [want] }, r);
    assert.ok(ops.includes('GATHER'), JSON.stringify(ops));
  }
});

test('Gather of a constant folds at import (an embedding row feeding Add)', () => {
  const b = new OnnxBuilder();
  const table = b.init([3, 4], Array.from({ length: 12 }, (_, i) => i));
  const row = b.node('Gather', [table, b.rawInit([2], 7, new Uint8Array(BigInt64Array.from([2n, -3n]).buffer))], { axis: 0 });
  b.output(b.node('Add', [b.input('x', [2, 4]), row]), [2, 4]);
  const g = importOnnx(b.build(), 'emb.onnx');
  assert.equal(g.ops.map((o) => o.type), ['ADD']);
  assert.equal(Array.from(runFloat(g, [new Float32Array(8)])[0]), [8, 9, 10, 11, 0, 1, 2, 3]);
});

test('ArgMax / ArgMin (keepdims 0/1, any axis of a 4-D input, 2-D) -> ARG_MAX / ARG_MIN, int32 out; select_last_index=1 refused', async () => {
  const r = rng(2004);
  const x = rand(r, [2, 3, 4, 5]), m = rand(r, [3, 7]);
  const arg = (x: ND, axis: number, keep: boolean, max: boolean) => build(keep ? x.shape.map((d, k) => (k === axis ? 1 : d)) : x.shape.filter((_, k) => k !== axis), (i) => {
    const full = keep ? [...i] : [...i.slice(0, axis), 0, ...i.slice(axis)];
    let best = 0;
    for (let k = 1; k < x.shape[axis]; k++) {
      full[axis] = k;
      const v = at(x, full);
      full[axis] = best;
      if (max ? v > at(x, full) : v < at(x, full)) best = k;
    }
    return best;
  });
  for (const [op, t, axis, keep] of [['ArgMax', x, 1, 1], ['ArgMin', x, 2, 0], ['ArgMax', x, 3, 1], ['ArgMax', x, 1, 0], ['ArgMin', m, -1, 0]] as [string, ND, number, number][]) {
    const a = axis < 0 ? axis + t.shape.length : axis;
    const want = arg(t, a, keep === 1, op === 'ArgMax');
    const onnx = oneNode(op, [t], () => [], { axis, keepdims: keep }, [want.shape]);
    const g = importOnnx(onnx, 'a.onnx');
    const got = runFloat(g, [nchwToNhwc(t)])[0];
    assert.equal(Array.from(got), Array.from(nchwToNhwc(want)), `${op} axis ${axis} keepdims ${keep}`);
    assert.is(g.tensors[g.outputs[0]].dtype, 'int32');
    const samples = Array.from({ length: 4 }, () => [nchwToNhwc(rand(r, t.shape))]);
    const { out } = await calibratedMatchesTflm(`${op} axis ${axis} keepdims ${keep}`, onnx, samples, [f32Bytes(nchwToNhwc(t))]);
    assert.is(out.length, want.data.length * 4); // int32 indices (their values: tflm-run's, above)
  }
  assert.throws(() => importOnnx(oneNode('ArgMax', [m], () => [], { axis: 1, select_last_index: 1 }, [[3, 1]]), 'a.onnx'), /node 0 "ArgMax_0" \(ArgMax\): select_last_index=1 is not supported/);
});

test('DepthToSpace (DCR; CRD as a channel GATHER + DEPTH_TO_SPACE), SpaceToDepth', async () => {
  const r = rng(2005);
  const x = rand(r, [1, 8, 2, 3]);
  const bs = 2, oc = 2;
  for (const mode of ['DCR', 'CRD']) {
    const want = build([1, oc, 4, 6], ([n, c, y, xx]) => {
      const by = y % bs, bx = xx % bs;
      const ch = mode === 'DCR' ? (by * bs + bx) * oc + c : c * bs * bs + by * bs + bx;
      return at(x, [n, ch, Math.floor(y / bs), Math.floor(xx / bs)]);
    });
    const ops = await check({ what: `DepthToSpace ${mode}`, onnx: oneNode('DepthToSpace', [x], () => [], { blocksize: bs, mode }, [want.shape]), inputs: [x], want: [want] }, r);
    assert.equal(ops, mode === 'DCR' ? ['DEPTH_TO_SPACE'] : ['GATHER', 'DEPTH_TO_SPACE']);
  }
  const s = rand(r, [1, 3, 4, 6]);
  const want = build([1, 12, 2, 3], ([n, d, y, xx]) => {
    const blk = Math.floor(d / 3), c = d % 3;
    return at(s, [n, c, y * bs + Math.floor(blk / bs), xx * bs + (blk % bs)]);
  });
  assert.equal(await check({ what: 'SpaceToDepth', onnx: oneNode('SpaceToDepth', [s], () => [], { blocksize: bs }, [want.shape]), inputs: [s], want: [want] }, r), ['SPACE_TO_DEPTH']);
});

test('ReduceMax / ReduceSum (axes attribute or input, keepdims 0/1, 4-D and 2-D) -> REDUCE_MAX / SUM', async () => {
  const r = rng(2006);
  const x = rand(r, [2, 3, 4, 5]), m = rand(r, [3, 6]);
  const red = (x: ND, axes: number[], keep: boolean, max: boolean) => {
    const kept = x.shape.map((d, k) => (axes.includes(k) ? 1 : d));
    const k = build(kept, (i) => {
      let acc = max ? -Infinity : 0;
      const inner = build(x.shape.map((d, q) => (axes.includes(q) ? d : 1)), () => 0);
      for (let p = 0; p < inner.data.length; p++) {
        const j = inner.shape.map((d, q) => Math.floor(p / stridesOf(inner.shape)[q]) % d);
        const v = at(x, i.map((v0, q) => (axes.includes(q) ? j[q] : v0)));
        acc = max ? Math.max(acc, v) : acc + v;
      }
      return acc;
    });
    return keep ? k : { shape: x.shape.filter((_, q) => !axes.includes(q)), data: k.data };
  };
  for (const [op, t, axes, keep, asInput] of [
    ['ReduceMax', x, [2, 3], 1, false], ['ReduceSum', x, [1], 0, true], ['ReduceMax', x, [2], 0, false], ['ReduceSum', x, [0, 3], 1, true], ['ReduceSum', m, [-1], 0, true],
  ] as [string, ND, number[], number, boolean][]) {
    const ax = axes.map((a) => (a < 0 ? a + t.shape.length : a));
    const want = red(t, ax, keep === 1, op === 'ReduceMax');
    const onnx = oneNode(op, [t], (b) => (asInput ? [b.ints(axes)] : []), asInput ? { keepdims: keep } : { axes, keepdims: keep }, [want.shape]);
    const ops = await check({ what: `${op} ${JSON.stringify(axes)} keepdims ${keep}`, onnx, inputs: [t], want: [want], tol: 1e-5 }, r);
    assert.ok(ops.includes(op === 'ReduceMax' ? 'REDUCE_MAX' : 'SUM'), JSON.stringify(ops));
  }
});

test('Slice (axes, negative steps, clamped ends) -> STRIDED_SLICE; Split (sizes or equal parts) -> one STRIDED_SLICE per output', async () => {
  const r = rng(2007);
  const x = rand(r, [1, 5, 4, 6]);
  const sl = (x: ND, begin: number[], step: number[], shape: number[]) => build(shape, (i) => at(x, i.map((v, k) => begin[k] + v * step[k])));
  let onnx = oneNode('Slice', [x], (b) => [b.ints([1, -1]), b.ints([4, -100]), b.ints([1, 3]), b.ints([2, -2])], {}, [[1, 2, 4, 3]]);
  assert.equal(await check({ what: 'Slice 4-D', onnx, inputs: [x], want: [sl(x, [0, 1, 0, 5], [1, 2, 1, -2], [1, 2, 4, 3])] }, r), ['STRIDED_SLICE']);
  const m = rand(r, [4, 7]);
  onnx = oneNode('Slice', [m], (b) => [b.ints([1, 2]), b.ints([1000, 6])], {}, [[3, 4]]);
  await check({ what: 'Slice 2-D', onnx, inputs: [m], want: [sl(m, [1, 2], [1, 1], [3, 4])] }, r);
  onnx = oneNode('Split', [x], (b) => [b.ints([2, 3])], { axis: 1 }, [[1, 2, 4, 6], [1, 3, 4, 6]]);
  assert.equal(await check({ what: 'Split 4-D channels', onnx, inputs: [x], want: [sl(x, [0, 0, 0, 0], [1, 1, 1, 1], [1, 2, 4, 6]), sl(x, [0, 2, 0, 0], [1, 1, 1, 1], [1, 3, 4, 6])] }, r), ['STRIDED_SLICE', 'STRIDED_SLICE']);
  onnx = oneNode('Split', [m], () => [], { axis: -1, split: [3, 4] }, [[4, 3], [4, 4]]);
  await check({ what: 'Split 2-D', onnx, inputs: [m], want: [sl(m, [0, 0], [1, 1], [4, 3]), sl(m, [0, 3], [1, 1], [4, 4])] }, r);
});

test('LpNormalization p=2 (channels of 4-D, last axis) -> L2_NORMALIZATION; Pad reflect -> MIRROR_PAD; Reciprocal -> DIV(1, x); refusals named', async () => {
  const r = rng(2008);
  const x = rand(r, [1, 6, 3, 2]), m = rand(r, [3, 9]);
  const l2 = (x: ND, axis: number) => build(x.shape, (i) => {
    let s = 0;
    for (let k = 0; k < x.shape[axis]; k++) s += at(x, i.map((v, q) => (q === axis ? k : v))) ** 2;
    return at(x, i) / Math.sqrt(Math.max(s, 1e-6));
  });
  assert.equal(await check({ what: 'LpNormalization 4-D', onnx: oneNode('LpNormalization', [x], () => [], { axis: 1, p: 2 }, [x.shape]), inputs: [x], want: [l2(x, 1)] }, r), ['L2_NORMALIZATION']);
  await check({ what: 'LpNormalization 2-D', onnx: oneNode('LpNormalization', [m], () => [], { axis: -1 }, [m.shape]), inputs: [m], want: [l2(m, 1)] }, r);
  const reflect = (i: number, before: number, n: number) => {
    const j = i - before;
    return j < 0 ? -j : j >= n ? 2 * (n - 1) - j : j;
  };
  const p = rand(r, [1, 2, 4, 5]), pads = [0, 0, 2, 1, 0, 1, 3, 4];
  const want = build([1, 3, 9, 10], (i) => at(p, i.map((v, k) => reflect(v, pads[k], p.shape[k]))));
  assert.equal(await check({ what: 'Pad reflect', onnx: oneNode('Pad', [p], (b) => [b.ints(pads)], { mode: 'reflect' }, [want.shape]), inputs: [p], want: [want] }, r), ['MIRROR_PAD']);
  const q = rand(r, [2, 5], 0.5, 3);
  assert.equal(await check({ what: 'Reciprocal', onnx: oneNode('Reciprocal', [q], () => [], {}, [q.shape]), inputs: [q], want: [build(q.shape, (i) => 1 / at(q, i))], lo: 0.5, hi: 3 }, r), ['DIV']);
  assert.throws(() => importOnnx(oneNode('LpNormalization', [m], () => [], { axis: -1, p: 1 }, [m.shape]), 'l.onnx'), /node 0 "LpNormalization_0" \(LpNormalization\): p = 1 is not supported \(2 only/);
  assert.throws(() => importOnnx(oneNode('LpNormalization', [x], () => [], { axis: 2 }, [x.shape]), 'l.onnx'), /\(LpNormalization\): axis 2 of \[1,6,3,2\] is not supported/);
  assert.throws(() => importOnnx(oneNode('Pad', [p], (b) => [b.ints(pads)], { mode: 'edge' }, [want.shape]), 'p.onnx'), /node 0 "Pad_0" \(Pad\): mode edge is not supported \(constant, reflect\)/);
  assert.throws(() => importOnnx(oneNode('DepthToSpace', [{ shape: [1, 8, 2, 2] }], () => [], { blocksize: 2, mode: 'XYZ' }, [[1, 2, 4, 4]]), 'd.onnx'), /\(DepthToSpace\): mode XYZ is not supported \(DCR, CRD\)/);
});

test('ConvTranspose with strides 2 (pads TFLite can express, output_padding, bias) -> TRANSPOSE_CONV; matches a direct NCHW scatter; calibrated bytes as tflm-run', async () => {
  const r = rng(2010);
  for (const [ci, co, k, h, w, pads, op, bias] of [
    [2, 3, 2, 3, 4, [0, 0, 0, 0], [0, 0], true], [3, 2, 3, 2, 3, [0, 0, 1, 1], [0, 0], false], [1, 4, 4, 3, 3, [1, 1, 1, 1], [0, 0], true], [2, 2, 3, 3, 2, [0, 0, 0, 0], [0, 0], false], [2, 2, 3, 3, 3, [0, 0, 0, 0], [1, 1], true],
  ] as [number, number, number, number, number, number[], number[], boolean][]) {
    const x = rand(r, [1, ci, h, w]), W = rand(r, [ci, co, k, k], -1, 1), B = rand(r, [co]);
    const [pt, pl, pb, pr] = pads, s = 2;
    const oh = s * (h - 1) + op[0] + k - pt - pb, ow = s * (w - 1) + op[1] + k - pl - pr;
    const want = build([1, co, oh, ow], () => 0);
    for (let o = 0; o < co; o++) for (let i = 0; i < oh * ow; i++) want.data[o * oh * ow + i] = bias ? B.data[o] : 0;
    for (let i = 0; i < ci; i++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let o = 0; o < co; o++) for (let ky = 0; ky < k; ky++) for (let kx = 0; kx < k; kx++) {
      const oy = y * s - pt + ky, ox = xx * s - pl + kx;
      if (oy >= 0 && oy < oh && ox >= 0 && ox < ow) want.data[(o * oh + oy) * ow + ox] += at(x, [0, i, y, xx]) * at(W, [i, o, ky, kx]);
    }
    const onnx = oneNode('ConvTranspose', [x], (b) => [b.init(W.shape, W.data), ...(bias ? [b.init([co], B.data)] : [])], { strides: [s, s], pads, output_padding: op, kernel_shape: [k, k] }, [want.shape]);
    const what = `ConvTranspose ${ci}->${co} k${k} ${h}x${w} pads ${JSON.stringify(pads)} output_padding ${JSON.stringify(op)}`;
    assert.equal(await check({ what, onnx, inputs: [x], want: [want], tol: 1e-5 }, r), ['TRANSPOSE_CONV'], what);
  }
});

test('bad attributes and operands fail with one line naming the node, never a crash', () => {
  const x = { shape: [1, 4, 4, 4] }, m = { shape: [3, 4] };
  const bad: [string, Uint8Array, RegExp][] = [
    ['Resize sizes of 2', oneNode('Resize', [x], (b) => ['', '', b.ints([8, 8])], { mode: 'linear' }, [[1, 4, 8, 8]]), /sizes \[8,8\] must keep N and C/],
    ['Resize scaling C', oneNode('Resize', [x], (b) => ['', b.init([4], [1, 2, 2, 2])], { mode: 'linear' }, [[1, 8, 8, 8]]), /scales \[1,2,2,2\] must be 4 values with N and C scales 1/],
    ['Resize of a 2-D input', oneNode('Resize', [m], (b) => ['', b.init([2], [2, 2])], {}, [[6, 8]]), /only 4-D NCHW inputs are supported/],
    ['Slice step 0', oneNode('Slice', [m], (b) => [b.ints([0]), b.ints([2]), b.ints([1]), b.ints([0])], {}, [[3, 2]]), /step 0 of axis 1 must be a non-zero whole number/],
    ['Slice empty', oneNode('Slice', [m], (b) => [b.ints([3]), b.ints([1]), b.ints([1])], {}, [[3, 0]]), /output 0 would be empty/],
    ['Split bad sizes', oneNode('Split', [m], (b) => [b.ints([2, 3])], { axis: 1 }, [[3, 2], [3, 3]]), /split \[2,3\] into 2 outputs does not cut axis 1 of size 4/],
    ['DepthToSpace blocksize 0', oneNode('DepthToSpace', [x], () => [], { blocksize: 0 }, [[1, 4, 4, 4]]), /blocksize 0 must be a whole number >= 1/],
    ['DepthToSpace 3 on 4 channels', oneNode('DepthToSpace', [x], () => [], { blocksize: 3 }, [[1, 4, 4, 4]]), /4 channels are not a multiple of blocksize\^2 \(9\)/],
    ['SpaceToDepth 3 on 4x4', oneNode('SpaceToDepth', [x], () => [], { blocksize: 3 }, [[1, 36, 1, 1]]), /height 4 and width 4 must be multiples of blocksize 3/],
    ['ArgMax axis 9', oneNode('ArgMax', [m], () => [], { axis: 9 }, [[3, 1]]), /axis 9 is outside \[-2, 2\)/],
    ['ReduceSum axis 4', oneNode('ReduceSum', [x], (b) => [b.ints([4])], {}, [[1, 4, 4, 4]]), /axis 4 is outside \[-4, 4\)/],
    ['Gather index 4 of 3', oneNode('Gather', [m], (b) => [b.rawInit([1], 7, new Uint8Array(BigInt64Array.of(4n).buffer))], { axis: 0 }, [[1, 4]]), /index 4 \(position 0\) is outside axis 0 of size 3/],
    ['Pad reflect past the edge', oneNode('Pad', [m], (b) => [b.ints([0, 4, 0, 0])], { mode: 'reflect' }, [[3, 8]]), /reflect pads \[4, 0\] of axis 1 \(size 4\) exceed size - 1/],
    ['Max of 4-D and a 2-D activation', oneNode('Max', [x, { shape: [4, 4] }], () => [], {}, [[1, 4, 4, 4]]), /cannot be broadcast against a 4-D activation/],
    ['ConvTranspose dilation 2', oneNode('ConvTranspose', [x], (b) => [b.init([4, 1, 2, 2], new Array(16).fill(1))], { strides: [2, 2], dilations: [2, 2] }, [[1, 1, 8, 8]]), /only dilation 1, group 1 ConvTranspose is supported/],
  ];
  for (const [what, model, message] of bad) {
    try {
      importOnnx(model, 'bad.onnx');
      assert.unreachable(`${what}: should fail`);
    } catch (e) {
      assert.instance(e, ConvertError, `${what}: ${(e as Error).message}`);
      const msg = (e as Error).message;
      assert.match(msg, /^bad\.onnx: node \d+ "[^"]+" \([A-Za-z]+\): /, `${what}: ${msg}`);
      assert.match(msg, message, what);
      assert.not.match(msg, /\n/, `${what}: one line`);
    }
  }
});

test('Exp -> EXP: float reference; with calibration refused by name (TFLM has float32 EXP only); without it, the float32 EXP kernel', async () => {
  const m = { shape: [2, 3], data: Float32Array.from([0, 1, -1, 2, 0.5, -3]) };
  const onnx = oneNode('Exp', [m], () => [], {}, [m.shape]);
  const g = importOnnx(onnx, 'e.onnx');
  const [y] = runFloat(g, [m.data]);
  m.data.forEach((v, i) => assert.ok(Math.abs(y[i] - Math.exp(v)) < 1e-5 * Math.exp(v)));
  assert.throws(() => convertModel(onnx, 'e.onnx', { quantize: { samples: [[m.data]] }, log: () => {} }), /e\.onnx: quantize-int8, op 0 \(EXP\)[^\n]*: TFLM runs EXP on float32 only/);
  // without calibration the model runs as float32 (ACTIVATION kind EXP), as the float reference computes it
  const { epk } = convertModel(onnx, 'e.onnx', { log: () => {} });
  const out = (await loadModelNode(epk, 'scalar')).run(new Uint8Array(m.data.buffer.slice(0)))[0];
  const got = new Float32Array(Uint8Array.from(out).buffer);
  got.forEach((v, i) => assert.ok(Math.abs(v - y[i]) <= 1e-5 * Math.max(1, Math.abs(y[i])), `[${i}] ${v} vs ${y[i]}`));
});

test('QDQ model (no calibration data): QDQ -> DepthToSpace CRD -> Max(const) -> QDQ -> ReduceSum over H -> QDQ; bytes as tflm-run', async () => {
  const r = rng(2009);
  const b = new OnnxBuilder();
  const qdq = (x: string, scale: number, zp: number) => {
    const s = b.init([], [scale]), z = b.rawInit([], 3, Int8Array.of(zp) as unknown as Uint8Array);
    return b.node('DequantizeLinear', [b.node('QuantizeLinear', [x, s, z]), s, z]);
  };
  let t = qdq(b.input('x', [1, 8, 3, 3]), 0.02, -3);
  t = b.node('DepthToSpace', [t], { blocksize: 2, mode: 'CRD' });
  t = qdq(b.node('Max', [t, b.init([1], [0.1])]), 0.02, -3);
  // over H with keepdims 0: SUM with kept dims (NHWC), then a move to ONNX's [N, C, W] order, then the QDQ pair
  t = qdq(b.node('ReduceSum', [t, b.ints([2])], { keepdims: 0 }), 0.1, -20);
  b.output(t, [1, 2, 6]);
  const x = rand(r, [1, 3, 3, 8], -2.4, 2.4);
  const { quantized } = await calibratedMatchesTflm('qdq.onnx', b.build(), undefined, [f32Bytes(x.data)]);
  assert.equal(coreOps(quantized), ['GATHER', 'DEPTH_TO_SPACE', 'MAXIMUM', 'SUM', 'TRANSPOSE', 'RESHAPE']);
  const sum = quantized.ops.find((o) => o.type === 'SUM')!;
  assert.equal([quantized.tensors[sum.outputs[0]].quant!.scale[0], quantized.tensors[sum.outputs[0]].quant!.zeroPoint[0]], [Math.fround(0.1), -20]);
});

test('QDQ model: PRelu (constant slope) and Div (constant divisor) between QDQ pairs, scales from the model; bytes as tflm-run', async () => {
  const r = rng(2011);
  const b = new OnnxBuilder();
  const qdq = (x: string, scale: number, zp: number) => {
    const s = b.init([], [scale]), z = b.rawInit([], 3, Int8Array.of(zp) as unknown as Uint8Array);
    return b.node('DequantizeLinear', [b.node('QuantizeLinear', [x, s, z]), s, z]);
  };
  let t = qdq(b.input('x', [2, 6]), 0.03, 5);
  t = qdq(b.node('PRelu', [t, b.init([6], [0.1, 0.25, -0.5, 1, 0, 0.75])]), 0.025, -40);
  t = qdq(b.node('Div', [t, b.init([1, 6], [1.5, -2, 0.75, 3, -1, 2.5])]), 0.02, 3);
  b.output(t, [2, 6]);
  const x = rand(r, [2, 6], -3.8, 3.8);
  const { quantized } = await calibratedMatchesTflm('qdq-prelu-div.onnx', b.build(), undefined, [f32Bytes(x.data)]);
  assert.equal(coreOps(quantized), ['PRELU', 'DIV']);
  const q = (k: number) => [quantized.tensors[k].quant!.scale[0], quantized.tensors[k].quant!.zeroPoint[0]];
  const [p, d] = ['PRELU', 'DIV'].map((type) => quantized.ops.find((o) => o.type === type)!);
  assert.equal([q(p.outputs[0]), q(d.outputs[0])], [[Math.fround(0.025), -40], [Math.fround(0.02), 3]]);
});

test.run();
