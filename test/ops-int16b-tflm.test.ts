// Row OTHER_S16 (branch svdf16): int16 (16x8 scheme) SOFTMAX, AVERAGE_POOL_2D, MAX_POOL_2D,
// MEAN and SUM bit-exact with TFLM's int16 kernels (../shared/tools/tflm-run): random shapes,
// scales, betas, windows, axes, activations; each model built in code, run in tflm-run and in
// the simd, scalar and streamed builds. Also: the converter's tables and refusals, the row.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { OpCode } from '../src/format/constants.js';
import { kernelBit, kernelOf } from '../src/format/kernels.js';
import { readEpk } from '../src/format/reader.js';
import { ConvertError } from '../src/ir/graph.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { randInt16 } from '../src/testing/int16-models.js';
import { assertMatchesTflm, hasTflm, randInt, rng } from './tflm-oracle.js';

const CASES = 12;
const INVOKES = 3;
const f32 = Math.fround;
const q16 = (scale: number) => ({ scale: [f32(scale)], zeroPoint: [0] });
const elems = (s: number[]) => s.reduce((a, d) => a * d, 1);
const bytes = (v: Int16Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
type R = () => number;
interface Case { model: Uint8Array; inputs: Uint8Array[][]; what: string }

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

/** Inputs spread over a random part of int16's range (narrow ranges give rows of near-equal values). */
function inputs(r: R, n: number): Uint8Array[][] {
  return Array.from({ length: INVOKES }, () => {
    const span = [32767, 4000, 300, 20][randInt(r, 0, 3)];
    return [bytes(Int16Array.from({ length: n }, () => randInt(r, -span - 1, span)))];
  });
}

export function softmaxS16Case(r: R): Case {
  const s = Array.from({ length: randInt(r, 1, 4) }, () => randInt(r, 1, 6));
  if (r() < 0.3) s[s.length - 1] = randInt(r, 10, 300);
  const xs = f32(2 ** -(randInt(r, 2, 16)) * (0.5 + r()));
  const beta = f32([1, 1, 0.5, 2, 0.1 + r() * 3][randInt(r, 0, 4)]);
  const b = new TfliteBuilder();
  const x = b.tensor('x', s, 'int16', q16(xs));
  const y = b.tensor('y', s, 'int16', q16(1 / 32768));
  b.op('SOFTMAX', [x], [y], { beta });
  b.io([x], [y]);
  return { model: b.finish(), inputs: inputs(r, elems(s)), what: `SOFTMAX ${JSON.stringify(s)} scale ${xs} beta ${beta}` };
}

const outSize = (padding: string, n: number, f: number, s: number) => (padding === 'SAME' ? Math.ceil(n / s) : Math.floor((n - f) / s) + 1);

export function poolS16Case(r: R, type: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D'): Case {
  const n = randInt(r, 1, 2), h = randInt(r, 1, 8), w = randInt(r, 1, 8), c = randInt(r, 1, 5);
  const fh = randInt(r, 1, 4), fw = randInt(r, 1, 4), sh = randInt(r, 1, 3), sw = randInt(r, 1, 3);
  const padding = r() < 0.5 ? 'SAME' : 'VALID', activation = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'][randInt(r, 0, 3)];
  const oh = outSize(padding, h, fh, sh), ow = outSize(padding, w, fw, sw);
  if (oh < 1 || ow < 1) return poolS16Case(r, type);
  const xs = f32(2 ** -(randInt(r, 6, 14)) * (0.5 + r()));
  const b = new TfliteBuilder();
  const x = b.tensor('x', [n, h, w, c], 'int16', q16(xs));
  const y = b.tensor('y', [n, oh, ow, c], 'int16', q16(xs));
  b.op(type, [x], [y], { padding, strideH: sh, strideW: sw, filterH: fh, filterW: fw, activation });
  b.io([x], [y]);
  return { model: b.finish(), inputs: inputs(r, n * h * w * c), what: `${type} [${n},${h},${w},${c}] f${fh}x${fw} s${sh}x${sw} ${padding} ${activation} scale ${xs}` };
}

export function reduceS16Case(r: R, type: 'MEAN' | 'SUM'): Case {
  const s = Array.from({ length: randInt(r, 1, 4) }, () => randInt(r, 1, 6));
  const axes = s.map((_, k) => k).filter(() => r() < 0.5);
  if (axes.length === 0) axes.push(randInt(r, 0, s.length - 1));
  const keepDims = r() < 0.5;
  const listed = axes.map((a) => (r() < 0.3 ? a - s.length : a)); // negative axes too
  const out = keepDims ? s.map((d, k) => (axes.includes(k) ? 1 : d)) : s.filter((_, k) => !axes.includes(k));
  const n = axes.reduce((a, k) => a * s[k], 1);
  const xs = f32(2 ** -(randInt(r, 6, 14)) * (0.5 + r()));
  const ys = f32(xs * (type === 'SUM' ? n : 1) * (0.3 + r() * 2));
  const b = new TfliteBuilder();
  const x = b.tensor('x', s, 'int16', q16(xs));
  const axis = b.constant('axis', [listed.length], 'int32', listed);
  const y = b.tensor('y', out, 'int16', q16(ys));
  b.op(type, [x, axis], [y], { keepDims });
  b.io([x], [y]);
  return { model: b.finish(), inputs: inputs(r, elems(s)), what: `${type} ${JSON.stringify(s)} axes ${JSON.stringify(listed)}${keepDims ? ' keep' : ''} scales ${xs} -> ${ys}` };
}

test('SOFTMAX int16: bit-exact with tflm-run (ranks 1-4, rows up to 300, input scales 2^-16..2^-2, betas)', async () => {
  if (skip()) return;
  const r = rng(1701);
  for (let c = 0; c < 2 * CASES; c++) {
    const k = softmaxS16Case(r);
    await assertMatchesTflm(`softmax16 ${c}: ${k.what}`, k.model, k.inputs);
  }
});

test('SOFTMAX int16: every exp table position (rows [32767, 32767 - d], d = 0..65535) and many 1/(1+x) positions, bit-exact with tflm-run', async () => {
  if (skip()) return;
  for (const [xs, beta] of [[10 / 65535, 1], [0.0003, 0.7], [1 / 4096, 1]] as const) {
    const rows = 65536;
    const b = new TfliteBuilder();
    const x = b.tensor('x', [rows, 2], 'int16', q16(xs));
    const y = b.tensor('y', [rows, 2], 'int16', q16(1 / 32768));
    b.op('SOFTMAX', [x], [y], { beta });
    b.io([x], [y]);
    const v = new Int16Array(rows * 2);
    for (let d = 0; d < rows; d++) { v[2 * d] = 32767; v[2 * d + 1] = 32767 - d; }
    await assertMatchesTflm(`softmax16 sweep scale ${xs} beta ${beta}`, b.finish(), [[bytes(v)]]);
  }
});

test('AVERAGE_POOL_2D, MAX_POOL_2D int16: bit-exact with tflm-run (windows, strides, SAME/VALID, activations)', async () => {
  if (skip()) return;
  const r = rng(1702);
  for (let c = 0; c < 2 * CASES; c++) {
    const k = poolS16Case(r, c % 2 ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D');
    await assertMatchesTflm(`pool16 ${c}: ${k.what}`, k.model, k.inputs);
  }
});

test('MEAN, SUM int16: bit-exact with tflm-run (ranks 1-4, axis sets, negative axes, keep_dims, scale ratios)', async () => {
  if (skip()) return;
  const r = rng(1703);
  for (let c = 0; c < 2 * CASES; c++) {
    const k = reduceS16Case(r, c % 2 ? 'SUM' : 'MEAN');
    await assertMatchesTflm(`reduce16 ${c}: ${k.what}`, k.model, k.inputs);
  }
});

test('SOFTMAX int16 written over its dying input (the planner\'s in-place rule): bit-exact with tflm-run', async () => {
  if (skip()) return;
  const r = rng(1705);
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 4, 4, 6], 'int16', q16(0.002));
  const p = b.tensor('p', [2, 2, 2, 6], 'int16', q16(0.002));
  b.op('MAX_POOL_2D', [x], [p], { padding: 'VALID', strideH: 2, strideW: 2, filterH: 2, filterW: 2 });
  const y = b.tensor('y', [2, 2, 2, 6], 'int16', q16(1 / 32768));
  b.op('SOFTMAX', [p], [y], { beta: 1 });
  b.io([x], [y]);
  const model = b.finish();
  const e = readEpk(convertModel(model, 'inplace16', { log: () => {} }).epk);
  const sm = e.ops.find((o) => o.opcode === OpCode.Softmax)!;
  assert.is(e.tensors[sm.inputs[0]].offset, e.tensors[sm.outputs[0]].offset, 'softmax planned in place');
  await assertMatchesTflm('softmax16 in place', model, inputs(r, 2 * 4 * 4 * 6));
});

test('int16 SOFTMAX, pooling, MEAN run the OTHER_S16 row; softmax carries the two 513-entry tables once per model', () => {
  const r = rng(1704);
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4, 4, 3], 'int16', q16(0.001));
  const p = b.tensor('p', [1, 2, 2, 3], 'int16', q16(0.001));
  b.op('MAX_POOL_2D', [x], [p], { padding: 'VALID', strideH: 2, strideW: 2, filterH: 2, filterW: 2 });
  const axis = b.constant('axis', [2], 'int32', [1, 2]);
  const m = b.tensor('m', [1, 3], 'int16', q16(0.001));
  b.op('MEAN', [p, axis], [m], {});
  const s1 = b.tensor('s1', [1, 3], 'int16', q16(1 / 32768));
  b.op('SOFTMAX', [m], [s1], { beta: 1 });
  const s2 = b.tensor('s2', [1, 3], 'int16', q16(1 / 32768));
  b.op('SOFTMAX', [m], [s2], { beta: 2 });
  b.io([x], [s1, s2]);
  const e = readEpk(convertModel(b.finish(), 'chain16', { log: () => {} }).epk);
  for (const op of e.ops) assert.is(kernelOf(op, e.tensors), kernelBit('OTHER_S16'), `opcode ${op.opcode}`);
  const softmaxes = e.ops.filter((o) => o.opcode === OpCode.Softmax);
  assert.is(softmaxes.length, 2);
  assert.equal(softmaxes[0].inputs.slice(1), softmaxes[1].inputs.slice(1), 'one pair of tables');
  for (const t of softmaxes[0].inputs.slice(1)) assert.equal(e.tensors[t].shape, [513]);
  void r;
});

test('int16 SOFTMAX, pooling, MEAN: refused by name (zero point, softmax output scale, pooling scales, oversized sums)', () => {
  const convert = (build: (b: TfliteBuilder) => void) => {
    const b = new TfliteBuilder();
    build(b);
    return () => convertModel(b.finish(), 'bad16', { log: () => {} });
  };
  const refused = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof ConvertError && re.test(e.message));
  refused(convert((b) => {
    const x = b.tensor('x', [1, 8], 'int16', q16(0.001)), y = b.tensor('y', [1, 8], 'int16', q16(1 / 256));
    b.op('SOFTMAX', [x], [y], { beta: 1 });
    b.io([x], [y]);
  }), /op 0 \(SOFTMAX\): output "y" scale .*int16 softmax needs 1\/32768/);
  refused(convert((b) => {
    const x = b.tensor('x', [1, 8], 'int16', { scale: [0.001], zeroPoint: [3] }), y = b.tensor('y', [1, 8], 'int16', q16(1 / 32768));
    b.op('SOFTMAX', [x], [y], { beta: 1 });
    b.io([x], [y]);
  }), /op 0 \(SOFTMAX\): input "x" is int16 with zero point 3/);
  refused(convert((b) => {
    const x = b.tensor('x', [1, 4, 4, 1], 'int16', q16(0.001)), y = b.tensor('y', [1, 2, 2, 1], 'int16', q16(0.002));
    b.op('AVERAGE_POOL_2D', [x], [y], { padding: 'VALID', strideH: 2, strideW: 2, filterH: 2, filterW: 2 });
    b.io([x], [y]);
  }), /op 0 \(AVERAGE_POOL_2D\): input and output scales differ/);
  refused(convert((b) => {
    const x = b.tensor('x', [1, 300, 300, 1], 'int16', q16(0.001)), axis = b.constant('axis', [2], 'int32', [1, 2]);
    const y = b.tensor('y', [1, 1], 'int16', q16(0.001));
    b.op('MEAN', [x, axis], [y], {});
    b.io([x], [y]);
  }), /op 0 \(MEAN\): mean over 90000 values: int16 reductions take at most 65536/);
});

test.run();
