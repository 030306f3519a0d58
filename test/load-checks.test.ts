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
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { buildTinyCnn } from '../src/testing/models.js';

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

test.run();
