// Streamed mode with packed (compressed) filters: codebook blobs are staged whole (LUT in the
// inner loop); Huffman blobs whole when they fit, else tile by tile (the coded bytes of one
// tile in the stage at a time), decoded into the kernel scratch. Outputs must equal
// the resident build's and the plain model with the decoded weights; hostile blobs get
// the same error codes as in resident mode.

import { wideShifts } from '../src/passes/narrow-shifts.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CompressOptions, convertModel, emit } from '../src/convert.js';
import { Graph } from '../src/ir/graph.js';
import { readEpk } from '../src/format/reader.js';
import { crc32 } from '../src/format/crc32.js';
import { ErrorCode, H, P, Section } from '../src/format/constants.js';
import { loadModelNode } from '../src/runtime/node.js';
import { DEFAULT_STAGE_BYTES, loadModelStreamed } from '../src/runtime/streamed.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { buildSmallModel, randomBytes } from './compression-model.js';
import { goldenModels, readBytes } from './helpers.js';
import { join } from 'node:path';

const all = (bits: number) => ({ 0: bits, 1: bits, 2: bits, 3: bits });
const VARIANTS: CompressOptions[] = [
  { huffman: true, pack: 'huffman' },
  { codebookLayers: all(4), pack: 'codebook' },
  { codebookLayers: all(3), perChannelCodebook: true, pack: 'codebook+huffman' },
  { codebook: 4, huffman: true },
];

function decodedPlain(g: Graph): Uint8Array {
  const plain: Graph = { ...g, tensors: g.tensors.map((t) => ({ ...t, packed: undefined, codebook: undefined })) };
  return emit(wideShifts(plain)).epk; // a raw filter's op reads int32 shifts
}

test('streamed == resident == decoded weights, every packed representation', async () => {
  const src = buildSmallModel(5);
  for (const c of VARIANTS) {
    const r = convertModel(src, 'small', { log: () => {}, compress: c });
    assert.ok(readEpk(r.epk).tensors.some((t) => t.packed), JSON.stringify(c));
    const s = await loadModelStreamed(r.epk);
    // smallest stage: Huffman filters by the blob's tiles (one tile's coded bytes staged at a time)
    const smallest = await loadModelStreamed(r.epk, s.memory().stageMinBytes);
    if (c.huffman || c.pack?.includes('huffman')) assert.ok(s.memory().stageMinBytes < s.memory().stageWholeBytes, `${JSON.stringify(c)}: Huffman tiles need less stage`);
    const res = await loadModelNode(r.epk, 'scalar');
    const plain = await loadModelNode(decodedPlain(r.graph), 'scalar');
    for (let k = 0; k < 3; k++) {
      const x = randomBytes(1152, 70 + k);
      const want = Array.from(plain.run(x)[0]);
      assert.equal(Array.from(s.run(x)[0]), want, `${JSON.stringify(c)} streamed input ${k}`);
      assert.equal(Array.from(smallest.run(x)[0]), want, `${JSON.stringify(c)} streamed smallest stage input ${k}`);
      assert.equal(Array.from(res.run(x)[0]), want, `${JSON.stringify(c)} resident input ${k}`);
    }
    // the stage holds blobs, not decoded filters: never more than the largest op's stored inputs
    const m = s.memory();
    assert.ok(m.stageBytes <= r.epk.length, 'stage bounded by the file');
  }
});

test('streamed: a packed filter is staged as its blob (stage smaller than the decoded filter)', async () => {
  const src = buildSmallModel(5);
  const plain = await loadModelStreamed(convertModel(src, 'small', { log: () => {} }).epk);
  const packed = await loadModelStreamed(convertModel(src, 'small', { log: () => {}, compress: { codebook: 2, pack: 'codebook' } }).epk);
  // FC is the largest op: 8640 int8 weights raw; 2-bit indices = 2160 B + header/tables/pad
  assert.ok(packed.memory().stageWholeBytes < plain.memory().stageWholeBytes - 6000, `${packed.memory().stageWholeBytes} vs ${plain.memory().stageWholeBytes}`);
});

function tamperBlob(epk: Uint8Array, edit: (v: DataView, blob: number) => void): Uint8Array {
  const out = epk.slice();
  const e = readEpk(epk);
  const t = e.tensors.filter((x) => x.packed).sort((a, b) => b.storedBytes - a.storedBytes)[0];
  const data = e.sections.find((s) => s.kind === Section.Data)!.offset;
  const v = new DataView(out.buffer);
  edit(v, data + t.offset);
  v.setUint32(H.crc32, crc32(out, 16), true);
  return out;
}

async function streamedError(epk: Uint8Array): Promise<RuntimeError> {
  try {
    await loadModelStreamed(epk);
  } catch (err) {
    return err as RuntimeError;
  }
  throw new Error('loaded a hostile file');
}

test('streamed: hostile packed blobs are refused at load with BAD_TENSOR', async () => {
  const huff = convertModel(buildSmallModel(5), 'small', { log: () => {}, compress: { huffman: true, pack: 'huffman' } }).epk;
  const lut = convertModel(buildSmallModel(5), 'small', { log: () => {}, compress: { codebookLayers: all(4), pack: 'codebook' } }).epk;
  const cases: [string, Uint8Array, RegExp][] = [
    ['blob past the data section', tamperBlob(lut, (v, b) => v.setUint32(b + P.blobBytes, 1 << 30, true)), /outside the data section/],
    ['blob smaller than its header', tamperBlob(lut, (v, b) => v.setUint32(b + P.blobBytes, 8, true)), /smaller than its 32-byte header/],
    ['bad bits', tamperBlob(lut, (v, b) => v.setUint8(b + P.bits, 9)), /codebook bits/],
    ['index stream short', tamperBlob(lut, (v, b) => v.setUint32(b + P.payloadBytes, 100, true)), /index stream is shorter/],
    ['rows differ from shape', tamperBlob(huff, (v, b) => v.setUint32(b + P.rows, 3, true)), /rows x row size/],
    ['tile count wrong', tamperBlob(huff, (v, b) => v.setUint32(b + P.tileCount, 1, true)), /tile count/],
  ];
  for (const [what, epk, message] of cases) {
    const err = await streamedError(epk);
    assert.is(err.code, ErrorCode.BadTensor, what);
    assert.match(err.message, message, what);
  }
});

const only = process.env.GOLDEN_MODELS?.split(',');
for (const g of goldenModels().filter((m) => (!only || only.includes(m.name)) && ['person_detect', 'kws_dscnn_int8'].includes(m.name))) {
  test(`streamed ${g.name}: codebook 4 + Huffman equals its decoded weights`, async () => {
    const r = convertModel(readBytes(g.modelPath), g.name, { log: () => {}, compress: { codebook: 4, huffman: true } });
    const s = await loadModelStreamed(r.epk);
    const plain = await loadModelNode(decodedPlain(r.graph), 'scalar');
    for (const c of g.manifest.cases.slice(0, 2)) {
      const x = readBytes(join(g.dir, c.input));
      assert.equal(Array.from(s.run(x)[0]), Array.from(plain.run(x)[0]), c.input);
    }
  });

  test(`streamed ${g.name}: Huffman only (lossless) runs golden-exact in the default stage (<= 8 KiB), by Huffman tiles`, async () => {
    const r = convertModel(readBytes(g.modelPath), g.name, { log: () => {}, compress: { huffman: true, pack: 'huffman' } });
    const s = await loadModelStreamed(r.epk);
    const m = s.memory();
    assert.ok(m.stageBytes <= DEFAULT_STAGE_BYTES, `stage ${m.stageBytes}`);
    for (const model of [s, await loadModelStreamed(r.epk, m.stageMinBytes)]) {
      for (const c of g.manifest.cases.slice(0, 2)) {
        const [out] = model.run(readBytes(join(g.dir, c.input)));
        assert.equal(Buffer.from(out).toString('hex'), Buffer.from(readBytes(join(g.dir, c.output))).toString('hex'), c.input);
      }
    }
  });
}

test.run();
