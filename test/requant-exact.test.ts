// Proof that TFLite's two-rounding requantization (MultiplyByQuantizedMultiplier:
// SaturatingRoundingDoublingHighMul, then RoundingDivideByPOT) equals one rounding of the
// 64-bit product, the form the scalar kernels use (assembly/kernels/quant.ts mbqm):
//
//   P = (x << left) * m,  e = max(-shift, 0),  left = max(shift, 0)
//   e = 0:   out = (P + 2^30) >> 31
//   e >= 1:  out = (P + 2^30 + 2^(30+e) - (P < -2^30 ? 2^31 : 0)) >> (31 + e)
//
// (arithmetic shifts, i.e. floor); quant.ts mbqmRq is the same sum split into 32-bit halves. Why: for every P, srdhm(x, m) = floor((P + 2^30) / 2^31)
// (C++ truncation of (P + 1 - 2^30) / 2^31 for P < 0 is the same floor), and rdbpot(q, e)
// = floor((q + 2^(e-1) - [q < 0]) / 2^e); floor(floor(a / b) + c) / d) = floor((a + b c) / (b d))
// for integers merges the two, and q < 0 <=> P < -2^30. For m >= 0 and e >= 1 the selector can be
// the sign of x instead (P in [-2^30, 0) gives 0 either way), which is what quant.ts does.
// Checked below against a plain BigInt transcription of gemmlowp: exhaustively on small and
// extreme accumulators for edge multipliers and every shift, on the half-way points of both
// roundings, and on random cases. m = i32.MIN (the only saturating case) is out of the domain:
// the converter's multipliers are in [0, 2^31) (src/passes/layout-weights.ts requantTable).
//
// Every case also runs through the SIMD build's compiled vector code (assembly/kernels/
// requant-simd.ts requant4 from a requant-table record, and mbqmUniform4, ADD's per-tensor form),
// by way of a probe module (assembly/probes/requant-probe.ts) built here with asc --enable simd:
// srdhm as a floor with a logical 64-bit shift, then the f32 rounding where |q| <= 2^21 and the f64
// one elsewhere (a test below aims at that boundary);
// and through the kernels' f64 one-rounding path (requantF4 from rqfPrepare's records, taken where
// the accumulator lies in [-B, B), B = 2^(21 - left) or 2^(20 - left); a test aims at B), both
// with its floor (every i32 exact) and as the kernels round without it, to nearest where
// rqfPrepare finds no half-integer that could change an int8 output and by the nudge G elsewhere
// (compared as int8 outputs at output offsets 0, -128 and 127; forcing the nearest rounding on
// every record fails, and cases one grid step below a half-integer catch a nudge that is too big);
// and ADD's input rescale in i32 lanes (mbqmSmall4) over its whole guarded domain of t.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mbqmRef } from './gemmlowp.js';
import { REPO } from '../tools/firmware/build.js';

const B = BigInt;
const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1;

/** The one-rounding formula as issue 14 states it (selector P < -2^30). */
function mbqmIssue(x: number, m: number, shift: number): number {
  const left = shift > 0 ? shift : 0, e = shift > 0 ? 0 : -shift;
  const P = B(x << left) * B(m);
  if (e === 0) return Number((P + (1n << 30n)) >> 31n);
  const c = (1n << 30n) + (1n << B(30 + e)) - (P < -(1n << 30n) ? 1n << 31n : 0n);
  return Number((P + c) >> B(31 + e));
}

/** quant.ts mbqm step by step (i32/i64 wasm semantics), checking that nothing wraps: shift >= 0
 *  (e = 0) rounds the 64-bit product once at bit 31; shift < 0 takes mbqmRq's form (hi32 of
 *  x * m + c, c = 2^30 + j 2^31, j = 2^(e-1) - [x < 0], then an i32 shift by e - 1). */
function mbqmRuntime(x: number, m: number, shift: number): number {
  if (shift >= 0) {
    const t = B(x << shift) * B(m) + (1n << 30n);
    const r = t >> 31n;
    if (BigInt.asIntN(32, r) !== r) throw new Error(`i32 overflow at ${x} ${m} ${shift}`);
    return Number(r);
  }
  const s = -shift - 1;
  const j = ((1 << s) + (x >> 31)) | 0;
  const c = (B(j >>> 1) << 32n) | B(((j << 31) | (1 << 30)) >>> 0);
  const t = B(x) * B(m) + c;
  if (BigInt.asIntN(64, t) !== t) throw new Error(`i64 overflow at ${x} ${m} ${shift}`);
  const hi = t >> 32n;
  if (BigInt.asIntN(32, hi) !== hi) throw new Error(`i32 overflow at ${x} ${m} ${shift}`);
  return Number(hi) >> s;
}

/** quant.ts mbqmRq (the requant table's 2^left and e; the constant from two 32-bit halves). */
function mbqmRqRuntime(x: number, m: number, shift: number): number {
  const pow2 = shift > 0 ? 1 << shift : 1, e = shift > 0 ? 0 : -shift;
  if (e === 0) return Number(BigInt.asIntN(32, (B(Math.imul(x, pow2)) * B(m) + (1n << 30n)) >> 31n));
  const s = e - 1;
  const j = ((1 << s) + (x >> 31)) | 0;
  const c = (B(j >>> 1) << 32n) | B(((j << 31) | (1 << 30)) >>> 0);
  const t = BigInt.asIntN(64, B(x) * B(m) + c);
  return Number(BigInt.asIntN(32, t >> 32n)) >> s;
}

function check(x: number, m: number, shift: number) {
  const want = mbqmRef(x, m, shift);
  const a = mbqmIssue(x, m, shift), b = mbqmRuntime(x, m, shift), c = mbqmRqRuntime(x, m, shift);
  if (a !== want || b !== want || c !== want) {
    assert.unreachable(`x=${x} m=${m} shift=${shift}: ref ${want}, issue ${a}, mbqm ${b}, mbqmRq ${c}`);
  }
  simd.push(x, m, shift, want);
}

/** The probe module, compiled from the runtime's own requant-simd.ts. */
function buildProbe(): WebAssembly.Instance {
  const dir = join(REPO, 'build', 'probes');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'requant-probe.wasm');
  execFileSync(join(REPO, 'node_modules', '.bin', 'asc'), ['assembly/probes/requant-probe.ts', '--enable', 'simd', '-O3', '--runtime', 'stub', '--use', 'abort=', '--outFile', out], { cwd: REPO });
  return new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), {});
}

/** Cases queued for the SIMD code, run in batches of QUADS quads (4 cases per requant4 quad). */
const simd = (() => {
  const QUADS = 1 << 15, CASES = QUADS * 4;
  const probe = buildProbe().exports as { memory: WebAssembly.Memory; heapBase(): number; requantQuads(x: number, rq: number, y: number, n: number): void; uniformQuads(x: number, p: number, y: number, n: number): void; requantQuadsF64(x: number, rq: number, y: number, n: number, mode: number, outOffset: number): number; lastNearestQuads(): number };
  const base = probe.heapBase();
  // requant4: x 16 B, record 48 B, y 16 B per quad; mbqmUniform4: one case per quad, x 16 B, params 16 B, y 16 B
  const X = base, RQ = X + QUADS * 16, Y = RQ + QUADS * 48, UX = Y + QUADS * 16, UP = UX + CASES * 16, UY = UP + CASES * 16;
  const YF = UY + CASES * 16; // requantF4 (or requant4 outside its range), 16 B per quad
  const YF1 = YF + QUADS * 16, YF2 = YF1 + QUADS * 16; // requantF4 always with its floor, always without
  const YLO = YF2 + QUADS * 16, YHI = YLO + QUADS * 16; // as YF with output offsets -128 and 127
  const YN = YHI + QUADS * 16; // requantF4 always by the nudge, output offset -128
  const need = YN + QUADS * 16 - probe.memory.buffer.byteLength;
  if (need > 0) probe.memory.grow(Math.ceil(need / 65536));
  const cases = { x: new Int32Array(CASES), m: new Int32Array(CASES), shift: new Int32Array(CASES), want: new Int32Array(CASES) };
  let n = 0, total = 0, fastQuads = 0, tieFreeQuads = 0, floorlessWrong = 0, nudged = 0;
  function flush() {
    if (n === 0) return;
    const mem = new Int32Array(probe.memory.buffer);
    const quads = Math.ceil(n / 4);
    for (let i = 0; i < quads * 4; i++) {
      const k = Math.min(i, n - 1); // pad the last quad with the last case
      const left = Math.max(cases.shift[k], 0), e = Math.max(-cases.shift[k], 0);
      const q = i >> 2, l = i & 3;
      mem[X / 4 + i] = cases.x[k];
      mem[RQ / 4 + q * 12 + l] = cases.m[k];
      mem[RQ / 4 + q * 12 + 4 + l] = 1 << left;
      mem[RQ / 4 + q * 12 + 8 + l] = 1023 - e;
    }
    for (let i = 0; i < n; i++) {
      mem.fill(cases.x[i], UX / 4 + i * 4, UX / 4 + i * 4 + 4);
      mem.set([cases.m[i], Math.max(cases.shift[i], 0), Math.max(-cases.shift[i], 0)], UP / 4 + i * 4);
    }
    probe.requantQuads(X, RQ, Y, quads);
    probe.uniformQuads(UX, UP, UY, n);
    fastQuads += probe.requantQuadsF64(X, RQ, YF, quads, -1, 0);
    tieFreeQuads += probe.lastNearestQuads();
    probe.requantQuadsF64(X, RQ, YF1, quads, 0, 0);
    probe.requantQuadsF64(X, RQ, YF2, quads, 2, 0);
    probe.requantQuadsF64(X, RQ, YLO, quads, -1, -128);
    probe.requantQuadsF64(X, RQ, YHI, quads, -1, 127);
    probe.requantQuadsF64(X, RQ, YN, quads, 1, -128);
    for (let i = 0; i < n; i++) {
      const got = mem[Y / 4 + i], uni = mem.subarray(UY / 4 + i * 4, UY / 4 + i * 4 + 4), f64 = mem[YF / 4 + i], f64floor = mem[YF1 / 4 + i];
      const want8 = Math.min(127, Math.max(-128, cases.want[i])); // the kernels' int8 output, offset 0
      const byte = (off: number) => Math.min(127, Math.max(-128, (cases.want[i] + off) | 0)); // int8 output at offset off (i32 sum, as TFLite's)
      if (got !== cases.want[i] || f64 !== want8 || f64floor !== cases.want[i] || uni.some((v) => v !== cases.want[i])) {
        assert.unreachable(`x=${cases.x[i]} m=${cases.m[i]} shift=${cases.shift[i]}: ref ${cases.want[i]}, SIMD requant4 ${got}, requantF4 ${f64} as int8 (with the floor ${f64floor}), mbqmUniform4 ${Array.from(uni)}`);
      }
      if (mem[YLO / 4 + i] !== byte(-128) || mem[YHI / 4 + i] !== byte(127)) {
        assert.unreachable(`x=${cases.x[i]} m=${cases.m[i]} shift=${cases.shift[i]}: ref ${cases.want[i]}, requantF4 as int8 at offsets -128, 127: ${mem[YLO / 4 + i]}, ${mem[YHI / 4 + i]}`);
      }
      if (mem[YF2 / 4 + i] !== want8) floorlessWrong++;
      // the nudge, forced: right for every record whose quad has e <= 12 (the padded last quad's too)
      const q0 = i & ~3, eMax = Math.max(...[0, 1, 2, 3].map((l) => Math.max(-cases.shift[Math.min(q0 + l, n - 1)], 0)));
      if (eMax <= 12) {
        if (mem[YN / 4 + i] !== byte(-128)) assert.unreachable(`x=${cases.x[i]} m=${cases.m[i]} shift=${cases.shift[i]}: ref ${cases.want[i]}, requantF4 by the nudge ${mem[YN / 4 + i]} at offset -128`);
        nudged++;
      }
    }
    total += n;
    n = 0;
  }
  return {
    push(x: number, m: number, shift: number, want: number) {
      cases.x[n] = x; cases.m[n] = m; cases.shift[n] = shift; cases.want[n] = want;
      if (++n === CASES) flush();
    },
    /** Runs what is queued; returns how many cases the SIMD code has checked so far. */
    flush(): number { flush(); return total; },
    /** Quads (4 cases each) that took requantF4 so far. */
    fastQuads(): number { return fastQuads; },
    /** Of those, the quads whose records rqfPrepare found tie-free (rounded to nearest; the others by the nudge). */
    tieFreeQuads(): number { return tieFreeQuads; },
    /** Cases that requantF4 without the floor, forced on every record, got wrong. */
    floorlessWrong(): number { return floorlessWrong; },
    /** Cases checked through requantF4 by the nudge, forced on records of e <= 12. */
    nudged(): number { return nudged; },
  };
})();

/** mulberry32: deterministic, so a failure names a reproducible case. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const EDGE_M = [0, 1, 2, 3, 2 ** 30 - 1, 2 ** 30, 2 ** 30 + 1, 1518500250, 2 ** 31 - 2, 2 ** 31 - 1];
const SHIFTS = Array.from({ length: 63 }, (_, i) => i - 31); // right 31 .. left 31

test('exhaustive: small and extreme accumulators, edge multipliers, every shift', () => {
  let n = 0;
  for (const m of EDGE_M) {
    for (const shift of SHIFTS) {
      const span = shift > 0 ? 64 : 300;
      for (let x = -span; x <= span; x++) { check(x, m, shift); n++; }
      for (let d = 0; d < span; d++) {
        check(I32_MIN + d, m, shift); check(I32_MAX - d, m, shift); n += 2;
      }
    }
  }
  assert.ok(n > 300_000);
  assert.ok(simd.flush() >= n);
});

test('exhaustive: every accumulator in [-2^13, 2^13] for right shifts and random multipliers', () => {
  const r = rng(14);
  for (let k = 0; k < 6; k++) {
    const m = 2 ** 30 + (r() >>> 2);
    for (const e of [0, 1, 2, 7, 15, 31]) for (let x = -(2 ** 13); x <= 2 ** 13; x++) check(x, m, -e);
  }
  simd.flush();
});

test('half-way points of both roundings: P = k 2^(31+e) +- 2^(30+e) and P = k 2^31 +- 2^30', () => {
  const r = rng(1414);
  let n = 0;
  for (let i = 0; i < 40_000; i++) {
    const m = r() % 3 === 0 ? EDGE_M[r() % EDGE_M.length] || 2 ** 30 : 2 ** 30 + (r() >>> 2);
    const e = r() % 32;
    // a target product near a rounding boundary, then the accumulators whose product lands closest
    const outer = B((r() | 0) >> (e + 1)) * (1n << B(31 + e)) + (r() & 1 ? 1n : -1n) * (1n << B(30 + e));
    const inner = B((r() | 0) >> 1) * (1n << 31n) + (r() & 1 ? 1n : -1n) * (1n << 30n);
    for (const target of [outer, inner]) {
      if (m === 0) continue;
      const x0 = target / B(m);
      for (let d = -2n; d <= 2n; d++) {
        const x = x0 + d;
        if (x < B(I32_MIN) || x > B(I32_MAX)) continue;
        check(Number(x), m, -e); n++;
      }
    }
  }
  // exact half-way products: m a power of two makes P = x 2^b hit the boundary exactly
  for (let b = 0; b <= 30; b++) {
    for (const e of SHIFTS.filter((s) => s <= 0).map((s) => -s)) {
      for (const k of [-3, -2, -1, 0, 1, 2, 3]) {
        for (const h of [-1, 1]) {
          for (const shiftBits of [30 + e, 30]) {
            const target = B(k) * (1n << B(31 + e)) + B(h) * (1n << B(shiftBits));
            if (target % (1n << B(b)) !== 0n) continue;
            const x = target >> B(b);
            if (x < B(I32_MIN) || x > B(I32_MAX)) continue;
            for (const dx of [-1, 0, 1]) {
              const xd = Number(x) + dx;
              if (xd >= I32_MIN && xd <= I32_MAX) { check(xd, 2 ** b, -e); n++; }
            }
          }
        }
      }
    }
  }
  assert.ok(n > 200_000);
  simd.flush();
});

test('random: 2,000,000 cases (accumulators of every size, multipliers in [2^30, 2^31))', () => {
  const r = rng(20261129);
  for (let i = 0; i < 2_000_000; i++) {
    const bits = r() % 32;
    const x = (r() | 0) >> (31 - bits);
    const m = i % 64 === 0 ? r() >>> 1 : 2 ** 30 + (r() >>> 2);
    const shift = i % 16 === 0 ? (r() % 32) : -(r() % 32);
    check(x, m, shift);
  }
  simd.flush();
});

test('SIMD: both sides of the f32 path\'s bound (srdhm result q = +-2^21), every shift', () => {
  const r = rng(2121);
  let n = 0;
  for (const shift of SHIFTS) {
    for (let k = 0; k < 40; k++) {
      const m = k === 0 ? 2 ** 30 : k === 1 ? 2 ** 31 - 1 : 2 ** 30 + (r() >>> 2);
      const left = Math.max(shift, 0);
      for (const q of [2 ** 21, -(2 ** 21)]) {
        // x << left with srdhm(x << left, m) near q: x ~ q 2^31 / m / 2^left
        const x0 = Math.round((q * 2 ** 31) / m / 2 ** left);
        for (let d = -6; d <= 6; d++) { check(x0 + d, m, shift); n++; }
      }
    }
  }
  assert.ok(n > 60_000);
  simd.flush();
});

test('SIMD f64 path: both sides of its bound B = 2^(21 - left) (2^(20 - left) for e > 21), every shift', () => {
  const r = rng(2020);
  let n = 0;
  for (const shift of SHIFTS) {
    const left = Math.max(shift, 0), e = Math.max(-shift, 0);
    if (left > 20) continue;
    const bound = 2 ** ((e > 21 ? 20 : 21) - left);
    for (let k = 0; k < 24; k++) {
      const m = k === 0 ? 2 ** 31 - 1 : k === 1 ? 2 ** 30 : k === 2 ? 0 : 2 ** 30 + (r() >>> 2);
      for (const x0 of [bound, -bound]) {
        for (let d = -40; d <= 40; d++) { check(x0 + d, m, shift); n++; }
      }
    }
  }
  // the largest |y| at e = 21 and e = 22 with m = 2^31 - 1: products near 2^52, 2^51 and their half-way points
  for (const e of [20, 21, 22, 23, 31]) {
    for (let x = 2 ** 20 - 4096; x < 2 ** 20 + 4096; x++) { check(x, 2 ** 31 - 1, -e); check(-x, 2 ** 31 - 1, -e); n += 2; }
  }
  assert.ok(n > 100_000);
  const before = simd.fastQuads();
  simd.flush();
  assert.ok(simd.fastQuads() > before, 'cases inside the bound took the f64 path');
});

test('SIMD ADD input rescale (mbqmSmall4): every t in [-511, 511] for every (left shift, shift) its guard accepts', () => {
  // ADD's mbqm((a + offset) << ls, m, s) in i32 lanes (requant-simd.ts): exact where
  // addSmallFits holds, which needs |offset| <= 383; checked here against gemmlowp in BigInt.
  const probe = buildProbe().exports as { memory: WebAssembly.Memory; heapBase(): number; smallFits(off: number, ls: number, m: number, s: number): number; smallQuads(x: number, y: number, n: number, ls: number, m: number, s: number): void };
  const X = probe.heapBase(), Y = X + 1024 * 4;
  const mem = () => new Int32Array(probe.memory.buffer);
  for (let t = -511; t <= 511; t++) mem()[X / 4 + t + 511] = t;
  mem()[X / 4 + 1023] = 0;
  const next = rng(77);
  let pairs = 0, cases = 0;
  for (let ls = 0; ls <= 31; ls++) {
    for (let s = -31; s <= 31; s++) {
      const ms = [...EDGE_M, 1623821475, 1073741824, ...Array.from({ length: 6 }, () => next() >>> 1)];
      let any = false;
      for (const m of ms) {
        if (!probe.smallFits(0, ls, m, s)) continue;
        any = true;
        assert.ok(probe.smallFits(383, ls, m, s) && probe.smallFits(-383, ls, m, s) && !probe.smallFits(384, ls, m, s) && !probe.smallFits(-384, ls, m, s), `offset bound, ls ${ls} s ${s}`);
        probe.smallQuads(X, Y, 1024, ls, m, s);
        const y = mem();
        for (let t = -511; t <= 511; t++) {
          const want = mbqmRef(t << ls, m, s);
          if (y[Y / 4 + t + 511] !== want) assert.unreachable(`t=${t} ls=${ls} m=${m} s=${s}: ref ${want}, mbqmSmall4 ${y[Y / 4 + t + 511]}`);
          cases++;
        }
      }
      if (any) pairs++;
      else assert.ok(ls + Math.max(s, 0) < 10 || ls + Math.max(s, 0) > 22 || Math.max(-s, 0) > ls + Math.max(s, 0) - 10, `ls ${ls} s ${s} refused`);
    }
  }
  assert.ok(!probe.smallFits(0, 20, -1, -2), 'negative multiplier refused');
  assert.ok(pairs > 150 && cases > 2_000_000, `${pairs} (ls, s) pairs, ${cases} cases`);
});

test('SIMD f64 path without the floor: accumulators near each half-integer (m with 9 trailing zeros) and on them (more zeros, saturating)', () => {
  // the largest tie-free v2(m): P = x m 2^left has 30 factors of two only for |x| >= 2^21 >> left,
  // outside the range; half-integers of y + copysign(H, y) are then never met
  const r = rng(909);
  let n = 0;
  for (const shift of [-1, -2, -5, -9, -12, -20, 0, 1, 3]) {
    const left = Math.max(shift, 0), e = Math.max(-shift, 0);
    const bound = 2 ** ((e > 21 ? 20 : 21) - left);
    for (let k = 0; k < 6; k++) {
      const m = (((2 ** 21 + (r() >>> 11)) | 1) * 2 ** 9); // odd part times 2^9, in [2^30, 2^31)
      // x nearest the half-way points of the output: |out| up to 200
      for (let out = -200; out <= 200; out++) {
        const x0 = Math.round(((out + 0.5) * 2 ** (31 + e)) / (m * 2 ** left));
        for (let d = -3; d <= 3; d++) {
          const x = x0 + d;
          if (x >= -bound && x < bound) { check(x, m, shift); n++; }
        }
      }
    }
  }
  // ten or more trailing zeros (z), accumulators on exact half-integers: P = x m with
  // P + sign(P) 2^30 an odd multiple of 2^(30+e), which x = +-2^(30-z) meets when
  // odd(m) = -1 + 2^e mod 2^(e+1): where the int8 output saturates (odd(m) >= 511 2^e: no floor)
  // and, at e = 12 (odd(m) < 511 2^e: |y| from 128, the floor kept), where it need not
  let ties = 0;
  for (const [z, e] of [[10, 1], [10, 5], [11, 4], [12, 2], [13, 3], [10, 10], [10, 12]]) {
    const lo = 2 ** (30 - z), step = 2 ** (e + 1);
    const first = lo + ((((2 ** e - 1 - lo) % step) + step) % step);
    for (let k = 0; k < 8; k++) {
      const odd = first + step * (r() % Math.floor((2 * lo - first) / step)); // in [2^(30-z), 2^(31-z))
      const m = odd * 2 ** z, T = 30 - z;
      for (const x of [2 ** T, -(2 ** T), 3 * 2 ** T, -3 * 2 ** T]) {
        if (Math.abs(x) >= 2 ** 21) continue;
        const P = B(x) * B(m), D = 1n << B(31 + e), c = (P < 0n ? -1n : 1n) << 30n;
        if ((((P + c) % D) + D) % D === 1n << B(30 + e)) ties++;
        for (let d = -2; d <= 2; d++) { check(x + d, m, -e); n++; }
      }
    }
  }
  // one grid step below a half-integer, t = k + 1/2 - 2^-(31+e) (k odd: round-to-nearest-even of
  // t + G goes up if G reaches the step): x m = (2k + 1) 2^(30+e) - 2^30 - 1, factored with
  // x < 2^21 and m in [2^30, 2^31)
  let below = 0;
  for (let e = 1; e <= 12; e++) {
    for (let k = 1, got = 0; k < 400 && got < 2; k += 2) {
      const N = (2 * k + 1) * 2 ** (30 + e) - 2 ** 30 - 1;
      for (let x = 3; x < 2 ** 21; x += 2) {
        if (N % x !== 0 || N / x < 2 ** 30 || N / x >= 2 ** 31) continue;
        for (const sx of [x, -x]) for (let d = -1; d <= 1; d++) { check(sx + d, N / x, -e); n++; }
        got++; below++;
        break;
      }
    }
  }
  // an op of mixed shifts past e_max = 12 (requant-simd.ts: the nudge over a narrower range): a
  // harmful half-integer t = 126.5 at e = 1 (m = 101 2^23, x = 640) beside channels at e = 16,
  // where G = 2^-48 is a quarter of t's ulp: t + G would round back to t, and to 126 (floor: 127).
  // The range 2^(20 - left - (e_max - e_min)) = 32 sends x = 640 to requant4. Repeated so that a
  // quad of the batch holds the four cases in some order whatever the batch's alignment.
  for (let k = 0; k < 3; k++) {
    check(640, 101 * 2 ** 23, -1); check(0, 2 ** 30 + 1, -16); check(5, 2 ** 30 + 1, -16); check(-7, 2 ** 30 + 1, -16);
    n += 4;
  }
  assert.ok(n > 100_000 && ties >= 7 * 8 * 2 && below >= 20, `${n} cases, ${ties} half-integers, ${below} just below one`);
  const before = simd.tieFreeQuads();
  simd.flush();
  assert.ok(simd.tieFreeQuads() > before, 'they ran without the floor');
});

test('SIMD: every case of this file ran through the vector code, a third of them through the f64 path', () => {
  const total = simd.flush();
  assert.ok(total > 3_000_000, `${total} cases`);
  // many cases are aimed at extreme accumulators, which take requant4
  assert.ok(simd.fastQuads() * 4 > total / 4, `${simd.fastQuads()} f64 quads of ${total / 4}`);
  // most f64 quads rounded to nearest; the exact half-way cases (m = 2^b, b >= 10) need the nudge
  // (or the floor): rounding them to nearest, as if their records were tie-free, gets some wrong
  assert.ok(simd.tieFreeQuads() * 10 > simd.fastQuads() * 9, `${simd.tieFreeQuads()} tie-free of ${simd.fastQuads()} f64 quads`);
  assert.ok(simd.tieFreeQuads() < simd.fastQuads(), 'some f64 quads took the nudge');
  assert.ok(simd.floorlessWrong() > 0, 'without the tie-free check some half-way case fails');
  assert.ok(simd.nudged() > 500_000, `${simd.nudged()} cases by the nudge`);
});

test.run();
