// Lossless metadata savings: compressed builds keep only the model I/O tensor names, and
// constant arrays with the same bytes are stored once. Outputs must not change.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { readEpk } from '../src/format/reader.js';
import { Section } from '../src/format/constants.js';
import { loadModelNode } from '../src/runtime/node.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { buildSmallModel, randomBytes } from './compression-model.js';

const strings = (epk: Uint8Array) => readEpk(epk).sections.find((s) => s.kind === Section.Strings)!.size;

test('compressed builds keep I/O names only (default), same outputs as --names all', async () => {
  const src = buildSmallModel(3);
  const io = convertModel(src, 'small.tflite', { log: () => {}, compress: { huffman: true } }).epk;
  const all = convertModel(src, 'small.tflite', { log: () => {}, compress: { huffman: true, names: 'all' } }).epk;
  const plain = convertModel(src, 'small.tflite', { log: () => {} }).epk;
  const named = readEpk(io).tensors.filter((t) => t.name !== '').map((t) => t.name);
  assert.equal(named.sort(), ['fc/out', 'input']);
  assert.is(strings(io), 'input'.length + 'fc/out'.length);
  assert.ok(readEpk(all).tensors.every((t) => t.name !== ''));
  assert.ok(readEpk(plain).tensors.every((t) => t.name !== ''), 'plain conversions keep every name');
  assert.ok(io.length < all.length);
  for (const target of ['scalar', 'simd'] as const) {
    const a = await loadModelNode(io, target), b = await loadModelNode(all, target);
    for (let k = 0; k < 3; k++) {
      const x = randomBytes(12 * 12 * 8, 40 + k);
      assert.equal(Array.from(a.run(x)[0]), Array.from(b.run(x)[0]));
    }
  }
});

test('identical constant bytes are stored once', () => {
  const b = new TfliteBuilder();
  const q = (scale: number, zp: number) => ({ scale: [scale], zeroPoint: [zp] });
  const w = Array.from({ length: 64 }, (_, i) => ((i * 37) % 255) - 127);
  const x = b.tensor('x', [1, 8], 'int8', q(0.1, 0));
  const y1 = b.tensor('y1', [1, 8], 'int8', q(0.1, 0));
  const y2 = b.tensor('y2', [1, 8], 'int8', q(0.1, 0));
  b.op('FULLY_CONNECTED', [x, b.constant('w1', [8, 8], 'int8', w, q(0.01, 0))], [y1], { activation: 'NONE' });
  b.op('FULLY_CONNECTED', [y1, b.constant('w2', [8, 8], 'int8', w, q(0.01, 0))], [y2], { activation: 'NONE' });
  b.io([x], [y2]);
  const epk = readEpk(convertModel(b.finish(), 'twin.tflite', { log: () => {} }).epk);
  const [f1, f2] = epk.ops.map((o) => epk.tensors[o.inputs[1]]);
  assert.is(f1.offset, f2.offset);
  assert.is(f1.name, 'w1/packed'); // blocked layout of w1 (layout-weights)
  assert.is(f2.name, 'w2/packed');
});

test.run();
