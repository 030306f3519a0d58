// Float32 elementwise kernels (group f32): ADD, SUB, MUL, MAXIMUM, MINIMUM with 4-D
// broadcasting, LEAKY_RELU and the standalone activations (ACTIVATION: clamp, logistic, tanh,
// hard swish, exp, rsqrt), each as TFLM's reference float kernel computes one element. Same-shape binary
// ops, the clamp activations and LEAKY_RELU run four lanes at a time in the SIMD build (each lane
// the scalar's exact f32 operation).

import { Broadcast4 } from './elementwise';
import { clampF32 } from './f32-conv';
import * as F from '../format';

// @ts-ignore: decorator
@inline function binary(code: u32, a: f32, b: f32): f32 {
  if (code == F.OP_ADD) return a + b;
  if (code == F.OP_SUB) return a - b;
  if (code == F.OP_MUL) return a * b;
  if (code == F.OP_MAXIMUM) return a > b ? a : b;
  return a < b ? a : b; // MINIMUM
}

// @ts-ignore: decorator
@inline function binary4(code: u32, a: v128, b: v128): v128 {
  if (code == F.OP_ADD) return f32x4.add(a, b);
  if (code == F.OP_SUB) return f32x4.sub(a, b);
  if (code == F.OP_MUL) return f32x4.mul(a, b);
  if (code == F.OP_MAXIMUM) return f32x4.pmax(b, a); // a > b ? a : b
  return f32x4.pmin(b, a); // a < b ? a : b
}

/** binary_f32: y = clamp(a op b) over the output in raster order, a and b read through the strides of s (elements). */
export function binary_f32(code: u32, a: usize, b: usize, y: usize, s: Broadcast4, lo: f32, hi: f32): void {
  let out = y;
  for (let i0 = 0; i0 < s.d0; i0++)
    for (let i1 = 0; i1 < s.d1; i1++)
      for (let i2 = 0; i2 < s.d2; i2++) {
        const ar = i0 * s.a0 + i1 * s.a1 + i2 * s.a2;
        const br = i0 * s.b0 + i1 * s.b1 + i2 * s.b2;
        for (let i3 = 0; i3 < s.d3; i3++) {
          const av = load<f32>(a + (<usize>(ar + i3 * s.a3) << 2));
          const bv = load<f32>(b + (<usize>(br + i3 * s.b3) << 2));
          store<f32>(out, clampF32(binary(code, av, bv), lo, hi));
          out += 4;
        }
      }
}

/** binary_same_f32: a, b and y all of n elements (no broadcast); y may be a or b (element i read before written). */
export function binary_same_f32(code: u32, a: usize, b: usize, y: usize, n: i32, lo: f32, hi: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vlo = f32x4.splat(lo), vhi = f32x4.splat(hi);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = binary4(code, v128.load(a + o), v128.load(b + o));
      v128.store(y + o, f32x4.pmin(f32x4.pmax(v, vlo), vhi)); // clampF32 per lane
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, clampF32(binary(code, load<f32>(a + o), load<f32>(b + o)), lo, hi));
  }
}

const LOGISTIC_UPPER: f32 = 16.619047164916992188; // TFLM's float logistic cutoffs
const LOGISTIC_LOWER: f32 = -9.0;

// @ts-ignore: decorator
@inline function activation(kind: i32, v: f32, lo: f32, hi: f32): f32 {
  if (kind == F.ACT_CLAMP) return v > hi ? hi : v < lo ? lo : v;
  if (kind == F.ACT_LOGISTIC) return v > LOGISTIC_UPPER ? 1 : v < LOGISTIC_LOWER ? Mathf.exp(v) : 1 / (1 + Mathf.exp(-v));
  if (kind == F.ACT_TANH) return Mathf.tanh(v);
  if (kind == F.ACT_EXP) return Mathf.exp(v); // EXP: std::exp (Mathf, not glibc: within 1e-5 relative)
  if (kind == F.ACT_RSQRT) return 1 / Mathf.sqrt(v); // RSQRT: 1.f / std::sqrt(x), both correctly rounded
  const r = v + 3; // HARD_SWISH: x * min(6, max(0, x + 3)) / 6
  const m: f32 = 0 < r ? r : 0;
  const relu6: f32 = m < 6 ? m : 6;
  return (v * relu6) / 6;
}

/** activation_f32: y[i] = f(x[i]) for ACTIVATION's kind (params: kind, lo, hi); the clamp four lanes at a time in the SIMD build. */
export function activation_f32(x: usize, y: usize, n: i32, kind: i32, lo: f32, hi: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    if (kind == F.ACT_CLAMP) {
      // v > hi ? hi : v < lo ? lo : v, per lane: pmax(v, lo) = v < lo ? lo : v, then pmin(., hi) =
      // hi < . ? hi : . (lo <= hi, so v > hi leaves . = v); NaN and -0 pass as in the scalar form
      const vlo = f32x4.splat(lo), vhi = f32x4.splat(hi);
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        v128.store(y + o, f32x4.pmin(f32x4.pmax(v128.load(x + o), vlo), vhi));
      }
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, activation(kind, load<f32>(x + o), lo, hi));
  }
}

/** leaky_relu_f32: y = x > 0 ? x : x * alpha (four lanes at a time in the SIMD build: the same select per lane). */
export function leaky_relu_f32(x: usize, y: usize, n: i32, alpha: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(alpha), zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      v128.store(y + o, v128.bitselect(v, f32x4.mul(v, va), f32x4.gt(v, zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : v * alpha);
  }
}
