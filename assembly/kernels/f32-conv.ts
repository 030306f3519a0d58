// Float32 weight-bearing kernels (group f32): CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV,
// FULLY_CONNECTED. Each sums in the loop order of TFLM's reference float kernels
// (filter row, filter column, input channel), products in f32 and a f32 running total, then
// adds the bias and clamps to the fused activation's [actMin, actMax] as TFLM's
// ActivationFunctionWithMinMax (min(max(x, lo), hi), NaN passing through).
// The simd build (ASC_FEATURE_SIMD) runs CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED in
// f32x4 lanes over four OUTPUTS (output channels), never over one output's taps: each lane
// sums its own products in the scalar order above (f32 mul then add, no fused multiply-add),
// so both builds give the same bits. Channel and tap tails fall back to the scalar sum.

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

/** One output of conv_f32: the sum over (fy, fx, c) of the in-image taps, then bias and clamp. */
// @ts-ignore: decorator
@inline function convAt(x: usize, inH: i32, inW: i32, inC: i32, w: usize, kh: i32, kw: i32, icg: i32, bias: usize,
  b: i32, iy0: i32, ix0: i32, oc: i32, g: i32, p: ConvF32Params): f32 {
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
  return clampF32(total + biasAt(bias, oc), p.actMin, p.actMax);
}

/** conv_f32: x [N, inH, inW, inC], w [outC, kh, kw, icg] (groups = inC / icg), y [N, outH, outW, outC]. */
export function conv_f32(x: usize, inH: i32, inW: i32, inC: i32, w: usize, kh: i32, kw: i32, icg: i32, bias: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32, p: ConvF32Params): void {
  const ocPerGroup = outC / (inC / icg);
  if (ASC_FEATURE_SIMD) {
    if (ocPerGroup % 4 == 0 || icg == inC) {
      conv_f32_x4(x, inH, inW, inC, w, kh, kw, icg, bias, y, batches, outH, outW, outC, p, ocPerGroup);
      return;
    }
  }
  let out = y;
  for (let b = 0; b < batches; b++)
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++) {
        const iy0 = oy * p.strideH - p.padTop, ix0 = ox * p.strideW - p.padLeft;
        for (let oc = 0; oc < outC; oc++) {
          store<f32>(out, convAt(x, inH, inW, inC, w, kh, kw, icg, bias, b, iy0, ix0, oc, oc / ocPerGroup, p));
          out += 4;
        }
      }
}

// @ts-ignore: decorator
@inline function sp(p: usize): v128 { return v128.load32_splat(p); }

// @ts-ignore: decorator
@inline function fma4(acc: v128, xp: usize, t0: v128, t1: v128, t2: v128, t3: v128): v128 {
  // lane i: ((((acc + x0 w[i][0]) + x1 w[i][1]) + x2 w[i][2]) + x3 w[i][3]), the scalar order
  acc = f32x4.add(acc, f32x4.mul(sp(xp), t0));
  acc = f32x4.add(acc, f32x4.mul(sp(xp + 4), t1));
  acc = f32x4.add(acc, f32x4.mul(sp(xp + 8), t2));
  return f32x4.add(acc, f32x4.mul(sp(xp + 12), t3));
}

/** Four weights w[oc + i][k] (rows `ws` bytes apart) as lanes i. */
// @ts-ignore: decorator
@inline function gather4(wp: usize, ws: usize): v128 {
  let v = f32x4.splat(load<f32>(wp));
  v = f32x4.replace_lane(v, 1, load<f32>(wp + ws));
  v = f32x4.replace_lane(v, 2, load<f32>(wp + ws * 2));
  return f32x4.replace_lane(v, 3, load<f32>(wp + ws * 3));
}

// @ts-ignore: decorator
@inline function finish4(acc: v128, bias: usize, oc: i32, lo: v128, hi: v128): v128 {
  const bv = bias ? v128.load(at(bias, oc)) : f32x4.splat(0);
  return f32x4.pmin(f32x4.pmax(f32x4.add(acc, bv), lo), hi); // clampF32 per lane
}

/**
 * conv_f32 in the simd build: tiles of eight output pixels (flat over batch, row, column;
 * the last tile repeats its last pixel) times four output channels of one group, one f32x4
 * accumulator per pixel. Each 4x4 weight block is transposed once and feeds the eight
 * pixels (on ic_resnet8_float32, ~6% faster than tiles of four in interleaved runs).
 * Channels past the last full quad (outC % 4, groups of one) run convAt.
 */
function conv_f32_x4(x: usize, inH: i32, inW: i32, inC: i32, w: usize, kh: i32, kw: i32, icg: i32, bias: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32, p: ConvF32Params, ocPerGroup: i32): void {
  const pixels = batches * outH * outW, hw = outH * outW;
  const quadEnd = outC & ~3, icq = icg & ~3;
  const ws = <usize>(kh * kw * icg) << 2;
  const lo = f32x4.splat(p.actMin), hi = f32x4.splat(p.actMax);
  const planeX = inH * inW * inC;
  for (let q = 0; q < pixels; q += 8) {
    // pixel k of the tile (the last pixel repeated past the end): top-left input tap
    const q0 = q, q1 = min(q + 1, pixels - 1), q2 = min(q + 2, pixels - 1), q3 = min(q + 3, pixels - 1), q4 = min(q + 4, pixels - 1), q5 = min(q + 5, pixels - 1), q6 = min(q + 6, pixels - 1), q7 = min(q + 7, pixels - 1);
    const r0 = q0 % hw, y0 = (r0 / outW) * p.strideH - p.padTop, x0 = (r0 % outW) * p.strideW - p.padLeft;
    const r1 = q1 % hw, y1 = (r1 / outW) * p.strideH - p.padTop, x1 = (r1 % outW) * p.strideW - p.padLeft;
    const r2 = q2 % hw, y2 = (r2 / outW) * p.strideH - p.padTop, x2 = (r2 % outW) * p.strideW - p.padLeft;
    const r3 = q3 % hw, y3 = (r3 / outW) * p.strideH - p.padTop, x3 = (r3 % outW) * p.strideW - p.padLeft;
    const r4 = q4 % hw, y4 = (r4 / outW) * p.strideH - p.padTop, x4 = (r4 % outW) * p.strideW - p.padLeft;
    const r5 = q5 % hw, y5 = (r5 / outW) * p.strideH - p.padTop, x5 = (r5 % outW) * p.strideW - p.padLeft;
    const r6 = q6 % hw, y6 = (r6 / outW) * p.strideH - p.padTop, x6 = (r6 % outW) * p.strideW - p.padLeft;
    const r7 = q7 % hw, y7 = (r7 / outW) * p.strideH - p.padTop, x7 = (r7 % outW) * p.strideW - p.padLeft;
    // element offset of each pixel's top-left tap (may lie outside the image; used only when in it)
    const e0 = (q0 / hw) * planeX + (y0 * inW + x0) * inC;
    const e1 = (q1 / hw) * planeX + (y1 * inW + x1) * inC;
    const e2 = (q2 / hw) * planeX + (y2 * inW + x2) * inC;
    const e3 = (q3 / hw) * planeX + (y3 * inW + x3) * inC;
    const e4 = (q4 / hw) * planeX + (y4 * inW + x4) * inC;
    const e5 = (q5 / hw) * planeX + (y5 * inW + x5) * inC;
    const e6 = (q6 / hw) * planeX + (y6 * inW + x6) * inC;
    const e7 = (q7 / hw) * planeX + (y7 * inW + x7) * inC;
    for (let oc = 0; oc < quadEnd; oc += 4) {
      const cOff = (oc / ocPerGroup) * icg;
      let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
      for (let fy = 0; fy < kh; fy++) {
        const dy = p.dilationH * fy;
        const in0 = <u32>(y0 + dy) < <u32>inH;
        const in1 = <u32>(y1 + dy) < <u32>inH;
        const in2 = <u32>(y2 + dy) < <u32>inH;
        const in3 = <u32>(y3 + dy) < <u32>inH;
        const in4 = <u32>(y4 + dy) < <u32>inH;
        const in5 = <u32>(y5 + dy) < <u32>inH;
        const in6 = <u32>(y6 + dy) < <u32>inH;
        const in7 = <u32>(y7 + dy) < <u32>inH;
        for (let fx = 0; fx < kw; fx++) {
          const dx = p.dilationW * fx;
          const tap = (dy * inW + dx) * inC + cOff;
          const ok0 = in0 && <u32>(x0 + dx) < <u32>inW, p0 = at(x, e0 + tap);
          const ok1 = in1 && <u32>(x1 + dx) < <u32>inW, p1 = at(x, e1 + tap);
          const ok2 = in2 && <u32>(x2 + dx) < <u32>inW, p2 = at(x, e2 + tap);
          const ok3 = in3 && <u32>(x3 + dx) < <u32>inW, p3 = at(x, e3 + tap);
          const ok4 = in4 && <u32>(x4 + dx) < <u32>inW, p4 = at(x, e4 + tap);
          const ok5 = in5 && <u32>(x5 + dx) < <u32>inW, p5 = at(x, e5 + tap);
          const ok6 = in6 && <u32>(x6 + dx) < <u32>inW, p6 = at(x, e6 + tap);
          const ok7 = in7 && <u32>(x7 + dx) < <u32>inW, p7 = at(x, e7 + tap);
          const wp = at(w, ((oc * kh + fy) * kw + fx) * icg);
          let c = 0;
          for (; c < icq; c += 4) {
            const cb = <usize>c << 2;
            const w0 = v128.load(wp + cb), w1 = v128.load(wp + ws + cb), w2 = v128.load(wp + ws * 2 + cb), w3 = v128.load(wp + ws * 3 + cb);
            const u0 = i32x4.shuffle(w0, w1, 0, 4, 1, 5), u1 = i32x4.shuffle(w0, w1, 2, 6, 3, 7);
            const u2 = i32x4.shuffle(w2, w3, 0, 4, 1, 5), u3 = i32x4.shuffle(w2, w3, 2, 6, 3, 7);
            const t0 = i32x4.shuffle(u0, u2, 0, 1, 4, 5), t1 = i32x4.shuffle(u0, u2, 2, 3, 6, 7);
            const t2 = i32x4.shuffle(u1, u3, 0, 1, 4, 5), t3 = i32x4.shuffle(u1, u3, 2, 3, 6, 7);
            if (ok0) a0 = fma4(a0, p0 + cb, t0, t1, t2, t3);
            if (ok1) a1 = fma4(a1, p1 + cb, t0, t1, t2, t3);
            if (ok2) a2 = fma4(a2, p2 + cb, t0, t1, t2, t3);
            if (ok3) a3 = fma4(a3, p3 + cb, t0, t1, t2, t3);
            if (ok4) a4 = fma4(a4, p4 + cb, t0, t1, t2, t3);
            if (ok5) a5 = fma4(a5, p5 + cb, t0, t1, t2, t3);
            if (ok6) a6 = fma4(a6, p6 + cb, t0, t1, t2, t3);
            if (ok7) a7 = fma4(a7, p7 + cb, t0, t1, t2, t3);
          }
          for (; c < icg; c++) {
            const cb = <usize>c << 2;
            const t = gather4(wp + cb, ws);
            if (ok0) a0 = f32x4.add(a0, f32x4.mul(sp(p0 + cb), t));
            if (ok1) a1 = f32x4.add(a1, f32x4.mul(sp(p1 + cb), t));
            if (ok2) a2 = f32x4.add(a2, f32x4.mul(sp(p2 + cb), t));
            if (ok3) a3 = f32x4.add(a3, f32x4.mul(sp(p3 + cb), t));
            if (ok4) a4 = f32x4.add(a4, f32x4.mul(sp(p4 + cb), t));
            if (ok5) a5 = f32x4.add(a5, f32x4.mul(sp(p5 + cb), t));
            if (ok6) a6 = f32x4.add(a6, f32x4.mul(sp(p6 + cb), t));
            if (ok7) a7 = f32x4.add(a7, f32x4.mul(sp(p7 + cb), t));
          }
        }
      }
      v128.store(at(y, q0 * outC + oc), finish4(a0, bias, oc, lo, hi));
      if (q + 1 < pixels) v128.store(at(y, q1 * outC + oc), finish4(a1, bias, oc, lo, hi));
      if (q + 2 < pixels) v128.store(at(y, q2 * outC + oc), finish4(a2, bias, oc, lo, hi));
      if (q + 3 < pixels) v128.store(at(y, q3 * outC + oc), finish4(a3, bias, oc, lo, hi));
      if (q + 4 < pixels) v128.store(at(y, q4 * outC + oc), finish4(a4, bias, oc, lo, hi));
      if (q + 5 < pixels) v128.store(at(y, q5 * outC + oc), finish4(a5, bias, oc, lo, hi));
      if (q + 6 < pixels) v128.store(at(y, q6 * outC + oc), finish4(a6, bias, oc, lo, hi));
      if (q + 7 < pixels) v128.store(at(y, q7 * outC + oc), finish4(a7, bias, oc, lo, hi));
    }
    for (let oc = quadEnd; oc < outC; oc++) {
      const g = oc / ocPerGroup;
      for (let k = q; k < min(q + 8, pixels); k++) {
        const r = k % hw;
        store<f32>(at(y, k * outC + oc), convAt(x, inH, inW, inC, w, kh, kw, icg, bias, k / hw,
          (r / outW) * p.strideH - p.padTop, (r % outW) * p.strideW - p.padLeft, oc, g, p));
      }
    }
  }
}

/** One output of dwconv_f32: the sum over (fy, fx) of the in-image taps, then bias and clamp. */
// @ts-ignore: decorator
@inline function dwAt(x: usize, inH: i32, inW: i32, inC: i32, w: usize, kh: i32, kw: i32, bias: usize,
  b: i32, iy0: i32, ix0: i32, ic: i32, oc: i32, outC: i32, p: ConvF32Params): f32 {
  let total: f32 = 0;
  for (let fy = 0; fy < kh; fy++) {
    const iy = iy0 + p.dilationH * fy;
    for (let fx = 0; fx < kw; fx++) {
      const ix = ix0 + p.dilationW * fx;
      if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
      total += load<f32>(at(x, ((b * inH + iy) * inW + ix) * inC + ic)) * load<f32>(at(w, (fy * kw + fx) * outC + oc));
    }
  }
  return clampF32(total + biasAt(bias, oc), p.actMin, p.actMax);
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
        if (ASC_FEATURE_SIMD) {
          if (dm == 1 || (dm & 3) == 0) {
            dwconv_f32_x4(x, inH, inW, inC, w, kh, kw, bias, out, b, iy0, ix0, outC, dm, p);
            out += <usize>outC << 2;
            continue;
          }
        }
        for (let ic = 0; ic < inC; ic++)
          for (let m = 0; m < dm; m++) {
            const oc = m + ic * dm;
            store<f32>(out, dwAt(x, inH, inW, inC, w, kh, kw, bias, b, iy0, ix0, ic, oc, outC, p));
            out += 4;
          }
      }
}

/**
 * One output pixel of dwconv_f32 in the simd build, four output channels a lane: with
 * depth multiplier 1 the lanes read four input channels, with a multiple of 4 one input
 * channel splat. Channels past the last full quad (dm 1) run dwAt.
 */
function dwconv_f32_x4(x: usize, inH: i32, inW: i32, inC: i32, w: usize, kh: i32, kw: i32, bias: usize,
  out: usize, b: i32, iy0: i32, ix0: i32, outC: i32, dm: i32, p: ConvF32Params): void {
  const lo = f32x4.splat(p.actMin), hi = f32x4.splat(p.actMax);
  const quadEnd = outC & ~3;
  for (let oc = 0; oc < quadEnd; oc += 4) {
    const ic = dm == 1 ? oc : oc / dm;
    let acc = f32x4.splat(0);
    for (let fy = 0; fy < kh; fy++) {
      const iy = iy0 + p.dilationH * fy;
      for (let fx = 0; fx < kw; fx++) {
        const ix = ix0 + p.dilationW * fx;
        if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
        const xp = at(x, ((b * inH + iy) * inW + ix) * inC + ic);
        const xv = dm == 1 ? v128.load(xp) : v128.load32_splat(xp);
        acc = f32x4.add(acc, f32x4.mul(xv, v128.load(at(w, (fy * kw + fx) * outC + oc))));
      }
    }
    v128.store(at(out, oc), finish4(acc, bias, oc, lo, hi));
  }
  for (let oc = quadEnd; oc < outC; oc++)
    store<f32>(at(out, oc), dwAt(x, inH, inW, inC, w, kh, kw, bias, b, iy0, ix0, oc, oc, outC, p));
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
    let oc = 0;
    if (ASC_FEATURE_SIMD) {
      // four outputs a lane; each 4x4 block of w transposed so lane i sums w[oc + i][d] x[d] in d order
      const lo = f32x4.splat(actMin), hi = f32x4.splat(actMax);
      const ws = <usize>depth << 2, dq = depth & ~3;
      for (; oc + 4 <= outC; oc += 4) {
        const wp = at(w, oc * depth);
        let acc = f32x4.splat(0);
        let d = 0;
        for (; d < dq; d += 4) {
          const db = <usize>d << 2;
          const w0 = v128.load(wp + db), w1 = v128.load(wp + ws + db), w2 = v128.load(wp + ws * 2 + db), w3 = v128.load(wp + ws * 3 + db);
          const u0 = i32x4.shuffle(w0, w1, 0, 4, 1, 5), u1 = i32x4.shuffle(w0, w1, 2, 6, 3, 7);
          const u2 = i32x4.shuffle(w2, w3, 0, 4, 1, 5), u3 = i32x4.shuffle(w2, w3, 2, 6, 3, 7);
          acc = fma4(acc, xp + db, i32x4.shuffle(u0, u2, 0, 1, 4, 5), i32x4.shuffle(u0, u2, 2, 3, 6, 7),
            i32x4.shuffle(u1, u3, 0, 1, 4, 5), i32x4.shuffle(u1, u3, 2, 3, 6, 7));
        }
        for (; d < depth; d++) acc = f32x4.add(acc, f32x4.mul(sp(at(xp, d)), gather4(at(wp, d), ws)));
        v128.store(out, finish4(acc, bias, oc, lo, hi));
        out += 16;
      }
    }
    for (; oc < outC; oc++) {
      const wp = at(w, oc * depth);
      let total: f32 = 0;
      for (let d = 0; d < depth; d++) total += load<f32>(at(xp, d)) * load<f32>(at(wp, d));
      store<f32>(out, clampF32(total + biasAt(bias, oc), actMin, actMax));
      out += 4;
    }
  }
}
