// Float32 kernels of issue 10's groups a, b, c (row MISC_F32), each as TFLM's reference float
// kernel computes one element, in its order where order matters:
//   RESIZE_BILINEAR  ComputeInterpolationValues + the four-tap sum, all in f32, plus 0.0f
//   ARG_MAX/ARG_MIN  first index of the largest (smallest) by a plain > (<), TFLM's GreaterFn/LessFn:
//                    a NaN never replaces the current best, and a NaN best is never replaced
//   REDUCE_MAX       init lowest float, `in > current ? in : current` in the input's raster order
//   PRELU            x >= 0 ? x : x * alpha;  SQUARED_DIFFERENCE (a - b)^2;  DIV clamp(a / b)
//   L2_NORMALIZATION x / max(sqrt(sum x^2), 1e-6f), the sum in row order
//   LOG_SOFTMAX      x - max - log(sum exp(x - max)) (Mathf exp/log, not glibc: within 1e-5)

import { Broadcast4 } from './elementwise';
import { clampF32 } from './f32-conv';
import { Dims4 } from './shape';
import * as F from '../format';

// @ts-ignore: decorator
@inline function at(base: usize, i: i32): usize { return base + (<usize>i << 2); }

/** RESIZE_BILINEAR's source position of output index v (the loader checked the last one lies inside the input). */
// @ts-ignore: decorator
@inline function position(v: i32, scale: f32, half: bool): f32 {
  return half ? (<f32>v + 0.5) * scale - 0.5 : <f32>v * scale;
}

/** resize_bilinear_f32: x [N, inH, inW, C] -> y [N, outH, outW, C] (scales in f32: in / out, or (in - 1) / (out - 1) with align_corners). */
export function resize_bilinear_f32(x: usize, xs: Dims4, y: usize, ys: Dims4, scaleH: f32, scaleW: f32, half: bool): void {
  const c = xs.d3, inH = xs.d1, inW = xs.d2;
  let out = y;
  for (let b = 0; b < ys.d0; b++)
    for (let oy = 0; oy < ys.d1; oy++) {
      const py = position(oy, scaleH, half);
      const y0 = max(<i32>Mathf.floor(py), 0), y1 = min(<i32>Mathf.ceil(py), inH - 1);
      const dy: f32 = py - <f32>y0;
      for (let ox = 0; ox < ys.d2; ox++) {
        const px = position(ox, scaleW, half);
        const x0 = max(<i32>Mathf.floor(px), 0), x1 = min(<i32>Mathf.ceil(px), inW - 1);
        const dx: f32 = px - <f32>x0;
        const r0 = (b * inH + y0) * inW, r1 = (b * inH + y1) * inW;
        const p00 = at(x, (r0 + x0) * c), p10 = at(x, (r1 + x0) * c), p01 = at(x, (r0 + x1) * c), p11 = at(x, (r1 + x1) * c);
        for (let ch = 0; ch < c; ch++) {
          const o = <usize>ch << 2;
          // TFLM's expression, left to right: a * (1 - dy) * (1 - dx) + ... + 0.0f (turns -0 into +0)
          const v: f32 = load<f32>(p00 + o) * (1 - dy) * (1 - dx) + load<f32>(p10 + o) * dy * (1 - dx) +
            load<f32>(p01 + o) * (1 - dy) * dx + load<f32>(p11 + o) * dy * dx + 0;
          store<f32>(out, v);
          out += 4;
        }
      }
    }
}

/** arg_max_min_f32: x viewed as [outer, n, inner] -> y int32 [outer, inner]; ties to the lowest index. */
export function arg_max_min_f32(x: usize, outer: i32, n: i32, inner: i32, y: usize, isMax: bool): void {
  let out = y;
  for (let o = 0; o < outer; o++) {
    const base = at(x, o * n * inner);
    for (let i = 0; i < inner; i++) {
      let best = load<f32>(at(base, i)), index: i32 = 0;
      for (let j = 1; j < n; j++) {
        const v = load<f32>(at(base, j * inner + i));
        if (isMax ? v > best : v < best) { best = v; index = j; }
      }
      store<i32>(out, index);
      out += 4;
    }
  }
}

/** reduce_max_f32: the largest value over the axes set in `mask` (bit k = axis k of the 4-D view), TFLM's reducer. */
export function reduce_max_f32(x: usize, xs: Dims4, y: usize, mask: i32): void {
  const r0 = mask & 1 ? xs.d0 : 1, r1 = mask & 2 ? xs.d1 : 1, r2 = mask & 4 ? xs.d2 : 1, r3 = mask & 8 ? xs.d3 : 1;
  const k0 = mask & 1 ? 1 : xs.d0, k1 = mask & 2 ? 1 : xs.d1, k2 = mask & 4 ? 1 : xs.d2, k3 = mask & 8 ? 1 : xs.d3;
  let out = y;
  for (let o0 = 0; o0 < k0; o0++)
    for (let o1 = 0; o1 < k1; o1++)
      for (let o2 = 0; o2 < k2; o2++)
        for (let o3 = 0; o3 < k3; o3++) {
          // each output's inputs in raster order, as TFLM's walk over the whole input meets them
          let best: f32 = -F32.MAX_VALUE;
          for (let j0 = 0; j0 < r0; j0++)
            for (let j1 = 0; j1 < r1; j1++)
              for (let j2 = 0; j2 < r2; j2++)
                for (let j3 = 0; j3 < r3; j3++) {
                  const v = load<f32>(at(x, (((o0 + j0) * xs.d1 + o1 + j1) * xs.d2 + o2 + j2) * xs.d3 + o3 + j3));
                  if (v > best) best = v;
                }
          store<f32>(out, best);
          out += 4;
        }
}

// @ts-ignore: decorator
@inline function binaryB(code: u32, a: f32, b: f32, lo: f32, hi: f32): f32 {
  if (code == F.OP_PRELU) return a >= 0 ? a : a * b;
  if (code == F.OP_SQUARED_DIFFERENCE) { const d = a - b; return d * d; }
  return clampF32(a / b, lo, hi); // DIV
}

/** binary_b_f32: PRELU (b = alpha), SQUARED_DIFFERENCE, DIV over the output in raster order, a and b through the strides of s. */
export function binary_b_f32(code: u32, a: usize, b: usize, y: usize, s: Broadcast4, lo: f32, hi: f32): void {
  let out = y;
  for (let i0 = 0; i0 < s.d0; i0++)
    for (let i1 = 0; i1 < s.d1; i1++)
      for (let i2 = 0; i2 < s.d2; i2++) {
        const ar = i0 * s.a0 + i1 * s.a1 + i2 * s.a2;
        const br = i0 * s.b0 + i1 * s.b1 + i2 * s.b2;
        for (let i3 = 0; i3 < s.d3; i3++) {
          store<f32>(out, binaryB(code, load<f32>(at(a, ar + i3 * s.a3)), load<f32>(at(b, br + i3 * s.b3)), lo, hi));
          out += 4;
        }
      }
}

const L2_EPSILON: f32 = 1e-6; // TFLM's l2norm.cc epsilon

/** l2norm_f32: rows of `depth` values; y may be x (each element read before it is written). */
export function l2norm_f32(x: usize, y: usize, rows: i32, depth: i32): void {
  for (let i = 0; i < rows; i++) {
    const xr = at(x, i * depth), yr = at(y, i * depth);
    let sum: f32 = 0;
    for (let c = 0; c < depth; c++) { const v = load<f32>(at(xr, c)); sum += v * v; }
    let norm = Mathf.sqrt(sum);
    if (norm < L2_EPSILON) norm = L2_EPSILON; // std::max(norm, epsilon)
    for (let c = 0; c < depth; c++) store<f32>(at(yr, c), load<f32>(at(xr, c)) / norm);
  }
}

/** log_softmax_f32: rows of `depth` values; y may be x. */
export function log_softmax_f32(x: usize, y: usize, rows: i32, depth: i32): void {
  for (let i = 0; i < rows; i++) {
    const xr = at(x, i * depth), yr = at(y, i * depth);
    let m: f32 = -F32.MAX_VALUE;
    for (let c = 0; c < depth; c++) { const v = load<f32>(at(xr, c)); if (m < v) m = v; } // std::max(m, v)
    let sum: f32 = 0;
    for (let c = 0; c < depth; c++) sum += Mathf.exp(load<f32>(at(xr, c)) - m);
    const logSum = Mathf.log(sum);
    for (let c = 0; c < depth; c++) store<f32>(at(yr, c), load<f32>(at(xr, c)) - m - logSum);
  }
}
