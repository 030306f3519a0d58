// int16 (16x8) kernels: int16 activations (zero point 0), int8 symmetric weights, as TFLM's
// reference_integer_ops for int16 input. The accumulator has the bias's width: int64 bias
// (or none) -> 64-bit sums and TFLM's 64-bit MultiplyByQuantizedMultiplier (a 16-bit
// multiplier, one rounding shift by 15 - shift); int32 bias -> 32-bit sums (wrapping) and
// the 32-bit one (quant.ts mbqm). Load checks (assembly/ops.ts validateS16) guarantee
// multipliers 0 or in [2^30, 2^31), shifts in [-31, 7], clamps inside int16.

import { clamp, mbqm, mbqm_ref } from './quant';
import { AddParams, Broadcast4, MulParams } from './elementwise';
import { ConvParams } from './conv';
import { TransposeConvParams } from './transpose-conv';

/** TFLM MultiplyByQuantizedMultiplier(int64 x, m, shift): x * round(m / 2^16) rounded by 2^(15 - shift). */
// @ts-ignore: decorator
@inline export function mbqm64(x: i64, m: i32, shift: i32): i32 {
  const reduced: i64 = m < 0x7fff0000 ? <i64>((m + (1 << 15)) >> 16) : 0x7fff;
  const total = <i64>(15 - shift); // in [8, 46]
  return <i32>((x * reduced + (<i64>1 << (total - 1))) >> total);
}

/** Dot product of depth int16 inputs at x with int8 weights at w, in 64 bits. */
// @ts-ignore: decorator
@inline function dot64(x: usize, w: usize, depth: i32): i64 {
  let acc: i64 = 0;
  for (let d = 0; d < depth; d++) acc += <i64>(<i32>load<i16>(x + (<usize>d << 1)) * <i32>load<i8>(w + <usize>d));
  return acc;
}

/** The same in 32 bits, wrapping as TFLM's int32 accumulator (int32 bias). */
// @ts-ignore: decorator
@inline function dot32(x: usize, w: usize, depth: i32): i32 {
  let acc: i32 = 0;
  for (let d = 0; d < depth; d++) acc += <i32>load<i16>(x + (<usize>d << 1)) * <i32>load<i8>(w + <usize>d);
  return acc;
}

/**
 * y[b, o] = clamp(requant(sum_k x[b, k] * w[o, k] + bias[o])), x int16 [batches, depth],
 * w int8 [outC, depth], bias int64 (bias64) or int32 or absent (0), y int16 [batches, outC].
 */
export function fc_s16(
  x: usize, batches: i32, depth: i32,
  w: usize, outC: i32,
  bias: usize, bias64: bool, mult: usize, shift: usize,
  y: usize, actMin: i32, actMax: i32,
): void {
  for (let b = 0; b < batches; b++) {
    const xb = x + (<usize>(b * depth) << 1);
    for (let o = 0; o < outC; o++) {
      const wo = w + <usize>(o * depth);
      const m = load<i32>(mult + (<usize>o << 2)), s = load<i32>(shift + (<usize>o << 2));
      let v: i32;
      if (bias64 || bias == 0) {
        let acc = dot64(xb, wo, depth);
        if (bias != 0) acc += load<i64>(bias + (<usize>o << 3));
        v = mbqm64(acc, m, s);
      } else {
        v = mbqm(dot32(xb, wo, depth) + load<i32>(bias + (<usize>o << 2)), m, s);
      }
      store<i16>(y + (<usize>(b * outC + o) << 1), <i16>clamp(v, actMin, actMax));
    }
  }
}

/** Requantized, clamped int16 of a 64-bit or 32-bit sum plus channel c's bias (bias 0: none). */
// @ts-ignore: decorator
@inline function finish(acc64: i64, acc32: i32, c: i32, bias: usize, bias64: bool, mult: usize, shift: usize, lo: i32, hi: i32): i16 {
  const m = load<i32>(mult + (<usize>c << 2)), s = load<i32>(shift + (<usize>c << 2));
  let v: i32;
  if (bias64 || bias == 0) v = mbqm64(bias != 0 ? acc64 + load<i64>(bias + (<usize>c << 3)) : acc64, m, s);
  else v = mbqm(acc32 + load<i32>(bias + (<usize>c << 2)), m, s);
  return <i16>clamp(v, lo, hi);
}

/**
 * CONV_2D over int16 input: x [B, inH, inW, inC], w [outC, kh, kw, groupC] (groups = inC /
 * groupC), y [B, outH, outW, outC]; taps outside the image are skipped (zero point 0).
 * Both accumulators are summed (cheap); finish picks the bias's width.
 */
export function conv_s16(
  x: usize, inH: i32, inW: i32, inC: i32,
  w: usize, kh: i32, kw: i32, groupC: i32,
  bias: usize, bias64: bool, mult: usize, shift: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32, p: ConvParams,
): void {
  const perGroup = outC / (inC / groupC);
  let out = y;
  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        for (let oc = 0; oc < outC; oc++) {
          const c0 = (oc / perGroup) * groupC;
          let acc64: i64 = 0, acc32: i32 = 0;
          for (let fy = 0; fy < kh; fy++) {
            const iy = iy0 + fy * p.dilationH;
            if (iy < 0 || iy >= inH) continue;
            for (let fx = 0; fx < kw; fx++) {
              const ix = ix0 + fx * p.dilationW;
              if (ix < 0 || ix >= inW) continue;
              const xp = x + (<usize>(((b * inH + iy) * inW + ix) * inC + c0) << 1);
              const wp = w + <usize>(((oc * kh + fy) * kw + fx) * groupC);
              acc64 += dot64(xp, wp, groupC);
              acc32 += dot32(xp, wp, groupC);
            }
          }
          store<i16>(out, finish(acc64, acc32, oc, bias, bias64, mult, shift, p.actMin, p.actMax));
          out += 2;
        }
      }
    }
  }
}

/**
 * DEPTHWISE_CONV_2D over int16 input: x [B, inH, inW, inC], w [1, kh, kw, outC], outC =
 * inC * depthMultiplier, output channel c reads input channel c / depthMultiplier; int64 bias.
 */
export function dwconv_s16(
  x: usize, inH: i32, inW: i32, inC: i32,
  w: usize, kh: i32, kw: i32,
  bias: usize, bias64: bool, mult: usize, shift: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32, p: ConvParams,
): void {
  const dm = p.depthMultiplier;
  let out = y;
  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        for (let oc = 0; oc < outC; oc++) {
          const ic = oc / dm;
          let acc64: i64 = 0, acc32: i32 = 0;
          for (let fy = 0; fy < kh; fy++) {
            const iy = iy0 + fy * p.dilationH;
            if (iy < 0 || iy >= inH) continue;
            for (let fx = 0; fx < kw; fx++) {
              const ix = ix0 + fx * p.dilationW;
              if (ix < 0 || ix >= inW) continue;
              const prod = <i32>load<i16>(x + (<usize>(((b * inH + iy) * inW + ix) * inC + ic) << 1)) * <i32>load<i8>(w + <usize>((fy * kw + fx) * outC + oc));
              acc64 += <i64>prod;
              acc32 += prod;
            }
          }
          store<i16>(out, finish(acc64, acc32, oc, bias, bias64, mult, shift, p.actMin, p.actMax));
          out += 2;
        }
      }
    }
  }
}

/** Which binary op binary_s16 runs. */
export const BIN_ADD: i32 = 0;
export const BIN_SUB: i32 = 1;
export const BIN_MUL: i32 = 2;

/** One int16 element of ADD / SUB (TFLM's general path: inputs << left_shift, three roundings) or MUL. */
// @ts-ignore: decorator
@inline function binaryOne(kind: i32, a: i32, b: i32, p: usize): i32 {
  if (kind == BIN_MUL) {
    const m = changetype<MulParams>(p);
    return clamp(mbqm_ref(a * b, m.outputMultiplier, m.outputShift), m.actMin, m.actMax);
  }
  const q = changetype<AddParams>(p);
  const sa = mbqm_ref(a << q.leftShift, q.input1Multiplier, q.input1Shift);
  const sb = mbqm_ref(b << q.leftShift, q.input2Multiplier, q.input2Shift);
  return clamp(mbqm_ref(kind == BIN_SUB ? sa - sb : sa + sb, q.outputMultiplier, q.outputShift), q.actMin, q.actMax);
}

/**
 * ADD, SUB, MUL over int16 with zero points 0 (offsets are 0): y walked in raster order,
 * a and b read through the element strides of s (0 where an input broadcasts).
 */
export function binary_s16(kind: i32, a: usize, b: usize, y: usize, s: Broadcast4, p: usize): void {
  let out = y;
  for (let i0 = 0; i0 < s.d0; i0++)
    for (let i1 = 0; i1 < s.d1; i1++)
      for (let i2 = 0; i2 < s.d2; i2++) {
        const ar = a + (<usize>(i0 * s.a0 + i1 * s.a1 + i2 * s.a2) << 1);
        const br = b + (<usize>(i0 * s.b0 + i1 * s.b1 + i2 * s.b2) << 1);
        for (let i3 = 0; i3 < s.d3; i3++) {
          const av = <i32>load<i16>(ar + (<usize>(i3 * s.a3) << 1));
          const bv = <i32>load<i16>(br + (<usize>(i3 * s.b3) << 1));
          store<i16>(out, <i16>binaryOne(kind, av, bv, p));
          out += 2;
        }
      }
}

// --- boundaries: REQUANTIZE int8/int16 -> int8/int16, QUANTIZE float32 -> int16,
// DEQUANTIZE int16 -> float32, as TFLM's reference Requantize / AffineQuantize / Dequantize.

/** Element k of an int8 (bytes 1) or int16 (bytes 2) tensor at p. */
// @ts-ignore: decorator
@inline function loadInt(p: usize, k: i32, bytes: i32): i32 {
  return bytes == 2 ? <i32>load<i16>(p + (<usize>k << 1)) : <i32>load<i8>(p + <usize>k);
}

/** y = clamp(mbqm(x - inZp, mult, shift) + outZp) to y's type; x, y int8 or int16 (xBytes, yBytes). */
export function requantize_s16(x: usize, xBytes: i32, y: usize, yBytes: i32, n: i32, inZp: i32, outZp: i32, mult: i32, shift: i32): void {
  const lo = yBytes == 2 ? -32768 : -128, hi = yBytes == 2 ? 32767 : 127;
  for (let i = 0; i < n; i++) {
    const v = clamp(mbqm(loadInt(x, i, xBytes) - inZp, mult, shift) + outZp, lo, hi);
    if (yBytes == 2) store<i16>(y + (<usize>i << 1), <i16>v);
    else store<i8>(y + <usize>i, <i8>v);
  }
}

/** round(v / scale) with float32 division, halves away from zero, clamped to int16 (zero point 0). */
export function quantize_f32_s16(x: usize, y: usize, n: i32, scale: f32): void {
  for (let i = 0; i < n; i++) {
    const r = load<f32>(x + (<usize>i << 2)) / scale;
    let q: i32;
    if (isNaN(r)) q = 0;
    else if (r >= 1e6) q = 32767;
    else if (r <= -1e6) q = -32768;
    else {
      const t = Mathf.trunc(r);
      q = <i32>(Mathf.abs(r - t) >= 0.5 ? t + Mathf.sign(r) : t);
    }
    store<i16>(y + (<usize>i << 1), <i16>clamp(q, -32768, 32767));
  }
}

/** scale * x in double, stored as float32 (zero point 0). */
export function dequantize_s16_f32(x: usize, y: usize, n: i32, scale: f32): void {
  const s = <f64>scale;
  for (let i = 0; i < n; i++) store<f32>(y + (<usize>i << 2), <f32>(s * <f64>load<i16>(x + (<usize>i << 1))));
}

/**
 * transpose_conv_s16: TFLM's int16 TransposeConv computed output-first, as transpose_conv_s8_ref:
 * each output gathers the taps (ky with oy + pad - ky a multiple of stride, iy in range, likewise
 * kx) into a 64-bit sum (the same sum as TFLM's int64 scratch: no wrap), adds the int64 bias,
 * then the 64-bit requant and the int16 clamp. x [n, inH, inW, ic] int16, w [oc, kh, kw, ic] int8.
 */
export function transpose_conv_s16(
  x: usize, inH: i32, inW: i32, ic: i32, w: usize, kh: i32, kw: i32,
  bias: usize, mult: usize, shift: usize, y: usize, n: i32, outH: i32, outW: i32, oc: i32, p: TransposeConvParams,
): void {
  let out = y;
  const wRow = <usize>(kh * kw * ic);
  for (let b = 0; b < n; b++) {
    const xb = x + (<usize>(b * inH * inW * ic) << 1);
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++)
        for (let c = 0; c < oc; c++) {
          const wOc = w + <usize>c * wRow;
          let acc: i64 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const ty = oy + p.padTop - ky;
            if (ty < 0 || ty % p.strideH != 0) continue;
            const iy = ty / p.strideH;
            if (iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const tx = ox + p.padLeft - kx;
              if (tx < 0 || tx % p.strideW != 0) continue;
              const ix = tx / p.strideW;
              if (ix >= inW) continue;
              acc += dot64(xb + (<usize>((iy * inW + ix) * ic) << 1), wOc + <usize>((ky * kw + kx) * ic), ic);
            }
          }
          if (bias != 0) acc += load<i64>(bias + (<usize>c << 3));
          const v = mbqm64(acc, load<i32>(mult + (<usize>c << 2)), load<i32>(shift + (<usize>c << 2)));
          store<i16>(out, <i16>clamp(v, p.actMin, p.actMax));
          out += 2;
        }
  }
}
