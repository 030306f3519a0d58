// RESIZE_BILINEAR over int8 NHWC, TFLite's integer reference (ResizeBilinearInteger): source
// positions in 1/1024 steps, scale_10 = round(1024 * in / out) (align_corners: (in - 1) /
// (out - 1)) computed by the converter; half_pixel_centers shifts by scale/2 - 512. The four
// taps are weighted in i64 and the 2^-20 result rounded half away from zero, as TFLM (not
// built with TFLITE_SINGLE_ROUNDING). The loader checked the last position's lower tap lies
// inside the input, so every tap does (positions grow with the output index).

import { Dims4 } from './shape';

@unmanaged export class ResizeBilinearParams {
  scaleH: i32; scaleW: i32; halfPixel: i32;
}

/** The source position of output index v in 1/1024 steps (may be below 0 with half-pixel centers). */
// @ts-ignore: decorator
@inline export function scaledPosition(v: i32, scale: i32, halfPixel: i32): i32 {
  return halfPixel ? v * scale + scale / 2 - 512 : v * scale;
}

/** Lower tap: max(position / 1024, 0), the division truncating as C's. */
// @ts-ignore: decorator
@inline export function lowerTap(s: i32): i32 { return max(s / 1024, 0); }

/** resize_bilinear_s8: x [b, h, w, c] -> y [b, oh, ow, c] (dims as Dims4: few distinct signatures keep wasm2c's type table small). */
export function resize_bilinear_s8(x: usize, xs: Dims4, y: usize, ys: Dims4, p: ResizeBilinearParams): void {
  const h = xs.d1, w = xs.d2, c = xs.d3, b = ys.d0, oh = ys.d1, ow = ys.d2;
  let out = y;
  for (let n = 0; n < b; n++) {
    const img = x + <usize>(n * h * w * c);
    for (let oy = 0; oy < oh; oy++) {
      const sy = scaledPosition(oy, p.scaleH, p.halfPixel);
      const y0 = lowerTap(sy), y1 = min((sy + 1023) / 1024, h - 1);
      const fy = <i64>(sy - 1024 * y0);
      for (let ox = 0; ox < ow; ox++) {
        const sx = scaledPosition(ox, p.scaleW, p.halfPixel);
        const x0 = lowerTap(sx), x1 = min((sx + 1023) / 1024, w - 1);
        const fx = <i64>(sx - 1024 * x0);
        const ll = img + <usize>((y0 * w + x0) * c), lu = img + <usize>((y1 * w + x0) * c);
        const rl = img + <usize>((y0 * w + x1) * c), ru = img + <usize>((y1 * w + x1) * c);
        for (let k = 0; k < c; k++) {
          const o = <usize>k;
          const sum = <i64>load<i8>(ll + o) * (1024 - fy) * (1024 - fx) + <i64>load<i8>(lu + o) * fy * (1024 - fx)
            + <i64>load<i8>(rl + o) * (1024 - fy) * fx + <i64>load<i8>(ru + o) * fy * fx;
          const round: i64 = sum > 0 ? 1 << 19 : -(1 << 19);
          store<i8>(out, <i8>((sum + round) / (1 << 20)));
          out++;
        }
      }
    }
  }
}
