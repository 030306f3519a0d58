// Group c's int8 ops (issue 10) bit-exact with TFLM: LOG_SOFTMAX.
// Random shapes, input scales and zero points, each model built in code
// (src/testing/ops-c-models.ts) and run in tflm-run and in the simd, scalar and streamed
// builds (test/tflm-oracle.ts).

import { test } from 'uvu';
import { logSoftmaxCase, logSoftmaxModel } from '../src/testing/ops-c-models.js';
import { assertMatchesTflm, hasTflm, rng } from './tflm-oracle.js';

const CASES = 24;
const INVOKES = 3; // random inputs per case

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

test('LOG_SOFTMAX: bit-exact with tflm-run (rank 1-4, input scales 2^-12 to 2^7, rows near one value and random)', async () => {
  if (skip()) return;
  const r = rng(401);
  for (let c = 0; c < CASES; c++) {
    const { model, inputs, what } = logSoftmaxCase(r, INVOKES);
    await assertMatchesTflm(`log_softmax ${c}: ${what}`, model, inputs);
  }
});

test('LOG_SOFTMAX: bit-exact with tflm-run on every input byte against every row maximum (depth 2, 256 x 256 rows)', async () => {
  if (skip()) return;
  const x = new Int8Array(256 * 256 * 2);
  for (let a = 0; a < 256; a++) for (let m = 0; m < 256; m++) { x[2 * (a * 256 + m)] = a - 128; x[2 * (a * 256 + m) + 1] = m - 128; }
  for (const s of [0.0005, 0.02, 0.1, 0.75, 50]) {
    await assertMatchesTflm(`log_softmax all pairs in ${s}`, logSoftmaxModel([256 * 256, 2], Math.fround(s), 3), [[new Uint8Array(x.buffer)]]);
  }
});

test.run();
