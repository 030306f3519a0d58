// ONNX import: layout (NCHW -> NHWC once), op coverage, errors naming the node, and the
// two reference architectures built in code, quantized and run by the int8 runtime.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel, importModel } from '../src/convert.js';
import { randomInputs } from '../src/float/calibrate.js';
import { runFloat } from '../src/float/interpret.js';
import { argmax, f32, f32Bytes, measureSqnr } from '../src/float/sqnr.js';
import { importOnnx, isOnnx } from '../src/import/onnx/index.js';
import { ConvertError } from '../src/ir/graph.js';
import { loadModelNode } from '../src/runtime/node.js';
import { NetBuilder, OnnxBuilder, mobileNetStyle, resNetStyle } from '../src/testing/onnx-builder.js';

/** NCHW data -> NHWC data for a [n, c, h, w] shape. */
function toNhwc(x: ArrayLike<number>, [n, c, h, w]: number[]): Float32Array {
  const out = new Float32Array(n * c * h * w);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) {
    out[((b * h + y) * w + xx) * c + ch] = x[((b * c + ch) * h + y) * w + xx];
  }
  return out;
}

const iota = (n: number) => Float32Array.from({ length: n }, (_, i) => i);

test('importer is picked by content: ONNX protobuf vs TFLite flatbuffer', () => {
  const b = new OnnxBuilder();
  b.output(b.node('Relu', [b.input('x', [1, 4])]), [1, 4]);
  const bytes = b.build();
  assert.ok(isOnnx(bytes));
  assert.is(importModel(bytes, 'relu.onnx').ops[0].type, 'RELU');
});

test('Flatten of a 4-D tensor keeps NCHW order (a TRANSPOSE is inserted), 1x1 spatial needs none', () => {
  const b = new OnnxBuilder();
  b.output(b.node('Flatten', [b.input('x', [1, 2, 2, 3])]), [1, 12]);
  const g = importOnnx(b.build(), 'flatten.onnx');
  assert.equal(g.tensors[g.inputs[0]].shape, [1, 2, 3, 2]);
  assert.ok(g.ops.some((o) => o.type === 'TRANSPOSE'));
  const [y] = runFloat(g, [toNhwc(iota(12), [1, 2, 2, 3])]);
  assert.equal(Array.from(y), Array.from(iota(12)));

  const b2 = new OnnxBuilder();
  b2.output(b2.node('Flatten', [b2.node('GlobalAveragePool', [b2.input('x', [1, 5, 2, 2])])]), [1, 5]);
  const g2 = importOnnx(b2.build(), 'gap.onnx');
  assert.not.ok(g2.ops.some((o) => o.type === 'TRANSPOSE'));
  const [y2] = runFloat(g2, [toNhwc(iota(20), [1, 5, 2, 2])]);
  assert.equal(Array.from(y2), [1.5, 5.5, 9.5, 13.5, 17.5]);
});

test('Concat on channels, Transpose, Reshape, Pad and Add of a per-channel constant follow ONNX semantics', () => {
  const b = new OnnxBuilder();
  const x = b.input('x', [1, 2, 2, 2]);
  const c = b.node('Concat', [x, b.node('Add', [x, b.init([2, 1, 1], [10, 20])])], { axis: 1 }); // [1,4,2,2]
  const p = b.node('Pad', [c, b.ints([0, 0, 1, 0, 0, 0, 0, 1])]); // [1,4,3,3]
  const t = b.node('Transpose', [p], { perm: [0, 2, 3, 1] }); // [1,3,3,4]
  const r = b.node('Reshape', [t, b.ints([1, -1])]);
  b.output(r, [1, 36]);
  const g = importOnnx(b.build(), 'layout.onnx');
  const xs = iota(8);
  const [y] = runFloat(g, [toNhwc(xs, [1, 2, 2, 2])]);
  // Expected, computed in NCHW by hand.
  const cat = [...xs, ...Array.from(xs, (v, i) => v + (i < 4 ? 10 : 20))]; // [4][2][2]
  const padded: number[] = [];
  for (let ch = 0; ch < 4; ch++) for (let yy = 0; yy < 3; yy++) for (let xx = 0; xx < 3; xx++) {
    padded.push(yy >= 1 && xx < 2 ? cat[ch * 4 + (yy - 1) * 2 + xx] : 0);
  }
  const want: number[] = [];
  for (let yy = 0; yy < 3; yy++) for (let xx = 0; xx < 3; xx++) for (let ch = 0; ch < 4; ch++) want.push(padded[ch * 9 + yy * 3 + xx]);
  assert.equal(Array.from(y), want);
});

test('Conv weights are rearranged OIHW -> OHWI: a 2x2 conv by hand', () => {
  const b = new OnnxBuilder();
  // 2 input channels, 1 output, kernel 1x2: w[0, c, 0, k] = [[1, 2], [3, 4]]
  const y = b.node('Conv', [b.input('x', [1, 2, 1, 3]), b.init([1, 2, 1, 2], [1, 2, 3, 4])], { kernel_shape: [1, 2] });
  b.output(y, [1, 1, 1, 2]);
  const g = importOnnx(b.build(), 'conv.onnx');
  const x = [1, 2, 3, 10, 20, 30]; // NCHW: channel 0 = 1 2 3, channel 1 = 10 20 30
  const [out] = runFloat(g, [toNhwc(x, [1, 2, 1, 3])]);
  assert.equal(Array.from(out), [1 * 1 + 2 * 2 + 10 * 3 + 20 * 4, 2 * 1 + 3 * 2 + 20 * 3 + 30 * 4]);
});


test('a Constant node without a value is named in the error', () => {
  const b = new OnnxBuilder();
  b.output(b.node('Add', [b.input('x', [1, 2]), b.node('Constant', [], {})]), [1, 2]);
  assert.throws(() => importOnnx(b.build(), 'c.onnx'), /c\.onnx: node 0 "Constant_0" \(Constant\): Constant without a supported value attribute/);
});

test('pools with padding, Gemm (alpha, beta, transB = 0), MatMul, Squeeze/Unsqueeze, LeakyRelu, Softmax: values by hand', () => {
  const b = new OnnxBuilder();
  const x = b.input('x', [1, 1, 2, 2]);
  const avg = b.node('AveragePool', [x], { kernel_shape: [2, 2], pads: [1, 1, 0, 0] }); // counts valid taps only
  const max = b.node('MaxPool', [b.node('Mul', [x, b.init([], [-1])])], { kernel_shape: [2, 2], pads: [0, 0, 1, 1] });
  const flat = b.node('Squeeze', [b.node('Unsqueeze', [b.node('Flatten', [b.node('Concat', [avg, max], { axis: 1 })]), b.ints([0])]), b.ints([0])]);
  const gemm = b.node('Gemm', [flat, b.init([8, 2], [1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1]), b.init([2], [1, 2])], { alpha: { float: 0.5 }, beta: { float: 2 } });
  const mm = b.node('MatMul', [b.node('LeakyRelu', [gemm], { alpha: { float: 0.5 } }), b.init([2, 2], [1, 1, 0, -1])]);
  const sm = b.node('Softmax', [mm], { axis: -1 });
  for (const [t, n] of [[sm, 2], [mm, 2], [gemm, 2], [flat, 8]] as const) b.output(t, [1, n]);
  const g = importOnnx(b.build(), 'ops.onnx');
  const [ysm, ymm, ygemm, yflat] = runFloat(g, [Float32Array.from([1, 2, 3, 4])]); // 1x1x2x2: NCHW = NHWC
  // avg over padded 2x2 windows: [1, 1.5, 2, 2.5]; max of -x: [-1, -2, -3, -4]
  assert.equal(Array.from(yflat), [1, 1.5, 2, 2.5, -1, -2, -3, -4]);
  // gemm: even positions sum to 1 + 2 - 1 - 3 = -1, odd to 1.5 + 2.5 - 2 - 4 = -2; * 0.5 + 2 * [1, 2]
  assert.equal(Array.from(ygemm), [1.5, 3]);
  assert.equal(Array.from(ymm), [1.5, -1.5]); // [1.5 + 0, 1.5 - 3]
  const e = Math.exp(3);
  assert.ok(Math.abs(ysm[0] - e / (e + 1)) < 1e-6 && Math.abs(ysm[1] - 1 / (e + 1)) < 1e-6);
});

test('ConvTranspose (stride 1) by hand: each input scatters the kernel', () => {
  const b = new OnnxBuilder();
  // 1 input channel 1x2, kernel [1 in, 1 out, 1, 2] = [1, 10], no pads: output 1x3.
  b.output(b.node('ConvTranspose', [b.input('x', [1, 1, 1, 2]), b.init([1, 1, 1, 2], [1, 10]), b.init([1], [0.5])], { kernel_shape: [1, 2] }), [1, 1, 1, 3]);
  const g = importOnnx(b.build(), 'ct.onnx');
  assert.equal(g.ops.map((o) => o.type), ['CONV_2D']);
  const [y] = runFloat(g, [Float32Array.from([2, 3])]);
  assert.equal(Array.from(y), [2 + 0.5, 20 + 3 + 0.5, 30 + 0.5]);
  const b2 = new OnnxBuilder();
  // strides > 1 go to TRANSPOSE_CONV (test/onnx-more-ops.test.ts), whose padding TFLite derives from the output size
  b2.output(b2.node('ConvTranspose', [b2.input('x', [1, 1, 2, 2]), b2.init([1, 1, 2, 2], [1, 2, 3, 4])], { strides: [2, 2], pads: [1, 0, 0, 0] }), []);
  assert.throws(() => importOnnx(b2.build(), 'ct2.onnx'), /node 0 "ConvTranspose_0" \(ConvTranspose\): pads \[1,0,0,0\] with output_padding \[0,0\] are not TFLite's SAME or VALID padding/);
});

test('ConvTranspose with 2 -> 3 channels, 2x3 kernel and pads matches a direct NCHW scatter', () => {
  const b = new NetBuilder(12);
  const [ci, co, kh, kw, h, w] = [2, 3, 2, 3, 3, 4];
  const W = b.randn(ci * co * kh * kw, 1), X = b.randn(ci * h * w, 1);
  const [pt, pl, pb, pr] = [1, 0, 0, 2];
  const oh = h - 1 + kh - pt - pb, ow = w - 1 + kw - pl - pr;
  b.output(b.node('ConvTranspose', [b.input('x', [1, ci, h, w]), b.init([ci, co, kh, kw], W)], { kernel_shape: [kh, kw], pads: [pt, pl, pb, pr] }), [1, co, oh, ow]);
  const g = importOnnx(b.build(), 'ct3.onnx');
  const want = new Float32Array(co * oh * ow);
  for (let i = 0; i < ci; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let o = 0; o < co; o++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
    const oy = y + ky - pt, ox = x + kx - pl;
    if (oy >= 0 && oy < oh && ox >= 0 && ox < ow) want[(o * oh + oy) * ow + ox] += X[(i * h + y) * w + x] * W[((i * co + o) * kh + ky) * kw + kx];
  }
  const [got] = runFloat(g, [toNhwc(X, [1, ci, h, w])]);
  const wantNhwc = toNhwc(want, [1, co, oh, ow]);
  for (let k = 0; k < got.length; k++) assert.ok(Math.abs(got[k] - wantNhwc[k]) < 1e-5, `index ${k}: ${got[k]} vs ${wantNhwc[k]}`);
});

test('an unsupported op is named with its node index and name', () => {
  const b = new OnnxBuilder();
  b.output(b.node('Erf', [b.node('Relu', [b.input('x', [1, 1, 2, 2])])]), []);
  try {
    importOnnx(b.build(), 'erf.onnx');
    assert.unreachable('should fail');
  } catch (e) {
    assert.instance(e, ConvertError);
    assert.match((e as Error).message, 'erf.onnx: node 1 "Erf_1" (Erf): op Erf is not supported');
  }
});

test('garbage bytes give a clear error, not a crash', () => {
  const bytes = Uint8Array.from([0x08, 0x07, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  assert.throws(() => importModel(bytes, 'junk.onnx'), (e: Error) => e instanceof ConvertError && /junk\.onnx/.test(e.message));
});

/** Converts with calibration on one random set, measures on another: fidelity report. */
async function quantizeAndMeasure(bytes: Uint8Array, name: string, lo = 0, hi = 1) {
  const imported = importOnnx(bytes, name);
  const calib = randomInputs(imported, 64, 11, lo, hi);
  const result = convertModel(bytes, name, { quantize: { samples: calib } });
  const inputs = randomInputs(imported, 100, 99, lo, hi);
  const report = await measureSqnr(result.after['fuse-pad'], result.graph, inputs);
  // Agreement with the float reference of the graph as imported (before any folding).
  const model = await loadModelNode(result.epk);
  let agree = 0;
  for (const x of inputs) {
    const ref = runFloat(imported, x)[0];
    if (argmax(ref) === argmax(f32(model.run(...x.map(f32Bytes))[0]))) agree++;
  }
  return { result, report, agree: agree / inputs.length };
}

test('MobileNet-style ONNX net (depthwise separable, BN, ReLU6, global pool, FC): top-1 >= 95% vs float', async () => {
  const { result, report, agree } = await quantizeAndMeasure(mobileNetStyle(), 'mobilenet_style.onnx');
  const types = result.graph.ops.map((o) => o.type);
  assert.ok(types.includes('DEPTHWISE_CONV_2D'));
  assert.not.ok(types.includes('BATCH_NORM') || types.includes('DROPOUT') || types.includes('RELU6'), types.join());
  console.log(`  mobilenet-style: top-1 agreement ${(100 * agree).toFixed(0)}%, output SQNR ${report.outputSqnrDb.toFixed(1)} dB`);
  assert.ok(agree >= 0.95, `agreement ${agree}`);
});

test('ResNet-style ONNX net (residual adds, projection shortcut, max pool): top-1 >= 95% vs float', async () => {
  const { result, report, agree } = await quantizeAndMeasure(resNetStyle(), 'resnet_style.onnx');
  assert.ok(result.graph.ops.filter((o) => o.type === 'ADD').length === 2);
  console.log(`  resnet-style: top-1 agreement ${(100 * agree).toFixed(0)}%, output SQNR ${report.outputSqnrDb.toFixed(1)} dB`);
  assert.ok(agree >= 0.95, `agreement ${agree}`);
});

test('grouped, Nx1, 1xN and depthwise-multiplier-2 convolutions run on the existing kernels', async () => {
  const b = new NetBuilder(5);
  let x = b.input('x', [1, 4, 8, 8]);
  x = b.conv(x, 4, 8, 3, { group: 2 }); // grouped: 2 groups of 2 -> 4 channels
  x = b.conv(x, 8, 8, [3, 1]); // Nx1
  x = b.conv(x, 8, 8, [1, 3]); // 1xN
  x = b.conv(x, 8, 16, 3, { group: 8 }); // depthwise, multiplier 2
  b.output(x, [1, 16, 8, 8]);
  const { result, report } = await quantizeAndMeasure(b.build(), 'convs.onnx', -1, 1);
  assert.equal(result.graph.ops.map((o) => o.type), ['QUANTIZE', 'CONV_2D', 'CONV_2D', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'DEQUANTIZE']);
  assert.equal(result.graph.ops[4].kernel!.params[10], 2); // depth multiplier
  console.log(`  grouped/Nx1/1xN/dw x2: output SQNR ${report.outputSqnrDb.toFixed(1)} dB`);
  assert.ok(report.outputSqnrDb > 25, `SQNR ${report.outputSqnrDb}`);
});

test('FC reshaped to 4-D, conv, Sigmoid, Transpose, HardSwish: converts through TRANSPOSE and LUT ops', async () => {
  const b = new NetBuilder(9);
  let x = b.input('x', [1, 16]);
  x = b.node('Reshape', [b.dense(x, 16, 32), b.ints([1, 2, 4, 4])]);
  x = b.node('Transpose', [b.node('Sigmoid', [b.conv(x, 2, 3, 3)])], { perm: [0, 3, 1, 2] });
  b.output(b.node('HardSwish', [x]), [1, 4, 3, 4]);
  const { result, report } = await quantizeAndMeasure(b.build(), 'mixed.onnx', -1, 1);
  assert.equal(result.graph.ops.map((o) => o.type), ['QUANTIZE', 'FULLY_CONNECTED', 'RESHAPE', 'TRANSPOSE', 'CONV_2D', 'LUT', 'TRANSPOSE', 'LUT', 'DEQUANTIZE']);
  assert.ok(report.outputSqnrDb > 25, `SQNR ${report.outputSqnrDb}`);
});

test.run();
