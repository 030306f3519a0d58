// The full scalar build's ADD through lookup tables (kernels/elementwise.ts add_s8_lut): on a JIT
// host with widened weights (the work area it builds its tables in exists only then, so each
// model has a conv) a same-shape ADD of 1024 values or more looks up both input rescales. Its
// bytes against the same build without widening (add_s8's per-value mbqm: another kernel), the
// SIMD build and the _ref kernels, over random scales and zero points, both output-shift signs.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel, importModel } from '../src/convert.js';
import { writeEpk } from '../src/format/writer.js';
import { prepareKernels } from '../src/passes/prepare-kernels.js';
import { planMemory } from '../src/passes/plan-memory.js';
import { loadModelNode } from '../src/runtime/node.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { rng } from './helpers.js';


/** x -> 1x1 conv -> t; y = ADD(t, z): [1, h, w, 8] int8, h * w * 8 values. */
function model(r: () => number, h: number, w: number): Uint8Array {
  const b = new TfliteBuilder();
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z] });
  const x = b.tensor('x', [1, h, w, 8], 'int8', q(0.05 + r() * 0.2, int(-128, 127)));
  const scales = Array.from({ length: 8 }, () => 0.005 + r() * 0.03);
  const wt = b.constant('w', [8, 1, 1, 8], 'int8', Array.from({ length: 64 }, () => int(-127, 127)), { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 });
  const t = b.tensor('t', [1, h, w, 8], 'int8', q(0.05 + r() * 0.3, int(-128, 127)));
  b.op('CONV_2D', [x, wt, -1], [t], { strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, padding: 'VALID', activation: 'NONE' });
  const z = b.tensor('z', [1, h, w, 8], 'int8', q(0.02 + r() * 0.5, int(-128, 127)));
  // output scales from a tenth to ten times the inputs': output shifts of both signs
  const y = b.tensor('y', [1, h, w, 8], 'int8', q(0.01 + r() * 2, int(-128, 127)));
  b.op('ADD', [t, z], [y], { activation: r() < 0.3 ? 'RELU' : 'NONE' });
  b.io([x, z], [y]);
  return b.finish();
}

function referenceEpk(tflite: Uint8Array): Uint8Array {
  const g = prepareKernels(importModel(tflite, 'case.tflite'));
  return writeEpk(g, planMemory(g));
}

test('ADD through tables: the same bytes as per-value mbqm, the SIMD build and the _ref kernels', async () => {
  const r = rng(77).next;
  for (let i = 0; i < 24; i++) {
    const [h, w] = [8 + Math.floor(r() * 8), 16 + Math.floor(r() * 8)]; // 1024 values or more
    const tflite = model(r, h, w);
    const epk = convertModel(tflite, 'add.tflite', { log: () => {} }).epk;
    const n = h * w * 8;
    const x = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
    const z = Uint8Array.from({ length: n }, (_, k) => (k < 256 ? k : Math.floor(r() * 256))); // every byte
    const want = Array.from((await loadModelNode(referenceEpk(tflite), 'scalar')).run(x, z)[0]);
    const lut = await loadModelNode(epk, 'scalar');
    assert.ok(lut.exports.ep_wide_tensor_count!() >= 1, 'widened: the work area exists');
    assert.equal(Array.from(lut.run(x, z)[0]), want, `case ${i}: tables`);
    assert.equal(Array.from((await loadModelNode(epk, 'scalar', undefined, false)).run(x, z)[0]), want, `case ${i}: per-value mbqm`);
    assert.equal(Array.from((await loadModelNode(epk, 'simd')).run(x, z)[0]), want, `case ${i}: SIMD build`);
  }
});

test.run();
