// Convolutions over int8 NHWC tensors with per-channel requantization: the same
// arithmetic as TFLite's reference_integer_ops::ConvPerChannel / DepthwiseConvPerChannel.
// conv_s8_ref / dwconv_s8_ref read the original layouts; conv_s8 (packed weights, GEMM over
// pixel pairs) and dwconv_s8 pick the SIMD or scalar micro-kernels at compile time
// (ASC_FEATURE_SIMD), so the scalar build contains no v128 instruction.
// Accumulator bound: |(x + in_offset) * w| <= 255 * 128 = 32640 per tap, so i32 holds
// 65793 taps (e.g. 3x3x7310 channels) before overflow -- far above any real layer.

import { clamp, clampB8, mbqm_ref, mbqmRq, mbqmTable, rqMult, rqPow2At, rqRight } from './quant';
import { conv_s8_rows } from './rows';
import { gemm1_s8, gemm2_s8, sb0, sb1, sb2, sb3 } from './gemm';
import { gemm2_s8_simd } from './gemm-simd';
import { dwconv_s8_simd } from './dwconv-simd';
import { dwconv3x3_s8_oct } from './dwconv3x3';
import { conv_s8_simd } from './conv-simd';

/** Geometry and quantization shared by conv and depthwise: 11 i32 params (see FORMAT.md). */
@unmanaged export class ConvParams {
  strideH: i32;
  strideW: i32;
  dilationH: i32;
  dilationW: i32;
  padTop: i32;
  padLeft: i32;
  inputOffset: i32;
  outputOffset: i32;
  actMin: i32;
  actMax: i32;
  depthMultiplier: i32;
}

/**
 * conv_s8: x [batches, inH, inW, inC], w [outC, kh, kw, groupC] (groups = inC / groupC),
 * bias i32 [outC] or 0, multiplier/shift i32 [outC], y [batches, outH, outW, outC].
 */
export function conv_s8_ref(
  x: usize, inH: i32, inW: i32, inC: i32,
  w: usize, kh: i32, kw: i32, groupC: i32,
  bias: usize, mult: usize, shift: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  p: ConvParams,
): void {
  // The reference is the row-range kernel over every output channel (rows.ts).
  conv_s8_rows(x, inH, inW, inC, w, kh, kw, groupC, bias, mult, shift, y, batches, outH, outW, outC, 0, outC, p);
}

/**
 * dwconv_s8: x [batches, inH, inW, inC], w [1, kh, kw, outC] with outC = inC * depthMultiplier,
 * output channel o = c * depthMultiplier + m reads input channel c.
 */
export function dwconv_s8_ref(
  x: usize, inH: i32, inW: i32, inC: i32,
  w: usize, kh: i32, kw: i32,
  bias: usize, mult: usize, shift: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  p: ConvParams,
): void {
  const dm = p.depthMultiplier;
  const inOff = p.inputOffset;
  let out = y;
  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        for (let o = 0; o < outC; o++) {
          const c = o / dm;
          let acc: i32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky * p.dilationH;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ix0 + kx * p.dilationW;
              if (ix < 0 || ix >= inW) continue;
              const xv = <i32>load<i8>(x + <usize>(((b * inH + iy) * inW + ix) * inC + c));
              const wv = <i32>load<i8>(w + <usize>((ky * kw + kx) * outC + o));
              acc += (xv + inOff) * wv;
            }
          }
          if (bias) acc += load<i32>(bias + (<usize>o << 2));
          acc = mbqm_ref(acc, load<i32>(mult + (<usize>o << 2)), load<i32>(shift + (<usize>o << 2))) + p.outputOffset;
          store<i8>(out, <i8>clamp(acc, p.actMin, p.actMax));
          out++;
        }
      }
    }
  }
}

/**
 * Writes the K-byte im2col patch of output pixel (b, oy, ox) at dst: taps in [kh][kw][inC]
 * order, padding taps filled with the input zero point (so x + in_offset == 0 there, exactly
 * as the reference skips them). Bytes K..K8 are zeroed once per conv_s8 call (never written here).
 */
export function im2col(
  x: usize, inH: i32, inW: i32, inC: i32, kh: i32, kw: i32,
  b: i32, oy: i32, ox: i32, sH: i32, sW: i32, padTop: i32, padLeft: i32, dH: i32, dW: i32, zp: u8, dst: usize,
): void {
  const iy0 = oy * sH - padTop, ix0 = ox * sW - padLeft;
  const rowC = kw * inC;
  let d = dst;
  for (let ky = 0; ky < kh; ky++) {
    const iy = iy0 + ky * dH;
    const row = x + <usize>((b * inH + iy) * inW) * <usize>inC;
    if (iy < 0 || iy >= inH) {
      fillBytes(d, zp, rowC);
    } else if (dW == 1 && ix0 >= 0 && ix0 + kw <= inW) {
      copyBytes(d, row + <usize>(ix0 * inC), rowC); // whole kernel row inside the image
    } else {
      for (let kx = 0; kx < kw; kx++) {
        const ix = ix0 + kx * dW;
        if (ix < 0 || ix >= inW) fillBytes(d + <usize>(kx * inC), zp, inC);
        else copyBytes(d + <usize>(kx * inC), row + <usize>(ix * inC), inC);
      }
    }
    d += <usize>rowC;
  }
}

// Rows of a first-layer patch are a few bytes (3x3 taps of 1-3 channels): a byte loop beats
// a bulk-memory call below 32 bytes.
// @ts-ignore: decorator
@inline function copyBytes(d: usize, s: usize, n: i32): void {
  if (n >= 32) memory.copy(d, s, <usize>n);
  else for (let i: usize = 0; i < <usize>n; i++) store<u8>(d + i, load<u8>(s + i));
}

/** Zeroes bytes [kk, k8) of a patch at p: the K8 - K <= 7 taps whose weights are zero. */
// @ts-ignore: decorator
@inline export function zeroTail(p: usize, kk: i32, k8: i32): void {
  fillBytes(p + <usize>kk, 0, k8 - kk);
}

// @ts-ignore: decorator
@inline function fillBytes(d: usize, v: u8, n: i32): void {
  if (n >= 32) memory.fill(d, v, <usize>n);
  else for (let i: usize = 0; i < <usize>n; i++) store<u8>(d + i, v);
}

/**
 * conv_s8 over packed weights [oc4/4][K8/8][4][8] with K = kh*kw*inC (groups == 1) and the
 * folded bias bias'[o] = bias[o] + in_offset * sum(w[o]) (oc4 values) and the requant table rq.
 * A 1x1 conv whose taps all lie inside the image reads pixels in place; any other conv
 * builds two im2col patches at a time in scratch (2 * K8 bytes). Reads of a direct row may
 * run K8 - K <= 7 bytes past it (times zero weights); the load-time check keeps them in memory.
 * Output pixels lie yStride >= outC bytes apart: the streamed runtime computes channels
 * [c0, c0 + outC) of a wider output with y at channel c0 and yStride its channel count.
 */
export function conv_s8(
  x: usize, inH: i32, inW: i32, inC: i32,
  w: usize, kh: i32, kw: i32, k8: i32,
  bias: usize, rq: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  p: ConvParams, scratch: usize, yStride: i32 = outC,
): void {
  if (ASC_FEATURE_SIMD) {
    conv_s8_simd(x, inH, inW, inC, w, kh, kw, k8, bias, rq, y, batches, outH, outW, outC, p, scratch, yStride);
    return;
  }
  const direct = kh == 1 && kw == 1 && p.padTop == 0 && p.padLeft == 0
    && <i64>(outH - 1) * <i64>p.strideH < <i64>inH && <i64>(outW - 1) * <i64>p.strideW < <i64>inW;
  const total = batches * outH * outW;
  const hw = outH * outW;
  // Geometry in locals: each ConvParams field read is a memory access (a bounds check in C).
  const sH = p.strideH, sW = p.strideW, padTop = p.padTop, padLeft = p.padLeft;
  const dH = p.dilationH, dW = p.dilationW, zp = <u8>(-p.inputOffset);
  const outOff = p.outputOffset, lo = p.actMin, hi = p.actMax;
  const kk = kh * kw * inC;
  if (!direct) { // the K8 - K <= 7 tail bytes of both patches: zero (their weights are zero)
    fillBytes(scratch + <usize>kk, 0, k8 - kk);
    fillBytes(scratch + <usize>(k8 + kk), 0, k8 - kk);
  }
  for (let n = 0; n < total; n += 2) {
    const n1 = min(n + 1, total - 1);
    const b0 = n / hw, r0 = n % hw, b1 = n1 / hw, r1 = n1 % hw;
    const oy0 = r0 / outW, ox0 = r0 % outW, oy1 = r1 / outW, ox1 = r1 % outW;
    let p0: usize, p1: usize;
    if (direct) {
      p0 = x + <usize>(((b0 * inH + oy0 * sH) * inW + ox0 * sW) * inC);
      p1 = x + <usize>(((b1 * inH + oy1 * sH) * inW + ox1 * sW) * inC);
    } else {
      p0 = scratch;
      p1 = n1 == n ? p0 : scratch + <usize>k8;
      im2col(x, inH, inW, inC, kh, kw, b0, oy0, ox0, sH, sW, padTop, padLeft, dH, dW, zp, p0);
      if (p1 != p0) im2col(x, inH, inW, inC, kh, kw, b1, oy1, ox1, sH, sW, padTop, padLeft, dH, dW, zp, p1);
    }
    const y0 = y + <usize>(n * yStride), y1 = y + <usize>(n1 * yStride);
    if (ASC_FEATURE_SIMD) {
      gemm2_s8_simd(p0, n1 == n ? p0 : p1, k8, w, outC, bias, rq, 0, y0, y1, outOff, lo, hi);
    } else {
      if (n1 != n) gemm2_s8(p0, p1, k8, w, outC, bias, rq, y0, y1, outOff, lo, hi);
      else gemm1_s8(p0, k8, w, outC, bias, rq, y0, outOff, lo, hi);
    }
  }
}

// @ts-ignore: decorator
@inline function dwStore(y: usize, acc: i32, rq: usize, c: usize, outOff: i32, lo: i32, hi: i32): void {
  const v = mbqmTable(acc, rq, c) + outOff;
  store<i8>(y, <i8>clamp(v, lo, hi));
}

// One channel's requantized int8 value in bits 0-7 (mbqmRq; m and f = 1023 - e from its record).
// @ts-ignore: decorator
@inline function dwLane(a: i32, m: i32, f: i32, pow2At: usize, outOff: i32, sat: bool, lo: i32, hi: i32): i32 {
  return clampB8(mbqmRq(a, m, 1023 - f, pow2At), sat, outOff, lo, hi);
}

// dwQuad's body, inlined twice: multipliers and shifts read as 8-byte pairs (4 accesses,
// not 8); with lo, hi the constants -128, 127 the clamp is one SSAT on the Cortex-M4.
// @ts-ignore: decorator
@inline function dwQuadWith(a0: i32, a1: i32, a2: i32, a3: i32, q: usize, outOff: i32, sat: bool, lo: i32, hi: i32): i32 {
  const m01 = load<i64>(q), m23 = load<i64>(q, 8), f01 = load<i64>(q, 32), f23 = load<i64>(q, 40);
  const oo = sat ? outOff + 128 : outOff; // clampB8
  return (sat ? 0x80808080 : 0) ^ (dwLane(a0, <i32>m01, <i32>f01, rqPow2At(q, 0), oo, sat, lo, hi)
    | dwLane(a1, <i32>(m01 >>> 32), <i32>(f01 >>> 32), rqPow2At(q, 1), oo, sat, lo, hi) << 8
    | dwLane(a2, <i32>m23, <i32>f23, rqPow2At(q, 2), oo, sat, lo, hi) << 16
    | dwLane(a3, <i32>(m23 >>> 32), <i32>(f23 >>> 32), rqPow2At(q, 3), oo, sat, lo, hi) << 24);
}

// Four channels' requantized int8 values packed little-endian in an i32 (multipliers and
// shifts from the quad's 48-byte requant record q, quant.ts mbqmRq). A call, not inlined
// (as gemm.ts requantQuad): Cortex-M4 kws 18.63 M -> 18.58 M instructions, 1.2 KB less code.
export function dwQuad(a0: i32, a1: i32, a2: i32, a3: i32, q: usize, outOff: i32, lo: i32, hi: i32): i32 {
  if (lo == -128 && hi == 127) return dwQuadWith(a0, a1, a2, a3, q, outOff, true, -128, 127);
  return dwQuadWith(a0, a1, a2, a3, q, outOff, false, lo, hi);
}

/**
 * dwconv_s8 for depth multiplier 1 (bias required): SIMD build -> dwconv_s8_simd; scalar build
 * -> per pixel, tap bounds hoisted out of the channel loop, 3x3 interior taps unrolled, 8 then 4
 * channels per step (one 8- or 4-byte load of inputs and of weights per tap), then single bytes.
 * Computes c channels: w is [kh, kw, c], bias c values, rq ceil(c/4) quads; x and y pixels lie
 * `stride` >= c bytes apart. The streamed runtime runs a channel group [c0, c0 + c) of a
 * stride-channel tensor with x, y at channel c0 and the group's weights gathered into its stage.
 */
export function dwconv_s8(
  x: usize, inH: i32, inW: i32, c: i32,
  w: usize, kh: i32, kw: i32,
  bias: usize, rq: usize,
  y: usize, batches: i32, outH: i32, outW: i32,
  p: ConvParams, stride: i32 = c,
): void {
  if (ASC_FEATURE_SIMD) {
    dwconv_s8_simd(x, inH, inW, c, w, kh, kw, bias, rq, y, batches, outH, outW, p, stride);
    return;
  }
  // 3x3: whole blocks of 8 channels in dwconv3x3.ts (per-block weights and params in locals);
  // the loops below then run only the remaining c % 8 channels. The planner may place a
  // depthwise output over the part of its input already read in pixel order (docs/FORMAT.md
  // "Output over input"). The channel-block order is safe there too when y - x is a multiple
  // of the pixel stride: each output byte then lies over an input byte of its own channel, which
  // only that channel's outputs read (depth multiplier 1), and per channel the block order
  // makes the same reads and writes in the same order as the pixel order the proof is for.
  // Otherwise (a shift across channels) the pixel-order loops below run every channel.
  let chStart: usize = 0;
  const inBytes = <usize>batches * <usize>inH * <usize>inW * <usize>stride;
  const outBytes = <usize>batches * <usize>outH * <usize>outW * <usize>stride;
  const disjoint = y >= x + inBytes || y + outBytes <= x;
  const sameChannel = <i32>(y - x) % stride == 0;
  if (kh == 3 && kw == 3 && c >= 8 && (disjoint || sameChannel)) {
    chStart = <usize>(c & ~7);
    dwconv3x3_s8_oct(x, inH, inW, <i32>chStart, w, c, bias, rq, y, batches, outH, outW, p, stride);
    if (chStart == <usize>c) return;
  }
  // Quantization params in locals: each read of p is a memory access (a bounds check in C).
  const inOff = p.inputOffset, outOff = p.outputOffset, lo = p.actMin, hi = p.actMax;
  const strideH = p.strideH, strideW = p.strideW, padTop = p.padTop, padLeft = p.padLeft;
  const rowBytes = inW * stride;
  const dH = p.dilationH, dW = p.dilationW;
  const tapW = <usize>(dW * stride), tapH = <usize>(dH * rowBytes);
  const cs = <usize>c; // weights: c bytes per tap
  let out = y;
  for (let b = 0; b < batches; b++) {
    const xb = x + <usize>(b * inH * rowBytes);
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * strideH - padTop;
      const ky0 = iy0 >= 0 ? 0 : (-iy0 + dH - 1) / dH;
      const ky1 = min(kh, (inH - iy0 + dH - 1) / dH);
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * strideW - padLeft;
        const kx0 = ix0 >= 0 ? 0 : (-ix0 + dW - 1) / dW;
        const kx1 = min(kw, (inW - ix0 + dW - 1) / dW);
        const base = xb + <usize>(iy0 * rowBytes + ix0 * stride);
        const full3 = kh == 3 && kw == 3 && ky0 == 0 && kx0 == 0 && ky1 == 3 && kx1 == 3;
        let ch: usize = chStart;
        // 8 channels per step: each tap is one 8-byte load of inputs and one of weights.
        for (; ch + 8 <= cs; ch += 8) {
          const bq = bias + (ch << 2);
          const b01 = load<i64>(bq), b23 = load<i64>(bq, 8), b45 = load<i64>(bq, 16), b67 = load<i64>(bq, 24);
          let a0 = <i32>b01, a1 = <i32>(b01 >>> 32), a2 = <i32>b23, a3 = <i32>(b23 >>> 32);
          let a4 = <i32>b45, a5 = <i32>(b45 >>> 32), a6 = <i32>b67, a7 = <i32>(b67 >>> 32);
          if (full3) {
            const r0 = base + ch, r1 = r0 + tapH, r2 = r1 + tapH, wc = w + ch;
            {
              const xv = load<i64>(r0), wv = load<i64>(wc);
              const xl = <i32>xv, xh = <i32>(xv >>> 32), wl = <i32>wv, wh = <i32>(wv >>> 32);
              a0 += (sb0(xl) + inOff) * sb0(wl); a1 += (sb1(xl) + inOff) * sb1(wl);
              a2 += (sb2(xl) + inOff) * sb2(wl); a3 += (sb3(xl) + inOff) * sb3(wl);
              a4 += (sb0(xh) + inOff) * sb0(wh); a5 += (sb1(xh) + inOff) * sb1(wh);
              a6 += (sb2(xh) + inOff) * sb2(wh); a7 += (sb3(xh) + inOff) * sb3(wh);
            }
            {
              const xv = load<i64>(r0 + tapW), wv = load<i64>(wc + cs);
              const xl = <i32>xv, xh = <i32>(xv >>> 32), wl = <i32>wv, wh = <i32>(wv >>> 32);
              a0 += (sb0(xl) + inOff) * sb0(wl); a1 += (sb1(xl) + inOff) * sb1(wl);
              a2 += (sb2(xl) + inOff) * sb2(wl); a3 += (sb3(xl) + inOff) * sb3(wl);
              a4 += (sb0(xh) + inOff) * sb0(wh); a5 += (sb1(xh) + inOff) * sb1(wh);
              a6 += (sb2(xh) + inOff) * sb2(wh); a7 += (sb3(xh) + inOff) * sb3(wh);
            }
            {
              const xv = load<i64>(r0 + 2 * tapW), wv = load<i64>(wc + 2 * cs);
              const xl = <i32>xv, xh = <i32>(xv >>> 32), wl = <i32>wv, wh = <i32>(wv >>> 32);
              a0 += (sb0(xl) + inOff) * sb0(wl); a1 += (sb1(xl) + inOff) * sb1(wl);
              a2 += (sb2(xl) + inOff) * sb2(wl); a3 += (sb3(xl) + inOff) * sb3(wl);
              a4 += (sb0(xh) + inOff) * sb0(wh); a5 += (sb1(xh) + inOff) * sb1(wh);
              a6 += (sb2(xh) + inOff) * sb2(wh); a7 += (sb3(xh) + inOff) * sb3(wh);
            }
            {
              const xv = load<i64>(r1), wv = load<i64>(wc + 3 * cs);
              const xl = <i32>xv, xh = <i32>(xv >>> 32), wl = <i32>wv, wh = <i32>(wv >>> 32);
              a0 += (sb0(xl) + inOff) * sb0(wl); a1 += (sb1(xl) + inOff) * sb1(wl);
              a2 += (sb2(xl) + inOff) * sb2(wl); a3 += (sb3(xl) + inOff) * sb3(wl);
              a4 += (sb0(xh) + inOff) * sb0(wh); a5 += (sb1(xh) + inOff) * sb1(wh);
              a6 += (sb2(xh) + inOff) * sb2(wh); a7 += (sb3(xh) + inOff) * sb3(wh);
            }
            {
              const xv = load<i64>(r1 + tapW), wv = load<i64>(wc + 4 * cs);
              const xl = <i32>xv, xh = <i32>(xv >>> 32), wl = <i32>wv, wh = <i32>(wv >>> 32);
              a0 += (sb0(xl) + inOff) * sb0(wl); a1 += (sb1(xl) + inOff) * sb1(wl);
              a2 += (sb2(xl) + inOff) * sb2(wl); a3 += (sb3(xl) + inOff) * sb3(wl);
              a4 += (sb0(xh) + inOff) * sb0(wh); a5 += (sb1(xh) + inOff) * sb1(wh);
              a6 += (sb2(xh) + inOff) * sb2(wh); a7 += (sb3(xh) + inOff) * sb3(wh);
            }
            {
              const xv = load<i64>(r1 + 2 * tapW), wv = load<i64>(wc + 5 * cs);
              const xl = <i32>xv, xh = <i32>(xv >>> 32), wl = <i32>wv, wh = <i32>(wv >>> 32);
              a0 += (sb0(xl) + inOff) * sb0(wl); a1 += (sb1(xl) + inOff) * sb1(wl);
              a2 += (sb2(xl) + inOff) * sb2(wl); a3 += (sb3(xl) + inOff) * sb3(wl);
              a4 += (sb0(xh) + inOff) * sb0(wh); a5 += (sb1(xh) + inOff) * sb1(wh);
              a6 += (sb2(xh) + inOff) * sb2(wh); a7 += (sb3(xh) + inOff) * sb3(wh);
            }
            {
              const xv = load<i64>(r2), wv = load<i64>(wc + 6 * cs);
              const xl = <i32>xv, xh = <i32>(xv >>> 32), wl = <i32>wv, wh = <i32>(wv >>> 32);
              a0 += (sb0(xl) + inOff) * sb0(wl); a1 += (sb1(xl) + inOff) * sb1(wl);
              a2 += (sb2(xl) + inOff) * sb2(wl); a3 += (sb3(xl) + inOff) * sb3(wl);
              a4 += (sb0(xh) + inOff) * sb0(wh); a5 += (sb1(xh) + inOff) * sb1(wh);
              a6 += (sb2(xh) + inOff) * sb2(wh); a7 += (sb3(xh) + inOff) * sb3(wh);
            }
            {
              const xv = load<i64>(r2 + tapW), wv = load<i64>(wc + 7 * cs);
              const xl = <i32>xv, xh = <i32>(xv >>> 32), wl = <i32>wv, wh = <i32>(wv >>> 32);
              a0 += (sb0(xl) + inOff) * sb0(wl); a1 += (sb1(xl) + inOff) * sb1(wl);
              a2 += (sb2(xl) + inOff) * sb2(wl); a3 += (sb3(xl) + inOff) * sb3(wl);
              a4 += (sb0(xh) + inOff) * sb0(wh); a5 += (sb1(xh) + inOff) * sb1(wh);
              a6 += (sb2(xh) + inOff) * sb2(wh); a7 += (sb3(xh) + inOff) * sb3(wh);
            }
            {
              const xv = load<i64>(r2 + 2 * tapW), wv = load<i64>(wc + 8 * cs);
              const xl = <i32>xv, xh = <i32>(xv >>> 32), wl = <i32>wv, wh = <i32>(wv >>> 32);
              a0 += (sb0(xl) + inOff) * sb0(wl); a1 += (sb1(xl) + inOff) * sb1(wl);
              a2 += (sb2(xl) + inOff) * sb2(wl); a3 += (sb3(xl) + inOff) * sb3(wl);
              a4 += (sb0(xh) + inOff) * sb0(wh); a5 += (sb1(xh) + inOff) * sb1(wh);
              a6 += (sb2(xh) + inOff) * sb2(wh); a7 += (sb3(xh) + inOff) * sb3(wh);
            }
          } else {
            for (let ky = ky0; ky < ky1; ky++) {
              const xr = base + <usize>ky * tapH + ch, wr = w + <usize>(ky * kw) * cs + ch;
              for (let kx = kx0; kx < kx1; kx++) {
                {
                  const xv = load<i64>(xr + <usize>kx * tapW), wv = load<i64>(wr + <usize>kx * cs);
                  const xl = <i32>xv, xh = <i32>(xv >>> 32), wl = <i32>wv, wh = <i32>(wv >>> 32);
                  a0 += (sb0(xl) + inOff) * sb0(wl); a1 += (sb1(xl) + inOff) * sb1(wl);
                  a2 += (sb2(xl) + inOff) * sb2(wl); a3 += (sb3(xl) + inOff) * sb3(wl);
                  a4 += (sb0(xh) + inOff) * sb0(wh); a5 += (sb1(xh) + inOff) * sb1(wh);
                  a6 += (sb2(xh) + inOff) * sb2(wh); a7 += (sb3(xh) + inOff) * sb3(wh);
                }
              }
            }
          }
          const q = rq + ch * 12; // 48 bytes per quad, ch a multiple of 4
          const lo4 = dwQuad(a0, a1, a2, a3, q, outOff, lo, hi);
          const hi4 = dwQuad(a4, a5, a6, a7, q + 48, outOff, lo, hi);
          store<i64>(out + ch, <i64><u32>lo4 | (<i64>hi4 << 32)); // 8 outputs, one access
        }
        for (; ch + 4 <= cs; ch += 4) {
          let a0 = load<i32>(bias + (ch << 2)), a1 = load<i32>(bias + (ch << 2), 4);
          let a2 = load<i32>(bias + (ch << 2), 8), a3 = load<i32>(bias + (ch << 2), 12);
          if (full3) {
            const r0 = base + ch, r1 = r0 + tapH, r2 = r1 + tapH, wc = w + ch;
            {
              const xv = load<i32>(r0), wv = load<i32>(wc);
              a0 += (sb0(xv) + inOff) * sb0(wv); a1 += (sb1(xv) + inOff) * sb1(wv);
              a2 += (sb2(xv) + inOff) * sb2(wv); a3 += (sb3(xv) + inOff) * sb3(wv);
            }
            {
              const xv = load<i32>(r0 + tapW), wv = load<i32>(wc + cs);
              a0 += (sb0(xv) + inOff) * sb0(wv); a1 += (sb1(xv) + inOff) * sb1(wv);
              a2 += (sb2(xv) + inOff) * sb2(wv); a3 += (sb3(xv) + inOff) * sb3(wv);
            }
            {
              const xv = load<i32>(r0 + 2 * tapW), wv = load<i32>(wc + 2 * cs);
              a0 += (sb0(xv) + inOff) * sb0(wv); a1 += (sb1(xv) + inOff) * sb1(wv);
              a2 += (sb2(xv) + inOff) * sb2(wv); a3 += (sb3(xv) + inOff) * sb3(wv);
            }
            {
              const xv = load<i32>(r1), wv = load<i32>(wc + 3 * cs);
              a0 += (sb0(xv) + inOff) * sb0(wv); a1 += (sb1(xv) + inOff) * sb1(wv);
              a2 += (sb2(xv) + inOff) * sb2(wv); a3 += (sb3(xv) + inOff) * sb3(wv);
            }
            {
              const xv = load<i32>(r1 + tapW), wv = load<i32>(wc + 4 * cs);
              a0 += (sb0(xv) + inOff) * sb0(wv); a1 += (sb1(xv) + inOff) * sb1(wv);
              a2 += (sb2(xv) + inOff) * sb2(wv); a3 += (sb3(xv) + inOff) * sb3(wv);
            }
            {
              const xv = load<i32>(r1 + 2 * tapW), wv = load<i32>(wc + 5 * cs);
              a0 += (sb0(xv) + inOff) * sb0(wv); a1 += (sb1(xv) + inOff) * sb1(wv);
              a2 += (sb2(xv) + inOff) * sb2(wv); a3 += (sb3(xv) + inOff) * sb3(wv);
            }
            {
              const xv = load<i32>(r2), wv = load<i32>(wc + 6 * cs);
              a0 += (sb0(xv) + inOff) * sb0(wv); a1 += (sb1(xv) + inOff) * sb1(wv);
              a2 += (sb2(xv) + inOff) * sb2(wv); a3 += (sb3(xv) + inOff) * sb3(wv);
            }
            {
              const xv = load<i32>(r2 + tapW), wv = load<i32>(wc + 7 * cs);
              a0 += (sb0(xv) + inOff) * sb0(wv); a1 += (sb1(xv) + inOff) * sb1(wv);
              a2 += (sb2(xv) + inOff) * sb2(wv); a3 += (sb3(xv) + inOff) * sb3(wv);
            }
            {
              const xv = load<i32>(r2 + 2 * tapW), wv = load<i32>(wc + 8 * cs);
              a0 += (sb0(xv) + inOff) * sb0(wv); a1 += (sb1(xv) + inOff) * sb1(wv);
              a2 += (sb2(xv) + inOff) * sb2(wv); a3 += (sb3(xv) + inOff) * sb3(wv);
            }
          } else {
            for (let ky = ky0; ky < ky1; ky++) {
              const xr = base + <usize>ky * tapH + ch, wr = w + <usize>(ky * kw) * cs + ch;
              for (let kx = kx0; kx < kx1; kx++) {
                {
                  const xv = load<i32>(xr + <usize>kx * tapW), wv = load<i32>(wr + <usize>kx * cs);
                  a0 += (sb0(xv) + inOff) * sb0(wv); a1 += (sb1(xv) + inOff) * sb1(wv);
                  a2 += (sb2(xv) + inOff) * sb2(wv); a3 += (sb3(xv) + inOff) * sb3(wv);
                }
              }
            }
          }
          store<i32>(out + ch, dwQuad(a0, a1, a2, a3, rq + ch * 12, outOff, lo, hi));
        }
        for (; ch < cs; ch++) {
          let acc = load<i32>(bias + (ch << 2));
          for (let ky = ky0; ky < ky1; ky++) {
            const xr = base + <usize>ky * tapH + ch, wr = w + <usize>(ky * kw) * cs + ch;
            for (let kx = kx0; kx < kx1; kx++) {
              acc += (<i32>load<i8>(xr + <usize>kx * tapW) + inOff) * <i32>load<i8>(wr + <usize>kx * cs);
            }
          }
          dwStore(out + ch, acc, rq, ch, outOff, lo, hi);
        }
        out += <usize>stride;
      }
    }
  }
}
