// SVDF (int8 input/output, int8 feature weights, int16 time weights and state) and variable
// tensors, bit-exact with TFLM's integer SVDF (../shared/tools/tflm-run): randomised batch,
// input size, filters, rank and memory, quantization; each model built in code
// (src/testing/tflite-builder.ts) and run as a stream of invokes in tflm-run (one interpreter:
// the state carries over) and in the simd, scalar and streamed builds (one loaded model
// each), and by `edgepack run` and the WASI command over a batch of N inputs. Also: reset() gives the first invoke's output again, single invokes match
// tflm-run --fresh, the planner keeps the state apart, and bad records fail at load.

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
import { summarize } from '../src/inspect.js';
import { ConvertError } from '../src/ir/graph.js';
import { Model } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { hasTflm, randInt, randInt8, randScale, rng, runTflm } from './tflm-oracle.js';
import { REPO } from './helpers.js';
import { buildModelFirmware, hex, runFirmware, toolAvailable } from '../tools/firmware/build.js';
import { assertBatchCommands, assertFresh, assertStream, builds, bytes } from './stream-harness.js';

const CASES = 10;
const INVOKES = 6; // more than the memory of most cases: the oldest state drops out
const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

interface Case { model: Uint8Array; inputs: Uint8Array[][]; what: string }

/** x [batch, nIn] -> SVDF(rank, memory) -> y [batch, nFilter / rank], optionally followed by a second SVDF. */
function svdfModel(r: () => number, opts: { activation?: string; second?: boolean } = {}): Case {
  const batch = randInt(r, 1, 3), nIn = randInt(r, 1, 24), rank = randInt(r, 1, 3), nUnit = randInt(r, 1, 8), nMemory = randInt(r, 1, 6);
  const nFilter = rank * nUnit;
  const b = new TfliteBuilder();
  const xq = q(randScale(r, 0.01, 0.1), randInt(r, -128, 127));
  const x = b.tensor('x', [batch, nIn], 'int8', xq);
  const layer = (name: string, input: number, inputs: number, yScale: number) => {
    const sScale = randScale(r, 0.001, 0.05), tScale = randScale(r, 0.0001, 0.002);
    const wf = b.constant(`${name}/feature`, [nFilter, inputs], 'int8', randInt8(r, nFilter * inputs), q(randScale(r, 0.002, 0.02), 0));
    const wt = b.constant(`${name}/time`, [nFilter, nMemory], 'int16', Array.from({ length: nFilter * nMemory }, () => randInt(r, -32768, 32767)), q(tScale, 0));
    const bias = b.constant(`${name}/bias`, [nUnit], 'int32', Array.from({ length: nUnit }, () => randInt(r, -5000, 5000)), q(Math.fround(sScale * tScale), 0));
    const state = b.variable(`${name}/state`, [batch, nFilter * nMemory], 'int16', q(sScale, 0));
    const y = b.tensor(`${name}/y`, [batch, nUnit], 'int8', q(yScale, randInt(r, -128, 127)));
    b.op('SVDF', [input, wf, wt, bias, state], [y], { rank, activation: opts.activation ?? 'NONE' });
    return y;
  };
  let y = layer('svdf1', x, nIn, randScale(r, 0.02, 0.5));
  if (opts.second) y = layer('svdf2', y, nUnit, randScale(r, 0.02, 0.5));
  b.io([x], [y]);
  const inputs = Array.from({ length: INVOKES }, () => [new Uint8Array(randInt8(r, batch * nIn).buffer)]);
  return { model: b.finish(), inputs, what: `batch ${batch}, in ${nIn}, rank ${rank}, units ${nUnit}, memory ${nMemory}${opts.second ? ', two layers' : ''}` };
}

test('SVDF: a stream of invokes carries the state as tflm-run does, in every build; reset() starts it again', async () => {
  if (skip()) return;
  const r = rng(2310);
  for (let c = 0; c < CASES; c++) {
    const { model, inputs, what } = svdfModel(r, { second: c % 3 === 2 });
    const want = runTflm(model, inputs);
    const { epk } = convertModel(model, 'svdf', { log: () => {} });
    await assertStream(epk, inputs, want, what);
  }
});

test('SVDF: each invoke alone matches tflm-run --fresh (state from load), and differs from the stream once state builds up', async () => {
  if (skip()) return;
  const r = rng(77);
  let differs = 0;
  for (let c = 0; c < 4; c++) {
    const { model, inputs, what } = svdfModel(r);
    const fresh = runTflm(model, inputs, true), stream = runTflm(model, inputs);
    const { epk } = convertModel(model, 'svdf', { log: () => {} });
    await assertFresh(epk, inputs, fresh, what);
    if (inputs.some((_, i) => Buffer.compare(fresh[i], stream[i]) !== 0)) differs++;
  }
  assert.ok(differs > 0, 'no case where the state changed an output: the test would not see lost state');
});

test('SVDF: RELU is accepted and, as in TFLM\'s integer kernel, not applied; other activations are refused by name', async () => {
  if (skip()) return;
  const r = rng(5);
  let negative = false;
  for (let c = 0; c < 4; c++) {
    const { model, inputs, what } = svdfModel(r, { activation: 'RELU' });
    const want = runTflm(model, inputs);
    const { epk } = convertModel(model, 'svdf', { log: () => {} });
    const m = await loadModelNode(epk, 'scalar');
    inputs.forEach((inv, i) => assert.equal(bytes(m.run(...inv)), Array.from(want[i]), `${what}, invoke ${i}`));
    const zp = readEpk(epk).tensors[readEpk(epk).outputs[0]].zeroPoint;
    if (want.some((o) => Array.from(new Int8Array(o.buffer, o.byteOffset, o.length)).some((v) => v < zp))) negative = true;
  }
  assert.ok(negative, 'some output below the zero point (RELU would have changed it)');
  const { model } = svdfModel(rng(6), { activation: 'RELU6' });
  assert.throws(() => convertModel(model, 'svdf', { log: () => {} }), (e: unknown) => e instanceof ConvertError && /op 0 \(SVDF\): fused activation RELU6 is not supported/.test(e.message));
});

test('SVDF: `edgepack run` (every target) and the WASI command carry the state over a batch of N inputs, as tflm-run', async () => {
  if (skip()) return;
  const { model, inputs, what } = svdfModel(rng(404), { second: true });
  const want = Buffer.concat(runTflm(model, inputs));
  await assertBatchCommands(convertModel(model, 'svdf', { log: () => {} }).epk, inputs, want, what);
});

test('SVDF firmware (wasm2c, native gcc; resident and streamed, model-specific kernels): the stream as tflm-run', async () => {
  if (skip()) return;
  if (!toolAvailable('wasm2c') || !toolAvailable('gcc')) return void console.log('  (skipped: native firmware needs wasm2c and gcc)');
  const { model, inputs, what } = svdfModel(rng(808), { second: true });
  // tools/firmware/host.c invokes case 0 twice (a warm-up before the measured invoke): one more step of the stream
  const want = runTflm(model, [inputs[0], ...inputs]).slice(1);
  const { epk } = convertModel(model, 'svdf', { log: () => {} });
  for (const mode of ['resident', 'streamed'] as const) {
    const fw = await buildModelFirmware('svdf', 'native', mode, epk, inputs.map((inv) => inv[0]), 0, false, true);
    const run = runFirmware(fw.elf, 'native');
    inputs.forEach((_, k) => assert.is(run.outputs[k], hex(want[k]), `${what}, ${mode}, case ${k}`));
  }
});

test('variable tensors: written as their own kind, apart from every other arena tensor; inspect lists them', () => {
  const r = rng(11);
  for (let c = 0; c < 6; c++) {
    const { model } = svdfModel(r, { second: true });
    const { epk } = convertModel(model, 'svdf', { log: () => {} });
    const e = readEpk(epk);
    const vars = e.tensors.filter((t) => t.kind === TensorKind.Variable);
    assert.is(vars.length, 2);
    assert.ok(e.ops.every((op) => op.opcode === OpCode.Svdf));
    for (const v of vars) {
      for (const t of e.tensors) {
        if (t === v || t.kind === TensorKind.Const) continue;
        assert.ok(t.offset + t.bytes <= v.offset || v.offset + v.bytes <= t.offset, `${t.name} overlaps state ${v.name}`);
      }
    }
    assert.equal(summarize(epk).variables.map((t) => t.name), vars.map((t) => t.name));
  }
});

test('SVDF: the converter refuses a state that is not a variable tensor and a rank that does not divide the filters, by name', () => {
  const build = (variable: boolean, rank: number) => {
    const b = new TfliteBuilder();
    const x = b.tensor('x', [1, 4], 'int8', q(0.05, 0));
    const wf = b.constant('feature', [4, 4], 'int8', new Array(16).fill(1), q(0.01, 0));
    const wt = b.constant('time', [4, 2], 'int16', new Array(8).fill(1), q(0.001, 0));
    const bias = b.constant('bias', [4], 'int32', new Array(4).fill(0), q(Math.fround(0.01 * 0.001), 0));
    const st = variable ? b.variable('state', [1, 8], 'int16', q(0.01, 0)) : b.tensor('state', [1, 8], 'int16', q(0.01, 0));
    const y = b.tensor('y', [1, 4], 'int8', q(0.1, 0));
    b.op('SVDF', [x, wf, wt, bias, st], [y], { rank });
    b.io(variable ? [x] : [x, st], [y]);
    return b.finish();
  };
  const refuses = (model: Uint8Array, re: RegExp) =>
    assert.throws(() => convertModel(model, 'svdf', { log: () => {} }), (e: unknown) => e instanceof ConvertError && re.test(e.message));
  refuses(build(false, 1), /SVDF.*state "state" must be a variable tensor/);
  refuses(build(true, 3), /SVDF.*rank 3 does not divide the 4 filters/);
});

test.run();
