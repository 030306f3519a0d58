// Issue 10, rank 5: ops on rank-5 tensors run in the runtime's 4-D view (src/passes/collapse-rank.ts)
// and give tflm-run's bytes in the simd, scalar and streamed builds. Random shapes (sizes 1-4),
// broadcasts (of a constant or of two run-time inputs over alternating axes), permutations,
// paddings, axes (alternating reduced and kept ones too) and quantization, int8 and float32, each
// model built in code; every case is one TFLM runs at rank 5 (transposes of five separate runs
// and pads of all five axes too, through staged TRANSPOSE / PAD ops). Also: an op without a
// merge rule fails naming the op.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { readEpk } from '../src/format/reader.js';
import { ConvertError } from '../src/ir/graph.js';
import { OpCode } from '../src/format/constants.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { assertMatchesTflm, hasTflm, randInt, randInt8, randScale, rng, runTflm } from './tflm-oracle.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';

/** tflm-run's output bytes of one invoke, as a fresh buffer. */
function runTflmF32(model: Uint8Array, x: Uint8Array): ArrayBuffer {
  return Uint8Array.from(runTflm(model, [[x]])[0]).buffer;
}

/** The float32 output of `model` (converted without calibration) in simd, scalar and streamed. */
async function runBuilds(model: Uint8Array, x: Uint8Array): Promise<[string, Float32Array][]> {
  const { epk } = convertModel(model, 'f32', { log: () => {} });
  const out: [string, Float32Array][] = [];
  for (const [build, m] of [['simd', await loadModelNode(epk, 'simd')], ['scalar', await loadModelNode(epk, 'scalar')], ['streamed', await loadModelStreamed(epk)]] as const) {
    const y = m.run(x)[0];
    out.push([build, new Float32Array(Uint8Array.from(new Uint8Array(y.buffer, y.byteOffset, y.byteLength)).buffer)]);
  }
  return out;
}

const CASES = 8; // per op
type R = () => number;
interface Case { model: Uint8Array; inputs: Uint8Array[][]; what: string }

const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });
const size = (s: number[]) => s.reduce((a, d) => a * d, 1);
const bytes = (r: R, n: number) => new Uint8Array(randInt8(r, n).buffer);
const shape5 = (r: R) => Array.from({ length: 5 }, () => randInt(r, 1, 4));
const randQ = (r: R) => q(randScale(r, 0.01, 0.1), randInt(r, -20, 20));
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
/** Random booleans per axis where at least two neighbours agree, so the axes merge to at most 4. */
function mergeablePattern(r: R): boolean[] {
  const p = Array.from({ length: 5 }, () => r() < 0.5);
  const j = randInt(r, 0, 3);
  p[j + 1] = p[j];
  return p;
}

function single(r: R, build: (b: TfliteBuilder, x: number) => { y: number[]; what: string; extra?: number[] }, xShape = shape5(r)): Case {
  const b = new TfliteBuilder();
  const x = b.tensor('x', xShape, 'int8', randQ(r));
  const { y, what, extra = [] } = build(b, x);
  b.io([x, ...extra], y);
  const inputs = [[bytes(r, size(xShape)), ...extra.map((t) => bytes(r, size(b.shapeOf(t))))], [bytes(r, size(xShape)), ...extra.map((t) => bytes(r, size(b.shapeOf(t))))]];
  return { model: b.finish(), inputs, what: `${what} x${JSON.stringify(xShape)}` };
}

function broadcastCase(r: R, op: string): Case {
  const s = shape5(r);
  const constant = r() < 0.5;
  // a constant may broadcast over any axes (collapse-rank repeats it until the axes merge to 4)
  const pattern = constant && r() < 0.5 ? s.map((_, i) => i % 2 === 0) : mergeablePattern(r);
  const c = s.map((d, i) => (pattern[i] ? 1 : d));
  return single(r, (b, x) => {
    const sq = op === 'SQUARED_DIFFERENCE' || op === 'DIV';
    const values = randInt8(r, size(c)).map((v) => (op === 'DIV' && v === 0 ? 1 : v));
    const other = constant ? b.constant('c', c, 'int8', Array.from(values), randQ(r)) : b.tensor('c', c, 'int8', randQ(r));
    const y = b.tensor('y', s, 'int8', q(randScale(r, sq ? 0.05 : 0.02, sq ? 0.5 : 0.2), randInt(r, -10, 10)));
    const swap = op !== 'PRELU' && r() < 0.5;
    b.op(op, swap ? [other, x] : [x, other], [y]);
    return { y: [y], what: `${op} with ${constant ? 'constant' : 'input'} ${JSON.stringify(c)}${swap ? ' first' : ''}`, extra: constant ? [] : [other] };
  }, s);
}

function elementwiseCase(r: R, op: string): Case {
  return single(r, (b, x) => {
    const s = b.shapeOf(x);
    const out = op === 'LOGISTIC' ? q(1 / 256, -128) : op === 'TANH' ? q(1 / 128, 0) : randQ(r);
    const y = b.tensor('y', s, 'int8', out);
    b.op(op, [x], [y], op === 'LEAKY_RELU' ? { alpha: Math.fround(r() * 0.5) } : {});
    return { y: [y], what: op };
  });
}

function concatCase(r: R): Case {
  const s = shape5(r), axis = randInt(r, -5, 4), a = axis < 0 ? axis + 5 : axis;
  const b = new TfliteBuilder(), qq = randQ(r);
  const parts = [0, 1, 2].slice(0, randInt(r, 2, 3)).map((k) => b.tensor(`x${k}`, s.map((d, i) => (i === a ? randInt(r, 1, 3) : d)), 'int8', qq));
  const ys = s.map((d, i) => (i === a ? parts.reduce((t, p) => t + b.shapeOf(p)[a], 0) : d));
  const y = b.tensor('y', ys, 'int8', qq);
  b.op('CONCATENATION', parts, [y], { axis });
  b.io(parts, [y]);
  return { model: b.finish(), inputs: [parts.map((p) => bytes(r, size(b.shapeOf(p))))], what: `CONCATENATION axis ${axis} of ${parts.length} into ${JSON.stringify(ys)}` };
}

function transposeCase(r: R): Case {
  const s = shape5(r).map((d) => d + 1);
  if (r() < 0.3) s[randInt(r, 0, 4)] = 1; // a size-1 axis: at most 4 runs; else up to 5 (TRANSPOSEs staged before the op)
  const perm = r() < 0.25 ? [4, 3, 2, 1, 0] : [0, 1, 2, 3, 4].sort(() => r() - 0.5);
  return single(r, (b, x) => {
    const y = b.tensor('y', perm.map((p) => s[p]), 'int8', b.quantOf(x));
    b.op('TRANSPOSE', [x, b.constant('perm', [5], 'int32', perm)], [y]);
    return { y: [y], what: `TRANSPOSE perm ${JSON.stringify(perm)}` };
  }, s);
}

function padCase(r: R, op: 'PAD' | 'PADV2' | 'MIRROR_PAD'): Case {
  const s = shape5(r).map((d) => d + 1);
  const flat = mergeablePattern(r); // true: this axis is not padded
  const apart = r() < 0.4; // else every axis padded: a first PAD is staged before the op
  if (!apart) flat.fill(false);
  else if (op !== 'MIRROR_PAD') flat[randInt(r, 1, 4)] = true; // an unpadded axis joins the one before it
  else { const j = flat.findIndex((f, i) => i < 4 && f === flat[i + 1]); flat[j] = flat[j + 1] = true; }
  const mode = randInt(r, 0, 1);
  const pads = s.flatMap((d, i) => (flat[i] ? [0, 0] : [randInt(r, 0, mode === 0 ? d - 1 : d), randInt(r, 0, mode === 0 ? d - 1 : d)]));
  return single(r, (b, x) => {
    const y = b.tensor('y', s.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]), 'int8', b.quantOf(x));
    const inputs = [x, b.constant('paddings', [5, 2], 'int32', pads)];
    if (op === 'PADV2') inputs.push(b.constant('value', [1], 'int8', [randInt(r, -128, 127)], b.quantOf(x)));
    b.op(op, inputs, [y], op === 'MIRROR_PAD' ? { mode } : {});
    return { y: [y], what: `${op} ${JSON.stringify(pads)}${op === 'MIRROR_PAD' ? ` mode ${mode}` : ''}` };
  }, s);
}

function reduceCase(r: R, op: 'MEAN' | 'SUM' | 'REDUCE_MAX'): Case {
  const s = shape5(r), reduced = mergeablePattern(r);
  if (!reduced.some((x) => x)) reduced[randInt(r, 0, 4)] = true;
  const axes = [0, 1, 2, 3, 4].filter((i) => reduced[i]).map((a) => (r() < 0.3 ? a - 5 : a));
  const keepDims = r() < 0.5;
  return single(r, (b, x) => {
    const ys = keepDims ? s.map((d, i) => (reduced[i] ? 1 : d)) : s.filter((_, i) => !reduced[i]);
    const y = b.tensor('y', ys, 'int8', op === 'REDUCE_MAX' ? b.quantOf(x) : randQ(r));
    b.op(op, [x, b.constant('axes', [axes.length], 'int32', axes)], [y], { keepDims });
    return { y: [y], what: `${op} axes ${JSON.stringify(axes)} keepDims ${keepDims}` };
  }, s);
}

function lastAxisCase(r: R, op: 'SOFTMAX' | 'LOG_SOFTMAX'): Case {
  return single(r, (b, x) => {
    const y = b.tensor('y', b.shapeOf(x), 'int8', op === 'SOFTMAX' ? q(1 / 256, -128) : q(16 / 256, 127));
    b.op(op, [x], [y], op === 'SOFTMAX' ? { beta: 1 } : {});
    return { y: [y], what: op };
  });
}

function gatherCase(r: R): Case {
  const s = shape5(r), axis = randInt(r, 0, 4);
  const idxShape = r() < 0.5 ? [randInt(r, 1, 3)] : [randInt(r, 1, 2), randInt(r, 1, 2)];
  const idx = Array.from({ length: size(idxShape) }, () => randInt(r, 0, s[axis] - 1));
  return single(r, (b, x) => {
    const ys = [...s.slice(0, axis), ...idxShape, ...s.slice(axis + 1)];
    const y = b.tensor('y', ys, 'int8', b.quantOf(x));
    b.op('GATHER', [x, b.constant('idx', idxShape, 'int32', idx)], [y], { axis, batchDims: 0 });
    return { y: [y], what: `GATHER axis ${axis} indices ${JSON.stringify(idx)}` };
  }, s);
}

function argMaxCase(r: R): Case {
  const s = shape5(r), axis = randInt(r, 0, 4);
  return single(r, (b, x) => {
    const y = b.tensor('y', s.filter((_, i) => i !== axis), 'int32');
    const op = pick(r, ['ARG_MAX', 'ARG_MIN']);
    b.op(op, [x, b.constant('axis', [1], 'int32', [axis])], [y], { outputType: 2 });
    return { y: [y], what: `${op} axis ${axis}` };
  }, s);
}

function splitCase(r: R): Case {
  const s = shape5(r), axis = randInt(r, 0, 4), n = pick(r, [1, 2, 3]);
  s[axis] = n * randInt(r, 1, 2);
  return single(r, (b, x) => {
    const ys = Array.from({ length: n }, (_, k) => b.tensor(`y${k}`, s.map((d, i) => (i === axis ? d / n : d)), 'int8', b.quantOf(x)));
    b.op('SPLIT', [b.constant('axis', [], 'int32', [axis]), x], ys, { numSplits: n });
    return { y: ys, what: `SPLIT axis ${axis} in ${n}` };
  }, s);
}

function sliceCase(r: R): Case {
  const s = shape5(r);
  const begin = s.map((d) => randInt(r, 0, d - 1));
  const sz = s.map((d, i) => (r() < 0.5 ? -1 : randInt(r, 1, d - begin[i])));
  return single(r, (b, x) => {
    const y = b.tensor('y', s.map((d, i) => (sz[i] < 0 ? d - begin[i] : sz[i])), 'int8', b.quantOf(x));
    b.op('SLICE', [x, b.constant('begin', [5], 'int32', begin), b.constant('size', [5], 'int32', sz)], [y]);
    return { y: [y], what: `SLICE begin ${JSON.stringify(begin)} size ${JSON.stringify(sz)}` };
  }, s);
}

function packUnpackCase(r: R): Case {
  const s = Array.from({ length: 4 }, () => randInt(r, 1, 4)), axis = randInt(r, 0, 4), n = randInt(r, 1, 3);
  const b = new TfliteBuilder(), qq = randQ(r);
  const xs = Array.from({ length: n }, (_, k) => b.tensor(`x${k}`, s, 'int8', qq));
  const packed = b.tensor('p', [...s.slice(0, axis), n, ...s.slice(axis)], 'int8', qq);
  b.op('PACK', xs, [packed], { num: n, axis });
  const ys = Array.from({ length: n }, (_, k) => b.tensor(`y${k}`, s, 'int8', qq));
  b.op('UNPACK', [packed], ys, { num: n, axis });
  b.io(xs, [packed, ...ys]);
  return { model: b.finish(), inputs: [xs.map(() => bytes(r, size(s)))], what: `PACK then UNPACK of ${n} x ${JSON.stringify(s)} on axis ${axis}` };
}

/** Random inputs of `model`'s input shapes: int8 bytes, or float32 in [-4, 4) (away from 0 when `nonZero`). */
function randomInputs(r: R, shapes: number[][], dtype: 'int8' | 'float32', nonZero = false): Uint8Array[] {
  return shapes.map((sh) => {
    if (dtype === 'int8') return new Uint8Array(randInt8(r, size(sh)).map((v) => (nonZero && v === 0 ? 1 : v)).buffer);
    return new Uint8Array(Float32Array.from({ length: size(sh) }, () => (nonZero ? (r() < 0.5 ? -1 : 1) * (0.25 + r() * 2) : r() * 8 - 4)).buffer);
  });
}

/**
 * Two run-time operands broadcast over axes that alternate (neighbours never alike, five groups):
 * per axis 'ff' both span it, 'bf' x is 1 there, 'fb' c is 1 there; sizes 2-4 (no output axis drops).
 * collapse-rank repeats one operand along one axis (a GATHER) before the op.
 */
function runtimeBroadcastCase(r: R, op: string, dtype: 'int8' | 'float32'): Case {
  const p: string[] = [];
  for (let i = 0; i < 5; i++) p.push(pick(r, ['ff', 'bf', 'fb'].filter((k) => k !== p[i - 1])));
  const s = Array.from({ length: 5 }, () => randInt(r, 2, 4));
  const xs = s.map((d, i) => (p[i][0] === 'b' ? 1 : d));
  let cs = s.map((d, i) => (p[i][1] === 'b' ? 1 : d));
  if (cs[0] === 1 && r() < 0.3) cs = cs.slice(1); // a lower-rank operand is padded with leading 1s
  const f = dtype === 'float32', sq = op === 'SQUARED_DIFFERENCE' || op === 'DIV';
  const b = new TfliteBuilder();
  const x = b.tensor('x', xs, dtype, f ? undefined : randQ(r));
  const c = b.tensor('c', cs, dtype, f ? undefined : randQ(r));
  const y = b.tensor('y', s, dtype, f ? undefined : q(randScale(r, sq ? 0.05 : 0.02, sq ? 0.5 : 0.2), randInt(r, -10, 10)));
  const swap = op !== 'PRELU' && r() < 0.5;
  b.op(op, swap ? [c, x] : [x, c], [y]);
  b.io([x, c], [y]);
  const invoke = () => [...randomInputs(r, [xs], dtype), ...randomInputs(r, [cs], dtype, op === 'DIV')];
  return { model: b.finish(), inputs: [invoke(), invoke()], what: `${dtype} ${op} x${JSON.stringify(xs)} with input ${JSON.stringify(cs)}${swap ? ' first' : ''}` };
}

/**
 * A reduction whose reduced and kept axes alternate (five groups, sizes 2-4): collapse-rank puts a
 * TRANSPOSE before it so the reduced axes meet, keeping their order.
 */
function alternatingReduceCase(r: R, op: 'MEAN' | 'SUM' | 'REDUCE_MAX', dtype: 'int8' | 'float32'): Case {
  const s = Array.from({ length: 5 }, () => randInt(r, 2, 4)), first = r() < 0.5;
  const reduced = s.map((_, i) => (i % 2 === 0) === first);
  const axes = [0, 1, 2, 3, 4].filter((i) => reduced[i]).map((a) => (r() < 0.3 ? a - 5 : a)).sort(() => r() - 0.5);
  const keepDims = r() < 0.5, f = dtype === 'float32';
  const b = new TfliteBuilder();
  const x = b.tensor('x', s, dtype, f ? undefined : randQ(r));
  const ys = keepDims ? s.map((d, i) => (reduced[i] ? 1 : d)) : s.filter((_, i) => !reduced[i]);
  const y = b.tensor('y', ys, dtype, f ? undefined : op === 'REDUCE_MAX' ? b.quantOf(x) : randQ(r));
  b.op(op, [x, b.constant('axes', [axes.length], 'int32', axes)], [y], { keepDims });
  b.io([x], [y]);
  return { model: b.finish(), inputs: [randomInputs(r, [s], dtype), randomInputs(r, [s], dtype)], what: `${dtype} ${op} x${JSON.stringify(s)} axes ${JSON.stringify(axes)} keepDims ${keepDims}` };
}

async function oracle(name: string, seed: number, make: (r: R) => Case): Promise<void> {
  if (!hasTflm) { console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)'); return; }
  const r = rng(seed);
  for (let c = 0; c < CASES; c++) {
    const { model, inputs, what } = make(r);
    const { epk } = convertModel(model, name, { log: () => {} });
    assert.ok(readEpk(epk).tensors.every((t) => t.shape.length <= 4), `${name} ${c}: every stored tensor has rank <= 4`);
    await assertMatchesTflm(`${name} ${c}: ${what}`, model, inputs);
  }
}

test('rank 5 broadcasts (ADD, SUB, MUL, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, DIV, PRELU): bit-exact with tflm-run', async () => {
  for (const [k, op] of ['ADD', 'SUB', 'MUL', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE', 'DIV', 'PRELU'].entries()) await oracle(op, 500 + k, (r) => broadcastCase(r, op));
});

test('rank 5 elementwise (QUANTIZE, LOGISTIC, TANH, LEAKY_RELU, HARD_SWISH, RELU): bit-exact with tflm-run', async () => {
  for (const [k, op] of ['QUANTIZE', 'LOGISTIC', 'TANH', 'LEAKY_RELU', 'HARD_SWISH', 'RELU'].entries()) await oracle(op, 510 + k, (r) => elementwiseCase(r, op));
});

test('rank 5 CONCATENATION, TRANSPOSE, PAD, PADV2, MIRROR_PAD: bit-exact with tflm-run', async () => {
  await oracle('concatenation', 520, concatCase);
  await oracle('transpose', 521, transposeCase);
  for (const [k, op] of (['PAD', 'PADV2', 'MIRROR_PAD'] as const).entries()) await oracle(op, 522 + k, (r) => padCase(r, op));
});

test('rank 5 MEAN, SUM, REDUCE_MAX, ARG_MAX/ARG_MIN, SOFTMAX, LOG_SOFTMAX, GATHER: bit-exact with tflm-run', async () => {
  for (const [k, op] of (['MEAN', 'SUM', 'REDUCE_MAX'] as const).entries()) await oracle(op, 530 + k, (r) => reduceCase(r, op));
  await oracle('arg', 533, argMaxCase);
  for (const [k, op] of (['SOFTMAX', 'LOG_SOFTMAX'] as const).entries()) await oracle(op, 534 + k, (r) => lastAxisCase(r, op));
  await oracle('gather', 536, gatherCase);
});

test('rank 5 SPLIT, SLICE, PACK, UNPACK (lowered, then merged): bit-exact with tflm-run', async () => {
  await oracle('split', 540, splitCase);
  await oracle('slice', 541, sliceCase);
  await oracle('pack_unpack', 542, packUnpackCase);
});

const BROADCASTS = ['ADD', 'SUB', 'MUL', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE', 'DIV', 'PRELU'];

test('rank 5 broadcasts of two run-time inputs over alternating axes (int8 and float32): bit-exact with tflm-run', async () => {
  for (const [k, op] of BROADCASTS.entries()) {
    await oracle(`${op}-int8`, 560 + k, (r) => runtimeBroadcastCase(r, op, 'int8'));
    // tflm-run aborts on a rank-5 float32 PRELU (its float kernel is 4-D only): no oracle for that one
    if (op !== 'PRELU') await oracle(`${op}-f32`, 570 + k, (r) => runtimeBroadcastCase(r, op, 'float32'));
  }
});

test('rank 5 MEAN, SUM, REDUCE_MAX over alternating axes (int8 and float32): bit-exact with tflm-run', async () => {
  for (const [k, op] of (['MEAN', 'SUM', 'REDUCE_MAX'] as const).entries()) {
    await oracle(`${op}-int8`, 580 + k, (r) => alternatingReduceCase(r, op, 'int8'));
    await oracle(`${op}-f32`, 590 + k, (r) => alternatingReduceCase(r, op, 'float32'));
  }
});

test('rank 5 float32 model (broadcast ADD, TRANSPOSE, SOFTMAX, MEAN) runs as float32 and matches tflm-run', async () => {
  if (!hasTflm) { console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)'); return; }
  const r = rng(550);
  for (let c = 0; c < CASES; c++) {
    const s = shape5(r);
    s[randInt(r, 0, 4)] = 1;
    const pattern = mergeablePattern(r);
    const perm = [0, 1, 2, 3, 4].sort(() => r() - 0.5);
    const b = new TfliteBuilder();
    const x = b.tensor('x', s, 'float32');
    const cShape = s.map((d, i) => (pattern[i] ? 1 : d));
    const a = b.tensor('a', s, 'float32');
    b.op('ADD', [x, b.constant('c', cShape, 'float32', Array.from({ length: size(cShape) }, () => r() * 2 - 1))], [a]);
    const t = b.tensor('t', perm.map((p) => s[p]), 'float32');
    b.op('TRANSPOSE', [a, b.constant('perm', [5], 'int32', perm)], [t]);
    const sm = b.tensor('sm', b.shapeOf(t), 'float32');
    b.op('SOFTMAX', [t], [sm], { beta: 1 });
    const m = b.tensor('m', b.shapeOf(sm).map((d, i) => (i === 1 ? 1 : d)), 'float32');
    b.op('MEAN', [sm, b.constant('axes', [1], 'int32', [1])], [m], { keepDims: true });
    b.io([x], [m]);
    const model = b.finish();
    const xin = new Uint8Array(Float32Array.from({ length: size(s) }, () => r() * 8 - 4).buffer);
    const want = new Float32Array(runTflmF32(model, xin));
    for (const [build, got] of await runBuilds(model, xin)) {
      assert.is(got.length, want.length);
      got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-5, `case ${c} ${build} [${i}]: ${v} vs ${want[i]}`));
    }
  }
});

test('a float rank-5 model with both alternating patterns (two-input ADD, MEAN) calibrates to int8 and stays within 2 output steps of tflm-run float32', async () => {
  if (!hasTflm) { console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)'); return; }
  const r = rng(600);
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 1, 3, 1, 4], 'float32'), c = b.tensor('c', [1, 5, 3, 6, 1], 'float32');
  const a = b.tensor('a', [2, 5, 3, 6, 4], 'float32'), m = b.tensor('m', [5, 6], 'float32');
  b.op('ADD', [x, c], [a]);
  b.op('MEAN', [a, b.constant('axes', [3], 'int32', [0, 2, 4])], [m], { keepDims: false });
  b.io([x, c], [m]);
  const model = b.finish();
  const sample = () => [Float32Array.from({ length: 24 }, () => r() * 2 - 1), Float32Array.from({ length: 90 }, () => r() * 2 - 1)];
  const samples = Array.from({ length: 16 }, sample);
  const { epk } = convertModel(model, 'calibrated5', { log: () => {}, quantize: { samples } });
  const e = readEpk(epk);
  const out = e.tensors[e.ops[e.ops.length - 1].inputs[0]]; // the int8 MEAN output before the DEQUANTIZE
  assert.ok(out.bytes === 30 && out.scale > 0, 'an int8 graph: one byte an element, with a scale');
  const step = out.scale;
  const xin = samples[3].map((v) => new Uint8Array(v.buffer));
  const want = new Float32Array(Uint8Array.from(runTflm(model, [xin])[0]).buffer);
  const got = (await loadModelNode(epk, 'scalar')).run(...xin)[0];
  const f = new Float32Array(Uint8Array.from(got).buffer);
  assert.is(f.length, 30);
  f.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 2 * step, `[${i}]: ${v} vs ${want[i]} (step ${step})`));
});

test('a constant broadcast over alternating axes is repeated along one of them (the model stores it once, tiled)', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 3, 4, 5, 6], 'int8', q(0.05, 1));
  const y = b.tensor('y', [2, 3, 4, 5, 6], 'int8', q(0.1, 0));
  b.op('ADD', [x, b.constant('c', [1, 3, 1, 5, 1], 'int8', Array.from({ length: 15 }, (_, i) => i - 7), q(0.04, 0))], [y]);
  b.io([x], [y]);
  const epk = readEpk(convertModel(b.finish(), 'tiled', { log: () => {} }).epk);
  const c = epk.tensors[epk.ops[0].inputs[1]];
  assert.is(c.shape.reduce((a, d) => a * d, 1), 3 * 4 * 5, 'the constant repeated along one axis of 4');
});

test('a rank-5 model input is stored with its leading dims merged (same bytes, same order)', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 3, 4, 5, 6], 'int8', q(0.05, 1));
  const y = b.tensor('y', [2, 3, 4, 5, 6], 'int8', q(0.05, 1));
  b.op('ADD', [x, b.constant('c', [1, 1, 1, 5, 6], 'int8', Array.from({ length: 30 }, (_, i) => i - 15), q(0.05, 0))], [y]);
  b.io([x], [y]);
  const epk = readEpk(convertModel(b.finish(), 'io5', { log: () => {} }).epk);
  assert.equal(epk.tensors[epk.inputs[0]].shape, [6, 4, 5, 6]);
  assert.equal(epk.tensors[epk.outputs[0]].shape, [6, 4, 5, 6]);
});

test('a broadcast of two run-time inputs over alternating axes repeats one of them along one axis (one copy op, one planned buffer)', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 1, 3, 1, 4], 'int8', q(0.05, 1));
  const c = b.tensor('c', [1, 5, 3, 6, 1], 'int8', q(0.04, 0));
  const y = b.tensor('y', [2, 5, 3, 6, 4], 'int8', q(0.1, 0));
  b.op('ADD', [x, c], [y]);
  b.io([x, c], [y]);
  const epk = readEpk(convertModel(b.finish(), 'alternating', { log: () => {} }).epk);
  assert.equal(epk.ops.map((o) => o.opcode), [OpCode.TableCopy, OpCode.Add]);
  const copy = epk.tensors[epk.ops[0].outputs[0]];
  assert.is(size(copy.shape), 2 * 5 * 3 * 4, 'x repeated along its axis of 1 that c spans (5), not along the 6');
});

test('a reduction over alternating axes gets one TRANSPOSE (kept runs first, each run in order) before it', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 3, 4, 5, 6], 'float32');
  const y = b.tensor('y', [3, 5], 'float32');
  b.op('SUM', [x, b.constant('axes', [3], 'int32', [0, 2, 4])], [y], { keepDims: false });
  b.io([x], [y]);
  const epk = readEpk(convertModel(b.finish(), 'sum5', { log: () => {} }).epk);
  assert.equal(epk.ops.map((o) => o.opcode), [OpCode.Transpose, OpCode.Mean]);
  assert.equal(epk.tensors[epk.ops[0].inputs[0]].shape, [1, 2, 3, 120], '[2] reduced then [3] kept, swapped');
  assert.equal(epk.tensors[epk.ops[0].outputs[0]].shape, [1, 3, 2, 120]);
});

test('a rank-5 TRANSPOSE of five separate runs gets TRANSPOSEs of 4 runs before it, each moving one axis into place (bit-exactness: the oracle test above)', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 3, 4, 5, 6], 'int8', q(0.05, 1));
  const y = b.tensor('y', [6, 5, 4, 3, 2], 'int8', q(0.05, 1));
  b.op('TRANSPOSE', [x, b.constant('perm', [5], 'int32', [4, 3, 2, 1, 0])], [y]);
  b.io([x], [y]);
  const epk = readEpk(convertModel(b.finish(), 'reversed.tflite', { log: () => {} }).epk);
  // axis 4 moved to the front ([before, block, axis, after] = [1, 120, 6, 1]), then axis 3 after it
  // ([6, 24, 5, 1]); the op then reverses the last three in 4 groups
  assert.equal(epk.ops.map((o) => o.opcode), [OpCode.Transpose, OpCode.Transpose, OpCode.Transpose]);
  assert.equal(epk.tensors[epk.ops[0].inputs[0]].shape, [1, 120, 6, 1]);
  assert.equal(epk.tensors[epk.ops[0].outputs[0]].shape, [1, 6, 120, 1]);
  assert.equal(epk.tensors[epk.ops[1].inputs[0]].shape, [6, 24, 5, 1]);
});

test('a rank-5 PAD of all five axes gets a PAD of the leading ones before it; MIRROR_PAD too', () => {
  for (const op of ['PAD', 'MIRROR_PAD'] as const) {
    const b = new TfliteBuilder();
    const x = b.tensor('x', [2, 3, 4, 5, 6], 'int8', q(0.05, 1));
    const y = b.tensor('y', [4, 5, 6, 7, 8], 'int8', q(0.05, 1));
    b.op(op, [x, b.constant('paddings', [5, 2], 'int32', [1, 1, 1, 1, 1, 1, 1, 1, 1, 1])], [y], op === 'MIRROR_PAD' ? { mode: 1 } : {});
    b.io([x], [y]);
    const epk = readEpk(convertModel(b.finish(), 'padded.tflite', { log: () => {} }).epk);
    const code = op === 'PAD' ? OpCode.Pad : OpCode.TableCopy; // MIRROR_PAD runs as a TABLE_COPY
    assert.equal(epk.ops.map((o) => o.opcode), [code, code], op);
    assert.ok(epk.ops.every((o) => epk.tensors[o.inputs[0]].shape.length <= 4), `${op}: both 4-D at most`);
  }
});

test('a rank-5 op without a merge rule fails naming the op, the tensor and its rank', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 2, 4, 4, 3], 'int8', q(0.05, 1));
  const y = b.tensor('y', [1, 2, 2, 2, 3], 'int8', q(0.05, 1));
  b.op('MAX_POOL_2D', [x], [y], { padding: 'VALID', strideW: 2, strideH: 2, filterW: 2, filterH: 2 });
  b.io([x], [y]);
  assert.throws(() => convertModel(b.finish(), 'pool5.tflite', { log: () => {} }), /pool5\.tflite: op 0 \(MAX_POOL_2D\): tensor "x" has rank 5; above rank 4 edgepack runs/);
});

test.run();
