// Prepare for standalone LOGISTIC and TANH on int8 tensors: TFLM's integer kernels (input
// rescaled to Q4.27 by a frexp multiplier, gemmlowp's fixed-point logistic / tanh, output
// Q0.31 rounded to 1/256 or 1/128) run once per int8 value into a 256-entry LUT (opcode
// LUT), exact by construction. The fixed-point steps are those of
// assembly/kernels/softmax.ts (exp on negative values, Newton-Raphson 1 / (1 + x)), here in
// exact integers. Float models tabulate their float function earlier.

import { frexp, roundHalfAway } from '../quant-math.js';
import { PrepareContext } from './context.js';
import { I32_MAX, mbqm, rdbpot, shiftLeftSat, srdhm, tabulateInt8, unaryInt8 } from './int8-table.js';

const ONE_Q0 = I32_MAX;

const add = (a: number, b: number) => (a + b) | 0; // FixedPoint raw addition wraps

function expOnIntervalQuarter(a: number): number {
  const constantTerm = 1895147668, oneThird = 715827883;
  const x = add(a, 1 << 28);
  const x2 = srdhm(x, x), x3 = srdhm(x2, x), x4 = srdhm(x2, x2);
  const poly = rdbpot(add(srdhm(add(rdbpot(x4, 2), x3), oneThird), x2), 1);
  return add(constantTerm, srdhm(constantTerm, add(x, poly)));
}

const EXP_STEPS = [1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242]; // exp(-2^k), k = -2..4, Q0.31

/** gemmlowp exp_on_negative_values for a <= 0 in Q(integerBits).(31 - integerBits); Q0.31 out. */
function expOnNegative(a: number, integerBits: number): number {
  const frac = 31 - integerBits;
  const quarter = 1 << (frac - 2);
  const modMinusQuarter = add(a & (quarter - 1), -quarter);
  let result = expOnIntervalQuarter(shiftLeftSat(modMinusQuarter, integerBits));
  const remainder = add(modMinusQuarter, -a);
  EXP_STEPS.forEach((m, i) => {
    const exponent = i - 2;
    if (integerBits > exponent && (remainder & (1 << (frac + exponent))) !== 0) result = srdhm(result, m);
  });
  return a === 0 ? ONE_Q0 : result;
}

/** Newton-Raphson 1 / (1 + a) (minusOne: (1 - a) / (1 + a)), a in [0, 1) Q0.31. */
function newtonReciprocal(a: number, minusOne: boolean): number {
  const sum = a + ONE_Q0;
  const half = Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2); // RoundingHalfSum
  const oneQ2 = 1 << 29;
  let x = add(1515870810, srdhm(half, -1010580540)); // 48/17 - 32/17 * half, Q2.29
  for (let i = 0; i < 3; i++) x = add(x, shiftLeftSat(srdhm(x, add(oneQ2, -srdhm(half, x))), 2));
  return minusOne ? shiftLeftSat(add(x, -oneQ2), 2) : shiftLeftSat(x, 1);
}

/** gemmlowp logistic of a Q4.27 value, Q0.31 out. */
function logisticQ4(a: number): number {
  if (a === 0) return 1 << 30;
  const positive = newtonReciprocal(expOnNegative(a > 0 ? -a : a, 4), false);
  return a > 0 ? positive : add(ONE_Q0, -positive);
}

/** gemmlowp tanh of a Q4.27 value, Q0.31 out (exp of 2a: the same raw read as Q5.26). */
function tanhQ4(a: number): number {
  if (a === 0) return 0;
  const t = newtonReciprocal(expOnNegative(a < 0 ? a : -a, 5), true);
  return a < 0 ? -t : t;
}

function table(ctx: PrepareContext, inScale: number, inZp: number, tanh: boolean): number[] {
  const integerBits = 4;
  const real = inScale * 2 ** (31 - integerBits);
  const [q, leftShift] = frexp(real);
  const multiplier = roundHalfAway(q * 2 ** 31);
  if (multiplier >= 2 ** 31 || leftShift > 31) ctx.fail(`input scale ${inScale} is out of range for the int8 kernel`);
  const radius = Math.floor((((1 << integerBits) - 1) * 2 ** (31 - integerBits)) / 2 ** leftShift);
  return Array.from({ length: 256 }, (_, i) => {
    const v = i - 128 - inZp;
    if (v <= -radius) return tanh ? -128 : -128;
    if (v >= radius) return 127;
    const x = mbqm(v, multiplier, leftShift);
    if (tanh) return Math.max(-128, Math.min(127, rdbpot(tanhQ4(x), 24)));
    return Math.max(-128, Math.min(127, rdbpot(logisticQ4(x), 23) - 128));
  });
}

export function prepareLogisticTanh(ctx: PrepareContext): void {
  const { y, xq, yq } = unaryInt8(ctx);
  const tanh = ctx.op.type === 'TANH';
  const [scale, zp] = tanh ? [1 / 128, 0] : [1 / 256, -128];
  if (yq.zeroPoint !== zp || Math.fround(yq.scale) !== Math.fround(scale)) {
    ctx.fail(`int8 ${ctx.op.type} output "${y.name}" must have scale 1/${1 / scale} and zero point ${zp}, has ${yq.scale} and ${yq.zeroPoint}`);
  }
  const values = table(ctx, xq.scale, xq.zeroPoint, tanh);
  tabulateInt8(ctx, y, (v) => values[v + 128]);
}
