// The SIMD build's load-time accumulator bound (assembly/acc-bound.ts): a blocked conv or FC
// whose |bias'| + 128 * sum |w| lies below the f64 requantization's range B skips the range
// check per quad; at B or above, the check stays, and the quads outside take requant4. Both
// must give the scalar build's bytes. Zero weights make the bound the bias itself, so the
// edge is exact: B - 1 fits, B does not.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { loadModelNode } from '../src/runtime/node.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';

/** B for these models: no left shift (effective scales below 1) and e <= 21, so 2^21 (requant-simd.ts rqfPrepare). */
const B = 1 << 21;

/** A 1x1 conv 8 -> 6 over 4x4 (or an FC of depth 8 over 4 rows) with zero weights and the given biases. */
function zeroWeights(kind: 'conv' | 'fc', biases: number[]): Uint8Array {
  const b = new TfliteBuilder();
  const oc = biases.length;
  const scales = biases.map((_, i) => 0.01 + 0.001 * i);
  const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z] });
  const bias = b.constant('b', [oc], 'int32', biases, { scale: scales.map((s) => s * 0.1), zeroPoint: scales.map(() => 0) });
  if (kind === 'conv') {
    const x = b.tensor('x', [1, 4, 4, 8], 'int8', q(0.1, 3));
    const w = b.constant('w', [oc, 1, 1, 8], 'int8', new Array(oc * 8).fill(0), { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 });
    const y = b.tensor('y', [1, 4, 4, oc], 'int8', q(600, -5));
    b.op('CONV_2D', [x, w, bias], [y], { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padding: 'VALID', activation: 'NONE' });
    b.io([x], [y]);
  } else {
    const x = b.tensor('x', [4, 8], 'int8', q(0.1, 3));
    const w = b.constant('w', [oc, 8], 'int8', new Array(oc * 8).fill(0), { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 });
    const y = b.tensor('y', [4, oc], 'int8', q(600, -5));
    b.op('FULLY_CONNECTED', [x, w, bias], [y], { activation: 'NONE' });
    b.io([x], [y]);
  }
  return b.finish();
}

async function fitsAndOutputs(tflite: Uint8Array): Promise<{ fits: number; simd: number[]; scalar: number[] }> {
  const epk = convertModel(tflite, 'zero.tflite', { log: () => {} }).epk;
  const simd = await loadModelNode(epk, 'simd'), scalar = await loadModelNode(epk, 'scalar');
  const x = Uint8Array.from({ length: simd.inputBytes(0) }, (_, i) => (i * 37 + 11) & 0xff);
  return { fits: simd.exports.ep_acc_fits!(0), simd: Array.from(simd.run(x)[0]), scalar: Array.from(scalar.run(x)[0]) };
}

for (const kind of ['conv', 'fc'] as const) {
  test(`${kind}: a bound of B - 1 skips the range check, B keeps it; both give the scalar build's bytes`, async () => {
    // the biases scale to outputs inside [-128, 127] (out = bias * 0.1 * s / 600 - 5)
    for (const [edge, want] of [[B - 1, 1], [B, 0], [-(B - 1), 1], [-B, 0]] as const) {
      const biases = [edge, 1000, -70000, 0, 300000, -B + 5];
      const got = await fitsAndOutputs(zeroWeights(kind, biases));
      assert.is(got.fits, want, `${kind}: bias ${edge}`);
      assert.equal(got.simd, got.scalar, `${kind}: bias ${edge}`);
      assert.ok(new Set(got.simd).size > 2, `${kind}: outputs that depend on the bias`);
    }
  });
}

test('the bound counts the weights: one tap of 127 moves the edge by 128 * 127', async () => {
  const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z] });
  const build = (bias0: number) => {
    const t = new TfliteBuilder();
    const x = t.tensor('x', [1, 2, 2, 8], 'int8', q(0.1, 0));
    const wv = new Array(2 * 8).fill(0);
    wv[8 + 5] = 127; // channel 1, tap 5
    const w = t.constant('w', [2, 1, 1, 8], 'int8', wv, { scale: [0.01, 0.01], zeroPoint: [0, 0], axis: 0 });
    const bias = t.constant('b', [2], 'int32', [0, bias0], { scale: [0.001, 0.001], zeroPoint: [0, 0] });
    const y = t.tensor('y', [1, 2, 2, 2], 'int8', q(600, 0));
    t.op('CONV_2D', [x, w, bias], [y], { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padding: 'VALID', activation: 'NONE' });
    t.io([x], [y]);
    return t.finish();
  };
  // input zero point 0: the folded bias is the bias; |bias| + 128 * 127 against B
  const edge = B - 128 * 127;
  assert.is((await fitsAndOutputs(build(edge - 1))).fits, 1);
  const over = await fitsAndOutputs(build(edge));
  assert.is(over.fits, 0);
  assert.equal(over.simd, over.scalar);
});

test.run();
