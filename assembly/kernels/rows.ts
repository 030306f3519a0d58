// Row-range kernels over a weight tile: output channels [o0, o1) of conv, depthwise and
// FC, with the tile holding those channels' weights channel-major ([o1 - o0, filter
// size]; for depthwise [o1 - o0, kh*kw], the transpose of its [kh, kw, outC] layout) and
// bias (or 0), multiplier and shift holding those channels' o1 - o0 values. Same
// arithmetic as conv_s8/dwconv_s8/fc_s8; they write only the outputs of channels
// [o0, o1) of y (outC channels), so tiles run one after another fill the output. Users:
// the _ref kernels (every channel), Huffman tiles decoded into scratch (packed.ts), the
// streamed runtime's tiles of row-layout filters (stream-tiles.ts).

import { ConvParams } from './conv';
import { clamp, mbqm_ref } from './quant';

export function conv_s8_rows(
  x: usize, inH: i32, inW: i32, inC: i32,
  w: usize, kh: i32, kw: i32, groupC: i32,
  bias: usize, mult: usize, shift: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  o0: i32, o1: i32, p: ConvParams,
): void {
  const outPerGroup = outC / (inC / groupC);
  const filterSize = kh * kw * groupC;
  const inOff = p.inputOffset;
  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        const out = y + <usize>(((b * outH + oy) * outW + ox) * outC);
        for (let o = o0; o < o1; o++) {
          const icBase = (o / outPerGroup) * groupC;
          const wRow = w + <usize>((o - o0) * filterSize);
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
          if (bias) acc += load<i32>(bias + (<usize>(o - o0) << 2));
          acc = mbqm_ref(acc, load<i32>(mult + (<usize>(o - o0) << 2)), load<i32>(shift + (<usize>(o - o0) << 2))) + p.outputOffset;
          store<i8>(out + <usize>o, <i8>clamp(acc, p.actMin, p.actMax));
        }
      }
    }
  }
}

export function dwconv_s8_rows(
  x: usize, inH: i32, inW: i32, inC: i32,
  w: usize, kh: i32, kw: i32,
  bias: usize, mult: usize, shift: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  o0: i32, o1: i32, p: ConvParams,
): void {
  const dm = p.depthMultiplier;
  const inOff = p.inputOffset;
  const taps = kh * kw;
  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        const out = y + <usize>(((b * outH + oy) * outW + ox) * outC);
        for (let o = o0; o < o1; o++) {
          const c = o / dm;
          const wRow = w + <usize>((o - o0) * taps);
          let acc: i32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky * p.dilationH;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ix0 + kx * p.dilationW;
              if (ix < 0 || ix >= inW) continue;
              const xv = <i32>load<i8>(x + <usize>(((b * inH + iy) * inW + ix) * inC + c));
              acc += (xv + inOff) * <i32>load<i8>(wRow + <usize>(ky * kw + kx));
            }
          }
          if (bias) acc += load<i32>(bias + (<usize>(o - o0) << 2));
          acc = mbqm_ref(acc, load<i32>(mult + (<usize>(o - o0) << 2)), load<i32>(shift + (<usize>(o - o0) << 2))) + p.outputOffset;
          store<i8>(out + <usize>o, <i8>clamp(acc, p.actMin, p.actMax));
        }
      }
    }
  }
}

export function fc_s8_rows(
  x: usize, batches: i32, depth: i32,
  w: usize, outC: i32,
  bias: usize, mult: usize, shift: usize,
  y: usize,
  inputOffset: i32, outputOffset: i32, actMin: i32, actMax: i32,
  o0: i32, o1: i32,
): void {
  for (let b = 0; b < batches; b++) {
    const xRow = x + <usize>(b * depth);
    for (let o = o0; o < o1; o++) {
      const wRow = w + <usize>((o - o0) * depth);
      let acc: i32 = 0;
      for (let k = 0; k < depth; k++) {
        acc += (<i32>load<i8>(xRow + k) + inputOffset) * <i32>load<i8>(wRow + k);
      }
      if (bias) acc += load<i32>(bias + (<usize>(o - o0) << 2));
      acc = mbqm_ref(acc, load<i32>(mult + (<usize>(o - o0) << 2)), load<i32>(shift + (<usize>(o - o0) << 2))) + outputOffset;
      store<i8>(y + <usize>(b * outC + o), <i8>clamp(acc, actMin, actMax));
    }
  }
}
