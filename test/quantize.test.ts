// quantize-int8 and calibration: hand-checked quantization parameters, exact LUT
// activations through the runtime, percentile ranges, QDQ models, calibration readers,
// and the shared float models (hello_world vs sin, ic_resnet8 on a CIFAR-10 subset).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflateRawSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertModel, importModel } from '../src/convert.js';
import { runFloat } from '../src/float/interpret.js';
import { calibrate, randomInputs } from '../src/float/calibrate.js';
import { f32, f32Bytes } from '../src/float/sqnr.js';
import { importOnnx } from '../src/import/onnx/index.js';
import { loadCalibration } from '../src/io/calibration.js';
import { parseNpy, parseNpz } from '../src/io/npy.js';
import { ConvertError, Graph } from '../src/ir/graph.js';
import { OpCode } from '../src/format/constants.js';
import { writeEpk } from '../src/format/writer.js';
import { planMemory } from '../src/passes/plan-memory.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { activationQuant, quantizeWeights } from '../src/passes/quantize-int8.js';
import { loadModelNode } from '../src/runtime/node.js';
import { OnnxBuilder } from '../src/testing/onnx-builder.js';
import { SHARED, hasShared, readBytes, skipNotice } from './helpers.js';
import { cifarAccuracy, cifarImages } from '../tools/cifar-accuracy.js';

skipNotice('hello_world and ic_resnet8 quantization tests');

test('activation quantization: range [-1, 3] -> scale 4/255, zero point -64; ranges widen to hold 0', () => {
  const q = activationQuant([-1, 3]);
  assert.ok(Math.abs(q.scale[0] - 4 / 255) < 1e-12);
  assert.equal(q.zeroPoint, [-64]); // -128 - (-1) / (4/255) = -64.25 -> -64
  assert.equal(activationQuant([2, 6]).zeroPoint, [-128]); // [0, 6]
  assert.equal(activationQuant([-6, -1]).zeroPoint, [127]); // [-6, 0]
});

test('weights: symmetric per output channel, max |w| maps to 127', () => {
  const { data, quant } = quantizeWeights(Float32Array.from([1, -2, 0.5, 0.25]), [2, 2], 0);
  assert.equal(quant.scale.map((s) => s * 127), [2, 0.5]);
  assert.equal(Array.from(data), [64, -127, 127, 64]); // 1 / (2/127) = 63.5 -> 64 (half away from zero)
});

/** One-op ONNX model over 256 values. */
function unaryModel(op: string, attrs = {}, extra: number[] = []): Uint8Array {
  const b = new OnnxBuilder();
  b.output(b.node(op, [b.input('x', [1, 256]), ...extra.map((v) => b.init([], [v]))], attrs), [1, 256]);
  return b.build();
}

const FUNCTIONS: [string, (x: number) => number, Record<string, number | { float: number }>, number[]?][] = [
  ['Sigmoid', (x) => 1 / (1 + Math.exp(-x)), {}],
  ['Tanh', Math.tanh, {}],
  ['LeakyRelu', (x) => (x >= 0 ? x : 0.1 * x), { alpha: { float: 0.1 } }],
  ['HardSwish', (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6, {}],
  ['Clip', (x) => Math.min(2.5, Math.max(-0.5, x)), {}, [-0.5, 2.5]],
];

for (const [op, f, attrs, extra] of FUNCTIONS) {
  test(`${op} runs as an int8 LUT: every one of the 256 codes gives quantize(f(dequantize(q)))`, async () => {
    const bytes = unaryModel(op, attrs, extra);
    const g = importOnnx(bytes, `${op}.onnx`);
    const samples = [[Float32Array.from({ length: 256 }, (_, i) => -6 + (12 * i) / 255)]];
    const { graph, epk } = convertModel(bytes, `${op}.onnx`, { quantize: { samples } });
    assert.equal(graph.ops.map((o) => o.type), ['QUANTIZE', 'LUT', 'DEQUANTIZE']);
    const xq = graph.tensors[graph.ops[1].inputs[0]].quant!, yq = graph.tensors[graph.ops[1].outputs[0]].quant!;
    // Inputs exactly on the int8 grid: q = -128..127.
    const x = Float32Array.from({ length: 256 }, (_, i) => xq.scale[0] * (i - 128 - xq.zeroPoint[0]));
    for (const target of ['scalar', 'simd'] as const) {
      const y = f32((await loadModelNode(epk, target)).run(f32Bytes(x))[0]);
      for (let i = 0; i < 256; i++) {
        const q = Math.max(-128, Math.min(127, Math.round(f(x[i]) / yq.scale[0]) + yq.zeroPoint[0]));
        assert.ok(Math.abs(y[i] - Math.fround(yq.scale[0] * (q - yq.zeroPoint[0]))) < 1e-6, `${target} code ${i - 128}: ${y[i]}`);
      }
    }
    void g;
  });
}

test('percentile ranges clip outliers that min/max keeps', () => {
  const b = new OnnxBuilder();
  b.output(b.node('Relu', [b.input('x', [1, 1000])]), [1, 1000]);
  const g = importOnnx(b.build(), 'p.onnx');
  const x = Float32Array.from({ length: 1000 }, (_, i) => (i === 7 ? 100 : (i % 10) / 10));
  const mm = calibrate(g, [[x]]), pc = calibrate(g, [[x]], { percentile: 99 });
  const y = g.ops[0].outputs[0];
  assert.is(mm.get(y)![1], 100);
  assert.ok(pc.get(y)![1] < 1, `99th percentile ${pc.get(y)![1]}`);
});

test('a float model without calibration data stays float32 (group f32): no QUANTIZE, a float32 ACTIVATION', () => {
  const g = convertModel(unaryModel('Relu'), 'relu.onnx', { log: () => {} }).graph;
  assert.ok(g.ops.every((op) => op.type !== 'QUANTIZE' && op.type !== 'DEQUANTIZE'));
  assert.ok(g.ops.some((op) => op.kernel?.opcode === OpCode.Activation && g.tensors[op.outputs[0]].dtype === 'float32'));
});

test('QDQ model: QuantizeLinear/DequantizeLinear scales are taken as they are, no calibration needed', async () => {
  const b = new OnnxBuilder();
  const x = b.input('x', [1, 4]);
  const s = b.init([], [1 / 64]), zp = b.rawInit([], 3, Uint8Array.of(0));
  const xq = b.node('DequantizeLinear', [b.node('QuantizeLinear', [x, s, zp]), s, zp]);
  const wq = b.rawInit([2, 4], 3, Uint8Array.from(Int8Array.from([127, 0, -64, 10, 0, 127, 0, -127])));
  const w = b.node('DequantizeLinear', [wq, b.init([], [1 / 127]), b.rawInit([], 3, Uint8Array.of(0))]);
  const y = b.node('MatMul', [xq, b.node('Transpose', [w], { perm: [1, 0] })]);
  const ys = b.init([], [1 / 32]);
  const out = b.node('DequantizeLinear', [b.node('QuantizeLinear', [y, ys, zp]), ys, zp]);
  b.output(out, [1, 2]);
  const bytes = b.build();
  const { after, epk } = convertModel(bytes, 'qdq.onnx');
  const graph = after['prepare-kernels']; // before layout-weights reorders the weights
  assert.equal(graph.ops.map((o) => o.type), ['QUANTIZE', 'FULLY_CONNECTED', 'DEQUANTIZE']);
  assert.equal(graph.tensors[graph.ops[0].outputs[0]].quant!.scale, [1 / 64]);
  assert.equal(Array.from(graph.tensors[graph.ops[1].inputs[1]].data as Int8Array), [127, 0, -64, 10, 0, 127, 0, -127]);
  const input = Float32Array.from([1, 0.5, -1, 0.25]);
  const [got] = (await loadModelNode(epk)).run(f32Bytes(input));
  // w = q / 127: y0 = 1 + 0 + 64/127 + 0.025 = 1.5289 -> 49/32; y1 = 0.5 - 0.25 = 0.25 -> 8/32
  assert.equal(Array.from(f32(got)), [49 / 32, 8 / 32]);
});

test('.npy and .npz (stored and deflated) calibration files are read', () => {
  const npy = (values: number[], shape: number[]): Uint8Array => {
    let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
    header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
    const body = new Uint8Array(Float32Array.from(values).buffer);
    const out = new Uint8Array(10 + header.length + body.length);
    out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
    out.set(new TextEncoder().encode(header), 10);
    out.set(body, 10 + header.length);
    return out;
  };
  const a = parseNpy(npy([1, 2, 3, 4, 5, 6], [2, 3]));
  assert.equal(a.shape, [2, 3]);
  assert.equal(Array.from(a.data as Float64Array), [1, 2, 3, 4, 5, 6]);
  const zip = (members: [string, Uint8Array, boolean][]): Uint8Array => {
    const locals: number[] = [], central: number[] = [];
    const u16 = (v: number) => [v & 0xff, v >> 8], u32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24];
    for (const [name, data, deflate] of members) {
      const body = deflate ? new Uint8Array(deflateRawSync(data)) : data;
      const n = [...new TextEncoder().encode(name)];
      const offset = locals.length;
      locals.push(...u32(0x04034b50), ...u16(20), ...u16(0), ...u16(deflate ? 8 : 0), ...u32(0), ...u32(0), ...u32(body.length), ...u32(data.length), ...u16(n.length), ...u16(0), ...n, ...body);
      central.push(...u32(0x02014b50), ...u16(20), ...u16(20), ...u16(0), ...u16(deflate ? 8 : 0), ...u32(0), ...u32(0), ...u32(body.length), ...u32(data.length),
        ...u16(n.length), ...u16(0), ...u16(0), ...u16(0), ...u16(0), ...u32(0), ...u32(offset), ...n);
    }
    const eocd = [...u32(0x06054b50), ...u16(0), ...u16(0), ...u16(members.length), ...u16(members.length), ...u32(central.length), ...u32(locals.length), ...u16(0)];
    return Uint8Array.from([...locals, ...central, ...eocd]);
  };
  const z = parseNpz(zip([['a.npy', npy([1, 2], [2]), false], ['b.npy', npy([3, 4, 5], [3]), true]]));
  assert.equal([...z.keys()], ['a', 'b']);
  assert.equal(Array.from(z.get("b")!.data as Float64Array), [3, 4, 5]);
  const dir = mkdtempSync(join(tmpdir(), 'ep-calib-'));
  try {
    writeFileSync(join(dir, 'a.npy'), npy([1, 2, 3, 4, 5, 6], [2, 3]));
    writeFileSync(join(dir, 'b_u8.bin'), Uint8Array.of(7, 8, 9));
    const samples = loadCalibration(dir, { inputSizes: [3] });
    assert.equal(samples.map((s) => Array.from(s[0])), [[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    assert.throws(() => loadCalibration(join(dir, 'a.npy'), { inputSizes: [4] }), /not a multiple of the input's 4/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('hello_world_float32 quantized: mean error vs sin(x) < 0.05, max error below the float model + 0.05 and below TFLite int8', async () => {
  if (!hasShared) return;
  const floatBytes = readBytes(join(SHARED, 'models/hello_world_float32.tflite'));
  const samples = Array.from({ length: 64 }, (_, i) => [Float32Array.of((2 * Math.PI * i) / 63)]);
  const { epk } = convertModel(floatBytes, 'hello_world_float32', { quantize: { samples } });
  const model = await loadModelNode(epk);
  const floatGraph = importModel(floatBytes, 'hello_world_float32');
  const tfl = importModel(readBytes(join(SHARED, 'models/hello_world_int8.tflite')), 'hello_world_int8');
  const tflModel = await loadModelNode(convertModel(readBytes(join(SHARED, 'models/hello_world_int8.tflite')), 'hello_world_int8').epk);
  const iq = tfl.tensors[tfl.inputs[0]].quant!, oq = tfl.tensors[tfl.outputs[0]].quant!;
  let worst = 0, sum = 0, worstFloat = 0, worstTfl = 0;
  const n = 1001;
  for (let i = 0; i < n; i++) {
    const x = (2 * Math.PI * i) / (n - 1);
    const err = Math.abs(f32(model.run(f32Bytes(Float32Array.of(x)))[0])[0] - Math.sin(x));
    worst = Math.max(worst, err);
    sum += err;
    worstFloat = Math.max(worstFloat, Math.abs(runFloat(floatGraph, [Float32Array.of(x)])[0][0] - Math.sin(x)));
    const q = Math.max(-128, Math.min(127, Math.round(x / iq.scale[0]) + iq.zeroPoint[0]));
    const o = new Int8Array(tflModel.run(Uint8Array.of(q & 0xff))[0].buffer)[0];
    worstTfl = Math.max(worstTfl, Math.abs(oq.scale[0] * (o - oq.zeroPoint[0]) - Math.sin(x)));
  }
  console.log(`  hello_world |y - sin(x)| over ${n} points: edgepack int8 mean ${(sum / n).toFixed(4)} max ${worst.toFixed(4)}; float model max ${worstFloat.toFixed(4)}; TFLite int8 model max ${worstTfl.toFixed(4)}`);
  assert.ok(sum / n < 0.05, `mean error ${sum / n}`);
  assert.ok(worst < worstFloat + 0.05 && worst < worstTfl, `max error ${worst}`);
});

test('ic_resnet8_float32 quantized: top-1 on a CIFAR-10 subset within 3 points of MLPerf int8', async () => {
  if (!hasShared) return;
  const r = await cifarAccuracy(64, 100);
  console.log(`  ic_resnet8 (calib 64, 100 images): edgepack int8 ${(100 * r.edgepackInt8Top1).toFixed(1)}%, MLPerf int8 ${(100 * r.mlperfInt8Top1).toFixed(1)}%, float ${(100 * r.floatTop1).toFixed(1)}%, output SQNR ${r.outputSqnrDb.toFixed(1)} dB`);
  assert.ok(Math.abs(r.edgepackInt8Top1 - r.mlperfInt8Top1) <= 0.03 + 1e-9, `${r.edgepackInt8Top1} vs ${r.mlperfInt8Top1}`);
});

test('--int8-io: ic_resnet8_float32 takes u8 - 128 directly (input scale 1, zero point -128), same answers as float I/O', async () => {
  if (!hasShared) return;
  const bytes = readBytes(join(SHARED, 'models/ic_resnet8_float32.tflite'));
  const { pixels } = cifarImages(24);
  const samples = pixels.slice(0, 16).map((p) => [Float32Array.from(p)]);
  const a = convertModel(bytes, 'r8', { quantize: { samples } });
  const b = convertModel(bytes, 'r8', { quantize: { samples, int8Io: true } });
  const inQ = b.graph.tensors[b.graph.inputs[0]].quant!, outQ = b.graph.tensors[b.graph.outputs[0]].quant!;
  assert.equal([inQ.scale, inQ.zeroPoint], [[1], [-128]]);
  assert.equal(b.graph.ops.map((o) => o.type).filter((t) => t === 'QUANTIZE' || t === 'DEQUANTIZE'), []);
  const ma = await loadModelNode(a.epk), mb = await loadModelNode(b.epk);
  for (const p of pixels.slice(16)) {
    const fa = f32(ma.run(f32Bytes(Float32Array.from(p)))[0]);
    const qb = mb.run(Uint8Array.from(p, (v) => (v - 128) & 0xff))[0];
    const fb = Array.from(new Int8Array(qb.buffer, qb.byteOffset, qb.length), (q) => Math.fround(outQ.scale[0] * (q - outQ.zeroPoint[0])));
    assert.equal(Array.from(fa), fb);
  }
});

test('the runtime refuses a LUT op whose table is not 256 entries (no out-of-bounds read)', async () => {
  const q = { scale: [1], zeroPoint: [0], axis: 0 };
  const g: Graph = {
    tensors: [
      { name: 'x', shape: [1, 4], dtype: 'int8', quant: q },
      { name: 'table', shape: [255], dtype: 'int8', data: new Int8Array(255) },
      { name: 'y', shape: [1, 4], dtype: 'int8', quant: q },
    ],
    ops: [{ type: 'LUT', inputs: [0, 1], outputs: [2], options: {}, sourceIndex: 0, kernel: { opcode: OpCode.Lut, params: [] } }],
    inputs: [0],
    outputs: [2],
    source: 'bad-lut',
  };
  try {
    await loadModelNode(writeEpk(g, planMemory(g)));
    assert.unreachable('should fail');
  } catch (e) {
    assert.instance(e, RuntimeError);
    assert.match((e as Error).message, /op 0 \(LUT\) at byte offset \d+: table must hold 256 entries/);
  }
});

test.run();
