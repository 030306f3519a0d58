// int8 log softmax with TFLite's reference arithmetic (reference_integer_ops LogSoftmax):
// input differences in Q5.26, exp sums in Q12.19, their log in Q5.26 (gemmlowp-style
// log_x_for_x_greater_than_or_equal_to_1 with a Q6 accumulator), output in 1/16 steps with
// zero point 127 (out = round((diff - log sum) / 2^22) + 127, clamped).

import { mbqm_ref, rdbpot, srdhm } from './quant';
import { expOnNegativeQ5, oneOverOnePlusX } from './softmax';

/** SaturatingRoundingMultiplyByPOTParam with a non-negative exponent: x * 2^e, saturating. */
// @ts-ignore: decorator
@inline function satShl(x: i32, e: i32): i32 {
  if (e == 0) return x;
  const threshold = (1 << (31 - e)) - 1;
  if (x > threshold) return i32.MAX_VALUE;
  if (x < -threshold) return i32.MIN_VALUE;
  return x << e;
}

// @ts-ignore: decorator
@inline function satAdd(a: i32, b: i32): i32 {
  const s = <i64>a + <i64>b;
  return <i32>(s > <i64>i32.MAX_VALUE ? <i64>i32.MAX_VALUE : s < <i64>i32.MIN_VALUE ? <i64>i32.MIN_VALUE : s);
}

/** RoundingHalfSum on int32. */
// @ts-ignore: decorator
@inline function halfSum(a: i32, b: i32): i32 {
  const s = <i64>a + <i64>b;
  return <i32>((s + (s >= 0 ? 1 : -1)) / 2);
}

/** log(x) for x >= 1 given in Q12.19; result in Q5.26 (accumulated in Q6.25). */
export function logQ12ToQ5(raw: i32): i32 {
  const log2: i32 = 1488522236;
  const sqrtSqrtHalf: i32 = 1805811301;
  const sqrtHalf: i32 = 1518500250;
  const alphaN: i32 = 117049297;
  const alphaD: i32 = 127690142;
  const alphaI: i32 = 1057819769;
  const alphaF: i32 = 638450708;
  const inputIntegerBits = 12;
  const accumIntegerBits = 6; // output integer bits (5) + 1
  const shiftedQuarter = rdbpot(536870912, accumIntegerBits); // 1/4 in Q6

  const zA = raw; // reinterpreted as Q0.31
  const zAHeadroomPlus1 = <i32>clz<u32>(<u32>zA);
  const rATmp = satShl(zA, zAHeadroomPlus1 - 1);
  const rARaw = satShl(srdhm(rATmp, sqrtHalf), 1);
  const zAPow2Adj = satAdd(satShl(inputIntegerBits - zAHeadroomPlus1, 31 - accumIntegerBits), shiftedQuarter);

  const zB = srdhm(zA, sqrtHalf);
  const zBHeadroom = <i32>clz<u32>(<u32>zB) - 1;
  const rBRaw = satShl(zA, zBHeadroom);
  const zBPow2Adj = satAdd(satShl(inputIntegerBits - zBHeadroom, 31 - accumIntegerBits), -shiftedQuarter);

  const r = min(rARaw, rBRaw);
  const zPow2Adj = max(zAPow2Adj, zBPow2Adj);

  const p = halfSum(r, sqrtSqrtHalf);
  let q = r - sqrtSqrtHalf;
  q = q + q;
  const commonSq = srdhm(q, q);
  const num = srdhm(q, r) + srdhm(srdhm(q, commonSq), alphaN);
  const denomMinusOne = srdhm(p, alphaI + q + srdhm(alphaD, commonSq)) + srdhm(alphaF, q);
  const recipDenom = oneOverOnePlusX(denomMinusOne);
  const numScaled = rdbpot(num, accumIntegerBits);
  return satShl(srdhm(zPow2Adj, log2) + srdhm(numScaled, recipDenom), 1); // Q6 -> Q5
}

export function log_softmax_s8(x: usize, y: usize, outer: i32, depth: i32, inputMultiplier: i32, inputLeftShift: i32,
                               reverseMultiplier: i32, reverseShift: i32, diffMin: i32): void {
  for (let i = 0; i < outer; i++) {
    const row = x + <usize>(i * depth);
    const outRow = y + <usize>(i * depth);
    let maxIn: i32 = -128;
    for (let c = 0; c < depth; c++) maxIn = max(maxIn, <i32>load<i8>(row + c));

    let sumOfExps: i32 = 0; // Q12.19
    for (let c = 0; c < depth; c++) {
      const diff = <i32>load<i8>(row + c) - maxIn;
      if (diff >= diffMin) sumOfExps += rdbpot(expOnNegativeQ5(mbqm_ref(diff, inputMultiplier, inputLeftShift)), 12);
    }
    const logSum = logQ12ToQ5(sumOfExps);
    const adjustedDiffMin = max(diffMin - 1, mbqm_ref(logSum + i32.MIN_VALUE, reverseMultiplier, reverseShift));

    for (let c = 0; c < depth; c++) {
      const diff = <i32>load<i8>(row + c) - maxIn;
      let out: i32 = -128;
      if (diff > adjustedDiffMin) {
        const inQ5 = mbqm_ref(diff, inputMultiplier, inputLeftShift);
        out = max(-128, min(127, rdbpot(inQ5 - logSum, 31 - 5 - 4) + 127));
      }
      store<i8>(outRow + c, <i8>out);
    }
  }
}
