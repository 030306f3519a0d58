// DIV over int8 with 4-D broadcasting, as TFLite's reference DivElementwise /
// BroadcastDivSlowQuantized: v1 = a - zp1, v2 = b - zp2 (signs flipped together when v2 < 0);
// the reciprocal of v2 from gemmlowp's Newton-Raphson 1 / (1 + x) (GetReciprocal, 31 integer
// digits); v1 scaled up by its leading sign bits and multiplied by it; the result rescaled
// by the output multiplier with shift output_shift - recip_shift - headroom, offset, clamped.
// The converter keeps output_shift <= 21, so that total shift is never positive (|v1| <= 256
// has >= 22 sign bits; recip_shift >= -1). v2 = 0 (TFLM only DCHECKs it) runs the same
// integer steps as TFLM's x86 build: clz(0) = 32 and a 32-bit shift by 32 that wraps to 0.

import { clamp, rdbpot, srdhm } from './quant';
import { oneOverOnePlusX } from './softmax';
import { MulParams } from './elementwise';
import { Broadcast4, broadcast_s8 } from './broadcast';

/** CountLeadingSignBits (gcc's __builtin_clrsb; 31 for 0). */
// @ts-ignore: decorator
@inline function leadingSignBits(x: i32): i32 {
  return <i32>clz<u32>(<u32>(x ^ (x >> 31))) - 1;
}

@unmanaged class DivOp extends MulParams {
  // @ts-ignore: decorator
  @inline one(a: i32, b: i32): i32 {
    let v1 = a + this.input1Offset, v2 = b + this.input2Offset;
    if (v2 < 0) { v1 = -v1; v2 = -v2; }
    const headroomPlusOne = <i32>clz<u32>(<u32>v2);
    const recipShift = 31 - headroomPlusOne;
    const inv = oneOverOnePlusX(<i32>((<u32>v2 << <u32>headroomPlusOne) - (<u32>1 << 31)));
    const headroom = leadingSignBits(v1);
    const unscaled = srdhm(v1 << headroom, inv);
    const totalShift = this.outputShift - recipShift - headroom;
    return clamp(rdbpot(srdhm(unscaled, this.outputMultiplier), -totalShift) + this.outputOffset, this.actMin, this.actMax);
  }
}

/** div_s8: y = a / b (requantized), y walked in raster order; a and b read through strides s. */
export function div_s8(a: usize, b: usize, y: usize, s: Broadcast4, p: MulParams): void {
  broadcast_s8<DivOp>(a, b, y, s, changetype<DivOp>(p));
}
