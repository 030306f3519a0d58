// SUB over int8 with 4-D broadcasting, as TFLite's reference SUB: both inputs offset by
// -zp, scaled up by 2^left_shift (20), rescaled to a common scale (each multiplier < 1,
// shift <= 0), subtracted, rescaled to the output, offset, clamped. ADD's params
// (AddParams) and the shared broadcast walk (broadcast.ts); only the sign of the second term differs.
// Bounds: (x + offset) in [-255, 255] << 20 < 2^28; each rescale (multiplier < 1) keeps
// |v| < 2^28, so the difference is below 2^29 in magnitude: no i32 wrap.

import { clamp, mbqm_ref } from './quant';
import { AddParams } from './elementwise';
import { Broadcast4, broadcast_s8 } from './broadcast';

@unmanaged class SubOp extends AddParams {
  // @ts-ignore: decorator
  @inline one(a: i32, b: i32): i32 {
    const sa = mbqm_ref((a + this.input1Offset) << this.leftShift, this.input1Multiplier, this.input1Shift);
    const sb = mbqm_ref((b + this.input2Offset) << this.leftShift, this.input2Multiplier, this.input2Shift);
    return clamp(mbqm_ref(sa - sb, this.outputMultiplier, this.outputShift) + this.outputOffset, this.actMin, this.actMax);
  }
}

/** sub_s8_ref: y = a - b (requantized), y walked in raster order; a and b read through strides s. */
export function sub_s8_ref(a: usize, b: usize, y: usize, s: Broadcast4, p: AddParams): void {
  broadcast_s8<SubOp>(a, b, y, s, changetype<SubOp>(p));
}
