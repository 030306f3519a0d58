// Scalar int8 GEMM for 64-bit JIT hosts (V8 and other engines that run the scalar build on a
// 64-bit CPU): two multiply-accumulates per 64-bit multiply, over weights widened at load
// (assembly/wide.ts). Never used by the firmware runtimes: a 32-bit core pays three multiplies
// for one i64.mul, and its weights stay in flash as the .epk packs them.
//
// The pair trick. A row's taps a0, a1 (raw int8) become X = a0 * 2^32 + a1 and the weights
// w0, w1 of a channel become W = w0 + w1 * 2^32 (both as i64). Modulo 2^64,
//   X * W = a1 w0 + (a0 w0 + a1 w1) * 2^32            (a0 w1 * 2^64 vanishes)
// so over the K8 / 2 pairs of a row T = L + D * 2^32 (mod 2^64) with D = sum a w, the dot
// product, and L = sum a1 w0. |a w| <= 2^14, so for K8 <= WIDE_MAX_K8 both |L| and |D| stay
// below 2^31: the low 32 bits of T, as an i32, are L, and the high 32 bits are D + floor(L / 2^32)
// = D - [L < 0]; D = hi + (lo >>> 31) exactly (test/gemm-wide.test.ts checks the kernels against
// the _ref ones, at the bound too). The sums are the scalar GEMM's (gemm.ts), so the bias
// folding and requantQuad are shared.
//
// Layouts: a row is packed into K8 / 2 i64 (packRow; two rows at a time: `row` holds 8 * K8
// bytes); weights [oc4/4][K8/2][4 oc] i64, widened from the blocked [oc4/4][K8/8][4][8] bytes by
// widenWeights (4x the bytes).

import { requantQuad, requantQuad2 } from './gemm';
import { ConvParams, im2col, zeroTail } from './conv';

/** Largest K8 whose sums the pair trick keeps exact: K8 * 2^14 < 2^31. */
export const WIDE_MAX_K8: i32 = 1 << 16;

/** Bytes widenWeights writes for blocked weights of oc4 channels (a multiple of 4) by k8. */
// @ts-ignore: decorator
@inline export function wideBytes(oc4: i32, k8: i32): usize { return <usize>oc4 * <usize>k8 * 4; }

/** Blocked weights [oc4/4][K8/8][4][8] at w -> [oc4/4][K8/2][4] i64 pairs w_k + w_(k+1) 2^32 at dst. */
export function widenWeights(w: usize, oc4: i32, k8: i32, dst: usize): void {
  const slices = k8 >> 3;
  let src = w, d = dst;
  for (let q = 0; q < oc4; q += 4) {
    for (let s = 0; s < slices; s++) {
      for (let l: usize = 0; l < 4; l++) {
        const v = load<i64>(src + (l << 3));
        for (let j: usize = 0; j < 4; j++) { // pair j of the slice: bytes 2j, 2j + 1 of lane l
          const w0 = <i64>(<i8>(v >> (j << 4))), w1 = <i64>(<i8>(v >> ((j << 4) + 8)));
          store<i64>(d + (j << 5) + (l << 3), w0 + (w1 << 32));
        }
      }
      src += 32;
      d += 128;
    }
  }
}

/** K8 bytes of a row at p -> K8 / 2 pairs a_k 2^32 + a_(k+1) at dst (sign-extending byte loads: one instruction each on x86-64). */
// @ts-ignore: decorator
@inline function packRow(p: usize, k8: i32, dst: usize): void {
  let d = dst;
  const end = p + <usize>k8;
  for (let s = p; s < end; s += 2) {
    store<i64>(d, (<i64>load<i8>(s) << 32) + <i64>load<i8>(s, 1));
    d += 8;
  }
}

// D of T = L + D 2^32 (header).
// @ts-ignore: decorator
@inline function dotOf(t: i64): i32 { return <i32>(t >>> 32) + (<i32>t >>> 31); }

/** One packed row (kp = K8 / 2 pairs at x) times all oc outputs -> y, requantized per quad. sums: 16 bytes. */
function gemmWide(x: usize, kp: i32, ww: usize, oc: i32, bias: usize, rq: usize, y: usize, outOffset: i32, actMin: i32, actMax: i32, sums: usize): void {
  const span = <usize>kp << 5;
  let wq = ww;
  for (let o = 0; o < oc; o += 4) {
    quadSums(x, kp, wq, sums);
    requantQuad(y, o, oc, load<i32>(sums), load<i32>(sums, 4), load<i32>(sums, 8), load<i32>(sums, 12), bias, rq, outOffset, actMin, actMax);
    wq += span;
  }
}

/**
 * Two packed rows x0, x1 times all oc outputs -> y0, y1: per quad, the first row's four sums
 * (kept at sums: with 8 accumulators live V8 spills on x86-64) and then the second's, and
 * requantQuad2 prepares each channel once for both rows. sums: 16 bytes.
 */
function gemmWide2(x0: usize, x1: usize, kp: i32, ww: usize, oc: i32, bias: usize, rq: usize, y0: usize, y1: usize, outOffset: i32, actMin: i32, actMax: i32, sums: usize): void {
  const span = <usize>kp << 5; // weight bytes of one quad
  let wq = ww;
  for (let o = 0; o < oc; o += 4) {
    quadSums(x0, kp, wq, sums);
    const a0 = load<i32>(sums), a1 = load<i32>(sums, 4), a2 = load<i32>(sums, 8), a3 = load<i32>(sums, 12);
    quadSums(x1, kp, wq, sums);
    requantQuad2(y0, y1, o, oc, a0, a1, a2, a3, load<i32>(sums), load<i32>(sums, 4), load<i32>(sums, 8), load<i32>(sums, 12),
      bias, rq, outOffset, actMin, actMax);
    wq += span;
  }
}

/**
 * The four dot products of packed row x (kp pairs) with the quad's widened weights wq -> 4 i32
 * at out. A function of its own: inlined into its callers, V8 kept the weight pointer on the
 * stack (x86-64).
 */
function quadSums(x: usize, kp: i32, wq: usize, out: usize): void {
  let s0: i64 = 0, s1: i64 = 0, s2: i64 = 0, s3: i64 = 0;
  let wp = wq;
  const end = x + (<usize>kp << 3);
  for (let xp = x; xp < end; xp += 8) {
    const a = load<i64>(xp);
    // the loaded weight on the left: V8 multiplies into its register, with `a` on the left it copied `a` first
    s0 += load<i64>(wp) * a; s1 += load<i64>(wp, 8) * a; s2 += load<i64>(wp, 16) * a; s3 += load<i64>(wp, 24) * a;
    wp += 32;
  }
  store<i32>(out, dotOf(s0)); store<i32>(out, dotOf(s1), 4); store<i32>(out, dotOf(s2), 8); store<i32>(out, dotOf(s3), 12);
}

/**
 * conv_s8 (conv.ts) over widened weights ww: the same pixels, patches and sums, two pixels at a
 * time; row: 8 * K8 + 16 bytes (two packed rows, four sums). Each patch is packed before any output byte of
 * its pixel is written, so an output laid over the input (docs/FORMAT.md) reads what conv_s8 reads.
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
  const hw = outH * outW, total = batches * hw;
  const sH = p.strideH, sW = p.strideW, padTop = p.padTop, padLeft = p.padLeft;
  const dH = p.dilationH, dW = p.dilationW, zp = <u8>(-p.inputOffset);
  const outOff = p.outputOffset, lo = p.actMin, hi = p.actMax;
  if (!direct) zeroTail(scratch, kh * kw * inC, k8);
  const row1 = row + (<usize>k8 << 2), sums = row + (<usize>k8 << 3);
  for (let n = 0; n < total; n += 2) {
    packPixel(x, inH, inW, inC, kh, kw, k8, direct, n, hw, outW, sH, sW, padTop, padLeft, dH, dW, zp, scratch, row);
    const y0 = y + <usize>(n * outC);
    if (n + 1 < total) {
      packPixel(x, inH, inW, inC, kh, kw, k8, direct, n + 1, hw, outW, sH, sW, padTop, padLeft, dH, dW, zp, scratch, row1);
      gemmWide2(row, row1, k8 >> 1, ww, outC, bias, rq, y0, y0 + <usize>outC, outOff, lo, hi, sums);
    } else {
      gemmWide(row, k8 >> 1, ww, outC, bias, rq, y0, outOff, lo, hi, sums);
    }
  }
}

// The patch of output pixel n packed at dst (through the im2col scratch unless direct).
// @ts-ignore: decorator
@inline function packPixel(
  x: usize, inH: i32, inW: i32, inC: i32, kh: i32, kw: i32, k8: i32, direct: bool, n: i32, hw: i32, outW: i32,
  sH: i32, sW: i32, padTop: i32, padLeft: i32, dH: i32, dW: i32, zp: u8, scratch: usize, dst: usize,
): void {
  const b = n / hw, r = n % hw, oy = r / outW, ox = r % outW;
  if (direct) packRow(x + <usize>(((b * inH + oy * sH) * inW + ox * sW) * inC), k8, dst);
  else {
    im2col(x, inH, inW, inC, kh, kw, b, oy, ox, sH, sW, padTop, padLeft, dH, dW, zp, scratch);
    packRow(scratch, k8, dst);
  }
}

/** fc_s8 (fully-connected.ts) over widened weights ww, two input rows at a time; row as conv_s8_wide's. */
export function fc_s8_wide(
  x: usize, batches: i32, depth: i32, k8: i32, ww: usize, outC: i32, bias: usize, rq: usize, y: usize,
  outputOffset: i32, actMin: i32, actMax: i32, row: usize,
): void {
  const row1 = row + (<usize>k8 << 2), sums = row + (<usize>k8 << 3);
  for (let b = 0; b < batches; b += 2) {
    packRow(x + <usize>(b * depth), k8, row);
    const y0 = y + <usize>(b * outC);
    if (b + 1 < batches) {
      packRow(x + <usize>((b + 1) * depth), k8, row1);
      gemmWide2(row, row1, k8 >> 1, ww, outC, bias, rq, y0, y0 + <usize>outC, outputOffset, actMin, actMax, sums);
    } else {
      gemmWide(row, k8 >> 1, ww, outC, bias, rq, y0, outputOffset, actMin, actMax, sums);
    }
  }
}
