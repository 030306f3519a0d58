// The Winograd F(2x2, 3x3) convs of the SIMD build (assembly/kernels/winograd-simd.ts) and of
// the scalar build on a JIT host (winograd-wide.ts) against the blocked GEMM of the same builds
// (ep_set_winograd(0): another kernel), the scalar build's widened GEMM and its _ref kernels,
// byte for byte: random 3x3 stride-1 convs over 8k input channels (odd and even
// sizes, both paddings, 1-37 output channels, biases past the f64 requantization's range), and
// the largest sums the exactness argument allows (1024 input channels of -128 times -128), where
// the transformed sums wrap in i32 before the output transform.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel, importModel } from '../src/convert.js';
import { writeEpk } from '../src/format/writer.js';
import { prepareKernels } from '../src/passes/prepare-kernels.js';
import { planMemory } from '../src/passes/plan-memory.js';
import { loadModelNode } from '../src/runtime/node.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { rng, Rng } from './helpers.js';
import { readEpk } from '../src/format/reader.js';


interface Conv {
  name: string;
  tflite: Uint8Array;
  input: Uint8Array;
}

interface Shape { n: number; h: number; w: number; ic: number; oc: number; padding: string; activation: string }

/** A 3x3 stride-1 conv; weights, biases and input bytes from the given makers. */
function conv(name: string, s: Shape, wv: (i: number) => number, bv: (o: number) => number, xv: (i: number) => number,
  xq: { scale: number; zp: number }, yq: { scale: number; zp: number }, scales: number[]): Conv {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [s.n, s.h, s.w, s.ic], 'int8', { scale: [xq.scale], zeroPoint: [xq.zp] });
  const w = b.constant('w', [s.oc, 3, 3, s.ic], 'int8', Array.from({ length: s.oc * 9 * s.ic }, (_, i) => wv(i)), { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 });
  const bias = b.constant('b', [s.oc], 'int32', Array.from({ length: s.oc }, (_, o) => bv(o)), { scale: scales.map((v) => v * xq.scale), zeroPoint: scales.map(() => 0) });
  const [oh, ow] = s.padding === 'SAME' ? [s.h, s.w] : [s.h - 2, s.w - 2];
  const y = b.tensor('y', [s.n, oh, ow, s.oc], 'int8', { scale: [yq.scale], zeroPoint: [yq.zp] });
  b.op('CONV_2D', [x, w, bias], [y], { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padding: s.padding, activation: s.activation });
  b.io([x], [y]);
  const input = Uint8Array.from({ length: s.n * s.h * s.w * s.ic }, (_, i) => xv(i) & 0xff);
  return { name: `${name} ${JSON.stringify(s)}`, tflite: b.finish(), input };
}

function randomConv(r: Rng, i: number): Conv {
  const padding = r.pick(['SAME', 'VALID']);
  const lo = padding === 'VALID' ? 3 : 1;
  const s: Shape = { n: r.int(1, 2), h: r.int(lo, 13), w: r.int(lo, 13), ic: r.pick([8, 16, 24, 32, 64]), oc: r.int(1, 37), padding, activation: r.pick(['NONE', 'RELU', 'RELU6']) };
  const scales = Array.from({ length: s.oc }, () => r.real(0.002, 0.05));
  const wide = r.int(0, 3) === 0; // some biases past 2^21: the requantization's checked path
  const extreme = r.int(0, 4) === 0; // weights and inputs at the ends of int8
  const wv = () => (extreme ? r.pick([-127, 127, -128]) : r.int(-127, 127));
  const bv = () => (wide && r.int(0, 1) ? r.int(-3_000_000, 3_000_000) : r.int(-20000, 20000));
  const xv = () => (extreme ? r.pick([-128, 127]) : r.int(-128, 127));
  return conv(`wg#${i}`, s, wv, bv, xv, { scale: r.real(0.02, 0.2), zp: r.int(-128, 127) }, { scale: r.real(0.05, 0.3), zp: r.int(-128, 127) }, scales);
}

function referenceEpk(tflite: Uint8Array): Uint8Array {
  const g = prepareKernels(importModel(tflite, 'case.tflite'));
  return writeEpk(g, planMemory(g));
}

interface Ops { ep_winograd_op_count(): number }

async function check(c: Conv): Promise<void> {
  const packed = convertModel(c.tflite, 'case.tflite', { log: () => {} }).epk;
  const want = Array.from((await loadModelNode(referenceEpk(c.tflite), 'scalar')).run(c.input)[0]);
  const wg = await loadModelNode(packed, 'simd', undefined, true, true);
  const gemm = await loadModelNode(packed, 'simd', undefined, true, false);
  assert.is((wg.exports as unknown as Ops).ep_winograd_op_count(), 1, `${c.name}: runs Winograd`);
  assert.is((gemm.exports as unknown as Ops).ep_winograd_op_count(), 0, `${c.name}: runs the GEMM`);
  assert.equal(Array.from(gemm.run(c.input)[0]), want, `${c.name}: blocked GEMM`);
  assert.equal(Array.from(wg.run(c.input)[0]), want, `${c.name}: Winograd`);
  assert.equal(Array.from(wg.run(c.input)[0]), want, `${c.name}: Winograd, second run`);
  // the scalar build: Winograd with two tiles per i64 on a JIT host (widened weights asked for),
  // the widened GEMM when Winograd is turned off, the blocked GEMM without either
  const scalarWg = await loadModelNode(packed, 'scalar', undefined, true, true);
  const scalarWide = await loadModelNode(packed, 'scalar', undefined, true, false);
  const scalarBlocked = await loadModelNode(packed, 'scalar', undefined, false, true);
  assert.is((scalarWg.exports as unknown as Ops).ep_winograd_op_count(), 1, `${c.name}: scalar runs Winograd`);
  assert.is(scalarWg.exports.ep_wide_tensor_count!(), 0, `${c.name}: its filter is not widened too`);
  assert.is((scalarWide.exports as unknown as Ops).ep_winograd_op_count(), 0, `${c.name}: scalar, widened GEMM`);
  assert.is(scalarWide.exports.ep_wide_tensor_count!(), 1, `${c.name}: scalar, widened filter`);
  assert.is((scalarBlocked.exports as unknown as Ops).ep_winograd_op_count(), 0, `${c.name}: scalar without widening: no Winograd`);
  assert.equal(Array.from(scalarWg.run(c.input)[0]), want, `${c.name}: scalar Winograd`);
  assert.equal(Array.from(scalarWide.run(c.input)[0]), want, `${c.name}: scalar widened GEMM`);
  assert.equal(Array.from(scalarBlocked.run(c.input)[0]), want, `${c.name}: scalar blocked GEMM`);
}

test('random 3x3 stride-1 convs: Winograd, the blocked GEMM and the _ref kernels agree', async () => {
  const r = rng(20261201);
  for (let i = 0; i < 48; i++) await check(randomConv(r, i));
});

test('the largest sums: 1024 channels of -128 x -128, biases cancelling all but a few units', async () => {
  // VALID over 4x5: every tap inside, each sum 9 * 1024 * 16384 = 150,994,944 (input zero point
  // 0); the bias leaves o - 40, so each unit shows in the output (scale 1, outputs o - 40 + 3)
  const ic = 1024, oc = 9, sum = 9 * ic * 128 * 128;
  const s: Shape = { n: 1, h: 4, w: 5, ic, oc, padding: 'VALID', activation: 'NONE' };
  const scales = new Array(oc).fill(1 / 64);
  const c = conv('extreme', s, () => -128, (o) => -sum * 1 + (o - 40), () => -128, { scale: 64 / 64, zp: 0 }, { scale: 1 / 64, zp: 3 }, scales);
  await check(c);
  const out = (await loadModelNode(convertModel(c.tflite, 'c.tflite', { log: () => {} }).epk, 'simd')).run(c.input)[0];
  assert.equal(Array.from(out.slice(0, oc), (v) => (v << 24) >> 24), Array.from({ length: oc }, (_, o) => o - 40 + 3));
});

test('a conv whose output the plan lays over its input: rows of tiles through the scratch', async () => {
  // four 3x3 convs in a chain: the plan lays y2 over y1 (docs/FORMAT.md "Output over input 0"),
  // and the Winograd kernels store two rows of a chunk of tiles at once, so such an op writes
  // each row of tiles to its scratch first (storing in place gives other bytes here)
  const b = new TfliteBuilder();
  const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z] });
  const [H, W] = [10, 12];
  const input = b.tensor('x', [1, H, W, 8], 'int8', q(0.1, 3));
  let x = input;
  const chans = [8, 16, 16, 8, 16];
  for (let i = 1; i < chans.length; i++) {
    const [ic, oc] = [chans[i - 1], chans[i]];
    const scales = Array.from({ length: oc }, (_, j) => 0.01 + 0.001 * j);
    const w = b.constant(`w${i}`, [oc, 3, 3, ic], 'int8', Array.from({ length: oc * 9 * ic }, (_, k) => ((k * 37 + i) % 255) - 127), { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 });
    const bias = b.constant(`b${i}`, [oc], 'int32', Array.from({ length: oc }, (_, j) => j * 100 - 300), { scale: scales.map((v) => v * 0.1), zeroPoint: scales.map(() => 0) });
    const y = b.tensor(`y${i}`, [1, H, W, oc], 'int8', q(0.5, -2));
    b.op('CONV_2D', [x, w, bias], [y], { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padding: 'SAME', activation: 'RELU' });
    x = y;
  }
  b.io([input], [x]);
  const tflite = b.finish();
  const epk = convertModel(tflite, 'chain.tflite', { log: () => {} }).epk;
  const arena = readEpk(epk).tensors.filter((t) => /^y\d$/.test(t.name)).sort((a, b) => a.name.localeCompare(b.name)).map((t) => [t.offset, t.offset + t.bytes]);
  const overlaps = arena.slice(1).filter(([s, e], i) => s < arena[i][1] && arena[i][0] < e).length;
  assert.ok(overlaps >= 1, 'the plan lays some output over its input');
  const c = { name: 'chain', tflite, input: Uint8Array.from({ length: H * W * 8 }, (_, i) => (i * 73 + 5) & 0xff) };
  const want = Array.from((await loadModelNode(referenceEpk(tflite), 'scalar')).run(c.input)[0]);
  for (const target of ['simd', 'scalar'] as const) {
    const m = await loadModelNode(epk, target);
    assert.is((m.exports as unknown as Ops).ep_winograd_op_count(), 4, `${target}: every conv`);
    assert.equal(Array.from(m.run(c.input)[0]), want, target);
  }
});

test('ep_set_winograd: the SIMD and full scalar builds can', async () => {
  const c = randomConv(rng(7), 0);
  const packed = convertModel(c.tflite, 'case.tflite', { log: () => {} }).epk;
  const simd = await loadModelNode(packed, 'simd'), scalar = await loadModelNode(packed, 'scalar');
  assert.is(simd.exports.ep_set_winograd!(1), 1);
  assert.is(scalar.exports.ep_set_winograd!(1), 1);
});

test.run();
