// Scalar int8 GEMM for 64-bit JIT hosts (V8 and other engines that run the scalar build on a
// 64-bit CPU): two multiply-accumulates per f64 multiply, over weights widened at load
// (assembly/wide.ts). Never used by the firmware runtimes: a microcontroller has no double-
// precision unit to spare, and its weights stay in flash as the .epk packs them.
//
// The pair trick. Two pixels' taps x0, x1 (raw int8) become one f64 X = x0 + x1 2^26 and each
// weight w one f64; X w = x0 w + x1 w 2^26 is exact (below 2^40 in magnitude), and so is the sum
// S = L + H 2^26 of up to WIDE_BLOCK taps, L = sum x0 w and H = sum x1 w (every partial sum is an
// integer below 2^53). |x w| <= 2^14, so |L| <= 2^24 < 2^25 and |S| < 2^51: S is read back as
// an i64 exactly (exactI64), L is its low 26 bits sign-extended and H = (S - L) / 2^26; longer
// rows add block by block in i32. The sums are the scalar GEMM's (gemm.ts), so the bias folding
// is shared; requant-wide.ts's form of mbqmRq requantizes them, from per-channel records
// prepared once per call. test/gemm-wide.test.ts checks them against the _ref
// kernels with sums near 2^30. Why f64: an x86-64 core issues two f64 multiplies and two adds per
// cycle against one 64-bit integer multiply; 8 channels' sums stay in 8 xmm registers.
//
// Layouts: two pixel pairs' patches packed into K8 f64 each (packPair; `row`: wideRowBytes,
// with 32 i32 sums, 16 f64 block sums, the channels' requant records and the third and fourth
// pixels' im2col patches after them: conv_s8_wide runs four pixels at a time, gemmQuad, so that
// pairDot loads each weight once for four pixels); weights [oc8/8][K8][8 oc] f64 (oc8: oc4
// rounded up to 8, the extra channels zero), widened from the blocked [oc4/4][K8/8][4][8]
// bytes by widenWeights (8x the bytes).

import { RQ_WIDE_BYTES, rqWide, rqWideRecord } from './requant-wide';
import { ConvParams, im2col } from './conv';

/** Largest K8 widened (any K8 is exact; this bounds the memory a row needs). */
export const WIDE_MAX_K8: i32 = 1 << 16;
/** Taps summed in f64 before the sums move to i32: 1024 * 2^14 = 2^24 < 2^25. */
const WIDE_BLOCK: i32 = 1024;
const TWO26: f64 = 67108864.0;

// @ts-ignore: decorator
@inline function oc8Of(oc4: i32): i32 { return (oc4 + 7) & ~7; }

/**
 * Bytes of the row conv_s8_wide and fc_s8_wide work in: two packed pairs (16 K8), the sums
 * (256: 32 i32, 16 f64), oc8 requant records, then two im2col patches (2 K8) of a quad's
 * third and fourth pixels.
 */
// @ts-ignore: decorator
@inline export function wideRowBytes(oc4: i32, k8: i32): u64 { return <u64>k8 * 18 + 256 + <u64>oc8Of(oc4) * <u64>RQ_WIDE_BYTES; }

/** Bytes widenWeights writes for blocked weights of oc4 channels (a multiple of 4) by k8 (u64: 8x a large tensor passes 4 GiB). */
// @ts-ignore: decorator
@inline export function wideBytes(oc4: i32, k8: i32): u64 { return <u64>oc8Of(oc4) * <u64>k8 * 8; }

/** Blocked weights [oc4/4][K8/8][4][8] at w -> [oc8/8][K8][8] f64 at dst (channels oc4..oc8 zero). */
export function widenWeights(w: usize, oc4: i32, k8: i32, dst: usize): void {
  const slices = k8 >> 3, oc8 = oc8Of(oc4);
  for (let c = 0; c < oc8; c++) {
    const d = dst + ((<usize>(c >> 3) * <usize>k8) << 6) + (<usize>(c & 7) << 3);
    const src = w + <usize>(c >> 2) * <usize>slices * 32 + (<usize>(c & 3) << 3);
    for (let k = 0; k < k8; k++) {
      const v = c < oc4 ? <f64>load<i8>(src + (<usize>(k >> 3) << 5) + <usize>(k & 7)) : 0;
      store<f64>(d + (<usize>k << 6), v);
    }
  }
}

/** k taps of pixels p0 and p1 -> k f64 x0 + x1 2^26 at dst. */
// @ts-ignore: decorator
@inline function packPair(p0: usize, p1: usize, taps: i32, dst: usize): void {
  for (let k: usize = 0; k < <usize>taps; k++) {
    store<f64>(dst + (k << 3), <f64>(<i64>load<i8>(p0 + k) + (<i64>load<i8>(p1 + k) << 26)));
  }
}

// The f64 block sum s = L + H 2^26 (an integer, |s| < 2^51) as i32: L at t, H at t + 32
// (splitTo), or added there (split). s + 1.5 2^52 lies in [2^52, 2^53), where the f64 step is
// 1, so it is exact and its bits less those of 1.5 2^52 are s as an i64; |L| < 2^25 is the low
// 26 bits sign-extended, and H the rest. (Math.round and a checked f64 -> i32 conversion cost
// V8 two compares and branches each.)
const EXACT: f64 = 6755399441055744.0; // 1.5 2^52
// @ts-ignore: decorator
@inline export function exactI64(s: f64): i64 { return reinterpret<i64>(s + EXACT) - reinterpret<i64>(EXACT); }
// @ts-ignore: decorator
@inline export function lowOf(v: i64): i32 { return (<i32>v << 6) >> 6; }
// @ts-ignore: decorator
@inline export function highOf(v: i64, low: i32): i32 { return <i32>((v - <i64>low) >> 26); }
// @ts-ignore: decorator
@inline function splitTo(s: f64, t: usize): void {
  const v = exactI64(s), l = lowOf(v);
  store<i32>(t, l);
  store<i32>(t, highOf(v, l), 32);
}
// @ts-ignore: decorator
@inline function split(s: f64, t: usize): void {
  const v = exactI64(s), l = lowOf(v);
  store<i32>(t, load<i32>(t) + l);
  store<i32>(t, load<i32>(t, 32) + highOf(v, l), 32);
}

/**
 * The 8 channels' dot products of the packed pair at x (`taps` of them) with an 8-channel group's
 * widened weights at wg -> sums: 8 i32 of the first pixel, then 8 of the second (64 bytes;
 * the f64 block sums pass through sums + 64, 64 bytes more).
 */
function groupSums(x: usize, taps: i32, wg: usize, sums: usize): void {
  const blockSums = sums + 64;
  if (taps <= WIDE_BLOCK) { // one block: its sums are the i32 sums
    blockDot(x, taps, wg, blockSums);
    for (let j: usize = 0; j < 8; j++) splitTo(load<f64>(blockSums + (j << 3)), sums + (j << 2));
    return;
  }
  memory.fill(sums, 0, 64);
  for (let k0 = 0; k0 < taps; k0 += WIDE_BLOCK) {
    blockDot(x + (<usize>k0 << 3), min(taps - k0, WIDE_BLOCK), wg + (<usize>k0 << 6), blockSums);
    for (let j: usize = 0; j < 8; j++) split(load<f64>(blockSums + (j << 3)), sums + (j << 2));
  }
}

/**
 * n taps of the packed pair at x times the 8 channels' weights at wp -> 8 f64 sums at out. A
 * function of its own with nothing else live: V8 then keeps the 8 sums in xmm registers (with
 * the block loop around it, it kept one on the stack).
 */
export function blockDot(x: usize, n: i32, wp: usize, out: usize): void {
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0, s4: f64 = 0, s5: f64 = 0, s6: f64 = 0, s7: f64 = 0;
  let w = wp;
  const end = x + (<usize>n << 3);
  for (let xp = x; xp < end; xp += 8) {
    const a = load<f64>(xp);
    s0 += load<f64>(w) * a; s1 += load<f64>(w, 8) * a; s2 += load<f64>(w, 16) * a; s3 += load<f64>(w, 24) * a;
    s4 += load<f64>(w, 32) * a; s5 += load<f64>(w, 40) * a; s6 += load<f64>(w, 48) * a; s7 += load<f64>(w, 56) * a;
    w += 64;
  }
  store<f64>(out, s0); store<f64>(out, s1, 8); store<f64>(out, s2, 16); store<f64>(out, s3, 24);
  store<f64>(out, s4, 32); store<f64>(out, s5, 40); store<f64>(out, s6, 48); store<f64>(out, s7, 56);
}

/**
 * Two packed pairs (n taps at x and at x + pairV) times 4 channels' weights (wp, rows of the
 * 8-channel group 64 bytes apart) -> 8 f64 sums at out (the first pair's 4, then the second's):
 * 6 loads per 8 multiply-adds where blockDot takes 9 (winograd-wide.ts's GEMM too). A
 * function of its own, as blockDot; its callers call it from two sites so that it stays one.
 */
export function pairDot(x: usize, pairV: usize, n: i32, wp: usize, out: usize): void {
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0, t0: f64 = 0, t1: f64 = 0, t2: f64 = 0, t3: f64 = 0;
  let w = wp;
  const end = x + (<usize>n << 3);
  for (let xp = x; xp < end; xp += 8) {
    const a = load<f64>(xp), b = load<f64>(xp + pairV);
    const w0 = load<f64>(w); s0 += w0 * a; t0 += w0 * b;
    const w1 = load<f64>(w, 8); s1 += w1 * a; t1 += w1 * b;
    const w2 = load<f64>(w, 16); s2 += w2 * a; t2 += w2 * b;
    const w3 = load<f64>(w, 24); s3 += w3 * a; t3 += w3 * b;
    w += 64;
  }
  store<f64>(out, s0); store<f64>(out, s1, 8); store<f64>(out, s2, 16); store<f64>(out, s3, 24);
  store<f64>(out, t0, 32); store<f64>(out, t1, 40); store<f64>(out, t2, 48); store<f64>(out, t3, 56);
}

/**
 * groupSums for two packed pairs (x and x + pairV, `taps` each): 32 i32 at sums, the four
 * pixels' 8 channels in turn (the f64 block sums pass through sums + 128, 128 bytes more).
 */
function quadSums(x: usize, pairV: usize, taps: i32, wg: usize, sums: usize): void {
  const blockSums = sums + 128;
  if (taps <= WIDE_BLOCK) { // one block: its sums are the i32 sums
    pairDot(x, pairV, taps, wg, blockSums);
    pairDot(x, pairV, taps, wg + 32, blockSums + 64);
    for (let j: usize = 0; j < 8; j++) {
      const at = blockSums + ((j & 3) << 3) + ((j >> 2) << 6);
      splitTo(load<f64>(at), sums + (j << 2));
      splitTo(load<f64>(at, 32), sums + 64 + (j << 2));
    }
    return;
  }
  memory.fill(sums, 0, 128);
  for (let k0 = 0; k0 < taps; k0 += WIDE_BLOCK) {
    const n = min(taps - k0, WIDE_BLOCK), xk = x + (<usize>k0 << 3), wk = wg + (<usize>k0 << 6);
    pairDot(xk, pairV, n, wk, blockSums);
    pairDot(xk, pairV, n, wk + 32, blockSums + 64);
    for (let j: usize = 0; j < 8; j++) {
      const at = blockSums + ((j & 3) << 3) + ((j >> 2) << 6);
      split(load<f64>(at), sums + (j << 2));
      split(load<f64>(at, 32), sums + 64 + (j << 2));
    }
  }
}

/**
 * Two packed pairs (x, x + pairV; `taps` each, weight rows of k8) times all oc outputs -> pixels y0, y0 + yStride,
 * y0 + 2 yStride and, when `four`, y0 + 3 yStride (else the second pair's second pixel is a
 * copy, its sums unused); recs as gemmPair's.
 */
function gemmQuad(x: usize, pairV: usize, taps: i32, k8: i32, ww: usize, oc: i32, recs: usize, y0: usize, yStride: usize, four: bool, outOff: i32, lo: i32, hi: i32, sums: usize): void {
  const span = <usize>k8 << 6; // weight bytes of one 8-channel group
  const y1 = y0 + yStride, y2 = y1 + yStride, y3 = y2 + yStride;
  let wg = ww;
  for (let o = 0; o < oc; o += 8) {
    quadSums(x, pairV, taps, wg, sums);
    const n = min(8, oc - o);
    for (let j = 0; j < n; j++) {
      const r = recs + <usize>(o + j) * RQ_WIDE_BYTES;
      const m = load<i64>(r), c = load<i64>(r, 8), neg = load<i64>(r, 16), shift = load<i64>(r, 24);
      const p2 = load<i32>(r, 32), b = load<i32>(r, 36);
      const t = sums + (<usize>j << 2), at = <usize>(o + j);
      store<u8>(y0 + at, rqWide(load<i32>(t) + b, m, c, neg, shift, p2, outOff, lo, hi));
      store<u8>(y1 + at, rqWide(load<i32>(t, 32) + b, m, c, neg, shift, p2, outOff, lo, hi));
      store<u8>(y2 + at, rqWide(load<i32>(t, 64) + b, m, c, neg, shift, p2, outOff, lo, hi));
      if (four) store<u8>(y3 + at, rqWide(load<i32>(t, 96) + b, m, c, neg, shift, p2, outOff, lo, hi));
    }
    wg += span;
  }
}

/**
 * A packed pair (x, `taps`; weight rows of k8) times all oc outputs -> y0, and y1 when `two` (else the pair's
 * second pixel is a copy, its sums unused); recs: the channels' requant-wide.ts records.
 */
function gemmPair(x: usize, taps: i32, k8: i32, ww: usize, oc: i32, recs: usize, y0: usize, y1: usize, two: bool, outOff: i32, lo: i32, hi: i32, sums: usize): void {
  const span = <usize>k8 << 6; // weight bytes of one 8-channel group
  let wg = ww;
  for (let o = 0; o < oc; o += 8) {
    groupSums(x, taps, wg, sums);
    const n = min(8, oc - o);
    for (let j = 0; j < n; j++) {
      const r = recs + <usize>(o + j) * RQ_WIDE_BYTES;
      const m = load<i64>(r), c = load<i64>(r, 8), neg = load<i64>(r, 16), shift = load<i64>(r, 24);
      const p2 = load<i32>(r, 32), b = load<i32>(r, 36);
      const t = sums + (<usize>j << 2);
      store<u8>(y0 + <usize>(o + j), rqWide(load<i32>(t) + b, m, c, neg, shift, p2, outOff, lo, hi));
      if (two) store<u8>(y1 + <usize>(o + j), rqWide(load<i32>(t, 32) + b, m, c, neg, shift, p2, outOff, lo, hi));
    }
    wg += span;
  }
}

/** oc channels' requant-wide.ts records at recs, from the blocked requant table rq and bias (oc4 values). */
export function prepareRecords(rq: usize, bias: usize, oc: i32, recs: usize): void {
  for (let ch = 0; ch < oc; ch++) {
    rqWideRecord(rq + <usize>(ch >> 2) * 48, <usize>(ch & 3), load<i32>(bias + (<usize>ch << 2)), recs + <usize>ch * RQ_WIDE_BYTES);
  }
}

/**
 * conv_s8 (conv.ts) over widened weights ww: the same pixels, patches and sums, two pixels at
 * a time (im2col patches in scratch, 2 * K8 bytes); row: wideRowBytes. Both patches are
 * packed before any output byte of the pair is written, so an output laid over the input
 * (docs/FORMAT.md) reads what conv_s8 reads.
 */
export function conv_s8_wide(
  x: usize, inH: i32, inW: i32, inC: i32,
  ww: usize, kh: i32, kw: i32, k8: i32,
  bias: usize, rq: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  p: ConvParams, scratch: usize, row: usize,
): void {
  const direct = kh == 1 && kw == 1 && p.padTop == 0 && p.padLeft == 0
    && <i64>(outH - 1) * <i64>p.strideH < <i64>inH && <i64>(outW - 1) * <i64>p.strideW < <i64>inW;
  const total = batches * outH * outW;
  const sH = p.strideH, sW = p.strideW, padTop = p.padTop, padLeft = p.padLeft;
  const dH = p.dilationH, dW = p.dilationW, zp = <u8>(-p.inputOffset);
  const outOff = p.outputOffset, lo = p.actMin, hi = p.actMax;
  const pairV = <usize>k8 << 3, sums = row + (pairV << 1), recs = sums + 256;
  const patch1 = scratch + <usize>k8, patch2 = recs + <usize>oc8Of((outC + 3) & ~3) * RQ_WIDE_BYTES, patch3 = patch2 + <usize>k8;
  prepareRecords(rq, bias, outC, recs);
  // the dot products run over the K taps alone (the K8 - K tail weights are zero: a first
  // layer of 3x3 over 3 channels has 27 of 32, over 1 channel 9 of 16)
  const taps = kh * kw * inC;
  // pixel n is (b, oy, ox), counted forward: no division per pixel (four before; whole
  // inferences 0.99x on person_detect, unchanged on ic_resnet8 and kws in an interleaved A/B).
  // Four pixels at a time (two packed pairs, gemmQuad) while three or more are left, every
  // patch read before any of their outputs is written.
  let b = 0, oy = 0, ox = 0;
  for (let n = 0; n < total;) {
    const left = total - n, y0 = y + <usize>(n * outC);
    const p0 = patchAt(x, inH, inW, inC, kh, kw, direct, b, oy, ox, sH, sW, padTop, padLeft, dH, dW, zp, scratch);
    if (++ox == outW) { ox = 0; if (++oy == outH) { oy = 0; b++; } }
    const p1 = left > 1 ? patchAt(x, inH, inW, inC, kh, kw, direct, b, oy, ox, sH, sW, padTop, padLeft, dH, dW, zp, patch1) : p0; // alone: its second sums go unused
    if (++ox == outW) { ox = 0; if (++oy == outH) { oy = 0; b++; } }
    packPair(p0, p1, taps, row);
    if (left < 3) {
      gemmPair(row, taps, k8, ww, outC, recs, y0, y0 + <usize>outC, left > 1, outOff, lo, hi, sums);
      break;
    }
    const p2 = patchAt(x, inH, inW, inC, kh, kw, direct, b, oy, ox, sH, sW, padTop, padLeft, dH, dW, zp, patch2);
    if (++ox == outW) { ox = 0; if (++oy == outH) { oy = 0; b++; } }
    const p3 = left > 3 ? patchAt(x, inH, inW, inC, kh, kw, direct, b, oy, ox, sH, sW, padTop, padLeft, dH, dW, zp, patch3) : p2;
    if (++ox == outW) { ox = 0; if (++oy == outH) { oy = 0; b++; } }
    packPair(p2, p3, taps, row + pairV);
    gemmQuad(row, pairV, taps, k8, ww, outC, recs, y0, <usize>outC, left > 3, outOff, lo, hi, sums);
    n += 4;
  }
}

// Where output pixel (b, oy, ox)'s K8 taps lie: in place (direct) or built by im2col at dst.
// @ts-ignore: decorator
@inline function patchAt(
  x: usize, inH: i32, inW: i32, inC: i32, kh: i32, kw: i32, direct: bool, b: i32, oy: i32, ox: i32,
  sH: i32, sW: i32, padTop: i32, padLeft: i32, dH: i32, dW: i32, zp: u8, dst: usize,
): usize {
  if (direct) return x + <usize>(((b * inH + oy * sH) * inW + ox * sW) * inC);
  im2col(x, inH, inW, inC, kh, kw, b, oy, ox, sH, sW, padTop, padLeft, dH, dW, zp, dst);
  return dst;
}

/** fc_s8 (fully-connected.ts) over widened weights ww, two input rows at a time; row as conv_s8_wide's. */
export function fc_s8_wide(
  x: usize, batches: i32, depth: i32, k8: i32, ww: usize, outC: i32, bias: usize, rq: usize, y: usize,
  outputOffset: i32, actMin: i32, actMax: i32, row: usize,
): void {
  const sums = row + (<usize>k8 << 4), recs = sums + 256;
  prepareRecords(rq, bias, outC, recs);
  for (let b = 0; b < batches; b += 2) {
    const two = b + 1 < batches;
    packPair(x + <usize>(b * depth), two ? x + <usize>((b + 1) * depth) : x + <usize>(b * depth), depth, row);
    const y0 = y + <usize>(b * outC);
    gemmPair(row, depth, k8, ww, outC, recs, y0, y0 + <usize>outC, two, outputOffset, actMin, actMax, sums);
  }
}
