// Issue 10, group a, bit-exact with TFLM: RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR, ARG_MAX,
// ARG_MIN, GATHER, MIRROR_PAD, DEPTH_TO_SPACE, SPACE_TO_DEPTH, REDUCE_MAX, SUM,
// SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND on int8 (ARG_*: int32 out). Random shapes, axes,
// modes and quantization, each model built in code (src/testing/ops-a-models.ts) and run
// in tflm-run and in the simd, scalar and streamed builds (test/tflm-oracle.ts). Also what
// the converter refuses, by name.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { OpCode } from '../src/format/constants.js';
import { readEpk } from '../src/format/reader.js';
import { ConvertError } from '../src/ir/graph.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { OpCase, argCase, buildOpsANet, gatherDynamicCase, batchSpaceCase, depthSpaceCase, gatherCase, mirrorPadCase, reduceCase, resizeCase } from '../src/testing/ops-a-models.js';
import { assertMatchesTflm, hasTflm, rng } from './tflm-oracle.js';
import { ErrorCode } from '../src/format/constants.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';

const CASES = 10; // per op

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

async function oracle(name: string, seed: number, make: (r: () => number) => OpCase, opcode: OpCode): Promise<void> {
  if (skip()) return;
  const r = rng(seed);
  for (let c = 0; c < CASES; c++) {
    const { model, inputs, what } = make(r);
    const { epk } = convertModel(model, name, { log: () => {} });
    assert.ok(readEpk(epk).ops.some((op) => op.opcode === opcode), `${name} ${c}: runs as opcode ${opcode}`);
    await assertMatchesTflm(`${name} ${c}: ${what}`, model, inputs);
  }
}

test('RESIZE_NEAREST_NEIGHBOR (plain, align_corners, half_pixel_centers): bit-exact with tflm-run', async () => {
  await oracle('resize_nearest', 201, (r) => resizeCase(r, 'RESIZE_NEAREST_NEIGHBOR'), OpCode.TableCopy);
});

test('RESIZE_BILINEAR (plain, align_corners, half_pixel_centers; TFLM\'s 1/1024 integer steps): bit-exact with tflm-run', async () => {
  await oracle('resize_bilinear', 202, (r) => resizeCase(r, 'RESIZE_BILINEAR'), OpCode.ResizeBilinear);
});

test('ARG_MAX, ARG_MIN (int32 output, ties, negative axes): bit-exact with tflm-run', async () => {
  await oracle('arg_max', 203, (r) => argCase(r, 'ARG_MAX'), OpCode.ArgMax);
  await oracle('arg_min', 204, (r) => argCase(r, 'ARG_MIN'), OpCode.ArgMin);
});

test('GATHER (constant indices of rank 1-3, any axis): bit-exact with tflm-run', async () => {
  await oracle('gather', 205, gatherCase, OpCode.TableCopy);
});

test('GATHER with run-time int32 indices (a model input; batch_dims 0 and 1): bit-exact with tflm-run', async () => {
  await oracle('gather_runtime', 214, (r) => gatherDynamicCase(r), OpCode.Gather);
});

test('GATHER with a run-time index outside the axis: invoke fails with BAD_INDEX naming op and position, in every build', async () => {
  const r = rng(215);
  for (let c = 0; c < 4; c++) {
    const { model, inputs } = gatherDynamicCase(r, true);
    const { epk } = convertModel(model, 'g.tflite', { log: () => {} });
    const builds = [['simd', await loadModelNode(epk, 'simd')], ['scalar', await loadModelNode(epk, 'scalar')], ['streamed', await loadModelStreamed(epk)]] as const;
    for (const [name, m] of builds) {
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

test('MIRROR_PAD (REFLECT, SYMMETRIC, ranks 1-4, pads up to the limit): bit-exact with tflm-run', async () => {
  await oracle('mirror_pad', 206, mirrorPadCase, OpCode.TableCopy);
});

test('DEPTH_TO_SPACE, SPACE_TO_DEPTH: bit-exact with tflm-run', async () => {
  await oracle('depth_to_space', 207, (r) => depthSpaceCase(r, 'DEPTH_TO_SPACE'), OpCode.TableCopy);
  await oracle('space_to_depth', 208, (r) => depthSpaceCase(r, 'SPACE_TO_DEPTH'), OpCode.TableCopy);
});

test('REDUCE_MAX, SUM (axes, negative axes, keep_dims; SUM requantized): bit-exact with tflm-run', async () => {
  await oracle('reduce_max', 209, (r) => reduceCase(r, 'REDUCE_MAX'), OpCode.ReduceMax);
  await oracle('sum', 210, (r) => reduceCase(r, 'SUM'), OpCode.Mean);
});

test('SPACE_TO_BATCH_ND (paddings: a PADV2 of zeros before it), BATCH_TO_SPACE_ND (crops), ranks 3 and 4: bit-exact with tflm-run', async () => {
  await oracle('space_to_batch', 211, (r) => batchSpaceCase(r, 'SPACE_TO_BATCH_ND'), OpCode.TableCopy);
  await oracle('batch_to_space', 212, (r) => batchSpaceCase(r, 'BATCH_TO_SPACE_ND'), OpCode.TableCopy);
});

test('every group-a op in one chain (the fuzz seed): bit-exact with tflm-run, SUM requantizing', async () => {
  if (skip()) return;
  const r = rng(213);
  const inputs = Array.from({ length: 3 }, () => [Uint8Array.from({ length: 128 }, () => Math.floor(r() * 256))]);
  await assertMatchesTflm('ops-a chain', buildOpsANet(), inputs);
});

/** The conversion error of a one-op model x -> op(x, consts) -> y. */
function refusal(type: string, xShape: number[], yShape: number[], consts: [number[], number[]][], options: Record<string, unknown>, yDtype: 'int8' | 'int32' | 'int64' = 'int8', constIdx = true): string {
  const b = new TfliteBuilder();
  const qq = { scale: [0.05], zeroPoint: [3] };
  const x = b.tensor('x', xShape, 'int8', qq);
  const cs = consts.map(([shape, values], k) => (constIdx ? b.constant(`c${k}`, shape, 'int32', Int32Array.from(values)) : b.tensor(`c${k}`, shape, 'int32')));
  const y = yDtype === 'int8' ? b.tensor('y', yShape, 'int8', qq) : b.tensor('y', yShape, yDtype);
  b.op(type, [x, ...cs], [y], options);
  b.io(constIdx ? [x] : [x, ...cs], [y]);
  try {
    convertModel(b.finish(), 'm.tflite', { log: () => {} });
  } catch (e) {
    assert.instance(e, ConvertError);
    return (e as Error).message;
  }
  return assert.unreachable(`${type} converted`) as never;
}

test('refused by name: out-of-range constant GATHER indices, GATHER batch_dims past the axis, int64 ARG_MAX, bad SPACE_TO_BATCH_ND padding, bad MIRROR_PAD paddings', () => {
  assert.match(refusal('GATHER', [4, 3], [2, 3], [[[2], [1, 4]]], { axis: 0 }), /op 0 \(GATHER\): index 4 \(at position 1 of "c0"\) is outside axis 0 of size 4/);
  assert.match(refusal('GATHER', [4, 3], [4, 2], [[[4, 2], [1, 2, 0, 1, 1, 0, 2, 2]]], { axis: 0, batchDims: 1 }, 'int8', false), /op 0 \(GATHER\): batch_dims 1 must lie in \[0, 0\]/);
  assert.match(refusal('ARG_MAX', [4, 3], [4], [[[1], [1]]], { outputType: 4 }, 'int64'), /op 0 \(ARG_MAX\): output "y" is int64; only an int32 output is supported/);
  assert.match(refusal('SPACE_TO_BATCH_ND', [1, 4, 4, 1], [4, 3, 3, 1], [[[2], [2, 2]], [[2, 2], [1, 1, 1, 2]]], {}), /op 0 \(SPACE_TO_BATCH_ND\): input height 6 and width 7 must be multiples of block_shape \[2,2\]/);
  assert.match(refusal('MIRROR_PAD', [2, 3], [4, 3], [[[2, 2], [2, 0, 0, 0]]], { mode: 0 }), /op 0 \(MIRROR_PAD\): paddings \[2, 0\] of axis 0 \(size 2\) out of range: REFLECT pads at most 1/);
  assert.match(refusal('RESIZE_BILINEAR', [1, 2, 2, 1], [1, 3, 3, 1], [[[2], [3, 3]]], { alignCorners: true, halfPixelCenters: true }), /op 0 \(RESIZE_BILINEAR\): align_corners and half_pixel_centers together/);
  assert.match(refusal('RESIZE_NEAREST_NEIGHBOR', [1, 2, 2, 1], [1, 3, 4, 1], [[[2], [3, 3]]], {}), /op 0 \(RESIZE_NEAREST_NEIGHBOR\): output "y" has shape \[1,3,4,1\]; the op gives \[1,3,3,1\]/);
});

test.run();
