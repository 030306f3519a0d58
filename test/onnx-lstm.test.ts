// ONNX LSTM (forward, no peephole, default activations, layout 0) -> the float32 LSTM: the gate
// order i, o, f, c becomes TFLite's i, f, c, o, W/R split per gate, B's input and recurrent
// halves summed per gate. Each invoke starts from zero state, as ONNX's (the op's fresh-state
// param). Compared with the equivalent .tflite built in code: its edgepack float path gives the
// same bytes after reset(), and tflm-run --fresh agrees within TFLM's tolerance (1e-5; most
// outputs bit-equal). Also Y_h (the last step), repeated invokes, and the refusals by name.

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

function refused(model: Uint8Array, re: RegExp): void {
  assert.throws(() => convertModel(model, 'lstm.onnx', { log: () => {} }), (e: unknown) => e instanceof ConvertError && re.test(e.message) || (console.log(String(e)), false));
}

test('ONNX LSTM: reverse/bidirectional, layout 1, clip, input_forget, peephole, sequence_lens, non-zero initial state, Y_c: refused by name', () => {
  const r = rng(7);
  const spec: Spec = { steps: 2, batch: 1, nIn: 3, hidden: 2, withBias: true, yh: false };
  const head = /^lstm\.onnx: node 0 "LSTM_0" \(LSTM\): /.source;
  refused(pair(r, spec, { direction: 'reverse' }).onnx, new RegExp(head + 'direction "reverse" is not supported \\(forward only\\)$'));
  refused(pair(r, spec, { direction: 'bidirectional' }).onnx, new RegExp(head + 'direction "bidirectional" is not supported'));
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
