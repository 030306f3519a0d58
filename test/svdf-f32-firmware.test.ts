// The wasm2c firmware (native gcc; resident and streamed; a runtime built for exactly the
// model's kernel rows) on this branch's rows: a float32 SVDF stream (row SVDF_F32 alone) and an
// int16 AVERAGE_POOL_2D -> MEAN -> SOFTMAX model (row OTHER_S16 alone) give tflm-run's bytes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { kernelMask, kernelNames } from '../src/format/kernels.js';
import { readEpk } from '../src/format/reader.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { hasTflm, rng, runTflm } from './tflm-oracle.js';
import { svdfF32Model } from '../src/testing/svdf-f32-model.js';
import { buildModelFirmware, hex, runFirmware, toolAvailable } from '../tools/firmware/build.js';

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  else if (!toolAvailable('wasm2c') || !toolAvailable('gcc')) console.log('  (skipped: native firmware needs wasm2c and gcc)');
  return !hasTflm || !toolAvailable('wasm2c') || !toolAvailable('gcc');
}

async function firmwareMatches(name: string, model: Uint8Array, cases: Uint8Array[], rows: string[]): Promise<void> {
  // tools/firmware/host.c invokes case 0 twice (a warm-up before the measured invoke): one more step of a stream
  const want = runTflm(model, [[cases[0]], ...cases.map((c) => [c])]).slice(1);
  const { epk } = convertModel(model, name, { log: () => {} });
  assert.equal(kernelNames(kernelMask(readEpk(epk))), rows);
  for (const mode of ['resident', 'streamed'] as const) {
    const fw = await buildModelFirmware(name, 'native', mode, epk, cases, 0, false, true);
    const run = runFirmware(fw.elf, 'native');
    cases.forEach((_, k) => assert.is(run.outputs[k], hex(want[k]), `${name}, ${mode}, case ${k}`));
  }
}

test('float32 SVDF firmware (SVDF_F32 only): the stream as tflm-run', async () => {
  if (skip()) return;
  const { model, inputs } = svdfF32Model(rng(1606), { activation: 'RELU6', second: true });
  await firmwareMatches('svdf-f32', model, inputs.map((inv) => inv[0]), ['svdf_f32']);
});

test('int16 pooling, MEAN, SOFTMAX firmware (OTHER_S16 only): as tflm-run', async () => {
  if (skip()) return;
  const q16 = (scale: number) => ({ scale: [Math.fround(scale)], zeroPoint: [0] });
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 6, 6, 5], 'int16', q16(0.0004));
  const p = b.tensor('p', [1, 3, 3, 5], 'int16', q16(0.0004));
  b.op('AVERAGE_POOL_2D', [x], [p], { padding: 'SAME', strideH: 2, strideW: 2, filterH: 3, filterW: 3 });
  const axis = b.constant('axis', [1], 'int32', [2]);
  const m = b.tensor('m', [1, 3, 5], 'int16', q16(0.0003));
  b.op('MEAN', [p, axis], [m], {});
  const y = b.tensor('y', [1, 3, 5], 'int16', q16(1 / 32768));
  b.op('SOFTMAX', [m], [y], { beta: 1 });
  b.io([x], [y]);
  const r = rng(1707);
  const cases = Array.from({ length: 3 }, () => new Uint8Array(Int16Array.from({ length: 180 }, () => Math.floor(r() * 65536) - 32768).buffer));
  await firmwareMatches('other-s16', b.finish(), cases, ['other_s16']);
});

test.run();
