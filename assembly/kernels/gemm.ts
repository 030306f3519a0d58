// Scalar int8 GEMM micro-kernel for 32-bit microcontrollers (no SIMD, no i64 outside mbqm).
// Matches: one row of K8 int8 values times packed weights [oc4/4][K8/8][4 oc][8 k]
// (src/passes/layout-weights.ts); emits oc int8 values. 4 i32 accumulators, the 8 inputs of a
// slice loaded once (2 i32 words) for 4 channels, weights read 4 bytes per access, 32 MACs
// unrolled per slice: 10 memory accesses per 32 MACs (40 with byte loads). Bit-exact with the _ref kernels
// given the folded bias (|x*w| <= 2^14 per tap; the exact sum fits i32, see conv.ts).

import { clamp, mbqm } from './quant';

// Byte i (0-3, little-endian) of a 32-bit word, sign-extended (one SXTB with rotation on ARMv7E-M).
// @ts-ignore: decorator
@inline export function sb0(v: i32): i32 { return (v << 24) >> 24; }
// @ts-ignore: decorator
@inline export function sb1(v: i32): i32 { return (v << 16) >> 24; }
// @ts-ignore: decorator
@inline export function sb2(v: i32): i32 { return (v << 8) >> 24; }
// @ts-ignore: decorator
@inline export function sb3(v: i32): i32 { return v >> 24; }

// 8 taps: the 8 weights read as two i32 words (2 memory accesses instead of 8).
// @ts-ignore: decorator
@inline function dot8(xa: i32, xb: i32, w: usize): i32 {
  const wa = load<i32>(w), wb = load<i32>(w, 4);
  return sb0(xa) * sb0(wa) + sb1(xa) * sb1(wa) + sb2(xa) * sb2(wa) + sb3(xa) * sb3(wa)
    + sb0(xb) * sb0(wb) + sb1(xb) * sb1(wb) + sb2(xb) * sb2(wb) + sb3(xb) * sb3(wb);
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
      const xa = load<i32>(xp), xb = load<i32>(xp, 4);
      a0 += dot8(xa, xb, wp);
      a1 += dot8(xa, xb, wp + 8);
      a2 += dot8(xa, xb, wp + 16);
      a3 += dot8(xa, xb, wp + 24);
      wp += 32;
    }
    requantStore(y, o, a0, bias, mult, shift, outOffset, actMin, actMax);
    if (o + 1 < oc) requantStore(y, o + 1, a1, bias, mult, shift, outOffset, actMin, actMax);
    if (o + 2 < oc) requantStore(y, o + 2, a2, bias, mult, shift, outOffset, actMin, actMax);
    if (o + 3 < oc) requantStore(y, o + 3, a3, bias, mult, shift, outOffset, actMin, actMax);
  }
}
