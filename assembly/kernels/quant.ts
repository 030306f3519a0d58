// TFLite's fixed-point requantization, bit for bit (gemmlowp rounding, double rounding:
// a saturating rounding doubling high multiply, then a rounding right shift).

/** SaturatingRoundingDoublingHighMul: round(a * b / 2^31), saturating the one overflow case. */
// @ts-ignore: decorator
@inline export function srdhm(a: i32, b: i32): i32 {
  if (a == b && a == i32.MIN_VALUE) return i32.MAX_VALUE;
  const ab = <i64>a * <i64>b;
  const nudge: i64 = ab >= 0 ? 1 << 30 : 1 - (1 << 30);
  // (ab + nudge) / 2^31 truncated toward zero, as C++ divides, without a 64-bit division:
  // negative values get 2^31 - 1 added before the arithmetic shift.
  const t = ab + nudge;
  return <i32>((t + ((t >> 63) & 0x7fffffff)) >> 31);
}

/** RoundingDivideByPOT: x / 2^e rounded to nearest, ties away from zero. */
// @ts-ignore: decorator
@inline export function rdbpot(x: i32, e: i32): i32 {
  const mask = (<i32>((<i64>1 << e) - 1));
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (remainder > threshold ? 1 : 0);
}

/** MultiplyByQuantizedMultiplier: x * m * 2^(shift - 31), TFLite's reference rounding. */
// @ts-ignore: decorator
@inline export function mbqm(x: i32, m: i32, shift: i32): i32 {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpot(srdhm(x << left, m), right);
}

// @ts-ignore: decorator
@inline export function clamp(v: i32, lo: i32, hi: i32): i32 {
  return v < lo ? lo : v > hi ? hi : v;
}

// The packed ops' requant table (assembly/kernels/requant-simd.ts: 48 bytes per quad of
// channels, +0 i32 m, +16 i32 2^left, +32 i32 1023 - e) is their only copy of the multiplier
// and shift; the scalar kernels read them back: shift = left - e, left = ctz(2^left) (2^31 is
// stored as i32.MIN, ctz 31).
// A malformed table cannot trap: mbqm takes any m and shift.

/** Address of the record of the quad holding channel c. */
// @ts-ignore: decorator
@inline export function rqRecord(rq: usize, c: usize): usize { return rq + (c >> 2) * 48; }

/** Multiplier of lane l (0-3) of record q. */
// @ts-ignore: decorator
@inline export function rqMult(q: usize, l: usize): i32 { return load<i32>(q + (l << 2)); }

/** Shift (TFLite convention: > 0 left, < 0 right) of lane l (0-3) of record q. */
// @ts-ignore: decorator
@inline export function rqShift(q: usize, l: usize): i32 {
  const left = ctz(load<i32>(q + 16 + (l << 2)));
  const e = 1023 - load<i32>(q + 32 + (l << 2));
  return left - e;
}

/** mbqm with channel c's multiplier and shift from the requant table rq. */
// @ts-ignore: decorator
@inline export function mbqmTable(x: i32, rq: usize, c: usize): i32 {
  const q = rqRecord(rq, c), l = c & 3;
  return mbqm(x, rqMult(q, l), rqShift(q, l));
}
