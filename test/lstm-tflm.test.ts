// Integer UNIDIRECTIONAL_SEQUENCE_LSTM (int8 input/output/weights/hidden state, int16 cell
// state), bit-exact with TFLM's integer LSTM (../shared/tools/tflm-run): random batch, time
// steps, input size, units, time major or not, cell clip, cell scale (a power of two or not),
// one or two layers; each model built in code (src/testing/lstm-model.ts) and run as a stream
// of invokes in tflm-run (one interpreter: the states carry over) and in the simd, scalar and
// streamed builds (one loaded model each), and by `edgepack run` and the WASI command over a
// batch of N inputs, and by the wasm2c firmware (native gcc). Also: reset() gives the first
// output again, single invokes match tflm-run --fresh, and the variants TFLM refuses are
// refused by name.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { runCommand } from '../src/cli/run.js';
import { convertModel } from '../src/convert.js';
import { OpCode, TensorKind } from '../src/format/constants.js';
import { readEpk } from '../src/format/reader.js';
import { ConvertError } from '../src/ir/graph.js';
import { Model } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { buildLstmModel, lstmInputShape, LstmSpec } from '../src/testing/lstm-model.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { hasTflm, randInt, randInt8, rng, runTflm } from './tflm-oracle.js';
import { REPO } from './helpers.js';
import { buildModelFirmware, hex, runFirmware, toolAvailable } from '../tools/firmware/build.js';
import { assertBatchCommands, assertFresh, assertStream, builds, bytes } from './stream-harness.js';

const CASES = 12;
const INVOKES = 4;

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

interface Case { model: Uint8Array; inputs: Uint8Array[][]; what: string }

function randomSpec(r: () => number, layers = 1): LstmSpec {
  const clip = [0, 0, 1.5, 4, 8][randInt(r, 0, 4)];
  const cellScaleLog2 = r() < 0.25 ? -11 + (r() - 0.5) * 0.8 : randInt(r, -14, -9);
  return {
    batch: randInt(r, 1, 3), steps: randInt(r, 1, 5), nIn: randInt(r, 1, 12),
    cells: Array.from({ length: layers }, () => randInt(r, 1, 10)), timeMajor: r() < 0.5, cellClip: clip, cellScaleLog2,
  };
}

function lstmCase(r: () => number, layers = 1): Case {
  const spec = randomSpec(r, layers);
  const model = buildLstmModel(spec, r);
  const n = lstmInputShape(spec).reduce((a, d) => a * d, 1);
  const inputs = Array.from({ length: INVOKES }, () => [new Uint8Array(randInt8(r, n).buffer)]);
  const what = `batch ${spec.batch}, steps ${spec.steps}, in ${spec.nIn}, units ${spec.cells.join('+')}, ${spec.timeMajor ? 'time major' : 'batch major'}, clip ${spec.cellClip}, cell scale 2^${spec.cellScaleLog2.toFixed(2)}`;
  return { model, inputs, what };
}

test('LSTM: a stream of invokes carries hidden and cell state as tflm-run does, in every build; reset() starts it again', async () => {
  if (skip()) return;
  const r = rng(1010);
  for (let c = 0; c < CASES; c++) {
    const { model, inputs, what } = lstmCase(r, c % 4 === 3 ? 2 : 1);
    const want = runTflm(model, inputs);
    const { epk } = convertModel(model, 'lstm', { log: () => {} });
    await assertStream(epk, inputs, want, what);
  }
});

test('LSTM: each invoke alone matches tflm-run --fresh, and differs from the stream once state builds up', async () => {
  if (skip()) return;
  const r = rng(2020);
  let differs = 0;
  for (let c = 0; c < 4; c++) {
    const { model, inputs, what } = lstmCase(r);
    const fresh = runTflm(model, inputs, true), stream = runTflm(model, inputs);
    const { epk } = convertModel(model, 'lstm', { log: () => {} });
    await assertFresh(epk, inputs, fresh, what);
    if (inputs.some((_, i) => Buffer.compare(fresh[i], stream[i]) !== 0)) differs++;
  }
  assert.ok(differs > 0, 'no case where the state changed an output: the test would not see lost state');
});

test('LSTM: saturating gates and a clipped cell (large weights, small cell scale) still match tflm-run', async () => {
  if (skip()) return;
  const r = rng(3030);
  for (let c = 0; c < 4; c++) {
    const spec: LstmSpec = { batch: 2, steps: 4, nIn: 6, cells: [5], timeMajor: c % 2 === 1, cellClip: c < 2 ? 0.75 : 0, cellScaleLog2: -15 + c };
    const model = buildLstmModel(spec, r);
    const inputs = Array.from({ length: INVOKES }, () => [new Uint8Array(randInt8(r, 2 * 4 * 6).buffer)]);
    const want = runTflm(model, inputs);
    const { epk } = convertModel(model, 'lstm', { log: () => {} });
    for (const [build, m] of await builds(epk)) {
      inputs.forEach((inv, i) => assert.equal(bytes(m.run(...inv)), Array.from(want[i]), `case ${c}, ${build}, invoke ${i}`));
    }
  }
});

test('LSTM: larger layers and longer sequences (input 16-40, units 12-32, 8-12 steps) match tflm-run', async () => {
  if (skip()) return;
  const r = rng(6060);
  for (let c = 0; c < 3; c++) {
    const spec: LstmSpec = { batch: randInt(r, 1, 2), steps: randInt(r, 8, 12), nIn: randInt(r, 16, 40), cells: [randInt(r, 12, 32)], timeMajor: c === 1, cellClip: c === 2 ? 3 : 0, cellScaleLog2: -11 };
    const model = buildLstmModel(spec, r);
    const n = lstmInputShape(spec).reduce((a, d) => a * d, 1);
    const inputs = Array.from({ length: 3 }, () => [new Uint8Array(randInt8(r, n).buffer)]);
    const want = runTflm(model, inputs);
    const { epk } = convertModel(model, 'lstm', { log: () => {} });
    for (const [build, m] of await builds(epk)) {
      inputs.forEach((inv, i) => assert.equal(bytes(m.run(...inv)), Array.from(want[i]), `${JSON.stringify(spec)}, ${build}, invoke ${i}`));
    }
  }
});

test('LSTM: weights stay raw int8 under --compress (codebook, Huffman): the same bytes as tflm-run', async () => {
  if (skip()) return;
  const { model, inputs, what } = lstmCase(rng(505));
  const want = runTflm(model, inputs);
  for (const compress of [{ huffman: true }, { codebook: 4 }]) {
    const { epk } = convertModel(model, 'lstm', { log: () => {}, compress });
    assert.ok(readEpk(epk).tensors.every((t) => !t.packed), `${what}: no packed tensor`);
    const m = await loadModelNode(epk, 'scalar');
    inputs.forEach((inv, i) => assert.equal(bytes(m.run(...inv)), Array.from(want[i]), `${what}, ${JSON.stringify(compress)}, invoke ${i}`));
  }
});

test('LSTM: `edgepack run` (every target) and the WASI command carry the state over a batch of N inputs, as tflm-run', async () => {
  if (skip()) return;
  const { model, inputs, what } = lstmCase(rng(404), 2);
  const want = Buffer.concat(runTflm(model, inputs));
  await assertBatchCommands(convertModel(model, 'lstm', { log: () => {} }).epk, inputs, want, what);
});

test('LSTM firmware (wasm2c, native gcc; resident and streamed, LSTM-only kernel set): the stream as tflm-run', async () => {
  if (skip()) return;
  if (!toolAvailable('wasm2c') || !toolAvailable('gcc')) return void console.log('  (skipped: native firmware needs wasm2c and gcc)');
  const { model, inputs, what } = lstmCase(rng(808), 2);
  // tools/firmware/host.c invokes case 0 twice (a warm-up before the measured invoke): one more step of the stream
  const want = runTflm(model, [inputs[0], ...inputs]).slice(1);
  const { epk } = convertModel(model, 'lstm', { log: () => {} });
  for (const mode of ['resident', 'streamed'] as const) {
    const fw = await buildModelFirmware('lstm', 'native', mode, epk, inputs.map((inv) => inv[0]), 0, false, true);
    const run = runFirmware(fw.elf, 'native');
    inputs.forEach((_, k) => assert.is(run.outputs[k], hex(want[k]), `${what}, ${mode}, case ${k}`));
  }
});

test('LSTM firmware on a Cortex-M4 (wasm2c, arm-none-eabi-gcc, qemu-system-arm; resident and streamed): the stream as tflm-run', async () => {
  if (skip()) return;
  if (!['wasm2c', 'arm-none-eabi-gcc', 'qemu-system-arm'].every(toolAvailable)) return void console.log('  (skipped: needs wasm2c, arm-none-eabi-gcc, qemu-system-arm)');
  const spec: LstmSpec = { batch: 1, steps: 8, nIn: 16, cells: [16], timeMajor: false, cellClip: 0, cellScaleLog2: -11 };
  const r = rng(99);
  const model = buildLstmModel(spec, r);
  const cases = [0, 1].map(() => new Uint8Array(randInt8(r, 8 * 16).buffer));
  const want = runTflm(model, [[cases[0]], [cases[0]], [cases[1]]]).slice(1); // the host's warm-up invoke: one more step
  const { epk } = convertModel(model, 'lstm', { log: () => {} });
  for (const mode of ['resident', 'streamed'] as const) {
    const fw = await buildModelFirmware('lstm', 'm4', mode, epk, cases, 0, false, true);
    const run = runFirmware(fw.elf, 'm4');
    cases.forEach((_, k) => assert.is(run.outputs[k], hex(want[k]), `${mode}, case ${k}`));
    assert.ok(run.instructions > 0, `${mode}: instruction count`);
  }
});

test('LSTM: hidden and cell state are variable tensors apart from every other arena tensor; 16 inputs in the .epk (the sigmoid table shared)', () => {
  const r = rng(11);
  for (let c = 0; c < 4; c++) {
    const { model } = lstmCase(r, 2);
    const e = readEpk(convertModel(model, 'lstm', { log: () => {} }).epk);
    const vars = e.tensors.filter((t) => t.kind === TensorKind.Variable);
    assert.is(vars.length, 4);
    assert.ok(e.ops.every((op) => op.opcode === OpCode.UnidirectionalSequenceLstm && op.inputs.length === 16));
    assert.is(new Set(e.ops.map((op) => op.inputs[15])).size, 1);
    for (const v of vars) {
      for (const t of e.tensors) {
        if (t === v || t.kind === TensorKind.Const) continue;
        assert.ok(t.offset + t.bytes <= v.offset || v.offset + v.bytes <= t.offset, `${t.name} overlaps state ${v.name}`);
      }
    }
  }
});

// --- the variants TFLM's kernel refuses, and bad options: one line naming op, input and tensor

const q = (scale: number, zeroPoint = 0) => ({ scale: [scale], zeroPoint: [zeroPoint] });

interface Variant { peephole?: boolean; projection?: boolean; layerNorm?: boolean; cifg?: boolean; activation?: string; perChannel?: boolean; weightZp?: number; cellType?: 'int16' | 'int8'; clip?: number; cellScale?: number }

function variant(v: Variant): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 3, 4], 'int8', q(0.05));
  const w = (name: string, cols: number) => b.constant(name, [2, cols], 'int8', new Array(2 * cols).fill(3),
    v.perChannel ? { scale: [0.01, 0.02], zeroPoint: [0, 0], axis: 0 } : q(0.01, v.weightZp ?? 0));
  const inputs = [x];
  for (let k = 0; k < 4; k++) inputs.push(v.cifg && k === 0 ? -1 : w(`input_to_gate_${k}`, 4));
  for (let k = 0; k < 4; k++) inputs.push(v.cifg && k === 0 ? -1 : w(`recurrent_to_gate_${k}`, 2));
  for (let k = 0; k < 3; k++) inputs.push(v.peephole ? b.constant(`peephole_${k}`, [2], 'int16', [1, 1], q(0.01)) : -1);
  for (let k = 0; k < 4; k++) inputs.push(b.constant(`gate_bias_${k}`, [2], 'int32', [0, 0], q(0.0005)));
  inputs.push(v.projection ? b.constant('projection', [2, 2], 'int8', [1, 1, 1, 1], q(0.01)) : -1, -1);
  inputs.push(b.variable('hidden', [1, 2], 'int8', q(0.008, 2)), b.variable('cell', [1, 2], v.cellType ?? 'int16', q(v.cellScale ?? 2 ** -11)));
  for (let k = 0; k < 4; k++) inputs.push(v.layerNorm ? b.constant(`layer_norm_${k}`, [2], 'int16', [1, 1], q(0.01)) : -1);
  const y = b.tensor('y', [1, 3, 2], 'int8', q(0.008, 2));
  b.op('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [y], { activation: v.activation ?? 'TANH', cellClip: v.clip ?? 0 });
  b.io([x], [y]);
  return b.finish();
}

function refused(model: Uint8Array, re: RegExp): void {
  assert.throws(() => convertModel(model, 'lstm.tflite', { log: () => {} }), (e: unknown) => e instanceof ConvertError && re.test(e.message) || (console.log(String(e)), false));
}

test('LSTM: peephole, projection, layer norm and CIFG variants, other activations, per-channel or asymmetric weights, int8 cell state: refused by name', () => {
  convertModel(variant({}), 'lstm.tflite', { log: () => {} }); // the plain LSTM converts
  const head = /^lstm\.tflite: op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): /;
  const plain = /supported: the plain integer LSTM \(no CIFG, peephole, projection or layer norm\), as TFLM$/;
  refused(variant({ peephole: true }), new RegExp(head.source + 'input 9 "peephole_0" makes a peephole LSTM; ' + plain.source));
  refused(variant({ projection: true }), new RegExp(head.source + 'input 16 "projection" makes a projection LSTM; ' + plain.source));
  refused(variant({ layerNorm: true }), new RegExp(head.source + 'input 20 "layer_norm_0" makes a layer norm LSTM; ' + plain.source));
  refused(variant({ cifg: true }), new RegExp(head.source + 'input 1 is absent: a CIFG LSTM \\(coupled input and forget gates\\); ' + plain.source));
  refused(variant({ activation: 'RELU' }), /op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): cell activation RELU is not supported \(TFLM's LSTM runs TANH\)$/);
  refused(variant({ perChannel: true }), /op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): input-to-input weights "input_to_gate_0" is quantized per channel; per-tensor expected$/);
  refused(variant({ weightZp: 1 }), /op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): input-to-input weights "input_to_gate_0" has zero point 1; weights must be symmetric \(zero point 0\)$/);
  refused(variant({ cellType: 'int8' }), /op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): cell state "cell" is int8; supported: int16$/);
  refused(variant({ clip: -1 }), /op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): cell clip -1 must be >= 0$/);
  refused(variant({ cellScale: 0 }), /^lstm\.tflite: tensor \d+ "cell": quantization scale 0 must be finite and > 0$/); // the importer's check
  refused(variant({ cellScale: 64 }), /op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): cell state "cell" scale 64 \(2\^6\) is outside 2\^-43 to 2\^4$/);
});

test.run();
