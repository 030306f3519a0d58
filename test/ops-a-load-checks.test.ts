// Load-time checks of group a's ops (issue 10: TABLE_COPY, RESIZE_BILINEAR, REDUCE_MAX,
// ARG_MAX, GATHER in assembly/ops.ts), the same in every build: a converted model with one param
// edited (CRC resealed) is refused by simd, scalar and streamed with the same code and
// message, never run into a trap or a read outside its input.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { ErrorCode, H, OpCode } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { BIG, builds, refusedEverywhere } from './load-check-harness.js';

const qq = { scale: [0.05], zeroPoint: [4] };

/** x [1, 4, 4, 8] -> RESIZE_NEAREST_NEIGHBOR 6x5 -> RESIZE_BILINEAR 7x7 -> REDUCE_MAX axis 1 -> ARG_MAX axis 2 -> y int32 [1, 7]. */
function model(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4, 4, 8], 'int8', qq);
  const a = b.tensor('a', [1, 6, 5, 8], 'int8', qq);
  const c = b.tensor('c', [1, 7, 7, 8], 'int8', qq);
  const d = b.tensor('d', [1, 7, 8], 'int8', qq);
  const y = b.tensor('y', [1, 7], 'int32');
  b.op('RESIZE_NEAREST_NEIGHBOR', [x, b.constant('s1', [2], 'int32', [6, 5])], [a], { halfPixelCenters: true });
  b.op('RESIZE_BILINEAR', [a, b.constant('s2', [2], 'int32', [7, 7])], [c]);
  b.op('REDUCE_MAX', [c, b.constant('ax', [1], 'int32', [1])], [d]);
  b.op('ARG_MAX', [d, b.constant('am', [1], 'int32', [2])], [y]);
  b.io([x], [y]);
  return b.finish();
}

const epk = convertModel(model(), 'ops-a.tflite', { log: () => {} }).epk;
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

test('the unedited model loads and gives the same bytes in every build', async () => {
  assert.equal(e.ops.map((o) => o.opcode), [OpCode.TableCopy, OpCode.ResizeBilinear, OpCode.ReduceMax, OpCode.ArgMax]);
  const x = new Uint8Array(128).map((_, i) => (i * 53) & 0xff);
  const outs = await Promise.all(builds.map(async ([, load]) => Array.from((await load(epk)).run(x)[0])));
  assert.is(outs[0].length, 28);
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
});

test('TABLE_COPY: view dims, param count, negative and far-reaching offsets: refused everywhere', async () => {
  const t = op(OpCode.TableCopy);
  assert.equal(t.params.slice(0, 4), [1, 6, 5, 8]);
  assert.is(t.params.length, 4 + 1 + 6 + 5 + 8);
  await refusedEverywhere(edited([[t, 0, 0]]), ErrorCode.BadOp, /op 0 \(TABLE_COPY\).*view dims must be >= 1/);
  await refusedEverywhere(edited([[t, 3, 7]]), ErrorCode.BadOp, /op 0 \(TABLE_COPY\).*wrong number of params/);
  await refusedEverywhere(edited([[t, 2, 4], [t, 3, 9]]), ErrorCode.BadShape, /op 0 \(TABLE_COPY\).*output size is not the view size/);
  await refusedEverywhere(edited([[t, 4 + 1 + 2, -1]]), ErrorCode.BadOp, /op 0 \(TABLE_COPY\).*offset table entry below 0/);
  // the largest entries sum to 127, the last input byte; one more reaches past it
  await refusedEverywhere(edited([[t, 4 + 1 + 6 + 5 + 7, 8]]), ErrorCode.BadOp, /op 0 \(TABLE_COPY\).*offset tables reach past the input/);
});

test('RESIZE_BILINEAR: scales stepping past the input or overflowing, half_pixel flag: refused everywhere', async () => {
  const r = op(OpCode.ResizeBilinear);
  assert.equal(r.params, [878, 731, 0]); // round(1024 * 6 / 7), round(1024 * 5 / 7)
  await refusedEverywhere(edited([[r, 0, 1230]]), ErrorCode.BadOp, /op 1 \(RESIZE_BILINEAR\).*scale out of range/); // 6 * 1230 / 1024 = 7 > 5
  await refusedEverywhere(edited([[r, 1, -1]]), ErrorCode.BadOp, /op 1 \(RESIZE_BILINEAR\).*scale out of range/);
  await refusedEverywhere(edited([[r, 1, 2 ** 30]]), ErrorCode.BadOp, /op 1 \(RESIZE_BILINEAR\).*scale out of range/);
  await refusedEverywhere(edited([[r, 2, 2]]), ErrorCode.BadOp, /op 1 \(RESIZE_BILINEAR\).*half_pixel_centers must be 0 or 1/);
});

test('REDUCE_MAX and ARG_MAX: axis mask / axis out of range or leaving another size: refused everywhere', async () => {
  const m = op(OpCode.ReduceMax), a = op(OpCode.ArgMax);
  assert.equal(m.params, [2]);
  assert.equal(a.params, [3]);
  await refusedEverywhere(edited([[m, 0, 16]]), ErrorCode.BadOp, /op 2 \(REDUCE_MAX\).*axis mask out of range/);
  await refusedEverywhere(edited([[m, 0, 8]]), ErrorCode.BadShape, /op 2 \(REDUCE_MAX\).*output size does not match the reduced input/);
  await refusedEverywhere(edited([[a, 0, 4]]), ErrorCode.BadOp, /op 3 \(ARG_MAX\).*axis out of range/);
  await refusedEverywhere(edited([[a, 0, 2]]), ErrorCode.BadShape, /op 3 \(ARG_MAX\).*output size does not match the reduced input/);
});

/** x [2, 3, 4] -> GATHER axis 1 with run-time indices [2, 2] (batch_dims 1) -> y [2, 2, 4]. */
function gatherModel(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 3, 4], 'int8', qq);
  const i = b.tensor('i', [2, 2], 'int32');
  const y = b.tensor('y', [2, 2, 4], 'int8', qq);
  b.op('GATHER', [x, i], [y], { axis: 1, batchDims: 1 });
  b.io([x, i], [y]);
  return b.finish();
}

test('GATHER: batch, outer, axis, inner sizes that do not fit its tensors: refused everywhere', async () => {
  const g = convertModel(gatherModel(), 'gather.tflite', { log: () => {} }).epk;
  const o = readEpk(g).ops[0];
  assert.is(o.opcode, OpCode.Gather);
  assert.equal(o.params, [2, 1, 3, 4]);
  const edit = (k: number, value: number) => {
    const b = g.slice();
    const v = new DataView(b.buffer);
    v.setInt32(paramAt(o, k), value, true);
    v.setUint32(H.crc32, crc32(b, 16), true);
    return b;
  };
  await refusedEverywhere(edit(0, 0), ErrorCode.BadOp, /op 0 \(GATHER\).*sizes must be >= 1/);
  await refusedEverywhere(edit(2, 4), ErrorCode.BadShape, /op 0 \(GATHER\).*sizes do not fit/); // reads past x
  await refusedEverywhere(edit(0, 3), ErrorCode.BadShape, /op 0 \(GATHER\).*sizes do not fit/);
  await refusedEverywhere(edit(3, 2 ** 30), ErrorCode.BadShape, /op 0 \(GATHER\).*sizes do not fit/); // no i32 wrap
});

test.run();
