// TFLite's fixed-point requantization transcribed from gemmlowp in BigInt, the plain
// reference the kernel tests compare against (no shortcut of the runtime's).

const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1;

/** MultiplyByQuantizedMultiplier: SaturatingRoundingDoublingHighMul then RoundingDivideByPOT. */
export function mbqmRef(x: number, m: number, shift: number): number {
  const left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  const a = x << left; // int32 wrap, as the runtime's x << left
  let q: bigint;
  if (a === I32_MIN && m === I32_MIN) q = BigInt(I32_MAX);
  else {
    const ab = BigInt(a) * BigInt(m);
    const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
    q = (ab + nudge) / (1n << 31n); // BigInt division truncates toward zero, as C++
  }
  const mask = (1n << BigInt(right)) - 1n;
  const remainder = q & mask;
  const threshold = (mask >> 1n) + (q < 0n ? 1n : 0n);
  return Number((q >> BigInt(right)) + (remainder > threshold ? 1n : 0n));
}
