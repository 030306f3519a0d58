// Winograd F(2x2, 3x3) for the full scalar build on a 64-bit JIT host (the widened weights'
// hosts, wide.ts): the transforms and exactness argument of winograd-simd.ts, with two tiles'
// transformed inputs packed in one f64, V0 + 2^26 V1, and the transformed filter widened to one
// f64 per value, so that one f64 multiply-add does both tiles' products (as gemm-wide.ts packs
// two pixels). Over a block of WGW_BLOCK input channels each tile's sum is below
// 32 * 512 * 1152 < 2^25 in magnitude, so the packed sum S = M0 + 2^26 M1 is an integer below
// 2^51: every partial sum is exact, S reads back exactly as an i64 (exactI64), M0 is its low 26
// bits sign-extended and M1 = (S - M0) >> 26. The blocks' M add up in i32 (wrapping: the output
// transform works modulo 2^32 and its result fits). 16 f64 multiply-adds per two tiles, input
// and output channel against the widened GEMM's 36 (two pixels each).
//
// Layouts: U [16 xi][oc8 / 8][inC][8 oc] f64 (wgWideFilterBytes: gemm-wide.ts blockDot's
// weights); scratch: V [WGW_PAIRS][16][inC] f64, then M [2 WGW_PAIRS][oc8][16] i32 (a
// channel's 16 positions together for outputTile), then the channels' requant-wide.ts records,
// then 16 f64 sums, then two output rows, then a [4][6][inC] patch of an edge tile pair
// (wgWideScratchBytes).
//
// Speed (scalar ic_resnet8, `node dist/tools/bench/ab.js --wide --ops`): two pairs against four
// channels per pass (pairDot: 6 loads per 8 multiply-adds, not 9), M laid out per channel so
// the output transform reads 16 constant offsets, and edge pairs copied into a patch then run
// through inputPairInside (not a bounds check per value) took its 3x3 stride-1 convs to
// 0.72-0.82x of their time (519a042, `--ops --rounds 30` against 5fb61de).

import { ConvParams } from './conv';
import { blockDot, exactI64, pairDot, prepareRecords } from './gemm-wide';
import { RQ_WIDE_BYTES, rqWide } from './requant-wide';
import { wgTransformOne } from './winograd-simd';

/** Input channels per exact block of f64 sums (see the header). */
const WGW_BLOCK: i32 = 32;

/** Tile pairs per chunk. */
const WGW_PAIRS: i32 = 4;

// @ts-ignore: decorator
@inline function oc8Of(outC: i32): i32 { return (outC + 7) & ~7; }

/** Bytes of a transformed filter: 16 positions x oc8 x inC f64. */
export function wgWideFilterBytes(inC: i32, outC: i32): u64 { return <u64>128 * <u64>inC * <u64>oc8Of(outC); }

/** Scratch bytes of one op: V, M, Y and the work above. */
export function wgWideScratchBytes(inC: i32, outC: i32, outW: i32): u64 {
  const oc8 = <u64>oc8Of(outC);
  return <u64>WGW_PAIRS * 16 * 8 * <u64>inC + <u64>(2 * WGW_PAIRS) * 16 * 4 * oc8 + <u64>RQ_WIDE_BYTES * oc8 + 128 + 2 * <u64>outW * <u64>outC + 24 * <u64>inC;
}

/** Packed weights -> U [16][oc8 / 8][inC][8] f64: (2G) g (2G)^T per filter, as winograd-simd.ts. */
export function wgWideTransformFilter(w: usize, inC: i32, outC: i32, u: usize): void {
  const oc8 = oc8Of(outC), oc4 = (outC + 3) & ~3, k8 = 9 * inC;
  const xiBytes = <usize>oc8 * <usize>inC * 8;
  memory.fill(u, 0, <usize>16 * xiBytes);
  for (let o = 0; o < oc4; o++) {
    for (let ic = 0; ic < inC; ic++) {
      wgTransformOne(w, k8, o, ic, inC, u + (<usize>(((o >> 3) * inC + ic) * 8 + (o & 7)) << 3), xiBytes, true);
    }
  }
}

// Two tiles' values as one f64 V0 + 2^26 V1 (exact: |V| <= 512).
// @ts-ignore: decorator
@inline function pack(a: i32, b: i32): f64 { return <f64>a + <f64>b * 67108864.0; }

// Row i of both tiles' V from row i of B^T d over the 6 columns (e0..e5; tile 1 is columns 2..5), packed.
// @ts-ignore: decorator
@inline function storeRows(at: usize, rowBytes: usize, e0: i32, e1: i32, e2: i32, e3: i32, e4: i32, e5: i32): void {
  store<f64>(at, pack(e0 - e2, e2 - e4));
  store<f64>(at + rowBytes, pack(e1 + e2, e3 + e4));
  store<f64>(at + 2 * rowBytes, pack(e2 - e1, e4 - e3));
  store<f64>(at + 3 * rowBytes, pack(e1 - e3, e3 - e5));
}

// @ts-ignore: decorator
@inline function ld(p: usize): i32 { return <i32>load<i8>(p); }

/**
 * inputPair for two adjacent tiles whose 4x6 patch lies inside the image (most of them): p the
 * patch's top-left pixel, rows rowStride apart, the 24 values of a channel in locals.
 */
function inputPairInside(p: usize, rowStride: usize, inC: i32, v: usize): void {
  const rowBytes = <usize>inC << 3;
  const c1 = <usize>inC, c2 = c1 << 1, c3 = c1 + c2, c4 = c2 << 1, c5 = c4 + c1;
  for (let c = 0; c < inC; c++, p++) {
    const q1 = p + rowStride, q2 = q1 + rowStride, q3 = q2 + rowStride;
    const r10 = ld(q1), r11 = ld(q1 + c1), r12 = ld(q1 + c2), r13 = ld(q1 + c3), r14 = ld(q1 + c4), r15 = ld(q1 + c5);
    const r20 = ld(q2), r21 = ld(q2 + c1), r22 = ld(q2 + c2), r23 = ld(q2 + c3), r24 = ld(q2 + c4), r25 = ld(q2 + c5);
    const vc = v + (<usize>c << 3);
    storeRows(vc, rowBytes, ld(p) - r20, ld(p + c1) - r21, ld(p + c2) - r22, ld(p + c3) - r23, ld(p + c4) - r24, ld(p + c5) - r25);
    storeRows(vc + 4 * rowBytes, rowBytes, r10 + r20, r11 + r21, r12 + r22, r13 + r23, r14 + r24, r15 + r25);
    storeRows(vc + 8 * rowBytes, rowBytes, r20 - r10, r21 - r11, r22 - r12, r23 - r13, r24 - r14, r25 - r15);
    storeRows(vc + 12 * rowBytes, rowBytes, r10 - ld(q3), r11 - ld(q3 + c1), r12 - ld(q3 + c2), r13 - ld(q3 + c3), r14 - ld(q3 + c4), r15 - ld(q3 + c5));
  }
}

/**
 * The 4x6 patch of two tiles at (iy0, ix0) copied to dst ([4][6][inC] bytes), the zero point
 * where it leaves the image: inputPairInside then transforms it as an inside patch (a chunk's
 * odd last tile reads columns 4 and 5 too; its second tile's sums go unused).
 */
function edgePatch(x: usize, inH: i32, inW: i32, inC: i32, iy0: i32, ix0: i32, zp: i32, dst: usize): void {
  const pxBytes = <usize>inC, words = pxBytes >> 3, fill = <u64>(<u8>zp) * 0x0101010101010101;
  let d = dst;
  for (let i = 0; i < 4; i++) {
    const iy = iy0 + i;
    for (let j = 0; j < 6; j++, d += pxBytes) {
      const ix = ix0 + j;
      if (<u32>iy < <u32>inH && <u32>ix < <u32>inW) {
        const src = x + <usize>(iy * inW + ix) * pxBytes;
        for (let k: usize = 0; k < words; k++) store<u64>(d + (k << 3), load<u64>(src + (k << 3)));
        for (let k = words << 3; k < pxBytes; k++) store<u8>(d + k, load<u8>(src + k));
      } else {
        for (let k: usize = 0; k < words; k++) store<u64>(d + (k << 3), fill);
        for (let k = words << 3; k < pxBytes; k++) store<u8>(d + k, <u8>zp);
      }
    }
  }
}

/** M [2 pairs tiles][oc8][16] i32: per position, pair and group of 8 channels, the f64 sums of each block of WGW_BLOCK input channels (two pairs at a time: pairDot). */
function wideGemm(u: usize, v: usize, m: usize, pairs: i32, inC: i32, oc8: i32, sums: usize): void {
  const pairV = <usize>inC << 7, rowV = <usize>inC << 3; // 16 positions of inC f64
  const tileM = <usize>oc8 << 6;
  const groupU = <usize>inC << 6, xiU = <usize>oc8 * (<usize>inC << 3);
  for (let xi = 0; xi < 16; xi++) {
    for (let p = 0; p < pairs; p += 2) {
      const two = p + 1 < pairs;
      const vp = v + <usize>p * pairV + <usize>xi * rowV;
      const mp = m + <usize>(2 * p) * tileM + (<usize>xi << 2);
      let ug = u + <usize>xi * xiU;
      for (let o = 0; o < oc8; o += 8) {
        const mo = mp + (<usize>o << 6);
        for (let c0 = 0; c0 < inC; c0 += WGW_BLOCK) {
          const n = min(WGW_BLOCK, inC - c0), first = c0 == 0;
          const vc = vp + (<usize>c0 << 3), uc = ug + (<usize>c0 << 6);
          if (two) {
            // channels o .. o + 3, then o + 4 .. o + 7, of both pairs (two call sites: pairDot stays a function)
            pairDot(vc, pairV, n, uc, sums);
            pairDot(vc, pairV, n, uc + 32, sums + 64);
            const m1 = mo + tileM, m2 = m1 + tileM, m3 = m2 + tileM;
            if (first) splitQuad(sums, mo, m1, m2, m3, true); // straight code per case: no branch per sum
            else splitQuad(sums, mo, m1, m2, m3, false);
          } else {
            blockDot(vc, n, uc, sums);
            for (let j: usize = 0; j < 8; j++) splitTo(load<f64>(sums + (j << 3)), mo + (j << 6), mo + (j << 6) + tileM, first);
          }
        }
        ug += groupU;
      }
    }
  }
}

// Two pairs' sums of 8 channels (pairDot's two calls at sums) to M: pair A's tiles at m0 and m1,
// pair B's at m2 and m3 (channel j 64 bytes on), stored (first block) or added.
// @ts-ignore: decorator
@inline function splitQuad(sums: usize, m0: usize, m1: usize, m2: usize, m3: usize, first: bool): void {
  splitTo(load<f64>(sums), m0, m1, first); splitTo(load<f64>(sums, 32), m2, m3, first);
  splitTo(load<f64>(sums, 8), m0 + 64, m1 + 64, first); splitTo(load<f64>(sums, 40), m2 + 64, m3 + 64, first);
  splitTo(load<f64>(sums, 16), m0 + 128, m1 + 128, first); splitTo(load<f64>(sums, 48), m2 + 128, m3 + 128, first);
  splitTo(load<f64>(sums, 24), m0 + 192, m1 + 192, first); splitTo(load<f64>(sums, 56), m2 + 192, m3 + 192, first);
  splitTo(load<f64>(sums, 64), m0 + 256, m1 + 256, first); splitTo(load<f64>(sums, 96), m2 + 256, m3 + 256, first);
  splitTo(load<f64>(sums, 72), m0 + 320, m1 + 320, first); splitTo(load<f64>(sums, 104), m2 + 320, m3 + 320, first);
  splitTo(load<f64>(sums, 80), m0 + 384, m1 + 384, first); splitTo(load<f64>(sums, 112), m2 + 384, m3 + 384, first);
  splitTo(load<f64>(sums, 88), m0 + 448, m1 + 448, first); splitTo(load<f64>(sums, 120), m2 + 448, m3 + 448, first);
}

// S = M0 + 2^26 M1: M0 to a, M1 to b (stored when first, else added).
// @ts-ignore: decorator
@inline function splitTo(s: f64, a: usize, b: usize, first: bool): void {
  const si = exactI64(s);
  const lo = (si << 38) >> 38; // in i64: 2% faster per op than gemm-wide.ts's lowOf / highOf here
  const m0 = <i32>lo, m1 = <i32>((si - lo) >> 26);
  if (first) { store<i32>(a, m0); store<i32>(b, m1); }
  else { store<i32>(a, load<i32>(a) + m0); store<i32>(b, load<i32>(b) + m1); }
}

/**
 * One tile's outputs: per channel A^T M A >> 2 (M at m, [oc8][16] i32), its bias added and
 * requantized with its record (recs), stored at y00 (+ pxStride when twoCols, + rowStride when
 * twoRows).
 */
function outputTile(
  m: usize, outC: i32, recs: usize, y00: usize, pxStride: usize, rowStride: usize, twoCols: bool, twoRows: bool,
  outOff: i32, lo: i32, hi: i32,
): void {
  let mo = m, r = recs, y = y00;
  for (let o = 0; o < outC; o++, mo += 64, r += RQ_WIDE_BYTES, y++) {
    // M[i][j] at mo + 16 i + 4 j; A^T over rows, then A over columns
    const m4 = load<i32>(mo, 16), m5 = load<i32>(mo, 20), m6 = load<i32>(mo, 24), m7 = load<i32>(mo, 28);
    const m8 = load<i32>(mo, 32), m9 = load<i32>(mo, 36), m10 = load<i32>(mo, 40), m11 = load<i32>(mo, 44);
    const b00 = load<i32>(mo) + m4 + m8, b01 = load<i32>(mo, 4) + m5 + m9;
    const b02 = load<i32>(mo, 8) + m6 + m10, b03 = load<i32>(mo, 12) + m7 + m11;
    const b10 = m4 - m8 - load<i32>(mo, 48), b11 = m5 - m9 - load<i32>(mo, 52);
    const b12 = m6 - m10 - load<i32>(mo, 56), b13 = m7 - m11 - load<i32>(mo, 60);
    const mm = load<i64>(r), c = load<i64>(r, 8), neg = load<i64>(r, 16), shift = load<i64>(r, 24);
    const p2 = load<i32>(r, 32), b = load<i32>(r, 36);
    store<u8>(y, rqWide(((b00 + b01 + b02) >> 2) + b, mm, c, neg, shift, p2, outOff, lo, hi));
    if (twoCols) store<u8>(y + pxStride, rqWide(((b01 - b02 - b03) >> 2) + b, mm, c, neg, shift, p2, outOff, lo, hi));
    if (twoRows) {
      store<u8>(y + rowStride, rqWide(((b10 + b11 + b12) >> 2) + b, mm, c, neg, shift, p2, outOff, lo, hi));
      if (twoCols) store<u8>(y + rowStride + pxStride, rqWide(((b11 - b12 - b13) >> 2) + b, mm, c, neg, shift, p2, outOff, lo, hi));
    }
  }
}

/** conv_s8 (conv.ts: same contract) of a 3x3 stride-1 conv (wgEligible) for the scalar build on a JIT host; `over` as conv3x3_wg_simd. */
export function conv3x3_wg_wide(
  x: usize, inH: i32, inW: i32, inC: i32, u: usize,
  bias: usize, rq: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  p: ConvParams, yStride: i32, scratch: usize, over: bool,
): void {
  const oc8 = oc8Of(outC);
  const v = scratch, m = v + <usize>WGW_PAIRS * (<usize>inC << 7);
  const recs = m + <usize>(2 * WGW_PAIRS) * (<usize>oc8 << 6);
  const sums = recs + <usize>oc8 * RQ_WIDE_BYTES; // 128 bytes of f64 sums
  const rowBuf = sums + 128, patch = rowBuf + <usize>(2 * outW * outC);
  prepareRecords(rq, bias, outC, recs);
  const outOff = p.outputOffset, lo = p.actMin, hi = p.actMax;
  const tileM = <usize>oc8 << 6;
  const zp = -p.inputOffset, padTop = p.padTop, padLeft = p.padLeft;
  const tilesH = (outH + 1) >> 1, tilesW = (outW + 1) >> 1;
  const pxStride = <usize>yStride, rowStride = <usize>outW * pxStride;
  const chunk = 2 * WGW_PAIRS;
  for (let b = 0; b < batches; b++) {
    const xb = x + <usize>b * <usize>inH * <usize>inW * <usize>inC;
    const yb = y + <usize>b * <usize>outH * rowStride;
    for (let ty = 0; ty < tilesH; ty++) {
      const iy0 = 2 * ty - padTop;
      const twoRows = 2 * ty + 1 < outH;
      const rowOut = yb + <usize>(2 * ty) * rowStride, dst = over ? rowBuf : rowOut;
      for (let tx0 = 0; tx0 < tilesW; tx0 += chunk) {
        const tiles = min(chunk, tilesW - tx0), pairs = (tiles + 1) >> 1;
        for (let q = 0; q < pairs; q++) {
          const ix0 = 2 * (tx0 + 2 * q) - padLeft;
          const same = 2 * q + 1 >= tiles;
          const vq = v + <usize>q * (<usize>inC << 7);
          if (!same && iy0 >= 0 && iy0 + 4 <= inH && ix0 >= 0 && ix0 + 6 <= inW) {
            inputPairInside(xb + <usize>((iy0 * inW + ix0) * inC), <usize>inW * <usize>inC, inC, vq);
          } else {
            edgePatch(xb, inH, inW, inC, iy0, ix0, zp, patch);
            inputPairInside(patch, <usize>(6 * inC), inC, vq);
          }
        }
        wideGemm(u, v, m, pairs, inC, oc8, sums);
        for (let k = 0; k < tiles; k++) {
          const ox = 2 * (tx0 + k);
          const y00 = dst + <usize>ox * pxStride;
          const two = ox + 1 < outW;
          outputTile(m + <usize>k * tileM, outC, recs, y00, pxStride, rowStride, two, twoRows, outOff, lo, hi);
        }
      }
      if (over) memory.copy(rowOut, rowBuf, twoRows ? rowStride << 1 : rowStride);
    }
  }
}
