// Channels-in-lanes int8 GEMM on WebAssembly SIMD128 for convs of few taps (SIMD build only).
// Matches: conv patches of K <= 2 * LANES_PAIRS_MAX taps (first layers: 3x3 over 1 or 3
// channels, 10x4 over 1; 1x1 over up to 40 channels) times the packed weights [oc4/4][K8/8][4 oc][8 k].
// Emits: the int8 rows gemm2_s8_simd emits. Output channels sit in the i32 lanes: a pixel's
// taps 2j, 2j+1 repeated in every lane, dotted (i32x4.dot_i16x8_s) with [w[o][2j], w[o][2j+1]]
// for 4 channels o, add 4 channels x 2 taps to the sums with no horizontal sum, and a pair
// pads a patch row (not a K8 slice) to even taps: K = 9 is 5 or 6 pairs against 8 (2 slices).
// Guarantees: bit-exact with gemm2_s8_simd: the same exact i32 sums (i8 * i8 products, pair
// sums <= 2^15; see gemm-simd.ts), the same folded bias, requantized by the same calls.
//
// Per call, lanesPrepare re-lays the packed weights as i16 pairs into LANES_W:
//   LANES_W [pair p][quad q][4 oc][2 taps] i16 (16 bytes per pair and quad), pair p = row r,
//           step t of a patch of `rows` rows of rowC taps: taps r * rowC + 2t and + 1, the
//           second with weight 0 where 2t + 1 = rowC (odd rows).
// O(K * oc) per call against O(pixels * K * oc) for the op. A pixel's pair is read where it lies
// (one 2-byte splat load and one extend, tapPairSplat); copied first into a pair table, as
// until this change, person_detect's first conv (3x3 over 1 channel) ran 1.16x slower.

import { requantStore2 } from './gemm-simd';
import { narrowClamp8, requantF4Raw, rqfAccFits, rqfNearest } from './requant-simd';

/**
 * Most pairs (K <= 40 taps) the kernel takes. Measured against gemm2_s8_simd (per-op, same
 * run): 1x1 over 8-32 channels and 3x3 over 1-3 channels 0.80-0.97x, kws's first conv (10x4
 * over 1 channel, 20 pairs) 0.91x.
 */
export const LANES_PAIRS_MAX = 20;
/**
 * Bytes of re-laid weights: 448 pairs x quads (1x1 over 24 channels to 144 outputs, mobilenet_v2's
 * op 7: 6912 bytes); an op with more uses gemm2_s8_simd. With it the SIMD build's statics end
 * at ~62.5 KiB.
 */
const LANES_W_BYTES = 7168;
// Only the SIMD build reserves them (every file's statics are laid out in every build); the
// SIMD build's static data stays within its first 64 KiB page.
const LANES_W: usize = ASC_FEATURE_SIMD ? memory.data(LANES_W_BYTES, 16) : 0;

/**
 * Lays the packed weights w (k8 taps per channel, oc channels) out in LANES_W for patches of
 * `rows` rows of rowC taps (rows * rowC = K); false (nothing written) when they do not fit.
 */
export function lanesPrepare(w: usize, k8: i32, oc: i32, rows: i32, rowC: i32): bool {
  const quads = (oc + 3) >> 2, rp = (rowC + 1) >> 1, pairs = rows * rp;
  if (pairs > LANES_PAIRS_MAX || quads * pairs * 16 > LANES_W_BYTES) return false;
  const quadBytes = <usize>k8 << 2, pairBytes = <usize>quads << 4;
  if ((rowC & 1) == 0) { // pair p is taps 2p, 2p + 1: a 4x4 transpose of i32 (tap pairs) per 8-tap slice
    for (let q = 0; q < quads; q++) {
      const wq = w + <usize>q * quadBytes;
      let d = LANES_W + (<usize>q << 4);
      for (let p = 0; p < pairs; p += 4) {
        const src = wq + (<usize>p << 3); // slice p / 4: 32 bytes, 8 taps of lanes 0..3
        const r0 = v128.load8x8_s(src), r1 = v128.load8x8_s(src, 8), r2 = v128.load8x8_s(src, 16), r3 = v128.load8x8_s(src, 24);
        const lo01 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), lo23 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
        const hi01 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), hi23 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
        v128.store(d, i32x4.shuffle(lo01, lo23, 0, 1, 4, 5));
        if (p + 1 < pairs) v128.store(d + pairBytes, i32x4.shuffle(lo01, lo23, 2, 3, 6, 7));
        if (p + 2 < pairs) v128.store(d + 2 * pairBytes, i32x4.shuffle(hi01, hi23, 0, 1, 4, 5));
        if (p + 3 < pairs) v128.store(d + 3 * pairBytes, i32x4.shuffle(hi01, hi23, 2, 3, 6, 7));
        d += pairBytes << 2;
      }
    }
    return true;
  }
  let d = LANES_W; // odd rows: a pair's taps may lie in two slices; byte by byte
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < rp; t++) {
      const k = r * rowC + 2 * t, second = 2 * t + 1 < rowC;
      const k1 = k + 1; // packed byte of tap k of lane l: slice k / 8, row l, column k % 8
      const o0 = <usize>(((k >> 3) << 5) + (k & 7)), o1 = <usize>(((k1 >> 3) << 5) + (k1 & 7));
      for (let q = 0; q < quads; q++) {
        const wq = w + <usize>q * quadBytes;
        for (let l: usize = 0; l < 4; l++) {
          store<i16>(d + (l << 2), <i16>load<i8>(wq + o0 + (l << 3)));
          store<i16>(d + (l << 2), second ? <i16>load<i8>(wq + o1 + (l << 3)) : 0, 2);
        }
        d += 16;
      }
    }
  }
  return true;
}

/** Taps k, k + 1 of a pixel (int8 at x) as i16 in both halves of every i32 lane: one 2-byte splat load and one extend. */
// @ts-ignore: decorator
@inline function tapPairSplat(x: usize): v128 {
  return i16x8.extend_low_i8x16_s(v128.load16_splat(x));
}

/**
 * nq (1, 2 or 4, a constant) quads of channels from quad q on, both pixels: 2 * nq
 * accumulators started at the bias, one dot per pair, quad and pixel. Pixel i's pair (r, t)
 * is read where it lies, row r at pi + r * stride_i, taps 2t and 2t + 1 (the second one byte
 * past an odd row: a tap of weight 0).
 */
// @ts-ignore: decorator
@inline function lanesBlock(
  q: i32, nq: i32, quads: i32, rows: i32, rp: i32, p0: usize, s0: usize, p1: usize, s1: usize,
  oc: i32, bias: usize, rq: usize, rqf: usize,
  y0: usize, y1: usize, twoRows: bool, fits: bool, near: bool, outOff: v128, lo: v128, hi: v128, magic: v128, fBias: v128, fOutside: v128,
): void {
  const o = q << 2, bq = bias + (<usize>o << 2);
  let a0 = v128.load(bq), a1 = a0, a2 = a0, a3 = a0;
  if (nq > 1) a1 = v128.load(bq, 16);
  if (nq > 2) { a2 = v128.load(bq, 32); a3 = v128.load(bq, 48); }
  let b0 = a0, b1 = a1, b2 = a2, b3 = a3;
  const pairBytes = <usize>quads << 4, rowTaps = <usize>rp << 1;
  let wp = LANES_W + (<usize>q << 4), r0 = p0, r1 = p1;
  for (let r = 0; r < rows; r++) {
    for (let t: usize = 0; t < rowTaps; t += 2) {
      const x0 = tapPairSplat(r0 + t), x1 = tapPairSplat(r1 + t);
      const w0 = v128.load(wp);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x0, w0));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(x1, w0));
      if (nq > 1) {
        const w1 = v128.load(wp, 16);
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x0, w1));
        b1 = i32x4.add(b1, i32x4.dot_i16x8_s(x1, w1));
      }
      if (nq > 2) {
        const w2 = v128.load(wp, 32), w3 = v128.load(wp, 48);
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(x0, w2));
        b2 = i32x4.add(b2, i32x4.dot_i16x8_s(x1, w2));
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(x0, w3));
        b3 = i32x4.add(b3, i32x4.dot_i16x8_s(x1, w3));
      }
      wp += pairBytes;
    }
    r0 += s0; r1 += s1;
  }
  if (fits && rqf != 0 && o + (nq << 2) <= oc) { // every channel of the block stored whole
    const f = rqf + (<usize>o << 4);
    storeBlock(y0 + <usize>o, a0, a1, a2, a3, nq, f, magic, lo, hi, near);
    if (twoRows) storeBlock(y1 + <usize>o, b0, b1, b2, b3, nq, f, magic, lo, hi, near);
    return;
  }
  requantStore2(a0, b0, o, oc, rq, rqf, y0, y1, twoRows, fits, near, outOff, lo, hi, magic, fBias, fOutside);
  if (nq > 1) requantStore2(a1, b1, o + 4, oc, rq, rqf, y0, y1, twoRows, fits, near, outOff, lo, hi, magic, fBias, fOutside);
  if (nq > 2) {
    requantStore2(a2, b2, o + 8, oc, rq, rqf, y0, y1, twoRows, fits, near, outOff, lo, hi, magic, fBias, fOutside);
    requantStore2(a3, b3, o + 12, oc, rq, rqf, y0, y1, twoRows, fits, near, outOff, lo, hi, magic, fBias, fOutside);
  }
}

/**
 * One pixel's nq (1, 2 or 4) quads of sums a0..a3 (bias added, inside requantF4's range)
 * requantized and stored as 4 nq bytes at y: the quads narrowed together with saturation, then
 * clamped as i8x16 (requantF4Raw), one store.
 */
// @ts-ignore: decorator
@inline function storeBlock(y: usize, a0: v128, a1: v128, a2: v128, a3: v128, nq: i32, f: usize, magic: v128, lo8: v128, hi8: v128, near: bool): void {
  const r0 = requantF4Raw(a0, f, magic, near);
  if (nq == 1) {
    const h = i16x8.narrow_i32x4_s(r0, r0);
    v128.store32_lane(y, narrowClamp8(h, h, lo8, hi8), 0);
    return;
  }
  const h01 = i16x8.narrow_i32x4_s(r0, requantF4Raw(a1, f + 64, magic, near));
  if (nq == 2) {
    v128.store64_lane(y, narrowClamp8(h01, h01, lo8, hi8), 0);
    return;
  }
  const h23 = i16x8.narrow_i32x4_s(requantF4Raw(a2, f + 128, magic, near), requantF4Raw(a3, f + 192, magic, near));
  v128.store(y, narrowClamp8(h01, h23, lo8, hi8));
}

/**
 * Two pixels (p1 may equal p0: then y1 is not written) times all oc outputs with the weights
 * of the last lanesPrepare(w, k8, oc, rows, rowC): pixel i's patch is `rows` rows of rowC
 * taps at pi + r * strideI; rows are read up to 7 bytes past their end (times zero weights).
 * rqf: the op's f64 requant records (requant-simd.ts rqfPrepare), or 0 to use requant4 only;
 * outOff, lo, hi, magic, fBias, fOutside: gemm2Body's splats (lo, hi as int8), made once per op.
 */
// @ts-ignore: decorator
@inline export function gemm2_s8_lanes(
  p0: usize, stride0: usize, p1: usize, stride1: usize, rows: i32, rowC: i32,
  oc: i32, bias: usize, rq: usize, rqf: usize, y0: usize, y1: usize,
  outOff: v128, lo: v128, hi: v128, magic: v128, fBias: v128, fOutside: v128,
): void {
  const twoRows = p1 != p0, fits = rqfAccFits, near = rqfNearest;
  const quads = (oc + 3) >> 2, rp = (rowC + 1) >> 1;
  let q = 0;
  for (; q + 4 <= quads; q += 4) lanesBlock(q, 4, quads, rows, rp, p0, stride0, p1, stride1, oc, bias, rq, rqf, y0, y1, twoRows, fits, near, outOff, lo, hi, magic, fBias, fOutside);
  if (q + 2 <= quads) {
    lanesBlock(q, 2, quads, rows, rp, p0, stride0, p1, stride1, oc, bias, rq, rqf, y0, y1, twoRows, fits, near, outOff, lo, hi, magic, fBias, fOutside);
    q += 2;
  }
  if (q < quads) lanesBlock(q, 1, quads, rows, rp, p0, stride0, p1, stride1, oc, bias, rq, rqf, y0, y1, twoRows, fits, near, outOff, lo, hi, magic, fBias, fOutside);
}
