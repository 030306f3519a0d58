// Compression: Huffman codes, k-means, pruning, packed blobs; the exactness guarantee
// (a compressed .epk gives the same bytes as its decoded weights converted plainly) on a
// project-built model and on every shared model, both builds; hostile packed blobs.

import { wideShifts } from '../src/passes/narrow-shifts.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { CompressOptions, ConvertResult, convertModel, emit } from '../src/convert.js';
import { loadModelNode } from '../src/runtime/node.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { readEpk } from '../src/format/reader.js';
import { crc32 } from '../src/format/crc32.js';
import { DType, ErrorCode, H, P, Section, T, TENSOR_RECORD_BYTES } from '../src/format/constants.js';
import { Graph } from '../src/ir/graph.js';
import { buildCode, canonicalCode, codeLengths, decodeSymbols, BitWriter, MAX_CODE_BITS } from '../src/compress/huffman.js';
import { histogram, kmeansInt8 } from '../src/compress/kmeans.js';
import { pruneSmallest } from '../src/passes/prune.js';
import { tensorValues } from '../src/compress/report.js';
import { parseNpy, NpyError } from '../src/io/npy.js';
import { buildSmallModel, randomBytes } from './compression-model.js';
import { goldenModels, readBytes } from './helpers.js';

const TARGETS = ['scalar', 'simd'] as const;

/** Converts keeping every tensor name (compressed builds keep I/O names only by default): the checks below find tensors by name. */
function convertNamed(src: Uint8Array, name: string, opts: { compress?: CompressOptions }): ConvertResult {
  return convertModel(src, name, { ...opts, compress: { names: 'all', ...opts.compress } });
}

test('canonical Huffman: hand-checked code for frequencies a:1 b:1 c:2', () => {
  const freq = new Array(256).fill(0);
  freq[97] = 1; freq[98] = 1; freq[99] = 2;
  const code = canonicalCode(codeLengths(freq));
  assert.equal([code.lengths[97], code.lengths[98], code.lengths[99]], [2, 2, 1]);
  assert.equal([code.codes[99], code.codes[97], code.codes[98]], [0b0, 0b10, 0b11]);
  assert.equal(code.counts.slice(0, 3), [0, 1, 2]);
});

test('canonical Huffman: lengths limited to 15 bits on Fibonacci frequencies, round trip', () => {
  const freq = new Array(256).fill(0);
  let a = 1, b = 1;
  for (let s = 0; s < 30; s++) { freq[s] = a; [a, b] = [b, a + b]; }
  const lengths = codeLengths(freq);
  assert.ok(Math.max(...lengths) <= MAX_CODE_BITS);
  assert.ok(lengths.reduce((k, l) => k + (l ? 2 ** -l : 0), 0) <= 1);
  const sym = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 30);
  const code = buildCode(sym);
  const w = new BitWriter();
  sym.forEach((s) => w.writeCode(code.codes[s], code.lengths[s]));
  assert.equal(Array.from(decodeSymbols(w.finish(0), 0, w.bit, code.counts, code.symbols, sym.length)), Array.from(sym));
});

test('k-means: exact when distinct values fit; linear init converges to [-50, 100]', () => {
  assert.equal(kmeansInt8(histogram([3, -7, 3, 120]), 4), [-7, 3, 120]);
  const v = [...new Array(10).fill(-100), ...new Array(10).fill(0), ...new Array(10).fill(100)];
  assert.equal(kmeansInt8(histogram(v), 2), [-50, 100]);
});

test('magnitude pruning zeros exactly the smallest |w|, ties by index', () => {
  assert.equal(Array.from(pruneSmallest(Int8Array.from([5, -1, 3, -3, 0, 2]), 3)), [5, 0, 3, -3, 0, 0]);
  assert.equal(Array.from(pruneSmallest(Int8Array.from([2, -2, 2, 9]), 2)), [0, 0, 2, 9]);
});

/** The same graph with every packed tensor stored as its decoded int8 values. */
function decodedPlain(r: ConvertResult): Uint8Array {
  const g: Graph = { ...r.graph, tensors: r.graph.tensors.map((t) => ({ ...t, packed: undefined, codebook: undefined })) };
  return emit(wideShifts(g)).epk; // a raw filter's op reads int32 shifts
}

/** The .epk's packed tensors decode (TS reference decoder) to the graph's int8 values. */
function assertBlobsDecode(r: ConvertResult): number {
  const epk = readEpk(r.epk);
  let packed = 0;
  for (const t of epk.tensors.filter((x) => x.packed)) {
    const g = r.graph.tensors.find((x) => x.name === t.name)!;
    const dw = r.graph.ops.some((o) => o.type === 'DEPTHWISE_CONV_2D' && g === r.graph.tensors[o.inputs[1]]);
    assert.equal(Array.from(tensorValues(epk, t, dw)), Array.from(g.data as Int8Array), `blob of ${t.name}`);
    packed++;
  }
  return packed;
}

async function assertExact(r: ConvertResult, inputs: Uint8Array[], what: string): Promise<void> {
  const plain = decodedPlain(r);
  for (const target of TARGETS) {
    const a = await loadModelNode(r.epk, target), b = await loadModelNode(plain, target);
    for (const [i, x] of inputs.entries()) {
      const ya = a.run(x)[0], yb = b.run(x)[0];
      assert.equal(Array.from(ya), Array.from(yb), `${what} ${target} input ${i}`);
    }
  }
}

/** Names all four filters of the small model, so even small-row filters get a codebook. */
const all = (bits: number) => ({ 0: bits, 1: bits, 2: bits, 3: bits });

const SMALL_VARIANTS: CompressOptions[] = [
  { huffman: true, pack: 'huffman' },
  ...[2, 3, 4, 5, 6, 7, 8].map((bits) => ({ codebookLayers: all(bits), pack: 'codebook' as const })),
  { codebookLayers: all(4), perChannelCodebook: true, pack: 'codebook' },
  { codebookLayers: all(3), pack: 'codebook+huffman' },
  { codebookLayers: all(4), perChannelCodebook: true, pack: 'codebook+huffman' },
  { prune: 0.5, codebook: 4, huffman: true },
  { codebook: 4, codebookLayers: { 0: 6, 3: 0 }, huffman: true },
];

test('exactness on a project-built model: every representation, both builds', async () => {
  const src = buildSmallModel();
  const inputs = [randomBytes(1152, 1), randomBytes(1152, 2)];
  for (const c of SMALL_VARIANTS) {
    const r = convertNamed(src, 'small', { compress: c });
    const packed = assertBlobsDecode(r);
    assert.ok(packed >= (c.pack ? 4 : 1), `${JSON.stringify(c)}: ${packed} packed tensors`);
    await assertExact(r, inputs, JSON.stringify(c));
  }
});

test('codebook bits: b-bit filters hold at most 2^b distinct values; pruning keeps exact zeros', () => {
  const src = buildSmallModel();
  for (const bits of [2, 3, 4]) {
    const r = convertNamed(src, 'small', { compress: { codebook: bits } });
    for (const t of r.graph.tensors.filter((x) => x.codebook)) assert.ok(new Set(t.data as Int8Array).size <= 2 ** bits, t.name);
    // dw rows hold 9 weights: shared only below 4 bits (2^3 = 8 < 9) unless named.
    assert.is(!!r.graph.tensors.find((t) => t.name === 'dw/w')!.codebook, bits < 4, `dw at ${bits} bits`);
  }
  const r = convertNamed(src, 'small', { compress: { prune: 0.5, codebook: 2 } });
  const fc = r.graph.tensors.find((t) => t.name === 'fc/w')!;
  assert.ok((fc.data as Int8Array).filter((v) => v === 0).length >= 8640 / 2);
});

test('structured pruning removes channels and rewires depthwise and the next conv', async () => {
  const r = convertNamed(buildSmallModel(), 'small', { compress: { structuredPrune: 0.25 } });
  const shape = (n: string) => r.graph.tensors.find((t) => t.name === n)!.shape;
  // conv1 has 16 filters: floor(0.25 * 16) = 4 go; dw and pw's input follow. pw feeds FC: kept.
  assert.equal(shape('conv1/w'), [12, 3, 3, 8]);
  assert.equal(shape('conv1/b'), [12]);
  assert.equal(shape('conv1/out'), [1, 12, 12, 12]);
  assert.equal(shape('dw/w'), [1, 3, 3, 12]);
  assert.equal(shape('dw/out'), [1, 6, 6, 12]);
  assert.equal(shape('pw/w'), [24, 1, 1, 12]);
  assert.equal(shape('fc/w'), [10, 864]);
  assert.equal(r.graph.tensors.find((t) => t.name === 'conv1/w')!.quant!.scale.length, 12);
  const c = convertNamed(buildSmallModel(), 'small', { compress: { structuredPrune: 0.25, codebook: 4, huffman: true } });
  assertBlobsDecode(c);
  await assertExact(c, [randomBytes(1152, 3)], 'structured + codebook');
});

test('scratch bytes: the largest Huffman tile and its widened int8 shifts and int16 biases, stated in the header', () => {
  const r = convertNamed(buildSmallModel(), 'small', { compress: { huffman: true, pack: 'huffman' } });
  const e = readEpk(r.epk);
  const tiles = e.tensors.filter((t) => t.packed).map((t) => t.packed!.tileBytes);
  // FC rows are 864 weights: floor(4096 / 864) = 4 rows = 3456 bytes per tile (16-aligned),
  // then the tile's 4 shifts widened to int32 (16 bytes) and its 4 int16 biases (16 bytes:
  // within the eighth narrow-shifts allows over the shifts alone)
  assert.is(Math.max(...tiles), 3456);
  assert.is(e.tensors.find((t) => t.name === 'fc/b')!.dtype, DType.Int16);
  assert.is(e.scratchBytes, 3456 + 16 + 16);
});

// --- hostile packed blobs ---------------------------------------------------------------

function tamper(epk: Uint8Array, edit: (v: DataView, blob: number, rec: number, e: ReturnType<typeof readEpk>) => void, name = 'fc/w'): Uint8Array {
  const out = epk.slice();
  const e = readEpk(epk);
  const t = e.tensors.find((x) => x.name === name)!;
  const data = e.sections.find((s) => s.kind === Section.Data)!.offset;
  const rec = e.sections.find((s) => s.kind === Section.Tensors)!.offset + t.index * TENSOR_RECORD_BYTES;
  const v = new DataView(out.buffer);
  edit(v, data + t.offset, rec, e);
  v.setUint32(H.crc32, crc32(out, 16), true);
  return out;
}

async function loadError(epk: Uint8Array): Promise<RuntimeError> {
  for (const target of TARGETS) {
    try {
      await loadModelNode(epk, target);
    } catch (err) {
      if (target === 'simd') return err as RuntimeError;
      continue;
    }
    assert.unreachable(`${target} loaded a hostile file`);
  }
  throw new Error('unreachable');
}

test('hostile packed blobs are refused at load with BAD_TENSOR / BAD_OP, both builds', async () => {
  const huff = convertNamed(buildSmallModel(), 'small', { compress: { codebookLayers: all(4), pack: 'codebook+huffman' } }).epk;
  const lut = convertNamed(buildSmallModel(), 'small', { compress: { codebookLayers: all(4), pack: 'codebook' } }).epk;
  const cases: [string, Uint8Array, ErrorCode, RegExp][] = [
    ['blob size past data', tamper(huff, (v, b) => v.setUint32(b + P.blobBytes, 0x7fffffff, true)), ErrorCode.BadTensor, /outside the data section/],
    ['bits 9', tamper(lut, (v, b) => v.setUint8(b + P.bits, 9)), ErrorCode.BadTensor, /bits must be 2..8/],
    ['rows off shape', tamper(lut, (v, b) => v.setUint32(b + P.rows, 11, true)), ErrorCode.BadTensor, /rows x row size/],
    ['tables count', tamper(lut, (v, b) => v.setUint16(b + P.tables, 3, true)), ErrorCode.BadTensor, /bits must be 2..8 with 1 table/],
    ['index stream short', tamper(lut, (v, b) => v.setUint32(b + P.payloadBytes, 100, true)), ErrorCode.BadTensor, /index stream is shorter/],
    ['tile past scratch', tamper(huff, (v, b) => v.setUint32(b + P.rowsPerTile, 10, true)), ErrorCode.BadTensor, /tile count|scratch/],
    ['over-subscribed code', tamper(huff, (v, b) => { const p = b + v.getUint32(b + P.payloadOff, true); v.setUint16(p + 2, 3, true); }), ErrorCode.BadTensor, /code table is invalid|tables run past/],
    ['tile bits past stream', tamper(huff, (v, b, _r, e) => {
      const p = b + v.getUint32(b + P.payloadOff, true);
      let nsym = 0;
      for (let l = 1; l <= 15; l++) nsym += v.getUint16(p + 2 * l, true);
      const tb = p + 32 + Math.ceil(nsym / 4) * 4;
      const tiles = v.getUint32(b + P.tileCount, true);
      v.setUint32(tb + 4 * tiles, 0x7fffffff, true);
      void e;
    }), ErrorCode.BadTensor, /past the stream/],
    ['stream cut short', tamper(huff, (v, b) => {
      const p = b + v.getUint32(b + P.payloadOff, true);
      let nsym = 0;
      for (let l = 1; l <= 15; l++) nsym += v.getUint16(p + 2 * l, true);
      const tb = p + 32 + Math.ceil(nsym / 4) * 4;
      v.setUint32(tb + 4, v.getUint32(tb + 4, true) - 5, true); // tile 0 ends 5 bits early
    }), ErrorCode.BadTensor, /out of order|does not decode/],
    ['packed activation', tamper(lut, (v, _b, rec) => v.setUint8(rec + T.encoding, 2)), ErrorCode.BadTensor, /unknown encoding/],
  ];
  for (const [what, file, code, message] of cases) {
    const err = await loadError(file);
    assert.instance(err, RuntimeError, what);
    assert.is(err.code, code, `${what}: ${err.message}`);
    assert.match(err.message, message, what);
  }
});

test('npy: parses a hand-built little-endian float64 array; rejects a bad magic', () => {
  const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }";
  const pad = 128 - 10 - header.length - 1; // header padded so data starts at byte 128
  const head = new TextEncoder().encode(header + ' '.repeat(pad) + '\n');
  const bytes = new Uint8Array(10 + head.length + 16);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, head.length, 0]);
  bytes.set(head, 10);
  new DataView(bytes.buffer).setFloat64(10 + head.length, 1.5, true);
  new DataView(bytes.buffer).setFloat64(18 + head.length, -2, true);
  const a = parseNpy(bytes);
  assert.equal(a.shape, [2, 1]);
  assert.equal(Array.from(a.data as Float64Array), [1.5, -2]);
  assert.throws(() => parseNpy(bytes.subarray(1)), (e: Error) => e instanceof NpyError && /magic/.test(e.message));
});

// --- the exactness guarantee on every shared model ----------------------------------------

const only = process.env.GOLDEN_MODELS?.split(',');
const SHARED_VARIANTS: CompressOptions[] = [
  { huffman: true }, { codebook: 4, huffman: true }, { prune: 0.5, codebook: 4, huffman: true },
  { structuredPrune: 0.25, codebook: 4, perChannelCodebook: true, huffman: true },
];

for (const g of goldenModels().filter((m) => !only || only.includes(m.name))) {
  test(`exactness ${g.name}: compressed == decoded weights converted plainly, both builds`, async () => {
    const src = readBytes(g.modelPath);
    const inputs = g.manifest.cases.slice(0, 2).map((c) => readBytes(join(g.dir, c.input)));
    for (const c of SHARED_VARIANTS) {
      const r = convertNamed(src, g.name, { compress: c });
      assertBlobsDecode(r);
      await assertExact(r, inputs, `${g.name} ${JSON.stringify(c)}`);
    }
  });
}

test.run();
