// int16 (16x8) kernels: int16 activations (zero point 0), int8 symmetric weights, as TFLM's
// reference_integer_ops for int16 input. The accumulator has the bias's width: int64 bias
// (or none) -> 64-bit sums and TFLM's 64-bit MultiplyByQuantizedMultiplier (a 16-bit
// multiplier, one rounding shift by 15 - shift); int32 bias -> 32-bit sums (wrapping) and
// the 32-bit one (quant.ts mbqm). Load checks (assembly/ops.ts validateS16) guarantee
// multipliers 0 or in [2^30, 2^31), shifts in [-31, 7], clamps inside int16.

import { clamp, mbqm } from './quant';

/** TFLM MultiplyByQuantizedMultiplier(int64 x, m, shift): x * round(m / 2^16) rounded by 2^(15 - shift). */
// @ts-ignore: decorator
@inline export function mbqm64(x: i64, m: i32, shift: i32): i32 {
  const reduced: i64 = m < 0x7fff0000 ? <i64>((m + (1 << 15)) >> 16) : 0x7fff;
  const total = <i64>(15 - shift); // in [8, 46]
  return <i32>((x * reduced + (<i64>1 << (total - 1))) >> total);
}

/** Dot product of depth int16 inputs at x with int8 weights at w, in 64 bits. */
// @ts-ignore: decorator
@inline function dot64(x: usize, w: usize, depth: i32): i64 {
  let acc: i64 = 0;
  for (let d = 0; d < depth; d++) acc += <i64>(<i32>load<i16>(x + (<usize>d << 1)) * <i32>load<i8>(w + <usize>d));
  return acc;
}

/** The same in 32 bits, wrapping as TFLM's int32 accumulator (int32 bias). */
// @ts-ignore: decorator
@inline function dot32(x: usize, w: usize, depth: i32): i32 {
  let acc: i32 = 0;
  for (let d = 0; d < depth; d++) acc += <i32>load<i16>(x + (<usize>d << 1)) * <i32>load<i8>(w + <usize>d);
  return acc;
}

/**
 * y[b, o] = clamp(requant(sum_k x[b, k] * w[o, k] + bias[o])), x int16 [batches, depth],
 * w int8 [outC, depth], bias int64 (bias64) or int32 or absent (0), y int16 [batches, outC].
 */
export function fc_s16(
  x: usize, batches: i32, depth: i32,
  w: usize, outC: i32,
  bias: usize, bias64: bool, mult: usize, shift: usize,
  y: usize, actMin: i32, actMax: i32,
): void {
  for (let b = 0; b < batches; b++) {
    const xb = x + (<usize>(b * depth) << 1);
    for (let o = 0; o < outC; o++) {
      const wo = w + <usize>(o * depth);
      const m = load<i32>(mult + (<usize>o << 2)), s = load<i32>(shift + (<usize>o << 2));
      let v: i32;
      if (bias64 || bias == 0) {
        let acc = dot64(xb, wo, depth);
        if (bias != 0) acc += load<i64>(bias + (<usize>o << 3));
        v = mbqm64(acc, m, s);
      } else {
        v = mbqm(dot32(xb, wo, depth) + load<i32>(bias + (<usize>o << 2)), m, s);
      }
      store<i16>(y + (<usize>(b * outC + o) << 1), <i16>clamp(v, actMin, actMax));
    }
  }
}
