// Float32 weight-bearing kernels (group f32): CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV,
// FULLY_CONNECTED. Each sums in the loop order of TFLM's reference float kernels
// (filter row, filter column, input channel), products in f32 and a f32 running total, then
// adds the bias and clamps to the fused activation's [actMin, actMax] as TFLM's
// ActivationFunctionWithMinMax (min(max(x, lo), hi), NaN passing through).

/** Params of the float conv family: the int8 layout (docs/FORMAT.md) with the clamp as f32 bits. */
@unmanaged export class ConvF32Params {
  strideH: i32;
  strideW: i32;
  dilationH: i32;
  dilationW: i32;
  padTop: i32;
  padLeft: i32;
  inputOffset: i32; // 0
  outputOffset: i32; // 0
  actMin: f32;
  actMax: f32;
  depthMultiplier: i32;
}

/** TFLM's ActivationFunctionWithMinMax: std::min(std::max(x, lo), hi). */
// @ts-ignore: decorator
@inline export function clampF32(x: f32, lo: f32, hi: f32): f32 {
  const v = x < lo ? lo : x;
  return hi < v ? hi : v;
}

// @ts-ignore: decorator
@inline function at(base: usize, i: i32): usize { return base + (<usize>i << 2); }

// @ts-ignore: decorator
@inline function biasAt(bias: usize, c: i32): f32 { return bias ? load<f32>(at(bias, c)) : 0; }

/** conv_f32: x [N, inH, inW, inC], w [outC, kh, kw, icg] (groups = inC / icg), y [N, outH, outW, outC]. */
export function conv_f32(x: usize, inH: i32, inW: i32, inC: i32, w: usize, kh: i32, kw: i32, icg: i32, bias: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32, p: ConvF32Params): void {
  const ocPerGroup = outC / (inC / icg);
  let out = y;
  for (let b = 0; b < batches; b++)
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++) {
        const iy0 = oy * p.strideH - p.padTop, ix0 = ox * p.strideW - p.padLeft;
        for (let oc = 0; oc < outC; oc++) {
          const g = oc / ocPerGroup;
          let total: f32 = 0;
          for (let fy = 0; fy < kh; fy++) {
            const iy = iy0 + p.dilationH * fy;
            for (let fx = 0; fx < kw; fx++) {
              const ix = ix0 + p.dilationW * fx;
              if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
              const xp = at(x, ((b * inH + iy) * inW + ix) * inC + g * icg);
              const wp = at(w, ((oc * kh + fy) * kw + fx) * icg);
              for (let c = 0; c < icg; c++) total += load<f32>(at(xp, c)) * load<f32>(at(wp, c));
            }
          }
          store<f32>(out, clampF32(total + biasAt(bias, oc), p.actMin, p.actMax));
          out += 4;
        }
      }
}

/** dwconv_f32: x [N, inH, inW, inC], w [1, kh, kw, outC], outC = inC * depthMultiplier. */
export function dwconv_f32(x: usize, inH: i32, inW: i32, inC: i32, w: usize, kh: i32, kw: i32, bias: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32, p: ConvF32Params): void {
  const dm = p.depthMultiplier;
  let out = y;
  for (let b = 0; b < batches; b++)
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++) {
        const iy0 = oy * p.strideH - p.padTop, ix0 = ox * p.strideW - p.padLeft;
        for (let ic = 0; ic < inC; ic++)
          for (let m = 0; m < dm; m++) {
            const oc = m + ic * dm;
            let total: f32 = 0;
            for (let fy = 0; fy < kh; fy++) {
              const iy = iy0 + p.dilationH * fy;
              for (let fx = 0; fx < kw; fx++) {
                const ix = ix0 + p.dilationW * fx;
                if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
                total += load<f32>(at(x, ((b * inH + iy) * inW + ix) * inC + ic)) * load<f32>(at(w, (fy * kw + fx) * outC + oc));
              }
            }
            store<f32>(out, clampF32(total + biasAt(bias, oc), p.actMin, p.actMax));
            out += 4;
          }
      }
}

/** Params of TRANSPOSE_CONV (float): strides, pads, 0, 0, clamp as f32 bits. */
@unmanaged export class TransposeConvF32Params {
  strideH: i32;
  strideW: i32;
  padTop: i32;
  padLeft: i32;
  inputOffset: i32; // 0
  outputOffset: i32; // 0
  actMin: f32;
  actMax: f32;
}

/**
 * transpose_conv_f32: scatters every input value times every filter tap into y (zeroed
 * first), in TFLM's order (batch, input row, column, channel, filter row, column, output
 * channel), then adds the bias and clamps. w [outC, kh, kw, inC].
 */
export function transpose_conv_f32(x: usize, inH: i32, inW: i32, inC: i32, w: usize, kh: i32, kw: i32, bias: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32, p: TransposeConvF32Params): void {
  const n = batches * outH * outW * outC;
  memory.fill(y, 0, <usize>n << 2);
  for (let b = 0; b < batches; b++)
    for (let iy = 0; iy < inH; iy++)
      for (let ix = 0; ix < inW; ix++)
        for (let ic = 0; ic < inC; ic++) {
          const v = load<f32>(at(x, ((b * inH + iy) * inW + ix) * inC + ic));
          for (let fy = 0; fy < kh; fy++) {
            const oy = iy * p.strideH - p.padTop + fy;
            if (oy < 0 || oy >= outH) continue;
            for (let fx = 0; fx < kw; fx++) {
              const ox = ix * p.strideW - p.padLeft + fx;
              if (ox < 0 || ox >= outW) continue;
              const yp = at(y, ((b * outH + oy) * outW + ox) * outC);
              for (let oc = 0; oc < outC; oc++) {
                const o = at(yp, oc);
                store<f32>(o, load<f32>(o) + v * load<f32>(at(w, ((oc * kh + fy) * kw + fx) * inC + ic)));
              }
            }
          }
        }
  for (let i = 0; i < n; i++) {
    const o = at(y, i);
    store<f32>(o, clampF32(load<f32>(o) + biasAt(bias, i % outC), p.actMin, p.actMax));
  }
}

/** fc_f32: x [batches, depth], w [outC, depth], bias [outC] or 0 -> y [batches, outC]. */
export function fc_f32(x: usize, batches: i32, depth: i32, w: usize, outC: i32, bias: usize, y: usize, actMin: f32, actMax: f32): void {
  let out = y;
  for (let b = 0; b < batches; b++) {
    const xp = at(x, b * depth);
    for (let oc = 0; oc < outC; oc++) {
      const wp = at(w, oc * depth);
      let total: f32 = 0;
      for (let d = 0; d < depth; d++) total += load<f32>(at(xp, d)) * load<f32>(at(wp, d));
      store<f32>(out, clampF32(total + biasAt(bias, oc), actMin, actMax));
      out += 4;
    }
  }
}
