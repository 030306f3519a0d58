// Float32 pooling, SOFTMAX and MEAN (group f32), as TFLM's reference float kernels: average
// pooling divides the window's f32 sum by its in-image tap count, max pooling starts from
// the lowest float (NaN taps leave it as it is: std::max), softmax subtracts the row's max,
// scales by beta, exponentiates, divides by the sum; MEAN sums in raster order, divides by N.
// The simd build pools four channels a lane (f32x4), each lane in the scalar order.

import { clampF32 } from './f32-conv';
import { Dims4 } from './shape';

/** Pool params (docs/FORMAT.md) with the clamp as f32 bits. */
@unmanaged export class PoolF32Params {
  strideH: i32;
  strideW: i32;
  filterH: i32;
  filterW: i32;
  padTop: i32;
  padLeft: i32;
  actMin: f32;
  actMax: f32;
}

// @ts-ignore: decorator
@inline function at(base: usize, i: i32): usize { return base + (<usize>i << 2); }

/** pool_f32: x [N, inH, inW, C] -> y [N, outH, outW, C], average or max over each window's in-image taps. */
export function pool_f32(isMax: bool, x: usize, inH: i32, inW: i32, c: i32, y: usize, batches: i32, outH: i32, outW: i32, p: PoolF32Params): void {
  let out = y;
  for (let b = 0; b < batches; b++)
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++) {
        const iy0 = oy * p.strideH - p.padTop, ix0 = ox * p.strideW - p.padLeft;
        const fy0 = max(0, -iy0), fy1 = min(p.filterH, inH - iy0);
        const fx0 = max(0, -ix0), fx1 = min(p.filterW, inW - ix0);
        let ch = 0;
        if (ASC_FEATURE_SIMD) {
          // simd build: four channels a lane, each lane the scalar loop's comparisons and sums
          const lo = f32x4.splat(p.actMin), hi = f32x4.splat(p.actMax);
          const count = max(0, fy1 - fy0) * max(0, fx1 - fx0);
          for (; ch + 4 <= c; ch += 4) {
            let acc = f32x4.splat(isMax ? -F32.MAX_VALUE : 0);
            for (let fy = fy0; fy < fy1; fy++)
              for (let fx = fx0; fx < fx1; fx++) {
                const v = v128.load(at(x, ((b * inH + iy0 + fy) * inW + ix0 + fx) * c + ch));
                acc = isMax ? f32x4.pmax(acc, v) : f32x4.add(acc, v); // pmax: acc < v ? v : acc
              }
            const r = isMax ? acc : count > 0 ? f32x4.div(acc, f32x4.splat(<f32>count)) : f32x4.splat(0);
            v128.store(out, f32x4.pmin(f32x4.pmax(r, lo), hi)); // clampF32 per lane
            out += 16;
          }
        }
        for (; ch < c; ch++) {
          let acc: f32 = isMax ? -F32.MAX_VALUE : 0;
          let count: i32 = 0;
          for (let fy = fy0; fy < fy1; fy++)
            for (let fx = fx0; fx < fx1; fx++) {
              const v = load<f32>(at(x, ((b * inH + iy0 + fy) * inW + ix0 + fx) * c + ch));
              if (isMax) { if (acc < v) acc = v; } else acc += v;
              count++;
            }
          const r: f32 = isMax ? acc : count > 0 ? acc / <f32>count : 0;
          store<f32>(out, clampF32(r, p.actMin, p.actMax));
          out += 4;
        }
      }
}

/** softmax_f32: rows of `depth` values; y may be x (each element is read before it is written). */
export function softmax_f32(x: usize, y: usize, rows: i32, depth: i32, beta: f32): void {
  for (let i = 0; i < rows; i++) {
    const xr = at(x, i * depth), yr = at(y, i * depth);
    let m: f32 = -F32.MAX_VALUE;
    for (let c = 0; c < depth; c++) { const v = load<f32>(at(xr, c)); if (m < v) m = v; }
    let sum: f32 = 0;
    for (let c = 0; c < depth; c++) {
      const e = Mathf.exp((load<f32>(at(xr, c)) - m) * beta);
      store<f32>(at(yr, c), e);
      sum += e;
    }
    for (let c = 0; c < depth; c++) store<f32>(at(yr, c), load<f32>(at(yr, c)) / sum);
  }
}

/** mean_f32: the axes set in `mask` (bit k = axis k of the 4-D view) reduced; y zeroed, summed in x's raster order, divided by N when `divide` (MEAN; SUM not). */
export function mean_f32(x: usize, xs: Dims4, y: usize, mask: i32, divide: bool): void {
  const k0 = mask & 1 ? 1 : xs.d0, k1 = mask & 2 ? 1 : xs.d1, k2 = mask & 4 ? 1 : xs.d2, k3 = mask & 8 ? 1 : xs.d3;
  const kept = k0 * k1 * k2 * k3;
  const n = (xs.d0 / k0) * (xs.d1 / k1) * (xs.d2 / k2) * (xs.d3 / k3);
  memory.fill(y, 0, <usize>kept << 2);
  let i = 0;
  for (let i0 = 0; i0 < xs.d0; i0++)
    for (let i1 = 0; i1 < xs.d1; i1++)
      for (let i2 = 0; i2 < xs.d2; i2++)
        for (let i3 = 0; i3 < xs.d3; i3++) {
          const o = at(y, (((k0 > 1 ? i0 : 0) * k1 + (k1 > 1 ? i1 : 0)) * k2 + (k2 > 1 ? i2 : 0)) * k3 + (k3 > 1 ? i3 : 0));
          store<f32>(o, load<f32>(o) + load<f32>(at(x, i)));
          i++;
        }
  if (divide) for (let j = 0; j < kept; j++) store<f32>(at(y, j), load<f32>(at(y, j)) / <f32>n);
}
