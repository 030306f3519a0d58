// Scalar 3x3 depthwise (depth multiplier 1), 8 channels per block, the block outermost: the
// block's 9 taps of weights (9 x 8 bytes) and its bias are read once per call into locals, not
// once per pixel (each wasm load is a bounds check plus the access on the Cortex-M4). Interior
// pixels start from bias + in_offset * sum(w), so a tap is one multiply-add of the raw input:
// sum (x + o) w = sum x w + o sum w, exact in wrapping i32 (|o sum w| <= 255 * 128 * 9).
// Border pixels skip padding taps exactly as dwconv_s8_ref: (x + o) w over the valid taps only,
// from the plain bias. Requantization per quad as conv.ts dwQuad. Hoisting the multipliers and
// shifts too gave kws_dscnn 902 k instead of 1000 k instructions per depthwise layer on the M4
// but a 1.6 KB stack peak (over the firmware's 75% of 2 KB reserved): not done.
// Computes channels [0, c8) of dwconv_s8 (c8 a multiple of 8, wTap its c); same arguments otherwise.

import { ConvParams, dwQuad } from './conv';
import { sb0, sb1, sb2, sb3 } from './gemm';

export function dwconv3x3_s8_oct(
  x: usize, inH: i32, inW: i32, c8: i32,
  w: usize, wTap: i32, bias: usize, rq: usize,
  y: usize, batches: i32, outH: i32, outW: i32,
  p: ConvParams, stride: i32,
): void {
  const inOff = p.inputOffset, outOff = p.outputOffset, lo = p.actMin, hi = p.actMax;
  const strideH = p.strideH, strideW = p.strideW, padTop = p.padTop, padLeft = p.padLeft;
  const dH = p.dilationH, dW = p.dilationW;
  const rowBytes = inW * stride;
  const tapW = <usize>(dW * stride), tapH = <usize>(dH * rowBytes);
  const cs = <usize>wTap; // weights [3, 3, c]: wTap = c bytes per tap, c8 = c rounded down to 8
  for (let ch: usize = 0; ch < <usize>c8; ch += 8) {
    const wb = w + ch;
    const w0 = load<i64>(wb), w1 = load<i64>(wb + cs), w2 = load<i64>(wb + 2 * cs);
    const w3 = load<i64>(wb + 3 * cs), w4 = load<i64>(wb + 4 * cs), w5 = load<i64>(wb + 5 * cs);
    const w6 = load<i64>(wb + 6 * cs), w7 = load<i64>(wb + 7 * cs), w8 = load<i64>(wb + 8 * cs);
    const bq = bias + (ch << 2);
    const b01 = load<i64>(bq), b23 = load<i64>(bq, 8), b45 = load<i64>(bq, 16), b67 = load<i64>(bq, 24);
    const bb0 = <i32>b01, bb1 = <i32>(b01 >>> 32), bb2 = <i32>b23, bb3 = <i32>(b23 >>> 32);
    const bb4 = <i32>b45, bb5 = <i32>(b45 >>> 32), bb6 = <i32>b67, bb7 = <i32>(b67 >>> 32);
    // bias + inOff * sum over the 9 taps of each channel's weight
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    for (let t: usize = 0; t < 9; t++) {
      const wv = load<i64>(wb + t * cs);
      const wl = <i32>wv, wh = <i32>(wv >>> 32);
      s0 += sb0(wl); s1 += sb1(wl); s2 += sb2(wl); s3 += sb3(wl);
      s4 += sb0(wh); s5 += sb1(wh); s6 += sb2(wh); s7 += sb3(wh);
    }
    const c0 = bb0 + inOff * s0, c1 = bb1 + inOff * s1, c2 = bb2 + inOff * s2, c3 = bb3 + inOff * s3;
    const c4 = bb4 + inOff * s4, c5 = bb5 + inOff * s5, c6 = bb6 + inOff * s6, c7 = bb7 + inOff * s7;
    const qa = rq + ch * 12, qb = qa + 48; // 48 bytes per quad, ch a multiple of 8
    const w0l = <i32>w0, w0h = <i32>(w0 >>> 32), w1l = <i32>w1, w1h = <i32>(w1 >>> 32);
    const w2l = <i32>w2, w2h = <i32>(w2 >>> 32), w3l = <i32>w3, w3h = <i32>(w3 >>> 32);
    const w4l = <i32>w4, w4h = <i32>(w4 >>> 32), w5l = <i32>w5, w5h = <i32>(w5 >>> 32);
    const w6l = <i32>w6, w6h = <i32>(w6 >>> 32), w7l = <i32>w7, w7h = <i32>(w7 >>> 32);
    const w8l = <i32>w8, w8h = <i32>(w8 >>> 32);
    let out = y + ch;
    for (let b = 0; b < batches; b++) {
      const xb = x + <usize>(b * inH * rowBytes) + ch;
      for (let oy = 0; oy < outH; oy++) {
        const iy0 = oy * strideH - padTop;
        const rowsFull = iy0 >= 0 && iy0 + 2 * dH < inH;
        const ky0 = iy0 >= 0 ? 0 : (-iy0 + dH - 1) / dH;
        const ky1 = min(3, (inH - iy0 + dH - 1) / dH);
        for (let ox = 0; ox < outW; ox++) {
          const ix0 = ox * strideW - padLeft;
          const base = xb + <usize>(iy0 * rowBytes + ix0 * stride);
          let a0: i32, a1: i32, a2: i32, a3: i32, a4: i32, a5: i32, a6: i32, a7: i32;
          if (rowsFull && ix0 >= 0 && ix0 + 2 * dW < inW) {
            a0 = c0; a1 = c1; a2 = c2; a3 = c3; a4 = c4; a5 = c5; a6 = c6; a7 = c7;
            const r1 = base + tapH, r2 = r1 + tapH;
            let xv = load<i64>(base), xl = <i32>xv, xh = <i32>(xv >>> 32);
            a0 += sb0(xl) * sb0(w0l); a1 += sb1(xl) * sb1(w0l); a2 += sb2(xl) * sb2(w0l); a3 += sb3(xl) * sb3(w0l);
            a4 += sb0(xh) * sb0(w0h); a5 += sb1(xh) * sb1(w0h); a6 += sb2(xh) * sb2(w0h); a7 += sb3(xh) * sb3(w0h);
            xv = load<i64>(base + tapW); xl = <i32>xv; xh = <i32>(xv >>> 32);
            a0 += sb0(xl) * sb0(w1l); a1 += sb1(xl) * sb1(w1l); a2 += sb2(xl) * sb2(w1l); a3 += sb3(xl) * sb3(w1l);
            a4 += sb0(xh) * sb0(w1h); a5 += sb1(xh) * sb1(w1h); a6 += sb2(xh) * sb2(w1h); a7 += sb3(xh) * sb3(w1h);
            xv = load<i64>(base + 2 * tapW); xl = <i32>xv; xh = <i32>(xv >>> 32);
            a0 += sb0(xl) * sb0(w2l); a1 += sb1(xl) * sb1(w2l); a2 += sb2(xl) * sb2(w2l); a3 += sb3(xl) * sb3(w2l);
            a4 += sb0(xh) * sb0(w2h); a5 += sb1(xh) * sb1(w2h); a6 += sb2(xh) * sb2(w2h); a7 += sb3(xh) * sb3(w2h);
            xv = load<i64>(r1); xl = <i32>xv; xh = <i32>(xv >>> 32);
            a0 += sb0(xl) * sb0(w3l); a1 += sb1(xl) * sb1(w3l); a2 += sb2(xl) * sb2(w3l); a3 += sb3(xl) * sb3(w3l);
            a4 += sb0(xh) * sb0(w3h); a5 += sb1(xh) * sb1(w3h); a6 += sb2(xh) * sb2(w3h); a7 += sb3(xh) * sb3(w3h);
            xv = load<i64>(r1 + tapW); xl = <i32>xv; xh = <i32>(xv >>> 32);
            a0 += sb0(xl) * sb0(w4l); a1 += sb1(xl) * sb1(w4l); a2 += sb2(xl) * sb2(w4l); a3 += sb3(xl) * sb3(w4l);
            a4 += sb0(xh) * sb0(w4h); a5 += sb1(xh) * sb1(w4h); a6 += sb2(xh) * sb2(w4h); a7 += sb3(xh) * sb3(w4h);
            xv = load<i64>(r1 + 2 * tapW); xl = <i32>xv; xh = <i32>(xv >>> 32);
            a0 += sb0(xl) * sb0(w5l); a1 += sb1(xl) * sb1(w5l); a2 += sb2(xl) * sb2(w5l); a3 += sb3(xl) * sb3(w5l);
            a4 += sb0(xh) * sb0(w5h); a5 += sb1(xh) * sb1(w5h); a6 += sb2(xh) * sb2(w5h); a7 += sb3(xh) * sb3(w5h);
            xv = load<i64>(r2); xl = <i32>xv; xh = <i32>(xv >>> 32);
            a0 += sb0(xl) * sb0(w6l); a1 += sb1(xl) * sb1(w6l); a2 += sb2(xl) * sb2(w6l); a3 += sb3(xl) * sb3(w6l);
            a4 += sb0(xh) * sb0(w6h); a5 += sb1(xh) * sb1(w6h); a6 += sb2(xh) * sb2(w6h); a7 += sb3(xh) * sb3(w6h);
            xv = load<i64>(r2 + tapW); xl = <i32>xv; xh = <i32>(xv >>> 32);
            a0 += sb0(xl) * sb0(w7l); a1 += sb1(xl) * sb1(w7l); a2 += sb2(xl) * sb2(w7l); a3 += sb3(xl) * sb3(w7l);
            a4 += sb0(xh) * sb0(w7h); a5 += sb1(xh) * sb1(w7h); a6 += sb2(xh) * sb2(w7h); a7 += sb3(xh) * sb3(w7h);
            xv = load<i64>(r2 + 2 * tapW); xl = <i32>xv; xh = <i32>(xv >>> 32);
            a0 += sb0(xl) * sb0(w8l); a1 += sb1(xl) * sb1(w8l); a2 += sb2(xl) * sb2(w8l); a3 += sb3(xl) * sb3(w8l);
            a4 += sb0(xh) * sb0(w8h); a5 += sb1(xh) * sb1(w8h); a6 += sb2(xh) * sb2(w8h); a7 += sb3(xh) * sb3(w8h);
          } else {
            a0 = bb0; a1 = bb1; a2 = bb2; a3 = bb3; a4 = bb4; a5 = bb5; a6 = bb6; a7 = bb7;
            const kx0 = ix0 >= 0 ? 0 : (-ix0 + dW - 1) / dW;
            const kx1 = min(3, (inW - ix0 + dW - 1) / dW);
            for (let ky = ky0; ky < ky1; ky++) {
              const xr = base + <usize>ky * tapH, wr = wb + <usize>(ky * 3) * cs;
              for (let kx = kx0; kx < kx1; kx++) {
                const xv = load<i64>(xr + <usize>kx * tapW), wv = load<i64>(wr + <usize>kx * cs);
                const xl = <i32>xv, xh = <i32>(xv >>> 32), wl = <i32>wv, wh = <i32>(wv >>> 32);
                a0 += (sb0(xl) + inOff) * sb0(wl); a1 += (sb1(xl) + inOff) * sb1(wl);
                a2 += (sb2(xl) + inOff) * sb2(wl); a3 += (sb3(xl) + inOff) * sb3(wl);
                a4 += (sb0(xh) + inOff) * sb0(wh); a5 += (sb1(xh) + inOff) * sb1(wh);
                a6 += (sb2(xh) + inOff) * sb2(wh); a7 += (sb3(xh) + inOff) * sb3(wh);
              }
            }
          }
          const lo4 = dwQuad(a0, a1, a2, a3, qa, outOff, lo, hi);
          const hi4 = dwQuad(a4, a5, a6, a7, qb, outOff, lo, hi);
          store<i64>(out, <i64><u32>lo4 | (<i64>hi4 << 32)); // 8 outputs, one access
          out += <usize>stride;
        }
      }
    }
  }
}
