// Vectorised requantization, bit-exact with quant.ts's mbqm for 4 channels at once.
// Reads one 128-byte record per channel quad from the offline requant table (layout below);
// per-lane shifts are done by i64 multiplies, since SIMD128 shifts take one count per vector.
//
// Record (128 bytes, 4 channels c0..c3), built by src/passes/layout-weights.ts:
//   +0   i32x4  multiplier m               (0 or [2^30, 2^31): never i32.MIN, so srdhm cannot saturate)
//   +16  i32x4  2^left, left = max(shift, 0)  (x << left == x * 2^left mod 2^32, as the reference)
//   +32  i64x2 x2  round  = e >= 1 ? 2^(e-1) : 0,  e = max(-shift, 0) in [0, 31]
//   +64  i64x2 x2  negAdj = e >= 1 ? -1 : 0      (ties go away from zero for negative values)
//   +96  i64x2 x2  scale  = 2^(31 - e)           (floor(r / 2^e) == (r * 2^(31-e)) >> 31 for |r| < 2^32)

export const RQ_RECORD_BYTES: usize = 128;

/** srdhm(x, m) for two lanes held as i64: (x*m + nudge) / 2^31, truncated toward zero. */
// @ts-ignore: decorator
@inline function srdhm2(ab: v128): v128 {
  const sign = i64x2.shr_s(ab, 63); // -1 where ab < 0
  const nudge = i64x2.add(i64x2.splat(1 << 30), v128.and(sign, i64x2.splat(1 - (<i64>1 << 31))));
  const t = i64x2.add(ab, nudge); // same sign as ab: |nudge| < 2^30 and ab is a multiple of m or 0
  return i64x2.shr_s(i64x2.add(t, v128.and(sign, i64x2.splat(0x7fffffff))), 31);
}

/** rdbpot(q, e) for two lanes: floor((q + round + (q < 0 ? negAdj : 0)) / 2^e). */
// @ts-ignore: decorator
@inline function rdbpot2(q: v128, rq: usize): v128 {
  const r = i64x2.add(i64x2.add(q, v128.load(rq, 32)), v128.and(i64x2.shr_s(q, 63), v128.load(rq, 64)));
  return i64x2.shr_s(i64x2.mul(r, v128.load(rq, 96)), 31);
}

/** mbqm for 4 lanes, then + outOff and clamp to [lo, hi] (i32x4 splats). */
// @ts-ignore: decorator
@inline export function requant4(acc: v128, rq: usize, outOff: v128, lo: v128, hi: v128): v128 {
  const x = i32x4.mul(acc, v128.load(rq, 16));
  const m = v128.load(rq);
  const q0 = rdbpot2(srdhm2(i64x2.extmul_low_i32x4_s(x, m)), rq);
  const q1 = rdbpot2(srdhm2(i64x2.extmul_high_i32x4_s(x, m)), rq + 16);
  const q = i32x4.shuffle(q0, q1, 0, 2, 4, 6); // low words: |q| < 2^31
  return i32x4.min_s(i32x4.max_s(i32x4.add(q, outOff), lo), hi);
}

/** Two requantized quads -> 8 int8 values in the low half of a v128 (already in [-128, 127]). */
// @ts-ignore: decorator
@inline export function narrow8(a: v128, b: v128): v128 {
  const h = i16x8.narrow_i32x4_s(a, b);
  return i8x16.narrow_i16x8_s(h, h);
}
