// Group b's int8 arithmetic ops (issue 10) bit-exact with TFLM: PRELU, SQUARED_DIFFERENCE,
// DIV, L2_NORMALIZATION, RSQRT (tabulated into the LUT op).
// Random shapes, broadcasts, constant or input operands and quantization, each model built in
// code (src/testing/ops-b-models.ts) and run in tflm-run and in the simd, scalar and streamed
// builds (test/tflm-oracle.ts).

import { test } from 'uvu';
import { binaryCase, l2normCase, unaryCase } from '../src/testing/ops-b-models.js';
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

test('DIV: bit-exact with tflm-run (broadcasts either side, constant divisor, zero divisors, fused activations)', async () => {
  if (skip()) return;
  const r = rng(389);
  const acts = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
  for (let c = 0; c < 2 * CASES; c++) {
    const activation = acts[c % acts.length];
    const { model, inputs, what } = binaryCase(r, 'DIV', INVOKES, { swap: true, options: { activation }, outScale: [0.02, 2] });
    await assertMatchesTflm(`div ${c}: ${what} ${activation}`, model, inputs);
  }
});

test('L2_NORMALIZATION: bit-exact with tflm-run (rank 1-4, rows near the zero point: small and zero sums)', async () => {
  if (skip()) return;
  const r = rng(397);
  for (let c = 0; c < CASES; c++) {
    const { model, inputs, what } = l2normCase(r, INVOKES);
    await assertMatchesTflm(`l2_normalization ${c}: ${what}`, model, inputs);
  }
});

test('RSQRT on int8 (tabulated with TFLM\'s Newton-Raphson inverse square root): bit-exact with tflm-run on every input from the zero point up', async () => {
  if (skip()) return;
  const r = rng(383);
  for (let c = 0; c < 2 * CASES; c++) {
    const { model, inputs, what } = unaryCase(r, 'RSQRT', INVOKES, { lowestFromZeroPoint: true, outScale: [0.01, 0.5] });
    await assertMatchesTflm(`rsqrt ${c}: ${what}`, model, inputs);
  }
});

test.run();
