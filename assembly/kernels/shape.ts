// Data movement over 4-D int8 tensors (shapes right-aligned to rank 4):
// PAD, TRANSPOSE, CONCATENATION, and the MEAN reduction.

import { clamp, mbqm } from './quant';

/** Dims of a rank-4 view: d0..d3. */
@unmanaged export class Dims4 {
  d0: i32; d1: i32; d2: i32; d3: i32;
}

/** pad_s8: y = x surrounded by `value`; before/after point at 4 i32 each. */
export function pad_s8(x: usize, xs: Dims4, y: usize, ys: Dims4, before: usize, value: i32): void {
  const b0 = load<i32>(before), b1 = load<i32>(before, 4), b2 = load<i32>(before, 8), b3 = load<i32>(before, 12);
  memory.fill(y, <u8>value, <usize>(ys.d0 * ys.d1 * ys.d2 * ys.d3));
  for (let i0 = 0; i0 < xs.d0; i0++)
    for (let i1 = 0; i1 < xs.d1; i1++)
      for (let i2 = 0; i2 < xs.d2; i2++) {
        const src = x + <usize>(((i0 * xs.d1 + i1) * xs.d2 + i2) * xs.d3);
        const dst = y + <usize>((((i0 + b0) * ys.d1 + i1 + b1) * ys.d2 + i2 + b2) * ys.d3 + b3);
        memory.copy(dst, src, <usize>xs.d3);
      }
}

/**
 * transpose_s8: y[i0,i1,i2,i3] = x[..] with y axis k taken from x axis perm[k]. When y's last
 * axis is shorter than its third (an NCHW image to NHWC: 3 channels, 224 columns), the loop over
 * the third axis runs innermost (transposeColumns); otherwise the rows are walked in order.
 */
export function transpose_s8(x: usize, xs: Dims4, y: usize, ys: Dims4, perm: usize): void {
  if (ys.d3 < ys.d2) transposeColumns(x, xs, y, ys, perm);
  else transposeRows(x, xs, y, ys, perm);
}

/** x's stride (in bytes) of its axis perm[k], for y axis k. */
// @ts-ignore: decorator
@inline function permStride(xs: Dims4, perm: usize, k: usize): i32 {
  const a = load<i32>(perm + (k << 2));
  return a == 0 ? xs.d1 * xs.d2 * xs.d3 : a == 1 ? xs.d2 * xs.d3 : a == 2 ? xs.d3 : 1;
}

/** transpose_s8 with y's third axis innermost: loads s2 apart, stores d3 apart. */
function transposeColumns(x: usize, xs: Dims4, y: usize, ys: Dims4, perm: usize): void {
  const s0 = permStride(xs, perm, 0), s1 = permStride(xs, perm, 1), s2 = <usize>permStride(xs, perm, 2), s3 = permStride(xs, perm, 3);
  const d2 = ys.d2, d3 = ys.d3, step = <usize>d3;
  let row = y;
  for (let i0 = 0; i0 < ys.d0; i0++)
    for (let i1 = 0; i1 < ys.d1; i1++) {
      for (let i3 = 0; i3 < d3; i3++) {
        let src = x + <usize>(i0 * s0 + i1 * s1 + i3 * s3), dst = row + <usize>i3;
        for (let i2 = 0; i2 < d2; i2++) {
          store<i8>(dst, load<i8>(src));
          src += s2;
          dst += step;
        }
      }
      row += <usize>(d2 * d3);
    }
}

/** transpose_s8 in y's order, its last axis innermost. */
export function transposeRows(x: usize, xs: Dims4, y: usize, ys: Dims4, perm: usize): void {
  const xStride = memory.data(16);
  store<i32>(xStride, xs.d1 * xs.d2 * xs.d3);
  store<i32>(xStride, xs.d2 * xs.d3, 4);
  store<i32>(xStride, xs.d3, 8);
  store<i32>(xStride, 1, 12);
  const s0 = load<i32>(xStride + (<usize>load<i32>(perm) << 2));
  const s1 = load<i32>(xStride + (<usize>load<i32>(perm, 4) << 2));
  const s2 = load<i32>(xStride + (<usize>load<i32>(perm, 8) << 2));
  const s3 = load<i32>(xStride + (<usize>load<i32>(perm, 12) << 2));
  let out = y;
  for (let i0 = 0; i0 < ys.d0; i0++)
    for (let i1 = 0; i1 < ys.d1; i1++)
      for (let i2 = 0; i2 < ys.d2; i2++) {
        const base = x + <usize>(i0 * s0 + i1 * s1 + i2 * s2);
        for (let i3 = 0; i3 < ys.d3; i3++) {
          store<i8>(out, load<i8>(base + <usize>(i3 * s3)));
          out++;
        }
      }
}

/**
 * concat_copy: copies one input of a concatenation into its slice of the output.
 * outer = product of dims before the axis; inner = input axis dim x dims after it.
 */
export function concat_copy(x: usize, y: usize, outer: i32, inner: i32, outInner: i32, offset: i32): void {
  for (let o = 0; o < outer; o++) {
    memory.copy(y + <usize>(o * outInner + offset), x + <usize>(o * inner), <usize>inner);
  }
}

/**
 * mean_s8: reduces the axes set in `mask` (bit k = axis k of the 4-D view).
 * y = clamp(requant(sum - zp_in * N) + zp_out); the 1/N is folded into (mult, shift).
 * Axes 1 and 2 (a global average over an NHWC image) take meanPixels; others meanAxes.
 * Every path sums in wrapping i32 (the same value in any order).
 */
export function mean_s8(x: usize, xs: Dims4, y: usize, mask: i32, inZp: i32, outZp: i32, mult: i32, shift: i32): void {
  if (mask == 6) meanPixels(x, xs, y, inZp, outZp, mult, shift);
  else meanAxes(x, xs, y, mask, inZp, outZp, mult, shift);
}

/** Pixels summed in i16 lanes before widening: 256 * 128 = 32768 = -i16.MIN, 256 * 127 < i16.MAX. */
const MEAN_I16_PIXELS = 256;

/** mean_s8 over axes 1 and 2: per image, each channel summed over the d1 * d2 pixels d3 bytes apart. */
function meanPixels(x: usize, xs: Dims4, y: usize, inZp: i32, outZp: i32, mult: i32, shift: i32): void {
  const n = xs.d1 * xs.d2, c = xs.d3, off = inZp * n, stride = <usize>c;
  for (let b = 0; b < xs.d0; b++) {
    const xb = x + <usize>b * <usize>n * stride, yb = y + <usize>(b * c);
    let ch = 0;
    if (ASC_FEATURE_SIMD) {
      for (; ch + 16 <= c; ch += 16) { // 16 channels in i16 lanes, widened every MEAN_I16_PIXELS pixels
        let s0 = i32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
        for (let p0 = 0; p0 < n; p0 += MEAN_I16_PIXELS) {
          let lo = i16x8.splat(0), hi = lo;
          let src = xb + <usize>p0 * stride + <usize>ch;
          for (let p = p0, p1 = min(n, p0 + MEAN_I16_PIXELS); p < p1; p++) {
            const v = v128.load(src);
            lo = i16x8.add(lo, i16x8.extend_low_i8x16_s(v));
            hi = i16x8.add(hi, i16x8.extend_high_i8x16_s(v));
            src += stride;
          }
          s0 = i32x4.add(s0, i32x4.extend_low_i16x8_s(lo)); s1 = i32x4.add(s1, i32x4.extend_high_i16x8_s(lo));
          s2 = i32x4.add(s2, i32x4.extend_low_i16x8_s(hi)); s3 = i32x4.add(s3, i32x4.extend_high_i16x8_s(hi));
        }
        const t = MEAN_SUMS;
        v128.store(t, s0); v128.store(t, s1, 16); v128.store(t, s2, 32); v128.store(t, s3, 48);
        for (let k = 0; k < 16; k++) meanStore(yb + <usize>(ch + k), load<i32>(t + (<usize>k << 2)), off, outZp, mult, shift);
      }
    }
    for (; ch < c; ch++) {
      let sum: i32 = 0, src = xb + <usize>ch;
      for (let p = 0; p < n; p++) { sum += <i32>load<i8>(src); src += stride; }
      meanStore(yb + <usize>ch, sum, off, outZp, mult, shift);
    }
  }
}

/** 16 channel sums of meanPixels (SIMD build only). */
const MEAN_SUMS: usize = ASC_FEATURE_SIMD ? memory.data(64, 16) : 0;

// @ts-ignore: decorator
@inline function meanStore(y: usize, sum: i32, off: i32, outZp: i32, mult: i32, shift: i32): void {
  store<i8>(y, <i8>clamp(mbqm(sum - off, mult, shift) + outZp, -128, 127));
}

/** mean_s8 over any set of axes: the reduced axes innermost, one output at a time. */
export function meanAxes(x: usize, xs: Dims4, y: usize, mask: i32, inZp: i32, outZp: i32, mult: i32, shift: i32): void {
  const r0 = mask & 1 ? xs.d0 : 1, r1 = mask & 2 ? xs.d1 : 1, r2 = mask & 4 ? xs.d2 : 1, r3 = mask & 8 ? xs.d3 : 1;
  const k0 = mask & 1 ? 1 : xs.d0, k1 = mask & 2 ? 1 : xs.d1, k2 = mask & 4 ? 1 : xs.d2, k3 = mask & 8 ? 1 : xs.d3;
  const n = r0 * r1 * r2 * r3;
  let out = y;
  for (let o0 = 0; o0 < k0; o0++)
    for (let o1 = 0; o1 < k1; o1++)
      for (let o2 = 0; o2 < k2; o2++)
        for (let o3 = 0; o3 < k3; o3++) {
          let sum: i32 = 0;
          for (let j0 = 0; j0 < r0; j0++)
            for (let j1 = 0; j1 < r1; j1++)
              for (let j2 = 0; j2 < r2; j2++)
                for (let j3 = 0; j3 < r3; j3++) {
                  const i = (((o0 + j0) * xs.d1 + o1 + j1) * xs.d2 + o2 + j2) * xs.d3 + o3 + j3;
                  sum += <i32>load<i8>(x + <usize>i);
                }
          const v = mbqm(sum - inZp * n, mult, shift) + outZp;
          store<i8>(out, <i8>clamp(v, -128, 127));
          out++;
        }
}
