// Packed conv_s8 driver of the SIMD build: the same pixel pairs, patches and GEMM as conv.ts
// conv_s8, without its per-pair integer divisions (the pair's batch, row and column advance
// by counting) and with im2col rows moved by copy-simd.ts. Small layers (person_detect's
// first conv: 9-byte patches, 8 output channels) spent more time finding and copying their
// patches than in the GEMM. Bit-exact with conv_s8: same patches, same gemm2_s8_simd.

import { ConvParams } from './conv';
import { gemm2_s8_simd, gemm2_s8_simd_rows } from './gemm-simd';
import { copyBytesSimd, fillBytesSimd } from './copy-simd';
import { rqfBias, rqfMagic, rqfPrepare, splat8 } from './requant-simd';
import { gemm2_s8_lanes, lanesPrepare } from './gemm-lanes-simd';
import { gemm16_s8_simd, widenRow16 } from './gemm16-simd';

/** Writes the K-byte patch of output pixel (b, oy, ox) at dst exactly as conv.ts im2col does. */
// @ts-ignore: decorator
@inline function im2colSimd(
  x: usize, inH: i32, inW: i32, inC: i32, kh: i32, kw: i32,
  b: i32, oy: i32, ox: i32, sH: i32, sW: i32, padTop: i32, padLeft: i32, dH: i32, dW: i32, zp: u8, dst: usize,
): void {
  const iy0 = oy * sH - padTop, ix0 = ox * sW - padLeft;
  const rowC = kw * inC;
  const colsInside = ix0 >= 0 && ix0 + (kw - 1) * dW < inW;
  let d = dst;
  for (let ky = 0; ky < kh; ky++) {
    const iy = iy0 + ky * dH;
    const row = x + <usize>((b * inH + iy) * inW) * <usize>inC;
    if (iy < 0 || iy >= inH) {
      fillBytesSimd(d, zp, rowC);
    } else if (dW == 1 && colsInside) {
      copyBytesSimd(d, row + <usize>(ix0 * inC), rowC); // whole kernel row inside the image
    } else {
      for (let kx = 0; kx < kw; kx++) {
        const ix = ix0 + kx * dW;
        if (ix < 0 || ix >= inW) fillBytesSimd(d + <usize>(kx * inC), zp, inC);
        else copyBytesSimd(d + <usize>(kx * inC), row + <usize>(ix * inC), inC);
      }
    }
    d += <usize>rowC;
  }
}

/** Slices (8 bytes of K each) of the largest patch read in place: K8 <= 2048 (3x3 over 224 channels). */
const SLICE_OFFS_MAX = 256;
/** Byte offset of each slice of a patch within the input, for gemm2_s8_simd_rows (SIMD build only; 0 bytes elsewhere). */
const SLICE_OFFS: usize = ASC_FEATURE_SIMD ? memory.data(SLICE_OFFS_MAX * 4, 16) : 0;

/** The 32-byte patch of a 3x3 kernel over 3 channels whose rows start at r, r + stride, r + 2 stride. */
// @ts-ignore: decorator
@inline function patch27(r: usize, stride: usize, dst: usize): void {
  const r0 = v128.load(r), r1 = v128.load(r + stride), r2 = v128.load(r + (stride << 1));
  v128.store(dst, i8x16.shuffle(r0, r1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 17, 18, 19, 20, 21, 22));
  // bytes 27-31 zero, as im2col leaves the K8 - K tail: whatever the padding weights hold
  // (zero from the converter; any value in an edited file), both builds then sum the same
  const tail = i8x16(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0);
  v128.store(dst, v128.and(i8x16.shuffle(r1, r2, 7, 8, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29), tail), 16);
}

/** Bytes of a border pixel's patch for gemm2_s8_lanes: kh rows of kw * inC taps, each row rounded up to 8 bytes. */
const LANES_PATCH_BYTES = 256;
/** Two such patches (SIMD build only). */
const LANES_PATCH: usize = ASC_FEATURE_SIMD ? memory.data(2 * LANES_PATCH_BYTES, 16) : 0;

/**
 * Writes the patch of output pixel (b, oy, ox) for gemm2_s8_lanes at dst: kh rows of kw * inC
 * taps (dilationW 1), rowBytes apart, padding taps the input zero point.
 */
function lanesPatch(
  x: usize, inH: i32, inW: i32, inC: i32, kh: i32, kw: i32,
  b: i32, iy0: i32, ix0: i32, dH: i32, zp: u8, dst: usize, rowBytes: usize,
): void {
  const rowC = kw * inC, colsInside = ix0 >= 0 && ix0 + kw <= inW;
  let d = dst;
  for (let ky = 0; ky < kh; ky++) {
    const iy = iy0 + ky * dH;
    const row = x + <usize>((b * inH + iy) * inW) * <usize>inC;
    if (iy < 0 || iy >= inH) {
      fillBytesSimd(d, zp, rowC);
    } else if (colsInside) {
      copyBytesSimd(d, row + <usize>(ix0 * inC), rowC);
    } else {
      for (let kx = 0, e = d; kx < kw; kx++, e += <usize>inC) {
        const ix = ix0 + kx;
        if (ix < 0 || ix >= inW) fillBytesSimd(e, zp, inC);
        else copyBytesSimd(e, row + <usize>(ix * inC), inC);
      }
    }
    d += rowBytes;
  }
}

/**
 * conv_s8_simd for the layers gemm2_s8_lanes takes (its weights laid out by lanesPrepare):
 * 1x1 direct (one row of inC taps per pixel) or dilationW 1 (kh rows of kw * inC taps), two
 * pixels per step; a pixel whose taps all lie inside the image is read in place, any other
 * from a patch in LANES_PATCH.
 */
function convLanes(
  x: usize, inH: i32, inW: i32, inC: i32, kh: i32, kw: i32, direct: bool,
  bias: usize, rq: usize, rqf: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32, p: ConvParams, yStride: i32,
): void {
  const rows = direct ? 1 : kh, rowC = direct ? inC : kw * inC;
  const sH = p.strideH, sW = p.strideW, padTop = p.padTop, padLeft = p.padLeft, dH = p.dilationH;
  const zp = <u8>(-p.inputOffset), outOff = p.outputOffset, lo = p.actMin, hi = p.actMax;
  const inStride = <usize>(dH * inW * inC), patchStride = <usize>((rowC + 7) & ~7);
  const iyMax = inH - 1 - (kh - 1) * dH, ixMax = inW - kw; // last top-left tap inside the image
  const total = batches * outH * outW;
  const outOffV = i32x4.splat(outOff), loV = splat8(lo), hiV = splat8(hi); // gemm2Body's splats
  const magic = rqfMagic(outOff), fBias = i32x4.splat(rqfBias), fOutside = i32x4.splat(~(rqfBias * 2 - 1));
  if (direct && contiguousPixels(inH, inW, outH, outW, p)) { // pixel n's taps at x + n inC: no positions to track
    const step = <usize>inC, yStep = <usize>yStride;
    let p0 = x, y0 = y, n = 0;
    for (; n + 2 <= total; n += 2) {
      gemm2_s8_lanes(p0, 0, p0 + step, 0, 1, inC, outC, bias, rq, rqf, y0, y0 + yStep, outOffV, loV, hiV, magic, fBias, fOutside);
      p0 += step << 1; y0 += yStep << 1;
    }
    if (n < total) gemm2_s8_lanes(p0, 0, p0, 0, 1, inC, outC, bias, rq, rqf, y0, y0, outOffV, loV, hiV, magic, fBias, fOutside);
    return;
  }
  let b0 = 0, oy0 = 0, ox0 = 0; // pixel n
  for (let n = 0; n < total; n += 2) {
    let b1 = b0, oy1 = oy0, ox1 = ox0; // pixel n + 1, or n again at the end
    const two = n + 1 < total;
    if (two) {
      ox1++;
      if (ox1 == outW) { ox1 = 0; oy1++; if (oy1 == outH) { oy1 = 0; b1++; } }
    }
    const y0 = y + <usize>(n * yStride), y1 = two ? y0 + <usize>yStride : y0;
    const iy0 = oy0 * sH - padTop, ix0 = ox0 * sW - padLeft, iy1 = oy1 * sH - padTop, ix1 = ox1 * sW - padLeft;
    let p0 = x + <usize>(((b0 * inH + iy0) * inW + ix0) * inC), s0 = inStride;
    if (!direct && !(iy0 >= 0 && iy0 <= iyMax && ix0 >= 0 && ix0 <= ixMax)) {
      p0 = LANES_PATCH; s0 = patchStride;
      lanesPatch(x, inH, inW, inC, kh, kw, b0, iy0, ix0, dH, zp, p0, patchStride);
    }
    let p1 = p0, s1 = s0;
    if (two) {
      p1 = x + <usize>(((b1 * inH + iy1) * inW + ix1) * inC); s1 = inStride;
      if (!direct && !(iy1 >= 0 && iy1 <= iyMax && ix1 >= 0 && ix1 <= ixMax)) {
        p1 = LANES_PATCH + LANES_PATCH_BYTES; s1 = patchStride;
        lanesPatch(x, inH, inW, inC, kh, kw, b1, iy1, ix1, dH, zp, p1, patchStride);
      }
    }
    gemm2_s8_lanes(p0, s0, p1, s1, rows, rowC, outC, bias, rq, rqf, y0, y1, outOffV, loV, hiV, magic, fBias, fOutside);
    // pixel n + 2
    b0 = b1; oy0 = oy1; ox0 = ox1 + 1;
    if (ox0 == outW) { ox0 = 0; oy0++; if (oy0 == outH) { oy0 = 0; b0++; } }
  }
}

/**
 * True when a 1x1 conv's output pixel n reads input pixel n (stride 1 over the whole image): its
 * taps lie at x + n inC and its output at y + n yStride, so a loop needs no positions. Found 0.77x
 * and 0.86x of the tracked loop's time per op on person_detect's 1x1 convs over 8 and 16
 * channels (the lanes GEMM inlined into a loop that tracks batch, row and column keeps fewer of
 * its values in registers).
 */
// @ts-ignore: decorator
@inline function contiguousPixels(inH: i32, inW: i32, outH: i32, outW: i32, p: ConvParams): bool {
  return p.strideH == 1 && p.strideW == 1 && outH == inH && outW == inW;
}

/**
 * One GEMM call over the rows p0 and p1 (== p0: one row) -> y0, y1: gemm16_s8_simd on their taps
 * widened into row16 when the op's weights were widened (w16 != 0), else gemm2_s8_simd on the
 * blocked weights w; offs != 0: the rows are read in place through that slice table
 * (gemm2_s8_simd_rows).
 */
// @ts-ignore: decorator
@inline function gemmRows(
  p0: usize, p1: usize, offs: usize, k8: i32, w: usize, w16: usize, row16: usize, outC: i32,
  bias: usize, rq: usize, rqf: usize, y0: usize, y1: usize, outOff: i32, lo: i32, hi: i32,
): void {
  if (w16 != 0) {
    const two = p1 != p0, r1 = two ? row16 + (<usize>k8 << 1) : row16;
    widenRow16(p0, offs, k8, row16);
    if (two) widenRow16(p1, offs, k8, r1);
    gemm16_s8_simd(row16, r1, two, k8, w16, outC, bias, rq, rqf, y0, y1, outOff, lo, hi);
  } else if (offs != 0) {
    gemm2_s8_simd_rows(p0, p1, offs, k8, w, outC, bias, rq, rqf, y0, y1, outOff, lo, hi);
  } else {
    gemm2_s8_simd(p0, p1, k8, w, outC, bias, rq, rqf, y0, y1, outOff, lo, hi);
  }
}

/**
 * conv.ts conv_s8 (same arguments and contract) for the SIMD build. w16: the weights widened at
 * load (gemm16-simd.ts; 0: none), row16: 4 K8 bytes for the widened rows.
 */
export function conv_s8_simd(
  x: usize, inH: i32, inW: i32, inC: i32,
  w: usize, kh: i32, kw: i32, k8: i32,
  bias: usize, rq: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  p: ConvParams, scratch: usize, yStride: i32, w16: usize = 0, row16: usize = 0,
): void {
  const direct = kh == 1 && kw == 1 && p.padTop == 0 && p.padLeft == 0
    && <i64>(outH - 1) * <i64>p.strideH < <i64>inH && <i64>(outW - 1) * <i64>p.strideW < <i64>inW;
  const total = batches * outH * outW;
  const sH = p.strideH, sW = p.strideW, padTop = p.padTop, padLeft = p.padLeft;
  const dH = p.dilationH, dW = p.dilationW, zp = <u8>(-p.inputOffset);
  const outOff = p.outputOffset, lo = p.actMin, hi = p.actMax;
  const kk = kh * kw * inC;
  const rqf = rqfPrepare(rq, (outC + 3) >> 2);
  // Few taps (<= 20 pairs, K <= 40): output channels in the lanes of gemm2_s8_lanes, no horizontal sums
  if (direct || dW == 1) {
    const rows = direct ? 1 : kh, taps = direct ? inC : kw * inC; // per row
    if (rows * ((taps + 7) & ~7) <= LANES_PATCH_BYTES && lanesPrepare(w, k8, outC, rows, taps)) {
      convLanes(x, inH, inW, inC, kh, kw, direct, bias, rq, rqf, y, batches, outH, outW, outC, p, yStride);
      return;
    }
  }
  if (!direct) { // the K8 - K <= 7 tail bytes of both patches: zero (their weights are zero)
    fillBytesSimd(scratch + <usize>kk, 0, k8 - kk);
    fillBytesSimd(scratch + <usize>(k8 + kk), 0, k8 - kk);
  }
  // Kernel rows of kw * inC bytes (a multiple of 8, so K8 = K and the rows meet the packed
  // weights' 8-deep slices) are read in place for pixels whose taps all lie inside the image:
  // the same bytes im2col would copy (bit-exact), without the copy (ic_resnet8's 3x3 layers over
  // 16-64 channels spent ~20% of their time copying patches).
  const rowC = kw * inC;
  const inPlace = !direct && dW == 1 && (rowC & 7) == 0 && (k8 >> 3) <= SLICE_OFFS_MAX;
  const iyMax = inH - 1 - (kh - 1) * dH, ixMax = inW - kw; // last top-left tap inside the image
  if (inPlace) { // slice s of a patch: kernel row 8s / rowC, byte 8s % rowC of it
    const rowStride = dH * inW * inC;
    for (let s = 0, ky = 0, c = 0; s < (k8 >> 3); s++) {
      store<u32>(SLICE_OFFS + (<usize>s << 2), <u32>(ky * rowStride + c));
      c += 8;
      if (c == rowC) { c = 0; ky++; }
    }
  }
  // 3x3 over 3 channels (RGB first layers, K = 27, K8 = 32): an inside pixel's patch is built in
  // two vector registers from three 16-byte row loads and stored as two whole 16-byte stores.
  // Copied 9 bytes at a time (two overlapping 8-byte moves), the GEMM's 8-byte loads straddled
  // the copies' stores, which the CPU cannot forward. The loads read up to 7 bytes past the
  // row (the same allowance as a GEMM row read in place); patch bytes 27..31 then hold input
  // bytes instead of zeros, against zero weights (im2colSimd rewrites only bytes 0..26).
  if (direct && contiguousPixels(inH, inW, outH, outW, p)) { // as convLanes: pixel n at x + n inC
    const step = <usize>inC, yStep = <usize>yStride;
    let p0 = x, y0 = y, n = 0;
    for (; n + 2 <= total; n += 2) {
      gemmRows(p0, p0 + step, 0, k8, w, w16, row16, outC, bias, rq, rqf, y0, y0 + yStep, outOff, lo, hi);
      p0 += step << 1; y0 += yStep << 1;
    }
    if (n < total) gemmRows(p0, p0, 0, k8, w, w16, row16, outC, bias, rq, rqf, y0, y0, outOff, lo, hi);
    return;
  }
  const rgb3x3 = !direct && inC == 3 && kh == 3 && kw == 3 && dW == 1 && k8 == 32;
  const rowStride3 = <usize>(dH * inW * 3);
  let b0 = 0, oy0 = 0, ox0 = 0; // pixel n
  for (let n = 0; n < total; n += 2) {
    let b1 = b0, oy1 = oy0, ox1 = ox0; // pixel n + 1, or n again at the end
    const two = n + 1 < total;
    if (two) {
      ox1++;
      if (ox1 == outW) { ox1 = 0; oy1++; if (oy1 == outH) { oy1 = 0; b1++; } }
    }
    let p0: usize, p1: usize;
    const y0 = y + <usize>(n * yStride), y1 = two ? y0 + <usize>yStride : y0;
    if (inPlace) { // both pixels' taps inside the image: the GEMM reads the kernel rows in place
      const iy0 = oy0 * sH - padTop, ix0 = ox0 * sW - padLeft, iy1 = oy1 * sH - padTop, ix1 = ox1 * sW - padLeft;
      if (iy0 >= 0 && iy0 <= iyMax && ix0 >= 0 && ix0 <= ixMax && iy1 >= 0 && iy1 <= iyMax && ix1 >= 0 && ix1 <= ixMax) {
        p0 = x + <usize>(((b0 * inH + iy0) * inW + ix0) * inC);
        p1 = two ? x + <usize>(((b1 * inH + iy1) * inW + ix1) * inC) : p0;
        gemmRows(p0, p1, SLICE_OFFS, k8, w, w16, row16, outC, bias, rq, rqf, y0, y1, outOff, lo, hi);
        b0 = b1; oy0 = oy1; ox0 = ox1 + 1;
        if (ox0 == outW) { ox0 = 0; oy0++; if (oy0 == outH) { oy0 = 0; b0++; } }
        continue;
      }
    }
    if (rgb3x3) { // 3x3 over 3 channels: an inside pixel's patch from three 16-byte row loads
      p0 = scratch;
      p1 = two ? scratch + 32 : p0;
      const iy0 = oy0 * sH - padTop, ix0 = ox0 * sW - padLeft;
      if (iy0 >= 0 && iy0 <= iyMax && ix0 >= 0 && ix0 <= ixMax) patch27(x + <usize>(((b0 * inH + iy0) * inW + ix0) * 3), rowStride3, p0);
      else im2colSimd(x, inH, inW, inC, kh, kw, b0, oy0, ox0, sH, sW, padTop, padLeft, dH, dW, zp, p0);
      if (two) {
        const iy1 = oy1 * sH - padTop, ix1 = ox1 * sW - padLeft;
        if (iy1 >= 0 && iy1 <= iyMax && ix1 >= 0 && ix1 <= ixMax) patch27(x + <usize>(((b1 * inH + iy1) * inW + ix1) * 3), rowStride3, p1);
        else im2colSimd(x, inH, inW, inC, kh, kw, b1, oy1, ox1, sH, sW, padTop, padLeft, dH, dW, zp, p1);
      }
    } else if (direct) {
      p0 = x + <usize>(((b0 * inH + oy0 * sH) * inW + ox0 * sW) * inC);
      p1 = x + <usize>(((b1 * inH + oy1 * sH) * inW + ox1 * sW) * inC);
    } else {
      p0 = scratch;
      p1 = two ? scratch + <usize>k8 : p0;
      im2colSimd(x, inH, inW, inC, kh, kw, b0, oy0, ox0, sH, sW, padTop, padLeft, dH, dW, zp, p0);
      if (two) im2colSimd(x, inH, inW, inC, kh, kw, b1, oy1, ox1, sH, sW, padTop, padLeft, dH, dW, zp, p1);
    }
    gemmRows(p0, two ? p1 : p0, 0, k8, w, w16, row16, outC, bias, rq, rqf, y0, y1, outOff, lo, hi);
    // pixel n + 2
    b0 = b1; oy0 = oy1; ox0 = ox1 + 1;
    if (ox0 == outW) { ox0 = 0; oy0++; if (oy0 == outH) { oy0 = 0; b0++; } }
  }
}
