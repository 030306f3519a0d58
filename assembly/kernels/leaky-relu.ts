// LEAKY_RELU over int8, as TFLite's reference QuantizeLeakyRelu: v = x - input_zp, then
// output_zp + MultiplyByQuantizedMultiplier(v, identity) for v >= 0, with the alpha
// multiplier for v < 0, clamped to int8. v in [-255, 255]; mbqm is the one-rounding form
// proved equal to TFLite's two roundings (test/requant-exact.test.ts). leaky_relu_s16: the
// same arithmetic on int16 (TFLM's QuantizeLeakyRelu<int16_t>, zero points 0), clamped to int16.

import { clamp, mbqm } from './quant';

@unmanaged export class LeakyReluParams {
  inputZeroPoint: i32;
  outputZeroPoint: i32;
  identityMultiplier: i32;
  identityShift: i32;
  alphaMultiplier: i32;
  alphaShift: i32;
}

/** leaky_relu_s8: x int8 [n] -> y int8 [n]; element i is read before it is written. */
export function leaky_relu_s8(x: usize, y: usize, n: i32, p: LeakyReluParams): void {
  for (let i = 0; i < n; i++) {
    const v = <i32>load<i8>(x + <usize>i) - p.inputZeroPoint;
    const r = v >= 0 ? mbqm(v, p.identityMultiplier, p.identityShift) : mbqm(v, p.alphaMultiplier, p.alphaShift);
    store<i8>(y + <usize>i, <i8>clamp(r + p.outputZeroPoint, -128, 127));
  }
}

/** leaky_relu_s16: x int16 [n] -> y int16 [n]; element i is read before it is written. */
export function leaky_relu_s16(x: usize, y: usize, n: i32, p: LeakyReluParams): void {
  for (let i = 0; i < n; i++) {
    const v = <i32>load<i16>(x + (<usize>i << 1)) - p.inputZeroPoint;
    const r = v >= 0 ? mbqm(v, p.identityMultiplier, p.identityShift) : mbqm(v, p.alphaMultiplier, p.alphaShift);
    store<i16>(y + (<usize>i << 1), <i16>clamp(r + p.outputZeroPoint, -32768, 32767));
  }
}
