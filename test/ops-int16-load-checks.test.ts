// Load-time checks of the int16 (16x8) variants (assembly/ops.ts validateS16, const-check.ts),
// the same in every build: a converted 16x8 model with one param, dtype or constant edited
// (CRC resealed) is refused by simd, scalar and streamed with the same code and message,
// never run into a trap or a wrong read.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { DType, ErrorCode, H, OpCode, Section, T } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { buildInt16Net } from '../src/testing/int16-models.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { kernelMask, kernelNames } from '../src/format/kernels.js';
import { loadModel } from '../src/runtime/loader.js';
import { runtimeForKernels } from '../tools/firmware/build.js';
import { readFileSync } from 'node:fs';
import { BIG, builds, refusedEverywhere } from './load-check-harness.js';

const epk = convertModel(buildInt16Net(), 'ops16.tflite', { log: () => {} }).epk;
const e = readEpk(epk);
const op = (code: OpCode): EpkOp => e.ops.find((o) => o.opcode === code)!;
const paramAt = (o: EpkOp, k: number) => o.at + 8 + ((2 * (o.inputs.length + o.outputs.length) + 3) & ~3) + 4 * k;
const data = e.sections.find((sec) => sec.kind === Section.Data)!.offset;
const tensorsAt = e.sections.find((sec) => sec.kind === Section.Tensors)!.offset;
const recordOf = (t: number) => tensorsAt + t * 48;

function edited(edits: [o: EpkOp, k: number, v: number][], raw: [at: number, v: number][] = [], bytes: [at: number, v: number][] = []): Uint8Array {
  const b = epk.slice();
  const v = new DataView(b.buffer);
  for (const [o, k, value] of edits) v.setInt32(paramAt(o, k), value, true);
  for (const [at, value] of raw) v.setInt32(at, value, true);
  for (const [at, value] of bytes) v.setUint8(at, value);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

test('the unedited 16x8 model loads and gives the same bytes in every build', async () => {
  assert.equal(e.ops.map((o) => o.opcode), [OpCode.Conv2D, OpCode.DepthwiseConv2D, OpCode.Add, OpCode.Mul, OpCode.Sub, OpCode.FullyConnected]);
  const x = new Uint8Array(36).map((_, i) => (i * 53) & 0xff);
  const outs = await Promise.all(builds.map(async ([, load]) => Array.from((await load(epk)).run(x)[0])));
  assert.is(outs[0].length, 8);
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
});

test('FULLY_CONNECTED int16: offsets, bounds, bias dtype, shift constants out of range: refused everywhere', async () => {
  const fc = op(OpCode.FullyConnected);
  await refusedEverywhere(edited([[fc, 0, 1]]), ErrorCode.BadOp, /op 5 \(FULLY_CONNECTED\).*int16 input and output offsets must be 0/);
  await refusedEverywhere(edited([[fc, 3, 40000]]), ErrorCode.BadOp, /op 5 \(FULLY_CONNECTED\).*activation bounds must lie in \[-32768, 32767\]/);
  await refusedEverywhere(edited([[fc, 2, 5], [fc, 3, 4]]), ErrorCode.BadOp, /op 5 \(FULLY_CONNECTED\).*activation bounds/);
  const shift = data + e.tensors[fc.inputs[4]].offset;
  await refusedEverywhere(edited([], [[shift + 4, 8]]), ErrorCode.BadOp, /op 5 \(FULLY_CONNECTED\).*int16 op requantization shift is not in \[-31, 7\]/);
  await refusedEverywhere(edited([], [], [[recordOf(fc.inputs[2]) + T.dtype, DType.Int16]]), ErrorCode.BadTensor, /./); // bias bytes no longer match its shape
  await refusedEverywhere(edited([], [], [[recordOf(fc.outputs[0]) + T.dtype, DType.Int8]]), ErrorCode.BadTensor, /./);
});

test('CONV_2D, DEPTHWISE_CONV_2D int16: zero points, offsets, bounds, bias, shifts: refused everywhere', async () => {
  const conv = op(OpCode.Conv2D), dw = op(OpCode.DepthwiseConv2D);
  await refusedEverywhere(edited([[conv, 6, 3]]), ErrorCode.BadOp, /op 0 \(CONV_2D\).*int16 input and output offsets must be 0/);
  await refusedEverywhere(edited([[dw, 9, -40000]]), ErrorCode.BadOp, /op 1 \(DEPTHWISE_CONV_2D\).*activation bounds/);
  await refusedEverywhere(edited([], [[recordOf(conv.inputs[0]) + T.zeroPoint, 1]]), ErrorCode.BadShape, /op 0 \(CONV_2D\).*int16 input and output must have zero point 0/);
  await refusedEverywhere(edited([], [[data + e.tensors[dw.inputs[4]].offset, 9]]), ErrorCode.BadOp, /op 1 \(DEPTHWISE_CONV_2D\).*shift is not in \[-31, 7\]/);
  await refusedEverywhere(edited([[dw, 10, 2]]), ErrorCode.BadShape, /op 1 \(DEPTHWISE_CONV_2D\).*depth multiplier/);
});

test('ADD, SUB, MUL int16: left shift, offsets, multipliers, bounds, a second input with a zero point: refused everywhere', async () => {
  const add = op(OpCode.Add), sub = op(OpCode.Sub), mul = op(OpCode.Mul);
  await refusedEverywhere(edited([[add, 3, 20]]), ErrorCode.BadOp, /op 2 \(ADD\).*left shift must be 15/);
  await refusedEverywhere(edited([[sub, 1, 1]]), ErrorCode.BadOp, /op 4 \(SUB\).*offsets must be 0/);
  await refusedEverywhere(edited([[sub, 8, 7]]), ErrorCode.BadOp, /op 4 \(SUB\).*multiplier not 0 nor in/);
  await refusedEverywhere(edited([[mul, 4, 40]]), ErrorCode.BadOp, /op 3 \(MUL\).*shift not in \[-31, 31\]/);
  await refusedEverywhere(edited([[mul, 6, 32768]]), ErrorCode.BadOp, /op 3 \(MUL\).*activation bounds/);
  await refusedEverywhere(edited([], [[recordOf(sub.inputs[1]) + T.zeroPoint, -2]]), ErrorCode.BadShape, /op [24] \((ADD|SUB)\).*zero point 0/);
});

test('CONCATENATION int16: axis out of range, a zero point, shapes off the axis: refused everywhere', async () => {
  const b = new TfliteBuilder();
  const x0 = b.tensor('x0', [1, 2, 3], 'int16', { scale: [0.001], zeroPoint: [0] });
  const x1 = b.tensor('x1', [1, 4, 3], 'int16', { scale: [0.001], zeroPoint: [0] });
  const y = b.tensor('y', [1, 6, 3], 'int16', { scale: [0.001], zeroPoint: [0] });
  b.op('CONCATENATION', [x0, x1], [y], { axis: 1 });
  b.io([x0, x1], [y]);
  const cat = convertModel(b.finish(), 'cat16.tflite', { log: () => {} }).epk;
  const c = readEpk(cat);
  const o = c.ops[0];
  const at = (t: number) => c.sections.find((sec) => sec.kind === Section.Tensors)!.offset + t * 48;
  const edit = (k: number, v: number, size: 1 | 4 = 4) => {
    const bytes = cat.slice();
    const view = new DataView(bytes.buffer);
    if (size === 4) view.setInt32(k, v, true);
    else view.setUint8(k, v);
    view.setUint32(H.crc32, crc32(bytes, 16), true);
    return bytes;
  };
  await refusedEverywhere(edit(paramAt(o, 0), 4), ErrorCode.BadOp, /op 0 \(CONCATENATION\).*axis in 0\.\.3/);
  await refusedEverywhere(edit(at(o.inputs[1]) + T.zeroPoint, 3), ErrorCode.BadShape, /op 0 \(CONCATENATION\).*zero point 0/);
  assert.equal(o.params, [2]); // axis 1 of rank 3 in the 4-D view
  await refusedEverywhere(edit(paramAt(o, 0), 3), ErrorCode.BadShape, /op 0 \(CONCATENATION\).*(differ off the axis|fill the output axis)/);
});

test('PAD, TRANSPOSE, STRIDED_SLICE int16: pad value, paddings, perm, slice bounds, a zero point: refused everywhere', async () => {
  const q = { scale: [0.001], zeroPoint: [0] };
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 2, 3, 4], 'int16', q);
  const p = b.tensor('p', [1, 3, 4, 4], 'int16', q);
  const t = b.tensor('t', [1, 4, 3, 4], 'int16', q);
  const y = b.tensor('y', [1, 2, 3, 4], 'int16', q);
  const i32 = (name: string, v: number[], shape = [v.length]) => b.constant(name, shape, 'int32', v);
  b.op('PAD', [x, i32('pads', [0, 0, 1, 0, 0, 1, 0, 0], [4, 2])], [p]);
  b.op('TRANSPOSE', [p, i32('perm', [0, 3, 1, 2])], [t]);
  b.op('STRIDED_SLICE', [t, i32('begin', [0, 1, 0, 0]), i32('end', [1, 4, 3, 4]), i32('strides', [1, 2, 1, 1])], [y]);
  b.io([x], [y]);
  const mv = convertModel(b.finish(), 'move16.tflite', { log: () => {} }).epk;
  const m = readEpk(mv);
  assert.equal(m.ops.map((o) => o.opcode), [OpCode.Pad, OpCode.Transpose, OpCode.StridedSlice]);
  const xin = new Uint8Array(48).map((_, i) => (i * 53) & 0xff);
  const outs = await Promise.all(builds.map(async ([, load]) => Array.from((await load(mv)).run(xin)[0])));
  assert.is(outs[0].length, 48);
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
  const [pad, tr, sl] = m.ops;
  const at = (t: number) => m.sections.find((sec) => sec.kind === Section.Tensors)!.offset + t * 48;
  const edit = (k: number, v: number) => {
    const bytes = mv.slice();
    const view = new DataView(bytes.buffer);
    view.setInt32(k, v, true);
    view.setUint32(H.crc32, crc32(bytes, 16), true);
    return bytes;
  };
  await refusedEverywhere(edit(paramAt(pad, 8), 40000), ErrorCode.BadOp, /op 0 \(PAD\).*int16 pad value out of int16 range/);
  await refusedEverywhere(edit(paramAt(pad, 1), 2), ErrorCode.BadShape, /op 0 \(PAD\).*output is not the padded input/);
  await refusedEverywhere(edit(at(pad.inputs[0]) + T.zeroPoint, 1), ErrorCode.BadShape, /op 0 \(PAD\).*int16 input and output must have zero point 0/);
  await refusedEverywhere(edit(paramAt(tr, 1), 0), ErrorCode.BadOp, /op 1 \(TRANSPOSE\).*perm is not a permutation of 4 axes/);
  await refusedEverywhere(edit(paramAt(sl, 1), 3), ErrorCode.BadOp, /op 2 \(STRIDED_SLICE\).*slice start, stride or count reads outside the input/);
  await refusedEverywhere(edit(paramAt(sl, 11), 3), ErrorCode.BadShape, /op 2 \(STRIDED_SLICE\).*output size is not the slice size/);
});

test('LEAKY_RELU int16: offsets, multipliers, a zero point, sizes: refused everywhere', async () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 5], 'int16', { scale: [0.001], zeroPoint: [0] });
  const y = b.tensor('y', [2, 5], 'int16', { scale: [0.002], zeroPoint: [0] });
  b.op('LEAKY_RELU', [x], [y], { alpha: 0.2 });
  b.io([x], [y]);
  const lr = convertModel(b.finish(), 'leaky16.tflite', { log: () => {} }).epk;
  const m = readEpk(lr);
  const o = m.ops[0];
  assert.is(o.opcode, OpCode.LeakyRelu);
  const xin = new Uint8Array(20).map((_, i) => (i * 97) & 0xff);
  const outs = await Promise.all(builds.map(async ([, load]) => Array.from((await load(lr)).run(xin)[0])));
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
  const at = (t: number) => m.sections.find((sec) => sec.kind === Section.Tensors)!.offset + t * 48;
  const edit = (k: number, v: number) => {
    const bytes = lr.slice();
    const view = new DataView(bytes.buffer);
    view.setInt32(k, v, true);
    view.setUint32(H.crc32, crc32(bytes, 16), true);
    return bytes;
  };
  await refusedEverywhere(edit(paramAt(o, 1), 2), ErrorCode.BadOp, /op 0 \(LEAKY_RELU\).*int16 input and output offsets must be 0/);
  await refusedEverywhere(edit(paramAt(o, 2), 5), ErrorCode.BadOp, /op 0 \(LEAKY_RELU\).*multiplier not 0 nor in/);
  await refusedEverywhere(edit(paramAt(o, 5), 40), ErrorCode.BadOp, /op 0 \(LEAKY_RELU\).*shift not in \[-31, 31\]/);
  await refusedEverywhere(edit(at(o.outputs[0]) + T.zeroPoint, 1), ErrorCode.BadShape, /op 0 \(LEAKY_RELU\).*int16 input and output must have zero point 0/);
});

test('TRANSPOSE_CONV int16: offsets, bounds, strides, shifts, a zero point: refused everywhere', async () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 2, 3, 2], 'int16', { scale: [0.001], zeroPoint: [0] });
  const w = b.constant('w', [3, 2, 2, 2], 'int8', Array.from({ length: 24 }, (_, i) => (i * 29) % 200 - 100), { scale: [0.01], zeroPoint: [0] });
  const y = b.tensor('y', [1, 4, 6, 3], 'int16', { scale: [0.01], zeroPoint: [0] });
  b.op('TRANSPOSE_CONV', [b.constant('shape', [4], 'int32', [1, 4, 6, 3]), w, x, b.constant('bias', [3], 'int64', [100, -(2 ** 33), 7])], [y], { padding: 'SAME', strideH: 2, strideW: 2 });
  b.io([x], [y]);
  const tc = convertModel(b.finish(), 'tconv16.tflite', { log: () => {} }).epk;
  const m = readEpk(tc);
  const o = m.ops[0];
  assert.is(o.opcode, OpCode.TransposeConv);
  const xin = new Uint8Array(24).map((_, i) => (i * 71) & 0xff);
  const outs = await Promise.all(builds.map(async ([, load]) => Array.from((await load(tc)).run(xin)[0])));
  assert.is(outs[0].length, 144);
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
  const at = (t: number) => m.sections.find((sec) => sec.kind === Section.Tensors)!.offset + t * 48;
  const dataAt = m.sections.find((sec) => sec.kind === Section.Data)!.offset;
  const edit = (k: number, v: number) => {
    const bytes = tc.slice();
    const view = new DataView(bytes.buffer);
    view.setInt32(k, v, true);
    view.setUint32(H.crc32, crc32(bytes, 16), true);
    return bytes;
  };
  await refusedEverywhere(edit(paramAt(o, 4), 1), ErrorCode.BadOp, /op 0 \(TRANSPOSE_CONV\).*int16 input and output offsets must be 0/);
  await refusedEverywhere(edit(paramAt(o, 7), 40000), ErrorCode.BadOp, /op 0 \(TRANSPOSE_CONV\).*activation bounds must lie in \[-32768, 32767\]/);
  await refusedEverywhere(edit(paramAt(o, 0), 0), ErrorCode.BadOp, /op 0 \(TRANSPOSE_CONV\).*strides \(1 to 2\^24\) or padding/);
  await refusedEverywhere(edit(dataAt + m.tensors[o.inputs[4]].offset, 8), ErrorCode.BadOp, /op 0 \(TRANSPOSE_CONV\).*int16 op requantization shift is not in \[-31, 7\]/);
  await refusedEverywhere(edit(at(o.outputs[0]) + T.zeroPoint, 2), ErrorCode.BadShape, /op 0 \(TRANSPOSE_CONV\).*int16 input and output must have zero point 0/);
});

test('int16 PAD, TRANSPOSE, STRIDED_SLICE, LEAKY_RELU only: a runtime built for exactly their rows runs them as the default build', async () => {
  const q = { scale: [0.001], zeroPoint: [0] };
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 2, 3, 4], 'int16', q);
  const p = b.tensor('p', [1, 3, 4, 4], 'int16', q);
  const t = b.tensor('t', [1, 4, 3, 4], 'int16', q);
  const s = b.tensor('s', [1, 2, 3, 4], 'int16', q);
  const y = b.tensor('y', [1, 2, 3, 4], 'int16', { scale: [0.0015], zeroPoint: [0] });
  const i32 = (name: string, v: number[], shape = [v.length]) => b.constant(name, shape, 'int32', v);
  b.op('PAD', [x, i32('pads', [0, 0, 1, 0, 0, 1, 0, 0], [4, 2])], [p]);
  b.op('TRANSPOSE', [p, i32('perm', [0, 3, 1, 2])], [t]);
  b.op('STRIDED_SLICE', [t, i32('begin', [0, 1, 0, 0]), i32('end', [1, 4, 3, 4]), i32('strides', [1, 2, 1, 1])], [s]);
  b.op('LEAKY_RELU', [s], [y], { alpha: 0.3 });
  b.io([x], [y]);
  const mv = convertModel(b.finish(), 'tailored16.tflite', { log: () => {} }).epk;
  const mask = kernelMask(readEpk(mv));
  assert.equal(kernelNames(mask).sort(), ['leaky_relu', 'pad', 'strided_slice', 'transpose']);
  const xin = new Uint8Array(48).map((_, i) => (i * 89 + 7) & 0xff);
  const want = Array.from((await loadModelNode(mv, 'scalar')).run(xin)[0]);
  const got = Array.from((await loadModel(readFileSync(runtimeForKernels('resident', mask)), mv)).run(xin)[0]);
  assert.equal(got, want);
});

test.run();
