// Convolutions over int8 NHWC tensors with per-channel requantization: the same
// arithmetic as TFLite's reference_integer_ops::ConvPerChannel / DepthwiseConvPerChannel.
// Accumulator bound: |(x + in_offset) * w| <= 255 * 128 = 32640 per tap, so i32 holds
// 65793 taps (e.g. 3x3x7310 channels) before overflow -- far above any real layer.

import { clamp, mbqm } from './quant';

/** Geometry and quantization shared by conv and depthwise: 11 i32 params (see FORMAT.md). */
@unmanaged export class ConvParams {
  strideH: i32;
  strideW: i32;
  dilationH: i32;
  dilationW: i32;
  padTop: i32;
  padLeft: i32;
  inputOffset: i32;
  outputOffset: i32;
  actMin: i32;
  actMax: i32;
  depthMultiplier: i32;
}

/**
 * conv_s8: x [batches, inH, inW, inC], w [outC, kh, kw, groupC] (groups = inC / groupC),
 * bias i32 [outC] or 0, multiplier/shift i32 [outC], y [batches, outH, outW, outC].
 */
export function conv_s8(
  x: usize, inH: i32, inW: i32, inC: i32,
  w: usize, kh: i32, kw: i32, groupC: i32,
  bias: usize, mult: usize, shift: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  p: ConvParams,
): void {
  const outPerGroup = outC / (inC / groupC);
  const filterSize = kh * kw * groupC;
  const inOff = p.inputOffset;
  let out = y;
  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        for (let o = 0; o < outC; o++) {
          const icBase = (o / outPerGroup) * groupC;
          const wRow = w + <usize>(o * filterSize);
          let acc: i32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky * p.dilationH;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ix0 + kx * p.dilationW;
              if (ix < 0 || ix >= inW) continue;
              const xp = x + <usize>(((b * inH + iy) * inW + ix) * inC + icBase);
              const wp = wRow + <usize>((ky * kw + kx) * groupC);
              for (let c = 0; c < groupC; c++) {
                acc += (<i32>load<i8>(xp + c) + inOff) * <i32>load<i8>(wp + c);
              }
            }
          }
          if (bias) acc += load<i32>(bias + (<usize>o << 2));
          acc = mbqm(acc, load<i32>(mult + (<usize>o << 2)), load<i32>(shift + (<usize>o << 2))) + p.outputOffset;
          store<i8>(out, <i8>clamp(acc, p.actMin, p.actMax));
          out++;
        }
      }
    }
  }
}

/**
 * dwconv_s8: x [batches, inH, inW, inC], w [1, kh, kw, outC] with outC = inC * depthMultiplier,
 * output channel o = c * depthMultiplier + m reads input channel c.
 */
export function dwconv_s8(
  x: usize, inH: i32, inW: i32, inC: i32,
  w: usize, kh: i32, kw: i32,
  bias: usize, mult: usize, shift: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  p: ConvParams,
): void {
  const dm = p.depthMultiplier;
  const inOff = p.inputOffset;
  let out = y;
  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        for (let o = 0; o < outC; o++) {
          const c = o / dm;
          let acc: i32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky * p.dilationH;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ix0 + kx * p.dilationW;
              if (ix < 0 || ix >= inW) continue;
              const xv = <i32>load<i8>(x + <usize>(((b * inH + iy) * inW + ix) * inC + c));
              const wv = <i32>load<i8>(w + <usize>((ky * kw + kx) * outC + o));
              acc += (xv + inOff) * wv;
            }
          }
          if (bias) acc += load<i32>(bias + (<usize>o << 2));
          acc = mbqm(acc, load<i32>(mult + (<usize>o << 2)), load<i32>(shift + (<usize>o << 2))) + p.outputOffset;
          store<i8>(out, <i8>clamp(acc, p.actMin, p.actMax));
          out++;
        }
      }
    }
  }
}
