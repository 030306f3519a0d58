// Bad input gets its own clear error, in the converter and in the runtime: truncated
// files, flipped bytes, out-of-range offsets, unsupported ops -- and random mutations
// never trap the runtime.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { ErrorCode, H, Section, T } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { EpkError, readEpk } from '../src/format/reader.js';
import { ConvertError } from '../src/ir/graph.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { buildTinyCnn, xorshift32 } from '../src/testing/models.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';

const tflite = buildTinyCnn();
const { epk } = convertModel(tflite, 'tiny_cnn.tflite');

function resealed(bytes: Uint8Array): Uint8Array {
  const b = bytes.slice();
  new DataView(b.buffer).setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

function sectionOffset(kind: Section): number {
  return readEpk(epk).sections.find((s) => s.kind === kind)!.offset;
}

/** Expects the runtime (both builds) and the TS reader to reject `bytes` with `code`. */
async function rejects(bytes: Uint8Array, code: ErrorCode, pattern: RegExp, readerToo = true): Promise<void> {
  for (const target of ['scalar', 'simd'] as const) {
    try {
      await loadModelNode(bytes, target);
      assert.unreachable(`${target} accepted the file`);
    } catch (e) {
      assert.instance(e, RuntimeError, String(e));
      assert.is((e as RuntimeError).code, code, (e as Error).message);
      assert.match((e as Error).message, pattern);
    }
  }
  if (!readerToo) return;
  try {
    readEpk(bytes);
    assert.unreachable('reader accepted the file');
  } catch (e) {
    assert.instance(e, EpkError, String(e));
    assert.is((e as EpkError).code, code, (e as Error).message);
  }
}

test('runtime: truncated file', async () => {
  await rejects(epk.subarray(0, epk.length - 100), ErrorCode.Truncated, /truncated/);
  await rejects(epk.subarray(0, 20), ErrorCode.Truncated, /shorter than the 32-byte header/);
});

test('runtime: flipped byte fails the CRC', async () => {
  const b = epk.slice();
  b[b.length - 7] ^= 0x10;
  await rejects(b, ErrorCode.BadCrc, /CRC-32 mismatch.*byte offset 12/);
});

test('runtime: bad magic and version', async () => {
  const b = epk.slice();
  b[0] = 0x58;
  await rejects(b, ErrorCode.BadMagic, /not an \.epk/);
  const v = epk.slice();
  v[H.version] = 9;
  await rejects(v, ErrorCode.BadVersion, /version/);
});

test('runtime: out-of-range tensor offset', async () => {
  const b = epk.slice();
  const rec = sectionOffset(Section.Tensors) + 3 * 48; // some tensor record
  new DataView(b.buffer).setUint32(rec + T.offset, 0x7fff0000, true);
  await rejects(resealed(b), ErrorCode.BadTensor, new RegExp(`outside the (arena|data section).*byte offset ${rec}`));
});

test('runtime: unsupported opcode', async () => {
  const b = epk.slice();
  const firstOp = sectionOffset(Section.Ops) + 4;
  new DataView(b.buffer).setUint16(firstOp, 99, true);
  await rejects(resealed(b), ErrorCode.UnsupportedOp, /op 0 .*unknown opcode/);
});

test('runtime: op tensor index beyond the table, and inconsistent shapes', async () => {
  const b = epk.slice();
  const firstOp = sectionOffset(Section.Ops) + 4;
  new DataView(b.buffer).setUint16(firstOp + 8, 5000, true);
  await rejects(resealed(b), ErrorCode.BadOp, /beyond the tensor table/);
  // point the stem conv at another layer's filter: every tensor is valid, the op's shapes are not
  const c = epk.slice();
  const parsed = readEpk(epk);
  const other = parsed.ops.find((o) => o.index > 0 && o.opcode === parsed.ops[0].opcode)!;
  new DataView(c.buffer).setUint16(parsed.ops[0].at + 8 + 2, other.inputs[1], true);
  await rejects(resealed(c), ErrorCode.BadShape, /op 0 \(CONV_2D\)/, false);
});

test('runtime: 2000 random mutations never trap (load fails cleanly or invoke runs)', async () => {
  const rand = xorshift32(1234);
  let rejected = 0;
  for (let i = 0; i < 2000; i++) {
    const b = epk.slice();
    const flips = 1 + (rand() % 4);
    for (let f = 0; f < flips; f++) b[32 + (rand() % (b.length - 32))] ^= 1 << (rand() % 8);
    const target = i % 2 ? 'simd' : 'scalar';
    try {
      const m = await loadModelNode(resealed(b), target);
      // a mutated I/O list may name another tensor as the input: feed what the model asks for
      m.run(...Array.from({ length: m.inputCount }, (_, k) => new Uint8Array(m.inputBytes(k))));
    } catch (e) {
      assert.instance(e, RuntimeError, `mutation ${i}: ${e}`);
      rejected++;
    }
  }
  assert.ok(rejected > 0);
});

function convertFails(bytes: Uint8Array, pattern: RegExp): void {
  try {
    convertModel(bytes, 'bad.tflite');
    assert.unreachable('converter accepted the model');
  } catch (e) {
    assert.instance(e, ConvertError, String(e));
    assert.match((e as Error).message, pattern);
  }
}

test('converter: truncated, non-TFLite and corrupted models', () => {
  convertFails(tflite.subarray(0, 3000), /bad\.tflite: .*out of file bounds.*byte offset \d+/);
  convertFails(tflite.subarray(0, 5), /too short/);
  const b = tflite.slice();
  b[5] ^= 0x20;
  convertFails(b, /not a TFLite model \(file identifier/);
  const c = tflite.slice();
  new DataView(c.buffer).setUint32(0, c.length + 100, true); // root table offset out of bounds
  convertFails(c, /out of file bounds/);
});

test('converter: out-of-range buffer and tensor indices', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4], 'int8', { scale: [1], zeroPoint: [0] });
  const y = b.tensor('y', [1, 4], 'int8', { scale: [1], zeroPoint: [0] });
  b.op('ADD', [x, 7], [y]);
  b.io([x], [y]);
  convertFails(b.finish(), /op 0 \(ADD\) input 1 refers to tensor 7, but there are 2/);
});

test('converter: unsupported op is named with its index', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4], 'int8', { scale: [1], zeroPoint: [0] });
  const y = b.tensor('y', [1, 4], 'int8', { scale: [1], zeroPoint: [0] });
  const z = b.tensor('z', [1, 4], 'int8', { scale: [1], zeroPoint: [0] });
  b.op('ADD', [x, x], [y]);
  b.op('LOG', [y], [z]);
  b.io([x], [z]);
  convertFails(b.finish(), /op 1 \(LOG\) is not supported; supported ops: CONV_2D/);
});

test('converter: inconsistent shapes name the op and tensor', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4, 4, 2], 'int8', { scale: [1], zeroPoint: [0] });
  const w = b.constant('w', [3, 3, 3, 5], 'int8', new Array(135).fill(1), { scale: [1], zeroPoint: [0] });
  const y = b.tensor('y', [1, 4, 4, 3], 'int8', { scale: [1], zeroPoint: [0] });
  b.op('CONV_2D', [x, w], [y], { padding: 'SAME' });
  b.io([x], [y]);
  convertFails(b.finish(), /op 0 \(CONV_2D\): filter "w" has 5 input channels, which does not divide the input's 2/);
});

test.run();
