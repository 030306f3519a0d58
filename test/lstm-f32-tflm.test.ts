// UNIDIRECTIONAL_SEQUENCE_LSTM on float32 (kernel row LSTM_F32), against TFLM's float LSTM
// (../shared/tools/tflm-run): random batch, steps, input size, units, time major or not, cell
// clip, one or two layers, each model built in code (src/testing/lstm-typed-models.ts) and
// run as a stream of invokes in tflm-run (one interpreter: the states carry over) and in the
// simd, scalar and streamed builds, by `edgepack run` and the WASI command over a batch.
// Every output within TFLM's float kernel-test tolerance 1e-5 of tflm-run's, and in practice
// bit-equal (the sums, products and clips are TFLM's f32 operations in its order, tanh the
// classic tanhf glibc has; logistic's exp is Mathf.exp, which could round differently from
// glibc's expf: the share of equal outputs is printed). Also: reset(), single invokes against --fresh,
// the variants TFLM refuses, and a float model converting without --calibrate.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { runCommand } from '../src/cli/run.js';
import { convertModel } from '../src/convert.js';
import { DType, OpCode, TensorKind } from '../src/format/constants.js';
import { kernelBit, kernelOf } from '../src/format/kernels.js';
import { readEpk } from '../src/format/reader.js';
import { ConvertError } from '../src/ir/graph.js';
import { Model } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { lstmInputShape, LstmSpec } from '../src/testing/lstm-model.js';
import { buildLstmF32Model } from '../src/testing/lstm-typed-models.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { hasTflm, randInt, rng, runTflm } from './tflm-oracle.js';
import { REPO } from './helpers.js';
import { buildModelFirmware, runFirmware, toolAvailable } from '../tools/firmware/build.js';
import { builds } from './stream-harness.js';

const TOLERANCE = 1e-5;
const INVOKES = 4;

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

interface Case { model: Uint8Array; inputs: Uint8Array[][]; what: string }

function randomSpec(r: () => number, layers = 1): LstmSpec {
  return {
    batch: randInt(r, 1, 3), steps: randInt(r, 1, 5), nIn: randInt(r, 1, 12),
    cells: Array.from({ length: layers }, () => randInt(r, 1, 10)), timeMajor: r() < 0.5, cellClip: [0, 0, 0.5, 1.5, 4][randInt(r, 0, 4)], cellScaleLog2: 0,
  };
}

const floats = (r: () => number, n: number, span = 2) => new Uint8Array(Float32Array.from({ length: n }, () => (r() * 2 - 1) * span).buffer);

function lstmCase(r: () => number, layers = 1, spec = randomSpec(r, layers), span = 2): Case {
  const model = buildLstmF32Model(spec, r);
  const n = lstmInputShape(spec).reduce((a, d) => a * d, 1);
  const inputs = Array.from({ length: INVOKES }, () => [floats(r, n, span)]);
  const what = `batch ${spec.batch}, steps ${spec.steps}, in ${spec.nIn}, units ${spec.cells.join('+')}, ${spec.timeMajor ? 'time major' : 'batch major'}, clip ${spec.cellClip}`;
  return { model, inputs, what };
}

const f32 = (b: Uint8Array) => new Float32Array(Uint8Array.from(b).buffer);
let compared = 0, equal = 0;

function close(got: Uint8Array, want: Uint8Array, what: string): void {
  const a = f32(got), b = f32(want);
  assert.is(a.length, b.length, `${what}: output size`);
  a.forEach((v, k) => {
    compared++;
    if (Object.is(v, b[k])) equal++;
    else assert.ok(Math.abs(v - b[k]) <= TOLERANCE, `${what}, element ${k}: ${v} vs tflm-run ${b[k]}`);
  });
}

const joined = (outs: Uint8Array[]) => new Uint8Array(Buffer.concat(outs));

test('float32 LSTM converts without --calibrate to float32 tensors, 15 inputs, variant LSTM_F32, states variable', () => {
  const { model } = lstmCase(rng(1), 2);
  const e = readEpk(convertModel(model, 'lstm', { log: () => {} }).epk);
  assert.ok(e.ops.every((op) => op.opcode === OpCode.UnidirectionalSequenceLstm && op.inputs.length === 15));
  assert.ok(e.ops.every((op) => kernelOf(op, e.tensors) === kernelBit('LSTM_F32')));
  assert.ok(e.tensors.filter((t) => !t.name.startsWith('edgepack/')).every((t) => t.dtype === DType.Float32));
  assert.is(e.tensors.filter((t) => t.kind === TensorKind.Variable).length, 4);
});

test('float32 LSTM: a stream of invokes carries hidden and cell state as tflm-run does, in every build; reset() starts it again', async () => {
  if (skip()) return;
  const r = rng(1110);
  for (let c = 0; c < 12; c++) {
    const { model, inputs, what } = lstmCase(r, c % 4 === 3 ? 2 : 1);
    const want = runTflm(model, inputs);
    const { epk } = convertModel(model, 'lstm', { log: () => {} });
    for (const [build, m] of await builds(epk)) {
      inputs.forEach((inv, i) => close(joined(m.run(...inv)), want[i], `${what}, ${build}, invoke ${i}`));
      m.reset();
      close(joined(m.run(...inputs[0])), want[0], `${what}, ${build}: after reset() the first invoke`);
    }
  }
  console.log(`  float32 LSTM: ${equal} of ${compared} outputs bit-equal with tflm-run, the rest within ${TOLERANCE}`);
  assert.ok(equal > compared / 2, `${equal} of ${compared} bit-equal`);
});

test('float32 LSTM: each invoke alone matches tflm-run --fresh; large inputs drive the gates into saturation and the clip', async () => {
  if (skip()) return;
  const r = rng(2120);
  for (let c = 0; c < 4; c++) {
    const { model, inputs, what } = lstmCase(r, 1, undefined, c < 2 ? 2 : 40);
    const fresh = runTflm(model, inputs, true);
    const { epk } = convertModel(model, 'lstm', { log: () => {} });
    for (const [build, m] of await builds(epk)) {
      inputs.forEach((inv, i) => {
        m.reset();
        close(joined(m.run(...inv)), fresh[i], `${what}, ${build}, invoke ${i} after reset() vs --fresh`);
      });
    }
  }
});

test('float32 LSTM: larger layers and longer sequences (input 16-40, units 12-32, 8-12 steps)', async () => {
  if (skip()) return;
  const r = rng(6160);
  for (let c = 0; c < 3; c++) {
    const spec: LstmSpec = { batch: randInt(r, 1, 2), steps: randInt(r, 8, 12), nIn: randInt(r, 16, 40), cells: [randInt(r, 12, 32)], timeMajor: c === 1, cellClip: c === 2 ? 3 : 0, cellScaleLog2: 0 };
    const { model, inputs, what } = lstmCase(r, 1, spec);
    const want = runTflm(model, inputs.slice(0, 3));
    const { epk } = convertModel(model, 'lstm', { log: () => {} });
    for (const [build, m] of await builds(epk)) want.forEach((w, i) => close(joined(m.run(...inputs[i])), w, `${what}, ${build}, invoke ${i}`));
  }
});

test('float32 LSTM: `edgepack run` (every target) and the WASI command carry the state over a batch of N inputs', async () => {
  if (skip()) return;
  const { model, inputs, what } = lstmCase(rng(414), 2);
  const want = joined(runTflm(model, inputs));
  const dir = mkdtempSync(join(tmpdir(), 'edgepack-lstm-f32-'));
  try {
    writeFileSync(join(dir, 'model.epk'), convertModel(model, 'lstm', { log: () => {} }).epk);
    writeFileSync(join(dir, 'in.bin'), Buffer.concat(inputs.map((inv) => inv[0])));
    for (const target of ['simd', 'scalar', 'streamed']) {
      await runCommand([join(dir, 'model.epk'), '--input', join(dir, 'in.bin'), '--output', join(dir, `out-${target}.bin`), '--target', target]);
      close(new Uint8Array(readFileSync(join(dir, `out-${target}.bin`))), want, `${what}: edgepack run --target ${target}`);
    }
    const errFd = openSync(join(dir, 'stderr'), 'w');
    const wasi = new WASI({ version: 'preview1', args: ['edgepack-run', 'model.epk', 'in.bin', 'out-wasi.bin'], preopens: { '.': dir }, stderr: errFd, returnOnExit: true });
    const wasm = new WebAssembly.Module(readFileSync(join(REPO, 'build', 'edgepack-run.wasm')));
    const code = wasi.start(await WebAssembly.instantiate(wasm, wasi.getImportObject() as WebAssembly.Imports));
    closeSync(errFd);
    assert.is(code, 0, readFileSync(join(dir, 'stderr'), 'utf8'));
    close(new Uint8Array(readFileSync(join(dir, 'out-wasi.bin'))), want, `${what}: WASI command`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('float32 LSTM firmware (wasm2c, native gcc; resident and streamed, LSTM_F32-only kernel set): the stream as tflm-run', async () => {
  if (skip()) return;
  if (!toolAvailable('wasm2c') || !toolAvailable('gcc')) return void console.log('  (skipped: native firmware needs wasm2c and gcc)');
  const { model, inputs, what } = lstmCase(rng(818), 2);
  // tools/firmware/host.c invokes case 0 twice (a warm-up before the measured invoke): one more step of the stream
  const want = runTflm(model, [inputs[0], ...inputs]).slice(1);
  const { epk } = convertModel(model, 'lstm', { log: () => {} });
  for (const mode of ['resident', 'streamed'] as const) {
    const fw = await buildModelFirmware('lstm-f32', 'native', mode, epk, inputs.map((inv) => inv[0]), 0, false, true);
    const run = runFirmware(fw.elf, 'native');
    inputs.forEach((_, k) => close(new Uint8Array(Buffer.from(run.outputs[k], 'hex')), want[k], `${what}, ${mode}, case ${k}`));
  }
});

// --- the variants TFLM's kernel refuses: one line naming op, input and tensor

interface Variant { peephole?: boolean; projection?: boolean; layerNorm?: boolean; cifg?: boolean; activation?: string; clip?: number; stateType?: 'int16'; constState?: boolean }

function variant(v: Variant): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 3, 4], 'float32');
  const w = (name: string, cols: number) => b.constant(name, [2, cols], 'float32', new Array(2 * cols).fill(0.25));
  const inputs = [x];
  for (let k = 0; k < 4; k++) inputs.push(v.cifg && k === 0 ? -1 : w(`input_to_gate_${k}`, 4));
  for (let k = 0; k < 4; k++) inputs.push(v.cifg && k === 0 ? -1 : w(`recurrent_to_gate_${k}`, 2));
  for (let k = 0; k < 3; k++) inputs.push(v.peephole ? b.constant(`peephole_${k}`, [2], 'float32', [0.1, 0.1]) : -1);
  for (let k = 0; k < 4; k++) inputs.push(b.constant(`gate_bias_${k}`, [2], 'float32', [0, 0]));
  inputs.push(v.projection ? b.constant('projection', [2, 2], 'float32', [1, 0, 0, 1]) : -1, -1);
  inputs.push(b.variable('hidden', [1, 2], 'float32'));
  inputs.push(v.constState ? b.constant('cell', [1, 2], 'float32', [0, 0]) : b.variable('cell', [1, 2], 'float32'));
  for (let k = 0; k < 4; k++) inputs.push(v.layerNorm ? b.constant(`layer_norm_${k}`, [2], 'float32', [1, 1]) : -1);
  const y = b.tensor('y', [1, 3, 2], 'float32');
  b.op('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [y], { activation: v.activation ?? 'TANH', cellClip: v.clip ?? 0 });
  b.io([x], [y]);
  return b.finish();
}

function refused(model: Uint8Array, re: RegExp): void {
  assert.throws(() => convertModel(model, 'lstm.tflite', { log: () => {} }), (e: unknown) => e instanceof ConvertError && re.test(e.message) || (console.log(String(e)), false));
}

test('float32 LSTM: peephole, projection, layer norm and CIFG variants (which tflm-run refuses too), other activations, a negative clip: refused by name', () => {
  convertModel(variant({}), 'lstm.tflite', { log: () => {} }); // the plain LSTM converts
  const head = /^lstm\.tflite: op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): /;
  const plain = /supported: the plain float32 LSTM \(no CIFG, peephole, projection or layer norm\), as TFLM$/;
  refused(variant({ peephole: true }), new RegExp(head.source + 'input 9 "peephole_0" makes a peephole LSTM; ' + plain.source));
  refused(variant({ projection: true }), new RegExp(head.source + 'input 16 "projection" makes a projection LSTM; ' + plain.source));
  refused(variant({ layerNorm: true }), new RegExp(head.source + 'input 20 "layer_norm_0" makes a layer norm LSTM; ' + plain.source));
  refused(variant({ cifg: true }), new RegExp(head.source + 'input 1 is absent: a CIFG LSTM \\(coupled input and forget gates\\); ' + plain.source));
  refused(variant({ activation: 'RELU' }), /op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): cell activation RELU is not supported \(TFLM's LSTM runs TANH\)$/);
  refused(variant({ clip: -1 }), /op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): cell clip -1 must be a finite float32 >= 0$/);
  refused(variant({ constState: true }), /op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): .*"cell".*variable/);
  if (!hasTflm) return;
  for (const v of [{ peephole: true }, { projection: true }, { layerNorm: true }, { cifg: true }]) {
    const x = [[new Uint8Array(12 * 4)]];
    assert.throws(() => runTflm(variant(v), x), undefined, `tflm-run runs the ${Object.keys(v)[0]} variant`);
  }
  assert.is(runTflm(variant({}), [[new Uint8Array(12 * 4)]])[0].length, 6 * 4);
});

test.run();
