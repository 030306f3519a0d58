// Scalar int8 GEMM micro-kernel for 32-bit microcontrollers (no SIMD, no i64 outside mbqm).
// Matches: one row of K8 int8 values times packed weights [oc4/4][K8/8][4 oc][8 k]
// (src/passes/layout-weights.ts); emits oc int8 values. 4 i32 accumulators, the 8 inputs of a
// slice loaded once for 4 channels, 32 MACs unrolled per slice. Bit-exact with the _ref kernels
// given the folded bias (|x*w| <= 2^14 per tap; the exact sum fits i32, see conv.ts).

import { clamp, mbqm } from './quant';

// @ts-ignore: decorator
@inline function dot8(x0: i32, x1: i32, x2: i32, x3: i32, x4: i32, x5: i32, x6: i32, x7: i32, w: usize): i32 {
  return x0 * <i32>load<i8>(w) + x1 * <i32>load<i8>(w, 1) + x2 * <i32>load<i8>(w, 2) + x3 * <i32>load<i8>(w, 3)
    + x4 * <i32>load<i8>(w, 4) + x5 * <i32>load<i8>(w, 5) + x6 * <i32>load<i8>(w, 6) + x7 * <i32>load<i8>(w, 7);
}

// @ts-ignore: decorator
@inline function requantStore(y: usize, o: i32, acc: i32, bias: usize, mult: usize, shift: usize, outOffset: i32, actMin: i32, actMax: i32): void {
  const c = <usize>o << 2;
  const v = mbqm(acc + load<i32>(bias + c), load<i32>(mult + c), load<i32>(shift + c)) + outOffset;
  store<i8>(y + <usize>o, <i8>clamp(v, actMin, actMax));
}

/** One row p (K8 bytes) times all oc outputs -> y. bias/mult/shift hold oc4 values. */
export function gemm1_s8(
  p: usize, k8: i32,
  w: usize, oc: i32, bias: usize, mult: usize, shift: usize,
  y: usize, outOffset: i32, actMin: i32, actMax: i32,
): void {
  let wp = w;
  for (let o = 0; o < oc; o += 4) {
    let a0: i32 = 0, a1: i32 = 0, a2: i32 = 0, a3: i32 = 0;
    for (let k = 0; k < k8; k += 8) {
      const xp = p + <usize>k;
      const x0 = <i32>load<i8>(xp), x1 = <i32>load<i8>(xp, 1), x2 = <i32>load<i8>(xp, 2), x3 = <i32>load<i8>(xp, 3);
      const x4 = <i32>load<i8>(xp, 4), x5 = <i32>load<i8>(xp, 5), x6 = <i32>load<i8>(xp, 6), x7 = <i32>load<i8>(xp, 7);
      a0 += dot8(x0, x1, x2, x3, x4, x5, x6, x7, wp);
      a1 += dot8(x0, x1, x2, x3, x4, x5, x6, x7, wp + 8);
      a2 += dot8(x0, x1, x2, x3, x4, x5, x6, x7, wp + 16);
      a3 += dot8(x0, x1, x2, x3, x4, x5, x6, x7, wp + 24);
      wp += 32;
    }
    requantStore(y, o, a0, bias, mult, shift, outOffset, actMin, actMax);
    if (o + 1 < oc) requantStore(y, o + 1, a1, bias, mult, shift, outOffset, actMin, actMax);
    if (o + 2 < oc) requantStore(y, o + 2, a2, bias, mult, shift, outOffset, actMin, actMax);
    if (o + 3 < oc) requantStore(y, o + 3, a3, bias, mult, shift, outOffset, actMin, actMax);
  }
}
