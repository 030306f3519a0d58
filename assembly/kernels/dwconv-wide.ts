// Scalar int8 depthwise conv for 64-bit JIT hosts: the f64 pixel pair of gemm-wide.ts applied
// to depthwise, over weights widened at load (assembly/wide.ts). Never used by the firmware
// runtimes (see gemm-wide.ts).
//
// Two output pixels of a row, k and k + half (half = ceil(outW / 2)), share each weight of a
// channel: their taps x0, x1 (raw int8) become one f64 X = x0 + x1 2^26, so one f64
// multiply-add does both pixels' products exactly (gemm-wide.ts header: with T = kh * kw <=
// WIDE_DW_MAX_TAPS taps the first pixel's sum L stays below 2^25 and S = L + H 2^26 splits
// exactly). The pairs are packed once per input row, channel by channel ([c][Wp] f64, P[j] =
// x[j - padLeft] + x[j - padLeft + half * strideW] 2^26; pair k's taps at j = k strideW +
// kx dilationW, so Wp is about half the row whatever the stride), in a ring of
// (kh - 1) * dilationH + 1 rows, so a row read by three output rows (3x3, stride 1) is packed
// once. Taps outside the image pack the input zero point zp: (zp + inOffset) w = 0 is exactly
// the reference's skipped tap, so every pixel starts from bias + inOffset * sum(w) and takes
// all T taps, with no border case.
//
// Output over input (docs/FORMAT.md): output row oy is stored after every input row it reads
// is packed, and the rows packed later are those the pixel-order kernels read after row oy's
// stores too, so an output laid over its input reads what dwconv_s8 reads.
//
// Layouts: weights [c][T + 1] f64 (the T taps of channel ch, then their sum), widened from the
// blocked [kh, kw, c] bytes by widenDwWeights. Ring (dwRingBytes): R i32 tags (the input row
// each slot holds) and kh u32 slot addresses, 16-byte aligned; a requant-wide.ts record; a channel's
// pair sums along a row (half f64, 16-byte aligned); then R slots of c * Wp f64.

import { ConvParams } from './conv';
import { RQ_WIDE_BYTES, rqWide, rqWideRecord } from './requant-wide';
import { exactI64, highOf, lowOf } from './gemm-wide';

/** Largest kh * kw widened: 1024 * 2^14 = 2^24 < 2^25 keeps the split exact (one block). */
export const WIDE_DW_MAX_TAPS: i32 = 1024;
const TWO26: f64 = 67108864.0;

// @ts-ignore: decorator
@inline function align16(n: u64): u64 { return (n + 15) & ~15; }

/** Bytes widenDwWeights writes for c channels of `taps` weights each. */
// @ts-ignore: decorator
@inline export function wideDwBytes(c: i32, taps: i32): u64 { return (<u64>c * <u64>(taps + 1)) << 3; }

/** Blocked depthwise weights [taps][c] bytes at w -> [c][taps + 1] f64 at dst (taps, then their sum). */
export function widenDwWeights(w: usize, c: i32, taps: i32, dst: usize): void {
  for (let ch = 0; ch < c; ch++) {
    const d = dst + ((<usize>ch * <usize>(taps + 1)) << 3);
    let sum: f64 = 0;
    for (let t = 0; t < taps; t++) {
      const v = <f64>load<i8>(w + <usize>t * <usize>c + <usize>ch);
      store<f64>(d + (<usize>t << 3), v);
      sum += v;
    }
    store<f64>(d + (<usize>taps << 3), sum);
  }
}

/** Packed positions per row: the pairs' first taps k strideW, k < half, plus the filter's width. */
// @ts-ignore: decorator
@inline function packWidth(outW: i32, kw: i32, sW: i32, dW: i32): i64 {
  return <i64>(halfOf(outW) - 1) * <i64>sW + <i64>(kw - 1) * <i64>dW + 1;
}
// @ts-ignore: decorator
@inline function halfOf(outW: i32): i32 { return (outW + 1) >> 1; }
// @ts-ignore: decorator
@inline function ringRows(kh: i32, dH: i32): i64 { return <i64>(kh - 1) * <i64>dH + 1; }
// @ts-ignore: decorator
@inline function tagBytes(kh: i32, dH: i32): u64 { return align16(<u64>(ringRows(kh, dH) + <i64>kh) << 2); }
const RQ_BYTES: u64 = <u64>RQ_WIDE_BYTES;
// @ts-ignore: decorator
@inline function headerBytes(kh: i32, dH: i32, outW: i32): u64 { return tagBytes(kh, dH) + RQ_BYTES + align16(<u64>halfOf(outW) << 3); }

// A column (inW = outW = kw = 1: a 1-D model over H) is run as a row: with one of H and W of
// size 1 NHWC holds the same bytes either way, and [kh, 1, c] weights are [1, kh, c] ones, so
// the pairs run along H instead of pairing every pixel with nothing.
// @ts-ignore: decorator
@inline function isColumn(inW: i32, outW: i32, kw: i32): bool { return inW == 1 && outW == 1 && kw == 1; }

/** Bytes of the ring dwconv_s8_wide packs into (0 when the geometry has none: it is not widened then). */
export function dwRingBytes(c: i32, kh: i32, kw: i32, inW: i32, outH: i32, outW: i32, sH: i32, sW: i32, dH: i32, dW: i32): u64 {
  const col = isColumn(inW, outW, kw);
  const rh = col ? 1 : kh, rw = col ? kh : kw, ow = col ? outH : outW, sw = col ? sH : sW, dh = col ? 1 : dH, dw = col ? dH : dW;
  if (c <= 0 || rh <= 0 || rw <= 0 || ow <= 0 || sw <= 0 || dw <= 0 || dh <= 0) return 0;
  const wp = packWidth(ow, rw, sw, dw), r = ringRows(rh, dh);
  if (wp <= 0 || wp > 1 << 24 || r > 1 << 16) return 0;
  return headerBytes(rh, dh, ow) + <u64>r * <u64>c * <u64>wp * 8;
}

/**
 * dwconv_s8 (conv.ts, depth multiplier 1, pixels c bytes apart) over widened weights ww; ring:
 * dwRingBytes bytes. Same arguments as dwconv_s8 otherwise. (At most 20 parameters: the
 * firmware's wasm2c host registers no longer signature, and this file is in the full scalar
 * build it translates.)
 */
export function dwconv_s8_wide(
  x: usize, inH: i32, inW: i32, c: i32,
  ww: usize, kh: i32, kw: i32,
  bias: usize, rq: usize,
  y: usize, batches: i32, outH: i32, outW: i32,
  p: ConvParams, ring: usize,
): void {
  let sH = p.strideH, sW = p.strideW, dH = p.dilationH, dW = p.dilationW, padTop = p.padTop, padLeft = p.padLeft;
  if (isColumn(inW, outW, kw)) { // H becomes W
    inW = inH; inH = 1; outW = outH; outH = 1; kw = kh; kh = 1;
    sW = sH; sH = 1; dW = dH; dH = 1; padLeft = padTop; padTop = 0;
  }
  const rows = <i32>ringRows(kh, dH), wp = <i32>packWidth(outW, kw, sW, dW);
  const slotAt = ring + <usize>(rows << 2); // kh u32: the slot of each filter row, for this output row
  const r = ring + <usize>tagBytes(kh, dH);
  const buf = ring + <usize>(tagBytes(kh, dH) + RQ_BYTES); // a channel's pair sums along the row: half f64
  const slots = ring + <usize>headerBytes(kh, dH, outW);
  const slotBytes = <usize>c * <usize>wp * 8;
  const rowIn = <usize>inW * <usize>c, rowOut = <usize>outW * <usize>c;
  for (let b = 0; b < batches; b++) {
    for (let s = 0; s < rows; s++) store<i32>(ring + (<usize>s << 2), i32.MIN_VALUE); // nothing packed
    const xb = x + <usize>b * <usize>inH * rowIn, yb = y + <usize>b * <usize>outH * rowOut;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * sH - padTop;
      for (let ky = 0; ky < kh; ky++) {
        const iy = iy0 + ky * dH, s = ((iy % rows) + rows) % rows;
        const slot = slots + <usize>s * slotBytes;
        if (load<i32>(ring + (<usize>s << 2)) != iy) {
          packRow(xb, iy, inH, inW, c, wp, halfOf(outW) * sW, padLeft, -p.inputOffset, slot);
          store<i32>(ring + (<usize>s << 2), iy);
        }
        store<u32>(slotAt + (<usize>ky << 2), <u32>slot);
      }
      row(slotAt, wp, ww, c, kh, kw, bias, rq, yb + <usize>oy * rowOut, outW, sW, dW, p, buf, r);
    }
  }
}

/** Input row iy (zp outside the image) -> [c][wp] packed pairs at dst. */
function packRow(xb: usize, iy: i32, inH: i32, inW: i32, c: i32, wp: i32, span: i32, padLeft: i32, zp: i32, dst: usize): void {
  const zf = <f64>zp;
  if (iy < 0 || iy >= inH) {
    const both = zf + zf * TWO26;
    const end = dst + <usize>c * <usize>wp * 8;
    for (let d = dst; d < end; d += 8) store<f64>(d, both);
    return;
  }
  const xr = xb + <usize>iy * <usize>inW * <usize>c, cs = <usize>c;
  // j in [j0, j1): both taps inside the row (ix = j - padLeft >= 0, ix + span < inW)
  const j0 = <i32>min(max(<i64>padLeft, 0), <i64>wp);
  const j1 = <i32>max(min(<i64>inW - <i64>span + <i64>padLeft, <i64>wp), <i64>j0);
  for (let ch = 0; ch < c; ch++) {
    const d = dst + <usize>ch * <usize>wp * 8, xc = xr + <usize>ch;
    for (let j = 0; j < j0; j++) store<f64>(d + (<usize>j << 3), edgePair(xc, cs, j - padLeft, span, inW, zf));
    let xp = xc + <usize>(j0 - padLeft) * cs;
    const far = <usize>span * cs;
    for (let j = j0; j < j1; j++) {
      store<f64>(d + (<usize>j << 3), <f64>load<i8>(xp) + <f64>load<i8>(xp + far) * TWO26);
      xp += cs;
    }
    for (let j = j1; j < wp; j++) store<f64>(d + (<usize>j << 3), edgePair(xc, cs, j - padLeft, span, inW, zf));
  }
}

// The pair at input column ix (and ix + span) of a channel's row, zp outside [0, inW).
// @ts-ignore: decorator
@inline function edgePair(xc: usize, cs: usize, ix: i32, span: i32, inW: i32, zf: f64): f64 {
  const ix1 = ix + span;
  const v0 = <u32>ix < <u32>inW ? <f64>load<i8>(xc + <usize>ix * cs) : zf;
  const v1 = <u32>ix1 < <u32>inW ? <f64>load<i8>(xc + <usize>ix1 * cs) : zf;
  return v0 + v1 * TWO26;
}

/**
 * A channel's row of n pair sums at buf (f64) -> its output bytes: the pair k's first pixel at
 * out + k cs, its partner `far` bytes on, for the first `full` pairs (then one pixel alone);
 * r: the channel's requant-wide.ts record, its bias + inOffset * sum(w) as the bias.
 */
function storeRow(buf: usize, n: i32, full: i32, out: usize, cs: usize, far: usize, r: usize, outOff: i32, lo: i32, hi: i32): void {
  const m = load<i64>(r), c = load<i64>(r, 8), neg = load<i64>(r, 16), shift = load<i64>(r, 24);
  const p2 = load<i32>(r, 32), base = load<i32>(r, 36);
  const end = buf + (<usize>full << 3);
  let o = out;
  for (let b = buf; b < end; b += 8) {
    const v = exactI64(load<f64>(b)), l = lowOf(v); // gemm-wide.ts: S = L + H 2^26
    store<u8>(o, rqWide(l + base, m, c, neg, shift, p2, outOff, lo, hi));
    store<u8>(o + far, rqWide(highOf(v, l) + base, m, c, neg, shift, p2, outOff, lo, hi));
    o += cs;
  }
  if (n > full) store<u8>(o, rqWide(lowOf(exactI64(load<f64>(end))) + base, m, c, neg, shift, p2, outOff, lo, hi));
}

/**
 * n pair sums of a channel's 3x3 taps (weights at wc; packed rows a, b, d; pairs `step` bytes
 * apart, taps t1) -> f64 at buf, the 9 weights in locals. Apart from the requantization
 * (storeRow), so that neither loop holds the other's constants.
 */
function sums3x3(a: usize, b: usize, d: usize, step: usize, t1: usize, n: i32, wc: usize, buf: usize): void {
  const w0 = load<f64>(wc), w1 = load<f64>(wc, 8), w2 = load<f64>(wc, 16);
  const w3 = load<f64>(wc, 24), w4 = load<f64>(wc, 32), w5 = load<f64>(wc, 40);
  const w6 = load<f64>(wc, 48), w7 = load<f64>(wc, 56), w8 = load<f64>(wc, 64);
  const t2 = t1 << 1, end = buf + (<usize>n << 3);
  for (let o = buf; o < end; o += 8) {
    store<f64>(o, load<f64>(a) * w0 + load<f64>(a + t1) * w1 + load<f64>(a + t2) * w2
      + load<f64>(b) * w3 + load<f64>(b + t1) * w4 + load<f64>(b + t2) * w5
      + load<f64>(d) * w6 + load<f64>(d + t1) * w7 + load<f64>(d + t2) * w8);
    a += step; b += step; d += step;
  }
}

/** n pair sums of a channel's kh x kw taps (weights at wc, row slots at slotAt + off) -> f64 at buf. */
function sumsAny(slotAt: usize, off: usize, kh: i32, kw: i32, step: usize, tW: usize, n: i32, wc: usize, buf: usize): void {
  let at: usize = off;
  for (let k = 0; k < n; k++) {
    let s: f64 = 0;
    let wt = wc;
    for (let ky = 0; ky < kh; ky++) {
      let a = <usize>load<u32>(slotAt + (<usize>ky << 2)) + at;
      for (let kx = 0; kx < kw; kx++) {
        s += load<f64>(a) * load<f64>(wt);
        a += tW; wt += 8;
      }
    }
    store<f64>(buf + (<usize>k << 3), s);
    at += step;
  }
}

/**
 * One output row: per channel its pair sums into buf (sums3x3 or sumsAny), then its bytes
 * (storeRow); r: room for a requant-wide.ts record.
 */
function row(slotAt: usize, wp: i32, ww: usize, c: i32, kh: i32, kw: i32, bias: usize, rq: usize, yr: usize, outW: i32, sW: i32, dW: i32, p: ConvParams, buf: usize, r: usize): void {
  const inOff = p.inputOffset, outOff = p.outputOffset, lo = p.actMin, hi = p.actMax, taps = kh * kw, three = kh == 3 && kw == 3;
  const plane = <usize>wp << 3, cs = <usize>c;
  const step = <usize>sW << 3, tW = <usize>dW << 3, half = halfOf(outW), far = <usize>half * cs, full = outW >> 1;
  const s0 = <usize>load<u32>(slotAt), s1 = three ? <usize>load<u32>(slotAt, 4) : 0, s2 = three ? <usize>load<u32>(slotAt, 8) : 0;
  for (let ch = 0; ch < c; ch++) {
    const wc = ww + ((<usize>ch * <usize>(taps + 1)) << 3);
    const off = <usize>ch * plane;
    if (three) sums3x3(s0 + off, s1 + off, s2 + off, step, tW, half, wc, buf);
    else sumsAny(slotAt, off, kh, kw, step, tW, half, wc, buf);
    const base = load<i32>(bias + (<usize>ch << 2)) + inOff * <i32>load<f64>(wc + (<usize>taps << 3));
    rqWideRecord(rq + <usize>(ch >> 2) * 48, <usize>(ch & 3), base, r);
    storeRow(buf, half, full, yr + <usize>ch, cs, far, r, outOff, lo, hi);
  }
}
