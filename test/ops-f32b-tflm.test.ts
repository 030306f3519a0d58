// Float32 forms of issue 10's groups a, b, c (rows MISC_F32, MOVE_F32): random single-op
// float models built in code (src/testing/f32b-models.ts), converted without --calibrate and
// run in tflm-run and in the simd, scalar and streamed builds.
//
// Bit-equal: every op whose arithmetic is IEEE +, -, *, /, sqrt, floor/ceil and compares in
// TFLM's order (the data movement, RESIZE_BILINEAR, ARG_MAX/ARG_MIN, REDUCE_MAX, SUM, PRELU,
// SQUARED_DIFFERENCE, DIV, RSQRT, L2_NORMALIZATION); a NaN equals any NaN (x86 and wasm differ
// in NaN signs). EXP and LOG_SOFTMAX use AssemblyScript's Mathf exp/log where TFLM calls
// glibc's expf/logf: TFLM's float kernel-test tolerance 1e-5, relative above 1 (EXP's outputs
// reach e^10), and each such test counts the bit-equal outputs.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { readEpk } from '../src/format/reader.js';
import { ActivationKind, DType, ErrorCode, OpCode } from '../src/format/constants.js';
import { kernelMask, kernelNames } from '../src/format/kernels.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import type { F32Case } from '../src/testing/f32-models.js';
import * as M from '../src/testing/f32b-models.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { TFLM_RUN, hasTflm, rng, runTflm } from './tflm-oracle.js';

const TOLERANCE = 1e-5; // TFLM's float kernel tests (test/ops-f32-tflm.test.ts)
const CASES = 6; // per op

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

const f32 = (b: Uint8Array) => new Float32Array(Uint8Array.from(b).buffer);
const builds = async (epk: Uint8Array) => [['simd', await loadModelNode(epk, 'simd')], ['scalar', await loadModelNode(epk, 'scalar')], ['streamed', await loadModelStreamed(epk)]] as const;

/**
 * Runs every invoke in tflm-run and the three builds. int32 outputs (ARG_MAX/ARG_MIN) must be
 * byte-equal; float outputs within `tolerance` (0: bit-equal, NaN equal to NaN). Returns
 * [bit-equal, total] float outputs.
 */
async function compare(c: F32Case, name: string, tolerance: number, kernel: string): Promise<[number, number]> {
  const want = runTflm(c.model, c.inputs);
  const { epk } = convertModel(c.model, name, { log: () => {} });
  const e = readEpk(epk);
  assert.ok(kernelNames(kernelMask(e)).includes(kernel), `${c.what}: runs ${kernel} (has ${kernelNames(kernelMask(e))})`);
  const int32 = e.tensors[e.outputs[0]].dtype === DType.Int32;
  let same = 0, total = 0;
  for (const [build, m] of await builds(epk)) {
    c.inputs.forEach((inv, i) => {
      const got = Uint8Array.from(Buffer.concat(m.run(...inv)));
      assert.is(got.length, want[i].length, `${c.what}: output size`);
      if (int32) {
        assert.equal(Array.from(got), Array.from(want[i]), `${c.what}, ${build}, invoke ${i}: int32 output differs from tflm-run`);
        return;
      }
      const g = f32(got), w = f32(want[i]);
      for (let k = 0; k < g.length; k++) {
        const bothNaN = Number.isNaN(g[k]) && Number.isNaN(w[k]);
        if (Object.is(g[k], w[k]) || bothNaN) { same++; total++; continue; }
        total++;
        const d = Math.abs(g[k] - w[k]);
        if (!(d <= tolerance * Math.max(1, Math.abs(w[k])))) {
          assert.unreachable(`${c.what}, ${build}, invoke ${i}, element ${k}: ${g[k]} vs tflm-run ${w[k]} (|d| ${d}, tolerance ${tolerance})`);
        }
      }
    });
  }
  return [same, total];
}

async function run(label: string, seed: number, make: (r: () => number) => F32Case, kernel: string, tolerance = 0): Promise<void> {
  const r = rng(seed);
  let same = 0, total = 0;
  for (let k = 0; k < CASES; k++) {
    const [s, t] = await compare(make(r), `${label}-${k}.tflite`, tolerance, kernel);
    same += s;
    total += t;
  }
  if (tolerance > 0) console.log(`  ${label}: ${same} of ${total} float outputs bit-equal with tflm-run, the rest within ${tolerance}`);
}

test('RESIZE_NEAREST_NEIGHBOR, MIRROR_PAD, DEPTH_TO_SPACE, SPACE_TO_DEPTH float32 (TABLE_COPY on 4-byte elements): bit-equal with tflm-run', async () => {
  if (skip()) return;
  await run('resize_nearest', 401, (r) => M.resizeCase(r, 'RESIZE_NEAREST_NEIGHBOR'), 'move_f32');
  await run('mirror_pad', 402, M.mirrorPadCase, 'move_f32');
  await run('depth_to_space', 403, (r) => M.depthSpaceCase(r, 'DEPTH_TO_SPACE'), 'move_f32');
  await run('space_to_depth', 404, (r) => M.depthSpaceCase(r, 'SPACE_TO_DEPTH'), 'move_f32');
});

test('SPACE_TO_BATCH_ND (paddings: PADV2 of 0.0 first), BATCH_TO_SPACE_ND (crops), GATHER with constant indices (batch_dims 0, 1) float32: bit-equal with tflm-run', async () => {
  if (skip()) return;
  await run('space_to_batch', 405, (r) => M.batchSpaceCase(r, 'SPACE_TO_BATCH_ND'), 'move_f32');
  await run('batch_to_space', 406, (r) => M.batchSpaceCase(r, 'BATCH_TO_SPACE_ND'), 'move_f32');
  await run('gather', 407, M.gatherCase, 'move_f32');
  await run('gather_batched', 423, (r) => M.gatherCase(r, true), 'move_f32');
});

test('GATHER float32 with run-time int32 indices (batch_dims 0 and 1): bit-equal with tflm-run', async () => {
  if (skip()) return;
  await run('gather_runtime', 408, (r) => M.gatherDynamicCase(r), 'move_f32');
});

test('GATHER float32 with a run-time index outside the axis: BAD_INDEX naming op and position, in every build', async () => {
  const r = rng(409);
  for (let c = 0; c < 4; c++) {
    const { model, inputs } = M.gatherDynamicCase(r, true);
    for (const [name, m] of await builds(convertModel(model, 'g.tflite', { log: () => {} }).epk)) {
      try {
        m.run(...inputs[0]);
        assert.unreachable(`${name} ran it`);
      } catch (e) {
        assert.instance(e, RuntimeError, `${name}: ${String(e)}`);
        assert.is((e as RuntimeError).code, ErrorCode.BadIndex, name);
        assert.match((e as Error).message, /op 0 \(GATHER\).*index -?\d+ at position \d+ of the indices is outside the gathered axis of size \d+/, name);
      }
    }
  }
});

test('RESIZE_BILINEAR float32 (plain, align_corners, half_pixel_centers; up and down): bit-equal with tflm-run', async () => {
  if (skip()) return;
  await run('resize_bilinear', 410, (r) => M.resizeCase(r, 'RESIZE_BILINEAR'), 'misc_f32');
  await run('resize_bilinear_b', 411, (r) => M.resizeCase(r, 'RESIZE_BILINEAR'), 'misc_f32');
});

test('ARG_MAX, ARG_MIN on float32 (int32 out; ties, NaNs, negative axes): equal to tflm-run', async () => {
  if (skip()) return;
  await run('arg_max', 412, (r) => M.argCase(r, 'ARG_MAX'), 'misc_f32');
  await run('arg_min', 413, (r) => M.argCase(r, 'ARG_MIN'), 'misc_f32');
});

test('REDUCE_MAX, SUM float32 (repeated and negative axes, keep_dims): bit-equal with tflm-run', async () => {
  if (skip()) return;
  await run('reduce_max', 414, (r) => M.reduceCase(r, 'REDUCE_MAX'), 'misc_f32');
  await run('sum', 415, (r) => M.reduceCase(r, 'SUM'), 'other_f32'); // SUM runs as MEAN without the division
});

test('PRELU, SQUARED_DIFFERENCE, DIV float32 (broadcasts, constants, zero divisors, fused activations): bit-equal with tflm-run', async () => {
  if (skip()) return;
  await run('prelu', 416, (r) => M.binaryCase(r, 'PRELU'), 'misc_f32');
  await run('squared_difference', 417, (r) => M.binaryCase(r, 'SQUARED_DIFFERENCE'), 'misc_f32');
  await run('div', 418, (r) => M.binaryCase(r, 'DIV'), 'misc_f32');
});

test('RSQRT (zeros and negatives too), L2_NORMALIZATION (the 1e-6 floor) float32: bit-equal with tflm-run', async () => {
  if (skip()) return;
  await run('rsqrt', 419, (r) => M.unaryMathCase(r, 'RSQRT'), 'elementwise_f32');
  await run('l2norm', 420, (r) => M.rowsCase(r, 'L2_NORMALIZATION'), 'misc_f32');
});

test('EXP, LOG_SOFTMAX float32: within 1e-5 of tflm-run (Mathf exp/log vs glibc)', async () => {
  if (skip()) return;
  await run('exp', 421, (r) => M.unaryMathCase(r, 'EXP'), 'elementwise_f32', TOLERANCE);
  await run('log_softmax', 422, (r) => M.rowsCase(r, 'LOG_SOFTMAX'), 'misc_f32', TOLERANCE);
});

test('a chain of the new float32 kernels (MIRROR_PAD ... ARG_MAX): within 1e-5 of tflm-run, ARG_MAX equal; kernels misc_f32 and move_f32', async () => {
  const model = M.buildF32BNet();
  const e = readEpk(convertModel(model, 'f32b.tflite', { log: () => {} }).epk);
  assert.equal(kernelNames(kernelMask(e)), ['misc_f32', 'move_f32']);
  if (skip()) return;
  const r = rng(430);
  const inputs = [0, 1, 2].map(() => [new Uint8Array(Float32Array.from({ length: 32 }, () => (r() * 2 - 1) * 3).buffer)]);
  const want = runTflm(model, inputs);
  const epk = convertModel(model, 'f32b.tflite', { log: () => {} }).epk;
  for (const [build, m] of await builds(epk)) {
    inputs.forEach((inv, i) => {
      const [ls, am] = m.run(...inv);
      const w = f32(want[i].subarray(0, ls.length)), g = f32(ls);
      g.forEach((v, k) => assert.ok(Math.abs(v - w[k]) <= TOLERANCE, `${build} invoke ${i} element ${k}: ${v} vs ${w[k]}`));
      assert.equal(Array.from(am), Array.from(want[i].subarray(ls.length)), `${build} invoke ${i}: ARG_MAX`);
    });
  }
});

test('EXP and RSQRT become ACTIVATION kinds; SUM becomes MEAN without the division', () => {
  const r = rng(431);
  const kinds = (c: F32Case) => readEpk(convertModel(c.model, 'u.tflite', { log: () => {} }).epk).ops.map((o) => [o.opcode, o.params[0], o.params[1]]);
  assert.equal(kinds(M.unaryMathCase(r, 'EXP')), [[OpCode.Activation, ActivationKind.Exp, 0]]);
  assert.equal(kinds(M.unaryMathCase(r, 'RSQRT')), [[OpCode.Activation, ActivationKind.Rsqrt, 0]]);
  const sum = kinds(M.reduceCase(r, 'SUM'))[0];
  assert.equal([sum[0], sum[2]], [OpCode.Mean, 1]);
});

/** x (dtype) -> EXP -> y of the same dtype and quantization. */
function expModel(dtype: 'int8' | 'int16'): Uint8Array {
  const b = new TfliteBuilder();
  const q = { scale: [0.05], zeroPoint: [0] };
  const x = b.tensor('x', [1, 8], dtype, q), y = b.tensor('y', [1, 8], dtype, q);
  b.op('EXP', [x], [y]);
  b.io([x], [y]);
  return b.finish();
}

test('int8 and int16 EXP: tflm-run refuses them (TFLM runs EXP on float32 only), and so does the converter, by name', () => {
  for (const dtype of ['int8', 'int16'] as const) {
    const model = expModel(dtype);
    assert.throws(() => convertModel(model, 'exp.tflite', { log: () => {} }), (err: Error) => /op 0 \(EXP\)/.test(err.message) && err.message.split('\n').length === 1, dtype);
    if (!hasTflm) continue;
    const dir = mkdtempSync(join(tmpdir(), 'edgepack-exp-'));
    try {
      writeFileSync(join(dir, 'm.tflite'), model);
      writeFileSync(join(dir, 'x.bin'), new Uint8Array(dtype === 'int8' ? 8 : 16));
      let status = 0;
      try {
        execFileSync(TFLM_RUN, [join(dir, 'm.tflite'), '--input', join(dir, 'x.bin'), '--output', join(dir, 'y.bin')], { stdio: 'pipe' });
      } catch (err) {
        status = (err as { status: number }).status;
      }
      assert.ok(status === 3 || status === 5, `${dtype} EXP: tflm-run exit ${status} (3: does not allocate, 5: invoke failed)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test.run();
