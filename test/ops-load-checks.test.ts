// Load-time checks of SUB, LEAKY_RELU and STRIDED_SLICE (assembly/ops.ts), the same in every
// build: a converted model with one param edited (CRC resealed) is refused by simd, scalar
// and streamed with the same code and message, never run into a trap or a wrong read.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { ErrorCode, H, OpCode, Section } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { buildOpsNet } from '../src/testing/op-models.js';
import { BIG, builds, refusedEverywhere } from './load-check-harness.js';

const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });

/** x [2, 5, 6] -> SUB(x, c) -> LEAKY_RELU -> STRIDED_SLICE [:, 1:5:2, ::-1] -> y [2, 2, 6]. */
function model(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 5, 6], 'int8', q(0.05, 4));
  const c = b.constant('c', [6], 'int8', [1, -2, 3, -4, 5, -6], q(0.02, 0));
  const d = b.tensor('d', [2, 5, 6], 'int8', q(0.08, -3));
  const e = b.tensor('e', [2, 5, 6], 'int8', q(0.06, -20));
  const y = b.tensor('y', [2, 2, 6], 'int8', q(0.06, -20));
  b.op('SUB', [x, c], [d]);
  b.op('LEAKY_RELU', [d], [e], { alpha: 0.2 });
  b.op('STRIDED_SLICE', [e, b.constant('begin', [3], 'int32', [0, 1, -1]), b.constant('end', [3], 'int32', [2, 5, 0]), b.constant('strides', [3], 'int32', [1, 2, -1])], [y], { endMask: 4 });
  b.io([x], [y]);
  return b.finish();
}

const epk = convertModel(model(), 'ops.tflite', { log: () => {} }).epk;
const e = readEpk(epk);
const op = (code: OpCode): EpkOp => e.ops.find((o) => o.opcode === code)!;
const paramAt = (o: EpkOp, k: number) => o.at + 8 + ((2 * (o.inputs.length + o.outputs.length) + 3) & ~3) + 4 * k;

function edited(edits: [o: EpkOp, k: number, v: number][], from = epk, raw: [at: number, v: number][] = []): Uint8Array {
  const b = from.slice();
  const v = new DataView(b.buffer);
  for (const [o, k, value] of edits) v.setInt32(paramAt(o, k), value, true);
  for (const [at, value] of raw) v.setInt32(at, value, true);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

test('the unedited model loads and gives the same bytes in every build', async () => {
  assert.equal(e.ops.map((o) => o.opcode), [OpCode.Sub, OpCode.LeakyRelu, OpCode.StridedSlice]);
  const x = new Uint8Array(60).map((_, i) => (i * 53) & 0xff);
  const outs = await Promise.all(builds.map(async ([, load]) => Array.from((await load(epk)).run(x)[0])));
  assert.is(outs[0].length, 24);
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
});

test('SUB: offsets, left shift, multipliers, activation bounds out of range: BAD_OP everywhere', async () => {
  const sub = op(OpCode.Sub);
  await refusedEverywhere(edited([[sub, 0, 129]]), ErrorCode.BadOp, /op 0 \(SUB\).*input offsets/);
  await refusedEverywhere(edited([[sub, 3, 21]]), ErrorCode.BadOp, /op 0 \(SUB\).*left shift out of range/);
  await refusedEverywhere(edited([[sub, 6, 5]]), ErrorCode.BadOp, /op 0 \(SUB\).*multiplier not 0 nor in \[2\^30, 2\^31\)/);
  await refusedEverywhere(edited([[sub, 9, 32]]), ErrorCode.BadOp, /op 0 \(SUB\).*shift not in \[-31, 31\]/);
  await refusedEverywhere(edited([[sub, 10, 5], [sub, 11, 4]]), ErrorCode.BadOp, /op 0 \(SUB\).*activation bounds/);
});

test('LEAKY_RELU: zero points and multipliers out of range: BAD_OP everywhere', async () => {
  const leaky = op(OpCode.LeakyRelu);
  await refusedEverywhere(edited([[leaky, 0, 128]]), ErrorCode.BadOp, /op 1 \(LEAKY_RELU\).*zero points out of int8 range/);
  await refusedEverywhere(edited([[leaky, 1, -129]]), ErrorCode.BadOp, /op 1 \(LEAKY_RELU\).*zero points/);
  await refusedEverywhere(edited([[leaky, 4, -(2 ** 30)]]), ErrorCode.BadOp, /op 1 \(LEAKY_RELU\).*multiplier not 0 nor in/);
  await refusedEverywhere(edited([[leaky, 3, -40]]), ErrorCode.BadOp, /op 1 \(LEAKY_RELU\).*shift not in \[-31, 31\]/);
});

test('STRIDED_SLICE: a start, stride or count that would read outside the input, or a size mismatch: refused everywhere', async () => {
  const slice = op(OpCode.StridedSlice);
  // params: start[4] stride[4] count[4] in the 4-D view; here start [0, 0, 1, 5], stride [1, 1, 2, -1], count [1, 2, 2, 6]
  assert.equal(slice.params, [0, 0, 1, 5, 1, 1, 2, -1, 1, 2, 2, 6]);
  const outside = /op 2 \(STRIDED_SLICE\).*slice start, stride or count reads outside the input/;
  await refusedEverywhere(edited([[slice, 3, 6]]), ErrorCode.BadOp, outside); // start past the axis
  await refusedEverywhere(edited([[slice, 2, -1]]), ErrorCode.BadOp, outside); // negative start
  await refusedEverywhere(edited([[slice, 6, 4]]), ErrorCode.BadOp, outside); // last index 1 + 4 = 5, past the axis of 5
  await refusedEverywhere(edited([[slice, 7, 1]]), ErrorCode.BadOp, outside); // 5 + 5 * 1 = 10 past 6
  await refusedEverywhere(edited([[slice, 7, 0]]), ErrorCode.BadOp, outside); // stride 0
  await refusedEverywhere(edited([[slice, 8, 0]]), ErrorCode.BadOp, outside); // count 0
  await refusedEverywhere(edited([[slice, 6, 2 ** 30], [slice, 10, 2 ** 31 - 1]]), ErrorCode.BadOp, outside); // i32 overflow of the last index
  await refusedEverywhere(edited([[slice, 10, 1]]), ErrorCode.BadShape, /op 2 \(STRIDED_SLICE\).*output size is not the slice size/);
});

test('TRANSPOSE_CONV: strides, padding, offsets, bounds, requant constants out of range: refused everywhere', async () => {
  const net = convertModel(buildOpsNet(), 'ops-net.tflite', { log: () => {} }).epk;
  const n = readEpk(net);
  const tc = n.ops.find((o) => o.opcode === OpCode.TransposeConv)!;
  assert.equal(tc.params, [2, 2, 0, 0, -2, -5, -128, 127]); // SAME, 3x3 filter, stride 2 on a 6x6 output: total pad 1, top/left 0
  const x = new Uint8Array(18).map((_, i) => (i * 29) & 0xff);
  const outs = await Promise.all(builds.map(async ([, load]) => Array.from((await load(net)).run(x)[0])));
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
  const range = /op 0 \(TRANSPOSE_CONV\).*strides \(1 to 2\^24\) or padding \(0 to 65535\) out of range/;
  await refusedEverywhere(edited([[tc, 0, 0]], net), ErrorCode.BadOp, range);
  await refusedEverywhere(edited([[tc, 1, 2 ** 24 + 1]], net), ErrorCode.BadOp, range);
  await refusedEverywhere(edited([[tc, 2, -1]], net), ErrorCode.BadOp, range);
  await refusedEverywhere(edited([[tc, 3, 65536]], net), ErrorCode.BadOp, range);
  await refusedEverywhere(edited([[tc, 4, 129]], net), ErrorCode.BadOp, /op 0 \(TRANSPOSE_CONV\).*input offset must be -zp/);
  await refusedEverywhere(edited([[tc, 6, 5], [tc, 7, 4]], net), ErrorCode.BadOp, /op 0 \(TRANSPOSE_CONV\).*activation bounds/);
  const data = n.sections.find((sec) => sec.kind === Section.Data)!.offset;
  const mult = data + n.tensors[tc.inputs[3]].offset, shift = data + n.tensors[tc.inputs[4]].offset;
  await refusedEverywhere(edited([], net, [[mult + 4, 12345]]), ErrorCode.BadOp, /op 0 \(TRANSPOSE_CONV\).*requantization multiplier is not 0 nor in \[2\^30, 2\^31\)/);
  await refusedEverywhere(edited([], net, [[shift, 40]]), ErrorCode.BadOp, /op 0 \(TRANSPOSE_CONV\).*requantization shift is not in \[-31, 31\]/);
});

test.run();
