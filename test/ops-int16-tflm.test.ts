// int16 (16x8) ops bit-exact with TFLM: int16 activations, int8 weights, int64/int32 bias.
// Random shapes, scales, per-tensor and per-channel weights, bias widths and activations,
// each model built in code (src/testing/int16-models.ts) and run in tflm-run and in the simd,
// scalar and streamed builds (test/tflm-oracle.ts). Also: what the converter refuses.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { DType, OpCode } from '../src/format/constants.js';
import { kernelBit, kernelOf } from '../src/format/kernels.js';
import { readEpk } from '../src/format/reader.js';
import { summarize } from '../src/inspect.js';
import { ConvertError } from '../src/ir/graph.js';
import { loadModelNode } from '../src/runtime/node.js';
import { MOVE_KINDS, QUANT_KINDS, binaryS16Case, leakyReluS16Case, moveS16Case, transposeConvS16Case, concatS16Case, convS16Case, dwconvS16Case, fcS16Case, floatIoS16Case, quantS16Case } from '../src/testing/int16-models.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { assertMatchesTflm, hasTflm, rng } from './tflm-oracle.js';

const CASES = 12;
const INVOKES = 3;

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

test('FULLY_CONNECTED 16x8: bit-exact with tflm-run (per-tensor/per-channel, int64/int32/no bias, activations)', async () => {
  if (skip()) return;
  const r = rng(1601);
  for (let c = 0; c < CASES; c++) {
    const k = fcS16Case(r, INVOKES);
    await assertMatchesTflm(`fc16 ${c}: ${k.what}`, k.model, k.inputs);
  }
});

test('CONV_2D 16x8: bit-exact with tflm-run (strides, dilations, SAME/VALID, groups, per-tensor/per-channel, int64/int32/no bias)', async () => {
  if (skip()) return;
  const r = rng(1603);
  for (let c = 0; c < CASES; c++) {
    const k = convS16Case(r, INVOKES);
    await assertMatchesTflm(`conv16 ${c}: ${k.what}`, k.model, k.inputs);
  }
});

test('DEPTHWISE_CONV_2D 16x8: bit-exact with tflm-run (depth multipliers, strides, dilations, int64/no bias)', async () => {
  if (skip()) return;
  const r = rng(1604);
  for (let c = 0; c < CASES; c++) {
    const k = dwconvS16Case(r, INVOKES);
    await assertMatchesTflm(`dwconv16 ${c}: ${k.what}`, k.model, k.inputs);
  }
});

for (const [type, seed] of [['ADD', 1605], ['SUB', 1606], ['MUL', 1607]] as const) {
  test(`${type} int16: bit-exact with tflm-run (broadcasts, constant operand, scales, activations)`, async () => {
    if (skip()) return;
    const r = rng(seed);
    for (let c = 0; c < CASES; c++) {
      const k = binaryS16Case(r, type, INVOKES);
      await assertMatchesTflm(`${type.toLowerCase()}16 ${c}: ${k.what}`, k.model, k.inputs);
    }
  });
}

test('QUANTIZE / DEQUANTIZE with an int16 side: bit-exact with tflm-run (float32 -> int16, int8 <-> int16, int16 -> int16, int16 -> float32)', async () => {
  if (skip()) return;
  const r = rng(1608);
  for (let c = 0; c < 3 * QUANT_KINDS.length; c++) {
    const k = quantS16Case(r, QUANT_KINDS[c % QUANT_KINDS.length], INVOKES);
    await assertMatchesTflm(`quant16 ${c}: ${k.what}`, k.model, k.inputs);
  }
});

test('CONCATENATION int16: bit-exact with tflm-run (ranks, axes, negative axis, constant input)', async () => {
  if (skip()) return;
  const r = rng(1610);
  for (let c = 0; c < CASES; c++) {
    const k = concatS16Case(r, INVOKES);
    await assertMatchesTflm(`concat16 ${c}: ${k.what}`, k.model, k.inputs);
  }
});

test('PAD, PADV2, TRANSPOSE, STRIDED_SLICE int16: bit-exact with tflm-run (ranks 1-4, pads, int16 pad values, perms, negative strides, end mask)', async () => {
  if (skip()) return;
  const r = rng(1611);
  for (let c = 0; c < 4 * MOVE_KINDS.length; c++) {
    const k = moveS16Case(r, MOVE_KINDS[c % MOVE_KINDS.length], INVOKES);
    await assertMatchesTflm(`move16 ${c}: ${k.what}`, k.model, k.inputs);
  }
});

test('LEAKY_RELU int16: bit-exact with tflm-run (ranks, alphas 0 to 1.6, output scales above and below the input\'s)', async () => {
  if (skip()) return;
  const r = rng(1612);
  for (let c = 0; c < 2 * CASES; c++) {
    const k = leakyReluS16Case(r, INVOKES);
    await assertMatchesTflm(`leaky16 ${c}: ${k.what}`, k.model, k.inputs);
  }
});

test('TRANSPOSE_CONV 16x8: bit-exact with tflm-run (SAME/VALID, strides, per-tensor/per-channel, int64/no bias, activations)', async () => {
  if (skip()) return;
  const r = rng(1613);
  for (let c = 0; c < 2 * CASES; c++) {
    const k = transposeConvS16Case(r, INVOKES);
    await assertMatchesTflm(`tconv16 ${c}: ${k.what}`, k.model, k.inputs);
  }
});

test('a whole 16x8 model with float I/O (QUANTIZE, RESHAPE, FULLY_CONNECTED, DEQUANTIZE): bit-exact with tflm-run', async () => {
  if (skip()) return;
  const r = rng(1609);
  for (let c = 0; c < 4; c++) {
    const k = floatIoS16Case(r, INVOKES);
    await assertMatchesTflm(`float io 16 ${c}: ${k.what}`, k.model, k.inputs);
  }
});

test('FULLY_CONNECTED 16x8: the FC_S16 variant (converter and runtime), int16 tensors and the int64 bias in the .epk', async () => {
  const r = rng(1602);
  let k = fcS16Case(r, 1);
  while (!k.what.includes('bias int64')) k = fcS16Case(r, 1);
  const { epk } = convertModel(k.model, 'fc16.tflite', { log: () => {} });
  const e = readEpk(epk);
  const fc = e.ops.find((o) => o.opcode === OpCode.FullyConnected)!;
  assert.is(kernelOf(fc, e.tensors), kernelBit('FC_S16'));
  assert.is(e.tensors[fc.inputs[0]].dtype, DType.Int16);
  assert.is(e.tensors[fc.outputs[0]].dtype, DType.Int16);
  assert.is(e.tensors[fc.inputs[2]].dtype, DType.Int64);
  const m = await loadModelNode(epk, 'scalar');
  assert.is((m.exports as unknown as { ep_op_kernel(i: number): number }).ep_op_kernel(0), kernelBit('FC_S16'), 'the runtime classifies it alike');
  const s = summarize(epk);
  assert.ok(JSON.stringify(s).includes('"int16"'), 'inspect reports int16 tensors');
});

function fcModel(xZero: number, yScale: number, biasType: 'int64' | 'int16' = 'int64'): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x16', [1, 8], 'int16', { scale: [0.001], zeroPoint: [xZero] });
  const w = b.constant('w', [4, 8], 'int8', new Array(32).fill(2), { scale: [0.01], zeroPoint: [0] });
  const bias = b.constant('bias', [4], biasType, [0, 0, 0, 0]);
  const y = b.tensor('y16', [1, 4], 'int16', { scale: [yScale], zeroPoint: [0] });
  b.op('FULLY_CONNECTED', [x, w, bias], [y]);
  b.io([x], [y]);
  return b.finish();
}

function refused(model: Uint8Array, pattern: RegExp): void {
  try {
    convertModel(model, 'fc16.tflite', { log: () => {} });
  } catch (err) {
    assert.instance(err, ConvertError);
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable('converted');
}

test('DEPTHWISE_CONV_2D 16x8: an int32 bias (TFLM reads int64 only) is refused by name', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x16', [1, 3, 3, 2], 'int16', { scale: [0.001], zeroPoint: [0] });
  const w = b.constant('w', [1, 2, 2, 2], 'int8', new Array(8).fill(3), { scale: [0.01], zeroPoint: [0] });
  const bias = b.constant('bias', [2], 'int32', [5, -5]);
  const y = b.tensor('y16', [1, 2, 2, 2], 'int16', { scale: [0.002], zeroPoint: [0] });
  b.op('DEPTHWISE_CONV_2D', [x, w, bias], [y], { padding: 'VALID' });
  b.io([x], [y]);
  try {
    convertModel(b.finish(), 'dw16.tflite', { log: () => {} });
    assert.unreachable('converted');
  } catch (err) {
    assert.instance(err, ConvertError);
    assert.is((err as Error).message, 'dw16.tflite: op 0 (DEPTHWISE_CONV_2D): bias "bias" is int32; supported: int64');
  }
});

test('FULLY_CONNECTED 16x8: refused by name: non-zero zero point, bias type, scale ratio beyond TFLM\'s 64-bit requant', () => {
  refused(fcModel(3, 0.002), /^fc16\.tflite: op 0 \(FULLY_CONNECTED\): input "x16" is int16 with zero point 3; int16 activations must have zero point 0$/);
  refused(fcModel(0, 0.002, 'int16'), /^fc16\.tflite: op 0 \(FULLY_CONNECTED\): bias "bias" is int16; supported: int64, int32$/);
  refused(fcModel(0, 0.00000005), /^fc16\.tflite: op 0 \(FULLY_CONNECTED\): channel 0: input scale x weight scale \/ output scale is 128 or more; int16 ops take less than 2\^7$/);
});

test('PAD, TRANSPOSE int16: a zero point is refused by name', () => {
  for (const type of ['PAD', 'TRANSPOSE'] as const) {
    const b = new TfliteBuilder();
    const x = b.tensor('x16', [1, 2, 3], 'int16', { scale: [0.001], zeroPoint: [4] });
    const y = b.tensor('y16', type === 'PAD' ? [1, 2, 4] : [1, 3, 2], 'int16', { scale: [0.001], zeroPoint: [4] });
    const arg = type === 'PAD' ? b.constant('pads', [3, 2], 'int32', [0, 0, 0, 0, 1, 0]) : b.constant('perm', [3], 'int32', [0, 2, 1]);
    b.op(type, [x, arg], [y]);
    b.io([x], [y]);
    refused(b.finish(), new RegExp(`^fc16\\.tflite: op 0 \\(${type}\\): input "x16" is int16 with zero point 4; int16 activations must have zero point 0$`));
  }
});

test('TRANSPOSE_CONV 16x8: an int32 bias (TFLM reads int64) is refused by name', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x16', [1, 2, 2, 2], 'int16', { scale: [0.001], zeroPoint: [0] });
  const w = b.constant('w', [2, 2, 2, 2], 'int8', new Array(16).fill(3), { scale: [0.01], zeroPoint: [0] });
  const y = b.tensor('y16', [1, 4, 4, 2], 'int16', { scale: [0.002], zeroPoint: [0] });
  b.op('TRANSPOSE_CONV', [b.constant('shape', [4], 'int32', [1, 4, 4, 2]), w, x, b.constant('bias', [2], 'int32', [5, -5])], [y], { padding: 'SAME', strideH: 2, strideW: 2 });
  b.io([x], [y]);
  refused(b.finish(), /^fc16\.tflite: op 0 \(TRANSPOSE_CONV\): bias "bias" is int32; supported: int64$/);
});

test.run();
