// L2_NORMALIZATION over int8 along the last axis, as TFLite's reference_integer_ops
// L2Normalization: per row, acc = sum (x - zp)^2 (int32, wrapping as TFLM's), its inverse
// square root as a quantized multiplier (GetInvSqrtQuantizedMultiplierExp: gemmlowp
// Newton-Raphson in Q3.28, 5 iterations, times sqrt(2)/2), then each value
// mbqm_ref(x - zp, inv, shift + 7), clamped to int8: the output is in 1/128 steps whatever
// the output tensor's quantization (TFLM does not read it).

import { clamp, mbqm_ref, srdhm, rdbpot } from './quant';

let invSqrtShift: i32 = 0; // the second result of invSqrtMultiplier

/** SaturatingRoundingMultiplyByPOT with a positive exponent. */
// @ts-ignore: decorator
@inline function shiftLeftSat(x: i32, e: i32): i32 {
  const threshold = (1 << (31 - e)) - 1;
  if (x > threshold) return i32.MAX_VALUE;
  if (x < -threshold) return i32.MIN_VALUE;
  return x << e;
}

/** GetInvSqrtQuantizedMultiplierExp(input, reverse_shift -1): the multiplier; its shift in invSqrtShift. */
function invSqrtMultiplier(input: i32): i32 {
  if (input <= 1) { invSqrtShift = 0; return i32.MAX_VALUE; }
  let shift = 11;
  while (input >= (1 << 29)) { input /= 4; shift++; }
  const pairs = ((<i32>clz<u32>(<u32>input) - 1) >> 1) - 1;
  shift -= pairs;
  input <<= 2 * pairs;
  const halfInput = rdbpot(input >> 1, 1); // F3
  const halfThree: i32 = (1 << 28) + (1 << 27); // 1.5 in F3
  let x: i32 = 1 << 28; // 1 in F3
  for (let i = 0; i < 5; i++) {
    const x3 = shiftLeftSat(srdhm(srdhm(x, x), x), 6); // F9 -> F3
    x = shiftLeftSat(srdhm(halfThree, x) - srdhm(halfInput, x3), 3); // F6 -> F3
  }
  let inv = srdhm(x, 1518500250); // times sqrt(2)/2 (F0)
  if (shift < 0) { inv <<= -shift; shift = 0; }
  invSqrtShift = -shift;
  return inv;
}

/** l2norm_s8: x int8 [outer, depth] -> y int8 [outer, depth]; a row is read whole before it is written. */
export function l2norm_s8(x: usize, y: usize, outer: i32, depth: i32, zeroPoint: i32): void {
  for (let o = 0; o < outer; o++) {
    const row = x + <usize>(o * depth), out = y + <usize>(o * depth);
    let acc: i32 = 0;
    for (let c = 0; c < depth; c++) {
      const v = <i32>load<i8>(row + <usize>c) - zeroPoint;
      acc += v * v;
    }
    const inv = invSqrtMultiplier(acc);
    const shift = invSqrtShift + 7;
    for (let c = 0; c < depth; c++) {
      const v = <i32>load<i8>(row + <usize>c) - zeroPoint;
      store<i8>(out + <usize>c, <i8>clamp(mbqm_ref(v, inv, shift), -128, 127));
    }
  }
}
