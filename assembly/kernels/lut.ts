// Codebook (LUT) kernels: conv, depthwise and FC whose weights are b-bit indices
// (b = 2..8, packed LSB-first, element e at bit e*b) into int8 tables of 2^b entries,
// one table per tensor (tableStride 0) or per output channel (tableStride 2^b).
// Each weight is decoded through its table inside the inner loop: no decompressed copy.
// Arithmetic is conv_s8/dwconv_s8/fc_s8's exactly, so outputs equal the plain kernels'
// run on the decoded int8 weights. Readers load a u16 at byte (e*b)>>3: the index
// stream carries 1 pad byte so the last read stays inside it (checked at load).

import { ConvParams } from './conv';
import { clamp, mbqm } from './quant';

/** Weight e: table[index e], where index e is bits [e*b, e*b + b) of the stream. */
// @ts-ignore: decorator
@inline export function lutWeight(idx: usize, e: usize, bits: u32, mask: u32, table: usize): i32 {
  const bit = e * <usize>bits;
  const code = (<u32>load<u16>(idx + (bit >>> 3)) >>> <u32>(bit & 7)) & mask;
  return <i32>load<i8>(table + <usize>code);
}

/** conv_s8_lut: conv_s8 with w = b-bit indices [outC, kh, kw, groupC] into `tables`. */
export function conv_s8_lut(
  x: usize, inH: i32, inW: i32, inC: i32,
  idx: usize, bits: u32, tables: usize, tableStride: i32, kh: i32, kw: i32, groupC: i32,
  bias: usize, mult: usize, shift: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  p: ConvParams,
): void {
  const mask: u32 = (1 << bits) - 1;
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
          const table = tables + <usize>(o * tableStride);
          const eRow = <usize>(o * filterSize);
          let acc: i32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky * p.dilationH;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ix0 + kx * p.dilationW;
              if (ix < 0 || ix >= inW) continue;
              const xp = x + <usize>(((b * inH + iy) * inW + ix) * inC + icBase);
              const e0 = eRow + <usize>((ky * kw + kx) * groupC);
              for (let c = 0; c < groupC; c++) {
                acc += (<i32>load<i8>(xp + c) + inOff) * lutWeight(idx, e0 + <usize>c, bits, mask, table);
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

/** dwconv_s8_lut: dwconv_s8 with w = b-bit indices [1, kh, kw, outC] into `tables`. */
export function dwconv_s8_lut(
  x: usize, inH: i32, inW: i32, inC: i32,
  idx: usize, bits: u32, tables: usize, tableStride: i32, kh: i32, kw: i32,
  bias: usize, mult: usize, shift: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  p: ConvParams,
): void {
  const mask: u32 = (1 << bits) - 1;
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
          const table = tables + <usize>(o * tableStride);
          let acc: i32 = 0;
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky * p.dilationH;
            if (iy < 0 || iy >= inH) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ix0 + kx * p.dilationW;
              if (ix < 0 || ix >= inW) continue;
              const xv = <i32>load<i8>(x + <usize>(((b * inH + iy) * inW + ix) * inC + c));
              const wv = lutWeight(idx, <usize>((ky * kw + kx) * outC + o), bits, mask, table);
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

/** fc_s8_lut: fc_s8 with w = b-bit indices [outC, depth] into `tables`. */
export function fc_s8_lut(
  x: usize, batches: i32, depth: i32,
  idx: usize, bits: u32, tables: usize, tableStride: i32, outC: i32,
  bias: usize, mult: usize, shift: usize,
  y: usize,
  inputOffset: i32, outputOffset: i32, actMin: i32, actMax: i32,
): void {
  const mask: u32 = (1 << bits) - 1;
  for (let b = 0; b < batches; b++) {
    const xRow = x + <usize>(b * depth);
    for (let o = 0; o < outC; o++) {
      const table = tables + <usize>(o * tableStride);
      const eRow = <usize>(o * depth);
      let acc: i32 = 0;
      for (let k = 0; k < depth; k++) {
        acc += (<i32>load<i8>(xRow + k) + inputOffset) * lutWeight(idx, eRow + <usize>k, bits, mask, table);
      }
      if (bias) acc += load<i32>(bias + (<usize>o << 2));
      acc = mbqm(acc, load<i32>(mult + (<usize>o << 2)), load<i32>(shift + (<usize>o << 2))) + outputOffset;
      store<i8>(y + <usize>(b * outC + o), <i8>clamp(acc, actMin, actMax));
    }
  }
}
