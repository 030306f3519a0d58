// Test probe (not part of any runtime build): the SIMD build's vector requantizations over
// arrays, so test/requant-exact.test.ts can run millions of cases through the compiled code.
// Compiled by the test with asc --enable simd.

import { requant4, mbqmUniform4, requantF4, rqfBias, rqfFits2, rqfMagic, rqfPrepare, rqfBuild, rqfNearest, requantF4Floor, addSmallFits, mbqmSmall4, smallCPos, smallDe, smallMh, smallMl, smallNegD } from '../kernels/requant-simd';

/** First 16-aligned free byte. */
export function heapBase(): usize { return (__heap_base + 15) & ~15; }

/** n quads: i32x4 accumulators at x, one 48-byte requant record per quad at rq, i32x4 mbqm at y (no offset, no clamp). */
export function requantQuads(x: usize, rq: usize, y: usize, n: i32): void {
  const off = i32x4.splat(0), lo = i32x4.splat(i32.MIN_VALUE), hi = i32x4.splat(i32.MAX_VALUE);
  for (let i = 0; i < n; i++) {
    v128.store(y + (<usize>i << 4), requant4(v128.load(x + (<usize>i << 4)), rq + <usize>i * 48, off, lo, hi));
  }
}

/** n quads: i32x4 at x, per quad (m, left, right) as 3 of 4 i32 at p, mbqmUniform4 at y. */
export function uniformQuads(x: usize, p: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const q = p + (<usize>i << 4);
    v128.store(y + (<usize>i << 4), mbqmUniform4(v128.load(x + (<usize>i << 4)), i32x4.splat(load<i32>(q)), load<i32>(q, 4), load<i32>(q, 8)));
  }
}

/** Quads the last requantQuadsF64 rounded to nearest without the nudge (mode -1: rqfNearest). */
let nearestQuads = 0;
export function lastNearestQuads(): i32 { return nearestQuads; }

/**
 * n quads as requantQuads, each through the kernels' f64 path where its range check lets it
 * (rqfPrepare of the quad's record alone, as an op of 4 channels), requant4 otherwise, plus
 * outOffset and clamped to [-128, 127] as the kernels' int8 outputs (mode 0 aside).
 * mode -1: as the kernels (rqfPrepare, rounded as rqfNearest says); 0: by the floor wherever
 * rqfBuild takes the record, not clamped (outOffset 0: every i32 is mbqm's); 1: by the nudge
 * wherever rqfBuild takes it (right where the quad's e <= 12); 2: always to nearest (wrong where
 * ties can change a byte: the test shows the check is needed). Returns how many quads took the
 * f64 path.
 */
export function requantQuadsF64(x: usize, rq: usize, y: usize, n: i32, mode: i32, outOffset: i32): i32 {
  const lo = i32x4.splat(mode == 0 ? i32.MIN_VALUE : -128), hi = i32x4.splat(mode == 0 ? i32.MAX_VALUE : 127), magic = rqfMagic(outOffset);
  let fast = 0;
  nearestQuads = 0;
  for (let i = 0; i < n; i++) {
    const a = v128.load(x + (<usize>i << 4)), q = rq + <usize>i * 48;
    const f = mode < 0 ? rqfPrepare(q, 1) : rqfBuild(q, 1);
    let r: v128;
    if (f != 0 && rqfFits2(a, a, i32x4.splat(rqfBias), i32x4.splat(~(rqfBias * 2 - 1)))) {
      if (mode == 0) r = requantF4Floor(a, f, magic, lo, hi);
      else if (mode < 0 ? rqfNearest : mode == 2) {
        r = requantF4(a, f, magic, lo, hi, true);
        nearestQuads++;
      } else {
        r = requantF4(a, f, magic, lo, hi, false);
      }
      fast++;
    } else {
      r = requant4(a, q, i32x4.splat(outOffset), lo, hi);
    }
    v128.store(y + (<usize>i << 4), r);
  }
  return fast;
}

/** ADD's addSmallFits (the domain of mbqmSmall4). */
export function smallFits(off: i32, ls: i32, m: i32, s: i32): bool { return addSmallFits(off, ls, m, s); }

/** n i32 values t at x through mbqmSmall4 with ADD's constants of (ls, m, s) -> mbqm(t << ls, m, s) at y (a multiple of 4). */
export function smallQuads(x: usize, y: usize, n: i32, ls: i32, m: i32, s: i32): void {
  const mh = smallMh(ls, m, s), ml = smallMl(ls, m, s), c = smallCPos(ls, s), nd = smallNegD(ls, s), de = smallDe(ls, s);
  for (let i = 0; i < n; i += 4) {
    v128.store(y + (<usize>i << 2), mbqmSmall4(v128.load(x + (<usize>i << 2)), mh, ml, c, nd, de));
  }
}
