// Load-time checks of float32 SVDF (assembly/ops-f32.ts validateSvdfF32), the same in every
// build: a converted float32 SVDF model with one field edited (CRC resealed) is refused by
// simd, scalar, streamed and the WASI command with the same code and message, never run into a trap.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { REPO } from './helpers.js';
import { convertModel } from '../src/convert.js';
import { DType, ErrorCode, H, OpCode, Section, T, TENSOR_RECORD_BYTES, TensorKind } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { rng } from './tflm-oracle.js';
import { BIG, builds, refusedEverywhereAndWasi, runWasi as runWasiWith } from './load-check-harness.js';

/** x [1, 6] -> SVDF(rank 2, 4 filters, memory 3, RELU) -> y [1, 2], all float32. */
function model(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 6], 'float32');
  const wf = b.constant('feature', [4, 6], 'float32', Array.from({ length: 24 }, (_, i) => ((i * 37) % 19) / 9 - 1));
  const wt = b.constant('time', [4, 3], 'float32', Array.from({ length: 12 }, (_, i) => ((i * 5) % 11) / 5 - 1));
  const bias = b.constant('bias', [2], 'float32', [0.25, -0.5]);
  const state = b.variable('state', [1, 12], 'float32');
  const y = b.tensor('y', [1, 2], 'float32');
  b.op('SVDF', [x, wf, wt, bias, state], [y], { rank: 2, activation: 'RELU' });
  b.io([x], [y]);
  return b.finish();
}

const epk = convertModel(model(), 'svdf-f32.tflite', { log: () => {} }).epk;
const e = readEpk(epk);
const svdf: EpkOp = e.ops.find((o) => o.opcode === OpCode.Svdf)!;
const stateIndex = svdf.inputs[4];
const paramAt = (k: number) => svdf.at + 8 + ((2 * (svdf.inputs.length + svdf.outputs.length) + 3) & ~3) + 4 * k;
const recordAt = (t: number) => e.sections.find((s) => s.kind === Section.Tensors)!.offset + t * TENSOR_RECORD_BYTES;
const bits = (v: number) => new Int32Array(Float32Array.of(v).buffer)[0];

function edited(params: [k: number, v: number][], raw: [at: number, v: number, bytes?: 1 | 4][] = []): Uint8Array {
  const b = epk.slice();
  const v = new DataView(b.buffer);
  for (const [k, value] of params) v.setInt32(paramAt(k), value, true);
  for (const [at, value, bytes] of raw) bytes === 1 ? v.setUint8(at, value) : v.setInt32(at, value, true);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

const WASI_INPUT = 24; // bytes of the model's input
const runWasi = (b: Uint8Array) => runWasiWith(b, WASI_INPUT);
const refusedEverywhere = (b: Uint8Array, code: ErrorCode, pattern: RegExp) => refusedEverywhereAndWasi(b, code, pattern, WASI_INPUT);

test('the unedited model: float32 state is a variable tensor; every build loads it', async () => {
  assert.is(e.tensors[stateIndex].kind, TensorKind.Variable);
  assert.is(e.tensors[stateIndex].dtype, DType.Float32);
  assert.equal(svdf.params, [2, 0, 0, bits(3.4028234663852886e38), 0, 0, 0]);
  for (const [, load] of builds) await load(epk);
});

test('float32 SVDF params: rank, activation kind, clamp, trailing zeros: BAD_OP / BAD_SHAPE everywhere', async () => {
  await refusedEverywhere(edited([[0, 0]]), ErrorCode.BadOp, /op 0 \(SVDF\).*rank must be >= 1 and divide the number of filters/);
  await refusedEverywhere(edited([[0, 3]]), ErrorCode.BadOp, /op 0 \(SVDF\).*rank must be >= 1 and divide the number of filters/);
  await refusedEverywhere(edited([[0, 1]]), ErrorCode.BadShape, /op 0 \(SVDF\).*do not fit/); // 4 units, output holds 2
  await refusedEverywhere(edited([[1, 1]]), ErrorCode.BadOp, /op 0 \(SVDF\).*activation must be a clamp \(min <= max\) or tanh/); // logistic
  await refusedEverywhere(edited([[1, 2]]), ErrorCode.BadOp, /op 0 \(SVDF\).*activation must be a clamp/); // tanh with a clamp left in
  await refusedEverywhere(edited([[2, bits(1)], [3, bits(0)]]), ErrorCode.BadOp, /op 0 \(SVDF\).*activation must be a clamp \(min <= max\)/);
  await refusedEverywhere(edited([[2, bits(NaN)]]), ErrorCode.BadOp, /op 0 \(SVDF\).*activation must be a clamp/);
  await refusedEverywhere(edited([[5, 1]]), ErrorCode.BadOp, /op 0 \(SVDF\).*params 4-6 zero/);
});

test('float32 SVDF tensors: state not a variable, an int16 state: refused everywhere', async () => {
  await refusedEverywhere(edited([], [[recordAt(stateIndex) + T.kind, TensorKind.Arena, 1]]), ErrorCode.BadOp, /op 0 \(SVDF\).*state must be a variable tensor/);
  await refusedEverywhere(edited([], [[recordAt(stateIndex) + T.dtype, DType.Int16, 1]]), ErrorCode.BadTensor, /tensor byte count does not match its shape/);
});

test('random edits of the tensor and op records (CRC resealed): every build refuses alike, or loads and runs a 3-invoke stream to the same bytes', async () => {
  const r = rng(41);
  const tensors = e.sections.find((s) => s.kind === Section.Tensors)!, ops = e.sections.find((s) => s.kind === Section.Ops)!;
  const x = new Uint8Array(Float32Array.from({ length: 6 }, (_, i) => i - 2.5).buffer);
  let loaded = 0, refused = 0;
  for (let c = 0; c < 120; c++) {
    const b = epk.slice();
    const sec = c % 2 ? tensors : ops;
    for (let k = 0; k < 1 + (c % 3); k++) b[sec.offset + Math.floor(r() * sec.size)] = Math.floor(r() * 256);
    new DataView(b.buffer).setUint32(H.crc32, crc32(b, 16), true);
    const results: string[] = [];
    for (const [, load] of builds) {
      try {
        const m = (await load(b)) as { run(x: Uint8Array): Uint8Array[]; reset(): void };
        const outs = [0, 1, 2].map(() => Array.from(Buffer.concat(m.run(x))).join(','));
        m.reset();
        outs.push(Array.from(Buffer.concat(m.run(x))).join(','));
        results.push(`ok ${outs.join('|')}`);
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
