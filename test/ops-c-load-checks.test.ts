// Load-time checks of group c's ops (LOG_SOFTMAX; assembly/ops.ts), the same in every build: a
// converted model with one param edited (CRC resealed) is refused by simd, scalar, streamed and
// the WASI command with the same code and message. Also what the converter refuses by name (output
// quantization other than 16/256 and 127, input scales at or below 2^-26).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { ErrorCode, H, OpCode } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { logSoftmaxModel } from '../src/testing/ops-c-models.js';
import { WASI } from 'node:wasi';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './helpers.js';
import { BIG, builds, refusedEverywhereAndWasi, runWasi as runWasiWith } from './load-check-harness.js';

const convert = (m: Uint8Array) => convertModel(m, 'ops-c.tflite', { log: () => {} }).epk;
const epk = convert(logSoftmaxModel([3, 8], Math.fround(0.05), -4));
const e = readEpk(epk);
const op = (code: OpCode): EpkOp => e.ops.find((o) => o.opcode === code)!;
const paramAt = (o: EpkOp, k: number) => o.at + 8 + ((2 * (o.inputs.length + o.outputs.length) + 3) & ~3) + 4 * k;

function edited(edits: [o: EpkOp, k: number, v: number][]): Uint8Array {
  const b = epk.slice();
  const v = new DataView(b.buffer);
  for (const [o, k, value] of edits) v.setInt32(paramAt(o, k), value, true);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

const WASI_INPUT = 24; // bytes of the model's input
const runWasi = (b: Uint8Array) => runWasiWith(b, WASI_INPUT);
const refusedEverywhere = (b: Uint8Array, code: ErrorCode, pattern: RegExp) => refusedEverywhereAndWasi(b, code, pattern, WASI_INPUT);

test('the unedited LOG_SOFTMAX model loads, its params are TFLM\'s Prepare, and it gives the same bytes in every build', async () => {
  assert.equal(e.ops.map((o) => o.opcode), [OpCode.LogSoftmax]);
  // fround(0.05) * 2^26 = (1717986944 / 2^31) * 2^22; reverse divisor 2^9 / 1717986944 = (1342177260 / 2^31) * 2^-21;
  // diff_min = -floor(31 * 2^26 / 2^22)
  const l = op(OpCode.LogSoftmax);
  assert.equal(l.params, [1717986944, 22, 1342177260, -21, -496]);
  const x = new Uint8Array(24).map((_, i) => (i * 53) & 0xff);
  const outs = await Promise.all(builds.map(async ([, load]) => Array.from((await load(epk)).run(x)[0])));
  assert.is(outs[0].length, 24);
  assert.ok(new Set(outs[0]).size > 3, 'the output varies with the input');
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
  const w = await runWasi(epk);
  assert.equal([w.exit, w.stderr], [0, '']);
});

test('LOG_SOFTMAX: multipliers, shifts and diff_min out of range: BAD_OP everywhere', async () => {
  const l = op(OpCode.LogSoftmax);
  await refusedEverywhere(edited([[l, 0, 12345]]), ErrorCode.BadOp, /op 0 \(LOG_SOFTMAX\).*input multiplier not 0 nor in/);
  await refusedEverywhere(edited([[l, 1, 0]]), ErrorCode.BadOp, /op 0 \(LOG_SOFTMAX\).*left shift not in \[1, 31\]/);
  await refusedEverywhere(edited([[l, 1, 32]]), ErrorCode.BadOp, /op 0 \(LOG_SOFTMAX\).*left shift not in \[1, 31\]/);
  await refusedEverywhere(edited([[l, 2, -7]]), ErrorCode.BadOp, /op 0 \(LOG_SOFTMAX\).*reverse multiplier or shift/);
  await refusedEverywhere(edited([[l, 3, 1]]), ErrorCode.BadOp, /op 0 \(LOG_SOFTMAX\).*reverse multiplier or shift/);
  await refusedEverywhere(edited([[l, 3, -32]]), ErrorCode.BadOp, /op 0 \(LOG_SOFTMAX\).*reverse multiplier or shift/);
  await refusedEverywhere(edited([[l, 4, 1]]), ErrorCode.BadOp, /op 0 \(LOG_SOFTMAX\).*diff_min above 0/);
});

test('converter: LOG_SOFTMAX output quantization other than 16/256 and 127, and input scales at or below 2^-26 (the scaled multiplier must exceed 1), refused naming the op', () => {
  assert.throws(() => convert(logSoftmaxModel([4], 0.05, 0, { scale: [1 / 256], zeroPoint: [-128] })), /op 0 \(LOG_SOFTMAX\).*scale 16\/256 and zero point 127/);
  assert.throws(() => convert(logSoftmaxModel([4], 0.05, 0, { scale: [16 / 256], zeroPoint: [0] })), /op 0 \(LOG_SOFTMAX\).*scale 16\/256 and zero point 127/);
  assert.throws(() => convert(logSoftmaxModel([4], 2 ** -27, 0)), /op 0 \(LOG_SOFTMAX\).*too small/);
  assert.throws(() => convert(logSoftmaxModel([4], 2 ** -26, 0)), /op 0 \(LOG_SOFTMAX\).*too small/);
  assert.throws(() => convert(logSoftmaxModel([4], 0.05, 0, { scale: [0.05], zeroPoint: [0] })), /op 0 \(LOG_SOFTMAX\).*scale 16\/256/);
});

test.run();
