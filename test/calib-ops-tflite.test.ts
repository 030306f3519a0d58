// Float -> int8 calibration (--calibrate) of float .tflite models using the ops of issue 10
// (groups a, b, c; SUB with a constant operand, STRIDED_SLICE, TRANSPOSE_CONV, the lowered
// SLICE/SPLIT/UNPACK/PACK). The float models are the random single-op cases of the int8
// oracle tests with every int8 tensor made float32 (floatTwin), plus the float cases of group
// f32. Each converts with 8 random calibration inputs; the graph after quantize-int8 is
// written back as an int8 .tflite and run by tflm-run: the .epk's bytes in simd, scalar and
// streamed must equal it (test/calib-oracle.ts). The chosen parameters are checked too:
// ops that move bytes keep their input's scale, LOG_SOFTMAX 16/256 zp 127, L2_NORMALIZATION
// 1/128 zp 0, ARG_MAX / ARG_MIN int32 out.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel, importModel } from '../src/convert.js';
import { constValue } from '../src/float/interpret.js';
import { f32Bytes } from '../src/float/sqnr.js';
import { ConvertError, Graph, Tensor } from '../src/ir/graph.js';
import { splitPackCase, stridedSliceCase, transposeConvCase } from '../src/testing/f32-models.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { argCase, batchSpaceCase, depthSpaceCase, gatherCase, mirrorPadCase, reduceCase, resizeCase } from '../src/testing/ops-a-models.js';
import { binaryCase, l2normCase, unaryCase } from '../src/testing/ops-b-models.js';
import { logSoftmaxCase } from '../src/testing/ops-c-models.js';
import { calibratedMatchesTflm, coreOps, tfliteOf } from './calib-oracle.js';
import { hasTflm, rng } from './tflm-oracle.js';

if (!hasTflm) console.log('calib-ops-tflite: tflm-run absent (../shared/tools/tflm-run); comparing builds only');

/** The float32 model of an int8 (or float) .tflite: int8 tensors become float32, int8 constants dequantized. */
function floatTwin(model: Uint8Array): Uint8Array {
  const g = importModel(model, 'case.tflite');
  const tensors: Tensor[] = g.tensors.map((t) => (t.dtype === 'int8' ? { name: t.name, shape: t.shape, dtype: 'float32', data: constValue(t) } : t));
  return tfliteOf({ ...g, tensors } as Graph);
}

const elems = (s: number[]) => s.reduce((a, d) => a * d, 1);

/** Random float inputs for every float input of the model, uniform in [lo, hi]. */
function floatInputs(model: Uint8Array, r: () => number, lo: number, hi: number): Float32Array[] {
  const g = importModel(model, 'case.tflite');
  return g.inputs.map((t) => Float32Array.from({ length: elems(g.tensors[t].shape) }, () => lo + (hi - lo) * r()));
}

/** Calibrates on 8 samples, compares one further input; returns the quantized graph. */
async function check(what: string, model: Uint8Array, r: () => number, lo = -2, hi = 2): Promise<Graph> {
  const samples = Array.from({ length: 8 }, () => floatInputs(model, r, lo, hi));
  const x = floatInputs(model, r, lo, hi).map(f32Bytes);
  try {
    return (await calibratedMatchesTflm(what, model, samples, x)).quantized;
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

const q0 = (g: Graph, t: number) => [g.tensors[t].quant!.scale[0], g.tensors[t].quant!.zeroPoint[0]];
function theOp(g: Graph, type: string) {
  const op = g.ops.find((o) => o.type === type);
  assert.ok(op, `${type} in ${JSON.stringify(coreOps(g))}`);
  return op!;
}

const CASES = 4;

test('group a data movement (RESIZE_*, GATHER, MIRROR_PAD, DEPTH_TO_SPACE, SPACE_TO_DEPTH, *_TO_*_ND, REDUCE_MAX) keep the input scale; bytes as tflm-run', async () => {
  const r = rng(1001);
  const gens: [string, () => { model: Uint8Array; what: string }][] = [
    ['RESIZE_NEAREST_NEIGHBOR', () => resizeCase(r, 'RESIZE_NEAREST_NEIGHBOR')],
    ['RESIZE_BILINEAR', () => resizeCase(r, 'RESIZE_BILINEAR')],
    ['GATHER', () => gatherCase(r)],
    ['MIRROR_PAD', () => mirrorPadCase(r)],
    ['DEPTH_TO_SPACE', () => depthSpaceCase(r, 'DEPTH_TO_SPACE')],
    ['SPACE_TO_DEPTH', () => depthSpaceCase(r, 'SPACE_TO_DEPTH')],
    ['SPACE_TO_BATCH_ND', () => batchSpaceCase(r, 'SPACE_TO_BATCH_ND')],
    ['BATCH_TO_SPACE_ND', () => batchSpaceCase(r, 'BATCH_TO_SPACE_ND')],
    ['REDUCE_MAX', () => reduceCase(r, 'REDUCE_MAX')],
  ];
  for (const [type, gen] of gens) {
    for (let i = 0; i < CASES; i++) {
      const c = gen();
      const g = await check(`${type} ${c.what}`, floatTwin(c.model), r);
      const op = theOp(g, type);
      assert.equal(q0(g, op.outputs[0]), q0(g, op.inputs[0]), `${type} ${c.what}: output quantization is the input's`);
    }
  }
});

test('SUM (own calibrated scale), ARG_MAX / ARG_MIN (int32 out); bytes as tflm-run', async () => {
  const r = rng(1002);
  for (let i = 0; i < CASES; i++) {
    const c = reduceCase(r, 'SUM');
    await check(`SUM ${c.what}`, floatTwin(c.model), r);
    for (const type of ['ARG_MAX', 'ARG_MIN'] as const) {
      const a = argCase(r, type);
      const g = await check(`${type} ${a.what}`, floatTwin(a.model), r);
      const op = theOp(g, type);
      assert.is(g.tensors[op.outputs[0]].dtype, 'int32');
      assert.is(g.tensors[op.outputs[0]].quant, undefined);
    }
  }
});

test('SUB / SQUARED_DIFFERENCE / MAXIMUM / MINIMUM, constant or input operand, broadcasts; MAXIMUM/MINIMUM inputs at the output scale; bytes as tflm-run', async () => {
  const r = rng(1003);
  for (const type of ['SUB', 'SQUARED_DIFFERENCE', 'MAXIMUM', 'MINIMUM']) {
    for (let i = 0; i < CASES + 2; i++) {
      const c = binaryCase(r, type, 1, { swap: type !== 'SUB' || r() < 0.5 });
      const g = await check(`${type} ${c.what}`, floatTwin(c.model), r);
      const op = theOp(g, type);
      if (type === 'MAXIMUM' || type === 'MINIMUM') op.inputs.forEach((t) => assert.equal(q0(g, t), q0(g, op.outputs[0]), `${type} ${c.what}: input at the output scale`));
    }
  }
});

test('RSQRT (positive inputs), L2_NORMALIZATION (1/128, 0), LOG_SOFTMAX (16/256, 127); bytes as tflm-run', async () => {
  const r = rng(1004);
  for (let i = 0; i < CASES; i++) {
    const u = unaryCase(r, 'RSQRT', 1);
    await check(`RSQRT ${u.what}`, floatTwin(u.model), r, 0.05, 4);
    const l = l2normCase(r, 1);
    const gl = await check(`L2_NORMALIZATION ${l.what}`, floatTwin(l.model), r);
    assert.equal(q0(gl, theOp(gl, 'L2_NORMALIZATION').outputs[0]), [1 / 128, 0]);
    const s = logSoftmaxCase(r, 1);
    const gs = await check(`LOG_SOFTMAX ${s.what}`, floatTwin(s.model), r, -6, 6);
    assert.equal(q0(gs, theOp(gs, 'LOG_SOFTMAX').outputs[0]), [16 / 256, 127]);
  }
});

test('STRIDED_SLICE, TRANSPOSE_CONV (per-channel weights, int32 bias), SPLIT + PACK (lowered before quantize-int8); bytes as tflm-run', async () => {
  const r = rng(1005);
  for (let i = 0; i < CASES + 2; i++) {
    const s = stridedSliceCase(r);
    const g = await check(s.what, s.model, r);
    const op = theOp(g, 'STRIDED_SLICE');
    assert.equal(q0(g, op.outputs[0]), q0(g, op.inputs[0]));
    const t = transposeConvCase(r);
    const gt = await check(t.what, t.model, r);
    const tc = theOp(gt, 'TRANSPOSE_CONV');
    assert.is(gt.tensors[tc.inputs[1]].dtype, 'int8');
    assert.is(gt.tensors[tc.inputs[1]].quant!.scale.length, gt.tensors[tc.inputs[1]].shape[0]);
    if (tc.inputs[3] !== undefined && tc.inputs[3] >= 0) assert.is(gt.tensors[tc.inputs[3]].dtype, 'int32');
  }
  const sp = splitPackCase(r);
  const g = await check(sp.what, sp.model, r);
  assert.equal(coreOps(g).filter((t) => t === 'STRIDED_SLICE').length, 3);
  assert.ok(coreOps(g).includes('CONCATENATION'));
});

test('SLICE, UNPACK, SPLIT_V (lowered to STRIDED_SLICEs before quantize-int8): every output at the input scale; bytes as tflm-run', async () => {
  const r = rng(1006);
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 5, 3], 'float32');
  const i32 = (name: string, v: number[], shape = [v.length]) => b.constant(name, shape, 'int32', v);
  const a = b.tensor('a', [2, 3, 3], 'float32');
  b.op('SLICE', [x, i32('begin', [0, 1, 0]), i32('size', [2, 3, -1])], [a]);
  const u = [0, 1, 2].map((k) => b.tensor(`u${k}`, [2, 3], 'float32'));
  b.op('UNPACK', [a], u, { axis: 2 });
  const sv = [b.tensor('s0', [2, 2, 3], 'float32'), b.tensor('s1', [2, 3, 3], 'float32')];
  b.op('SPLIT_V', [x, i32('sizes', [2, -1]), i32('axis', [1], [])], sv);
  b.io([x], [u[0], u[2], sv[1]]);
  const g = await check('SLICE -> UNPACK, SPLIT_V', b.finish(), r);
  const slices = g.ops.filter((o) => o.type === 'STRIDED_SLICE');
  assert.is(slices.length, 4); // SLICE, two read UNPACK outputs, one read SPLIT_V output
  for (const op of slices) assert.equal(q0(g, op.outputs[0]), q0(g, op.inputs[0]));
});

test('a hostile float model (SPACE_TO_BATCH_ND paddings of 2e8, a DEPTH_TO_SPACE block of 1000) fails calibration naming the op, before computing', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 2, 2, 1], 'float32'), y = b.tensor('y', [4, 1, 1, 1], 'float32');
  b.op('SPACE_TO_BATCH_ND', [x, b.constant('block', [2], 'int32', [2, 2]), b.constant('pads', [2, 2], 'int32', [0, 2e8, 0, 0])], [y]);
  b.io([x], [y]);
  const samples = [[new Float32Array(4)]];
  assert.throws(() => convertModel(b.finish(), 's2b.tflite', { quantize: { samples }, log: () => {} }), (e: Error) => e instanceof ConvertError && /s2b\.tflite: [^\n]*SPACE_TO_BATCH_ND/.test(e.message) && !e.message.includes('\n'));
  const d = new TfliteBuilder();
  const dx = d.tensor('x', [1, 1, 1, 4], 'float32'), dy = d.tensor('y', [1, 2, 2, 1], 'float32');
  d.op('DEPTH_TO_SPACE', [dx], [dy], { blockSize: 1000 });
  d.io([dx], [dy]);
  assert.throws(() => convertModel(d.finish(), 'd2s.tflite', { quantize: { samples }, log: () => {} }), (e: Error) => e instanceof ConvertError && /d2s\.tflite: [^\n]*DEPTH_TO_SPACE/.test(e.message));
});

test.run();
