// float32 SVDF (branch svdf16): a float32 SVDF model converts without --calibrate and runs
// TFLM's float SVDF (kernels/svdf-f32.ts), its state a float32 variable tensor. Random batch,
// input size, rank, units, memory, one or two layers, every fused activation TFLM's float
// kernel applies; 6-invoke streams in tflm-run (one interpreter: state carries over) and in
// the simd, scalar and streamed builds (one loaded model each); reset() gives the first
// invoke's output again; single invokes match tflm-run --fresh. Tolerance: TFLM's float
// kernel tests' 1e-5 (sums in TFLM's order: clamps are bit-equal, counted; tanh is Mathf's).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { runCommand } from '../src/cli/run.js';
import { REPO } from './helpers.js';
import { convertModel } from '../src/convert.js';
import { DType, OpCode } from '../src/format/constants.js';
import { kernelMask, kernelBit, maskHas } from '../src/format/kernels.js';
import { readEpk } from '../src/format/reader.js';
import { ConvertError } from '../src/ir/graph.js';
import { Model } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { svdfF32Model, type SvdfF32Case } from '../src/testing/svdf-f32-model.js';
import { hasTflm, rng, runTflm } from './tflm-oracle.js';
import { assertBatchCommands, builds } from './stream-harness.js';

const TOLERANCE = 1e-5;

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

const f32 = (b: Uint8Array) => new Float32Array(Uint8Array.from(b).buffer);

/** Asserts got within TOLERANCE of want; returns how many elements are bit-equal. */
function near(got: Float32Array, want: Float32Array, where: string): number {
  assert.is(got.length, want.length, `${where}: output size`);
  let same = 0;
  for (let k = 0; k < got.length; k++) {
    const d = Math.abs(got[k] - want[k]);
    if (!(d <= TOLERANCE)) assert.unreachable(`${where}, element ${k}: ${got[k]} vs tflm-run ${want[k]} (|d| ${d} > ${TOLERANCE})`);
    if (Object.is(got[k], want[k])) same++;
  }
  return same;
}

async function stream(c: SvdfF32Case): Promise<[number, number]> {
  const want = runTflm(c.model, c.inputs).map(f32);
  const { epk } = convertModel(c.model, 'svdf-f32', { log: () => {} });
  const e = readEpk(epk);
  assert.ok(e.ops.every((op) => op.opcode === OpCode.Svdf && e.tensors[op.outputs[0]].dtype === DType.Float32), `${c.what}: float32 SVDF ops`);
  assert.ok(maskHas(kernelMask(e), kernelBit('SVDF_F32')) && !maskHas(kernelMask(e), kernelBit('SVDF')), `${c.what}: runs the SVDF_F32 row`);
  let same = 0, total = 0;
  for (const [build, m] of await builds(epk)) {
    c.inputs.forEach((inv, i) => {
      same += near(f32(Buffer.concat(m.run(...inv))), want[i], `${c.what}, ${build}, invoke ${i}`);
      total += want[i].length;
    });
    m.reset();
    near(f32(Buffer.concat(m.run(...c.inputs[0]))), want[0], `${c.what}, ${build}: after reset() the first invoke's output`);
  }
  return [same, total];
}

test('SVDF float32 (NONE, RELU, RELU6, RELU_N1_TO_1): 6-invoke streams bit-equal with tflm-run in every build; reset()', async () => {
  if (skip()) return;
  const r = rng(1601);
  const acts = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
  let same = 0, total = 0;
  for (let c = 0; c < 12; c++) {
    const [s, t] = await stream(svdfF32Model(r, { activation: acts[c % 4], second: c % 3 === 2 }));
    same += s;
    total += t;
  }
  assert.is(same, total, `${total - same} of ${total} outputs differ in some bit from tflm-run`);
});

test('SVDF float32 TANH: within 1e-5 of tflm-run (Mathf.tanh)', async () => {
  if (skip()) return;
  const r = rng(1602);
  for (let c = 0; c < 4; c++) await stream(svdfF32Model(r, { activation: 'TANH', second: c % 2 === 1 }));
});

test('SVDF float32: each invoke alone matches tflm-run --fresh (state from load), and the state changes outputs', async () => {
  if (skip()) return;
  const r = rng(1603);
  let differs = 0;
  for (let c = 0; c < 4; c++) {
    const { model, inputs, what } = svdfF32Model(r);
    const fresh = runTflm(model, inputs, true).map(f32), streamed = runTflm(model, inputs).map(f32);
    const { epk } = convertModel(model, 'svdf-f32', { log: () => {} });
    for (const [build, m] of await builds(epk)) {
      inputs.forEach((inv, i) => {
        m.reset();
        near(f32(Buffer.concat(m.run(...inv))), fresh[i], `${what}, ${build}, invoke ${i} after reset() vs --fresh`);
      });
    }
    if (inputs.some((_, i) => fresh[i].some((v, k) => v !== streamed[i][k]))) differs++;
  }
  assert.ok(differs > 0, 'no case where the state changed an output: the test would not see lost state');
});

test('SVDF float32: `edgepack run` (every target) and the WASI command carry the state over a batch, bit-equal with tflm-run', async () => {
  if (skip()) return;
  const { model, inputs, what } = svdfF32Model(rng(1604), { activation: 'RELU', second: true });
  const want = Buffer.concat(runTflm(model, inputs));
  await assertBatchCommands(convertModel(model, 'svdf-f32', { log: () => {} }).epk, inputs, want, what);
});

test('SVDF float32: SIGN_BIT is refused by name; a float32 SVDF needs no --calibrate', () => {
  const { model } = svdfF32Model(rng(9), { activation: 5 }) // SIGN_BIT's schema code;
  assert.throws(() => convertModel(model, 'svdf-f32', { log: () => {} }), (e: unknown) => e instanceof ConvertError && /op 0 \(SVDF\): fused activation SIGN_BIT is not supported on float32 SVDF/.test(e.message));
});

test.run();
