// Average and max pooling over int8 NHWC, as TFLite's reference_integer_ops pooling:
// windows are clipped to the image, the average divides by the clipped count with
// rounding half away from zero.

import { clamp } from './quant';
import { WIDE_GEMM } from '../wide-table';

@unmanaged export class PoolParams {
  strideH: i32;
  strideW: i32;
  filterH: i32;
  filterW: i32;
  padTop: i32;
  padLeft: i32;
  actMin: i32;
  actMax: i32;
}

/**
 * The rounded average of acc over count pixels, half away from zero; 0 for an empty window:
 * pool_s8's per-channel loop in one expression (that loop keeps its own form, which the
 * firmware runtimes are compiled from).
 */
// @ts-ignore: decorator
@inline function average(acc: i32, count: i32): i32 {
  return count == 0 ? 0 : acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
}

export function pool_s8(
  isMax: bool,
  x: usize, inH: i32, inW: i32, channels: i32,
  y: usize, batches: i32, outH: i32, outW: i32,
  p: PoolParams,
): void {
  let out = y;
  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      const fy0 = max(0, -iy0);
      const fy1 = min(p.filterH, inH - iy0);
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        const fx0 = max(0, -ix0);
        const fx1 = min(p.filterW, inW - ix0);
        let c = 0;
        if (ASC_FEATURE_SIMD) {
          c = poolGroups16(isMax, x, b, inH, inW, channels, iy0, ix0, fy0, fy1, fx0, fx1, out, p.actMin, p.actMax);
          out += <usize>c;
        } else if (WIDE_GEMM) {
          c = poolGroups4(isMax, x, b, inH, inW, channels, iy0, ix0, fy0, fy1, fx0, fx1, out, p.actMin, p.actMax);
          out += <usize>c;
        }
        for (; c < channels; c++) {
          let acc: i32 = isMax ? -128 : 0;
          let count: i32 = 0;
          for (let fy = fy0; fy < fy1; fy++) {
            const row = x + <usize>(((b * inH + iy0 + fy) * inW + ix0) * channels + c);
            for (let fx = fx0; fx < fx1; fx++) {
              const v = <i32>load<i8>(row + <usize>(fx * channels));
              if (isMax) acc = max(acc, v);
              else acc += v;
              count++;
            }
          }
          if (!isMax) {
            // An empty window (possible only with padding wider than the filter) yields 0.
            if (count == 0) acc = 0;
            else acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          }
          store<i8>(out, <i8>clamp(acc, p.actMin, p.actMax));
          out++;
        }
      }
    }
  }
}

/** Window pixels whose 16 channel sums fit i16 lanes: 256 * -128 = i16.MIN, 256 * 127 < i16.MAX. */
const POOL_I16_PIXELS = 256;
/** 16 channel sums of poolGroups16 (SIMD build only). */
const POOL_SUMS: usize = ASC_FEATURE_SIMD ? memory.data(64, 16) : 0;

/**
 * SIMD build: pool_s8's output pixel for channels [0, 16k) in groups of 16, the window
 * [fy0, fy1) x [fx0, fx1) from (iy0, ix0): max in i8x16 lanes, clamped to [actMin, actMax]
 * (values within int8: the same bytes as the scalar clamp); average summed in i16 lanes, then
 * each channel divided and clamped as pool_s8 does. Returns the first channel left to pool_s8's
 * scalar loop (all of them for an average over more than POOL_I16_PIXELS pixels). Stores
 * 16 bytes inside the output pixel after reading its window, as pool_s8 (docs/FORMAT.md
 * "Output over input").
 */
function poolGroups16(
  isMax: bool, x: usize, b: i32, inH: i32, inW: i32, channels: i32,
  iy0: i32, ix0: i32, fy0: i32, fy1: i32, fx0: i32, fx1: i32, out: usize, actMin: i32, actMax: i32,
): i32 {
  const count = max(0, fy1 - fy0) * max(0, fx1 - fx0);
  if (!isMax && count > POOL_I16_PIXELS) return 0;
  if (isMax && (actMin < -128 || actMax > 127)) return 0; // clamp bounds outside int8: scalar loop
  const rowStride = <usize>(inW * channels), pixStride = <usize>channels;
  let c = 0;
  for (; c + 16 <= channels; c += 16) {
    const first = x + <usize>(((b * inH + iy0 + fy0) * inW + ix0 + fx0) * channels + c);
    if (isMax) {
      let m = i8x16.splat(-128);
      for (let fy = fy0, row = first; fy < fy1; fy++, row += rowStride) {
        for (let fx = fx0, q = row; fx < fx1; fx++, q += pixStride) m = i8x16.max_s(m, v128.load(q));
      }
      v128.store(out + <usize>c, i8x16.min_s(i8x16.max_s(m, i8x16.splat(<i8>actMin)), i8x16.splat(<i8>actMax)));
    } else {
      let lo = i16x8.splat(0), hi = lo;
      for (let fy = fy0, row = first; fy < fy1; fy++, row += rowStride) {
        for (let fx = fx0, q = row; fx < fx1; fx++, q += pixStride) {
          const v = v128.load(q);
          lo = i16x8.add(lo, i16x8.extend_low_i8x16_s(v));
          hi = i16x8.add(hi, i16x8.extend_high_i8x16_s(v));
        }
      }
      const t = POOL_SUMS;
      v128.store(t, i32x4.extend_low_i16x8_s(lo)); v128.store(t, i32x4.extend_high_i16x8_s(lo), 16);
      v128.store(t, i32x4.extend_low_i16x8_s(hi), 32); v128.store(t, i32x4.extend_high_i16x8_s(hi), 48);
      for (let k = 0; k < 16; k++) {
        const acc = load<i32>(t + (<usize>k << 2));
        store<i8>(out + <usize>(c + k), <i8>clamp(average(acc, count), actMin, actMax));
      }
    }
  }
  return c;
}

/**
 * The full scalar build (WIDE_GEMM: the module a JIT host runs; the streamed build and the
 * model-specific firmware runtimes compile it out): pool_s8's output pixel for channels
 * [0, 4k) four at a time, each window pixel's 4 channels by one i32 load, sign-extended by
 * shifts into 4 sums (or maxima) held in locals; the same integers, divisions and clamps as the
 * per-channel loop, which read the window channel by channel with a strided load and a branch on
 * isMax per value (kws's 25x5 average over 64 channels: 15x its SIMD time). Stores a group's 4
 * bytes after reading its window, as that loop stores each channel (docs/FORMAT.md "Output over
 * input"). Returns the first channel left to the loop.
 */
function poolGroups4(
  isMax: bool, x: usize, b: i32, inH: i32, inW: i32, channels: i32,
  iy0: i32, ix0: i32, fy0: i32, fy1: i32, fx0: i32, fx1: i32, out: usize, actMin: i32, actMax: i32,
): i32 {
  const count = max(0, fy1 - fy0) * max(0, fx1 - fx0);
  const rowStride = <usize>(inW * channels), pixStride = <usize>channels;
  let c = 0;
  for (; c + 4 <= channels; c += 4) {
    const first = x + <usize>(((b * inH + iy0 + fy0) * inW + ix0 + fx0) * channels + c);
    let a0: i32 = isMax ? -128 : 0, a1 = a0, a2 = a0, a3 = a0;
    if (isMax) {
      for (let fy = fy0, row = first; fy < fy1; fy++, row += rowStride) {
        for (let fx = fx0, q = row; fx < fx1; fx++, q += pixStride) {
          const v = load<i32>(q);
          a0 = max(a0, (v << 24) >> 24); a1 = max(a1, (v << 16) >> 24);
          a2 = max(a2, (v << 8) >> 24); a3 = max(a3, v >> 24);
        }
      }
    } else {
      for (let fy = fy0, row = first; fy < fy1; fy++, row += rowStride) {
        for (let fx = fx0, q = row; fx < fx1; fx++, q += pixStride) {
          const v = load<i32>(q);
          a0 += (v << 24) >> 24; a1 += (v << 16) >> 24;
          a2 += (v << 8) >> 24; a3 += v >> 24;
        }
      }
      a0 = average(a0, count); a1 = average(a1, count); a2 = average(a2, count); a3 = average(a3, count);
    }
    const o = out + <usize>c;
    store<i8>(o, <i8>clamp(a0, actMin, actMax)); store<i8>(o, <i8>clamp(a1, actMin, actMax), 1);
    store<i8>(o, <i8>clamp(a2, actMin, actMax), 2); store<i8>(o, <i8>clamp(a3, actMin, actMax), 3);
  }
  return c;
}
