// Load-time checks identical in every build (issue 13, docs/FORMAT.md "What the loader
// checks"): each fuzz finding class of the .epk campaign, rebuilt as a small edit of the
// tiny CNN (src/testing/models.ts) with the CRC resealed, is refused by simd, scalar and
// streamed with the same error code (before: simd and scalar gave different bytes, or one
// build loaded what another refused, or a 4 GiB arena loaded).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { ErrorCode, H, OpCode, Section, T } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type Epk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError, loadModel } from '../src/runtime/loader.js';
import { readFileSync } from 'node:fs';
import { kernelMask, kernelNames } from '../src/format/kernels.js';
import { runtimeForKernels } from '../tools/firmware/build.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { buildDepthwise8, buildTinyCnn } from '../src/testing/models.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { encodeBlob } from '../src/format/packed.js';

const epk = convertModel(buildTinyCnn(), 'tiny').epk;
const e = readEpk(epk);
const BIG = 2 ** 40; // host limit out of the way: the runtime's own checks answer
const smallest = (await loadModelStreamed(epk)).memory().stageMinBytes;

type Edit = (v: DataView, e: Epk) => void;

function edited(edit: Edit, from = epk): Uint8Array {
  const b = from.slice();
  const v = new DataView(b.buffer);
  edit(v, readEpk(from));
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

const builds: [string, (b: Uint8Array) => Promise<unknown>][] = [
  ['simd', (b) => loadModelNode(b, 'simd', BIG)],
  ['scalar', (b) => loadModelNode(b, 'scalar', BIG)],
  ['streamed', (b) => loadModelStreamed(b, 0, streamedModule(), { maxMemory: BIG })],
  ['streamed, smallest stage', (b) => loadModelStreamed(b, smallest, streamedModule(), { maxMemory: BIG })],
];

/** Every build refuses `b` with `code` (message matching `pattern`) within `ms`. */
async function refusedEverywhere(b: Uint8Array, code: ErrorCode, pattern: RegExp, ms = 1000): Promise<void> {
  for (const [name, load] of builds) {
    const start = Date.now();
    try {
      await load(b);
      assert.unreachable(`${name} loaded it`);
    } catch (err) {
      assert.instance(err, RuntimeError, `${name}: ${String(err)}`);
      assert.is((err as RuntimeError).code, code, `${name}: ${(err as Error).message}`);
      assert.match((err as Error).message, pattern, `${name}: ${(err as Error).message}`);
    }
    assert.ok(Date.now() - start < ms, `${name} took ${Date.now() - start} ms`);
  }
}

const op = (code: OpCode, packed?: boolean): EpkOp =>
  e.ops.find((o) => o.opcode === code && (packed === undefined || (o.inputs.length === 4) === packed))!;
/** File offset of param k of op o. */
const paramAt = (o: EpkOp, k: number) => o.at + 8 + ((2 * (o.inputs.length + o.outputs.length) + 3) & ~3) + 4 * k;
const dataAt = (t: number) => e.sections.find((s) => s.kind === Section.Data)!.offset + e.tensors[t].offset;
const tensorAt = (t: number) => e.sections.find((s) => s.kind === Section.Tensors)!.offset + 48 * t;

test('the unedited model loads in every build', async () => {
  for (const [, load] of builds) await load(epk);
  assert.ok(op(OpCode.Conv2D, true), 'a packed conv (requant table)');
  assert.ok(op(OpCode.DepthwiseConv2D, false), 'a plain depthwise (mult/shift tensors)');
});

test('activation bounds outside int8 or min > max: BAD_OP everywhere (was: simd and scalar disagreed)', async () => {
  const conv = op(OpCode.Conv2D, true);
  await refusedEverywhere(edited((v) => v.setInt32(paramAt(conv, 9), 128, true)), ErrorCode.BadOp, /op 0 \(CONV_2D\).*activation bounds/);
  await refusedEverywhere(edited((v) => v.setInt32(paramAt(conv, 8), -129, true)), ErrorCode.BadOp, /activation bounds/);
  await refusedEverywhere(edited((v) => { v.setInt32(paramAt(conv, 8), 10, true); v.setInt32(paramAt(conv, 9), 9, true); }), ErrorCode.BadOp, /activation bounds/);
  const fc = op(OpCode.FullyConnected);
  await refusedEverywhere(edited((v) => v.setInt32(paramAt(fc, 3), 129, true)), ErrorCode.BadOp, /FULLY_CONNECTED.*activation bounds/);
  const pool = op(OpCode.AveragePool2D);
  await refusedEverywhere(edited((v) => v.setInt32(paramAt(pool, 6), 200, true)), ErrorCode.BadOp, /AVERAGE_POOL_2D.*activation bounds/);
});

test('zero points, offsets and multipliers of op params out of range: BAD_OP everywhere', async () => {
  const conv = op(OpCode.Conv2D, true), add = op(OpCode.Add), softmax = op(OpCode.Softmax);
  await refusedEverywhere(edited((v) => v.setInt32(paramAt(conv, 6), 300, true)), ErrorCode.BadOp, /input offset/);
  await refusedEverywhere(edited((v) => v.setInt32(paramAt(conv, 7), -129, true)), ErrorCode.BadOp, /output offset/);
  await refusedEverywhere(edited((v) => v.setInt32(paramAt(add, 3), 31, true)), ErrorCode.BadOp, /ADD.*left shift/);
  await refusedEverywhere(edited((v) => v.setInt32(paramAt(add, 4), -5, true)), ErrorCode.BadOp, /ADD.*multiplier/);
  await refusedEverywhere(edited((v) => v.setInt32(paramAt(add, 9), 40, true)), ErrorCode.BadOp, /ADD.*shift/);
  await refusedEverywhere(edited((v) => v.setInt32(paramAt(softmax, 2), 5, true)), ErrorCode.BadOp, /SOFTMAX.*diff_min/);
});

test('requant table entries the converter cannot write: BAD_OP everywhere, streamed reads them through ep_read', async () => {
  const conv = op(OpCode.Conv2D, true), table = dataAt(conv.inputs[3]);
  // lane 0 multiplier below 2^30; lane 1's 2^left not a power of two; lane 2: e = 32; left and e both set
  await refusedEverywhere(edited((v) => v.setInt32(table, (1 << 30) - 1, true)), ErrorCode.BadOp, /op 0 \(CONV_2D\).*requant table multiplier/);
  await refusedEverywhere(edited((v) => v.setInt32(table + 16 + 4, 3, true)), ErrorCode.BadOp, /requant table shift entries/);
  await refusedEverywhere(edited((v) => v.setInt32(table + 32 + 8, 1023 - 32, true)), ErrorCode.BadOp, /requant table shift entries/);
  await refusedEverywhere(edited((v) => { v.setInt32(table + 16, 2, true); v.setInt32(table + 32, 1022, true); }), ErrorCode.BadOp, /requant table shift entries/);
});

test('plain mult/shift tensors out of range: BAD_OP everywhere', async () => {
  const dw = op(OpCode.DepthwiseConv2D, false);
  await refusedEverywhere(edited((v) => v.setInt32(dataAt(dw.inputs[3]) + 4, 12345, true)), ErrorCode.BadOp, /DEPTHWISE_CONV_2D.*multiplier/);
  await refusedEverywhere(edited((v) => v.setInt32(dataAt(dw.inputs[4]), -32, true)), ErrorCode.BadOp, /DEPTHWISE_CONV_2D.*shift/);
});

test('arena_bytes or scratch_bytes above need: refused in microseconds, no 32-bit wrap (was: 4 GiB loaded, streamed stage over the arena)', async () => {
  await refusedEverywhere(edited((v) => v.setUint32(H.arenaBytes, 0xffffffff, true)), ErrorCode.BadSection, /arena_bytes is larger/, 200);
  await refusedEverywhere(edited((v, x) => v.setUint32(H.arenaBytes, x.arenaBytes + 4096, true)), ErrorCode.BadSection, /arena_bytes is larger/);
  await refusedEverywhere(edited((v) => v.setUint32(H.scratchBytes, 0xfffffff0, true)), ErrorCode.BadSection, /scratch_bytes is larger/, 200);
  await refusedEverywhere(edited((v, x) => v.setUint32(H.scratchBytes, x.scratchBytes + 32, true)), ErrorCode.BadSection, /scratch_bytes is larger/);
  // a smaller arena than a tensor's end is still refused as before
  await refusedEverywhere(edited((v, x) => v.setUint32(H.arenaBytes, x.arenaBytes - 16, true)), ErrorCode.BadTensor, /outside the arena/);
});

test('section layout: one rule for every build (was: only streamed refused Data before the metadata)', async () => {
  // Data moved before the Tensors section: the file rebuilt with sections in order Data, Tensors, Ops, IO, Strings
  const order = [Section.Data, Section.Tensors, Section.Ops, Section.IO, Section.Strings];
  const bodies = order.map((k) => { const s = e.sections.find((x) => x.kind === k)!; return { k, bytes: epk.subarray(s.offset, s.offset + s.size) }; });
  let at = 32 + 16 * order.length;
  const placed = bodies.map((b) => { at = (at + 15) & ~15; const p = { ...b, offset: at }; at += b.bytes.length; return p; });
  const file = new Uint8Array((at + 15) & ~15);
  file.set(epk.subarray(0, 32));
  const v = new DataView(file.buffer);
  placed.forEach((p, i) => {
    v.setUint32(32 + 16 * i, p.k, true);
    v.setUint32(32 + 16 * i + 4, p.offset, true);
    v.setUint32(32 + 16 * i + 8, p.bytes.length, true);
    file.set(p.bytes, p.offset);
  });
  v.setUint32(H.fileBytes, file.length, true);
  v.setUint32(H.crc32, crc32(file, 16), true);
  await refusedEverywhere(file, ErrorCode.BadSection, /Data section must start after/);
  // Strings overlapping the Tensors section
  const tensors = e.sections.findIndex((s) => s.kind === Section.Tensors), strings = e.sections.findIndex((s) => s.kind === Section.Strings);
  await refusedEverywhere(edited((w) => w.setUint32(32 + 16 * strings + 4, e.sections[tensors].offset, true)), ErrorCode.BadSection, /sections overlap/);
});

test('an op whose output tensor is also its input: BAD_OP everywhere (was: streamed trapped, tiling narrowed both)', async () => {
  const conv = op(OpCode.Conv2D, true);
  await refusedEverywhere(edited((v) => v.setUint16(conv.at + 8 + 2 * conv.inputs.length, conv.inputs[0], true)), ErrorCode.BadOp, /output tensor is also one of its inputs/);
});

test('flags and reserved fields: the same answer in every build', async () => {
  await refusedEverywhere(edited((v) => v.setUint16(18, 1, true)), ErrorCode.BadVersion, /flags/);
  await refusedEverywhere(edited((v) => v.setUint32(28, 1, true)), ErrorCode.BadVersion, /reserved/);
  await refusedEverywhere(edited((v) => v.setUint32(32 + 12, 7, true)), ErrorCode.BadSection, /reserved/);
  await refusedEverywhere(edited((v) => v.setUint8(tensorAt(0) + 3, 1)), ErrorCode.BadTensor, /flags/);
  await refusedEverywhere(edited((v) => v.setUint8(tensorAt(0) + T.encoding + 2, 1)), ErrorCode.BadTensor, /reserved/);
});

// Blocked filters ([oc4/4][K8/8][4][8]) pad each row from K to K8 taps with zeros. The kernels
// rely on it (a direct GEMM row runs into the next pixel's bytes, the SIMD lanes GEMM stops at
// K), so an edited file with nonzero padding taps is refused, as is a blocked filter that is not
// a raw constant.

/** File offset of the byte holding tap k of channel o in blocked filter t ([oc4/4][K8/8][4][8]). */
function blockedAt(x: Epk, t: number, o: number, k: number): number {
  const k8 = x.tensors[t].shape[1];
  return x.sections.find((s) => s.kind === Section.Data)!.offset + x.tensors[t].offset + Math.floor(o / 4) * 4 * k8 + Math.floor(k / 8) * 32 + (o % 4) * 8 + (k % 8);
}

const quiet = { log: () => {} };
const PADDING = /nonzero weight in the taps that pad a row from K to K8/;

/** x [1, depth] -> FC to 6 outputs, converted to the blocked layout. */
function blockedFc(depth: number): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, depth], 'int8', { scale: [0.02], zeroPoint: [-3] });
  const w = b.constant('w', [6, depth], 'int8', Array.from({ length: 6 * depth }, (_, i) => ((i * 37) % 251) - 125), { scale: [0.01], zeroPoint: [0] });
  const y = b.tensor('y', [1, 6], 'int8', { scale: [0.05], zeroPoint: [3] });
  b.op('FULLY_CONNECTED', [x, w], [y], { activation: 'NONE' });
  b.io([x], [y]);
  return convertModel(b.finish(), 'fc.tflite', quiet).epk;
}

/** A 3x3 conv over 3 channels (K 27, K8 32), SAME: inside pixels take the SIMD build's RGB patch path. */
function rgbConv(stride: number, oc: number): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 9, 9, 3], 'int8', { scale: [0.02], zeroPoint: [-3] });
  const w = b.constant('w', [oc, 3, 3, 3], 'int8', Array.from({ length: oc * 27 }, (_, i) => ((i * 53) % 253) - 126), { scale: Array(oc).fill(0.01), zeroPoint: Array(oc).fill(0), axis: 0 });
  const side = Math.ceil(9 / stride);
  const y = b.tensor('y', [1, side, side, oc], 'int8', { scale: [0.05], zeroPoint: [3] });
  b.op('CONV_2D', [x, w], [y], { padding: 'SAME', strideH: stride, strideW: stride, activation: 'NONE' });
  b.io([x], [y]);
  return convertModel(b.finish(), 'rgb.tflite', quiet).epk;
}

test('a blocked conv rewired to an input of fewer channels, its padding taps now nonzero: BAD_OP everywhere (fuzz finding; was: simd and scalar disagreed)', async () => {
  // op 3, a 1x1 conv packed for K = 8 (stem, 1x8x8x8), rewired to the 3-channel image: K 3, K8 still 8
  const shortcut = e.ops[3];
  assert.is(shortcut.opcode, OpCode.Conv2D);
  assert.equal(e.tensors[0].shape, [1, 16, 16, 3]);
  await refusedEverywhere(edited((v) => v.setUint16(shortcut.at + 8, 0, true)), ErrorCode.BadOp, /op 3 \(CONV_2D\).*nonzero weight in the taps/);
});

test('blocked conv and FC with a nonzero padding tap: BAD_OP everywhere; the last real tap edited still loads and the builds agree', async () => {
  for (const [stride, oc] of [[1, 8], [2, 5], [1, 3]]) {
    const file = rgbConv(stride, oc), x = readEpk(file);
    const conv = x.ops.find((o) => o.opcode === OpCode.Conv2D && o.inputs.length === 4)!;
    for (const [o, k] of [[0, 27], [oc - 1, 31], [Math.min(2, oc - 1), 29]]) {
      await refusedEverywhere(edited((v) => v.setInt8(blockedAt(x, conv.inputs[1], o, k), 1), file), ErrorCode.BadOp, PADDING);
    }
  }
  for (const depth of [12, 1, 17]) {
    const file = blockedFc(depth), x = readEpk(file);
    const fc = x.ops.find((o) => o.opcode === OpCode.FullyConnected)!;
    assert.is(fc.inputs.length, 4, 'the converter chose the blocked layout');
    const k8 = Math.ceil(depth / 8) * 8;
    await refusedEverywhere(edited((v) => v.setInt8(blockedAt(x, fc.inputs[1], 5, k8 - 1), -1), file), ErrorCode.BadOp, /op 0 \(FULLY_CONNECTED\).*nonzero weight in the taps/);
    const real = edited((v) => v.setInt8(blockedAt(x, fc.inputs[1], 5, depth - 1), 77), file);
    const input = Uint8Array.from({ length: depth }, (_, i) => (i * 91) & 255);
    const outs = await Promise.all(builds.map(async ([, load]) => Array.from(((await load(real)) as { run(x: Uint8Array): Uint8Array[] }).run(input)[0])));
    outs.forEach((out, i) => assert.equal(out, outs[0], `${builds[i][0]}: output of the file with the last real tap edited`));
  }
});

/** `file` with tensor t's bytes replaced by `blob` (zero-padded) and its encoding set to packed (1). */
function withBlob(file: Uint8Array, t: number, blob: Uint8Array): Uint8Array {
  const x = readEpk(file), at = x.sections.find((s) => s.kind === Section.Data)!.offset + x.tensors[t].offset;
  assert.ok(blob.length <= x.tensors[t].bytes, 'the blob fits in place');
  return edited((v) => {
    new Uint8Array(v.buffer).fill(0, at, at + x.tensors[t].bytes).set(blob, at);
    v.setUint8(x.sections.find((s) => s.kind === Section.Tensors)!.offset + 48 * t + T.encoding, 1);
  }, file);
}

test('a compressed filter in the packed layout (conv, FC, depthwise), or a blocked filter not a constant: BAD_OP everywhere (was: a divide-by-zero trap; the depthwise ran on its requant table as multipliers)', async () => {
  const COMPRESSED = /needs the plain layout/;
  // a codebook blob of the stem's shape ([8, 32], one row per output channel) in place of its blocked filter
  const stem = e.ops[0].inputs[1];
  assert.equal(e.tensors[stem].shape, [8, 32]);
  const cb = (rows: number, n: number) => encodeBlob({ rows, rowElems: n / rows, channelLast: false }, new Int8Array(n), { bits: 2, tables: Int8Array.from([1, -1, 2, -2]), tableCount: 1, indices: Uint8Array.from({ length: n }, (_, i) => i % 4) }, false);
  const spliced = withBlob(epk, stem, cb(8, 256));
  await refusedEverywhere(spliced, ErrorCode.BadOp, /op 0 \(CONV_2D\).*needs the plain layout/);
  // the same for the blocked FC (logits, [12, 16]) and a packed-layout depthwise ([1, 3, 3, 8], channel last)
  const logits = e.ops.find((o) => o.opcode === OpCode.FullyConnected)!;
  await refusedEverywhere(withBlob(epk, logits.inputs[1], cb(12, 192)), ErrorCode.BadOp, COMPRESSED);
  const dw = convertModel(buildDepthwise8(), 'dw.tflite', quiet).epk, xd = readEpk(dw), dwOp = xd.ops.find((o) => o.opcode === OpCode.DepthwiseConv2D)!;
  assert.is(dwOp.inputs.length, 4, 'the converter chose the packed layout');
  const dwBlob = encodeBlob({ rows: 8, rowElems: 9, channelLast: true }, new Int8Array(72), { bits: 2, tables: Int8Array.from([1, -1, 2, -2]), tableCount: 1, indices: Uint8Array.from({ length: 72 }, (_, i) => i % 4) }, false);
  await refusedEverywhere(withBlob(dw, dwOp.inputs[1], dwBlob), ErrorCode.BadOp, /op 0 \(DEPTHWISE_CONV_2D\).*needs the plain layout/);
  // runtimes built for the tiny CNN's own kernels (no compressed-filter kernel) refuse it the same way
  const mask = kernelMask(e);
  assert.not.ok(kernelNames(mask).some((k) => /codebook|huffman/.test(k)));
  for (const mode of ['resident', 'streamed'] as const) {
    const wasm = readFileSync(runtimeForKernels(mode, mask));
    try {
      await (mode === 'resident' ? loadModel(wasm, spliced) : loadModelStreamed(spliced, 0, new WebAssembly.Module(wasm)));
      assert.unreachable(`the ${mode} runtime of the tiny CNN's kernels loaded it`);
    } catch (err) {
      assert.instance(err, RuntimeError, String(err));
      assert.is((err as RuntimeError).code, ErrorCode.BadOp, (err as Error).message);
      assert.match((err as Error).message, COMPRESSED);
    }
  }
  // the stem's filter as an arena tensor (kind 0) at arena offset 0
  await refusedEverywhere(edited((v) => { v.setUint8(tensorAt(stem) + T.kind, 0); v.setUint32(tensorAt(stem) + T.offset, 0, true); }), ErrorCode.BadOp, /op 0 \(CONV_2D\).*blocked filter must be a constant tensor/);
});

test.run();
