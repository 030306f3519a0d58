// ADD and MUL over int8 with 4-D broadcasting, as TFLite's reference_integer_ops
// (ADD: both inputs scaled up by 2^left_shift, rescaled to a common scale, summed,
// rescaled to the output; MUL: product of offset inputs, rescaled once).
// add_s8_ref / mul_s8_ref take any broadcast (the shared walker, broadcast.ts); add_s8 runs same-shape inputs as one flat loop,
// 16 values per step on SIMD (three per-tensor requantizations per quad, mbqmUniform4).
// In place: the planner may let y alias an input of y's shape (IN_PLACE_OPCODES), so
// element i of each input must be read before element i of y is written.

import { clamp, mbqm, mbqm_ref, mbqmRight } from './quant';
import { sb0, sb1, sb2, sb3 } from './gemm';
import { addSmallFits, mbqmSmall4, mbqmUniform4, mbqmUniform4Pre, smallCPos, smallDe, smallMh, smallMl, smallNegD, splat8, narrowClamp8 } from './requant-simd';
import { Broadcast4, broadcast_s8 } from './broadcast';
import { WIDE_GEMM, wideRow } from '../wide-table';

/** Bytes of add_s8_lut's two tables (256 i32 each): wide.ts keeps its work area at least this big. */
export const ADD_LUT_BYTES: u64 = 2048;
/** Values from which add_s8_lut's 512 table entries pay for themselves. */
const ADD_LUT_MIN = 1024;

/**
 * add_s8 for the full scalar build on a JIT host (WIDE_GEMM, widened weights asked for): each
 * input's rescale mbqm((x + offset) << leftShift, m, s) depends on one int8 value, so both are
 * looked up in tables of 256 built per call in the wide work area t (the same mbqm, so the same
 * values); only the output's requantization stays per value. Returns the values done.
 */
// Byte j / 8 of va and vb through the tables at t, summed and requantized: bits 0-7.
// @ts-ignore: decorator
@inline function addLut(t: usize, va: i32, vb: i32, j: i32, mo: i32, eo: i32, ho: i32, so: i32, oo: i32, lo: i32, hi: i32, right: bool): i32 {
  const x = load<i32>(t + (<usize>((va >>> j) & 255) << 2)) + load<i32>(t + (<usize>((vb >>> j) & 255) << 2), 1024);
  return clamp((right ? mbqmRight(x, mo, eo, ho) : mbqm(x, mo, so)) + oo, lo, hi) & 0xff;
}

function add_s8_lut(a: usize, b: usize, y: usize, n: i32, p: AddParams, t: usize): i32 {
  const o1 = p.input1Offset, o2 = p.input2Offset, oo = p.outputOffset, ls = p.leftShift;
  const m1 = p.input1Multiplier, s1 = p.input1Shift, m2 = p.input2Multiplier, s2 = p.input2Shift;
  const mo = p.outputMultiplier, so = p.outputShift, lo = p.actMin, hi = p.actMax;
  for (let v = -128; v < 128; v++) {
    const at = t + (<usize>(v & 255) << 2);
    store<i32>(at, mbqm((v + o1) << ls, m1, s1));
    store<i32>(at, mbqm((v + o2) << ls, m2, s2), 1024);
  }
  let i = 0;
  const eo = so < 0 ? -so - 1 : 0, ho = 1 << eo;
  if (so < 0) { // the output shift to the right, as add_s8's fast path
    for (; i + 4 <= n; i += 4) {
      const va = load<i32>(a + <usize>i), vb = load<i32>(b + <usize>i);
      store<i32>(y + <usize>i, addLut(t, va, vb, 0, mo, eo, ho, so, oo, lo, hi, true) | addLut(t, va, vb, 8, mo, eo, ho, so, oo, lo, hi, true) << 8
        | addLut(t, va, vb, 16, mo, eo, ho, so, oo, lo, hi, true) << 16 | addLut(t, va, vb, 24, mo, eo, ho, so, oo, lo, hi, true) << 24);
    }
  }
  for (; i + 4 <= n; i += 4) {
    const va = load<i32>(a + <usize>i), vb = load<i32>(b + <usize>i);
    store<i32>(y + <usize>i, addLut(t, va, vb, 0, mo, eo, ho, so, oo, lo, hi, false) | addLut(t, va, vb, 8, mo, eo, ho, so, oo, lo, hi, false) << 8
      | addLut(t, va, vb, 16, mo, eo, ho, so, oo, lo, hi, false) << 16 | addLut(t, va, vb, 24, mo, eo, ho, so, oo, lo, hi, false) << 24);
  }
  return i;
}

export { Broadcast4 };

@unmanaged export class AddParams {
  input1Offset: i32;
  input2Offset: i32;
  outputOffset: i32;
  leftShift: i32;
  input1Multiplier: i32;
  input1Shift: i32;
  input2Multiplier: i32;
  input2Shift: i32;
  outputMultiplier: i32;
  outputShift: i32;
  actMin: i32;
  actMax: i32;
}

@unmanaged export class MulParams {
  input1Offset: i32;
  input2Offset: i32;
  outputOffset: i32;
  outputMultiplier: i32;
  outputShift: i32;
  actMin: i32;
  actMax: i32;
}

/** ADD's element: both inputs scaled up, rescaled to a common scale, summed, rescaled to the output. */
@unmanaged export class AddOp extends AddParams {
  // @ts-ignore: decorator
  @inline one(a: i32, b: i32): i32 {
    const sa = mbqm_ref((a + this.input1Offset) << this.leftShift, this.input1Multiplier, this.input1Shift);
    const sb = mbqm_ref((b + this.input2Offset) << this.leftShift, this.input2Multiplier, this.input2Shift);
    return clamp(mbqm_ref(sa + sb, this.outputMultiplier, this.outputShift) + this.outputOffset, this.actMin, this.actMax);
  }
}

/** MUL's element: product of the offset inputs, rescaled once. */
@unmanaged export class MulOp extends MulParams {
  // @ts-ignore: decorator
  @inline one(a: i32, b: i32): i32 {
    const prod = (a + this.input1Offset) * (b + this.input2Offset);
    return clamp(mbqm_ref(prod, this.outputMultiplier, this.outputShift) + this.outputOffset, this.actMin, this.actMax);
  }
}

export function add_s8_ref(a: usize, b: usize, y: usize, s: Broadcast4, p: AddParams): void {
  broadcast_s8<AddOp>(a, b, y, s, changetype<AddOp>(p));
}

export function mul_s8_ref(a: usize, b: usize, y: usize, s: Broadcast4, p: MulParams): void {
  broadcast_s8<MulOp>(a, b, y, s, changetype<MulOp>(p));
}

// @ts-ignore: decorator
@inline function addQuad(a: v128, b: v128, p: AddParams, m1: v128, m2: v128, mo: v128, off1: v128, off2: v128, outOff: v128, lo: v128, hi: v128): v128 {
  const l1 = max(p.input1Shift, 0), r1 = max(-p.input1Shift, 0);
  const l2 = max(p.input2Shift, 0), r2 = max(-p.input2Shift, 0);
  const lo_ = max(p.outputShift, 0), ro = max(-p.outputShift, 0);
  const sa = mbqmUniform4(i32x4.shl(i32x4.add(a, off1), p.leftShift), m1, l1, r1);
  const sb = mbqmUniform4(i32x4.shl(i32x4.add(b, off2), p.leftShift), m2, l2, r2);
  const r = i32x4.add(mbqmUniform4(i32x4.add(sa, sb), mo, lo_, ro), outOff);
  return i32x4.min_s(i32x4.max_s(r, lo), hi);
}

// @ts-ignore: decorator
@inline function addQuadSmall(
  a: v128, b: v128, mh1: v128, ml1: v128, c1: v128, nd1: v128, de1: i32, mh2: v128, ml2: v128, c2: v128, nd2: v128, de2: i32,
  lo_: i32, ro: i32, maskO: v128, halfO: v128, mo: v128, off1: v128, off2: v128, outOff: v128,
): v128 {
  const sa = mbqmSmall4(i32x4.add(a, off1), mh1, ml1, c1, nd1, de1);
  const sb = mbqmSmall4(i32x4.add(b, off2), mh2, ml2, c2, nd2, de2);
  return i32x4.add(mbqmUniform4Pre(i32x4.add(sa, sb), mo, lo_, ro, maskO, halfO), outOff); // unclamped: narrowed, then clamped as int8
}

/**
 * add_s8's SIMD loop with both input rescales by mbqmSmall4 (requant-simd.ts; ls, m and s as
 * addSmallFits accepts them); returns the count of values done (a multiple of 16). Every
 * per-tensor vector is made before the loop; the 16 results are narrowed with saturation and
 * clamped once as int8 (the same bytes as clamping each i32 lane: [lo, hi] lies in [-128, 127]).
 */
function add_s8_small(a: usize, b: usize, y: usize, n: i32, p: AddParams, mo: v128, off1: v128, off2: v128, outOff: v128): i32 {
  const ls = p.leftShift, m1 = p.input1Multiplier, s1 = p.input1Shift, m2 = p.input2Multiplier, s2 = p.input2Shift;
  const mh1 = smallMh(ls, m1, s1), ml1 = smallMl(ls, m1, s1), c1 = smallCPos(ls, s1), nd1 = smallNegD(ls, s1), de1 = smallDe(ls, s1);
  const mh2 = smallMh(ls, m2, s2), ml2 = smallMl(ls, m2, s2), c2 = smallCPos(ls, s2), nd2 = smallNegD(ls, s2), de2 = smallDe(ls, s2);
  const lo_ = max(p.outputShift, 0), ro = max(-p.outputShift, 0);
  const maskO = i32x4.splat((1 << ro) - 1), halfO = i32x4.shr_s(maskO, 1);
  const lo8 = splat8(p.actMin), hi8 = splat8(p.actMax);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const va = v128.load(a + <usize>i), vb = v128.load(b + <usize>i);
    const a0 = i16x8.extend_low_i8x16_s(va), a1 = i16x8.extend_high_i8x16_s(va);
    const b0 = i16x8.extend_low_i8x16_s(vb), b1 = i16x8.extend_high_i8x16_s(vb);
    const q0 = addQuadSmall(i32x4.extend_low_i16x8_s(a0), i32x4.extend_low_i16x8_s(b0), mh1, ml1, c1, nd1, de1, mh2, ml2, c2, nd2, de2, lo_, ro, maskO, halfO, mo, off1, off2, outOff);
    const q1 = addQuadSmall(i32x4.extend_high_i16x8_s(a0), i32x4.extend_high_i16x8_s(b0), mh1, ml1, c1, nd1, de1, mh2, ml2, c2, nd2, de2, lo_, ro, maskO, halfO, mo, off1, off2, outOff);
    const q2 = addQuadSmall(i32x4.extend_low_i16x8_s(a1), i32x4.extend_low_i16x8_s(b1), mh1, ml1, c1, nd1, de1, mh2, ml2, c2, nd2, de2, lo_, ro, maskO, halfO, mo, off1, off2, outOff);
    const q3 = addQuadSmall(i32x4.extend_high_i16x8_s(a1), i32x4.extend_high_i16x8_s(b1), mh1, ml1, c1, nd1, de1, mh2, ml2, c2, nd2, de2, lo_, ro, maskO, halfO, mo, off1, off2, outOff);
    v128.store(y + <usize>i, narrowClamp8(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3), lo8, hi8));
  }
  return i;
}

// One ADD value with every shift to the right (add_s8's fast path), in bits 0-7.
// @ts-ignore: decorator
@inline function addRight(x1: i32, x2: i32, o1: i32, o2: i32, ls: i32, m1: i32, e1: i32, h1: i32, m2: i32, e2: i32, h2: i32, mo: i32, eo: i32, ho: i32, oo: i32, lo: i32, hi: i32): i32 {
  const sa = mbqmRight((x1 + o1) << ls, m1, e1, h1);
  const sb = mbqmRight((x2 + o2) << ls, m2, e2, h2);
  return clamp(mbqmRight(sa + sb, mo, eo, ho) + oo, lo, hi) & 0xff;
}

/** ADD of two same-shape int8 tensors of n values (no broadcast). */
export function add_s8(a: usize, b: usize, y: usize, n: i32, p: AddParams): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const m1 = i32x4.splat(p.input1Multiplier), m2 = i32x4.splat(p.input2Multiplier), mo = i32x4.splat(p.outputMultiplier);
    const off1 = i32x4.splat(p.input1Offset), off2 = i32x4.splat(p.input2Offset), outOff = i32x4.splat(p.outputOffset);
    const lo = i32x4.splat(p.actMin), hi = i32x4.splat(p.actMax);
    if (addSmallFits(p.input1Offset, p.leftShift, p.input1Multiplier, p.input1Shift)
      && addSmallFits(p.input2Offset, p.leftShift, p.input2Multiplier, p.input2Shift)) {
      i = add_s8_small(a, b, y, n, p, mo, off1, off2, outOff); // the input rescales in i32 lanes
    }
    for (; i + 16 <= n; i += 16) {
      const va = v128.load(a + <usize>i), vb = v128.load(b + <usize>i);
      const a0 = i16x8.extend_low_i8x16_s(va), a1 = i16x8.extend_high_i8x16_s(va);
      const b0 = i16x8.extend_low_i8x16_s(vb), b1 = i16x8.extend_high_i8x16_s(vb);
      const q0 = addQuad(i32x4.extend_low_i16x8_s(a0), i32x4.extend_low_i16x8_s(b0), p, m1, m2, mo, off1, off2, outOff, lo, hi);
      const q1 = addQuad(i32x4.extend_high_i16x8_s(a0), i32x4.extend_high_i16x8_s(b0), p, m1, m2, mo, off1, off2, outOff, lo, hi);
      const q2 = addQuad(i32x4.extend_low_i16x8_s(a1), i32x4.extend_low_i16x8_s(b1), p, m1, m2, mo, off1, off2, outOff, lo, hi);
      const q3 = addQuad(i32x4.extend_high_i16x8_s(a1), i32x4.extend_high_i16x8_s(b1), p, m1, m2, mo, off1, off2, outOff, lo, hi);
      v128.store(y + <usize>i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)));
    }
  }
  // Scalar: params in locals (each read of p is a checked memory access once translated to C),
  // 4 values per i32 load and store, one-rounding mbqm (add_s8_ref keeps mbqm_ref).
  const o1 = p.input1Offset, o2 = p.input2Offset, oo = p.outputOffset, ls = p.leftShift;
  const m1 = p.input1Multiplier, s1 = p.input1Shift, m2 = p.input2Multiplier, s2 = p.input2Shift;
  const mo = p.outputMultiplier, so = p.outputShift, lo = p.actMin, hi = p.actMax;
  if (!ASC_FEATURE_SIMD && WIDE_GEMM && wideRow != 0 && n >= ADD_LUT_MIN) i = add_s8_lut(a, b, y, n, p, wideRow);
  if (!ASC_FEATURE_SIMD && s1 < 0 && s2 < 0 && so < 0) {
    // every shift to the right (TFLite's ADD: input shifts <= 0 after its left shift of 20):
    // mbqmRight with each tensor's e - 1 and 2^(e - 2) hoisted, no branch per value
    const e1 = -s1 - 1, e2 = -s2 - 1, eo = -so - 1;
    const h1 = 1 << e1, h2 = 1 << e2, ho = 1 << eo;
    for (; i + 4 <= n; i += 4) {
      const va = load<i32>(a + <usize>i), vb = load<i32>(b + <usize>i);
      const r = addRight(sb0(va), sb0(vb), o1, o2, ls, m1, e1, h1, m2, e2, h2, mo, eo, ho, oo, lo, hi)
        | addRight(sb1(va), sb1(vb), o1, o2, ls, m1, e1, h1, m2, e2, h2, mo, eo, ho, oo, lo, hi) << 8
        | addRight(sb2(va), sb2(vb), o1, o2, ls, m1, e1, h1, m2, e2, h2, mo, eo, ho, oo, lo, hi) << 16
        | addRight(sb3(va), sb3(vb), o1, o2, ls, m1, e1, h1, m2, e2, h2, mo, eo, ho, oo, lo, hi) << 24;
      store<i32>(y + <usize>i, r);
    }
  }
  if (!ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const va = load<i32>(a + <usize>i), vb = load<i32>(b + <usize>i);
      let r = 0;
      for (let j = 0; j < 32; j += 8) {
        const sa = mbqm((((va << (24 - j)) >> 24) + o1) << ls, m1, s1);
        const sb = mbqm((((vb << (24 - j)) >> 24) + o2) << ls, m2, s2);
        r |= (clamp(mbqm(sa + sb, mo, so) + oo, lo, hi) & 0xff) << j;
      }
      store<i32>(y + <usize>i, r);
    }
  }
  for (; i < n; i++) {
    const sa = mbqm((<i32>load<i8>(a + <usize>i) + o1) << ls, m1, s1);
    const sb = mbqm((<i32>load<i8>(b + <usize>i) + o2) << ls, m2, s2);
    store<i8>(y + <usize>i, <i8>clamp(mbqm(sa + sb, mo, so) + oo, lo, hi));
  }
}
