// PRELU over int8 with 4-D broadcasting of alpha, as TFLite's reference BroadcastPrelu4DSlow:
// v = x - input_zp; v >= 0: MultiplyByQuantizedMultiplier(v, identity), else
// MultiplyByQuantizedMultiplier(v * (alpha - alpha_zp), slope); + output_zp, clamped to int8.
// |v * alpha'| <= 255 * 255: no wrap; mbqm is the one-rounding form equal to TFLite's two
// roundings for any i32 input (test/requant-exact.test.ts). The shared broadcast walk.

import { clamp, mbqm } from './quant';
import { Broadcast4, broadcast_s8 } from './broadcast';

@unmanaged export class PreluParams {
  inputOffset: i32;
  alphaOffset: i32;
  outputOffset: i32;
  identityMultiplier: i32;
  identityShift: i32;
  alphaMultiplier: i32;
  alphaShift: i32;
}

@unmanaged class PreluOp extends PreluParams {
  // @ts-ignore: decorator
  @inline one(x: i32, alpha: i32): i32 {
    const v = x + this.inputOffset;
    const r = v >= 0 ? mbqm(v, this.identityMultiplier, this.identityShift) : mbqm(v * (alpha + this.alphaOffset), this.alphaMultiplier, this.alphaShift);
    return clamp(r + this.outputOffset, -128, 127);
  }
}

/** prelu_s8: y = prelu(x, alpha), y walked in raster order; x and alpha read through strides s. */
export function prelu_s8(x: usize, alpha: usize, y: usize, s: Broadcast4, p: PreluParams): void {
  broadcast_s8<PreluOp>(x, alpha, y, s, changetype<PreluOp>(p));
}
