// Depthwise conv (depth multiplier 1) on WebAssembly SIMD128: 8 channels per step, taps
// clipped to the image exactly as dwconv_s8_ref (padding taps are skipped, not zero-filled).
// Per tap: (x + in_offset) in [-255, 255] and w in [-128, 127] as i16, product by
// i32x4.extmul (|p| <= 32640); 3x3 interior pixels run 9 unrolled taps, stride 1 or 2.
// Channels past the last multiple of 8 use the scalar tail. Bit-exact with dwconv_s8_ref.
// c channels of x and y whose pixels lie `stride` >= c bytes apart (see conv.ts dwconv_s8).
//
// 3x3 interior pixels (when the op has <= DW_MAX_CHANNELS channels) multiply the raw int8
// inputs instead: in_offset * sum of the 9 weights is folded into a per-call bias (dwFoldBias),
// each product x * w lies in [-16256, 16384] and is exact in i16x8.mul, and two of them add in
// i16 to t in [-32512, 32768]; t - 256 fits i16 exactly, so the pair sum is widened as t - 256
// and the folded bias carries +256 per pair (4 pairs and a ninth tap widened alone).
// Same integer as sum (x + in_offset) * w: exact, as the reference. Border pixels take the same
// 9-tap sum with each padding tap read from DW_ZP, the input zero point zp = -in_offset: its
// zp * w joins the raw products and (zp + in_offset) * w = 0 is the skipped tap (person_detect's
// 6x6 layers, 20 of 36 pixels on the border, 0.83-0.86x per op; the general tap loop
// widened and multiplied each tap as i16 -> i32).

import { ConvParams } from './conv';
import { requant4, narrow8, narrowClamp8, requantF4Raw, rqfBias, rqfFits2, rqfMagic, rqfPrepare, rqfNearest, splat8 } from './requant-simd';
import { clamp, mbqmTable } from './quant';

/** Channels whose folded 3x3 bias DW_BIAS holds; wider ops use the unfolded taps. */
const DW_MAX_CHANNELS = 1024;
const DW_BIAS: usize = ASC_FEATURE_SIMD ? memory.data(DW_MAX_CHANNELS * 4, 16) : 0;

/**
 * DW_MAX_CHANNELS bytes of the input zero point (zp = -in_offset, an int8) for the folded 3x3
 * sum of a border pixel: a tap in the padding reads zp, and (zp + in_offset) * w = 0 is the
 * reference's skipped tap, while zp * w joins the raw products the folded bias completes.
 */
const DW_ZP: usize = ASC_FEATURE_SIMD ? memory.data(DW_MAX_CHANNELS, 16) : 0;

/** Tap (ky, kx) of a pixel whose kernel rows [ky0, ky1) and columns [kx0, kx1) lie in the image: its input address at base, or DW_ZP in the padding. */
// @ts-ignore: decorator
@inline function dwTapAt(base: usize, ky: i32, kx: i32, tapH: usize, tapW: usize, ky0: i32, ky1: i32, kx0: i32, kx1: i32): usize {
  return ky >= ky0 && ky < ky1 && kx >= kx0 && kx < kx1 ? base + <usize>ky * tapH + <usize>kx * tapW : DW_ZP;
}

/** Set by dwFoldBias: the largest |bias[ch] + inOff * sum of w[ch]| over ch < c8 (as u32: 2^31 for i32.MIN). */
let dwFoldedMax: u32 = 0;

/** DW_BIAS[ch] = bias[ch] + inOff * sum of the 9 taps' w[ch] + 4 * 256, for ch < c8; 0 if c8 is too wide. */
function dwFoldBias(w: usize, bias: usize, c: i32, c8: i32, inOff: i32): usize {
  if (c8 > DW_MAX_CHANNELS) return 0;
  const off = i32x4.splat(inOff), k1024 = i32x4.splat(4 * 256);
  let most = i32x4.splat(0);
  for (let ch = 0; ch < c8; ch += 8) {
    let sw = i16x8.splat(0); // the 9 weights' sum lies in [-1152, 1143]: exact in i16
    for (let k = 0; k < 9; k++) sw = i16x8.add(sw, v128.load8x8_s(w + <usize>(k * c + ch)));
    const b = bias + (<usize>ch << 2), d = DW_BIAS + (<usize>ch << 2);
    const f0 = i32x4.add(v128.load(b), i32x4.mul(i32x4.extend_low_i16x8_s(sw), off));
    const f1 = i32x4.add(v128.load(b, 16), i32x4.mul(i32x4.extend_high_i16x8_s(sw), off));
    most = i32x4.max_u(most, i32x4.max_u(i32x4.abs(f0), i32x4.abs(f1)));
    v128.store(d, i32x4.add(f0, k1024));
    v128.store(d, i32x4.add(f1, k1024), 16);
  }
  dwFoldedMax = max(max(<u32>i32x4.extract_lane(most, 0), <u32>i32x4.extract_lane(most, 1)), max(<u32>i32x4.extract_lane(most, 2), <u32>i32x4.extract_lane(most, 3)));
  return DW_BIAS;
}

/** Interior pixels swept per channel group before the next group (mobilenet_v2's stride-2 layers over 96-144 channels lost 5-25% to whole rows). */
const DW_SPAN_CHUNK = 16;

/** |sum of 9 raw int8 products| <= 9 * 128 * 128: an interior accumulator lies within this of its folded bias. */
const DW_TAPS_MAX: u32 = 9 * 128 * 128;

/** x * w of 8 channels as i16 (raw int8 values: exact). */
// @ts-ignore: decorator
@inline function tapProduct(x: usize, w: usize): v128 {
  return i16x8.mul(v128.load8x8_s(x), v128.load8x8_s(w));
}

/**
 * Channels 0-3 (high false) or 4-7 (high true, a constant) of the folded 9-tap sum from its
 * four i16 pair sums and the ninth tap: two pair sums interleaved per channel (one unpack) and
 * added into i32 lanes by a dot product with ones, the ninth widened; fb: the folded bias.
 * Exact (every lane is the i16 value the pair sums hold). Against widening each pair sum (two
 * instructions for a high half) and adding, 17 vector instructions instead of 25 per 8 channels.
 */
// @ts-ignore: decorator
@inline function foldedHalf(s01: v128, s23: v128, s45: v128, s67: v128, s8: v128, fb: v128, high: bool): v128 {
  const ones = i16x8.splat(1);
  const p0 = high ? i8x16.shuffle(s01, s23, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31)
    : i8x16.shuffle(s01, s23, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
  const p1 = high ? i8x16.shuffle(s45, s67, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31)
    : i8x16.shuffle(s45, s67, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
  const s8w = high ? i32x4.extend_high_i16x8_s(s8) : i32x4.extend_low_i16x8_s(s8);
  return i32x4.add(i32x4.add(fb, s8w), i32x4.add(i32x4.dot_i16x8_s(p0, ones), i32x4.dot_i16x8_s(p1, ones)));
}

/** Two taps' products summed in i16, minus 256 (exact: see the header). */
// @ts-ignore: decorator
@inline function tapPair(xa: usize, wa: usize, xb: usize, wb: usize, k256: v128): v128 {
  return i16x8.sub(i16x8.add(tapProduct(xa, wa), tapProduct(xb, wb)), k256);
}

export function dwconv_s8_simd(
  x: usize, inH: i32, inW: i32, c: i32,
  w: usize, kh: i32, kw: i32,
  bias: usize, rq: usize,
  y: usize, batches: i32, outH: i32, outW: i32,
  p: ConvParams, stride: i32,
): void {
  const inOff = i16x8.splat(<i16>p.inputOffset);
  const outOff = i32x4.splat(p.outputOffset), lo = i32x4.splat(p.actMin), hi = i32x4.splat(p.actMax);
  const c8 = c & ~7;
  const rowBytes = <usize>(inW * stride); // x, y: pixels `stride` bytes apart; w: c bytes per tap
  const dH = p.dilationH, dW = p.dilationW;
  const tapW = <usize>(dW * stride), tapH = <usize>dH * rowBytes;
  const fast3 = kh == 3 && kw == 3;
  const rqf = rqfPrepare(rq, c8 >> 2), near = rqfNearest;
  const lo8 = splat8(p.actMin), hi8 = splat8(p.actMax);
  const magic = rqfMagic(p.outputOffset), fBias = i32x4.splat(rqfBias), fOutside = i32x4.splat(~(rqfBias * 2 - 1));
  const kxSpan = (kw - 1) * dW, strideW = p.strideW, padLeft = p.padLeft;
  const folded = fast3 ? dwFoldBias(w, bias, c, c8, p.inputOffset) : 0;
  // every interior accumulator inside requantF4's range: the sweep needs no range check
  const spanFits = rqf != 0 && folded != 0 && <u64>dwFoldedMax + <u64>DW_TAPS_MAX < <u64>rqfBias;
  // border pixels take the folded sum too, their padding taps reading the zero point from DW_ZP
  const zpTaps = folded != 0 && p.inputOffset >= -127 && p.inputOffset <= 128;
  if (zpTaps) memory.fill(DW_ZP, <u8>(-p.inputOffset), <usize>c8);
  const k256 = i16x8.splat(256), c1 = <usize>c;
  let out = y;
  for (let b = 0; b < batches; b++) {
    const xb = x + <usize>(b * inH) * rowBytes;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      const ky0 = iy0 >= 0 ? 0 : (-iy0 + dH - 1) / dH;
      const ky1 = min(kh, (inH - iy0 + dH - 1) / dH);
      // 3x3 rows whose three kernel rows lie inside the image: the pixels whose three columns
      // do too are swept one channel group at a time (dwInteriorSpan)
      let spanA = outW, spanB = outW;
      if (fast3 && folded != 0 && ky0 == 0 && ky1 == 3) {
        spanA = min(outW, (padLeft + strideW - 1) / strideW);
        spanB = min(outW, inW - 1 - kxSpan + padLeft >= 0 ? (inW - 1 - kxSpan + padLeft) / strideW + 1 : 0);
        if (spanB - spanA < 2) spanA = spanB = outW;
      }
      for (let ox = 0; ox < outW; ox++) {
        if (ox == spanA) { // in chunks of DW_SPAN_CHUNK pixels: their input columns stay in L1 across the groups
          for (let a = spanA; a < spanB; a += DW_SPAN_CHUNK) {
            const n = min(DW_SPAN_CHUNK, spanB - a);
            const xs = xb + <usize>(iy0 * <i32>rowBytes + (a * strideW - padLeft) * stride);
            if (spanFits) dwInteriorSpanFits(xs, w, folded, c, c8, tapW, tapH, <usize>(strideW * stride), n, out, <usize>stride, rq, rqf, near, magic, fBias, fOutside, outOff, lo, hi, lo8, hi8);
            else dwInteriorSpan(xs, w, folded, c, c8, tapW, tapH, <usize>(strideW * stride), n, out, <usize>stride, rq, rqf, near, magic, fBias, fOutside, outOff, lo, hi, lo8, hi8);
            if (c8 < c) dwSpanTail(xs, w, bias, rq, c, c8, tapW, tapH, <usize>(strideW * stride), n, out, <usize>stride, p);
            out += <usize>n * <usize>stride;
          }
          ox = spanB - 1;
          continue;
        }
        const ix0 = ox * strideW - padLeft;
        let kx0 = 0, kx1 = kw; // every column inside without a division, as for most pixels
        if (ix0 < 0 || ix0 + kxSpan >= inW) {
          kx0 = ix0 >= 0 ? 0 : (-ix0 + dW - 1) / dW;
          kx1 = min(kw, (inW - ix0 + dW - 1) / dW);
        }
        const interior = fast3 && ky0 == 0 && kx0 == 0 && ky1 == 3 && kx1 == 3;
        // base: address of tap (0,0) for channel 0 (may lie outside x for border pixels; only valid taps are read)
        const base = xb + <usize>(iy0 * <i32>rowBytes + ix0 * stride);
        // the folded sum's 9 taps (channel 0): in the image, or DW_ZP in the padding
        const foldedPixel = fast3 && (interior ? folded != 0 : zpTaps);
        let t0: usize = 0, t1: usize = 0, t2: usize = 0, t3: usize = 0, t4: usize = 0, t5: usize = 0, t6: usize = 0, t7: usize = 0, t8: usize = 0;
        if (foldedPixel) {
          t0 = dwTapAt(base, 0, 0, tapH, tapW, ky0, ky1, kx0, kx1); t1 = dwTapAt(base, 0, 1, tapH, tapW, ky0, ky1, kx0, kx1);
          t2 = dwTapAt(base, 0, 2, tapH, tapW, ky0, ky1, kx0, kx1); t3 = dwTapAt(base, 1, 0, tapH, tapW, ky0, ky1, kx0, kx1);
          t4 = dwTapAt(base, 1, 1, tapH, tapW, ky0, ky1, kx0, kx1); t5 = dwTapAt(base, 1, 2, tapH, tapW, ky0, ky1, kx0, kx1);
          t6 = dwTapAt(base, 2, 0, tapH, tapW, ky0, ky1, kx0, kx1); t7 = dwTapAt(base, 2, 1, tapH, tapW, ky0, ky1, kx0, kx1);
          t8 = dwTapAt(base, 2, 2, tapH, tapW, ky0, ky1, kx0, kx1);
        }
        for (let ch = 0; ch < c8; ch += 8) {
          let a0: v128, a1: v128;
          const xc = base + <usize>ch, wc = w + <usize>ch;
          if (foldedPixel) {
            const k = <usize>ch, w3 = wc + 3 * c1, w6 = wc + 6 * c1;
            const s01 = tapPair(t0 + k, wc, t1 + k, wc + c1, k256);
            const s23 = tapPair(t2 + k, wc + 2 * c1, t3 + k, w3, k256);
            const s45 = tapPair(t4 + k, w3 + c1, t5 + k, w3 + 2 * c1, k256);
            const s67 = tapPair(t6 + k, w6, t7 + k, w6 + c1, k256);
            const s8 = tapProduct(t8 + k, w6 + 2 * c1);
            const fb = folded + (<usize>ch << 2);
            a0 = foldedHalf(s01, s23, s45, s67, s8, v128.load(fb), false);
            a1 = foldedHalf(s01, s23, s45, s67, s8, v128.load(fb, 16), true);
          } else {
            a0 = v128.load(bias + (<usize>ch << 2));
            a1 = v128.load(bias + (<usize>ch << 2), 16);
            if (interior) {
              for (let ky: usize = 0; ky < 3; ky++) {
                const xr = xc + ky * tapH, wr = wc + ky * 3 * <usize>c;
                const v0 = i16x8.add(v128.load8x8_s(xr), inOff), u0 = v128.load8x8_s(wr);
                const v1 = i16x8.add(v128.load8x8_s(xr + tapW), inOff), u1 = v128.load8x8_s(wr + <usize>c);
                const v2 = i16x8.add(v128.load8x8_s(xr + 2 * tapW), inOff), u2 = v128.load8x8_s(wr + 2 * <usize>c);
                a0 = i32x4.add(a0, i32x4.add(i32x4.add(i32x4.extmul_low_i16x8_s(v0, u0), i32x4.extmul_low_i16x8_s(v1, u1)), i32x4.extmul_low_i16x8_s(v2, u2)));
                a1 = i32x4.add(a1, i32x4.add(i32x4.add(i32x4.extmul_high_i16x8_s(v0, u0), i32x4.extmul_high_i16x8_s(v1, u1)), i32x4.extmul_high_i16x8_s(v2, u2)));
              }
            } else {
              for (let ky = ky0; ky < ky1; ky++) {
                for (let kx = kx0; kx < kx1; kx++) {
                  const v = i16x8.add(v128.load8x8_s(xc + <usize>ky * tapH + <usize>kx * tapW), inOff);
                  const u = v128.load8x8_s(wc + <usize>((ky * kw + kx) * c));
                  a0 = i32x4.add(a0, i32x4.extmul_low_i16x8_s(v, u));
                  a1 = i32x4.add(a1, i32x4.extmul_high_i16x8_s(v, u));
                }
              }
            }
          }
          // 64 bytes per quad of channels in rqf, 48 in rq
          dwStore8(out + <usize>ch, a0, a1, rqf != 0 && rqfFits2(a0, a1, fBias, fOutside), rqf + (<usize>ch << 4), rq + <usize>ch * 12, near, magic, outOff, lo, hi, lo8, hi8);
        }
        dwTailPixel(base, w, bias, rq, c, c8, kw, tapW, tapH, ky0, ky1, kx0, kx1, out, p);
        out += <usize>stride;
      }
    }
  }
}

/**
 * 3x3 interior pixels n of one output row (every tap inside the image), one group of 8
 * channels at a time: the group's 9 weight rows and folded bias are loaded once for the n
 * pixels. x: tap (0, 0) of the first pixel; step: input bytes between pixels; y: the first
 * pixel's output, yStep apart. The same sums, requantization and stores as the per-pixel
 * loop (safe over the input: every store lies in this output row, below every input row the
 * row reads; docs/FORMAT.md "Output over input").
 */
function dwInteriorSpan(
  x: usize, w: usize, folded: usize, c: i32, c8: i32, tapW: usize, tapH: usize, step: usize, n: i32,
  y: usize, yStep: usize, rq: usize, rqf: usize, near: bool, magic: v128, fBias: v128, fOutside: v128, outOff: v128, lo: v128, hi: v128, lo8: v128, hi8: v128,
): void {
  dwInteriorSpanBody(x, w, folded, c, c8, tapW, tapH, step, n, y, yStep, rq, rqf, near, magic, fBias, fOutside, outOff, lo, hi, lo8, hi8, false);
}

/**
 * dwInteriorSpan when every accumulator is known to lie in requantF4's range (the op's largest
 * folded bias plus DW_TAPS_MAX below rqfBias): no range check per group (3-4% of mobilenet_v2's
 * time per inference in interleaved A/Bs, the check and its branch in the loop).
 */
function dwInteriorSpanFits(
  x: usize, w: usize, folded: usize, c: i32, c8: i32, tapW: usize, tapH: usize, step: usize, n: i32,
  y: usize, yStep: usize, rq: usize, rqf: usize, near: bool, magic: v128, fBias: v128, fOutside: v128, outOff: v128, lo: v128, hi: v128, lo8: v128, hi8: v128,
): void {
  dwInteriorSpanBody(x, w, folded, c, c8, tapW, tapH, step, n, y, yStep, rq, rqf, near, magic, fBias, fOutside, outOff, lo, hi, lo8, hi8, true);
}

// @ts-ignore: decorator
@inline function dwInteriorSpanBody(
  x: usize, w: usize, folded: usize, c: i32, c8: i32, tapW: usize, tapH: usize, step: usize, n: i32,
  y: usize, yStep: usize, rq: usize, rqf: usize, near: bool, magic: v128, fBias: v128, fOutside: v128, outOff: v128, lo: v128, hi: v128,
  lo8: v128, hi8: v128, fits: bool,
): void {
  const c1 = <usize>c, k256 = i16x8.splat(256);
  for (let ch = 0; ch < c8; ch += 8) {
    const wc = w + <usize>ch;
    const w0 = v128.load8x8_s(wc), w1 = v128.load8x8_s(wc + c1), w2 = v128.load8x8_s(wc + 2 * c1);
    const w3 = v128.load8x8_s(wc + 3 * c1), w4 = v128.load8x8_s(wc + 4 * c1), w5 = v128.load8x8_s(wc + 5 * c1);
    const w6 = v128.load8x8_s(wc + 6 * c1), w7 = v128.load8x8_s(wc + 7 * c1), w8 = v128.load8x8_s(wc + 8 * c1);
    const fb = folded + (<usize>ch << 2);
    const f = rqf + (<usize>ch << 4), q = rq + <usize>ch * 12;
    let xc = x + <usize>ch, yc = y + <usize>ch;
    for (let i = 0; i < n; i++) {
      const x1 = xc + tapH, x2 = xc + 2 * tapH;
      const s01 = i16x8.sub(i16x8.add(i16x8.mul(v128.load8x8_s(xc), w0), i16x8.mul(v128.load8x8_s(xc + tapW), w1)), k256);
      const s23 = i16x8.sub(i16x8.add(i16x8.mul(v128.load8x8_s(xc + 2 * tapW), w2), i16x8.mul(v128.load8x8_s(x1), w3)), k256);
      const s45 = i16x8.sub(i16x8.add(i16x8.mul(v128.load8x8_s(x1 + tapW), w4), i16x8.mul(v128.load8x8_s(x1 + 2 * tapW), w5)), k256);
      const s67 = i16x8.sub(i16x8.add(i16x8.mul(v128.load8x8_s(x2), w6), i16x8.mul(v128.load8x8_s(x2 + tapW), w7)), k256);
      const s8 = i16x8.mul(v128.load8x8_s(x2 + 2 * tapW), w8);
      const a0 = foldedHalf(s01, s23, s45, s67, s8, v128.load(fb), false);
      const a1 = foldedHalf(s01, s23, s45, s67, s8, v128.load(fb, 16), true);
      dwStore8(yc, a0, a1, fits || rqf != 0 && rqfFits2(a0, a1, fBias, fOutside), f, q, near, magic, outOff, lo, hi, lo8, hi8);
      xc += step;
      yc += yStep;
    }
  }
}

/**
 * Sums a0, a1 of 8 channels (bias added) requantized and stored as 8 bytes at y: by requantF4
 * when `f64` (inside its range; f: the first quad's RQF record, near: requantF4Raw's), the two quads
 * narrowed with saturation and clamped once as int8 (lo8, hi8: i8x16 splats), else by requant4
 * (q: the first quad's requant record; lo, hi: i32x4 splats). The same bytes either way.
 */
// @ts-ignore: decorator
@inline function dwStore8(
  y: usize, a0: v128, a1: v128, f64: bool, f: usize, q: usize, near: bool,
  magic: v128, outOff: v128, lo: v128, hi: v128, lo8: v128, hi8: v128,
): void {
  if (f64) {
    const h = i16x8.narrow_i32x4_s(requantF4Raw(a0, f, magic, near), requantF4Raw(a1, f + 64, magic, near));
    v128.store64_lane(y, narrowClamp8(h, h, lo8, hi8), 0);
  } else {
    v128.store64_lane(y, narrow8(requant4(a0, q, outOff, lo, hi), requant4(a1, q + 48, outOff, lo, hi)), 0);
  }
}

/** The channels past c8 of dwInteriorSpan's n pixels, as the per-pixel loop's scalar tail. */
function dwSpanTail(
  x: usize, w: usize, bias: usize, rq: usize, c: i32, c8: i32, tapW: usize, tapH: usize, step: usize, n: i32,
  y: usize, yStep: usize, p: ConvParams,
): void {
  for (let i = 0; i < n; i++) dwTailPixel(x + <usize>i * step, w, bias, rq, c, c8, 3, tapW, tapH, 0, 3, 0, 3, y + <usize>i * yStep, p);
}

/** Channels [c8, c) of one output pixel, scalar, over the taps [ky0, ky1) x [kx0, kx1); base: tap (0, 0) of channel 0. */
// @ts-ignore: decorator
@inline function dwTailPixel(
  base: usize, w: usize, bias: usize, rq: usize, c: i32, c8: i32, kw: i32, tapW: usize, tapH: usize,
  ky0: i32, ky1: i32, kx0: i32, kx1: i32, out: usize, p: ConvParams,
): void {
  for (let ch = c8; ch < c; ch++) {
    let acc = load<i32>(bias + (<usize>ch << 2));
    for (let ky = ky0; ky < ky1; ky++) {
      for (let kx = kx0; kx < kx1; kx++) {
        const xv = <i32>load<i8>(base + <usize>ky * tapH + <usize>kx * tapW + <usize>ch);
        acc += (xv + p.inputOffset) * <i32>load<i8>(w + <usize>((ky * kw + kx) * c + ch));
      }
    }
    acc = mbqmTable(acc, rq, <usize>ch) + p.outputOffset;
    store<i8>(out + <usize>ch, <i8>clamp(acc, p.actMin, p.actMax));
  }
}
