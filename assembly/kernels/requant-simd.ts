// Vectorised requantization, bit-exact with quant.ts's mbqm for 4 channels at once.
// Reads one 48-byte record per channel quad from the offline requant table (layout below).
//
//   srdhm(x, m), m in [0, 2^31): floor((P + 2^30) / 2^31) of P = x * m as i64 (TFLite's
//     truncation of (P + nudge) / 2^31 toward zero is this floor for every P; proof in
//     test/requant-exact.test.ts). |P| < 2^62, so P + 2^30 does not wrap, and the quotient lies
//     in (-2^31, 2^31): its low 32 bits are the same after a logical and an arithmetic shift by
//     31 (SIMD128's i64x2.shr_u is one x86 instruction, shr_s is not). No saturation: m >= 0.
//   rdbpot(q, e), e in [0, 31]: round half away from zero of q / 2^e, done in f64:
//     v = q * 2^-e is exact (<= 31 significant bits), v + copysign(0.5, v) is exact
//     (<= 33 bits), and truncation toward zero gives the rounded value. SIMD128 shifts take one
//     count per vector; the per-channel shift becomes a per-lane multiply by 2^-e instead.
//
// Record (48 bytes, channels c0..c3), built by src/passes/layout-weights.ts:
//   +0   i32x4  multiplier m
//   +16  i32x4  2^left, left = max(shift, 0)   (x << left == x * 2^left mod 2^32)
//   +32  i32x4  1023 - e, e = max(-shift, 0): the f64 exponent field of 2^-e; one i64x2
//               shift by 52 (the same count in every lane) rebuilds the f64 2^-e

export const RQ_RECORD_BYTES: usize = 48;

// Vector constants live in memory: V8 rebuilds a v128.const inside a loop with ~4
// instructions each time, a load from here is one. +0 i64x2 2^30, +16 i64x2 sign bit, +32 f64x2 0.5.
const RQ_CONSTANTS = memory.data<i64>([1 << 30, 1 << 30, 0x8000000000000000, 0x8000000000000000, 0x3fe0000000000000, 0x3fe0000000000000], 16);

/** srdhm(x, m) for 4 lanes (m >= 0): floor((x * m + 2^30) / 2^31), 7 vector operations. */
// @ts-ignore: decorator
@inline export function srdhm4(x: v128, m: v128): v128 {
  const k30 = v128.load(RQ_CONSTANTS);
  const lo = i64x2.shr_u(i64x2.add(i64x2.extmul_low_i32x4_s(x, m), k30), 31);
  const hi = i64x2.shr_u(i64x2.add(i64x2.extmul_high_i32x4_s(x, m), k30), 31);
  return i32x4.shuffle(lo, hi, 0, 2, 4, 6);
}

/** rdbpot(q, e) for 2 lanes in f64 (lanes 0, 1 of q), result in i32 lanes 0, 1. */
// @ts-ignore: decorator
@inline function rdbpot2(q: v128, scale: v128): v128 {
  const v = f64x2.mul(f64x2.convert_low_i32x4_s(q), scale);
  const half = v128.or(v128.and(v, v128.load(RQ_CONSTANTS, 16)), v128.load(RQ_CONSTANTS, 32));
  return i32x4.trunc_sat_f64x2_s_zero(f64x2.add(v, half));
}

/** rdbpot(q, e) for 4 lanes in f64, any q (the general path of rdbpot4). */
function rdbpotWide4(q: v128, ex: v128): v128 {
  const r01 = rdbpot2(q, i64x2.shl(i64x2.extend_low_i32x4_u(ex), 52));
  const r23 = rdbpot2(i32x4.shuffle(q, q, 2, 3, 2, 3), i64x2.shl(i64x2.extend_high_i32x4_u(ex), 52));
  return i32x4.shuffle(r01, r23, 0, 1, 4, 5);
}

// f32 constants of rdbpot4: +0 i32x4 2^21, +16 i32x4 2^22 - 1, +32 f32 sign bits,
// +48 f32x4 1.5 * 2^23, +64 i32x4 896 (1023 - 127: f64 exponent field -> f32 field), +80 i32x4 2 << 23
const RQ_F32 = memory.data<i32>([
  1 << 21, 1 << 21, 1 << 21, 1 << 21, (1 << 22) - 1, (1 << 22) - 1, (1 << 22) - 1, (1 << 22) - 1,
  0x80000000, 0x80000000, 0x80000000, 0x80000000, 0x4b400000, 0x4b400000, 0x4b400000, 0x4b400000,
  896, 896, 896, 896, 2 << 23, 2 << 23, 2 << 23, 2 << 23,
], 16);

/**
 * rdbpot(q, e) for 4 lanes (e in [0, 31] from the table's 1023 - e), in f32 where q is in [-2^21, 2^21):
 *   v = q * 2^-e                      exact (<= 21 significant bits, a power-of-two scale)
 *   y = v + copysign(2^-(e+2), v)     exact (bits from 2^(21-e) down to 2^-(e+2): <= 24 bits)
 *   round to nearest of y             = rdbpot: v's fraction is a multiple of 2^-e, so the
 *                                       shift by 2^-(e+2) < 2^-(e+1) moves only the ties at
 *                                       .5, away from zero; y itself is never a tie. For
 *                                       e = 0, v is an integer and 1/4 changes nothing.
 *   as an integer: y + 1.5 * 2^23 rounds to that integer (|y| <= 2^21 + 1/4, ulp 1 in [2^23, 2^24)),
 *                  and its bits minus those of 1.5 * 2^23 are it (no float-to-int conversion,
 *                  which V8 lowers to ~8 x86 instructions for its saturation).
 * Otherwise (an accumulator far outside the output's range; one branch per quad) the f64 path.
 */
// @ts-ignore: decorator
@inline function rdbpot4(q: v128, ex: v128): v128 {
  const outside = i32x4.gt_u(i32x4.add(q, v128.load(RQ_F32)), v128.load(RQ_F32, 16)); // q outside [-2^21, 2^21)
  if (v128.any_true(outside)) return rdbpotWide4(q, ex);
  const scale = i32x4.shl(i32x4.sub(ex, v128.load(RQ_F32, 64)), 23); // f32 bits of 2^-e
  const v = f32x4.mul(f32x4.convert_i32x4_s(q), scale);
  const delta = v128.or(i32x4.sub(scale, v128.load(RQ_F32, 80)), v128.and(v, v128.load(RQ_F32, 32))); // +-2^-(e+2)
  const magic = v128.load(RQ_F32, 48);
  return i32x4.sub(f32x4.add(f32x4.add(v, delta), magic), magic);
}

/** mbqm for 4 lanes, then + outOff and clamp to [lo, hi] (i32x4 splats). */
// @ts-ignore: decorator
@inline export function requant4(acc: v128, rq: usize, outOff: v128, lo: v128, hi: v128): v128 {
  return i32x4.min_s(i32x4.max_s(requant4Raw(acc, rq, outOff), lo), hi);
}

/** requant4 before its clamp: mbqm + outOff of each lane (an i32; narrowing saturates, as requantF4Raw). */
// @ts-ignore: decorator
@inline export function requant4Raw(acc: v128, rq: usize, outOff: v128): v128 {
  const q = srdhm4(i32x4.mul(acc, v128.load(rq, 16)), v128.load(rq));
  return i32x4.add(rdbpot4(q, v128.load(rq, 32)), outOff);
}

/** The i8x16 splat of an int8 activation bound (validated in [-128, 127]): the clamp after narrowing. */
// @ts-ignore: decorator
@inline export function splat8(v: i32): v128 {
  return i8x16.splat(<i8>v);
}

/**
 * Two i16x8 of unclamped outputs (out + outOff, narrowed from the raw requantizations) narrowed
 * with saturation to int8 and clamped to [lo, hi] (splat8s): the same bytes as clamping each i32.
 */
// @ts-ignore: decorator
@inline export function narrowClamp8(a: v128, b: v128, lo: v128, hi: v128): v128 {
  return i8x16.min_s(i8x16.max_s(i8x16.narrow_i16x8_s(a, b), lo), hi);
}

/** Two requantized quads -> 8 int8 values in the low half of a v128 (already in [-128, 127]). */
// @ts-ignore: decorator
@inline export function narrow8(a: v128, b: v128): v128 {
  const h = i16x8.narrow_i32x4_s(a, b);
  return i8x16.narrow_i16x8_s(h, h);
}

/** mbqm for 4 lanes with one multiplier m >= 0 and one shift for all lanes (per-tensor scales). */
// @ts-ignore: decorator
@inline export function mbqmUniform4(x: v128, m: v128, left: i32, right: i32): v128 {
  const mask = i32x4.splat((1 << right) - 1);
  return mbqmUniform4Pre(x, m, left, right, mask, i32x4.shr_s(mask, 1));
}

/**
 * mbqmUniform4 with its per-tensor vectors made by the caller, once per op (V8 does not hoist
 * them out of a loop): mask = splat(2^right - 1), half = splat((2^right - 1) >> 1).
 */
// @ts-ignore: decorator
@inline export function mbqmUniform4Pre(x: v128, m: v128, left: i32, right: i32, mask: v128, half: v128): v128 {
  const q = srdhm4(i32x4.shl(x, left), m);
  const threshold = i32x4.add(half, i32x4.shr_u(q, 31));
  // rdbpot: (q >> right) + (remainder > threshold); gt_s gives -1 for true
  return i32x4.sub(i32x4.shr_s(q, right), i32x4.gt_s(v128.and(q, mask), threshold));
}

/**
 * ADD's input rescale mbqm(t << ls, m, s) for 4 lanes of int8 + offset, in i32 only (no i64
 * lanes). With L = ls + max(s, 0), e = max(-s, 0), D = 31 - L, the one-rounding form
 * (test/requant-exact.test.ts) divided through by 2^L is
 *   floor((t m + 2^(D-1) + [e > 0] (2^(D-1+e) - [t < 0] 2^D)) / 2^(D+e)),
 * and with m = mh 2^(D+e) + ml (0 <= ml < 2^(D+e)) it is t mh + ((t ml + c) >> (D+e)).
 * Exact (no i32 wrap, and t << L itself fits i32 as mbqm needs) for |t| <= 511, m in [0, 2^31),
 * 10 <= L <= 22 and e <= L - 10: addSmallParams checks this; every case of that domain
 * (m from edge values and 300 random ones, t in [-511, 511]) was compared with gemmlowp's
 * two roundings in BigInt, and kernel-variants compares add_s8 with add_s8_ref.
 * Lanes: mh, ml, cPos = 2^(D-1) + [e > 0] 2^(D-1+e), negD = [e > 0] (-2^D); de = D + e.
 */
// @ts-ignore: decorator
@inline export function mbqmSmall4(t: v128, mh: v128, ml: v128, cPos: v128, negD: v128, de: i32): v128 {
  const c = i32x4.add(cPos, v128.and(i32x4.shr_s(t, 31), negD));
  return i32x4.add(i32x4.mul(t, mh), i32x4.shr_s(i32x4.add(i32x4.mul(t, ml), c), de));
}

// mbqmSmall4's per-tensor constants from ADD's left shift ls and an input's multiplier m and shift s.
// @ts-ignore: decorator
@inline export function smallDe(ls: i32, s: i32): i32 { return 31 - ls - max(s, 0) + max(-s, 0); }
// @ts-ignore: decorator
@inline export function smallMh(ls: i32, m: i32, s: i32): v128 { return i32x4.splat(<i32>(<u32>m >> smallDe(ls, s))); }
// @ts-ignore: decorator
@inline export function smallMl(ls: i32, m: i32, s: i32): v128 { return i32x4.splat(m & ((1 << smallDe(ls, s)) - 1)); }
// @ts-ignore: decorator
@inline export function smallCPos(ls: i32, s: i32): v128 {
  const d = 31 - ls - max(s, 0), e = max(-s, 0);
  return i32x4.splat((1 << (d - 1)) + (e > 0 ? 1 << (d - 1 + e) : 0));
}
// @ts-ignore: decorator
@inline export function smallNegD(ls: i32, s: i32): v128 { return i32x4.splat(s < 0 ? -(1 << (31 - ls - max(s, 0))) : 0); }

/** Whether mbqmSmall4 is exact for inputs offset by off in [-383, 383], shift ls, multiplier m, shift s. */
export function addSmallFits(off: i32, ls: i32, m: i32, s: i32): bool {
  const L = ls + max(s, 0), e = max(-s, 0);
  return off >= -383 && off <= 383 && ls >= 0 && ls <= 22 && s <= 22 && m >= 0 && L >= 10 && L <= 22 && e <= L - 10;
}

// ---------------------------------------------------------------------------------------
// One-rounding requantization in f64, for an op's accumulators in a known range.
//
// TFLite's two roundings are one (test/requant-exact.test.ts): with P = (x << left) * m,
//   out = floor((P + 2^30 + 2^(30+e) - [P < 0] 2^31) / 2^(31+e))   (e >= 1; P in [-2^30, 0)
//   gives 0 with either selector), out = floor((P + 2^30) / 2^31)     (e = 0).
// Divided through by 2^(31+e): out = floor(y + copysign(H, y) + 1/2) with
//   y = x * M,  M = m 2^left 2^-(31+e),  H = 2^-(1+e) (0 for e = 0),
// and y's sign is P's (M >= 0; x < 0 with m = 0 gives y = -0, where both selectors give 0).
// Exact in f64 for x in [-B, B), B = 2^(21 - left) (2^(20 - left) if some e > 21): with
// m < 2^31, |x m 2^left| < 2^52 (the product y is exact) and every partial sum, times
// 2^(31+e), is an integer below 2^52 + 2^30 + 2^(30+e) < 2^53 for e <= 21 (exact); for
// e >= 22 (then |x m 2^left| < 2^51) |y| < 1/4, so y + h + 1/2 lies in (1/8, 7/8) however
// it rounds, and floor gives 0, the exact value. x << left does not wrap i32 in that range.
// floor is one f64x2.floor; adding 1.5 * 2^52 + outOff leaves out + outOff in the low 32 bits
// of the f64 (no float-to-int conversion). Per quad ~20 vector operations against requant4's ~35.
//
// Rounding without the floor (issue 14, fifth pass): y + copysign(H, y) is a multiple of
// g = 2^-(31+e) (it is (P +- 2^30) / 2^(31+e)), so floor(t + 1/2) and round-to-nearest of
// t = y + copysign(H, y) differ only where t is a half-integer, i.e. P +- 2^30 an odd multiple
// of 2^(30+e): where P = x m 2^left has exactly 30 factors of two (for e = 0 too). With
// |x| < B = 2^(21 - left_max) x has at most 20 - left_max of them, so a channel whose m has at
// most 9 (or m = 0) never meets a half-integer for any x of the f64 path: for such an op
// (rqfNearest, every channel so) out = round(t), which the magic add already does: two
// operations less per f64 pair (no + 1/2, no floor). A channel with more trailing zeros has
// half-integers only at |y| >= odd(m) 2^-(1+e); where that is at least 255.5 the int8 output
// saturates either way (tieLanes). Other ops (person_detect's float32-derived multipliers have
// 10-24 trailing zeros in 12 of its 28 requantizing ops) break the ties upwards instead: out =
// round(t + G), G = 2^-(32 + e_max) for the op's largest e, one add less than the floor. For
// channel c, t is a multiple of g_c = 2^-(31+e_c) >= 2G, so t + G is never a half-integer and
// lies below the next multiple: round(t + G) = floor(t + 1/2). t + G is exact where
// |t| < 2^(21 - e_max) (an integer times G below 2^53). Past it (|t| < 2^(21 - e_c) + H, so
// ulp(t) <= g_c) fl(t + G) lies in [t, t + g_c), which holds no half-integer but t itself: a
// channel without harmful half-integers is right, and where t is one, |t| >= 2^(21 - e_max)
// >= 512 if e_max <= 12, and the int8 output saturates whatever the rounding. So the nudge
// serves an op with e_max <= 12 over the whole range. For 12 < e_max <= 20 it serves a narrower
// one, |x| < 2^b with b = 20 - left_max - (e_max - e_min) (e_min over channels with m != 0):
// then |y_c| < 2^b 2^(left_c - e_c) <= 2^(20 - e_max) and (|t| + G) / G < 2^52 + 2^(31 + e_max)
// + 1 < 2^53, so t + G is exact for every channel, and larger accumulators take requant4 by the
// range check. rqfPrepare sends any other op with harmful half-integers (e_max > 20, or b < 1) to
// requant4 (none of the five benchmark models has one: their e_max are 5-11 where it matters).
//
// M and H are per channel: rqfPrepare builds them once per op call from the requant table
// into RQF (64 bytes per quad: f64 M of lanes 0..3, f64 H of lanes 0..3), and the range
// bound from the op's largest left shift. Accumulators outside it (rare: far outside the
// output's range) take requant4, so the result is requant4's (= mbqm's) for every input.

/** Quads RQF holds (1024 channels: the static memory of the SIMD build stays within its first 64 KiB page); an op with more uses requant4 throughout. */
const RQF_MAX_QUADS = 256;
export const RQF_RECORD_BYTES: usize = 64;
// Only the SIMD build reserves it (every file's statics are laid out in every build).
const RQF: usize = ASC_FEATURE_SIMD ? memory.data(RQF_MAX_QUADS * 64, 16) : 0;
/** +0 f64x2 sign bits, +16 f64x2 0.5, +32 f64x2 the nudge G = 2^-(32 + e_max) (written by rqfBuild) */
const RQF_K: usize = ASC_FEATURE_SIMD ? memory.data<i64>([0x8000000000000000, 0x8000000000000000, 0x3fe0000000000000, 0x3fe0000000000000, 0, 0], 16) : 0;
/** Accumulators x in [-rqfBias, rqfBias) take the f64 path (rqfBias = B above, for the op's largest left and e). */
export let rqfBias: i32 = 0;
/**
 * True while an op runs whose accumulators were proven inside [-rqfBias, rqfBias) at load
 * (acc-bound.ts): its GEMM epilogues skip rqfFits2. Set by the interpreter per op.
 */
export let rqfAccFits: bool = false;
export function setRqfAccFits(on: bool): void { rqfAccFits = on; }
/**
 * Set by rqfPrepare: true where no channel has a half-integer t that could change an int8
 * output (tieLanes: m is 0 or has at most 9 trailing zero bits, or its half-integers all lie
 * where the output saturates): requantF4 rounds t to nearest; false: it rounds t + G (the nudge).
 * Either gives floor(t + 1/2)'s int8 bytes after the kernels' saturating narrow and clamp. Read
 * once per op call by the kernels.
 */
export let rqfNearest: bool = false;
/** Set by rqfBuild: whether its op may round by the nudge (see above); rqfPrepare refuses the op otherwise. */
let rqfNudgeFits: bool = false;

/**
 * Lanes (all ones) of a quad's requant record (m, ex = 1023 - e; m23: m's lanes 2, 3 in 0, 1) where rounding without the floor
 * could change an int8 output: m != 0 with ten or more trailing zero bits (z), whose half-integers
 * (at |x| = (2j + 1) 2^(30 - z - left)) do not all lie where the output saturates, i.e. where
 * |t| >= |y| = (2j + 1) odd(m) 2^-(1+e) may be below 255.5: m < 511 2^e lsb(m). A half-integer
 * t = +-(k + 1/2) with k >= 255 rounds to k or k + 1 in magnitude, and out + outOff is then
 * >= 127 or <= -128 for every offset in [-128, 127] either way: the same byte after the kernels'
 * saturating narrow and clamp. (Compared in f64, exactly: lsb <= 2^30, 511 2^e < 2^41.)
 */
// @ts-ignore: decorator
@inline function tieLanes(m: v128, m23: v128, ex: v128): v128 {
  const zero = i32x4.splat(0), k511 = f64x2.splat(511);
  const many = v128.andnot(i32x4.eq(v128.and(m, i32x4.splat(1023)), zero), i32x4.eq(m, zero));
  const lsb = v128.and(m, i32x4.sub(zero, m));
  const e2 = i32x4.sub(i32x4.splat(2046), ex); // f64 exponent field of 2^e
  const l23 = i32x4.shuffle(lsb, lsb, 2, 3, 2, 3);
  const sat01 = f64x2.ge(f64x2.convert_low_i32x4_s(m), f64x2.mul(f64x2.mul(f64x2.convert_low_i32x4_u(lsb), k511), i64x2.shl(i64x2.extend_low_i32x4_u(e2), 52)));
  const sat23 = f64x2.ge(f64x2.convert_low_i32x4_s(m23), f64x2.mul(f64x2.mul(f64x2.convert_low_i32x4_u(l23), k511), i64x2.shl(i64x2.extend_high_i32x4_u(e2), 52)));
  return v128.andnot(many, i32x4.shuffle(sat01, sat23, 0, 2, 4, 6));
}

/**
 * Builds RQF from `quads` 48-byte requant records at rq; returns RQF, or 0 when the op
 * cannot use it (too many channels, or a record outside the converter's domain: m < 0,
 * 2^left not a power of two <= 2^20, e outside [0, 31]). Sets rqfBias, rqfNearest, the nudge
 * at RQF_K + 32 and rqfNudgeFits.
 */
export function rqfBuild(rq: usize, quads: i32): usize {
  if (quads > RQF_MAX_QUADS) return 0;
  // a per-call cost, vectorised: ops over few pixels (sww's 1-D layers) pay it on every call
  const one = i32x4.splat(1), p2Top = i32x4.splat((1 << 20) - 1), exLow = i32x4.splat(1023 - 31), k31 = i32x4.splat(31), exZero = i32x4.splat(1023);
  let bad = i32x4.splat(0), ties = i32x4.splat(0), maxP2 = i32x4.splat(1), minEx = exZero, maxExM = i32x4.splat(0);
  for (let i = 0; i < quads; i++) {
    const q = rq + <usize>i * RQ_RECORD_BYTES, f = RQF + <usize>i * RQF_RECORD_BYTES;
    const m = v128.load(q), p2 = v128.load(q, 16), ex = v128.load(q, 32); // ex = 1023 - e
    const p2m1 = i32x4.sub(p2, one);
    // m < 0; 2^left not a power of two in [1, 2^20]; e outside [0, 31]
    bad = v128.or(bad, v128.or(v128.or(i32x4.shr_s(m, 31), v128.and(p2, p2m1)),
      v128.or(i32x4.gt_u(p2m1, p2Top), i32x4.gt_u(i32x4.sub(ex, exLow), k31))));
    const m23 = i32x4.shuffle(m, m, 2, 3, 2, 3), p23 = i32x4.shuffle(p2, p2, 2, 3, 2, 3);
    ties = v128.or(ties, tieLanes(m, m23, ex));
    maxP2 = i32x4.max_u(maxP2, p2);
    minEx = i32x4.min_s(minEx, ex);
    maxExM = i32x4.max_s(maxExM, v128.andnot(ex, i32x4.eq(m, i32x4.splat(0)))); // the smallest e where m != 0
    const scaleEx = i32x4.sub(ex, k31); // f64 exponent field of 2^-(31+e)
    const hEx = i32x4.sub(ex, one), hKeep = i32x4.ne(ex, exZero); // 2^-(1+e), 0 where e = 0
    v128.store(f, f64x2.mul(f64x2.mul(f64x2.convert_low_i32x4_s(m), f64x2.convert_low_i32x4_s(p2)), i64x2.shl(i64x2.extend_low_i32x4_u(scaleEx), 52)));
    v128.store(f, f64x2.mul(f64x2.mul(f64x2.convert_low_i32x4_s(m23), f64x2.convert_low_i32x4_s(p23)), i64x2.shl(i64x2.extend_high_i32x4_u(scaleEx), 52)), 16);
    v128.store(f, v128.and(i64x2.shl(i64x2.extend_low_i32x4_u(hEx), 52), i64x2.extend_low_i32x4_s(hKeep)), 32);
    v128.store(f, v128.and(i64x2.shl(i64x2.extend_high_i32x4_u(hEx), 52), i64x2.extend_high_i32x4_s(hKeep)), 48);
  }
  if (v128.any_true(bad)) return 0;
  const p2Max = max(max(i32x4.extract_lane(maxP2, 0), i32x4.extract_lane(maxP2, 1)), max(i32x4.extract_lane(maxP2, 2), i32x4.extract_lane(maxP2, 3)));
  const exMin = min(min(i32x4.extract_lane(minEx, 0), i32x4.extract_lane(minEx, 1)), min(i32x4.extract_lane(minEx, 2), i32x4.extract_lane(minEx, 3)));
  const bigShift = exMin < 1023 - 21; // some e > 21
  rqfBias = 1 << (21 - ctz(p2Max) - (bigShift ? 1 : 0));
  const eMax = 1023 - exMin;
  v128.store(RQF_K, i64x2.splat(<i64>(1023 - 32 - eMax) << 52), 32); // G = 2^-(32 + e_max)
  rqfNearest = !v128.any_true(ties);
  rqfNudgeFits = rqfNearest || eMax <= 12;
  if (!rqfNudgeFits && eMax <= 20) {
    // a narrower range instead: |x| < 2^b keeps every |t| + G below 2^(21 - e_max), t + G exact
    const exMaxM = max(max(i32x4.extract_lane(maxExM, 0), i32x4.extract_lane(maxExM, 1)), max(i32x4.extract_lane(maxExM, 2), i32x4.extract_lane(maxExM, 3)));
    const b = 20 - ctz(p2Max) - (eMax - (1023 - exMaxM));
    if (b >= 1) {
      rqfBias = min(rqfBias, 1 << b);
      rqfNudgeFits = true;
    }
  }
  return RQF;
}

/**
 * rqfBuild, or 0 when the op can round neither to nearest nor by the nudge (the kernels then
 * requantize it with requant4).
 */
export function rqfPrepare(rq: usize, quads: i32): usize {
  const f = rqfBuild(rq, quads);
  return f != 0 && rqfNudgeFits ? f : 0;
}

/** True when every lane of a and b lies in [-rqfBias, rqfBias) (bias = splat(rqfBias), outside = splat(~(2 rqfBias - 1))). */
// @ts-ignore: decorator
@inline export function rqfFits2(a: v128, b: v128, bias: v128, outside: v128): bool {
  return !v128.any_true(v128.and(v128.or(i32x4.add(a, bias), i32x4.add(b, bias)), outside));
}

/** y + copysign(H, y) for the 2 lanes of xf (f64x2), M at f, H at f + 32: exact (see above). */
// @ts-ignore: decorator
@inline function nudgedPairF64(xf: v128, f: usize): v128 {
  const y = f64x2.mul(xf, v128.load(f));
  return f64x2.add(y, v128.or(v128.load(f, 32), v128.and(y, v128.load(RQF_K))));
}

/** floor(y + copysign(H, y) + 1/2) + magic for the 2 lanes of xf. */
// @ts-ignore: decorator
@inline function roundPairF64(xf: v128, f: usize, magic: v128): v128 {
  return f64x2.add(f64x2.floor(f64x2.add(nudgedPairF64(xf, f), v128.load(RQF_K, 16))), magic);
}

/** roundPairF64's value by rounding to nearest (the magic add does) t, or t + G with `nudge`. */
// @ts-ignore: decorator
@inline function roundPairF64Nearest(xf: v128, f: usize, magic: v128, nudge: bool): v128 {
  const t = nudgedPairF64(xf, f);
  return f64x2.add(nudge ? f64x2.add(t, v128.load(RQF_K, 32)) : t, magic);
}

/**
 * requant4 for accumulators in rqfFits2's range, from the quad's RQF record f:
 * magic = f64x2.splat(1.5 * 2^52 + outOff), lo/hi i32x4 splats.
 */
// @ts-ignore: decorator
@inline export function requantF4(acc: v128, f: usize, magic: v128, lo: v128, hi: v128, near: bool): v128 {
  return i32x4.min_s(i32x4.max_s(requantF4Raw(acc, f, magic, near), lo), hi);
}

/**
 * requantF4 before its clamp: out + outOff of each lane as an i32 (|y| < 2^20, so the low 32
 * bits of the f64 hold it exactly). Narrowed with saturation to int8 and then clamped to
 * [lo, hi] (within [-128, 127]) it gives requantF4's bytes: an epilogue narrows 16 lanes at once
 * and clamps them as i8x16 (gemm-lanes-simd.ts). near: the op's rqfNearest (the lanes may
 * differ from mbqm's where the int8 output saturates, never in bytes). One branch per quad on it:
 * a third arm (the floor, kept for the probe) took 0.97-1.04x of the time before the change
 * against 0.93-0.99x with two (docs/speed.md).
 */
// @ts-ignore: decorator
@inline export function requantF4Raw(acc: v128, f: usize, magic: v128, near: bool): v128 {
  const x01 = f64x2.convert_low_i32x4_s(acc), x23 = f64x2.convert_low_i32x4_s(i32x4.shuffle(acc, acc, 2, 3, 2, 3));
  if (near) return i32x4.shuffle(roundPairF64Nearest(x01, f, magic, false), roundPairF64Nearest(x23, f + 16, magic, false), 0, 2, 4, 6);
  return i32x4.shuffle(roundPairF64Nearest(x01, f, magic, true), roundPairF64Nearest(x23, f + 16, magic, true), 0, 2, 4, 6);
}

/** requantF4 by the floor of the original formula (the probe's reference; the kernels round as above). */
// @ts-ignore: decorator
@inline export function requantF4Floor(acc: v128, f: usize, magic: v128, lo: v128, hi: v128): v128 {
  const x01 = f64x2.convert_low_i32x4_s(acc), x23 = f64x2.convert_low_i32x4_s(i32x4.shuffle(acc, acc, 2, 3, 2, 3));
  return i32x4.min_s(i32x4.max_s(i32x4.shuffle(roundPairF64(x01, f, magic), roundPairF64(x23, f + 16, magic), 0, 2, 4, 6), lo), hi);
}

/** The magic f64x2 of requantF4 for an output offset. */
// @ts-ignore: decorator
@inline export function rqfMagic(outOffset: i32): v128 {
  return f64x2.splat(6755399441055744.0 + <f64>outOffset);
}
