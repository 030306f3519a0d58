// The SIMD build's int16-weight GEMM (assembly/wide.ts, kernels/gemm16-simd.ts): a JIT host's
// load widens each blocked conv of more than 40 taps (K8 > 40) to int16 pairs, and the conv runs
// with the output channels in the lanes. Exact against the blocked SIMD GEMM (the same build
// loaded without widening: gemm2_s8_simd) and the _ref kernels on every channel tail of a
// 16-channel block, one and two rows per call, rows read in place, from im2col patches and
// from strided pixels, at extreme values and with both epilogues; widened only where it
// applies, and optional: a grant too small keeps the blocked kernels.
// test/kernel-variants.test.ts runs both SIMD paths on its random conv shapes too.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel, importModel } from '../src/convert.js';
import { writeEpk } from '../src/format/writer.js';
import { prepareKernels } from '../src/passes/prepare-kernels.js';
import { planMemory } from '../src/passes/plan-memory.js';
import { loadModelNode } from '../src/runtime/node.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { rng, Rng } from './helpers.js';
import { H } from '../src/format/constants.js';

function referenceEpk(tflite: Uint8Array): Uint8Array {
  const g = prepareKernels(importModel(tflite, 'case.tflite'));
  return writeEpk(g, planMemory(g));
}

interface ConvShape {
  n: number; h: number; w: number; ic: number; kh: number; kw: number; oc: number;
  stride: number; dilation: number; padding: 'SAME' | 'VALID';
  /** weights of -128 / 127 only, inputs of -128 / 127 only */
  extreme: boolean;
  /** biases near 2^28: the per-quad range check before the f64 requantization fails (requant4 runs) */
  hugeBias: boolean;
}

function outSize(size: number, k: number, s: ConvShape): number {
  return s.padding === 'SAME' ? Math.ceil(size / s.stride) : Math.floor((size - ((k - 1) * s.dilation + 1)) / s.stride) + 1;
}

function convModel(r: Rng, s: ConvShape): { tflite: Uint8Array; input: Uint8Array; name: string } {
  const b = new TfliteBuilder();
  const oh = outSize(s.h, s.kh, s), ow = outSize(s.w, s.kw, s);
  const x = b.tensor('x', [s.n, s.h, s.w, s.ic], 'int8', { scale: [0.05], zeroPoint: [r.int(-128, 127)] });
  const scales = Array.from({ length: s.oc }, () => r.real(0.0005, 0.01));
  const wv = Array.from({ length: s.oc * s.kh * s.kw * s.ic }, () => (s.extreme ? r.pick([-128, 127]) : r.int(-127, 127)));
  const wt = b.constant('w', [s.oc, s.kh, s.kw, s.ic], 'int8', wv, { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 });
  const bias = b.constant('b', [s.oc], 'int32', Array.from({ length: s.oc }, () => (s.hugeBias ? r.pick([-1, 1]) * r.int(1 << 27, 1 << 28) : r.int(-20000, 20000))), {
    scale: scales.map((v) => v * 0.05), zeroPoint: scales.map(() => 0),
  });
  const y = b.tensor('y', [s.n, oh, ow, s.oc], 'int8', { scale: [r.real(0.05, 0.5)], zeroPoint: [r.int(-20, 20)] });
  b.op('CONV_2D', [x, wt, bias], [y], { strideH: s.stride, strideW: s.stride, dilationH: s.dilation, dilationW: s.dilation, padding: s.padding, activation: r.pick(['NONE', 'RELU', 'RELU6']) });
  b.io([x], [y]);
  const count = s.n * s.h * s.w * s.ic;
  const input = Uint8Array.from({ length: count }, () => (s.extreme ? r.pick([0x80, 0x7f]) : r.int(0, 255)));
  return { tflite: b.finish(), input, name: JSON.stringify(s) };
}

/** Runs one conv three ways (int16 weights, blocked SIMD GEMM, _ref) and returns the widened count. */
async function check(r: Rng, s: ConvShape): Promise<number> {
  const { tflite, input, name } = convModel(r, s);
  const want = Array.from((await loadModelNode(referenceEpk(tflite), 'scalar')).run(input)[0]);
  const epk = convertModel(tflite, 'conv.tflite', { log: () => {} }).epk;
  const blocked = await loadModelNode(epk, 'simd', undefined, false);
  assert.is(blocked.exports.ep_wide_tensor_count!(), 0, `${name}: not widened when not asked`);
  assert.equal(Array.from(blocked.run(input)[0]), want, `${name}: blocked SIMD GEMM`);
  const wide = await loadModelNode(epk, 'simd');
  assert.equal(Array.from(wide.run(input)[0]), want, `${name}: int16-weight GEMM`);
  return wide.exports.ep_wide_tensor_count!() - wide.exports.ep_winograd_op_count!();
}

test('int16-weight GEMM == blocked SIMD GEMM == _ref: oc 1..33 (every tail of a 16-channel block), 1x1 direct and strided, 3x3 in place and at borders', async () => {
  const r = rng(1616);
  let widened = 0, cases = 0;
  for (let oc = 1; oc <= 33; oc++) {
    // 1x1 over 41..72 channels, 3x5 pixels (the last call has one row), contiguous or stride 2
    const ic = 41 + ((oc * 7) % 32);
    for (const stride of [1, 2]) {
      widened += await check(r, { n: 1, h: 3, w: 5, ic, kh: 1, kw: 1, oc, stride, dilation: 1, padding: 'VALID', extreme: oc % 3 === 0, hugeBias: oc % 4 === 1 });
      cases++;
    }
  }
  // 3x3 SAME over 8 channels (K = 72: rows read in place inside, im2col patches on the border),
  // stride 2 and dilation 2 (not Winograd), two batches
  for (const [ic, oc, stride, dilation] of [[8, 16, 2, 1], [8, 20, 1, 2], [24, 7, 2, 1], [6, 33, 1, 1], [16, 64, 2, 2]]) {
    for (const extreme of [false, true]) {
      widened += await check(r, { n: 2, h: 7, w: 6, ic, kh: 3, kw: 3, oc, stride, dilation, padding: 'SAME', extreme, hugeBias: !extreme });
      cases++;
    }
  }
  assert.is(widened, cases, 'every case ran on int16 weights');
});

test('int16-weight GEMM at K8 = 2048 (3x3 over 227 channels) with every product -128 * -128 or -128 * 127', async () => {
  const r = rng(2048);
  for (const oc of [5, 16, 24]) {
    assert.is(await check(r, { n: 1, h: 4, w: 5, ic: 227, kh: 3, kw: 3, oc, stride: 1, dilation: 1, padding: 'VALID', extreme: true, hugeBias: false }), 1);
  }
});

test('widened only where it runs: a conv of K8 <= 40, a depthwise and an FC keep their kernels; a grant of what the model needs widens nothing', async () => {
  const b = new TfliteBuilder();
  const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z] });
  const x = b.tensor('x', [1, 4, 4, 40], 'int8', q(0.05, 3));
  const w0 = b.constant('w0', [48, 1, 1, 40], 'int8', Array.from({ length: 48 * 40 }, (_, i) => ((i * 37) % 255) - 127), q(0.01, 0));
  const a = b.tensor('a', [1, 4, 4, 48], 'int8', q(0.1, -2));
  b.op('CONV_2D', [x, w0, -1], [a], { strideH: 1, strideW: 1, padding: 'VALID', activation: 'RELU' }); // K = 40: channels-in-lanes
  const w1 = b.constant('w1', [1, 3, 3, 48], 'int8', Array.from({ length: 9 * 48 }, (_, i) => ((i * 53) % 255) - 127), { scale: Array(48).fill(0.01), zeroPoint: Array(48).fill(0), axis: 3 });
  const d = b.tensor('d', [1, 4, 4, 48], 'int8', q(0.1, 1));
  b.op('DEPTHWISE_CONV_2D', [a, w1, -1], [d], { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1 });
  const w2 = b.constant('w2', [24, 1, 1, 48], 'int8', Array.from({ length: 24 * 48 }, (_, i) => ((i * 91) % 255) - 127), q(0.01, 0));
  const e = b.tensor('e', [1, 4, 4, 24], 'int8', q(0.2, 0));
  b.op('CONV_2D', [d, w2, -1], [e], { strideH: 1, strideW: 1, padding: 'VALID', activation: 'NONE' }); // K = 48: int16 weights
  const w3 = b.constant('w3', [10, 384], 'int8', Array.from({ length: 3840 }, (_, i) => ((i * 29) % 255) - 127), q(0.01, 0));
  const y = b.tensor('y', [1, 10], 'int8', q(0.3, 4));
  b.op('FULLY_CONNECTED', [e, w3, -1], [y], { activation: 'NONE' });
  b.io([x], [y]);
  const tflite = b.finish();
  const input = Uint8Array.from({ length: 640 }, (_, i) => (i * 73 + 5) & 0xff);
  const want = Array.from((await loadModelNode(referenceEpk(tflite), 'scalar')).run(input)[0]);
  const epk = convertModel(tflite, 'mixed.tflite', { log: () => {} }).epk;
  const plain = await loadModelNode(epk, 'simd', undefined, false);
  const wide = await loadModelNode(epk, 'simd');
  assert.is(wide.exports.ep_wide_tensor_count!(), 1, 'the K = 48 conv only');
  assert.is(wide.exports.ep_memory_high_water(), plain.exports.ep_memory_high_water(), 'the high-water mark leaves the widened weights out');
  assert.equal(Array.from(wide.run(input)[0]), want);
  assert.equal(Array.from(plain.run(input)[0]), want);
  // a host limit of what the file declares: no room for them, the blocked kernels run
  const v = new DataView(epk.buffer, epk.byteOffset, epk.byteLength);
  const declared = epk.length + v.getUint32(H.arenaBytes, true) + v.getUint32(H.scratchBytes, true);
  const capped = await loadModelNode(epk, 'simd', declared);
  assert.is(capped.exports.ep_wide_tensor_count!(), 0, 'no room: nothing widened');
  assert.equal(Array.from(capped.run(input)[0]), want);
});

test.run();
