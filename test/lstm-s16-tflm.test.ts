// UNIDIRECTIONAL_SEQUENCE_LSTM 16x8 (kernel row LSTM_S16: int16 input, output and hidden
// state, int8 weights, int64 biases, int16 cell state), bit-exact with TFLM's
// EvalLstm<int16_t, int8_t, int16_t, int64_t> (../shared/tools/tflm-run): random batch, steps,
// input size, units, time major or not, cell clip, cell scale (a power of two or not), one or
// two layers; models built in code (src/testing/lstm-typed-models.ts) and run as a stream of
// invokes in tflm-run and in the simd, scalar and streamed builds, by `edgepack run` and the
// WASI command over a batch. Also reset(), single invokes against --fresh, and the models the
// converter refuses by name.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { runCommand } from '../src/cli/run.js';
import { convertModel } from '../src/convert.js';
import { OpCode, TensorKind } from '../src/format/constants.js';
import { kernelBit, kernelOf } from '../src/format/kernels.js';
import { readEpk } from '../src/format/reader.js';
import { ConvertError } from '../src/ir/graph.js';
import { Model } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { lstmInputShape, LstmSpec } from '../src/testing/lstm-model.js';
import { buildLstmS16Model } from '../src/testing/lstm-typed-models.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { hasTflm, randInt, rng, runTflm } from './tflm-oracle.js';
import { REPO } from './helpers.js';
import { buildModelFirmware, hex, runFirmware, toolAvailable } from '../tools/firmware/build.js';
import { assertBatchCommands, assertFresh, assertStream, builds, bytes } from './stream-harness.js';

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

const int16s = (r: () => number, n: number) => new Uint8Array(Int16Array.from({ length: n }, () => randInt(r, -32768, 32767)).buffer);

function lstmCase(r: () => number, layers = 1, spec = randomSpec(r, layers)): Case {
  const model = buildLstmS16Model(spec, r);
  const n = lstmInputShape(spec).reduce((a, d) => a * d, 1);
  const inputs = Array.from({ length: INVOKES }, () => [int16s(r, n)]);
  const what = `batch ${spec.batch}, steps ${spec.steps}, in ${spec.nIn}, units ${spec.cells.join('+')}, ${spec.timeMajor ? 'time major' : 'batch major'}, clip ${spec.cellClip}, cell scale 2^${spec.cellScaleLog2.toFixed(2)}`;
  return { model, inputs, what };
}

test('int16 LSTM: 16 inputs (the sigmoid table shared), variant LSTM_S16, int16 states variable', () => {
  const { model } = lstmCase(rng(3), 2);
  const e = readEpk(convertModel(model, 'lstm', { log: () => {} }).epk);
  assert.ok(e.ops.every((op) => op.opcode === OpCode.UnidirectionalSequenceLstm && op.inputs.length === 16));
  assert.ok(e.ops.every((op) => kernelOf(op, e.tensors) === kernelBit('LSTM_S16')));
  assert.is(new Set(e.ops.map((op) => op.inputs[15])).size, 1);
  assert.is(e.tensors.filter((t) => t.kind === TensorKind.Variable).length, 4);
});

test('int16 LSTM: a stream of invokes carries hidden and cell state as tflm-run does, in every build; reset() starts it again', async () => {
  if (skip()) return;
  const r = rng(1016);
  for (let c = 0; c < 12; c++) {
    const { model, inputs, what } = lstmCase(r, c % 4 === 3 ? 2 : 1);
    const want = runTflm(model, inputs);
    const { epk } = convertModel(model, 'lstm', { log: () => {} });
    await assertStream(epk, inputs, want, what);
  }
});

test('int16 LSTM: each invoke alone matches tflm-run --fresh, and differs from the stream once state builds up', async () => {
  if (skip()) return;
  const r = rng(2016);
  let differs = 0;
  for (let c = 0; c < 4; c++) {
    const { model, inputs, what } = lstmCase(r);
    const fresh = runTflm(model, inputs, true), stream = runTflm(model, inputs);
    const { epk } = convertModel(model, 'lstm', { log: () => {} });
    await assertFresh(epk, inputs, fresh, what);
    if (inputs.some((_, i) => Buffer.compare(fresh[i], stream[i]) !== 0)) differs++;
  }
  assert.ok(differs > 0, 'no case where the state changed an output');
});

test('int16 LSTM: saturating gates, a clipped cell, larger layers and longer sequences match tflm-run', async () => {
  if (skip()) return;
  const r = rng(3016);
  const specs: LstmSpec[] = [
    ...[0, 1, 2, 3].map((c) => ({ batch: 2, steps: 4, nIn: 6, cells: [5], timeMajor: c % 2 === 1, cellClip: c < 2 ? 0.75 : 0, cellScaleLog2: -15 + c })),
    ...[0, 1].map((c) => ({ batch: randInt(r, 1, 2), steps: randInt(r, 8, 12), nIn: randInt(r, 16, 40), cells: [randInt(r, 12, 32)], timeMajor: c === 1, cellClip: 0, cellScaleLog2: -11 })),
  ];
  for (const spec of specs) {
    const { model, inputs, what } = lstmCase(r, 1, spec);
    const want = runTflm(model, inputs);
    const { epk } = convertModel(model, 'lstm', { log: () => {} });
    for (const [build, m] of await builds(epk)) {
      inputs.forEach((inv, i) => assert.equal(bytes(m.run(...inv)), Array.from(want[i]), `${what}, ${build}, invoke ${i}`));
    }
  }
});

test('int16 LSTM: `edgepack run` (every target) and the WASI command carry the state over a batch of N inputs, as tflm-run', async () => {
  if (skip()) return;
  const { model, inputs, what } = lstmCase(rng(416), 2);
  const want = Buffer.concat(runTflm(model, inputs));
  await assertBatchCommands(convertModel(model, 'lstm', { log: () => {} }).epk, inputs, want, what);
});

test('int16 LSTM firmware (wasm2c, native gcc; resident and streamed, LSTM_S16-only kernel set): the stream as tflm-run', async () => {
  if (skip()) return;
  if (!toolAvailable('wasm2c') || !toolAvailable('gcc')) return void console.log('  (skipped: native firmware needs wasm2c and gcc)');
  const { model, inputs, what } = lstmCase(rng(818), 2);
  const want = runTflm(model, [inputs[0], ...inputs]).slice(1); // the host's warm-up invoke: one more step
  const { epk } = convertModel(model, 'lstm', { log: () => {} });
  for (const mode of ['resident', 'streamed'] as const) {
    const fw = await buildModelFirmware('lstm-s16', 'native', mode, epk, inputs.map((inv) => inv[0]), 0, false, true);
    const run = runFirmware(fw.elf, 'native');
    inputs.forEach((_, k) => assert.is(run.outputs[k], hex(want[k]), `${what}, ${mode}, case ${k}`));
  }
});

// --- refused by name: one line naming op, input and tensor

const q = (scale: number, zeroPoint = 0) => ({ scale: [scale], zeroPoint: [zeroPoint] });

interface Variant { peephole?: boolean; biasType?: 'int32'; hiddenZp?: number; weightScale?: number; hiddenType?: 'int8' }

function variant(v: Variant): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 3, 4], 'int16', q(2 ** -12));
  const w = (name: string, cols: number) => b.constant(name, [2, cols], 'int8', new Array(2 * cols).fill(3), q(v.weightScale ?? 0.01));
  const inputs = [x];
  for (let k = 0; k < 4; k++) inputs.push(w(`input_to_gate_${k}`, 4));
  for (let k = 0; k < 4; k++) inputs.push(w(`recurrent_to_gate_${k}`, 2));
  for (let k = 0; k < 3; k++) inputs.push(v.peephole ? b.constant(`peephole_${k}`, [2], 'int16', [1, 1], q(0.01)) : -1);
  for (let k = 0; k < 4; k++) inputs.push(b.constant(`gate_bias_${k}`, [2], v.biasType ?? 'int64', [0, 0], q(2 ** -12 * 0.01)));
  inputs.push(-1, -1);
  inputs.push(b.variable('hidden', [1, 2], v.hiddenType ?? 'int16', q(2 ** -15, v.hiddenZp ?? 0)), b.variable('cell', [1, 2], 'int16', q(2 ** -11)));
  for (let k = 0; k < 4; k++) inputs.push(-1);
  const y = b.tensor('y', [1, 3, 2], 'int16', q(2 ** -15, v.hiddenZp ?? 0));
  b.op('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [y], { activation: 'TANH', cellClip: 0 });
  b.io([x], [y]);
  return b.finish();
}

function refused(model: Uint8Array, re: RegExp): void {
  assert.throws(() => convertModel(model, 'lstm.tflite', { log: () => {} }), (e: unknown) => e instanceof ConvertError && re.test(e.message) || (console.log(String(e)), false));
}

test('int16 LSTM: peephole, int32 biases, a non-zero zero point, a gate rescale beyond shift 7, an int8 hidden state: refused by name', () => {
  convertModel(variant({}), 'lstm.tflite', { log: () => {} }); // the plain 16x8 LSTM converts
  const op = /^lstm\.tflite: op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): /.source;
  refused(variant({ peephole: true }), new RegExp(op + 'input 9 "peephole_0" makes a peephole LSTM; supported: the plain int16 LSTM \\(no CIFG, peephole, projection or layer norm\\), as TFLM$'));
  refused(variant({ biasType: 'int32' }), new RegExp(op + 'bias "gate_bias_0" is int32; supported: int64$'));
  refused(variant({ hiddenZp: 3 }), new RegExp(op + 'hidden state "hidden" has zero point 3; int16 tensors must have zero point 0$'));
  refused(variant({ weightScale: 4000 }), new RegExp(op + 'input-to-input weights "input_to_gate_0": the gate rescale .* needs shift \\d+; TFLM\'s int16 requantization takes shifts up to 7$'));
  refused(variant({ hiddenType: 'int8' }), new RegExp(op + 'hidden state "hidden" is int8; supported: int16$'));
});

test.run();
