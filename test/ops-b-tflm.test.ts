// Group b's int8 arithmetic ops (issue 10) bit-exact with TFLM: PRELU, SQUARED_DIFFERENCE.
// Random shapes, broadcasts, constant or input operands and quantization, each model built in
// code (src/testing/ops-b-models.ts) and run in tflm-run and in the simd, scalar and streamed
// builds (test/tflm-oracle.ts).

import { test } from 'uvu';
import { binaryCase } from '../src/testing/ops-b-models.js';
import { assertMatchesTflm, hasTflm, rng } from './tflm-oracle.js';

const CASES = 10; // per op
const INVOKES = 3; // random inputs per case

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

test('PRELU: bit-exact with tflm-run (alpha broadcast, constant or input, random scales)', async () => {
  if (skip()) return;
  const r = rng(361);
  for (let c = 0; c < CASES; c++) {
    const { model, inputs, what } = binaryCase(r, 'PRELU', INVOKES);
    await assertMatchesTflm(`prelu ${c}: ${what}`, model, inputs);
  }
});

test('SQUARED_DIFFERENCE: bit-exact with tflm-run (broadcasts either side, constant operand, random scales)', async () => {
  if (skip()) return;
  const r = rng(373);
  for (let c = 0; c < CASES; c++) {
    const { model, inputs, what } = binaryCase(r, 'SQUARED_DIFFERENCE', INVOKES, { swap: true, outScale: [0.01, 2] });
    await assertMatchesTflm(`squared_difference ${c}: ${what}`, model, inputs);
  }
});

test.run();
