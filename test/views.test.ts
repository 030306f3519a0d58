// Every API entry that takes bytes reads exactly the view it is given: a Node Buffer (from
// readFileSync or the shared pool), a subarray at an odd offset, a DataView, an ArrayBuffer.
// Each gives the same result as the plain Uint8Array (issue 13: a Buffer built a wrong model).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertModel, importModel } from '../src/convert.js';
import { importTflite } from '../src/import/tflite/index.js';
import { importOnnx } from '../src/import/onnx/index.js';
import { readEpk } from '../src/format/reader.js';
import { summarize } from '../src/inspect.js';
import { load } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { parseNpy } from '../src/io/npy.js';
import { Bytes } from '../src/io/bytes.js';
import { randomInputs } from '../src/float/calibrate.js';
import { buildTinyCnn, randomInt8 } from '../src/testing/models.js';
import { mobileNetStyle } from '../src/testing/onnx-builder.js';
import { SHARED } from './helpers.js';

/** The same bytes as every kind of view the API accepts, each at an offset where one is possible. */
function views(b: Uint8Array): [string, Bytes][] {
  const ab = new ArrayBuffer(b.length + 29);
  new Uint8Array(ab).fill(0xa5);
  new Uint8Array(ab, 13, b.length).set(b);
  const pooled = Buffer.concat([Buffer.from('junk before'), Buffer.from(b), Buffer.from('junk after')]).subarray(11, 11 + b.length);
  return [
    ['Buffer', Buffer.from(b)],
    ['Buffer at an offset', pooled],
    ['subarray at an offset', new Uint8Array(ab).subarray(13, 13 + b.length)],
    ['DataView at an offset', new DataView(ab, 13, b.length)],
    ['ArrayBuffer', b.slice().buffer],
  ];
}

const tflite = buildTinyCnn();
const plain = convertModel(tflite, 'tiny_cnn.tflite').epk;

test('convertModel, importModel and importTflite read exactly the view (tiny CNN built in code)', () => {
  for (const [kind, v] of views(tflite)) {
    assert.equal(convertModel(v, 'tiny_cnn.tflite').epk, plain, kind);
    assert.equal(importModel(v, 'tiny_cnn.tflite').tensors.length, importTflite(tflite).tensors.length, kind);
    assert.equal(importTflite(v, 'tiny_cnn.tflite').tensors.map((t) => t.data), importTflite(tflite).tensors.map((t) => t.data), kind);
  }
});

test('importOnnx and convertModel read exactly the view (ONNX built in code)', () => {
  const onnx = mobileNetStyle(1, 8, 4);
  const samples = randomInputs(importOnnx(onnx, 'm.onnx'), 8, 3);
  const want = convertModel(onnx, 'm.onnx', { quantize: { samples } }).epk;
  for (const [kind, v] of views(onnx)) {
    assert.equal(importOnnx(v, 'm.onnx').tensors.map((t) => t.data), importOnnx(onnx, 'm.onnx').tensors.map((t) => t.data), kind);
    assert.equal(convertModel(v, 'm.onnx', { quantize: { samples } }).epk, want, kind);
  }
});

test('readEpk and summarize read exactly the view', () => {
  const want = summarize(plain);
  for (const [kind, v] of views(plain)) {
    assert.equal(readEpk(v).tensors, readEpk(plain).tensors, kind);
    assert.equal(summarize(v), want, kind);
  }
});

test('load, loadModelNode, loadModelStreamed and Model.run read exactly the view', async () => {
  const model = await loadModelNode(plain, 'scalar');
  const x = new Uint8Array(randomInt8(model.inputBytes(0), 5).buffer);
  const want = model.run(x)[0];
  for (const [kind, v] of views(plain)) {
    for (const m of [await load(v, { target: 'scalar' }), await loadModelNode(v, 'simd'), await loadModelStreamed(v)]) {
      for (const [xkind, xv] of views(x)) assert.equal(m.run(xv)[0], want, `${kind} model, ${xkind} input`);
    }
  }
});

test('parseNpy reads exactly the view', () => {
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
  const pad = 16 - ((10 + header.length + 1) % 16);
  const head = `${header}${' '.repeat(pad)}\n`;
  const npy = new Uint8Array(10 + head.length + 12);
  npy.set([0x93, ...Buffer.from('NUMPY'), 1, 0, head.length & 0xff, head.length >> 8]);
  npy.set(Buffer.from(head), 10);
  npy.set(new Uint8Array(Float32Array.from([1.5, -2, 3]).buffer), 10 + head.length);
  for (const [kind, v] of views(npy)) {
    if (!(v instanceof Uint8Array)) continue; // parseNpy takes Uint8Array views (Buffers included)
    assert.equal(Array.from(parseNpy(v).data as Float32Array), [1.5, -2, 3], kind);
  }
});

const kws = join(SHARED, 'models', 'kws_dscnn_int8.tflite');
test('convertModel(readFileSync(kws_dscnn_int8.tflite)) builds the same model as a plain Uint8Array', async () => {
  if (!existsSync(kws)) return console.log('  (skipped: needs ../shared/models/kws_dscnn_int8.tflite)');
  const buf = readFileSync(kws);
  const want = convertModel(new Uint8Array(buf), 'kws').epk;
  const got = convertModel(buf, 'kws').epk;
  assert.is(got.length, want.length);
  assert.equal(got, want);
});

test.run();
