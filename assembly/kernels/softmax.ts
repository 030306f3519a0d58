// int8 softmax with TFLite's reference arithmetic: gemmlowp fixed point, input
// differences in Q5.26, exp sums in Q12.19, output = round(exp / sum * 256) - 128.

import { rdbpot, srdhm } from './quant';

const ONE_Q0: i32 = i32.MAX_VALUE; // FixedPoint<int32, 0>::One()

/** SaturatingRoundingMultiplyByPOT with a positive exponent: x * 2^e, saturating. */
// @ts-ignore: decorator
@inline function saturatingShiftLeft(x: i32, e: i32): i32 {
  const threshold = (1 << (31 - e)) - 1;
  if (x > threshold) return i32.MAX_VALUE;
  if (x < -threshold) return i32.MIN_VALUE;
  return x << e;
}

/** exp(a) for a in [-1/4, 0), Q0.31 in and out: Taylor series around -1/8. */
function expOnIntervalQuarter(a: i32): i32 {
  const constantTerm: i32 = 1895147668; // exp(-1/8)
  const oneThird: i32 = 715827883;
  const x = a + (1 << 28); // a + 1/8
  const x2 = srdhm(x, x);
  const x3 = srdhm(x2, x);
  const x4 = srdhm(x2, x2);
  const x4Over4 = rdbpot(x4, 2);
  const poly = rdbpot(srdhm(x4Over4 + x3, oneThird) + x2, 1);
  return constantTerm + srdhm(constantTerm, x + poly);
}

/** exp(a) for a <= 0 given in Q5.26; result in Q0.31 (gemmlowp exp_on_negative_values). */
export function expOnNegativeQ5(a: i32): i32 {
  const fractionalBits = 26;
  const oneQuarter: i32 = 1 << (fractionalBits - 2);
  const mask = oneQuarter - 1;
  const aModQuarterMinusQuarter = (a & mask) - oneQuarter;
  let result = expOnIntervalQuarter(saturatingShiftLeft(aModQuarterMinusQuarter, 5));
  const remainder = aModQuarterMinusQuarter - a;
  if (remainder & (1 << (fractionalBits - 2))) result = srdhm(result, 1672461947); // exp(-1/4)
  if (remainder & (1 << (fractionalBits - 1))) result = srdhm(result, 1302514674); // exp(-1/2)
  if (remainder & (1 << fractionalBits)) result = srdhm(result, 790015084); // exp(-1)
  if (remainder & (1 << (fractionalBits + 1))) result = srdhm(result, 290630308); // exp(-2)
  if (remainder & (1 << (fractionalBits + 2))) result = srdhm(result, 39332535); // exp(-4)
  if (remainder & (1 << (fractionalBits + 3))) result = srdhm(result, 720401); // exp(-8)
  if (remainder & (1 << (fractionalBits + 4))) result = srdhm(result, 242); // exp(-16)
  return a == 0 ? ONE_Q0 : result;
}

/** 1 / (1 + a) for a in [0, 1), Q0.31 in and out: Newton-Raphson, 3 iterations. */
export function oneOverOnePlusX(a: i32): i32 {
  const sum = <i64>a + <i64>ONE_Q0;
  const halfDenominator = <i32>((sum + (sum >= 0 ? 1 : -1)) / 2); // RoundingHalfSum
  const c48over17: i32 = 1515870810; // Q2.29
  const cNeg32over17: i32 = -1010580540; // Q2.29
  const oneQ2: i32 = 1 << 29;
  let x = c48over17 + srdhm(halfDenominator, cNeg32over17);
  for (let i = 0; i < 3; i++) {
    const hdx = srdhm(halfDenominator, x);
    const oneMinus = oneQ2 - hdx;
    x = x + saturatingShiftLeft(srdhm(x, oneMinus), 2);
  }
  return saturatingShiftLeft(x, 1);
}

export function softmax_s8(x: usize, y: usize, outer: i32, depth: i32, inputMultiplier: i32, inputLeftShift: i32, diffMin: i32): void {
  for (let i = 0; i < outer; i++) {
    const row = x + <usize>(i * depth);
    const outRow = y + <usize>(i * depth);
    let maxIn: i32 = -128;
    for (let c = 0; c < depth; c++) maxIn = max(maxIn, <i32>load<i8>(row + c));

    let sumOfExps: i32 = 0; // Q12.19
    for (let c = 0; c < depth; c++) {
      const diff = <i32>load<i8>(row + c) - maxIn;
      if (diff >= diffMin) {
        const scaled = srdhm(diff * (1 << inputLeftShift), inputMultiplier);
        sumOfExps += rdbpot(expOnNegativeQ5(scaled), 12);
      }
    }

    const headroomPlusOne = <i32>clz<u32>(<u32>sumOfExps);
    const numBitsOverUnit = 12 - headroomPlusOne;
    const shiftedSumMinusOne = <i32>((<u32>sumOfExps << headroomPlusOne) - (<u32>1 << 31));
    const shiftedScale = oneOverOnePlusX(shiftedSumMinusOne);
    const exponent = numBitsOverUnit + 31 - 8;

    for (let c = 0; c < depth; c++) {
      const diff = <i32>load<i8>(row + c) - maxIn;
      let out: i32 = -128;
      if (diff >= diffMin) {
        const scaled = srdhm(diff * (1 << inputLeftShift), inputMultiplier);
        const e = expOnNegativeQ5(scaled);
        const unsat = rdbpot(srdhm(shiftedScale, e), exponent);
        out = max(-128, min(127, unsat - 128));
      }
      store<i8>(outRow + c, <i8>out);
    }
  }
}
