// ONNX LSTM (forward, reverse, bidirectional; no peephole, default activations, layout 0) -> the float32 LSTM: the gate
// order i, o, f, c becomes TFLite's i, f, c, o, W/R split per gate, B's input and recurrent
// halves summed per gate. Each invoke starts from zero state, as ONNX's (the op's fresh-state
// param). Compared with the equivalent .tflite built in code: its edgepack float path gives the
// same bytes after reset(), and tflm-run --fresh agrees within TFLM's tolerance (1e-5; most
// outputs bit-equal). Also Y_h (the last step), repeated invokes, and the refusals by name.
// Reverse and bidirectional: ONNX's equations (float64, here) within 1e-5, and bit-equal with
// the forward op on the time-reversed sequence and with the forward model of each half.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { OpCode } from '../src/format/constants.js';
import { kernelBit, kernelOf } from '../src/format/kernels.js';
import { readEpk } from '../src/format/reader.js';
import { ConvertError } from '../src/ir/graph.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { Attr, OnnxBuilder } from '../src/testing/onnx-builder.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { hasTflm, randInt, rng, runTflm } from './tflm-oracle.js';

interface Spec { steps: number; batch: number; nIn: number; hidden: number; withBias: boolean; yh: boolean }

interface Pair { onnx: Uint8Array; tflite: Uint8Array; spec: Spec }

const ONNX_ORDER = ['i', 'o', 'f', 'c'], TFLITE_ORDER = ['i', 'f', 'c', 'o'];

function pair(r: () => number, spec: Spec, attrs: Record<string, Attr> = {}, extra: { outputs?: number; inputs?: (b: OnnxBuilder) => string[] } = {}): Pair {
  const { steps, batch, nIn, hidden: H } = spec;
  const u = (n: number, s: number) => Array.from({ length: n }, () => (r() * 2 - 1) * s);
  const W = u(4 * H * nIn, 1 / Math.sqrt(nIn)), R = u(4 * H * H, 1 / Math.sqrt(H)), B = spec.withBias ? u(8 * H, 0.5) : new Array(8 * H).fill(0);
  const o = new OnnxBuilder();
  const x = o.input('x', [steps, batch, nIn]);
  const ins = [x, o.init([1, 4 * H, nIn], W), o.init([1, 4 * H, H], R), ...(spec.withBias ? [o.init([1, 8 * H], B)] : [])];
  const outputs = extra.outputs ?? (spec.yh ? 2 : 1);
  const y = o.node('LSTM', extra.inputs ? extra.inputs(o).map((v, k) => v || ins[k] || '') : ins, { hidden_size: H, ...attrs }, outputs);
  o.output(y, [steps, 1, batch, H]);
  if (spec.yh) o.output(`lstm_${Number(y.split('_')[1]) + 1}`, [1, batch, H]);
  // the equivalent TFLite model: time major, gates reordered, biases summed in f32
  const t = new TfliteBuilder();
  const tx = t.tensor('x', [steps, batch, nIn], 'float32');
  const rows = (m: number[], gate: string, cols: number) => { const g = ONNX_ORDER.indexOf(gate); return m.slice(g * H * cols, (g + 1) * H * cols); };
  const inputs = [tx];
  for (const g of TFLITE_ORDER) inputs.push(t.constant(`wx_${g}`, [H, nIn], 'float32', rows(W, g, nIn)));
  for (const g of TFLITE_ORDER) inputs.push(t.constant(`wh_${g}`, [H, H], 'float32', rows(R, g, H)));
  inputs.push(-1, -1, -1);
  for (const g of TFLITE_ORDER) {
    const k = ONNX_ORDER.indexOf(g);
    inputs.push(t.constant(`b_${g}`, [H], 'float32', Array.from({ length: H }, (_, j) => Math.fround(Math.fround(B[k * H + j]) + Math.fround(B[(4 + k) * H + j])))));
  }
  inputs.push(-1, -1, t.variable('h', [batch, H], 'float32'), t.variable('c', [batch, H], 'float32'), -1, -1, -1, -1);
  const ty = t.tensor('y', [steps, batch, H], 'float32');
  t.op('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [ty], { activation: 'TANH', cellClip: 0, timeMajor: true });
  t.io([tx], [ty]);
  return { onnx: o.build(), tflite: t.finish(), spec };
}

function randomSpec(r: () => number): Spec {
  return { steps: randInt(r, 1, 6), batch: randInt(r, 1, 3), nIn: randInt(r, 1, 12), hidden: randInt(r, 1, 10), withBias: r() < 0.8, yh: r() < 0.4 };
}

const f32 = (b: Uint8Array) => new Float32Array(Uint8Array.from(b).buffer);
const floats = (r: () => number, n: number) => new Uint8Array(Float32Array.from({ length: n }, () => (r() * 2 - 1) * 2).buffer);

test('ONNX LSTM converts to one float32 UNIDIRECTIONAL_SEQUENCE_LSTM (LSTM_F32, fresh state) and runs as the equivalent .tflite, invoke after invoke', async () => {
  const r = rng(4242);
  let compared = 0, equal = 0;
  for (let c = 0; c < 10; c++) {
    const p = pair(r, randomSpec(r));
    const what = JSON.stringify(p.spec);
    const fromOnnx = convertModel(p.onnx, 'lstm.onnx', { log: () => {} }).epk;
    const e = readEpk(fromOnnx);
    const lstms = e.ops.filter((op) => op.opcode === OpCode.UnidirectionalSequenceLstm);
    assert.is(lstms.length, 1, what);
    assert.is(kernelOf(lstms[0], e.tensors), kernelBit('LSTM_F32'), what);
    assert.is(lstms[0].params[1], 1, `${what}: fresh state`);
    const tfl = await loadModelNode(convertModel(p.tflite, 'lstm.tflite', { log: () => {} }).epk, 'scalar');
    const n = p.spec.steps * p.spec.batch * p.spec.nIn;
    const inputs = [0, 1, 2].map(() => floats(r, n));
    const fresh = hasTflm ? runTflm(p.tflite, inputs.map((x) => [x]), true) : [];
    for (const [build, m] of [['simd', await loadModelNode(fromOnnx, 'simd')], ['scalar', await loadModelNode(fromOnnx, 'scalar')], ['streamed', await loadModelStreamed(fromOnnx)]] as const) {
      inputs.forEach((x, i) => {
        const outs = m.run(x);
        tfl.reset();
        const want = tfl.run(x)[0];
        assert.equal(Array.from(outs[0]), Array.from(want), `${what}, ${build}, invoke ${i}: Y differs from the .tflite's float path`);
        if (p.spec.yh) {
          const H = p.spec.hidden * p.spec.batch * 4;
          assert.equal(Array.from(outs[1]), Array.from(want.subarray(want.length - H)), `${what}, ${build}, invoke ${i}: Y_h is not Y's last step`);
        }
        if (hasTflm) {
          const a = f32(outs[0]), b = f32(fresh[i]);
          a.forEach((v, k) => { compared++; if (Object.is(v, b[k])) equal++; else assert.ok(Math.abs(v - b[k]) <= 1e-5, `${what}, ${build}, invoke ${i}, element ${k}: ${v} vs tflm-run --fresh ${b[k]}`); });
        }
      });
      assert.equal(Array.from(m.run(inputs[0])[0]), Array.from(m.run(inputs[0])[0]), `${what}, ${build}: the same input twice gives the same output (no carried state)`);
    }
  }
  if (hasTflm) console.log(`  ONNX LSTM: ${equal} of ${compared} outputs bit-equal with tflm-run --fresh on the equivalent .tflite`);
  else console.log('  (tflm-run absent: compared with the .tflite through edgepack only)');
});

/** ONNX's LSTM equations in float64 (default activations, no peephole): Y [T, D, B, H] and Y_h [D, B, H]. */
function onnxLstmReference(x: Float32Array, [T, Bn, I]: number[], H: number, W: Float32Array, R: Float32Array, Bias: Float32Array, dirs: boolean[]): { y: Float64Array; yh: Float64Array } {
  const D = dirs.length, y = new Float64Array(T * D * Bn * H), yh = new Float64Array(D * Bn * H);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  dirs.forEach((reverse, d) => {
    for (let b = 0; b < Bn; b++) {
      let h = new Float64Array(H);
      const c = new Float64Array(H);
      for (let step = 0; step < T; step++) {
        const t = reverse ? T - 1 - step : step;
        const pre = (gate: number, u: number) => {
          let v = Bias[(d * 8 + gate) * H + u] + Bias[(d * 8 + 4 + gate) * H + u];
          for (let i = 0; i < I; i++) v += W[((d * 4 + gate) * H + u) * I + i] * x[(t * Bn + b) * I + i];
          for (let j = 0; j < H; j++) v += R[((d * 4 + gate) * H + u) * H + j] * h[j];
          return v;
        };
        const hNew = new Float64Array(H);
        for (let u = 0; u < H; u++) {
          const i = sig(pre(0, u)), o = sig(pre(1, u)), f = sig(pre(2, u)), g = Math.tanh(pre(3, u));
          c[u] = f * c[u] + i * g;
          hNew[u] = o * Math.tanh(c[u]);
        }
        h = hNew;
        for (let u = 0; u < H; u++) y[((t * D + d) * Bn + b) * H + u] = h[u];
      }
      for (let u = 0; u < H; u++) yh[(d * Bn + b) * H + u] = h[u];
    }
  });
  return { y, yh };
}

interface DirModel { onnx: Uint8Array; W: Float32Array; R: Float32Array; B: Float32Array }

/** An ONNX LSTM of the given direction with Y and Y_h, weights drawn by `r` (or given). */
function directionModel(r: () => number, [T, Bn, I]: number[], H: number, direction: string, given?: { W: Float32Array; R: Float32Array; B: Float32Array }): DirModel {
  const D = direction === 'bidirectional' ? 2 : 1;
  const u = (n: number, s: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
  const W = given?.W ?? u(D * 4 * H * I, 1 / Math.sqrt(I)), R = given?.R ?? u(D * 4 * H * H, 1 / Math.sqrt(H)), B = given?.B ?? u(D * 8 * H, 0.5);
  const o = new OnnxBuilder();
  const x = o.input('x', [T, Bn, I]);
  const y = o.node('LSTM', [x, o.init([D, 4 * H, I], W), o.init([D, 4 * H, H], R), o.init([D, 8 * H], B)], { hidden_size: H, direction }, 2);
  o.output(y, [T, D, Bn, H]);
  o.output(`lstm_${Number(y.split('_')[1]) + 1}`, [D, Bn, H]);
  return { onnx: o.build(), W, R, B };
}

/** Y [T, D, B, H] from the .epk's NHWC output [T, B, H, D]. */
function yFromNhwc(v: Float32Array, [T, Bn]: number[], H: number, D: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) for (let b = 0; b < Bn; b++) for (let h = 0; h < H; h++) out[((t * D + d) * Bn + b) * H + h] = v[((t * Bn + b) * H + h) * D + d];
  return out;
}

test('ONNX LSTM reverse and bidirectional: ONNX\'s equations within 1e-5, and bit-equal with the forward op on the time-reversed sequence, in every build', async () => {
  const r = rng(4343);
  for (let c = 0; c < 8; c++) {
    const shape = [randInt(r, 1, 6), randInt(r, 1, 3), randInt(r, 1, 8)], H = randInt(r, 1, 8);
    const [T, Bn, I] = shape;
    const what = `T ${T}, batch ${Bn}, in ${I}, hidden ${H}`;
    const bi = directionModel(r, shape, H, 'bidirectional');
    const half = (m: Float32Array, d: number) => m.slice((m.length / 2) * d, (m.length / 2) * (d + 1));
    const fwd = directionModel(r, shape, H, 'forward', { W: half(bi.W, 0), R: half(bi.R, 0), B: half(bi.B, 0) });
    const rev = directionModel(r, shape, H, 'reverse', { W: half(bi.W, 1), R: half(bi.R, 1), B: half(bi.B, 1) });
    const fwdOfRev = directionModel(r, shape, H, 'forward', { W: half(bi.W, 1), R: half(bi.R, 1), B: half(bi.B, 1) });
    const x = Float32Array.from({ length: T * Bn * I }, () => (r() * 2 - 1) * 2);
    const xRev = new Float32Array(x.length);
    for (let t = 0; t < T; t++) xRev.set(x.subarray(t * Bn * I, (t + 1) * Bn * I), (T - 1 - t) * Bn * I);
    const bytesOf = (v: Float32Array) => new Uint8Array(v.buffer.slice(0));
    const epks = [bi, fwd, rev, fwdOfRev].map((m) => convertModel(m.onnx, 'lstm.onnx', { log: () => {} }).epk);
    for (const build of ['simd', 'scalar', 'streamed'] as const) {
      const load = (e: Uint8Array) => (build === 'streamed' ? loadModelStreamed(e) : loadModelNode(e, build));
      const [mBi, mFwd, mRev, mFwdOfRev] = await Promise.all(epks.map(load));
      const [yBi, yhBi] = mBi.run(bytesOf(x)).map(f32);
      const [yFwd, yhFwd] = mFwd.run(bytesOf(x)).map(f32);
      const [yRev, yhRev] = mRev.run(bytesOf(x)).map(f32);
      const [yFR, yhFR] = mFwdOfRev.run(bytesOf(xRev)).map(f32);
      // reverse = forward over the reversed sequence, reversed back; its Y_h is that run's last step
      const step = Bn * H;
      for (let t = 0; t < T; t++) assert.equal(Array.from(yRev.subarray(t * step, (t + 1) * step)), Array.from(yFR.subarray((T - 1 - t) * step, (T - t) * step)), `${what}, ${build}: reverse Y at step ${t}`);
      assert.equal(Array.from(yhRev), Array.from(yhFR), `${what}, ${build}: reverse Y_h`);
      // bidirectional = [forward, reverse] on the direction axis
      const y4 = yFromNhwc(yBi, shape, H, 2);
      for (let t = 0; t < T; t++) {
        assert.equal(Array.from(y4.subarray((t * 2) * step, (t * 2 + 1) * step)), Array.from(yFwd.subarray(t * step, (t + 1) * step)), `${what}, ${build}: bidirectional Y[${t}, 0]`);
        assert.equal(Array.from(y4.subarray((t * 2 + 1) * step, (t * 2 + 2) * step)), Array.from(yRev.subarray(t * step, (t + 1) * step)), `${what}, ${build}: bidirectional Y[${t}, 1]`);
      }
      assert.equal(Array.from(yhBi), [...yhFwd, ...yhRev], `${what}, ${build}: bidirectional Y_h`);
      // and ONNX's equations
      const ref = onnxLstmReference(x, shape, H, bi.W, bi.R, bi.B, [false, true]);
      y4.forEach((v, k) => assert.ok(Math.abs(v - ref.y[k]) <= 1e-5, `${what}, ${build}: Y element ${k}: ${v} vs ONNX's equations ${ref.y[k]}`));
      yhBi.forEach((v, k) => assert.ok(Math.abs(v - ref.yh[k]) <= 1e-5, `${what}, ${build}: Y_h element ${k}: ${v} vs ${ref.yh[k]}`));
    }
  }
});

function refused(model: Uint8Array, re: RegExp): void {
  assert.throws(() => convertModel(model, 'lstm.onnx', { log: () => {} }), (e: unknown) => e instanceof ConvertError && re.test(e.message) || (console.log(String(e)), false));
}

test('ONNX LSTM: an unknown direction, weights of the wrong direction count, layout 1, clip, input_forget, peephole, sequence_lens, non-zero initial state, Y_c: refused by name', () => {
  const r = rng(7);
  const spec: Spec = { steps: 2, batch: 1, nIn: 3, hidden: 2, withBias: true, yh: false };
  const head = /^lstm\.onnx: node 0 "LSTM_0" \(LSTM\): /.source;
  refused(pair(r, spec, { direction: 'sideways' }).onnx, new RegExp(head + 'direction "sideways" is not supported \\(forward, reverse, bidirectional\\)$'));
  refused(pair(r, spec, { direction: 'bidirectional' }).onnx, new RegExp(head + 'W has shape \\[1,8,3\\]; expected \\[2, 8, 3\\] \\(direction bidirectional\\)$'));
  refused(pair(r, spec, { layout: 1 }).onnx, new RegExp(head + 'layout 1 \\(batch first\\) is not supported'));
  refused(pair(r, spec, { clip: { float: 3 } }).onnx, new RegExp(head + 'clip .* is not supported$'));
  refused(pair(r, spec, { input_forget: 1 }).onnx, new RegExp(head + 'input_forget 1 .* is not supported$'));
  refused(pair(r, spec, {}, { inputs: (b) => ['', '', '', '', '', '', '', b.init([1, 6], new Array(6).fill(0.1))] }).onnx, new RegExp(head + 'P \\(input 7, peephole weights\\) is not supported$'));
  refused(pair(r, spec, {}, { inputs: (b) => ['', '', '', '', b.ints([2])] }).onnx, new RegExp(head + 'sequence_lens \\(input 4\\) is not supported'));
  refused(pair(r, spec, {}, { inputs: (b) => ['', '', '', '', '', b.init([1, 1, 2], [0.5, 0])] }).onnx, new RegExp(head + 'initial_h \\(input 5\\) must be absent or a constant of zeros'));
  refused(pair(r, spec, {}, { outputs: 3 }).onnx, new RegExp(head + 'output Y_c \\(the final cell state\\) is not supported'));
  // zero initial state is the default: accepted
  convertModel(pair(r, spec, {}, { inputs: (b) => ['', '', '', '', '', b.init([1, 1, 2], [0, 0]), b.init([1, 1, 2], [0, 0])] }).onnx, 'lstm.onnx', { log: () => {} });
});

test.run();
