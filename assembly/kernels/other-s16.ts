// The int16 (16x8 scheme) SOFTMAX, AVERAGE_POOL_2D / MAX_POOL_2D and MEAN (and SUM, which
// runs as MEAN) of row OTHER_S16, as TFLM's reference kernels for int16 (zero points 0).
// Scalar in every build.

import { clamp, mbqm } from './quant';
import { PoolParams } from './pool';
import { Dims4 } from './shape';

/**
 * TFLM's LUTLookup for int16: 513 entries, the high 9 bits of v pick an entry, the low 7
 * interpolate towards the next; the slope and the sum wrap to int16 as TFLM's int16_t do.
 * Any table is safe: the index stays in [0, 511].
 */
// @ts-ignore: decorator
@inline function lut16(v: i32, lut: usize): i32 {
  const at = lut + (<usize>(256 + (v >> 7)) << 1);
  const base = <i32>load<i16>(at);
  const slope = <i32><i16>(<i32>load<i16>(at + 2) - base);
  return <i32><i16>(base + ((slope * (v & 0x7f) + 64) >> 7));
}

/**
 * softmax_s16: TFLM's SoftmaxInt16 over rows of `depth` (the last axis). Per row: the
 * largest x; e[c] = expLut(clamp16(mbqm(x[c] - max, mult, shift) + 32767)) (Q0.15, stored
 * in y); sum = sum e (depth <= 65536 keeps it under 2^31); h = clz(sum);
 * recip = recipLut(clamp16(((sum << (h - 1)) + 2^13 >> 14) - 3 * 2^15));
 * y[c] = clamp(e[c] * recip + 2^(30 - h) >> (31 - h), 0, 32767).
 * The two 513-entry int16 tables are the converter's (TFLM's LUTPopulate, computed offline).
 */
export function softmax_s16(x: usize, y: usize, outer: i32, depth: i32, mult: i32, shift: i32, expLut: usize, recipLut: usize): void {
  for (let i = 0; i < outer; i++) {
    const xr = x + (<usize>i * <usize>depth << 1), yr = y + (<usize>i * <usize>depth << 1);
    let top: i32 = -32768;
    for (let c = 0; c < depth; c++) top = max(top, <i32>load<i16>(xr + (<usize>c << 1)));
    let sum: i32 = 0;
    for (let c = 0; c < depth; c++) {
      const scaled = mbqm(<i32>load<i16>(xr + (<usize>c << 1)) - top, mult, shift);
      const e = lut16(clamp(scaled + 32767, -32768, 32767), expLut);
      store<i16>(yr + (<usize>c << 1), <i16>e);
      sum += e;
    }
    const h = <i32>clz<u32>(<u32>sum);
    const shifted = <i32>((((<i64>sum) << (h - 1)) + (1 << 13)) >> 14);
    const recip = lut16(clamp(shifted - ((1 << 15) + (1 << 16)), -32768, 32767), recipLut);
    const right = 31 - h;
    const round = <i64>1 << (right - 1);
    for (let c = 0; c < depth; c++) {
      const at = yr + (<usize>c << 1);
      const v = <i32>(((<i64>load<i16>(at)) * <i64>recip + round) >> right);
      store<i16>(at, <i16>clamp(v, 0, 32767));
    }
  }
}

/** pool_s16: pool_s8 (kernels/pool.ts) on int16, TFLM's int16 AveragePool / MaxPool: i32 sums (filter area <= 65536), rounding half away from zero. */
export function pool_s16(
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
        for (let c = 0; c < channels; c++) {
          let acc: i32 = isMax ? -32768 : 0;
          let count: i32 = 0;
          for (let fy = fy0; fy < fy1; fy++) {
            const row = x + (<usize>(((b * inH + iy0 + fy) * inW + ix0) * channels + c) << 1);
            for (let fx = fx0; fx < fx1; fx++) {
              const v = <i32>load<i16>(row + (<usize>(fx * channels) << 1));
              if (isMax) acc = max(acc, v);
              else acc += v;
              count++;
            }
          }
          if (!isMax) {
            if (count == 0) acc = 0; // an empty window (padding wider than the filter), as pool_s8
            else acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          }
          store<i16>(out, <i16>clamp(acc, p.actMin, p.actMax));
          out += 2;
        }
      }
    }
  }
}

/**
 * mean_s16: mean_s8 (kernels/shape.ts) on int16 with zero points 0, TFLM's QuantizedMeanOrSum
 * for int16: y = clamp16(mbqm(sum, mult, shift)), the 1/N folded into (mult, shift) for MEAN,
 * not for SUM (the converter's params). Sums in i32 (at most 65536 elements per output).
 */
export function mean_s16(x: usize, xs: Dims4, y: usize, mask: i32, mult: i32, shift: i32): void {
  const r0 = mask & 1 ? xs.d0 : 1, r1 = mask & 2 ? xs.d1 : 1, r2 = mask & 4 ? xs.d2 : 1, r3 = mask & 8 ? xs.d3 : 1;
  const k0 = mask & 1 ? 1 : xs.d0, k1 = mask & 2 ? 1 : xs.d1, k2 = mask & 4 ? 1 : xs.d2, k3 = mask & 8 ? 1 : xs.d3;
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
                  sum += <i32>load<i16>(x + (<usize>i << 1));
                }
          store<i16>(out, <i16>clamp(mbqm(sum, mult, shift), -32768, 32767));
          out += 2;
        }
}
