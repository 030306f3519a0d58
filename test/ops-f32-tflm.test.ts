// Float32 models run as float32 (group f32): random single-op float models built in code
// (src/testing/f32-models.ts) and the shared float models, converted WITHOUT --calibrate
// and run in tflm-run and in the simd, scalar and streamed builds.
//
// Tolerance: TFLM's own float kernel tests compare each output element with
// EXPECT_NEAR(expected, actual, 1e-5) (tensorflow/lite/micro/kernels/conv_test.h
// ValidateConvGoldens' default, the same 1e-5 in its fully_connected, pooling, add and
// softmax tests). Our kernels sum in TFLM's reference loop order, so most outputs are
// bit-equal; exp/tanh come from AssemblyScript's Mathf, not glibc, and may differ in the
// last bit. Each test also counts bit-equal outputs, so a drift in summation order shows.

import { test } from 'uvu';
import { PREPARE } from '../src/passes/prepare-kernels.js';
import { PREPARE_F32 } from '../src/passes/prepare/float.js';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { readEpk } from '../src/format/reader.js';
import { DType, OpCode } from '../src/format/constants.js';
import { kernelNames, kernelMask } from '../src/format/kernels.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import * as M from '../src/testing/f32-models.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { hasTflm, rng, runTflm } from './tflm-oracle.js';
import { SHARED } from './helpers.js';

const TOLERANCE = 1e-5; // TFLM's float kernel tests (above)
const CASES = 6; // per op

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

const f32 = (b: Uint8Array) => new Float32Array(Uint8Array.from(b).buffer);

/** Runs every invoke in tflm-run and the three builds; asserts |got - want| <= TOLERANCE; returns [bit-equal, total] outputs. */
async function compare(c: M.F32Case, name: string): Promise<[number, number]> {
  const want = runTflm(c.model, c.inputs).map(f32);
  const { epk } = convertModel(c.model, name, { log: () => {} });
  const e = readEpk(epk);
  assert.ok(e.ops.every((op) => e.tensors[op.outputs[0]].dtype === DType.Float32), `${c.what}: every op writes float32`);
  let same = 0, total = 0;
  for (const [build, m] of [['simd', await loadModelNode(epk, 'simd')], ['scalar', await loadModelNode(epk, 'scalar')], ['streamed', await loadModelStreamed(epk)]] as const) {
    c.inputs.forEach((inv, i) => {
      const got = f32(Buffer.concat(m.run(...inv)));
      assert.is(got.length, want[i].length, `${c.what}: output size`);
      for (let k = 0; k < got.length; k++) {
        const d = Math.abs(got[k] - want[i][k]);
        if (!(d <= TOLERANCE) && !(Number.isNaN(got[k]) && Number.isNaN(want[i][k]))) {
          assert.unreachable(`${c.what}, ${build}, invoke ${i}, element ${k}: ${got[k]} vs tflm-run ${want[i][k]} (|d| ${d} > ${TOLERANCE})`);
        }
        if (Object.is(got[k], want[i][k])) same++;
        total++;
      }
    });
  }
  return [same, total];
}

async function run(label: string, seed: number, make: (r: () => number, k: number) => M.F32Case, exact = true): Promise<void> {
  const r = rng(seed);
  let same = 0, total = 0;
  for (let k = 0; k < CASES; k++) {
    const [s, t] = await compare(make(r, k), `${label}-${k}.tflite`);
    same += s;
    total += t;
  }
  // sums in TFLM's order, f32 products: bit-equal; exp/tanh (Mathf vs libm) only within tolerance
  if (exact) assert.is(same, total, `${label}: ${total - same} of ${total} outputs differ in some bit from tflm-run`);
}

test('FULLY_CONNECTED float32: within 1e-5 of tflm-run, bit-equal', async () => { if (!skip()) await run('fc', 301, (r) => M.fcCase(r)); });
test('CONV_2D float32 (strides, dilation, SAME/VALID, fused activations): bit-equal with tflm-run', async () => { if (!skip()) await run('conv', 302, (r) => M.convCase(r, false)); });
test('DEPTHWISE_CONV_2D float32 (depth multiplier): bit-equal with tflm-run', async () => { if (!skip()) await run('dwconv', 303, (r) => M.convCase(r, true)); });
test('TRANSPOSE_CONV float32: bit-equal with tflm-run', async () => { if (!skip()) await run('tconv', 304, (r) => M.transposeConvCase(r)); });
test('AVERAGE_POOL_2D, MAX_POOL_2D float32: bit-equal with tflm-run', async () => {
  if (!skip()) await run('pool', 305, (r, k) => M.poolCase(r, k % 2 ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D'));
});
test('ADD, SUB, MUL, MAXIMUM, MINIMUM float32 (broadcasts, constants, activations): bit-equal with tflm-run', async () => {
  if (skip()) return;
  for (const [i, type] of ['ADD', 'SUB', 'MUL', 'MAXIMUM', 'MINIMUM'].entries()) await run(type, 310 + i, (r) => M.binaryCase(r, type));
});
test('SOFTMAX float32 (beta): within 1e-5 of tflm-run', async () => { if (!skip()) await run('softmax', 306, (r) => M.softmaxCase(r), false); });
test('MEAN float32: bit-equal with tflm-run', async () => { if (!skip()) await run('mean', 307, (r) => M.meanCase(r)); });
test('PAD, PADV2, TRANSPOSE, CONCATENATION, STRIDED_SLICE float32: bit-equal with tflm-run', async () => {
  if (skip()) return;
  await run('pad', 320, (r) => M.padCase(r));
  await run('transpose', 321, (r) => M.transposeCase(r));
  await run('concat', 322, (r) => M.concatCase(r));
  await run('slice', 323, (r) => M.stridedSliceCase(r));
});
test('RELU, RELU6, LEAKY_RELU, HARD_SWISH float32: bit-equal; LOGISTIC, TANH within 1e-5 (TFLM has no RELU_N1_TO_1 kernel)', async () => {
  if (skip()) return;
  for (const [i, type] of ['RELU', 'RELU6', 'LEAKY_RELU', 'HARD_SWISH'].entries()) await run(type, 330 + i, (r) => M.activationCase(r, type));
  await run('LOGISTIC', 340, (r) => M.activationCase(r, 'LOGISTIC'), false);
  await run('TANH', 341, (r) => M.activationCase(r, 'TANH'), false);
});

test('SPLIT and PACK over float32 (lowered to STRIDED_SLICE, reshapes, CONCATENATION): bit-equal with tflm-run', async () => {
  if (skip()) return;
  const [same, total] = await compare(M.splitPackCase(rng(350)), 'split-pack.tflite');
  assert.is(same, total);
});

test('every op with an int8 kernel has a float32 one (QUANTIZE/DEQUANTIZE convert, reshapes alias, LUT is int8 by nature)', () => {
  const float = new Set(Object.keys(PREPARE_F32));
  const missing = Object.keys(PREPARE).filter((t) => !float.has(t) && !['QUANTIZE', 'DEQUANTIZE', 'RESHAPE', 'SQUEEZE', 'EXPAND_DIMS', 'LUT'].includes(t));
  assert.equal(missing, [], 'int8 ops a float32 model could not run');
  // and a float32 model of one of them converts to float32 ops (LOG_SOFTMAX, which once had none)
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4], 'float32'), y = b.tensor('y', [1, 4], 'float32');
  b.op('LOG_SOFTMAX', [x], [y]);
  b.io([x], [y]);
  const e = readEpk(convertModel(b.finish(), 'log-softmax.tflite', { log: () => {} }).epk);
  assert.is(e.tensors[e.outputs[0]].dtype, DType.Float32);
});

test('the float32 variants are chosen by dtype: a float CONV_2D runs conv_f32, its int8 twin conv_s8', () => {
  const e = readEpk(convertModel(M.buildF32Net(), 'f32net.tflite', { log: () => {} }).epk);
  const names = kernelNames(kernelMask(e));
  assert.equal(names, ['conv_f32', 'fc_f32', 'elementwise_f32', 'other_f32']);
  assert.ok(e.ops.some((op) => op.opcode === OpCode.Activation), 'HARD_SWISH became ACTIVATION');
});

const MODELS = join(SHARED, 'models');

test('hello_world_float32.tflite: converted without --calibrate, equal to tflm-run', async () => {
  if (skip()) return;
  const model = new Uint8Array(readFileSync(join(MODELS, 'hello_world_float32.tflite')));
  const inputs = [0, 0.3, 1.5, 3.14, 4.7, 6.2].map((v) => [new Uint8Array(Float32Array.of(v).buffer)]);
  const [same, total] = await compare({ model, inputs, what: 'hello_world_float32' }, 'hello_world_float32.tflite');
  assert.is(same, total);
});

test('ic_resnet8_float32.tflite: 40 CIFAR-10 images, within 1e-5 of tflm-run and top-1 equal', async () => {
  if (skip()) return;
  const model = new Uint8Array(readFileSync(join(MODELS, 'ic_resnet8_float32.tflite')));
  const all = readFileSync(join(SHARED, 'data', 'cifar10', 'cifar10_test_dev1000_u8_rgb_hwc.bin'));
  // every 25th image (4 per class); the float model takes the u8 values as floats
  const inputs = Array.from({ length: 40 }, (_, i) => [new Uint8Array(Float32Array.from(all.subarray(i * 25 * 3072, (i * 25 + 1) * 3072)).buffer)]);
  await compare({ model, inputs, what: 'ic_resnet8_float32' }, 'ic_resnet8_float32.tflite');
  const want = runTflm(model, inputs).map(f32);
  const m = await loadModelNode(convertModel(model, 'ic_resnet8_float32.tflite', { log: () => {} }).epk, 'scalar');
  const argmax = (a: Float32Array) => a.indexOf(Math.max(...a));
  inputs.forEach((inv, i) => assert.is(argmax(f32(Buffer.concat(m.run(...inv)))), argmax(want[i]), `image ${i * 25}: top-1`));
});

test.run();
