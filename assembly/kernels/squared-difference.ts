// SQUARED_DIFFERENCE over int8 with 4-D broadcasting, as TFLM's quantized kernel: both inputs
// offset by -zp, scaled up by 2^left_shift (7), rescaled to a common scale (multipliers < 1,
// MultiplyByQuantizedMultiplierSmallerThanOneExp), the difference squared, rescaled to the
// output (MultiplyByQuantizedMultiplier), offset, clamped to int8. Bounds: each rescaled
// input is at most 255 * 2^7 / 2 = 16320 in magnitude (the larger scale's multiplier is 1/2,
// the other's at most 1/2), so the square stays below 2^31; the runtime checks the shift.

import { clamp, mbqm, mbqm_ref } from './quant';
import { Broadcast4, broadcast_s8 } from './broadcast';

@unmanaged export class SquaredDifferenceParams {
  input1Offset: i32;
  input2Offset: i32;
  outputOffset: i32;
  leftShift: i32;
  input1Multiplier: i32;
  input1Shift: i32;
  input2Multiplier: i32;
  input2Shift: i32;
  outputMultiplier: i32;
  outputShift: i32;
}

@unmanaged class SquaredDifferenceOp extends SquaredDifferenceParams {
  // @ts-ignore: decorator
  @inline one(a: i32, b: i32): i32 {
    const sa = mbqm_ref((a + this.input1Offset) << this.leftShift, this.input1Multiplier, this.input1Shift);
    const sb = mbqm_ref((b + this.input2Offset) << this.leftShift, this.input2Multiplier, this.input2Shift);
    const d = sa - sb;
    return clamp(mbqm(d * d, this.outputMultiplier, this.outputShift) + this.outputOffset, -128, 127);
  }
}

/** squared_difference_s8: y = (a - b)^2 (requantized), y walked in raster order; a and b read through strides s. */
export function squared_difference_s8(a: usize, b: usize, y: usize, s: Broadcast4, p: SquaredDifferenceParams): void {
  broadcast_s8<SquaredDifferenceOp>(a, b, y, s, changetype<SquaredDifferenceOp>(p));
}
