// Load-time checks of row OTHER_S16 (assembly/ops-other-s16.ts): an int16 AVERAGE_POOL_2D ->
// MEAN -> SOFTMAX model with one field edited (CRC resealed) is refused by simd, scalar,
// streamed and the WASI command with the same code and message, never run into a trap; random edits load and run
// to the same bytes everywhere, or are refused alike.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { REPO } from './helpers.js';
import { convertModel } from '../src/convert.js';
import { ErrorCode, H, OpCode, Section, T, TENSOR_RECORD_BYTES } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { rng } from './tflm-oracle.js';
import { BIG, builds, refusedEverywhereAndWasi, runWasi as runWasiWith } from './load-check-harness.js';

const q16 = (scale: number) => ({ scale: [Math.fround(scale)], zeroPoint: [0] });

function model(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4, 4, 3], 'int16', q16(0.001));
  const p = b.tensor('p', [1, 2, 2, 3], 'int16', q16(0.001));
  b.op('AVERAGE_POOL_2D', [x], [p], { padding: 'VALID', strideH: 2, strideW: 2, filterH: 2, filterW: 2, activation: 'RELU' });
  const axis = b.constant('axis', [2], 'int32', [1, 2]);
  const m = b.tensor('m', [1, 3], 'int16', q16(0.0007));
  b.op('MEAN', [p, axis], [m], {});
  const y = b.tensor('y', [1, 3], 'int16', q16(1 / 32768));
  b.op('SOFTMAX', [m], [y], { beta: 1 });
  b.io([x], [y]);
  return b.finish();
}

const epk = convertModel(model(), 'other16.tflite', { log: () => {} }).epk;
const e = readEpk(epk);
const opOf = (code: OpCode): [number, EpkOp] => { const i = e.ops.findIndex((o) => o.opcode === code); return [i, e.ops[i]]; };
const paramAt = (op: EpkOp, k: number) => op.at + 8 + ((2 * (op.inputs.length + op.outputs.length) + 3) & ~3) + 4 * k;
const inputAt = (op: EpkOp, k: number) => op.at + 8 + 2 * k;
const recordAt = (t: number) => e.sections.find((s) => s.kind === Section.Tensors)!.offset + t * TENSOR_RECORD_BYTES;

function edited(code: OpCode, params: [k: number, v: number][], raw: [at: number, v: number, bytes?: 1 | 2 | 4][] = []): Uint8Array {
  const b = epk.slice();
  const v = new DataView(b.buffer);
  const [, op] = opOf(code);
  for (const [k, value] of params) v.setInt32(paramAt(op, k), value, true);
  for (const [at, value, n] of raw) n === 1 ? v.setUint8(at, value) : n === 2 ? v.setUint16(at, value, true) : v.setInt32(at, value, true);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

const WASI_INPUT = 96; // bytes of the model's input
const runWasi = (b: Uint8Array) => runWasiWith(b, WASI_INPUT);
const refusedEverywhere = (b: Uint8Array, code: ErrorCode, pattern: RegExp) => refusedEverywhereAndWasi(b, code, pattern, WASI_INPUT);

test('the unedited model loads in every build', async () => {
  for (const [, load] of builds) await load(epk);
});

test('int16 SOFTMAX: multiplier, shift, param 2, tables: refused alike', async () => {
  const [i, sm] = opOf(OpCode.Softmax);
  const at = new RegExp(`op ${i} \\(SOFTMAX\\)`);
  const name = (re: string) => new RegExp(`${at.source}.*${re}`);
  await refusedEverywhere(edited(OpCode.Softmax, [[0, 5]]), ErrorCode.BadOp, name('int16 softmax: multiplier not 0 nor in'));
  await refusedEverywhere(edited(OpCode.Softmax, [[1, 16]]), ErrorCode.BadOp, name('shift not in \\[-31, 15\\]'));
  await refusedEverywhere(edited(OpCode.Softmax, [[2, -1]]), ErrorCode.BadOp, name('param 2 not 0'));
  await refusedEverywhere(edited(OpCode.Softmax, [], [[inputAt(sm, 1), sm.inputs[0], 2]]), ErrorCode.BadShape, name('two int16 tables of 513 entries'));
  await refusedEverywhere(edited(OpCode.Softmax, [], [[recordAt(sm.inputs[0]) + T.zeroPoint, 1]]), ErrorCode.BadShape, /zero point 0/);
});

test('int16 pooling and MEAN: params refused alike', async () => {
  const [ip] = opOf(OpCode.AveragePool2D), [im] = opOf(OpCode.Mean);
  const pool = (re: string) => new RegExp(`op ${ip} \\(AVERAGE_POOL_2D\\).*${re}`), mean = (re: string) => new RegExp(`op ${im} \\(MEAN\\).*${re}`);
  await refusedEverywhere(edited(OpCode.AveragePool2D, [[2, 0]]), ErrorCode.BadOp, pool('strides and filter must be >= 1'));
  await refusedEverywhere(edited(OpCode.AveragePool2D, [[2, 300], [3, 300]]), ErrorCode.BadOp, pool('windows hold at most 65536'));
  await refusedEverywhere(edited(OpCode.AveragePool2D, [[6, 10], [7, 5]]), ErrorCode.BadOp, pool('activation bounds must lie in \\[-32768, 32767\\]'));
  await refusedEverywhere(edited(OpCode.AveragePool2D, [[7, 40000]]), ErrorCode.BadOp, pool('activation bounds'));
  await refusedEverywhere(edited(OpCode.AveragePool2D, [[4, -1]]), ErrorCode.BadOp, pool('padding out of range'));
  await refusedEverywhere(edited(OpCode.Mean, [[0, 16]]), ErrorCode.BadOp, mean('axis mask out of range'));
  await refusedEverywhere(edited(OpCode.Mean, [[0, 1]]), ErrorCode.BadShape, mean('output size does not match'));
  await refusedEverywhere(edited(OpCode.Mean, [[1, 2]]), ErrorCode.BadOp, mean('zero points must be 0'));
  await refusedEverywhere(edited(OpCode.Mean, [[3, -1]]), ErrorCode.BadOp, mean('multiplier >= 0'));
  await refusedEverywhere(edited(OpCode.Mean, [[4, 32]]), ErrorCode.BadOp, mean('shift in \\[-31, 31\\]'));
});

test('random edits of the tensor and op records (CRC resealed): every build refuses alike, or loads and runs to the same bytes', async () => {
  const r = rng(43);
  const tensors = e.sections.find((s) => s.kind === Section.Tensors)!, ops = e.sections.find((s) => s.kind === Section.Ops)!;
  const x = new Uint8Array(Int16Array.from({ length: 48 }, (_, i) => (i * 2731) % 65536 - 32768).buffer);
  let loaded = 0, refused = 0;
  for (let c = 0; c < 150; c++) {
    const b = epk.slice();
    const sec = c % 2 ? tensors : ops;
    for (let k = 0; k < 1 + (c % 3); k++) b[sec.offset + Math.floor(r() * sec.size)] = Math.floor(r() * 256);
    new DataView(b.buffer).setUint32(H.crc32, crc32(b, 16), true);
    const results: string[] = [];
    for (const [, load] of builds) {
      try {
        const m = (await load(b)) as { run(x: Uint8Array): Uint8Array[] };
        results.push(`ok ${Array.from(Buffer.concat(m.run(x))).join(',')}`);
      } catch (err) {
        assert.instance(err, RuntimeError, String(err)); // never a trap
        results.push(`${(err as RuntimeError).code} ${(err as Error).message}`);
      }
    }
    assert.equal(results[1], results[0], `edit ${c}: scalar vs simd`);
    assert.equal(results[2], results[0], `edit ${c}: streamed vs simd`);
    if (results[0].startsWith('ok')) loaded++;
    else refused++;
  }
  assert.ok(loaded > 0 && refused > 0, `${loaded} loaded, ${refused} refused`);
});

test.run();
