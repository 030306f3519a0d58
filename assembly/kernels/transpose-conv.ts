// TRANSPOSE_CONV over int8, TFLite's reference integer kernel computed output-first: TFLite
// scatters each input pixel through the filter into an int32 buffer,
//   out[oy = iy * stride - pad + ky][ox = ix * stride - pad + kx][oc] += (x + in_offset) * w[oc][ky][kx][ic],
// then adds the bias, requantizes per channel, adds the output offset and clamps. Here each
// output gathers the same terms (ky with oy + pad - ky a multiple of stride, iy in range,
// likewise kx): the same int32 sum (addition mod 2^32 does not depend on order), no scratch.
// |(x + in_offset) * w| <= 255 * 128, so 2^16 terms sum without wrapping.

import { clamp, mbqm } from './quant';

@unmanaged export class TransposeConvParams {
  strideH: i32;
  strideW: i32;
  padTop: i32;
  padLeft: i32;
  inOffset: i32;
  outOffset: i32;
  actMin: i32;
  actMax: i32;
}

/** Sum over the taps of one output pixel and channel: w row oc [kh, kw, ic], x [ih, iw, ic] of one batch. */
function gather(x: usize, inH: i32, inW: i32, ic: i32, wOc: usize, kh: i32, kw: i32, oy: i32, ox: i32, p: TransposeConvParams): i32 {
  let acc: i32 = 0;
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
      const xp = x + <usize>((iy * inW + ix) * ic);
      const wp = wOc + <usize>((ky * kw + kx) * ic);
      for (let c = 0; c < ic; c++) acc += (<i32>load<i8>(xp + <usize>c) + p.inOffset) * <i32>load<i8>(wp + <usize>c);
    }
  }
  return acc;
}

/** transpose_conv_s8_ref: x [n, inH, inW, ic], w [oc, kh, kw, ic], bias int32 [oc] or 0, mult/shift int32 [oc] -> y [n, outH, outW, oc]. */
export function transpose_conv_s8_ref(
  x: usize, inH: i32, inW: i32, ic: i32, w: usize, kh: i32, kw: i32,
  bias: usize, mult: usize, shift: usize, y: usize, n: i32, outH: i32, outW: i32, oc: i32, p: TransposeConvParams,
): void {
  let out = y;
  const wRow = <usize>(kh * kw * ic);
  for (let b = 0; b < n; b++) {
    const xb = x + <usize>(b * inH * inW * ic);
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++)
        for (let c = 0; c < oc; c++) {
          let acc = gather(xb, inH, inW, ic, w + <usize>c * wRow, kh, kw, oy, ox, p);
          if (bias != 0) acc += load<i32>(bias + (<usize>c << 2));
          const v = mbqm(acc, load<i32>(mult + (<usize>c << 2)), load<i32>(shift + (<usize>c << 2))) + p.outOffset;
          store<i8>(out, <i8>clamp(v, p.actMin, p.actMax));
          out++;
        }
  }
}
