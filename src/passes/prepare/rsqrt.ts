// Prepare for RSQRT on int8, tabulated into the LUT op (int8-table.ts) with TFLM's integer
// arithmetic (elementwise.cc RsqrtEvalQuantized): v = x - input_zp; v = 0 gives 127; else
// GetInvSqrtQuantizedMultiplierExp(v) (gemmlowp Newton-Raphson in Q3.28), then
// MultiplyByQuantizedMultiplier(1, inv, shift + 20) and a rescale by
// 1 / (sqrtf(input_scale) * output_scale) (float32 product, then double) with shift - 20.
// TFLM fails the invoke on an input below the zero point; a table has no error path, so
// those entries hold 127 (documented in docs/FORMAT.md).

import { quantizeMultiplier } from '../quant-math.js';
import { PrepareContext } from './context.js';
import { I32_MAX, mbqm, rdbpot, shiftLeftSat, srdhm, tabulateInt8, unaryInt8 } from './int8-table.js';

const wrap = (v: number) => v | 0; // FixedPoint raw arithmetic wraps

/** GetInvSqrtQuantizedMultiplierExp(input, reverse_shift = -1) for input >= 0: [multiplier, shift]. */
export function invSqrtMultiplierExp(input: number): [number, number] {
  if (input <= 1) return [I32_MAX, 0];
  let shift = 11;
  while (input >= 1 << 29) {
    input = Math.trunc(input / 4);
    shift++;
  }
  const leftShiftBitPairs = Math.floor((Math.clz32(input) - 1) / 2) - 1;
  shift -= leftShiftBitPairs;
  input = input << (2 * leftShiftBitPairs);
  const xIn = input >> 1; // F3 raw
  const halfInput = rdbpot(xIn, 1);
  const halfThree = (1 << 28) + (1 << 27); // 1.5 in F3
  let x = 1 << 28; // F3 one
  for (let i = 0; i < 5; i++) {
    const x3 = shiftLeftSat(srdhm(srdhm(x, x), x), 6); // F9 -> F3
    x = shiftLeftSat(wrap(srdhm(halfThree, x) - srdhm(halfInput, x3)), 3); // F6 -> F3
  }
  let inv = srdhm(x, 1518500250); // * sqrt(2) / 2 in F0
  if (shift < 0) {
    inv = wrap(inv << -shift);
    shift = 0;
  }
  return [inv, -shift];
}

export function prepareRsqrt(ctx: PrepareContext): void {
  const { y, xq, yq } = unaryInt8(ctx);
  const f = Math.fround;
  const out = quantizeMultiplier(1 / f(f(Math.sqrt(f(xq.scale))) * f(yq.scale)));
  const kShift = 20;
  tabulateInt8(ctx, y, (x) => {
    const v = x - xq.zeroPoint;
    if (v <= 0) return 127; // v = 0: TFLM's largest output; v < 0: TFLM fails the invoke
    const [m, s] = invSqrtMultiplierExp(v);
    const data = mbqm(1, m, s + kShift);
    return mbqm(data, out.multiplier, out.shift - kShift) + yq.zeroPoint;
  });
}
