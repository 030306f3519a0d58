// The scalar build's widened depthwise (kernels/dwconv-wide.ts): exact at the largest filter
// widened (1024 taps, every product -128 * -128, so the first pixel's sum is 2^24), with a
// requantization multiplier of 1 (a left shift, the e = 0 form) that shows every unit of both
// pixels' sums; not used beyond 1024 taps. test/kernel-variants.test.ts compares both scalar
// paths with the _ref kernels on random depthwise shapes (strides, dilations, padding, columns).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel, importModel } from '../src/convert.js';
import { writeEpk } from '../src/format/writer.js';
import { prepareKernels } from '../src/passes/prepare-kernels.js';
import { planMemory } from '../src/passes/plan-memory.js';
import { loadModelNode } from '../src/runtime/node.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { buildDepthwise8 } from '../src/testing/models.js';
import { readEpk } from '../src/format/reader.js';
import { crc32 } from '../src/format/crc32.js';
import { H, Section, T, TensorKind } from '../src/format/constants.js';

const MAX_TAPS = 1024;

/**
 * A kh x 32 depthwise over a kh x 33 x 2 input (VALID: one row of two output pixels). Channel
 * 0's weights are all -128, channel 1's all +127; the input is -128 but for row 5's last
 * column, -127, which only pixel 1 reads: pixel 1's sum is pixel 0's -128 (channel 0) or +127
 * (channel 1). Scales 1 (multiplier 1 = 2^30 with a left shift of 1); the biases leave
 * pixel 0 at rest[c], so the outputs are rest[c] and rest[c] + that difference, to the unit.
 */
function extremeDepthwise(kh: number): { tflite: Uint8Array; input: Uint8Array; want: number[] } {
  const kw = 32, w = 33, c = 2;
  const b = new TfliteBuilder();
  const weights = Array.from({ length: kh * kw * c }, (_, i) => (i % c === 0 ? -128 : 127));
  const sum0 = [kh * kw * -128 * -128, kh * kw * -128 * 127];
  const rest = [100, -100];
  const xt = b.tensor('x', [1, kh, w, c], 'int8', { scale: [1], zeroPoint: [0] });
  const wt = b.constant('w', [1, kh, kw, c], 'int8', weights, { scale: [1, 1], zeroPoint: [0, 0], axis: 3 });
  const bt = b.constant('b', [c], 'int32', sum0.map((s, ch) => rest[ch] - s), { scale: [1, 1], zeroPoint: [0, 0] });
  const yt = b.tensor('y', [1, 1, 2, c], 'int8', { scale: [1], zeroPoint: [0] });
  b.op('DEPTHWISE_CONV_2D', [xt, wt, bt], [yt], { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padding: 'VALID', activation: 'NONE', depthMultiplier: 1 });
  b.io([xt], [yt]);
  const x = new Int8Array(kh * w * c).fill(-128);
  for (let ch = 0; ch < c; ch++) x[(5 * w + w - 1) * c + ch] = -127;
  // output [1, 1, 2, 2]: pixel 0 (channels 0, 1), then pixel 1
  return { tflite: b.finish(), input: new Uint8Array(x.buffer), want: [rest[0], rest[1], rest[0] - 128, rest[1] + 127] };
}

function referenceEpk(tflite: Uint8Array): Uint8Array {
  const g = prepareKernels(importModel(tflite, 'case.tflite'));
  return writeEpk(g, planMemory(g));
}

const asInt8 = (u: Uint8Array) => Array.from(new Int8Array(u.buffer, u.byteOffset, u.length));

test('widened depthwise at 1024 taps (first pixel sum 2^24, multiplier 1 by a left shift) is exact to the unit; 1056 taps keep the blocked kernel', async () => {
  for (const kh of [MAX_TAPS / 32, MAX_TAPS / 32 + 1]) {
    const { tflite, input, want } = extremeDepthwise(kh);
    const packed = convertModel(tflite, 'dw.tflite', { log: () => {} }).epk;
    const ref = await loadModelNode(referenceEpk(tflite), 'scalar');
    assert.equal(asInt8(ref.run(input)[0]), want, `${kh} x 32: _ref kernel`);
    const wide = await loadModelNode(packed, 'scalar');
    assert.is(wide.exports.ep_wide_tensor_count!(), kh * 32 <= MAX_TAPS ? 1 : 0, `${kh} x 32: widened or not`);
    assert.equal(asInt8(wide.run(input)[0]), want, `${kh} x 32: scalar build, widened if allowed`);
    const blocked = await loadModelNode(packed, 'scalar', undefined, false);
    assert.equal(asInt8(blocked.run(input)[0]), want, `${kh} x 32: scalar build, blocked kernel`);
  }
});

test('a depthwise whose filter is an arena tensor (its bytes change after load) is not widened: the scalar build agrees with the blocked and SIMD kernels', async () => {
  // an edited file: the packed depthwise's filter record points into the arena, at the input x
  const epk = convertModel(buildDepthwise8(), 'dw.tflite', { log: () => {} }).epk, e = readEpk(epk);
  const op = e.ops[0];
  assert.is(op.inputs.length, 4, 'the packed layout');
  const edited = epk.slice(), v = new DataView(edited.buffer);
  const rec = e.sections.find((s) => s.kind === Section.Tensors)!.offset + 48 * op.inputs[1];
  v.setUint8(rec + T.kind, TensorKind.Arena);
  v.setUint32(rec + T.offset, e.tensors[op.inputs[0]].offset, true);
  v.setUint32(H.crc32, crc32(edited, 16), true);
  const input = Uint8Array.from({ length: 288 }, (_, i) => (i * 37) & 255);
  const want = Array.from((await loadModelNode(edited, 'simd')).run(input)[0]);
  assert.ok(want.some((q) => q !== want[0]), 'the outputs depend on the filter read at run time');
  const scalar = await loadModelNode(edited, 'scalar');
  assert.is(scalar.exports.ep_wide_tensor_count!(), 0, 'not widened');
  assert.equal(Array.from(scalar.run(input)[0]), want, 'scalar (JIT host) = simd');
  assert.equal(Array.from((await loadModelNode(edited, 'scalar', undefined, false)).run(input)[0]), want, 'scalar blocked = simd');
});

test.run();
