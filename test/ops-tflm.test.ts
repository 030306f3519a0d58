// Int8 ops bit-exact with TFLM: SUB, LEAKY_RELU, STRIDED_SLICE, TRANSPOSE_CONV, MAXIMUM,
// MINIMUM (kernels), RELU, RELU6, HARD_SWISH, LOGISTIC, TANH (tables), SLICE, SPLIT, SPLIT_V,
// UNPACK, PACK (lowered to STRIDED_SLICE / CONCATENATION). Randomised shapes, broadcasts,
// quantization, activations, alphas, begin/end/strides and masks, each model built in code
// (src/testing/tflite-builder.ts) and run in tflm-run and in the simd, scalar and streamed
// builds (test/tflm-oracle.ts). Also: what the converter refuses, by name.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { OpCode } from '../src/format/constants.js';
import { ConvertError } from '../src/ir/graph.js';
import { sliceAxis } from '../src/passes/prepare/strided-slice.js';
import { readEpk } from '../src/format/reader.js';
import { summarize } from '../src/inspect.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { assertMatchesTflm, hasTflm, randInt, randInt8, randScale, rng } from './tflm-oracle.js';

const CASES = 8; // per op
const INVOKES = 3; // random inputs per case
const ACTIVATIONS = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });
const elems = (s: number[]) => s.reduce((a, d) => a * d, 1);
const randShape = (r: () => number, rank: number, max = 6) => Array.from({ length: rank }, () => randInt(r, 1, max));

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

/** y = a - b; b a graph input or a constant, broadcast along random axes. */
function subModel(r: () => number): { model: Uint8Array; inputs: Uint8Array[][]; what: string } {
  const shape = randShape(r, randInt(r, 1, 4));
  let bShape = shape.map((d) => (r() < 0.3 ? 1 : d));
  if (r() < 0.3) bShape = bShape.slice(randInt(r, 0, bShape.length - 1)); // lower rank, right-aligned
  const swap = r() < 0.3; // the broadcast operand first
  const aq = q(randScale(r), randInt(r, -128, 127)), bq = q(randScale(r), randInt(r, -128, 127)), yq = q(randScale(r, 0.01, 0.4), randInt(r, -128, 127));
  const act = ACTIVATIONS[randInt(r, 0, ACTIVATIONS.length - 1)];
  const constB = r() < 0.3;
  const b = new TfliteBuilder();
  const a = b.tensor('a', shape, 'int8', aq);
  const bt = constB ? b.constant('b', bShape, 'int8', randInt8(r, elems(bShape)), bq) : b.tensor('b', bShape, 'int8', bq);
  const y = b.tensor('y', shape, 'int8', yq);
  b.op('SUB', swap ? [bt, a] : [a, bt], [y], { activation: act });
  b.io(constB ? [a] : [a, bt], [y]);
  const inputs = Array.from({ length: INVOKES }, () => (constB ? [randInt8(r, elems(shape))] : [randInt8(r, elems(shape)), randInt8(r, elems(bShape))]).map((v) => new Uint8Array(v.buffer)));
  return { model: b.finish(), inputs, what: `${JSON.stringify(shape)} - ${JSON.stringify(bShape)}${constB ? ' const' : ''}${swap ? ' swapped' : ''} ${act}` };
}

test('MAXIMUM, MINIMUM: bit-exact with tflm-run (broadcasts, constant operand, inputs quantized differently)', async () => {
  if (skip()) return;
  const r = rng(109);
  for (let c = 0; c < CASES; c++) {
    const type = c % 2 ? 'MINIMUM' : 'MAXIMUM';
    const shape = randShape(r, randInt(r, 1, 4));
    let bShape = shape.map((d) => (r() < 0.3 ? 1 : d));
    if (r() < 0.3) bShape = bShape.slice(randInt(r, 0, bShape.length - 1));
    const constB = r() < 0.3, swap = r() < 0.3;
    const b = new TfliteBuilder();
    const a = b.tensor('a', shape, 'int8', q(randScale(r), randInt(r, -128, 127)));
    const bq = q(randScale(r), randInt(r, -128, 127));
    const bt = constB ? b.constant('b', bShape, 'int8', randInt8(r, elems(bShape)), bq) : b.tensor('b', bShape, 'int8', bq);
    const y = b.tensor('y', shape, 'int8', q(randScale(r), randInt(r, -128, 127)));
    b.op(type, swap ? [bt, a] : [a, bt], [y]);
    b.io(constB ? [a] : [a, bt], [y]);
    const inputs = Array.from({ length: INVOKES }, () => (constB ? [randInt8(r, elems(shape))] : [randInt8(r, elems(shape)), randInt8(r, elems(bShape))]).map((v) => new Uint8Array(v.buffer)));
    await assertMatchesTflm(`${type.toLowerCase()} ${c}: ${JSON.stringify(shape)} vs ${JSON.stringify(bShape)}${constB ? ' const' : ''}${swap ? ' swapped' : ''}`, b.finish(), inputs);
  }
});

function leakyModel(r: () => number): { model: Uint8Array; inputs: Uint8Array[][]; what: string } {
  const shape = randShape(r, randInt(r, 1, 4), 8);
  const alpha = Math.fround([0, 0.01, 0.1, 0.2, 0.3, 1, 1.7][randInt(r, 0, 6)] + (r() < 0.5 ? r() * 0.05 : 0));
  const b = new TfliteBuilder();
  const x = b.tensor('x', shape, 'int8', q(randScale(r), randInt(r, -128, 127)));
  const y = b.tensor('y', shape, 'int8', q(randScale(r), randInt(r, -128, 127)));
  b.op('LEAKY_RELU', [x], [y], { alpha });
  b.io([x], [y]);
  // every int8 value once in the first invoke, then random ones
  const n = elems(shape);
  const inputs = Array.from({ length: INVOKES }, (_, i) => [new Uint8Array(i === 0 ? Int8Array.from({ length: n }, (_, k) => ((k * 37) % 256) - 128).buffer : randInt8(r, n).buffer)]);
  return { model: b.finish(), inputs, what: `${JSON.stringify(shape)} alpha ${alpha}` };
}

test('RELU, RELU6 on int8 (tabulated with TFLM\'s integer arithmetic): bit-exact with tflm-run on every int8 input', async () => {
  if (skip()) return;
  const r = rng(67);
  const every = new Uint8Array(Int8Array.from({ length: 256 }, (_, k) => k - 128).buffer);
  for (let c = 0; c < CASES; c++) {
    const type = c % 2 ? 'RELU6' : 'RELU';
    const xq = q(randScale(r, 0.005, 0.1), randInt(r, -128, 127));
    const yq = r() < 0.5 ? xq : q(randScale(r, 0.005, 0.1), randInt(r, -128, 127));
    const b = new TfliteBuilder();
    const x = b.tensor('x', [1, 256], 'int8', xq);
    const y = b.tensor('y', [1, 256], 'int8', yq);
    b.op(type, [x], [y]);
    b.io([x], [y]);
    await assertMatchesTflm(`${type.toLowerCase()} ${c}: in ${xq.scale[0]}/${xq.zeroPoint[0]} out ${yq.scale[0]}/${yq.zeroPoint[0]}`, b.finish(), [[every], [new Uint8Array(randInt8(r, 256).buffer)]]);
  }
});

test('HARD_SWISH on int8 (tabulated with TFLM\'s int16 fixed-point steps): bit-exact with tflm-run on every int8 input', async () => {
  if (skip()) return;
  const r = rng(97);
  const every = new Uint8Array(Int8Array.from({ length: 256 }, (_, k) => k - 128).buffer);
  for (let c = 0; c < 2 * CASES; c++) {
    const xq = q(randScale(r, 0.01, 0.1), randInt(r, -128, 127));
    const yq = q(randScale(r, 0.002, 0.08) + xq.scale[0] / 128, randInt(r, -128, 127));
    const b = new TfliteBuilder();
    const x = b.tensor('x', [256], 'int8', xq);
    const y = b.tensor('y', [256], 'int8', yq);
    b.op('HARD_SWISH', [x], [y]);
    b.io([x], [y]);
    await assertMatchesTflm(`hard_swish ${c}: in ${xq.scale[0]}/${xq.zeroPoint[0]} out ${yq.scale[0]}/${yq.zeroPoint[0]}`, b.finish(), [[every]]);
  }
});

test('LOGISTIC, TANH on int8 (tabulated with gemmlowp\'s fixed point, as TFLM): bit-exact with tflm-run on every int8 input', async () => {
  if (skip()) return;
  const r = rng(101);
  const every = new Uint8Array(Int8Array.from({ length: 256 }, (_, k) => k - 128).buffer);
  for (let c = 0; c < 2 * CASES; c++) {
    const type = c % 2 ? 'TANH' : 'LOGISTIC';
    const xq = q(randScale(r, 0.002, 0.2), randInt(r, -128, 127));
    const yq = type === 'TANH' ? q(1 / 128, 0) : q(1 / 256, -128);
    const b = new TfliteBuilder();
    const x = b.tensor('x', [2, 128], 'int8', xq);
    const y = b.tensor('y', [2, 128], 'int8', yq);
    b.op(type, [x], [y]);
    b.io([x], [y]);
    await assertMatchesTflm(`${type.toLowerCase()} ${c}: in ${xq.scale[0]}/${xq.zeroPoint[0]}`, b.finish(), [[every]]);
  }
});

interface SliceSpec { shape: number[]; begin: number[]; end: number[]; strides: number[]; beginMask: number; endMask: number; shrinkAxisMask: number }

/** Output shape by TFLM's rules (the model must declare it; tflm-run refuses a wrong one), or null for an empty or out-of-range slice. */
function sliceOutput(s: SliceSpec): number[] | null {
  const axes = s.shape.map((d, k) => sliceAxis(d, s.begin[k], s.end[k], s.strides[k], ((s.beginMask >> k) & 1) === 1, ((s.endMask >> k) & 1) === 1, ((s.shrinkAxisMask >> k) & 1) === 1));
  if (axes.some((a, k) => a.count === 0 || a.start < 0 || a.start >= s.shape[k])) return null;
  return axes.filter((a) => !a.shrink).map((a) => a.count);
}

function sliceModel(spec: SliceSpec, out: number[], xq = q(0.05, 3), yq = xq): Uint8Array {
  const rank = spec.shape.length;
  const b = new TfliteBuilder();
  const x = b.tensor('x', spec.shape, 'int8', xq);
  const begin = b.constant('begin', [rank], 'int32', spec.begin);
  const end = b.constant('end', [rank], 'int32', spec.end);
  const strides = b.constant('strides', [rank], 'int32', spec.strides);
  const y = b.tensor('y', out, 'int8', yq);
  b.op('STRIDED_SLICE', [x, begin, end, strides], [y], { beginMask: spec.beginMask, endMask: spec.endMask, shrinkAxisMask: spec.shrinkAxisMask });
  b.io([x], [y]);
  return b.finish();
}

function randomSlice(r: () => number): { spec: SliceSpec; out: number[] } {
  for (;;) {
    const shape = randShape(r, randInt(r, 1, 4), 7);
    const rank = shape.length;
    const strides = shape.map(() => (r() < 0.5 ? 1 : randInt(r, 1, 3) * (r() < 0.4 ? -1 : 1)));
    const spec: SliceSpec = {
      shape,
      begin: shape.map((d) => randInt(r, -d - 2, d + 2)),
      end: shape.map((d) => randInt(r, -d - 2, d + 2)),
      strides,
      beginMask: randInt(r, 0, 2 ** rank - 1) & randInt(r, 0, 2 ** rank - 1),
      endMask: randInt(r, 0, 2 ** rank - 1) & randInt(r, 0, 2 ** rank - 1),
      shrinkAxisMask: r() < 0.4 ? randInt(r, 0, 2 ** rank - 1) & randInt(r, 0, 2 ** rank - 1) : 0,
    };
    const out = sliceOutput(spec);
    if (out && out.length > 0) return { spec, out };
  }
}

test('SUB: bit-exact with tflm-run (broadcasts, constant operand, fused activations)', async () => {
  if (skip()) return;
  const r = rng(17);
  for (let c = 0; c < CASES; c++) {
    const { model, inputs, what } = subModel(r);
    await assertMatchesTflm(`sub ${c}: ${what}`, model, inputs);
  }
});

test('LEAKY_RELU: bit-exact with tflm-run (alpha 0 to 1.75, every int8 input)', async () => {
  if (skip()) return;
  const r = rng(29);
  for (let c = 0; c < CASES; c++) {
    const { model, inputs, what } = leakyModel(r);
    await assertMatchesTflm(`leaky_relu ${c}: ${what}`, model, inputs);
  }
});

test('STRIDED_SLICE: bit-exact with tflm-run (negative indices and strides, begin/end/shrink masks, rank 1-4)', async () => {
  if (skip()) return;
  const r = rng(41);
  for (let c = 0; c < 2 * CASES; c++) {
    const { spec, out } = randomSlice(r);
    const inputs = Array.from({ length: 2 }, () => [new Uint8Array(randInt8(r, elems(spec.shape)).buffer)]);
    await assertMatchesTflm(`strided_slice ${c}: ${JSON.stringify(spec)} -> ${JSON.stringify(out)}`, sliceModel(spec, out), inputs);
  }
  // bytes are copied whatever the output's quantization, as TFLM does
  const copy = randomSlice(r);
  await assertMatchesTflm('strided_slice, output quantized differently', sliceModel(copy.spec, copy.out, q(0.05, 3), q(0.2, -9)), [[new Uint8Array(randInt8(r, elems(copy.spec.shape)).buffer)]]);
  // a hand-checked one: x[1, ::-2] of a [2, 5] ramp
  const spec = { shape: [2, 5], begin: [1, 0], end: [2, 0], strides: [1, -2], beginMask: 2, endMask: 2, shrinkAxisMask: 1 };
  assert.equal(sliceOutput(spec), [3]);
  const ramp = [new Uint8Array(Int8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).buffer)];
  await assertMatchesTflm('strided_slice ramp', sliceModel(spec, [3]), [ramp]);
  const { epk } = convertModel(sliceModel(spec, [3]), 'ramp', { log: () => {} });
  const { loadModelNode } = await import('../src/runtime/node.js');
  assert.equal(Array.from((await loadModelNode(epk, 'scalar')).run(ramp[0])[0]), [9, 7, 5]);
});

function transposeConvModel(r: () => number, act = 'NONE'): { model: Uint8Array; inputs: Uint8Array[][]; what: string } {
  const [n, ih, iw, ic, oc] = [randInt(r, 1, 2), randInt(r, 1, 5), randInt(r, 1, 5), randInt(r, 1, 4), randInt(r, 1, 4)];
  const [kh, kw, sh, sw] = [randInt(r, 1, 4), randInt(r, 1, 4), randInt(r, 1, 3), randInt(r, 1, 3)];
  const padding = r() < 0.5 ? 'SAME' : 'VALID';
  const oh = padding === 'SAME' ? ih * sh : (ih - 1) * sh + kh, ow = padding === 'SAME' ? iw * sw : (iw - 1) * sw + kw;
  const perChannel = r() < 0.6;
  const wScales = Array.from({ length: perChannel ? oc : 1 }, () => randScale(r, 0.002, 0.05));
  const xq = q(randScale(r), randInt(r, -128, 127)), yq = q(randScale(r, 0.05, 0.5), randInt(r, -128, 127));
  const b = new TfliteBuilder();
  const shape = b.constant('output_shape', [4], 'int32', [n, oh, ow, oc]);
  const w = b.constant('w', [oc, kh, kw, ic], 'int8', Int8Array.from({ length: oc * kh * kw * ic }, () => randInt(r, -127, 127)), { scale: wScales, zeroPoint: wScales.map(() => 0), axis: 0 });
  const x = b.tensor('x', [n, ih, iw, ic], 'int8', xq);
  const inputs = [shape, w, x];
  if (r() < 0.7) inputs.push(b.constant('bias', [oc], 'int32', Array.from({ length: oc }, () => randInt(r, -3000, 3000))));
  const y = b.tensor('y', [n, oh, ow, oc], 'int8', yq);
  b.op('TRANSPOSE_CONV', inputs, [y], { padding, strideH: sh, strideW: sw, activation: act });
  b.io([x], [y]);
  const data = Array.from({ length: INVOKES }, () => [new Uint8Array(randInt8(r, n * ih * iw * ic).buffer)]);
  return { model: b.finish(), inputs: data, what: `x [${n},${ih},${iw},${ic}] w [${oc},${kh},${kw},${ic}] stride ${sh}x${sw} ${padding}${perChannel ? ' per-channel' : ''}${inputs.length === 4 ? ' bias' : ''}` };
}

test('TRANSPOSE_CONV: bit-exact with tflm-run (strides, SAME/VALID, per-channel scales, with and without bias, fused activations)', async () => {
  if (skip()) return;
  const r = rng(53);
  for (let c = 0; c < CASES; c++) {
    const act = ACTIVATIONS[randInt(r, 0, ACTIVATIONS.length - 1)];
    const { model, inputs, what } = transposeConvModel(r, act);
    await assertMatchesTflm(`transpose_conv ${c}: ${what} ${act}`, model, inputs);
  }
});

test('TRANSPOSE_CONV: an input larger than the output reaches is refused by name', () => {
  // found by npm run fuzz: a 268435459-row input (1.6 GB of arena) under a 6x6 output converted, then no build loaded it
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4, 3, 2], 'int8', q(0.05, 0));
  const w = b.constant('w', [1, 3, 3, 2], 'int8', new Array(18).fill(1), q(0.01, 0));
  const y = b.tensor('y', [1, 6, 6, 1], 'int8', q(0.1, 0));
  b.op('TRANSPOSE_CONV', [b.constant('s', [4], 'int32', [1, 6, 6, 1]), w, x], [y], { padding: 'SAME', strideH: 2, strideW: 2 });
  b.io([x], [y]);
  refused(b.finish(), /op 0 \(TRANSPOSE_CONV\): input "x" is 4x3, but only 3x3 of it reaches the 6x6 output with stride 2x2 and SAME padding/);
});

/** x [shape] int8 -> op -> outputs; the op's extra inputs are int32 constants. */
function splitLike(type: string, shape: number[], consts: [string, number[]][], outs: number[][], options: Record<string, unknown> = {}, axisFirst = false): Uint8Array {
  const b = new TfliteBuilder();
  const xq = q(0.03, -7);
  const x = b.tensor('x', shape, 'int8', xq);
  const cs = consts.map(([name, v]) => b.constant(name, name === 'axis' && type === 'SPLIT' ? [] : [v.length], 'int32', v));
  const ys = outs.map((s, i) => b.tensor(`y${i}`, s, 'int8', xq));
  b.op(type, axisFirst ? [...cs, x] : [x, ...cs], ys, options);
  b.io([x], ys);
  return b.finish();
}

test('SLICE, SPLIT, SPLIT_V, UNPACK (lowered to STRIDED_SLICE): bit-exact with tflm-run, every output', async () => {
  if (skip()) return;
  const r = rng(71);
  const run = (name: string, model: Uint8Array, shape: number[]) =>
    assertMatchesTflm(name, model, Array.from({ length: 2 }, () => [new Uint8Array(randInt8(r, elems(shape)).buffer)]));
  for (let c = 0; c < CASES; c++) {
    const shape = randShape(r, randInt(r, 1, 4), 6);
    const rank = shape.length;
    // SLICE: begin, size (-1: to the end)
    const begin = shape.map((d) => randInt(r, 0, d - 1));
    const size = shape.map((d, k) => (r() < 0.3 ? -1 : randInt(r, 1, d - begin[k])));
    const sliceOut = shape.map((d, k) => (size[k] === -1 ? d - begin[k] : size[k]));
    await run(`slice ${c}: ${JSON.stringify(shape)} begin ${begin} size ${size}`, splitLike('SLICE', shape, [['begin', begin], ['size', size]], [sliceOut]), shape);
    // SPLIT along an axis whose size some n > 1 divides (negative axis half the time)
    const axis = randInt(r, 0, rank - 1);
    const d = shape[axis] = randInt(r, 1, 3) * randInt(r, 2, 3);
    const n = [2, 3, 6].filter((k) => d % k === 0)[0] ?? 1;
    const parts = Array.from({ length: n }, () => shape.map((v, k) => (k === axis ? d / n : v)));
    const axisValue = r() < 0.5 ? axis - rank : axis;
    await run(`split ${c}: ${JSON.stringify(shape)} axis ${axisValue} in ${n}`, splitLike('SPLIT', shape, [['axis', [axisValue]]], parts, {}, true), shape);
    // SPLIT_V with one inferred size
    const first = randInt(r, 1, d - 1 || 1);
    const sizes = d > 1 ? [first, -1] : [1];
    const vOuts = (d > 1 ? [first, d - first] : [1]).map((s) => shape.map((v, k) => (k === axis ? s : v)));
    await run(`split_v ${c}: ${JSON.stringify(shape)} axis ${axis} sizes ${sizes}`, splitLike('SPLIT_V', shape, [['size_splits', sizes], ['axis', [axis]]], vOuts), shape);
    // UNPACK along the axis
    const uOuts = Array.from({ length: d }, () => shape.filter((_, k) => k !== axis));
    if (uOuts[0].length > 0) await run(`unpack ${c}: ${JSON.stringify(shape)} axis ${axis}`, splitLike('UNPACK', shape, [], uOuts, { axis }), shape);
  }
});

test('PACK (lowered to reshapes and CONCATENATION): bit-exact with tflm-run', async () => {
  if (skip()) return;
  const r = rng(83);
  for (let c = 0; c < CASES; c++) {
    const shape = randShape(r, randInt(r, 1, 3), 5);
    const n = randInt(r, 1, 4), rank = shape.length + 1;
    const axis = randInt(r, 0, rank - 1);
    const xq = q(randScale(r), randInt(r, -128, 127));
    const b = new TfliteBuilder();
    const xs = Array.from({ length: n }, (_, k) => b.tensor(`x${k}`, shape, 'int8', xq));
    const y = b.tensor('y', [...shape.slice(0, axis), n, ...shape.slice(axis)], 'int8', xq);
    const axisValue = r() < 0.5 ? axis - rank : axis;
    b.op('PACK', xs, [y], { axis: axisValue });
    b.io(xs, [y]);
    const inputs = Array.from({ length: 2 }, () => xs.map(() => new Uint8Array(randInt8(r, elems(shape)).buffer)));
    await assertMatchesTflm(`pack ${c}: ${n} x ${JSON.stringify(shape)} axis ${axisValue}`, b.finish(), inputs);
  }
});

test('SLICE, SPLIT, SPLIT_V, UNPACK, PACK: bad sizes and axes are refused with the source op named', () => {
  refused(splitLike('SLICE', [2, 6], [['begin', [0, 4]], ['size', [1, 3]]], [[1, 3]]), /op 0 \(SLICE\): begin 4 and size 3 of axis 1 do not lie inside its size 6/);
  refused(splitLike('SPLIT', [2, 5], [['axis', [1]]], [[2, 2], [2, 2]], {}, true), /op 0 \(SPLIT\): axis 1 of size 5 does not split into 2 equal parts/);
  refused(splitLike('SPLIT', [2, 6], [['axis', [2]]], [[2, 3], [2, 3]], {}, true), /op 0 \(SPLIT\): axis 2 is outside \[-2, 2\)/);
  refused(splitLike('SPLIT_V', [2, 6], [['size_splits', [4, 3]], ['axis', [1]]], [[2, 4], [2, 3]]), /op 0 \(SPLIT_V\): size_splits \[4,3\] do not add up to axis 1 of size 6/);
  refused(splitLike('UNPACK', [2, 3], [], [[2], [2]], { axis: 1 }), /op 0 \(UNPACK\): axis 1 has size 3, but the op has 2 outputs/);
  const b = new TfliteBuilder();
  const x0 = b.tensor('x0', [2, 3], 'int8', q(0.1, 0)), x1 = b.tensor('x1', [3, 2], 'int8', q(0.1, 0));
  b.op('PACK', [x0, x1], [b.tensor('y', [2, 2, 3], 'int8', q(0.1, 0))], { axis: 0 });
  b.io([x0, x1], [2]);
  refused(b.finish(), /op 0 \(PACK\): input 1 "x1" has shape \[3,2\], input 0 \[2,3\]/);
});

function refused(model: Uint8Array, pattern: RegExp): void {
  try {
    convertModel(model, 'm.tflite', { log: () => {} });
  } catch (e) {
    assert.instance(e, ConvertError, String(e));
    assert.match((e as Error).message, pattern);
    return;
  }
  assert.unreachable('converted');
}

test('STRIDED_SLICE: unsupported masks, empty slices and out-of-range shrinks are refused by name', () => {
  const base: SliceSpec = { shape: [2, 6], begin: [0, 1], end: [2, 5], strides: [1, 2], beginMask: 0, endMask: 0, shrinkAxisMask: 0 };
  const withOptions = (opts: Record<string, unknown>, spec = base, out = [2, 2]) => {
    const b = new TfliteBuilder();
    const x = b.tensor('x', spec.shape, 'int8', q(0.1, 0));
    const y = b.tensor('y', out, 'int8', q(0.1, 0));
    b.op('STRIDED_SLICE', [x, b.constant('b', [2], 'int32', spec.begin), b.constant('e', [2], 'int32', spec.end), b.constant('s', [2], 'int32', spec.strides)], [y], { ...spec, ...opts });
    b.io([x], [y]);
    return b.finish();
  };
  refused(withOptions({ ellipsisMask: 1 }), /op 0 \(STRIDED_SLICE\): ellipsis_mask 1 is not supported/);
  refused(withOptions({ newAxisMask: 2 }), /op 0 \(STRIDED_SLICE\): new_axis_mask 2 is not supported/);
  refused(withOptions({ offset: true }), /offset = true .* is not supported/);
  refused(withOptions({}, { ...base, begin: [0, 4], end: [2, 1] }), /the slice is empty/);
  refused(withOptions({}, { ...base, begin: [0, 9], shrinkAxisMask: 2 }, [2]), /shrink_axis_mask keeps index 9 of axis 1, outside its size 6/);
  refused(withOptions({}, base, [2, 3]), /output "y" has shape \[2,3\], the slice has \[2,2\]/);
  refused(withOptions({}, { ...base, strides: [1, 0] }), /stride of axis 1 is 0/);
  // the one that converts: params are start/stride/count in the 4-D view
  const { graph } = convertModel(withOptions({}), 'ok.tflite', { log: () => {} });
  const op = graph.ops.find((o) => o.kernel?.opcode === OpCode.StridedSlice)!;
  assert.equal(op.kernel!.params, [0, 0, 0, 1, 1, 1, 1, 2, 1, 1, 2, 2]);
});

test('a LUT op (0 params) reads back and inspects (was: the reader called opcode 16 unknown)', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [4], 'int8', q(0.05, 3));
  const y = b.tensor('y', [4], 'int8', q(0.05, 3));
  b.op('RELU', [x], [y]);
  b.io([x], [y]);
  const { epk } = convertModel(b.finish(), 'relu.tflite', { log: () => {} });
  const e = readEpk(epk);
  assert.equal(e.ops.map((o) => [o.opcode, o.params.length]), [[OpCode.Lut, 0]]);
  assert.equal(summarize(epk).kernels.names, ['lut']);
});

test('LEAKY_RELU: a negative alpha is refused by name', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4], 'int8', q(0.1, 0));
  const y = b.tensor('y', [1, 4], 'int8', q(0.1, 0));
  b.op('LEAKY_RELU', [x], [y], { alpha: -0.5 });
  b.io([x], [y]);
  refused(b.finish(), /op 0 \(LEAKY_RELU\): alpha -0\.5 is not supported \(alpha must be finite and >= 0\)/);
});

test.run();
