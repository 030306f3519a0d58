// Convolution/pooling geometry shared by the float interpreter and the passes:
// leading pads and output sizes for SAME, VALID and EXPLICIT padding (ONNX pads and
// fused Pad ops become EXPLICIT: padTop/padLeft/padBottom/padRight in the op options).

import { computePadding } from '../passes/quant-math.js';

export interface Geometry {
  strideH: number;
  strideW: number;
  dilH: number;
  dilW: number;
  padTop: number;
  padLeft: number;
  outH: number;
  outW: number;
}

/** Output size and leading pad of one spatial dimension. */
export function padDim(o: Record<string, unknown>, dim: 'H' | 'W', stride: number, dil: number, inSize: number, k: number): { out: number; pad: number } {
  if (o.padding !== 'EXPLICIT') return computePadding(o.padding as string, stride, dil, inSize, k);
  const before = (dim === 'H' ? o.padTop : o.padLeft) as number;
  const after = (dim === 'H' ? o.padBottom : o.padRight) as number;
  const eff = (k - 1) * dil + 1;
  return { out: Math.floor((inSize + before + after - eff) / stride) + 1, pad: before };
}

export function geometry(o: Record<string, unknown>, inH: number, inW: number, kh: number, kw: number): Geometry {
  const strideH = (o.strideH as number) ?? 1, strideW = (o.strideW as number) ?? 1;
  const dilH = (o.dilationH as number) ?? 1, dilW = (o.dilationW as number) ?? 1;
  const h = padDim(o, 'H', strideH, dilH, inH, kh), w = padDim(o, 'W', strideW, dilW, inW, kw);
  return { strideH, strideW, dilH, dilW, padTop: h.pad, padLeft: w.pad, outH: h.out, outW: w.out };
}
