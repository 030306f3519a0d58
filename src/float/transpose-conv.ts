// Float reference for TRANSPOSE_CONV (TFLite's inputs: output_shape, filter [O, KH, KW, I],
// input [N, H, W, I], optional bias [O]): every input pixel scatters filter x value into the
// output at iy * stride - pad + ky, the padding computed from the OUTPUT size as TFLite does.

import { computePadding } from '../passes/quant-math.js';
import { applyActivation, type FloatOp } from './interpret.js';

export function transposeConv(ctx: FloatOp): Float32Array {
  const [n, h, w, ic] = ctx.shape(2), [oc, kh, kw] = ctx.shape(1);
  const x = ctx.x(2), f = ctx.x(1), bias = ctx.has(3) ? ctx.x(3) : undefined;
  const [, oh, ow] = ctx.y.shape;
  const o = ctx.o as Record<string, number & string>;
  if (ctx.shape(1)[3] !== ic) ctx.fail(`filter ${JSON.stringify(ctx.shape(1))} does not fit ${ic} input channels`);
  const ph = computePadding(o.padding, o.strideH, 1, oh, kh).pad, pw = computePadding(o.padding, o.strideW, 1, ow, kw).pad;
  const acc = new Float64Array(n * oh * ow * oc);
  for (let b = 0; b < n; b++) for (let iy = 0; iy < h; iy++) for (let ix = 0; ix < w; ix++) {
    const xb = ((b * h + iy) * w + ix) * ic;
    for (let ky = 0; ky < kh; ky++) {
      const oy = iy * o.strideH - ph + ky;
      if (oy < 0 || oy >= oh) continue;
      for (let kx = 0; kx < kw; kx++) {
        const ox = ix * o.strideW - pw + kx;
        if (ox < 0 || ox >= ow) continue;
        const yb = ((b * oh + oy) * ow + ox) * oc;
        for (let c = 0; c < oc; c++) {
          const fb = ((c * kh + ky) * kw + kx) * ic;
          let s = 0;
          for (let i = 0; i < ic; i++) s += x[xb + i] * f[fb + i];
          acc[yb + c] += s;
        }
      }
    }
  }
  return Float32Array.from(acc, (v, i) => applyActivation(o.activation, v + (bias ? bias[i % oc] : 0)));
}
