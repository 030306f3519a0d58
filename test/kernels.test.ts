// Kernels on tensors small enough to check by hand: each single-op model is built in
// code, converted and run in both builds; the expectation is a float computation
// quantized by a helper (scales are powers of two, so the expectation is exact).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { loadModelNode } from '../src/runtime/node.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';

const q = (scale: number, zeroPoint = 0) => ({ scale: [scale], zeroPoint: [zeroPoint] });

/** std::round then clamp to int8: the helper that quantizes a float expectation. */
function quantize(real: number, scale: number, zp: number, lo = -128, hi = 127): number {
  const r = real / scale;
  const rounded = r < 0 ? -Math.round(-r) : Math.round(r);
  return Math.max(lo, Math.min(hi, rounded + zp));
}

async function runBoth(tflite: Uint8Array, ...inputs: Int8Array[]): Promise<number[]> {
  const { epk } = convertModel(tflite, 'kernel-test.tflite');
  const outs: number[][] = [];
  for (const target of ['scalar', 'simd'] as const) {
    const m = await loadModelNode(epk, target);
    const memoryBefore = m.memoryBytes;
    const [y] = m.run(...inputs.map((x) => new Uint8Array(x.buffer)));
    assert.is(m.memoryBytes, memoryBefore, 'invoke must not grow memory');
    outs.push(Array.from(new Int8Array(y.buffer, y.byteOffset, y.length)));
  }
  assert.equal(outs[0], outs[1], 'scalar and simd differ');
  return outs[0];
}

test('CONV_2D 3x3 input, 2x2 filter, SAME padding, bias, RELU', async () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 3, 3, 1], 'int8', q(0.5));
  const w = b.constant('w', [1, 2, 2, 1], 'int8', [2, 0, 0, -2], { scale: [0.5], zeroPoint: [0], axis: 0 });
  const bias = b.constant('b', [1], 'int32', [4], q(0.25));
  const y = b.tensor('y', [1, 3, 3, 1], 'int8', q(0.25, -10));
  b.op('CONV_2D', [x, w, bias], [y], { padding: 'SAME', activation: 'RELU' });
  b.io([x], [y]);
  const xs = Int8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const got = await runBoth(b.finish(), xs);
  // real y[i][j] = 1 * x[i][j] - 1 * x[i+1][j+1] + 1 (zero outside), then RELU
  const xr = (i: number, j: number) => (i < 3 && j < 3 ? xs[i * 3 + j] * 0.5 : 0);
  const want = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) want.push(quantize(Math.max(0, xr(i, j) - xr(i + 1, j + 1) + 1), 0.25, -10));
  assert.equal(got, want);
});

test('CONV_2D stride 2 with per-channel scales and input zero point', async () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4, 4, 2], 'int8', q(1, 3));
  const w = b.constant('w', [2, 1, 1, 2], 'int8', [1, 1, 2, -1], { scale: [0.5, 0.25], zeroPoint: [0, 0], axis: 0 });
  const y = b.tensor('y', [1, 2, 2, 2], 'int8', q(0.5));
  b.op('CONV_2D', [x, w], [y], { padding: 'VALID', strideH: 2, strideW: 2 });
  b.io([x], [y]);
  const xs = Int8Array.from({ length: 32 }, (_, i) => i - 10);
  const got = await runBoth(b.finish(), xs);
  const want: number[] = [];
  for (let oy = 0; oy < 2; oy++)
    for (let ox = 0; ox < 2; ox++) {
      const a = xs[(oy * 2 * 4 + ox * 2) * 2] - 3, c = xs[(oy * 2 * 4 + ox * 2) * 2 + 1] - 3;
      want.push(quantize(0.5 * (a + c), 0.5, 0), quantize(0.25 * (2 * a - c), 0.5, 0));
    }
  assert.equal(got, want);
});

test('DEPTHWISE_CONV_2D with depth multiplier 2', async () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 2, 2, 1], 'int8', q(1));
  const w = b.constant('w', [1, 2, 2, 2], 'int8', [1, -1, 1, 0, 1, 0, 1, 2], { scale: [1, 1], zeroPoint: [0, 0], axis: 3 });
  const y = b.tensor('y', [1, 1, 1, 2], 'int8', q(1));
  b.op('DEPTHWISE_CONV_2D', [x, w], [y], { padding: 'VALID', depthMultiplier: 2 });
  b.io([x], [y]);
  const got = await runBoth(b.finish(), Int8Array.from([1, 2, 3, 4]));
  assert.equal(got, [1 + 2 + 3 + 4, -1 + 0 + 0 + 8]);
});

test('FULLY_CONNECTED per-tensor with bias, clamped at int8 limits', async () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 3], 'int8', q(1, -1));
  const w = b.constant('w', [2, 3], 'int8', [1, 2, 3, 100, 100, 100], q(1));
  const bias = b.constant('b', [2], 'int32', [-2, 0], q(1));
  const y = b.tensor('y', [1, 2], 'int8', q(1));
  b.op('FULLY_CONNECTED', [x, w, bias], [y]);
  b.io([x], [y]);
  const got = await runBoth(b.finish(), Int8Array.from([0, 1, 2]));
  assert.equal(got, [1 * 1 + 2 * 2 + 3 * 3 - 2, 127]);
});

test('AVERAGE_POOL_2D rounds halves away from zero; MAX_POOL_2D', async () => {
  for (const [type, want] of [['AVERAGE_POOL_2D', [2, -2]], ['MAX_POOL_2D', [2, -1]]] as const) {
    const b = new TfliteBuilder();
    const x = b.tensor('x', [1, 1, 2, 2], 'int8', q(1));
    const y = b.tensor('y', [1, 1, 1, 2], 'int8', q(1));
    b.op(type, [x], [y], { padding: 'VALID', filterH: 1, filterW: 2, strideH: 1, strideW: 2 });
    b.io([x], [y]);
    assert.equal(await runBoth(b.finish(), Int8Array.from([1, -1, 2, -2])), [...want], type);
  }
});

test('ADD broadcasts a per-channel vector; MUL', async () => {
  for (const type of ['ADD', 'MUL']) {
    const b = new TfliteBuilder();
    const a = b.tensor('a', [1, 2, 2, 2], 'int8', q(0.5));
    const c = b.tensor('c', [1, 1, 1, 2], 'int8', q(0.25));
    const y = b.tensor('y', [1, 2, 2, 2], 'int8', q(0.5));
    b.op(type, [a, c], [y]);
    b.io([a, c], [y]);
    const av = Int8Array.from([2, 4, 6, 8, -2, -4, -6, -8]), cv = Int8Array.from([4, -8]);
    const got = await runBoth(b.finish(), av, cv);
    const want = Array.from(av, (v, i) => {
      const r1 = v * 0.5, r2 = cv[i % 2] * 0.25;
      return quantize(type === 'ADD' ? r1 + r2 : r1 * r2, 0.5, 0);
    });
    assert.equal(got, want, type);
  }
});

test('SOFTMAX of equal logits splits probability evenly', async () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4], 'int8', q(0.1));
  const y = b.tensor('y', [1, 4], 'int8', q(1 / 256, -128));
  b.op('SOFTMAX', [x], [y], { beta: 1 });
  b.io([x], [y]);
  assert.equal(await runBoth(b.finish(), Int8Array.from([5, 5, 5, 5])), [-64, -64, -64, -64]);
});

test('PAD, TRANSPOSE, CONCATENATION and MEAN move bytes as specified', async () => {
  {
    const b = new TfliteBuilder();
    const x = b.tensor('x', [1, 1, 2, 1], 'int8', q(1, 7));
    const p = b.constant('p', [4, 2], 'int32', [0, 0, 1, 0, 0, 1, 0, 0]);
    const y = b.tensor('y', [1, 2, 3, 1], 'int8', q(1, 7));
    b.op('PAD', [x, p], [y]);
    b.io([x], [y]);
    assert.equal(await runBoth(b.finish(), Int8Array.from([1, 2])), [7, 7, 7, 1, 2, 7], 'PAD fills with the zero point');
  }
  {
    const b = new TfliteBuilder();
    const x = b.tensor('x', [2, 3], 'int8', q(1));
    const p = b.constant('perm', [2], 'int32', [1, 0]);
    const y = b.tensor('y', [3, 2], 'int8', q(1));
    b.op('TRANSPOSE', [x, p], [y]);
    b.io([x], [y]);
    assert.equal(await runBoth(b.finish(), Int8Array.from([1, 2, 3, 4, 5, 6])), [1, 4, 2, 5, 3, 6], 'TRANSPOSE');
  }
  {
    const b = new TfliteBuilder();
    const a = b.tensor('a', [1, 2, 1], 'int8', q(1));
    const c = b.tensor('c', [1, 2, 2], 'int8', q(1));
    const y = b.tensor('y', [1, 2, 3], 'int8', q(1));
    b.op('CONCATENATION', [a, c], [y], { axis: -1 });
    b.io([a, c], [y]);
    assert.equal(await runBoth(b.finish(), Int8Array.from([1, 2]), Int8Array.from([3, 4, 5, 6])), [1, 3, 4, 2, 5, 6], 'CONCATENATION');
  }
  {
    const b = new TfliteBuilder();
    const x = b.tensor('x', [1, 2, 2, 2], 'int8', q(1));
    const axes = b.constant('axes', [2], 'int32', [1, 2]);
    const y = b.tensor('y', [1, 2], 'int8', q(1));
    b.op('MEAN', [x, axes], [y]);
    b.io([x], [y]);
    // channel 0: (1+2+3+5)/4 = 2.75 -> 3; channel 1: (-1-2-3-4)/4 = -2.5 -> -3 (away from zero)
    assert.equal(await runBoth(b.finish(), Int8Array.from([1, -1, 2, -2, 3, -3, 5, -4])), [3, -3], 'MEAN');
  }
});

test.run();
