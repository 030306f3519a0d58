// Load-time checks of float32 ops (group f32, assembly/ops-f32.ts), the same in every build:
// a converted float model with one param, dtype or shape edited (CRC resealed) is refused by
// simd, scalar and streamed with the same code and message, never run into a trap.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { DType, ErrorCode, H, OpCode, T } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { buildF32Net } from '../src/testing/f32-models.js';
import { f32Bits } from '../src/passes/quant-math.js';
import { BIG, builds, refusedEverywhere } from './load-check-harness.js';

// CONV_2D(RELU) -> DEPTHWISE_CONV_2D -> ADD(RELU6) -> ACTIVATION(hard swish) -> AVERAGE_POOL_2D -> FULLY_CONNECTED -> SOFTMAX
const epk = convertModel(buildF32Net(), 'f32net.tflite', { log: () => {} }).epk;
const e = readEpk(epk);
const op = (code: OpCode): EpkOp => e.ops.find((o) => o.opcode === code)!;
const paramAt = (o: EpkOp, k: number) => o.at + 8 + ((2 * (o.inputs.length + o.outputs.length) + 3) & ~3) + 4 * k;
const tensorsAt = new DataView(epk.buffer, epk.byteOffset).getUint32(32 + 4, true); // first section: Tensors

function edited(params: [o: EpkOp, k: number, v: number][], bytes: [at: number, v: number][] = []): Uint8Array {
  const b = epk.slice();
  const v = new DataView(b.buffer);
  for (const [o, k, value] of params) v.setInt32(paramAt(o, k), value, true);
  for (const [at, value] of bytes) v.setUint8(at, value);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

test('the unedited float model loads and gives the same bytes in every build', async () => {
  assert.equal(e.ops.map((o) => o.opcode), [OpCode.Conv2D, OpCode.DepthwiseConv2D, OpCode.Add, OpCode.Activation, OpCode.AveragePool2D, OpCode.FullyConnected, OpCode.Softmax]);
  const x = new Uint8Array(Float32Array.from({ length: 72 }, (_, i) => Math.sin(i)).buffer);
  const outs = await Promise.all(builds.map(async ([, load]) => Array.from((await load(epk)).run(x)[0])));
  assert.is(outs[0].length, 12);
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
});

test('clamps: NaN or min above max refused with BAD_OP everywhere', async () => {
  await refusedEverywhere(edited([[op(OpCode.Conv2D), 9, f32Bits(-1)]]), ErrorCode.BadOp, /op 0 \(CONV_2D\).*clamp min above max/);
  await refusedEverywhere(edited([[op(OpCode.FullyConnected), 3, 0x7fc00000]]), ErrorCode.BadOp, /op 5 \(FULLY_CONNECTED\).*clamp min <= max/);
  await refusedEverywhere(edited([[op(OpCode.Add), 10, f32Bits(1)], [op(OpCode.Add), 11, f32Bits(0)]]), ErrorCode.BadOp, /op 2 \(ADD\).*clamp min <= max/);
  await refusedEverywhere(edited([[op(OpCode.AveragePool2D), 7, 0x7fc00000]]), ErrorCode.BadOp, /op 4 \(AVERAGE_POOL_2D\).*clamp min above max/);
});

test('int8-only params of a float op must be 0; geometry, kind, beta checked: BAD_OP everywhere', async () => {
  await refusedEverywhere(edited([[op(OpCode.Conv2D), 6, -3]]), ErrorCode.BadOp, /op 0 \(CONV_2D\).*offsets not 0/);
  await refusedEverywhere(edited([[op(OpCode.DepthwiseConv2D), 0, 0]]), ErrorCode.BadOp, /op 1 \(DEPTHWISE_CONV_2D\).*strides and dilations/);
  await refusedEverywhere(edited([[op(OpCode.Add), 3, 20]]), ErrorCode.BadOp, /op 2 \(ADD\).*offsets and multipliers must be 0/);
  await refusedEverywhere(edited([[op(OpCode.Activation), 0, 9]]), ErrorCode.BadOp, /op 3 \(ACTIVATION\).*unknown activation kind/);
  await refusedEverywhere(edited([[op(OpCode.AveragePool2D), 4, -1]]), ErrorCode.BadOp, /op 4 \(AVERAGE_POOL_2D\).*padding out of range/);
  await refusedEverywhere(edited([[op(OpCode.Softmax), 0, 0x7f800000]]), ErrorCode.BadOp, /op 6 \(SOFTMAX\).*beta must be finite/);
});

test('dtypes: a float op with an int8 weight, or an int8 output, refused with BAD_SHAPE everywhere', async () => {
  const dtypeAt = (t: number) => tensorsAt + t * 48 + T.dtype;
  const fc = op(OpCode.FullyConnected);
  await refusedEverywhere(edited([], [[dtypeAt(fc.inputs[1]), DType.Int32]]), ErrorCode.BadShape, /op 5 \(FULLY_CONNECTED\).*every input must be a plain float32 tensor/);
  // the conv's output int8 (bytes then do not match the shape: BAD_TENSOR at the tensor table first)
  const conv = op(OpCode.Conv2D);
  await refusedEverywhere(edited([], [[dtypeAt(conv.outputs[0]), DType.Int8]]), ErrorCode.BadTensor, /./);
});

test('an absent required input (tensor index 0xffff) is refused by name everywhere, never read (a fuzz finding)', async () => {
  const inputAt = (o: EpkOp, k: number) => o.at + 8 + 2 * k;
  const absent = (o: EpkOp, k: number) => edited([], [[inputAt(o, k), 0xff], [inputAt(o, k) + 1, 0xff]]);
  await refusedEverywhere(absent(op(OpCode.Add), 1), ErrorCode.BadShape, /op 2 \(ADD\).*expects two float32 inputs/);
  await refusedEverywhere(absent(op(OpCode.Add), 0), ErrorCode.BadOp, /op 2 \(ADD\).*input 0 is absent/);
  await refusedEverywhere(absent(op(OpCode.Activation), 0), ErrorCode.BadOp, /op 3 \(ACTIVATION\).*input 0 is absent/);
  await refusedEverywhere(absent(op(OpCode.Softmax), 0), ErrorCode.BadOp, /op 6 \(SOFTMAX\).*input 0 is absent/);
});

test.run();
