// int8 GEMM over int16 weights on WebAssembly SIMD128, output channels in the lanes (SIMD build
// on a JIT host only: the weights are widened at load, assembly/wide.ts).
// Matches: two rows of K8 taps (pixels' patches, as gemm2_s8_simd reads them) times the blocked
// weights [oc4/4][K8/8][4 oc][8 k] widened once per load to int16 pairs
//   W16 [oc16/16][K8/2][16 oc][2 k] i16   (channels oc4..oc16 zero; 2 bytes per weight)
// Emits: the int8 rows gemm2_s8_simd emits, by the same epilogue (requantStore2).
// How: each row's taps widened to i16 once per call into ROW16 (widenRows16), then per block of
// 16 channels and per tap pair k, k + 1 the pair splatted into every i32 lane (one 4-byte splat
// load) and dotted (i32x4.dot_i16x8_s) with 4 quads' [w[o][k], w[o][k + 1]]: 2 rows x 16
// channels in 8 accumulators, no horizontal sums, no sign extension in the loop (plain loads).
// gemm2_s8_simd spends a sign-extending load per weight row and per tap slice, and a transpose
// of its 8 accumulators per quad; here the loop is 6 loads, 8 dots and 8 adds per 64 MACs.
// Guarantees: bit-exact with gemm2_s8_simd: the same i8 * i8 products (every K8 tap, the tail's
// against the same padding weights), pair sums <= 2^15, and i32 sums that wrap alike whatever
// their order, added to the same folded bias and requantized by the same calls.

import { requantStore2 } from './gemm-simd';
import { rqfAccFits, rqfBias, rqfMagic, rqfNearest, splat8 } from './requant-simd';

// @ts-ignore: decorator
@inline function oc16Of(oc4: i32): i32 { return (oc4 + 15) & ~15; }

/** Bytes widen16Weights writes for blocked weights of oc4 channels (a multiple of 4) by k8. */
// @ts-ignore: decorator
@inline export function wide16Bytes(oc4: i32, k8: i32): u64 { return <u64>oc16Of(oc4) * <u64>k8 * 2; }

/** Bytes of the two widened rows a conv of K8 taps needs (gemm16_s8_simd's r0, r1). */
// @ts-ignore: decorator
@inline export function wide16RowBytes(k8: i32): u64 { return <u64>k8 * 4; }

/** Blocked weights [oc4/4][K8/8][4][8] at w -> [oc16/16][K8/2][16][2] i16 at dst (channels oc4..oc16 zero). */
export function widen16Weights(w: usize, oc4: i32, k8: i32, dst: usize): void {
  const slices = <usize>(k8 >> 3), oc16 = oc16Of(oc4);
  for (let c = 0; c < oc16; c++) {
    const d = dst + <usize>(c >> 4) * <usize>k8 * 32 + (<usize>(c & 15) << 2);
    const src = w + <usize>(c >> 2) * slices * 32 + (<usize>(c & 3) << 3);
    for (let k = 0; k < k8; k++) {
      const v = c < oc4 ? <i16>load<i8>(src + (<usize>(k >> 3) << 5) + <usize>(k & 7)) : 0;
      store<i16>(d + (<usize>(k >> 1) << 6) + (<usize>(k & 1) << 1), v);
    }
  }
}

/**
 * The K8 taps of row p (at p + s for s = 0, 8, ..., or at p + offs[s / 8] when offs != 0: a
 * patch read in place, as gemm2_s8_simd_rows) widened to i16 at dst (2 K8 bytes).
 */
// @ts-ignore: decorator
@inline export function widenRow16(p: usize, offs: usize, k8: i32, dst: usize): void {
  if (offs == 0) {
    for (let k = 0; k < k8; k += 8) v128.store(dst + (<usize>k << 1), v128.load8x8_s(p + <usize>k));
  } else {
    for (let k = 0; k < k8; k += 8) v128.store(dst + (<usize>k << 1), v128.load8x8_s(p + <usize>load<u32>(offs + (<usize>k >> 1))));
  }
}

/**
 * Rows r0, r1 (K8 i16 taps each, widenRow16; r1 == r0 for one row) times all oc outputs ->
 * y0 (and y1 when twoRows). w16: the op's widened weights; bias, rq, rqf as gemm2_s8_simd.
 * Blocks of 16 channels; the last block, when it holds 8 channels or fewer, runs 2 quads (or
 * 1) so that mobilenet_v2's projections to 24 channels do not sum 8 channels of zero weights
 * (they ran 1.2-1.3x slower per op than gemm2_s8_simd with a whole last block).
 */
export function gemm16_s8_simd(
  r0: usize, r1: usize, twoRows: bool, k8: i32,
  w16: usize, oc: i32, bias: usize, rq: usize, rqf: usize,
  y0: usize, y1: usize, outOffset: i32, actMin: i32, actMax: i32,
): void {
  const outOff = i32x4.splat(outOffset), lo = splat8(actMin), hi = splat8(actMax);
  const magic = rqfMagic(outOffset), fBias = i32x4.splat(rqfBias), fOutside = i32x4.splat(~(rqfBias * 2 - 1));
  const fits = rqfAccFits, near = rqfNearest;
  const blockBytes = <usize>k8 << 5, rowBytes = <usize>k8 << 1;
  let o = 0, wb = w16;
  for (; o + 8 < oc; o += 16, wb += blockBytes) {
    block16(r0, r1, twoRows, rowBytes, wb, o, oc, bias, rq, rqf, y0, y1, fits, near, outOff, lo, hi, magic, fBias, fOutside, 4);
  }
  if (o + 4 < oc) block16(r0, r1, twoRows, rowBytes, wb, o, oc, bias, rq, rqf, y0, y1, fits, near, outOff, lo, hi, magic, fBias, fOutside, 2);
  else if (o < oc) block16(r0, r1, twoRows, rowBytes, wb, o, oc, bias, rq, rqf, y0, y1, fits, near, outOff, lo, hi, magic, fBias, fOutside, 1);
}

/**
 * The first `quads` (1, 2 or 4, a constant) quads of the block of 16 channels from o (weights at
 * wb), for both rows: the dot loop over the tap pairs, then each quad that holds a channel
 * (o + 4q < oc; past it the weights are zero and there is no bias, record nor output) biased,
 * requantized and stored.
 */
// @ts-ignore: decorator
@inline function block16(
  r0: usize, r1: usize, twoRows: bool, rowBytes: usize, wb: usize, o: i32, oc: i32,
  bias: usize, rq: usize, rqf: usize, y0: usize, y1: usize, fits: bool, near: bool,
  outOff: v128, lo: v128, hi: v128, magic: v128, fBias: v128, fOutside: v128, quads: i32,
): void {
  let a00 = i32x4.splat(0), a10 = i32x4.splat(0), a20 = i32x4.splat(0), a30 = i32x4.splat(0);
  let a01 = i32x4.splat(0), a11 = i32x4.splat(0), a21 = i32x4.splat(0), a31 = i32x4.splat(0);
  let wp = wb;
  for (let k: usize = 0; k < rowBytes; k += 4) {
    const x0 = v128.load32_splat(r0 + k), x1 = v128.load32_splat(r1 + k);
    const w0 = v128.load(wp);
    a00 = i32x4.add(a00, i32x4.dot_i16x8_s(x0, w0));
    a01 = i32x4.add(a01, i32x4.dot_i16x8_s(x1, w0));
    if (quads > 1) {
      const w1 = v128.load(wp, 16);
      a10 = i32x4.add(a10, i32x4.dot_i16x8_s(x0, w1));
      a11 = i32x4.add(a11, i32x4.dot_i16x8_s(x1, w1));
    }
    if (quads > 2) {
      const w2 = v128.load(wp, 32), w3 = v128.load(wp, 48);
      a20 = i32x4.add(a20, i32x4.dot_i16x8_s(x0, w2));
      a30 = i32x4.add(a30, i32x4.dot_i16x8_s(x0, w3));
      a21 = i32x4.add(a21, i32x4.dot_i16x8_s(x1, w2));
      a31 = i32x4.add(a31, i32x4.dot_i16x8_s(x1, w3));
    }
    wp += 64;
  }
  const b = bias + (<usize>o << 2);
  requantStore2(i32x4.add(a00, v128.load(b)), i32x4.add(a01, v128.load(b)), o, oc, rq, rqf, y0, y1, twoRows, fits, near, outOff, lo, hi, magic, fBias, fOutside);
  if (quads > 1 && o + 4 < oc) requantStore2(i32x4.add(a10, v128.load(b, 16)), i32x4.add(a11, v128.load(b, 16)), o + 4, oc, rq, rqf, y0, y1, twoRows, fits, near, outOff, lo, hi, magic, fBias, fOutside);
  if (quads > 2 && o + 8 < oc) requantStore2(i32x4.add(a20, v128.load(b, 32)), i32x4.add(a21, v128.load(b, 32)), o + 8, oc, rq, rqf, y0, y1, twoRows, fits, near, outOff, lo, hi, magic, fBias, fOutside);
  if (quads > 2 && o + 12 < oc) requantStore2(i32x4.add(a30, v128.load(b, 48)), i32x4.add(a31, v128.load(b, 48)), o + 12, oc, rq, rqf, y0, y1, twoRows, fits, near, outOff, lo, hi, magic, fBias, fOutside);
}
