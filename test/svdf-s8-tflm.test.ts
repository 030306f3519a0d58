// SVDF with int8 time weights and int8 state (TFLM's EvalInt8SvdfReference; branch svdf16):
// the int8 SVDF's row and params, the state's zero point read from its tensor record.
// Random batch, input size, rank, units, memory, state zero points, one or two layers;
// 6-invoke streams bit-exact with tflm-run in simd, scalar and streamed, reset() starting
// the stream again (the state refilled with its zero point), single invokes against --fresh.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { DType, OpCode } from '../src/format/constants.js';
import { kernelBit, kernelOf } from '../src/format/kernels.js';
import { readEpk } from '../src/format/reader.js';
import { ConvertError } from '../src/ir/graph.js';
import { Model } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { hasTflm, randInt, randInt8, randScale, rng, runTflm } from './tflm-oracle.js';
import { assertFresh, assertStream, builds, bytes } from './stream-harness.js';

const INVOKES = 6;
const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

interface Case { model: Uint8Array; inputs: Uint8Array[][]; what: string }

function svdfS8Model(r: () => number, opts: { second?: boolean; timeType?: 'int8' | 'int16' } = {}): Case {
  const batch = randInt(r, 1, 3), nIn = randInt(r, 1, 24), rank = randInt(r, 1, 3), nUnit = randInt(r, 1, 8), nMemory = randInt(r, 1, 6);
  const nFilter = rank * nUnit;
  const b = new TfliteBuilder();
  const x = b.tensor('x', [batch, nIn], 'int8', q(randScale(r, 0.01, 0.1), randInt(r, -128, 127)));
  const zps: number[] = [];
  const layer = (name: string, input: number, inputs: number) => {
    const sScale = randScale(r, 0.01, 0.2), tScale = randScale(r, 0.002, 0.02), sZp = r() < 0.3 ? 0 : randInt(r, -100, 100);
    zps.push(sZp);
    const wf = b.constant(`${name}/feature`, [nFilter, inputs], 'int8', randInt8(r, nFilter * inputs), q(randScale(r, 0.002, 0.02), 0));
    const wt = b.constant(`${name}/time`, [nFilter, nMemory], opts.timeType ?? 'int8', randInt8(r, nFilter * nMemory), q(tScale, 0));
    const bias = b.constant(`${name}/bias`, [nUnit], 'int32', Array.from({ length: nUnit }, () => randInt(r, -3000, 3000)), q(Math.fround(sScale * tScale), 0));
    const state = b.variable(`${name}/state`, [batch, nFilter * nMemory], 'int8', q(sScale, sZp));
    const y = b.tensor(`${name}/y`, [batch, nUnit], 'int8', q(randScale(r, 0.02, 0.5), randInt(r, -128, 127)));
    b.op('SVDF', [input, wf, wt, bias, state], [y], { rank });
    return y;
  };
  let y = layer('svdf1', x, nIn);
  if (opts.second) y = layer('svdf2', y, nUnit);
  b.io([x], [y]);
  const inputs = Array.from({ length: INVOKES }, () => [new Uint8Array(randInt8(r, batch * nIn).buffer)]);
  return { model: b.finish(), inputs, what: `batch ${batch}, in ${nIn}, rank ${rank}, units ${nUnit}, memory ${nMemory}, state zero points ${zps}${opts.second ? ', two layers' : ''}` };
}

test('SVDF int8 state: 6-invoke streams bit-exact with tflm-run in every build; reset() starts the stream again', async () => {
  if (skip()) return;
  const r = rng(2311);
  for (let c = 0; c < 12; c++) {
    const { model, inputs, what } = svdfS8Model(r, { second: c % 3 === 2 });
    const want = runTflm(model, inputs);
    const { epk } = convertModel(model, 'svdf8', { log: () => {} });
    const e = readEpk(epk);
    for (const op of e.ops) {
      assert.is(kernelOf(op, e.tensors), kernelBit('SVDF'));
      assert.is(e.tensors[op.inputs[4]].dtype, DType.Int8);
    }
    await assertStream(epk, inputs, want, what);
  }
});

test('SVDF int8 state: each invoke alone matches tflm-run --fresh (the state filled with its zero point)', async () => {
  if (skip()) return;
  const r = rng(2312);
  for (let c = 0; c < 4; c++) {
    const { model, inputs, what } = svdfS8Model(r);
    const fresh = runTflm(model, inputs, true);
    const { epk } = convertModel(model, 'svdf8', { log: () => {} });
    await assertFresh(epk, inputs, fresh, what);
  }
});

test('SVDF: int16 time weights with an int8 state are refused by name', () => {
  const { model } = svdfS8Model(rng(3), { timeType: 'int16' });
  assert.throws(() => convertModel(model, 'svdf8', { log: () => {} }), (e: unknown) => e instanceof ConvertError && /op 0 \(SVDF\): state "svdf1\/state" is int8; supported: int16/.test(e.message));
  void OpCode;
});

test.run();
