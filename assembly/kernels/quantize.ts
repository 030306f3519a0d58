// The int8 boundaries: requantize int8 -> int8, quantize float32 -> int8,
// dequantize int8 -> float32, as TFLite's reference Requantize / AffineQuantize / Dequantize.

import { clamp, mbqm } from './quant';

export function requantize_s8(x: usize, y: usize, n: i32, inZp: i32, outZp: i32, mult: i32, shift: i32): void {
  for (let i = 0; i < n; i++) {
    const v = mbqm(<i32>load<i8>(x + i) - inZp, mult, shift) + outZp;
    store<i8>(y + i, <i8>clamp(v, -128, 127));
  }
}

/** round(v / scale) + zp with float32 division and halves away from zero. */
export function quantize_f32_s8(x: usize, y: usize, n: i32, scale: f32, zp: i32): void {
  for (let i = 0; i < n; i++) {
    const r = load<f32>(x + (<usize>i << 2)) / scale;
    let q: i32;
    if (isNaN(r)) q = zp;
    else if (r >= 1e6) q = 127;
    else if (r <= -1e6) q = -128;
    else {
      const t = Mathf.trunc(r);
      const rounded = Mathf.abs(r - t) >= 0.5 ? t + Mathf.sign(r) : t;
      q = <i32>rounded + zp;
    }
    store<i8>(y + i, <i8>clamp(q, -128, 127));
  }
}

export function dequantize_s8_f32(x: usize, y: usize, n: i32, scale: f32, zp: i32): void {
  const s = <f64>scale;
  for (let i = 0; i < n; i++) {
    store<f32>(y + (<usize>i << 2), <f32>(s * <f64>(<i32>load<i8>(x + i) - zp)));
  }
}
