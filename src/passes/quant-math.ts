// TFLite's quantization helpers, computed offline exactly as TFLM's Prepare computes
// them at run time (same float32/double steps), so the runtime's integer kernels give
// bit-identical results.

/** std::round: halves away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * QuantizeMultiplier: real multiplier m -> (q, shift) with m ~= q * 2^(shift-31),
 * q in [2^30, 2^31). Tiny multipliers (shift < -31) flush to (0, 0).
 */
export function quantizeMultiplier(m: number): { multiplier: number; shift: number } {
  if (m === 0) return { multiplier: 0, shift: 0 };
  // The kernels take q >= 0 and a shift in [-31, 31]: m in (0, 2^31). Anything else comes from
  // a zero, negative, non-finite or wildly mismatched quantization scale.
  if (!(m > 0 && m < 2 ** 31)) {
    throw new RangeError(`requantization multiplier ${m} (input scale x weight scale / output scale) is not in (0, 2^31): a quantization scale is zero, negative, non-finite or out of proportion`);
  }
  let [q, shift] = frexp(m);
  let qFixed = roundHalfAway(q * 2 ** 31);
  if (qFixed === 2 ** 31) {
    qFixed /= 2;
    shift++;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier: qFixed, shift };
}

/** std::frexp for finite non-zero x: x = f * 2^e, 0.5 <= |f| < 1. */
export function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let e = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
  let f = x * 2 ** -e;
  while (Math.abs(f) < 0.5) { f *= 2; e--; }
  while (Math.abs(f) >= 1) { f /= 2; e++; }
  return [f, e];
}

/** Quantize a float to an int32 the way TFLM's kernel_util Quantize does (float32 division). */
export function quantizeValueF32(scale: number, zeroPoint: number, f: number): number {
  return zeroPoint + roundHalfAway(Math.fround(Math.fround(f) / Math.fround(scale)));
}

/** CalculateActivationRangeQuantized for an int8 output. */
export function activationRange(activation: string, scale: number, zeroPoint: number, qmin = -128, qmax = 127): [number, number] {
  const q = (f: number) => quantizeValueF32(scale, zeroPoint, f);
  switch (activation) {
    case 'NONE': return [qmin, qmax];
    case 'RELU': return [Math.max(qmin, q(0)), qmax];
    case 'RELU6': return [Math.max(qmin, q(0)), Math.min(qmax, q(6))];
    case 'RELU_N1_TO_1': return [Math.max(qmin, q(-1)), Math.min(qmax, q(1))];
    default: throw new Error(`fused activation ${activation} is not supported`);
  }
}

/** TFLM ComputePaddingHeightWidth for one dimension: the leading pad. */
export function computePadding(padding: string, stride: number, dilation: number, inSize: number, filter: number): { out: number; pad: number } {
  const effective = (filter - 1) * dilation + 1;
  const out = padding === 'SAME' ? Math.floor((inSize + stride - 1) / stride) : Math.floor((inSize + stride - effective) / stride);
  const pad = Math.max(0, Math.floor(((out - 1) * stride + effective - inSize) / 2));
  return { out, pad };
}

/** f32 bit pattern as an i32 (how float params travel in the op's i32 param list). */
export function f32Bits(x: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, x, true);
  return b.getInt32(0, true);
}
