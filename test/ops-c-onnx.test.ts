// ONNX Div (constant or input divisor) -> DIV and PRelu (constant slope) -> PRELU, calibrated, bytes as tflm-run on the equivalent int8 tflite.
// ONNX LogSoftmax (issue 10, group c): imported as LOG_SOFTMAX over the last axis; the float
// reference's values by hand; a float model with calibration data converts to QUANTIZE,
// LOG_SOFTMAX (output 16/256, zero point 127), DEQUANTIZE whose bytes equal tflm-run's on the
// equivalent int8 tflite, in simd, scalar and streamed; other axes refused naming the node.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { runFloat } from '../src/float/interpret.js';
import { f32, f32Bytes } from '../src/float/sqnr.js';
import { importOnnx } from '../src/import/onnx/index.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { OnnxBuilder } from '../src/testing/onnx-builder.js';
import { logSoftmaxModel } from '../src/testing/ops-c-models.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { hasTflm, rng, runTflm } from './tflm-oracle.js';

function logSoftmaxOnnx(shape: number[], axis: number): Uint8Array {
  const b = new OnnxBuilder();
  b.output(b.node('LogSoftmax', [b.input('x', shape)], { axis }), shape);
  return b.build();
}

test('LogSoftmax imports as LOG_SOFTMAX; float reference by hand', () => {
  const g = importOnnx(logSoftmaxOnnx([2, 3], -1), 'ls.onnx');
  assert.equal(g.ops.map((o) => o.type), ['LOG_SOFTMAX']);
  const [y] = runFloat(g, [Float32Array.from([1, 2, 3, -1, -1, -1])]);
  const l = Math.log(Math.exp(-2) + Math.exp(-1) + 1);
  const want = [-2 - l, -1 - l, -l, -Math.log(3), -Math.log(3), -Math.log(3)];
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(y[i] - want[i]) < 1e-6, `${i}: ${y[i]} vs ${want[i]}`);
});

test('LogSoftmax over another axis is refused naming the node; without calibration it runs as float32 LOG_SOFTMAX', async () => {
  assert.throws(() => importOnnx(logSoftmaxOnnx([2, 3], 0), 'ls0.onnx'), /ls0\.onnx: node 0 "LogSoftmax_0" \(LogSoftmax\): log softmax over axis 0 of \[2,3\] is not supported/);
  const m = await loadModelNode(convertModel(logSoftmaxOnnx([2, 3], -1), 'ls.onnx', { log: () => {} }).epk, 'scalar');
  const y = f32(m.run(f32Bytes(Float32Array.from([1, 2, 3, -1, -1, -1])))[0]);
  const l = Math.log(Math.exp(-2) + Math.exp(-1) + 1);
  const want = [-2 - l, -1 - l, -l, -Math.log(3), -Math.log(3), -Math.log(3)];
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(y[i] - want[i]) < 1e-6, `${i}: ${y[i]} vs ${want[i]}`);
});

test('LogSoftmax with calibration: QUANTIZE, LOG_SOFTMAX (16/256, 127), DEQUANTIZE, bytes as tflm-run on the int8 tflite (simd, scalar, streamed)', async () => {
  const r = rng(419);
  for (const [shape, spread] of [[[4, 10], 3], [[3, 37], 12], [[2, 200], 0.5]] as [number[], number][]) {
    const n = shape[0] * shape[1];
    const samples = [[Float32Array.from({ length: n }, () => (r() * 2 - 1) * spread)]];
    const { graph, epk } = convertModel(logSoftmaxOnnx(shape, -1), 'ls.onnx', { quantize: { samples }, log: () => {} });
    assert.equal(graph.ops.map((o) => o.type), ['QUANTIZE', 'LOG_SOFTMAX', 'DEQUANTIZE']);
    const xq = graph.tensors[graph.ops[1].inputs[0]].quant!, yq = graph.tensors[graph.ops[1].outputs[0]].quant!;
    assert.equal([yq.scale[0], yq.zeroPoint[0]], [16 / 256, 127]);
    // inputs on the int8 grid, so QUANTIZE is exact
    const codes = Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);
    const x = Float32Array.from(codes, (c) => xq.scale[0] * (c - xq.zeroPoint[0]));
    const outs = [
      f32((await loadModelNode(epk, 'simd')).run(f32Bytes(x))[0]),
      f32((await loadModelNode(epk, 'scalar')).run(f32Bytes(x))[0]),
      f32((await loadModelStreamed(epk)).run(f32Bytes(x))[0]),
    ];
    const ref = runFloat(importOnnx(logSoftmaxOnnx(shape, -1), 'ls.onnx'), [x])[0];
    for (let i = 0; i < n; i++) assert.ok(Math.abs(outs[0][i] - Math.max(ref[i], -255 / 16)) <= 2 / 16 + 1e-6, `float reference ${i}: ${outs[0][i]} vs ${ref[i]}`);
    assert.equal(Array.from(outs[1]), Array.from(outs[0]));
    assert.equal(Array.from(outs[2]), Array.from(outs[0]));
    if (!hasTflm) continue;
    const [t] = runTflm(logSoftmaxModel(shape, xq.scale[0], xq.zeroPoint[0]), [[new Uint8Array(codes.buffer)]]);
    const want = Array.from(new Int8Array(t.buffer, t.byteOffset, t.length), (q) => Math.fround((q - 127) / 16));
    assert.equal(Array.from(outs[0]), want, `${JSON.stringify(shape)}`);
  }
});

/** A calibrated one-op ONNX model: QUANTIZE, `type`, DEQUANTIZE, its bytes in simd, scalar and streamed equal, and as tflm-run's on the equivalent int8 tflite. */
async function binaryMatchesTflm(onnxOp: string, type: string, shape: number[], sShape: number[], constant: number[] | null, fx: Float32Array[], r: () => number): Promise<void> {
  const n = shape.reduce((a, d) => a * d, 1);
  const onnx = () => {
    const b = new OnnxBuilder();
    const x = b.input('x', shape);
    const second = constant ? b.init(sShape, constant) : b.input('b', sShape);
    b.output(b.node(onnxOp, [x, second]), shape);
    return b.build();
  };
  const { graph, epk } = convertModel(onnx(), 'b.onnx', { quantize: { samples: [fx] }, log: () => {} });
  assert.equal(graph.ops.map((o) => o.type).filter((t) => t !== 'QUANTIZE'), [type, 'DEQUANTIZE']);
  const p = graph.ops.find((o) => o.type === type)!, T = (k: number) => graph.tensors[k];
  const qs = p.inputs.map((k) => T(k).quant!), yq = T(p.outputs[0]).quant!;
  const codes = p.inputs.map((k) => Int8Array.from({ length: T(k).shape.reduce((a, d) => a * d, 1) }, () => Math.floor(r() * 256) - 128));
  const floats = constant ? [0] : [0, 1];
  const xs = floats.map((i) => f32Bytes(Float32Array.from(codes[i], (c) => qs[i].scale[0] * (c - qs[i].zeroPoint[0]))));
  const outs = [
    f32((await loadModelNode(epk, 'simd')).run(...xs)[0]),
    f32((await loadModelNode(epk, 'scalar')).run(...xs)[0]),
    f32((await loadModelStreamed(epk)).run(...xs)[0]),
  ];
  assert.is(outs[0].length, n);
  assert.equal(Array.from(outs[1]), Array.from(outs[0]));
  assert.equal(Array.from(outs[2]), Array.from(outs[0]));
  if (!hasTflm) return;
  const tb = new TfliteBuilder();
  const spec = (q: { scale: number[]; zeroPoint: number[] }) => ({ scale: [q.scale[0]], zeroPoint: [q.zeroPoint[0]] });
  const tx = tb.tensor('x', shape, 'int8', spec(qs[0]));
  const t1 = constant ? tb.constant('b', T(p.inputs[1]).shape, 'int8', T(p.inputs[1]).data as Int8Array, spec(qs[1])) : tb.tensor('b', T(p.inputs[1]).shape, 'int8', spec(qs[1]));
  const ty = tb.tensor('y', shape, 'int8', spec(yq));
  tb.op(type, [tx, t1], [ty], type === 'DIV' ? { activation: 'NONE' } : {});
  tb.io(constant ? [tx] : [tx, t1], [ty]);
  const [t] = runTflm(tb.finish(), [floats.map((i) => new Uint8Array(codes[i].buffer))]);
  const want = Array.from(new Int8Array(t.buffer, t.byteOffset, t.length), (q) => Math.fround(Math.fround(yq.scale[0]) * (q - yq.zeroPoint[0])));
  assert.equal(Array.from(outs[0]), want, `${onnxOp} ${JSON.stringify(shape)} ${JSON.stringify(sShape)}`);
}

test('Div (constant or input divisor) with calibration: DIV; float reference by hand; bytes as tflm-run on the int8 tflite (simd, scalar, streamed)', async () => {
  const r = rng(431);
  for (const [shape, sShape, isConst] of [[[2, 6], [6], true], [[3, 4, 5], [1, 5], false], [[5, 7], [5, 7], false], [[4, 3], [1], true]] as [number[], number[], boolean][]) {
    const n = shape.reduce((a, d) => a * d, 1), ns = sShape.reduce((a, d) => a * d, 1);
    const divisor = Array.from({ length: ns }, () => (0.5 + r() * 1.5) * (r() < 0.3 ? -1 : 1));
    const fx = Float32Array.from({ length: n }, () => (r() * 2 - 1) * 3);
    const b = new OnnxBuilder();
    b.output(b.node('Div', [b.input('x', shape), isConst ? b.init(sShape, divisor) : b.input('d', sShape)]), shape);
    const fd = Float32Array.from(divisor);
    const ref = runFloat(importOnnx(b.build(), 'd.onnx'), isConst ? [fx] : [fx, fd])[0];
    for (let i = 0; i < n; i++) assert.ok(Math.abs(ref[i] - fx[i] / fd[i % ns]) < 1e-5 * Math.max(1, Math.abs(ref[i])), `float reference ${i}`);
    await binaryMatchesTflm('Div', 'DIV', shape, sShape, isConst ? divisor : null, isConst ? [fx] : [fx, fd], r);
  }
});

test('PRelu with a constant slope and calibration: QUANTIZE, PRELU, DEQUANTIZE; float reference by hand; bytes as tflm-run on the int8 tflite (simd, scalar, streamed)', async () => {
  const r = rng(421);
  for (const [shape, sShape] of [[[2, 6], [6]], [[3, 4, 5], [1, 5]], [[5, 7], [1]]] as [number[], number[]][]) {
    const n = shape.reduce((a, d) => a * d, 1), ns = sShape.reduce((a, d) => a * d, 1);
    const slope = Array.from({ length: ns }, () => r() * 1.5 - 0.5);
    const onnx = () => {
      const b = new OnnxBuilder();
      b.output(b.node('PRelu', [b.input('x', shape), b.init(sShape, slope)]), shape);
      return b.build();
    };
    const fx = Float32Array.from({ length: n }, () => (r() * 2 - 1) * 4);
    const ref = runFloat(importOnnx(onnx(), 'p.onnx'), [fx])[0];
    for (let i = 0; i < n; i++) {
      const a = Math.fround(slope[i % ns]);
      assert.ok(Math.abs(ref[i] - (fx[i] >= 0 ? fx[i] : fx[i] * a)) < 1e-5, `float reference ${i}`);
    }
    const { graph, epk } = convertModel(onnx(), 'p.onnx', { quantize: { samples: [[fx]] }, log: () => {} });
    const types = graph.ops.map((o) => o.type);
    assert.equal(types, ['QUANTIZE', 'PRELU', 'DEQUANTIZE']);
    const p = graph.ops[1], T = (k: number) => graph.tensors[k];
    const xq = T(p.inputs[0]).quant!, aq = T(p.inputs[1]).quant!, yq = T(p.outputs[0]).quant!;
    const codes = Int8Array.from({ length: n }, () => Math.floor(r() * 256) - 128);
    const x = Float32Array.from(codes, (c) => xq.scale[0] * (c - xq.zeroPoint[0]));
    const outs = [
      f32((await loadModelNode(epk, 'simd')).run(f32Bytes(x))[0]),
      f32((await loadModelNode(epk, 'scalar')).run(f32Bytes(x))[0]),
      f32((await loadModelStreamed(epk)).run(f32Bytes(x))[0]),
    ];
    assert.equal(Array.from(outs[1]), Array.from(outs[0]));
    assert.equal(Array.from(outs[2]), Array.from(outs[0]));
    if (!hasTflm) continue;
    const tb = new TfliteBuilder();
    const tx = tb.tensor('x', shape, 'int8', { scale: [xq.scale[0]], zeroPoint: [xq.zeroPoint[0]] });
    const ta = tb.constant('alpha', T(p.inputs[1]).shape, 'int8', T(p.inputs[1]).data as Int8Array, { scale: [aq.scale[0]], zeroPoint: [aq.zeroPoint[0]] });
    const ty = tb.tensor('y', shape, 'int8', { scale: [yq.scale[0]], zeroPoint: [yq.zeroPoint[0]] });
    tb.op('PRELU', [tx, ta], [ty]);
    tb.io([tx], [ty]);
    const [t] = runTflm(tb.finish(), [[new Uint8Array(codes.buffer)]]);
    const want = Array.from(new Int8Array(t.buffer, t.byteOffset, t.length), (q) => Math.fround(Math.fround(yq.scale[0]) * (q - yq.zeroPoint[0])));
    assert.equal(Array.from(outs[0]), want, JSON.stringify(shape));
  }
});

test.run();
