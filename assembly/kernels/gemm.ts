// Scalar int8 GEMM micro-kernel for 32-bit microcontrollers (no SIMD; i64 only where a 32-bit
// core has it in one instruction: 8-byte loads, 32 x 32 -> 64-bit multiply-adds, mbqmRq).
// Matches: one row of K8 int8 values times packed weights [oc4/4][K8/8][4 oc][8 k]
// (src/passes/layout-weights.ts); emits oc int8 values. 4 i32 accumulators, the 8 inputs of a
// slice loaded once (2 i32 words) for 4 channels, weights read 4 bytes per access, 32 MACs
// unrolled per slice: 5 memory accesses (8-byte words) per 32 MACs (40 with byte loads);
// gemm2_s8 shares each weight word between two rows and each multiply too (pair, below). Bit-exact with the _ref kernels
// given the folded bias (|x*w| <= 2^14 per tap; the exact sum fits i32, see conv.ts).

import { clamp, clampB8, mbqmRq, rqMult, rqPow2At, rqRight } from './quant';

// Byte i (0-3, little-endian) of a 32-bit word, sign-extended (one SXTB with rotation on ARMv7E-M).
// @ts-ignore: decorator
@inline export function sb0(v: i32): i32 { return (v << 24) >> 24; }
// @ts-ignore: decorator
@inline export function sb1(v: i32): i32 { return (v << 16) >> 24; }
// @ts-ignore: decorator
@inline export function sb2(v: i32): i32 { return (v << 8) >> 24; }
// @ts-ignore: decorator
@inline export function sb3(v: i32): i32 { return v >> 24; }

// @ts-ignore: decorator
@inline function rq1(acc: i32, b: i32, m: i32, e: i32, pow2At: usize, outOffset: i32, sat: bool, actMin: i32, actMax: i32): i32 {
  return clampB8(mbqmRq(acc + b, m, e, pow2At), sat, outOffset, actMin, actMax);
}

/**
 * Requantizes the quad of channels o..o+3 (bias read as 8-byte pairs: it holds oc4 values;
 * multipliers and shifts from the quad's 48-byte requant record, quant.ts mbqmRq)
 * and stores min(4, oc - o) int8 values at y + o: one 4-byte store for a full quad.
 * A call, not inlined: inlined twice into gemm2_s8 it left the Cortex-M4 compiler less
 * room for the 8 accumulators of the hot loop (ic_resnet8 73.5 M -> 69.4 M instructions).
 */
export function requantQuad(y: usize, o: i32, oc: i32, a0: i32, a1: i32, a2: i32, a3: i32, bias: usize, rq: usize, outOffset: i32, actMin: i32, actMax: i32): void {
  if (actMin == -128 && actMax == 127) requantQuadWith(y, o, oc, a0, a1, a2, a3, bias, rq, outOffset, true, -128, 127);
  else requantQuadWith(y, o, oc, a0, a1, a2, a3, bias, rq, outOffset, false, actMin, actMax);
}

// requantQuad's body, inlined twice: with actMin, actMax the constants -128, 127 (no fused
// activation, or a ReLU whose zero point is -128) the clamp is one SSAT on the Cortex-M4.
// @ts-ignore: decorator
@inline function requantQuadWith(y: usize, o: i32, oc: i32, a0: i32, a1: i32, a2: i32, a3: i32, bias: usize, rq: usize, outOffset: i32, sat: bool, actMin: i32, actMax: i32): void {
  const c = <usize>o << 2;
  const oo = sat ? outOffset + 128 : outOffset; // clampB8
  const b01 = load<i64>(bias + c), b23 = load<i64>(bias + c, 8);
  const q = rq + <usize>o * 12; // 48 bytes per quad
  // multipliers and 1023 - e read as 8-byte pairs; 2^left only where e = 0 (mbqmRq)
  const m01 = load<i64>(q), m23 = load<i64>(q, 8), f01 = load<i64>(q, 32), f23 = load<i64>(q, 40);
  const r = (sat ? 0x80808080 : 0) ^ (rq1(a0, <i32>b01, <i32>m01, 1023 - <i32>f01, rqPow2At(q, 0), oo, sat, actMin, actMax)
    | rq1(a1, <i32>(b01 >>> 32), <i32>(m01 >>> 32), 1023 - <i32>(f01 >>> 32), rqPow2At(q, 1), oo, sat, actMin, actMax) << 8
    | rq1(a2, <i32>b23, <i32>m23, 1023 - <i32>f23, rqPow2At(q, 2), oo, sat, actMin, actMax) << 16
    | rq1(a3, <i32>(b23 >>> 32), <i32>(m23 >>> 32), 1023 - <i32>(f23 >>> 32), rqPow2At(q, 3), oo, sat, actMin, actMax) << 24);
  const yo = y + <usize>o;
  if (o + 4 <= oc) store<i32>(yo, r);
  else {
    store<u8>(yo, <u8>r);
    if (o + 1 < oc) store<u8>(yo, <u8>(r >>> 8), 1);
    if (o + 2 < oc) store<u8>(yo, <u8>(r >>> 16), 2);
  }
}

// Both rows' lane of one channel with its parameters read and prepared once (mbqmRq's two
// forms, the same arithmetic per value): the byte of a in bits 0-7, the byte of b in bits 8-15.
// @ts-ignore: decorator
@inline function rqPair(a: i32, b: i32, bv: i32, m: i32, e: i32, pow2At: usize, outOffset: i32, sat: bool, actMin: i32, actMax: i32): i32 {
  const xa = a + bv, xb = b + bv;
  let va: i32, vb: i32;
  if (e == 0) {
    const p2 = load<i32>(pow2At);
    va = <i32>((<i64>(xa * p2) * <i64>m + (1 << 30)) >> 31);
    vb = <i32>((<i64>(xb * p2) * <i64>m + (1 << 30)) >> 31);
  } else {
    const s = e - 1, h = 1 << s;
    const ja = h + (xa >> 31), jb = h + (xb >> 31);
    const ca = (<i64>(<u32>ja >>> 1) << 32) | <i64><u32>((ja << 31) | (1 << 30));
    const cb = (<i64>(<u32>jb >>> 1) << 32) | <i64><u32>((jb << 31) | (1 << 30));
    va = <i32>((<i64>xa * <i64>m + ca) >> 32) >> s;
    vb = <i32>((<i64>xb * <i64>m + cb) >> 32) >> s;
  }
  return clampB8(va, sat, outOffset, actMin, actMax) | clampB8(vb, sat, outOffset, actMin, actMax) << 8;
}

/**
 * requantQuad for two rows at once (gemm2_s8): one call, and each channel's bias, multiplier
 * and shift read and prepared once for both of its values (rqPair; mbqmRq per value).
 */
export function requantQuad2(y0: usize, y1: usize, o: i32, oc: i32, a0: i32, a1: i32, a2: i32, a3: i32, b0: i32, b1: i32, b2: i32, b3: i32, bias: usize, rq: usize, outOffset: i32, actMin: i32, actMax: i32): void {
  if (actMin == -128 && actMax == 127) requantQuad2With(y0, y1, o, oc, a0, a1, a2, a3, b0, b1, b2, b3, bias, rq, outOffset, true, -128, 127);
  else requantQuad2With(y0, y1, o, oc, a0, a1, a2, a3, b0, b1, b2, b3, bias, rq, outOffset, false, actMin, actMax);
}

// requantQuad2's body, inlined twice as requantQuadWith.
// @ts-ignore: decorator
@inline function requantQuad2With(y0: usize, y1: usize, o: i32, oc: i32, a0: i32, a1: i32, a2: i32, a3: i32, b0: i32, b1: i32, b2: i32, b3: i32, bias: usize, rq: usize, outOffset: i32, sat: bool, actMin: i32, actMax: i32): void {
  const c = <usize>o << 2;
  const oo = sat ? outOffset + 128 : outOffset; // clampB8
  const v01 = load<i64>(bias + c), v23 = load<i64>(bias + c, 8);
  const q = rq + <usize>o * 12; // 48 bytes per quad
  const m01 = load<i64>(q), m23 = load<i64>(q, 8), f01 = load<i64>(q, 32), f23 = load<i64>(q, 40);
  const p0 = rqPair(a0, b0, <i32>v01, <i32>m01, 1023 - <i32>f01, rqPow2At(q, 0), oo, sat, actMin, actMax);
  const p1 = rqPair(a1, b1, <i32>(v01 >>> 32), <i32>(m01 >>> 32), 1023 - <i32>(f01 >>> 32), rqPow2At(q, 1), oo, sat, actMin, actMax);
  const p2 = rqPair(a2, b2, <i32>v23, <i32>m23, 1023 - <i32>f23, rqPow2At(q, 2), oo, sat, actMin, actMax);
  const p3 = rqPair(a3, b3, <i32>(v23 >>> 32), <i32>(m23 >>> 32), 1023 - <i32>(f23 >>> 32), rqPow2At(q, 3), oo, sat, actMin, actMax);
  const x8 = sat ? 0x80808080 : 0;
  const r0 = x8 ^ ((p0 & 0xff) | (p1 & 0xff) << 8 | (p2 & 0xff) << 16 | p3 << 24);
  const r1 = x8 ^ ((p0 >>> 8) | (p1 & 0xff00) | (p2 & 0xff00) << 8 | (p3 >>> 8) << 24);
  const z0 = y0 + <usize>o, z1 = y1 + <usize>o;
  if (o + 4 <= oc) {
    store<i32>(z0, r0);
    store<i32>(z1, r1);
  } else {
    store<u8>(z0, <u8>r0); store<u8>(z1, <u8>r1);
    if (o + 1 < oc) { store<u8>(z0, <u8>(r0 >>> 8), 1); store<u8>(z1, <u8>(r1 >>> 8), 1); }
    if (o + 2 < oc) { store<u8>(z0, <u8>(r0 >>> 16), 2); store<u8>(z1, <u8>(r1 >>> 16), 2); }
  }
}

// acc + 8 taps from two 8-byte words (one wasm access each, so one bounds check per 8 bytes
// when translated to C); the i64 halves are plain 32-bit registers on a 32-bit core. Added
// one product at a time, a chain of 8 MLAs into the sum on the Cortex-M4: as one sum of 8
// products then added, gcc built a tree (a MUL, 7 MLAs, an ADD) and spilled more of the
// 8 accumulators (a gemm2_s8-shaped loop: 291 -> 224 instructions per 64 MACs).
// @ts-ignore: decorator
@inline function mac8w(acc: i32, xa: i32, xb: i32, wv: i64): i32 {
  const wa = <i32>wv, wb = <i32>(wv >>> 32);
  acc += sb0(xa) * sb0(wa); acc += sb1(xa) * sb1(wa); acc += sb2(xa) * sb2(wa); acc += sb3(xa) * sb3(wa);
  acc += sb0(xb) * sb0(wb); acc += sb1(xb) * sb1(wb); acc += sb2(xb) * sb2(wb); acc += sb3(xb) * sb3(wb);
  return acc;
}

/** One row p (K8 bytes) times all oc outputs -> y. bias holds oc4 values, rq oc4/4 records. */
export function gemm1_s8(
  p: usize, k8: i32,
  w: usize, oc: i32, bias: usize, rq: usize,
  y: usize, outOffset: i32, actMin: i32, actMax: i32,
): void {
  let wp = w;
  for (let o = 0; o < oc; o += 4) {
    let a0: i32 = 0, a1: i32 = 0, a2: i32 = 0, a3: i32 = 0;
    for (let k = 0; k < k8; k += 8) {
      const xv = load<i64>(p + <usize>k);
      const xa = <i32>xv, xb = <i32>(xv >>> 32);
      a0 = mac8w(a0, xa, xb, load<i64>(wp));
      a1 = mac8w(a1, xa, xb, load<i64>(wp, 8));
      a2 = mac8w(a2, xa, xb, load<i64>(wp, 16));
      a3 = mac8w(a3, xa, xb, load<i64>(wp, 24));
      wp += 32;
    }
    requantQuad(y, o, oc, a0, a1, a2, a3, bias, rq, outOffset, actMin, actMax);
  }
}

// Two rows in one multiply: X = x0 + x1 * 2^23 is exact in an i32 (|x| <= 128), and one
// 32 x 32 -> 64-bit multiply-accumulate (SMLAL on the Cortex-M4, one instruction) adds
// w * x0 + 2^23 * w * x1. Over at most PAIR_TAPS taps |sum w * x0| <= 248 * 2^14 < 2^22, so the
// sum's low 23 bits, sign-extended, are sum w * x0 exactly and the rest is sum w * x1.
const PAIR_TAPS: i32 = 248;

// @ts-ignore: decorator
@inline function pair(x: i32, z: i32): i32 { return x + (z << 23); }

// s + the four taps of one weight word against the paired taps X0..X3.
// @ts-ignore: decorator
@inline function mac4p(s: i64, X0: i32, X1: i32, X2: i32, X3: i32, w: i32): i64 {
  s += <i64>X0 * <i64>sb0(w); s += <i64>X1 * <i64>sb1(w); s += <i64>X2 * <i64>sb2(w); s += <i64>X3 * <i64>sb3(w);
  return s;
}

// The first row's sum in a paired sum (its low 23 bits, sign-extended).
// @ts-ignore: decorator
@inline function pairLo(s: i64): i32 { return (<i32>s << 9) >> 9; }
// The second row's sum, given the first's.
// @ts-ignore: decorator
@inline function pairHi(s: i64, lo: i32): i32 { return <i32>((s - <i64>lo) >> 23); }

/**
 * Two rows p0, p1 (K8 bytes each) times all oc outputs -> y0, y1: each weight multiplies both
 * rows' taps at once (pair), four 64-bit sums per quad of channels, split into the eight i32
 * accumulators every PAIR_TAPS taps. The same exact sums as the _ref kernels.
 */
export function gemm2_s8(
  p0: usize, p1: usize, k8: i32,
  w: usize, oc: i32, bias: usize, rq: usize,
  y0: usize, y1: usize, outOffset: i32, actMin: i32, actMax: i32,
): void {
  let wp = w;
  for (let o = 0; o < oc; o += 4) {
    let a0: i32 = 0, a1: i32 = 0, a2: i32 = 0, a3: i32 = 0;
    let b0: i32 = 0, b1: i32 = 0, b2: i32 = 0, b3: i32 = 0;
    let k = 0;
    while (k < k8) {
      const kEnd = min(k8, k + PAIR_TAPS);
      let s0: i64 = 0, s1: i64 = 0, s2: i64 = 0, s3: i64 = 0;
      do {
        const xv = load<i64>(p0 + <usize>k), zv = load<i64>(p1 + <usize>k);
        const xa = <i32>xv, za = <i32>zv, xb = <i32>(xv >>> 32), zb = <i32>(zv >>> 32);
        const X0 = pair(sb0(xa), sb0(za)), X1 = pair(sb1(xa), sb1(za)), X2 = pair(sb2(xa), sb2(za)), X3 = pair(sb3(xa), sb3(za));
        const X4 = pair(sb0(xb), sb0(zb)), X5 = pair(sb1(xb), sb1(zb)), X6 = pair(sb2(xb), sb2(zb)), X7 = pair(sb3(xb), sb3(zb));
        let wv = load<i64>(wp);
        s0 = mac4p(mac4p(s0, X0, X1, X2, X3, <i32>wv), X4, X5, X6, X7, <i32>(wv >>> 32));
        wv = load<i64>(wp, 8);
        s1 = mac4p(mac4p(s1, X0, X1, X2, X3, <i32>wv), X4, X5, X6, X7, <i32>(wv >>> 32));
        wv = load<i64>(wp, 16);
        s2 = mac4p(mac4p(s2, X0, X1, X2, X3, <i32>wv), X4, X5, X6, X7, <i32>(wv >>> 32));
        wv = load<i64>(wp, 24);
        s3 = mac4p(mac4p(s3, X0, X1, X2, X3, <i32>wv), X4, X5, X6, X7, <i32>(wv >>> 32));
        wp += 32;
        k += 8;
      } while (k < kEnd);
      let l = pairLo(s0); a0 += l; b0 += pairHi(s0, l);
      l = pairLo(s1); a1 += l; b1 += pairHi(s1, l);
      l = pairLo(s2); a2 += l; b2 += pairHi(s2, l);
      l = pairLo(s3); a3 += l; b3 += pairHi(s3, l);
    }
    requantQuad2(y0, y1, o, oc, a0, a1, a2, a3, b0, b1, b2, b3, bias, rq, outOffset, actMin, actMax);
  }
}

/**
 * One quad of output channels when its K is split into chunks (the streamed runtime's FC
 * tiles when 4 * K8 weight bytes exceed the stage): acc[0..3] (i32) += row p (n bytes,
 * n % 8 == 0) times the quad's n/8 slices of 32 bytes at w. Same products and i32 sums as
 * gemm1_s8, in a different order of exact additions (see the bound at the top of conv.ts).
 */
export function gemm_quad_acc_s8(p: usize, n: i32, w: usize, acc: usize): void {
  let a0 = load<i32>(acc), a1 = load<i32>(acc, 4), a2 = load<i32>(acc, 8), a3 = load<i32>(acc, 12);
  let wp = w;
  for (let k = 0; k < n; k += 8) {
    const xv = load<i64>(p + <usize>k);
    const xa = <i32>xv, xb = <i32>(xv >>> 32);
    a0 = mac8w(a0, xa, xb, load<i64>(wp));
    a1 = mac8w(a1, xa, xb, load<i64>(wp, 8));
    a2 = mac8w(a2, xa, xb, load<i64>(wp, 16));
    a3 = mac8w(a3, xa, xb, load<i64>(wp, 24));
    wp += 32;
  }
  store<i32>(acc, a0); store<i32>(acc, a1, 4); store<i32>(acc, a2, 8); store<i32>(acc, a3, 12);
}

/**
 * Requantizes a quad's sums acc[0..3] with its bias (4 values) and 48-byte requant record:
 * min(4, oc) int8 at y. A loop, not requantQuad's unrolled lanes: it runs once per quad of
 * a K-split FC, so code size matters more than its few instructions.
 */
export function gemm_quad_requant_s8(acc: usize, bias: usize, rq: usize, y: usize, oc: i32, outOffset: i32, actMin: i32, actMax: i32): void {
  const n = <usize>min(4, oc);
  for (let l: usize = 0; l < n; l++) {
    const v = mbqmRq(load<i32>(acc + (l << 2)) + load<i32>(bias + (l << 2)), rqMult(rq, l), rqRight(rq, l), rqPow2At(rq, l));
    store<i8>(y + l, <i8>clamp(v + outOffset, actMin, actMax));
  }
}
