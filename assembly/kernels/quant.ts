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

/** MultiplyByQuantizedMultiplier: x * m * 2^(shift - 31), TFLite's two roundings as written. */
// @ts-ignore: decorator
@inline export function mbqm_ref(x: i32, m: i32, shift: i32): i32 {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpot(srdhm(x << left, m), right);
}

/**
 * mbqm_ref with one rounding: one 64-bit product P = (x << left) * m, one add, one shift.
 *   e = 0:   (P + 2^30) >> 31
 *   e >= 1:  (P + 2^30 + 2^(30+e) - (x < 0 ? 2^31 : 0)) >> (31 + e)
 * srdhm is floor((P + 2^30) / 2^31) for every P, rdbpot(q, e) is floor((q + 2^(e-1) - [q < 0]) / 2^e),
 * and nested floors merge; test/requant-exact.test.ts proves the equality (exhaustive edges,
 * half-way points, random cases). Domain: m in [0, 2^31), e and left in [0, 31], which is what
 * the converter emits (src/passes/quant-math.ts quantizeMultiplier; layout-weights.ts requantTable
 * checks it again). Then:
 * - the selector may be x < 0 instead of q < 0 (P < -2^30): for P in [-2^30, 0) both constants
 *   give 0 when e >= 1;
 * - srdhm's one saturating case (x << left == m == i32.MIN) cannot occur, as m >= 0;
 * - |P| <= 2^62 and the constant is <= 2^61 + 2^30, so the i64 sum does not wrap; the result
 *   fits i32 (|P + c| / 2^31 < 2^31 for e = 0, / 2^32 <= 2^30 + 1 for e >= 1).
 * Outside the domain (a malformed table) it returns some value; it never traps.
 */
// @ts-ignore: decorator
@inline export function mbqm(x: i32, m: i32, shift: i32): i32 {
  // left = shift, e = 0: (P + 2^30) >> 31, a shift by a constant.
  if (shift >= 0) return <i32>((<i64>(x << shift) * <i64>m + (1 << 30)) >> 31);
  // e = -shift >= 1, left = 0: mbqmRq's form (hi32 of the sum, then an i32 shift by e - 1): a
  // 32-bit core needs no 64-bit shift by a variable amount (Cortex-M4: ~11 instructions, not ~25).
  const s = -shift - 1;
  const j = (1 << s) + (x >> 31);
  const c = (<i64>(<u32>j >>> 1) << 32) | <i64><u32>((j << 31) | (1 << 30));
  return <i32>((<i64>x * <i64>m + c) >> 32) >> s;
}

/**
 * mbqm(x, m, shift) for shift <= -1 with s = -shift - 1 and h = 1 << s computed by the caller
 * (once per tensor: ADD's per-tensor multipliers): mbqm's e >= 1 branch, without the branch.
 */
// @ts-ignore: decorator
@inline export function mbqmRight(x: i32, m: i32, s: i32, h: i32): i32 {
  const j = h + (x >> 31);
  const c = (<i64>(<u32>j >>> 1) << 32) | <i64><u32>((j << 31) | (1 << 30));
  return <i32>((<i64>x * <i64>m + c) >> 32) >> s;
}

// @ts-ignore: decorator
@inline export function clamp(v: i32, lo: i32, hi: i32): i32 {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * clamp(v + outOffset, lo, hi) & 0xff. With sat (lo, hi are -128, 127) the caller passes
 * oo = outOffset + 128 and XORs the packed bytes with 0x80: the biased byte max(min(v + oo, ...))
 * is a BIC (max with 0) and one compare (min with 255) on the Cortex-M4 with no mask, where the
 * signed clamp took two compares, two branches and a UXTB. Equal to clamp's byte unless
 * v + outOffset lies in [2^31 - 128, 2^31): there v + oo wraps (the byte is -128, clamp's 127).
 * Requantized values come nowhere near: |v| <= 2^30 + 1 whenever e >= 1 (mbqmRq), and with
 * e = 0 only an accumulator times 2^left within 2^-23 of i32's limit, times a multiplier within
 * 2^-23 of 2^31, reaches that window (TFLite's own acc + output_offset overflows at 2^31).
 * Otherwise oo = outOffset and clamp(v + oo, lo, hi) & 0xff.
 */
// @ts-ignore: decorator
@inline export function clampB8(v: i32, sat: bool, oo: i32, lo: i32, hi: i32): i32 {
  if (sat) {
    const u = v + oo, t = u < 0 ? 0 : u;
    return t > 255 ? 255 : t;
  }
  return clamp(v + oo, lo, hi) & 0xff;
}

// The packed ops' requant table (assembly/kernels/requant-simd.ts: 48 bytes per quad of
// channels, +0 i32 m, +16 i32 2^left, +32 i32 1023 - e) is their only copy of the multiplier
// and shift; the scalar kernels read m, e and (only where e = 0) 2^left back (mbqmRq).
// A malformed table cannot trap: mbqm and mbqm_ref take any m and shift.

/** Address of the record of the quad holding channel c. */
// @ts-ignore: decorator
@inline export function rqRecord(rq: usize, c: usize): usize { return rq + (c >> 2) * 48; }

/** Multiplier of lane l (0-3) of record q. */
// @ts-ignore: decorator
@inline export function rqMult(q: usize, l: usize): i32 { return load<i32>(q + (l << 2)); }

/** Address of 2^left of lane l (0-3) of record q. */
// @ts-ignore: decorator
@inline export function rqPow2At(q: usize, l: usize): usize { return q + 16 + (l << 2); }

/** Right shift e of lane l (0-3) of record q. */
// @ts-ignore: decorator
@inline export function rqRight(q: usize, l: usize): i32 { return 1023 - load<i32>(q + 32 + (l << 2)); }

/**
 * mbqm(x, m, left - e) from the table's form of the shift, 2^left read at pow2At only when e = 0
 * (one of left and e is 0, requantTable; most layers shift right and skip that load). As mbqm,
 * with the 64-bit constant built from two 32-bit halves so that a 32-bit core needs no 64-bit
 * shift (SMLAL adds it to the product; ~11 Cortex-M4 instructions):
 *   e = 0:   (x * 2^left * m + 2^30) >> 31
 *   e >= 1:  hi32(x * m + c) >> (e - 1),  c = 2^30 + j 2^31,  j = 2^(e-1) - [x < 0] in [0, 2^30]:
 *            c = (j >> 1) 2^32 + ((j << 31) | 2^30);
 *            floor(t / 2^(31+e)) = floor(floor(t / 2^32) / 2^(e-1)), and hi32 fits i32 (<= 2^30 + 1).
 * Outside the domain (a malformed table) it returns some value; it never traps.
 */
// @ts-ignore: decorator
@inline export function mbqmRq(x: i32, m: i32, e: i32, pow2At: usize): i32 {
  if (e == 0) return <i32>((<i64>(x * load<i32>(pow2At)) * <i64>m + (1 << 30)) >> 31);
  const s = e - 1;
  const j = (1 << s) + (x >> 31);
  const c = (<i64>(<u32>j >>> 1) << 32) | <i64><u32>((j << 31) | (1 << 30));
  return <i32>((<i64>x * <i64>m + c) >> 32) >> s;
}

/** mbqm with channel c's multiplier and shift from the requant table rq. */
// @ts-ignore: decorator
@inline export function mbqmTable(x: i32, rq: usize, c: usize): i32 {
  const q = rqRecord(rq, c), l = c & 3;
  return mbqmRq(x, rqMult(q, l), rqRight(q, l), rqPow2At(q, l));
}
