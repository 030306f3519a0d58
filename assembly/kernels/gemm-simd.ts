// int8 GEMM micro-kernel on WebAssembly SIMD128 for 1x1 conv, im2col conv and FC.
// Matches: rows of K8 int8 values (pixels or batches) times packed weights
// [oc4/4][K8/8][4 oc][8 k] (src/passes/layout-weights.ts); emits int8 rows of oc values.
// Guarantees: bit-exact with conv_s8_ref / fc_s8_ref given the folded bias
// bias'[o] = bias[o] + in_offset * sum_k w[o,k]: i8*i8 products <= 2^14, pair sums <= 2^15,
// and the exact i32 result fits (see conv.ts), so wrapping i32 adds give the same value.

import { narrowClamp8, requant4Raw, requantF4Raw, rqfAccFits, rqfBias, rqfFits2, rqfMagic, rqfNearest, splat8 } from './requant-simd';

/** Sums the 4 lanes of each of a, b, c, d into one i32x4 [sum a, sum b, sum c, sum d]. */
// @ts-ignore: decorator
@inline function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/**
 * Two rows p0, p1 (K8 bytes each; p1 may equal p0) times all oc outputs -> y0, y1.
 * 4 output channels x 2 rows per step: 8 i32x4 accumulators, 64 MACs per 8-deep slice.
 * rqf: the op's f64 requant records (requant-simd.ts rqfPrepare), or 0 to use requant4 only.
 */
export function gemm2_s8_simd(
  p0: usize, p1: usize, k8: i32,
  w: usize, oc: i32, bias: usize, rq: usize, rqf: usize,
  y0: usize, y1: usize, outOffset: i32, actMin: i32, actMax: i32,
): void {
  gemm2Body(p0, p1, 0, k8, w, oc, bias, rq, rqf, y0, y1, outOffset, actMin, actMax, false);
}

/**
 * gemm2_s8_simd over patches read in place: 8-deep slice s of row 0 is the 8 bytes at
 * p0 + offs[s] (u32 table of k8 / 8 entries; row 1 likewise from p1): a conv's kernel rows
 * over its input, where every tap is inside the image. The same sums as gemm2_s8_simd over the
 * im2col copy of those bytes, without the copy; one flat loop (a loop per kernel row was
 * slower: its exits at 6-24 slices).
 */
export function gemm2_s8_simd_rows(
  p0: usize, p1: usize, offs: usize, k8: i32,
  w: usize, oc: i32, bias: usize, rq: usize, rqf: usize,
  y0: usize, y1: usize, outOffset: i32, actMin: i32, actMax: i32,
): void {
  gemm2Body(p0, p1, offs, k8, w, oc, bias, rq, rqf, y0, y1, outOffset, actMin, actMax, true);
}

/**
 * Both GEMMs, inlined into each with `inPlace` a constant: slice k of a row at p + k, or at
 * p + offs[k / 8] (inPlace). Per quad of channels the dot loop, then the lanes summed, the
 * bias added, both rows requantized (requantF4 where the sums lie in its range, else
 * requant4) and stored (row 1 only when it differs from row 0).
 */
// @ts-ignore: decorator
@inline function gemm2Body(
  p0: usize, p1: usize, offs: usize, k8: i32,
  w: usize, oc: i32, bias: usize, rq: usize, rqf: usize,
  y0: usize, y1: usize, outOffset: i32, actMin: i32, actMax: i32, inPlace: bool,
): void {
  const outOff = i32x4.splat(outOffset), lo = splat8(actMin), hi = splat8(actMax);
  const magic = rqfMagic(outOffset), fBias = i32x4.splat(rqfBias), fOutside = i32x4.splat(~(rqfBias * 2 - 1));
  const blockBytes = <usize>k8 << 2;
  const twoRows = p1 != p0, fits = rqfAccFits, near = rqfNearest;
  let wb = w;
  for (let o = 0; o < oc; o += 4) {
    let a00 = i32x4.splat(0), a10 = i32x4.splat(0), a20 = i32x4.splat(0), a30 = i32x4.splat(0);
    let a01 = i32x4.splat(0), a11 = i32x4.splat(0), a21 = i32x4.splat(0), a31 = i32x4.splat(0);
    let wp = wb;
    for (let k = 0; k < k8; k += 8) {
      const off = inPlace ? <usize>load<u32>(offs + (<usize>k >> 1)) : <usize>k;
      const x0 = v128.load8x8_s(p0 + off);
      const x1 = v128.load8x8_s(p1 + off);
      // one sign-extending load per channel row (x64: pmovsxbw from memory) instead of two
      // 16-byte loads and four extends (an extend of the high half is two instructions)
      const w0 = v128.load8x8_s(wp), w1 = v128.load8x8_s(wp, 8);
      const w2 = v128.load8x8_s(wp, 16), w3 = v128.load8x8_s(wp, 24);
      a00 = i32x4.add(a00, i32x4.dot_i16x8_s(x0, w0));
      a10 = i32x4.add(a10, i32x4.dot_i16x8_s(x0, w1));
      a20 = i32x4.add(a20, i32x4.dot_i16x8_s(x0, w2));
      a30 = i32x4.add(a30, i32x4.dot_i16x8_s(x0, w3));
      a01 = i32x4.add(a01, i32x4.dot_i16x8_s(x1, w0));
      a11 = i32x4.add(a11, i32x4.dot_i16x8_s(x1, w1));
      a21 = i32x4.add(a21, i32x4.dot_i16x8_s(x1, w2));
      a31 = i32x4.add(a31, i32x4.dot_i16x8_s(x1, w3));
      wp += 32;
    }
    const b = v128.load(bias + (<usize>o << 2));
    const s0 = i32x4.add(hsum4(a00, a10, a20, a30), b), s1 = i32x4.add(hsum4(a01, a11, a21, a31), b);
    requantStore2(s0, s1, o, oc, rq, rqf, y0, y1, twoRows, fits, near, outOff, lo, hi, magic, fBias, fOutside);
    wb += blockBytes;
  }
}

/**
 * Requantizes one quad of channels (o..o + 3) of both rows' sums s0, s1 (bias added) and stores
 * min(4, oc - o) of them at y0 + o and (twoRows) y1 + o: requantF4 where the sums lie in its
 * range (fits: the op's sums all do, proven at load, acc-bound.ts), else requant4. Both rows are
 * narrowed together with saturation and clamped once as int8 (lo, hi: i8x16 splats), the same
 * bytes as clamping each row's i32 lanes. near: the op's rqfNearest (requantF4Raw).
 * The GEMMs' epilogue (gemm2Body, gemm-lanes-simd.ts, winograd-simd.ts).
 */
// @ts-ignore: decorator
@inline export function requantStore2(
  s0: v128, s1: v128, o: i32, oc: i32, rq: usize, rqf: usize, y0: usize, y1: usize, twoRows: bool, fits: bool, near: bool,
  outOff: v128, lo: v128, hi: v128, magic: v128, fBias: v128, fOutside: v128,
): void {
  let r0: v128, r1: v128;
  if (rqf != 0 && (fits || rqfFits2(s0, s1, fBias, fOutside))) {
    const f = rqf + (<usize>o << 4); // 64 bytes per quad of channels
    r0 = requantF4Raw(s0, f, magic, near);
    r1 = requantF4Raw(s1, f, magic, near);
  } else {
    const q = rq + <usize>o * 12; // 48 bytes per quad of channels
    r0 = requant4Raw(s0, q, outOff);
    r1 = requant4Raw(s1, q, outOff);
  }
  const h = i16x8.narrow_i32x4_s(r0, r1);
  const b = narrowClamp8(h, h, lo, hi); // row 0 in bytes 0..3, row 1 in 4..7
  const n = min(4, oc - o);
  storeQuad(y0 + <usize>o, b, 0, n);
  if (twoRows) storeQuad(y1 + <usize>o, b, 4, n);
}

/** Stores n (1..4) int8 lanes of b from lane `first` (0 or 4, a constant) at y. */
// @ts-ignore: decorator
@inline export function storeQuad(y: usize, b: v128, first: i32, n: i32): void {
  if (n == 4) {
    if (first == 0) v128.store32_lane(y, b, 0);
    else v128.store32_lane(y, b, 1);
  } else if (first == 0) {
    store<i8>(y, i8x16.extract_lane_s(b, 0));
    if (n > 1) store<i8>(y, i8x16.extract_lane_s(b, 1), 1);
    if (n > 2) store<i8>(y, i8x16.extract_lane_s(b, 2), 2);
  } else {
    store<i8>(y, i8x16.extract_lane_s(b, 4));
    if (n > 1) store<i8>(y, i8x16.extract_lane_s(b, 5), 1);
    if (n > 2) store<i8>(y, i8x16.extract_lane_s(b, 6), 2);
  }
}
