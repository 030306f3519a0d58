// Calibration (--calibrate) of float32 recurrent models: UNIDIRECTIONAL_SEQUENCE_LSTM and SVDF
// become TFLite's integer forms (src/passes/quantize-recurrent.ts). Models are built in code
// with random shapes; each converts with a stream of float calibration samples; the graph
// after quantize-int8 is written back as an int8 .tflite (variable tensors kept variable) and
// run by tflm-run as a stream of invokes: the .epk's bytes in simd, scalar and streamed must
// equal it invoke by invoke (the states carry over), and reset() restarts the stream. The
// quantization must also be faithful: the dequantized int8 outputs against the float model's
// own outputs (the float reference's) reach a minimum SQNR. The float reference's
// LSTM and SVDF, which calibration runs, are checked against tflm-run's float kernels. An ONNX
// LSTM (zero state at every invoke) becomes the int8 LSTM with its fresh-state flag: each invoke
// equals tflm-run --fresh on the quantized graph.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel, importModel } from '../src/convert.js';
import { runFloat } from '../src/float/interpret.js';
import { ConvertError, Graph } from '../src/ir/graph.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { lstmInputShape, LstmSpec } from '../src/testing/lstm-model.js';
import { buildLstmF32Model } from '../src/testing/lstm-typed-models.js';
import { OnnxBuilder } from '../src/testing/onnx-builder.js';
import { svdfF32Model } from '../src/testing/svdf-f32-model.js';
import { tfliteOf } from './calib-oracle.js';
import { assertStream, builds, bytes } from './stream-harness.js';
import { hasTflm, randInt, rng, runTflm } from './tflm-oracle.js';

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

const CALIBRATION = 24, INVOKES = 6;
const f32 = (b: Uint8Array) => new Float32Array(Uint8Array.from(b).buffer);
const floats = (r: () => number, n: number, span: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * span);

/** Signal-to-quantization-noise of `got` against `want`, in dB. */
function sqnr(got: Float32Array, want: Float32Array): number {
  let s = 0, e = 0;
  want.forEach((w, k) => { s += w * w; e += (got[k] - w) ** 2; });
  return e === 0 ? Infinity : 10 * Math.log10(s / e);
}

interface Calibrated { quantized: Graph; epk: Uint8Array; db: number }

/** Converts with the samples as one calibration stream; checks the int8 stream against tflm-run on the quantized graph, and its fidelity to the float model. */
async function calibratedStream(name: string, model: Uint8Array, samples: Float32Array[], invokes: Float32Array[], minSqnr: number): Promise<Calibrated> {
  const { epk, after } = convertModel(model, name, { quantize: { samples: samples.map((s) => [s]) }, log: () => {} });
  const quantized = after['quantize-int8'];
  const inputs = invokes.map((v) => [new Uint8Array(v.buffer)]);
  const want = runTflm(tfliteOf(quantized), inputs);
  await assertStream(epk, inputs, want, name);
  // the float model's outputs from the float reference (checked against tflm-run's float kernels above; tflm-run refuses a float SVDF without bias)
  const g = importModel(model, name), state = new Map<number, Float32Array>();
  const exact = invokes.map((v) => runFloat(g, [v], undefined, state)[0]);
  const got = f32(new Uint8Array(Buffer.concat(want))), ref = Float32Array.from(exact.flatMap((v) => Array.from(v)));
  const db = sqnr(got, ref);
  assert.ok(db >= minSqnr, `${name}: int8 output SQNR ${db.toFixed(1)} dB against the float model, below ${minSqnr} dB`);
  return { quantized, epk, db };
}

function lstmSpec(r: () => number, layers: number): LstmSpec {
  return {
    batch: randInt(r, 1, 3), steps: randInt(r, 1, 6), nIn: randInt(r, 1, 10),
    cells: Array.from({ length: layers }, () => randInt(r, 1, 9)), timeMajor: r() < 0.5, cellClip: [0, 0, 0.8, 3][randInt(r, 0, 3)], cellScaleLog2: 0,
  };
}

const describe = (s: LstmSpec) => `LSTM batch ${s.batch}, steps ${s.steps}, in ${s.nIn}, units ${s.cells.join('+')}, ${s.timeMajor ? 'time major' : 'batch major'}, clip ${s.cellClip}`;

test('the float reference LSTM and SVDF follow tflm-run\'s float kernels over a stream (states carried)', () => {
  if (skip()) return;
  const r = rng(7001);
  for (let c = 0; c < 6; c++) {
    const spec = lstmSpec(r, 1 + (c % 2));
    const model = buildLstmF32Model(spec, r);
    const n = lstmInputShape(spec).reduce((a, d) => a * d, 1);
    const invokes = Array.from({ length: INVOKES }, () => floats(r, n, 2));
    const svdf = svdfF32Model(r, { second: c % 2 === 1, activation: c % 3 === 0 ? 'RELU' : 'NONE' });
    for (const [what, m, ins] of [[describe(spec), model, invokes], [`SVDF ${svdf.what}`, svdf.model, svdf.inputs.map((i) => f32(i[0]))]] as const) {
      const g = importModel(m, 'case.tflite');
      const want = runTflm(m, ins.map((v) => [new Uint8Array(v.buffer, v.byteOffset, v.byteLength)]));
      const state = new Map<number, Float32Array>();
      ins.forEach((v, i) => {
        const [got] = runFloat(g, [v], undefined, state);
        const w = f32(want[i]);
        got.forEach((x, k) => assert.ok(Math.abs(x - w[k]) <= 1e-4 * Math.max(1, Math.abs(w[k])), `${what}, invoke ${i}, element ${k}: ${x} vs tflm-run ${w[k]}`));
      });
    }
  }
});

test('float LSTM --calibrate: TFLite\'s integer LSTM, bit-exact with tflm-run over a stream in every build, faithful to the float model', async () => {
  if (skip()) return;
  const r = rng(7002);
  let lowest = Infinity;
  for (let c = 0; c < 10; c++) {
    const spec = lstmSpec(r, c % 3 === 2 ? 2 : 1);
    const model = buildLstmF32Model(spec, r);
    const n = lstmInputShape(spec).reduce((a, d) => a * d, 1);
    const samples = Array.from({ length: CALIBRATION }, () => floats(r, n, 2));
    const invokes = Array.from({ length: INVOKES }, () => floats(r, n, 2));
    const { quantized, db } = await calibratedStream(describe(spec), model, samples, invokes, 15);
    lowest = Math.min(lowest, db);
    for (const op of quantized.ops.filter((o) => o.type === 'UNIDIRECTIONAL_SEQUENCE_LSTM')) {
      const t = (k: number) => quantized.tensors[op.inputs[k]];
      const y = quantized.tensors[op.outputs[0]], h = t(18), cell = t(19);
      assert.is(h.dtype, 'int8');
      assert.equal([h.quant!.scale[0], h.quant!.zeroPoint[0]], [y.quant!.scale[0], y.quant!.zeroPoint[0]], 'hidden state at the output\'s quantization');
      assert.is(cell.dtype, 'int16');
      assert.is(cell.quant!.zeroPoint[0], 0);
      assert.ok(Number.isInteger(Math.log2(cell.quant!.scale[0])), `cell scale ${cell.quant!.scale[0]} a power of two`);
      for (let k = 1; k <= 8; k++) {
        assert.is(t(k).dtype, 'int8');
        assert.equal([t(k).quant!.scale.length, t(k).quant!.zeroPoint[0]], [1, 0], 'weights symmetric per tensor');
        assert.ok((t(k).data as Int8Array).some((v) => Math.abs(v) === 127), 'weights use the full range');
      }
      for (let k = 12; k < 16; k++) assert.is(t(k).dtype, 'int32');
    }
  }
  console.log(`  float LSTM -> int8: lowest output SQNR ${lowest.toFixed(1)} dB of 10 random models`);
});

test('float SVDF --calibrate: int8 with int16 time weights and state, bit-exact with tflm-run over a stream in every build, faithful', async () => {
  if (skip()) return;
  const r = rng(7003);
  let lowest = Infinity;
  for (let c = 0; c < 10; c++) {
    const svdf = svdfF32Model(r, { second: c % 3 === 1, activation: c % 2 === 0 ? 'RELU' : 'NONE', noBias: c % 4 === 3 });
    const n = f32(svdf.inputs[0][0]).length;
    const samples = Array.from({ length: CALIBRATION }, () => floats(r, n, 3));
    const invokes = Array.from({ length: INVOKES }, () => floats(r, n, 3));
    const { quantized, db } = await calibratedStream(`SVDF ${svdf.what}`, svdf.model, samples, invokes, 15);
    lowest = Math.min(lowest, db);
    for (const op of quantized.ops.filter((o) => o.type === 'SVDF')) {
      const t = (k: number) => quantized.tensors[op.inputs[k]];
      assert.equal([t(1).dtype, t(2).dtype, t(3).dtype, t(4).dtype], ['int8', 'int16', 'int32', 'int16']);
      assert.is(t(3).quant!.scale[0], Math.fround(t(4).quant!.scale[0] * t(2).quant!.scale[0]), 'bias at state x time weight scale');
    }
  }
  console.log(`  float SVDF -> int8: lowest output SQNR ${lowest.toFixed(1)} dB of 10 random models`);
});

test('recurrent ops without an integer form are refused by name under --calibrate', () => {
  const r = rng(7004);
  const svdf = svdfF32Model(r, { activation: 'TANH' });
  const n = f32(svdf.inputs[0][0]).length;
  const samples = [[floats(r, n, 1)]];
  assert.throws(() => convertModel(svdf.model, 'svdf.tflite', { quantize: { samples }, log: () => {} }), /op 0 \(SVDF\): fused activation TANH has no integer form/);
  const refused = (model: Uint8Array, name: string, message: RegExp) =>
    assert.throws(() => convertModel(model, name, { quantize: { samples: [[new Float32Array(6)]] }, log: () => {} }),
      (e: unknown) => e instanceof ConvertError && message.test((e as Error).message));
  // a hostile file: an LSTM without its state tensors stops in the float reference, named
  refused(floatLstmWithStates(() => [-1, -1]), 'stateless.tflite',
    /stateless\.tflite: float reference, op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): a state \(input 18\) is absent/);
  // a state wider than the weights (a fuzz finding: the loops ran on the state's 65535 units)
  refused(floatLstmWithStates((b) => [b.variable('h', [1, 65535], 'float32'), b.variable('c', [1, 4], 'float32')]), 'wide.tflite',
    /wide\.tflite: .*op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): .*"h" has shape \[1,65535\]/);
});

/** A float LSTM (input 3, 4 units, 2 steps) whose hidden and cell state inputs (18, 19) `states` gives. */
function floatLstmWithStates(states: (b: TfliteBuilder) => number[]): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 1, 3], 'float32');
  const ins = [x];
  for (let k = 0; k < 8; k++) ins.push(b.constant(`w${k}`, [4, k < 4 ? 3 : 4], 'float32', new Array(k < 4 ? 12 : 16).fill(0.1)));
  ins.push(-1, -1, -1);
  for (let k = 0; k < 4; k++) ins.push(b.constant(`b${k}`, [4], 'float32', [0, 0, 0, 0]));
  ins.push(-1, -1, ...states(b), -1, -1, -1, -1);
  const y = b.tensor('y', [2, 1, 4], 'float32');
  b.op('UNIDIRECTIONAL_SEQUENCE_LSTM', ins, [y], { activation: 'TANH', cellClip: 0, timeMajor: true });
  b.io([x], [y]);
  return b.finish();
}

test('ONNX LSTM --calibrate (forward, reverse, bidirectional): the int8 LSTM with fresh state, bit-exact with tflm-run --fresh on the quantized graph in every build, faithful', async () => {
  if (skip()) return;
  const r = rng(7005);
  let lowest = Infinity;
  for (let c = 0; c < 6; c++) {
    const direction = ['forward', 'reverse', 'bidirectional'][c % 3], D = direction === 'bidirectional' ? 2 : 1;
    const T = randInt(r, 2, 5), B = randInt(r, 1, 2), I = randInt(r, 2, 6), H = randInt(r, 2, 6);
    const b = new OnnxBuilder();
    const x = b.input('x', [T, B, I]);
    const y = b.node('LSTM', [x, b.init([D, 4 * H, I], floats(r, D * 4 * H * I, 0.8)), b.init([D, 4 * H, H], floats(r, D * 4 * H * H, 0.8)), b.init([D, 8 * H], floats(r, D * 8 * H, 0.4))], { hidden_size: H, direction });
    b.output(y, [T, D, B, H]);
    const onnx = b.build();
    const what = `ONNX LSTM ${direction}, T ${T}, batch ${B}, in ${I}, hidden ${H}`;
    // each invoke starts from zero: a sample covers one sequence, so more of them than for a stream
    const samples = Array.from({ length: 4 * CALIBRATION }, () => [floats(r, T * B * I, 2)]);
    const { epk, after } = convertModel(onnx, 'lstm.onnx', { quantize: { samples }, log: () => {} });
    const quantized = after['quantize-int8'];
    const lstms = quantized.ops.filter((o) => o.type === 'UNIDIRECTIONAL_SEQUENCE_LSTM');
    assert.is(lstms.length, D, what);
    assert.ok(lstms.every((o) => quantized.tensors[o.outputs[0]].dtype === 'int8' && o.options.freshState === true), `${what}: int8, fresh state`);
    const invokes = Array.from({ length: 8 }, () => floats(r, T * B * I, 2));
    const inputs = invokes.map((v) => [new Uint8Array(v.buffer)]);
    const want = runTflm(tfliteOf(quantized), inputs, true);
    for (const [build, m] of await builds(epk)) {
      // each invoke from zero state: the same as tflm-run --fresh, and the same input twice gives the same bytes
      inputs.forEach((inv, i) => assert.equal(bytes(m.run(...inv)), Array.from(want[i]), `${what}, ${build}, invoke ${i}: differs from tflm-run --fresh`));
      assert.equal(bytes(m.run(...inputs[0])), Array.from(want[0]), `${what}, ${build}: no state carried`);
    }
    const g = importModel(onnx, 'lstm.onnx');
    const ref = Float32Array.from(invokes.flatMap((v) => Array.from(runFloat(g, [v])[0])));
    const got = f32(new Uint8Array(Buffer.concat(want)));
    const db = sqnr(got, ref);
    lowest = Math.min(lowest, db);
    assert.ok(db >= 15, `${what}: int8 output SQNR ${db.toFixed(1)} dB against the float model`);
  }
  console.log(`  ONNX LSTM -> int8: lowest output SQNR ${lowest.toFixed(1)} dB of 6 random models`);
});

test.run();
