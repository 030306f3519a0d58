// SUB over int8 with 4-D broadcasting, as TFLite's reference SUB: both inputs offset by
// -zp, scaled up by 2^left_shift (20), rescaled to a common scale (each multiplier < 1,
// shift <= 0), subtracted, rescaled to the output, offset, clamped. ADD's params
// (AddParams) and broadcast strides (Broadcast4); only the sign of the second term differs.
// Bounds: (x + offset) in [-255, 255] << 20 < 2^28; each rescale (multiplier < 1) keeps
// |v| < 2^28, so the difference is below 2^29 in magnitude: no i32 wrap.

import { clamp, mbqm_ref } from './quant';
import { AddParams, Broadcast4 } from './elementwise';

// @ts-ignore: decorator
@inline function subOne(a: i32, b: i32, p: AddParams): i32 {
  const sa = mbqm_ref((a + p.input1Offset) << p.leftShift, p.input1Multiplier, p.input1Shift);
  const sb = mbqm_ref((b + p.input2Offset) << p.leftShift, p.input2Multiplier, p.input2Shift);
  return clamp(mbqm_ref(sa - sb, p.outputMultiplier, p.outputShift) + p.outputOffset, p.actMin, p.actMax);
}

/** sub_s8_ref: y = a - b (requantized), y walked in raster order; a and b read through strides s. */
export function sub_s8_ref(a: usize, b: usize, y: usize, s: Broadcast4, p: AddParams): void {
  let out = y;
  for (let i0 = 0; i0 < s.d0; i0++)
    for (let i1 = 0; i1 < s.d1; i1++)
      for (let i2 = 0; i2 < s.d2; i2++) {
        const ar = a + <usize>(i0 * s.a0 + i1 * s.a1 + i2 * s.a2);
        const br = b + <usize>(i0 * s.b0 + i1 * s.b1 + i2 * s.b2);
        for (let i3 = 0; i3 < s.d3; i3++) {
          const av = <i32>load<i8>(ar + <usize>(i3 * s.a3));
          const bv = <i32>load<i8>(br + <usize>(i3 * s.b3));
          store<i8>(out, <i8>subOne(av, bv, p));
          out++;
        }
      }
}
