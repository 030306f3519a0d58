// Winograd F(2x2, 3x3) for int8 3x3 convs at stride 1 (SIMD build): each 2x2 block of output
// pixels (a tile) from its 4x4 input patch with 16 products per input and output channel
// instead of 36, in exact integers.
//
// Matches: a packed CONV_2D (layout 1) with a 3x3 kernel, strides and dilations 1, inC a
// multiple of 8 (wgEligible), whose filter was transformed at load (winograd.ts):
//   U'[oc][ic] = (2G) g (2G)^T, 2G = [[2,0,0],[1,1,1],[1,-1,1],[0,0,2]]   (4 x 4 integers, |U'| <= 1152)
//   V[ic]      = B^T d B,       B^T = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]]  (|V| <= 512)
//   Y          = A^T (sum_ic U' * V) A,  A^T = [[1,1,1,0],[0,1,-1,-1]]
// Y is 4 times the tile's sums of x * w over the 9 taps, the same integers the direct GEMM
// forms (G's halves are the 2 of 2G, twice). Every operation is an add, subtract or multiply
// of i32 lanes (dot_i16x8_s products and pair sums included: 2 * 512 * 1152 < 2^31), so Y is
// exact modulo 2^32, and since |sum x * w| <= 9 * inC * 128 * 128 < 2^29 for inC <= 1024,
// Y itself is exact and Y >> 2 (arithmetic) is the sum. Padding taps read the input zero point,
// as im2col's do, against the folded bias (layout-weights.ts), so the results then take the
// GEMM's epilogue (requantStore2) and are bit-exact with it.
//
// Per chunk of up to WG_TILES tiles along a row of tiles: the input transform of each tile
// (8 channels per i16x8), then per position xi of the 16 a GEMM over the input channels with
// the output channels in lanes (no horizontal sums: lane o of a dot of a splat pair of V
// (ic, ic+1) with U's [4 oc][2 ic] row sums the pair for channel o), 4 tiles x 8 channels per
// step, sums to M [tile][xi][oc8]; then each tile's output transform and epilogue.

import { ConvParams } from './conv';
import { requantStore2 } from './gemm-simd';
import { rqfAccFits, rqfBias, rqfMagic, rqfPrepare, rqfNearest, splat8 } from './requant-simd';

/** Tiles per chunk: a multiple of 4 (the GEMM's tile block; a chunk's last block may run over stale tiles whose sums are never read). */
export const WG_TILES: i32 = 8;
/** Largest inC: the exactness bound above (9 * inC * 2^14 < 2^29). */
export const WG_MAX_IN_C: i32 = 1024;
/** Largest outC, for the scratch's size. */
export const WG_MAX_OUT_C: i32 = 4096;

/** Output channels rounded up to 8: U's and M's channel count. */
// @ts-ignore: decorator
@inline export function wgOc8(outC: i32): i32 { return (outC + 7) & ~7; }

/** Bytes of a transformed filter: 16 positions x inC x oc8 i16. */
export function wgFilterBytes(inC: i32, outC: i32): u64 { return <u64>32 * <u64>inC * <u64>wgOc8(outC); }

/** Scratch bytes of one op: V [WG_TILES][16][inC] i16, then M [WG_TILES][16][oc8] i32, then two output rows (outW pixels of outC). */
export function wgScratchBytes(inC: i32, outC: i32, outW: i32): u64 {
  return <u64>WG_TILES * 16 * (<u64>inC * 2 + <u64>wgOc8(outC) * 4) + 2 * <u64>outW * <u64>outC;
}

/** Whether a packed conv runs here: 3x3, stride and dilation 1, inC a multiple of 8 up to WG_MAX_IN_C, K8 = 9 inC. */
export function wgEligible(inC: i32, kh: i32, kw: i32, k8: i32, outC: i32, p: ConvParams): bool {
  return kh == 3 && kw == 3 && p.strideH == 1 && p.strideW == 1 && p.dilationH == 1 && p.dilationW == 1
    && inC >= 8 && inC <= WG_MAX_IN_C && (inC & 7) == 0 && k8 == 9 * inC && outC >= 1 && outC <= WG_MAX_OUT_C;
}

// --- the filter transform (at load) --------------------------------------------------------

/**
 * Packed weights w [oc4/4][K8/8][4][8] (K index (ky * 3 + kx) * inC + ic) -> U
 * [16 xi][oc8/8][inC/2][2 quads][4 oc][2 ic] i16: per position, channel block and input pair,
 * the 32 bytes one step of the GEMM loads. Channels oc4..oc8 are zero.
 */
export function wgTransformFilter(w: usize, inC: i32, outC: i32, u: usize): void {
  const oc8 = wgOc8(outC), oc4 = (outC + 3) & ~3, k8 = 9 * inC;
  const xiBytes = <usize>oc8 * <usize>inC * 2;
  memory.fill(u, 0, <usize>16 * xiBytes);
  for (let o = 0; o < oc4; o++) {
    for (let ic = 0; ic < inC; ic++) {
      const dst = u + <usize>((((o >> 3) * (inC >> 1) + (ic >> 1)) << 5) + (((o >> 2) & 1) << 4) + ((o & 3) << 2) + ((ic & 1) << 1));
      wgTransformOne(w, k8, o, ic, inC, dst, xiBytes, false);
    }
  }
}

// @ts-ignore: decorator
@inline function wgStore(at: usize, v: i32, asF64: bool): void {
  if (asF64) store<f64>(at, <f64>v);
  else store<i16>(at, <i16>v);
}

// The packed byte of (o, k).
// @ts-ignore: decorator
@inline function wAt(w: usize, k8: i32, o: i32, k: i32): i32 {
  return <i32>load<i8>(w + <usize>((((o >> 2) * (k8 >> 3) + (k >> 3)) << 5) + ((o & 3) << 3) + (k & 7)));
}

/** (2G) g (2G)^T of one filter (o, ic) of packed weights: 16 values at dst + xi * xiBytes, i16 or (asF64, a constant: winograd-wide.ts) f64. */
// @ts-ignore: decorator
@inline export function wgTransformOne(w: usize, k8: i32, o: i32, ic: i32, inC: i32, dst: usize, xiBytes: usize, asF64: bool): void {
  // rows: h[r][c] = (2G) applied down each column c of g
  const g00 = wAt(w, k8, o, ic), g01 = wAt(w, k8, o, inC + ic), g02 = wAt(w, k8, o, 2 * inC + ic);
  const g10 = wAt(w, k8, o, 3 * inC + ic), g11 = wAt(w, k8, o, 4 * inC + ic), g12 = wAt(w, k8, o, 5 * inC + ic);
  const g20 = wAt(w, k8, o, 6 * inC + ic), g21 = wAt(w, k8, o, 7 * inC + ic), g22 = wAt(w, k8, o, 8 * inC + ic);
  for (let r = 0; r < 4; r++) {
    let a0: i32, a1: i32, a2: i32; // row r of (2G) g
    if (r == 0) { a0 = 2 * g00; a1 = 2 * g01; a2 = 2 * g02; }
    else if (r == 1) { a0 = g00 + g10 + g20; a1 = g01 + g11 + g21; a2 = g02 + g12 + g22; }
    else if (r == 2) { a0 = g00 - g10 + g20; a1 = g01 - g11 + g21; a2 = g02 - g12 + g22; }
    else { a0 = 2 * g20; a1 = 2 * g21; a2 = 2 * g22; }
    const at = dst + <usize>(r * 4) * xiBytes;
    wgStore(at, 2 * a0, asF64);
    wgStore(at + xiBytes, a0 + a1 + a2, asF64);
    wgStore(at + 2 * xiBytes, a0 - a1 + a2, asF64);
    wgStore(at + 3 * xiBytes, 2 * a2, asF64);
  }
}

// --- the input transform ---------------------------------------------------------------------

// Pixel (iy, ix)'s 8 channels from c as i16x8, or the zero point's splat outside the image
// (inside: the tile is known to lie in the image).
// @ts-ignore: decorator
@inline function px(x: usize, inH: i32, inW: i32, inC: i32, iy: i32, ix: i32, c: i32, zpv: v128, inside: bool): v128 {
  if (inside || (<u32>iy < <u32>inH && <u32>ix < <u32>inW)) return v128.load8x8_s(x + <usize>((iy * inW + ix) * inC + c));
  return zpv;
}

// Row i of V from row i of B^T d (t0..t3, its 4 columns): V[i][j] at v + (4i + j) * rowBytes.
// @ts-ignore: decorator
@inline function storeRow(v: usize, i: i32, rowBytes: usize, t0: v128, t1: v128, t2: v128, t3: v128): void {
  const at = v + <usize>(i * 4) * rowBytes;
  v128.store(at, i16x8.sub(t0, t2));
  v128.store(at + rowBytes, i16x8.add(t1, t2));
  v128.store(at + 2 * rowBytes, i16x8.sub(t2, t1));
  v128.store(at + 3 * rowBytes, i16x8.sub(t1, t3));
}

/** V of the tile whose patch starts at (iy0, ix0) of image x (one batch): [16][inC] i16 at v. */
// @ts-ignore: decorator
@inline function inputTile(x: usize, inH: i32, inW: i32, inC: i32, iy0: i32, ix0: i32, zpv: v128, v: usize, inside: bool): void {
  const rowBytes = <usize>inC << 1;
  for (let c = 0; c < inC; c += 8) {
    const vc = v + (<usize>c << 1);
    // rows 1 and 2 of d: rows 1 and 2 of B^T d (d1 + d2, d2 - d1)
    let d10 = px(x, inH, inW, inC, iy0 + 1, ix0, c, zpv, inside), d11 = px(x, inH, inW, inC, iy0 + 1, ix0 + 1, c, zpv, inside);
    let d12 = px(x, inH, inW, inC, iy0 + 1, ix0 + 2, c, zpv, inside), d13 = px(x, inH, inW, inC, iy0 + 1, ix0 + 3, c, zpv, inside);
    const d20 = px(x, inH, inW, inC, iy0 + 2, ix0, c, zpv, inside), d21 = px(x, inH, inW, inC, iy0 + 2, ix0 + 1, c, zpv, inside);
    const d22 = px(x, inH, inW, inC, iy0 + 2, ix0 + 2, c, zpv, inside), d23 = px(x, inH, inW, inC, iy0 + 2, ix0 + 3, c, zpv, inside);
    storeRow(vc, 1, rowBytes, i16x8.add(d10, d20), i16x8.add(d11, d21), i16x8.add(d12, d22), i16x8.add(d13, d23));
    storeRow(vc, 2, rowBytes, i16x8.sub(d20, d10), i16x8.sub(d21, d11), i16x8.sub(d22, d12), i16x8.sub(d23, d13));
    // row 0: d0 - d2
    storeRow(vc, 0, rowBytes,
      i16x8.sub(px(x, inH, inW, inC, iy0, ix0, c, zpv, inside), d20), i16x8.sub(px(x, inH, inW, inC, iy0, ix0 + 1, c, zpv, inside), d21),
      i16x8.sub(px(x, inH, inW, inC, iy0, ix0 + 2, c, zpv, inside), d22), i16x8.sub(px(x, inH, inW, inC, iy0, ix0 + 3, c, zpv, inside), d23));
    // row 3: d1 - d3
    storeRow(vc, 3, rowBytes,
      i16x8.sub(d10, px(x, inH, inW, inC, iy0 + 3, ix0, c, zpv, inside)), i16x8.sub(d11, px(x, inH, inW, inC, iy0 + 3, ix0 + 1, c, zpv, inside)),
      i16x8.sub(d12, px(x, inH, inW, inC, iy0 + 3, ix0 + 2, c, zpv, inside)), i16x8.sub(d13, px(x, inH, inW, inC, iy0 + 3, ix0 + 3, c, zpv, inside)));
  }
}

// --- the GEMM per position -------------------------------------------------------------------

/**
 * M[t][xi][oc8] = sum_ic U[xi][oc][ic] V[t][xi][ic] for tiles 0..tiles-1 (rounded up to 4) and
 * every position xi: 4 tiles x 8 channels per step, 8 accumulators.
 */
function wgGemm(u: usize, v: usize, m: usize, tiles: i32, inC: i32, oc8: i32): void {
  const pairs = inC >> 1;
  const tileV = <usize>inC << 5, tileM = <usize>oc8 << 6; // 16 positions each
  const rowV = <usize>inC << 1, rowM = <usize>oc8 << 2;
  const blockU = <usize>pairs << 5;
  for (let xi = 0; xi < 16; xi++) {
    const ux = u + <usize>xi * <usize>oc8 * rowV; // oc8 * inC * 2 bytes per position
    for (let t = 0; t < tiles; t += 4) {
      const v0 = v + <usize>t * tileV + <usize>xi * rowV, v1 = v0 + tileV, v2 = v1 + tileV, v3 = v2 + tileV;
      const m0 = m + <usize>t * tileM + <usize>xi * rowM;
      let ub = ux;
      for (let o = 0; o < oc8; o += 8) {
        let a00 = i32x4.splat(0), a01 = i32x4.splat(0), a10 = i32x4.splat(0), a11 = i32x4.splat(0);
        let a20 = i32x4.splat(0), a21 = i32x4.splat(0), a30 = i32x4.splat(0), a31 = i32x4.splat(0);
        let up = ub;
        for (let k: usize = 0; k < (<usize>pairs << 2); k += 4) {
          const u0 = v128.load(up), u1 = v128.load(up, 16);
          const x0 = v128.load32_splat(v0 + k), x1 = v128.load32_splat(v1 + k);
          a00 = i32x4.add(a00, i32x4.dot_i16x8_s(x0, u0));
          a01 = i32x4.add(a01, i32x4.dot_i16x8_s(x0, u1));
          a10 = i32x4.add(a10, i32x4.dot_i16x8_s(x1, u0));
          a11 = i32x4.add(a11, i32x4.dot_i16x8_s(x1, u1));
          const x2 = v128.load32_splat(v2 + k), x3 = v128.load32_splat(v3 + k);
          a20 = i32x4.add(a20, i32x4.dot_i16x8_s(x2, u0));
          a21 = i32x4.add(a21, i32x4.dot_i16x8_s(x2, u1));
          a30 = i32x4.add(a30, i32x4.dot_i16x8_s(x3, u0));
          a31 = i32x4.add(a31, i32x4.dot_i16x8_s(x3, u1));
          up += 32;
        }
        const mo = m0 + (<usize>o << 2);
        v128.store(mo, a00); v128.store(mo, a01, 16);
        v128.store(mo + tileM, a10); v128.store(mo + tileM, a11, 16);
        v128.store(mo + 2 * tileM, a20); v128.store(mo + 2 * tileM, a21, 16);
        v128.store(mo + 3 * tileM, a30); v128.store(mo + 3 * tileM, a31, 16);
        ub += blockU;
      }
    }
  }
}

// --- the output transform and epilogue --------------------------------------------------------

// Column pass of A^T M A for one quad: the sums of M rows 0..2 and rows 1 - 2 - 3 at column j.
// @ts-ignore: decorator
@inline function mAt(m: usize, xi: i32, rowM: usize): v128 { return v128.load(m + <usize>xi * rowM); }

/**
 * The tile's up to 4 outputs of every channel from its sums M (m: its [16][oc8] block): Y >> 2
 * plus the bias, then the GEMM's epilogue. (oy, ox): the tile's top-left output pixel.
 */
// @ts-ignore: decorator
@inline function outputTile(
  m: usize, oc8: i32, outC: i32, bias: usize, rq: usize, rqf: usize, fits: bool, near: bool,
  y00: usize, yStride: usize, rowStride: usize, twoCols: bool, twoRows: bool,
  outOff: v128, lo: v128, hi: v128, magic: v128, fBias: v128, fOutside: v128,
): void {
  const rowM = <usize>oc8 << 2;
  for (let o = 0; o < outC; o += 4) {
    const mq = m + (<usize>o << 2);
    // B = A^T M: row 0 = M0 + M1 + M2, row 1 = M1 - M2 - M3 (rows of 4 positions)
    const m4 = mAt(mq, 4, rowM), m5 = mAt(mq, 5, rowM), m6 = mAt(mq, 6, rowM), m7 = mAt(mq, 7, rowM);
    const m8 = mAt(mq, 8, rowM), m9 = mAt(mq, 9, rowM), m10 = mAt(mq, 10, rowM), m11 = mAt(mq, 11, rowM);
    const p0 = i32x4.add(m4, m8), p1 = i32x4.add(m5, m9), p2 = i32x4.add(m6, m10), p3 = i32x4.add(m7, m11);
    const q0 = i32x4.sub(m4, m8), q1 = i32x4.sub(m5, m9), q2 = i32x4.sub(m6, m10), q3 = i32x4.sub(m7, m11);
    const b00 = i32x4.add(mAt(mq, 0, rowM), p0), b01 = i32x4.add(mAt(mq, 1, rowM), p1);
    const b02 = i32x4.add(mAt(mq, 2, rowM), p2), b03 = i32x4.add(mAt(mq, 3, rowM), p3);
    const b10 = i32x4.sub(q0, mAt(mq, 12, rowM)), b11 = i32x4.sub(q1, mAt(mq, 13, rowM));
    const b12 = i32x4.sub(q2, mAt(mq, 14, rowM)), b13 = i32x4.sub(q3, mAt(mq, 15, rowM));
    // Y = B A, / 4 (exact), + bias
    const bv = v128.load(bias + (<usize>o << 2));
    const s12a = i32x4.add(b01, b02), s12b = i32x4.add(b11, b12);
    const y0 = i32x4.add(i32x4.shr_s(i32x4.add(b00, s12a), 2), bv);
    const y1 = i32x4.add(i32x4.shr_s(i32x4.sub(i32x4.sub(b01, b02), b03), 2), bv);
    const y2 = i32x4.add(i32x4.shr_s(i32x4.add(b10, s12b), 2), bv);
    const y3 = i32x4.add(i32x4.shr_s(i32x4.sub(i32x4.sub(b11, b12), b13), 2), bv);
    requantStore2(y0, y1, o, outC, rq, rqf, y00, y00 + yStride, twoCols, fits, near, outOff, lo, hi, magic, fBias, fOutside);
    if (twoRows) requantStore2(y2, y3, o, outC, rq, rqf, y00 + rowStride, y00 + rowStride + yStride, twoCols, fits, near, outOff, lo, hi, magic, fBias, fOutside);
  }
}

/**
 * conv_s8 (conv.ts: same contract) of a 3x3 stride-1 conv (wgEligible) by Winograd F(2x2, 3x3):
 * u the op's transformed filter (wgTransformFilter), scratch wgScratchBytes(inC, outC, outW)
 * bytes (16-byte aligned). `over`: the output may lie over the input (docs/FORMAT.md "Output
 * over input 0", yStride = outC): each row of tiles is then written to the scratch and copied
 * out when the row is done, which the plan's rule makes safe (the rows it ends at lie above
 * every input row the next row of tiles reads); a chunk's own stores would not be.
 */
export function conv3x3_wg_simd(
  x: usize, inH: i32, inW: i32, inC: i32, u: usize,
  bias: usize, rq: usize,
  y: usize, batches: i32, outH: i32, outW: i32, outC: i32,
  p: ConvParams, yStride: i32, scratch: usize, over: bool,
): void {
  const oc8 = wgOc8(outC);
  const v = scratch, m = scratch + <usize>WG_TILES * (<usize>inC << 5);
  const tileV = <usize>inC << 5, tileM = <usize>oc8 << 6;
  const rowBuf = m + <usize>WG_TILES * tileM;
  const padTop = p.padTop, padLeft = p.padLeft;
  const zpv = i16x8.splat(<i16>(<i8>(-p.inputOffset)));
  const outOff = i32x4.splat(p.outputOffset), lo = splat8(p.actMin), hi = splat8(p.actMax);
  const rqf = rqfPrepare(rq, (outC + 3) >> 2);
  const magic = rqfMagic(p.outputOffset), fBias = i32x4.splat(rqfBias), fOutside = i32x4.splat(~(rqfBias * 2 - 1));
  const fits = rqfAccFits, near = rqfNearest;
  const tilesH = (outH + 1) >> 1, tilesW = (outW + 1) >> 1;
  const pxStride = <usize>yStride, rowStride = <usize>outW * pxStride;
  const imageBytes = <usize>inH * <usize>inW * <usize>inC;
  for (let b = 0; b < batches; b++) {
    const xb = x + <usize>b * imageBytes;
    const yb = y + <usize>b * <usize>outH * rowStride;
    for (let ty = 0; ty < tilesH; ty++) {
      const iy0 = 2 * ty - padTop;
      const rowsIn = iy0 >= 0 && iy0 + 4 <= inH;
      const twoRows = 2 * ty + 1 < outH;
      const rowOut = yb + <usize>(2 * ty) * rowStride, dst = over ? rowBuf : rowOut;
      for (let tx0 = 0; tx0 < tilesW; tx0 += WG_TILES) {
        const tiles = min(WG_TILES, tilesW - tx0);
        for (let t = 0; t < tiles; t++) {
          const ix0 = 2 * (tx0 + t) - padLeft;
          const vt = v + <usize>t * tileV;
          if (rowsIn && ix0 >= 0 && ix0 + 4 <= inW) inputTile(xb, inH, inW, inC, iy0, ix0, zpv, vt, true);
          else inputTile(xb, inH, inW, inC, iy0, ix0, zpv, vt, false);
        }
        wgGemm(u, v, m, tiles, inC, oc8);
        for (let t = 0; t < tiles; t++) {
          const ox = 2 * (tx0 + t);
          const y00 = dst + <usize>ox * pxStride;
          outputTile(m + <usize>t * tileM, oc8, outC, bias, rq, rqf, fits, near, y00, pxStride, rowStride, ox + 1 < outW, twoRows,
            outOff, lo, hi, magic, fBias, fOutside);
        }
      }
      if (over) memory.copy(rowOut, rowBuf, twoRows ? rowStride << 1 : rowStride);
    }
  }
}
