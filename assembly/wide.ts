// Widened GEMM weights for JIT hosts. The host asks for them with ep_set_wide_gemm(1) before
// ep_load (the Node and browser loader does; firmware and WASI hosts never do).
//
// Scalar build (kernels/gemm-wide.ts): ep_load widens the weights of every conv, and of every
// fully connected op over two input rows or more, of the blocked layout (K_CONV_BLOCKED,
// K_FC_BLOCKED) into memory grown past the scratch: 8 bytes per weight byte (one f64 each), a
// table of one address per tensor, and room for a packed pixel pair. So does every depthwise
// conv of the blocked layout (K_DWCONV_BLOCKED, kernels/dwconv-wide.ts) with at most
// WIDE_DW_MAX_TAPS taps: its weights one f64 each plus each channel's sum, and the same room
// holds its ring of packed input rows.
//
// SIMD build (kernels/gemm16-simd.ts): every blocked conv of more than WIDE16_MIN_K8 taps (fewer
// run the channels-in-lanes GEMM, gemm-lanes-simd.ts) gets its weights as int16 pairs, 2 bytes
// per weight byte, and the room is two rows of int16 taps.
//
// Nothing of it is needed: when the memory cannot grow (or the host's grant is smaller) the
// ops keep the blocked kernels, and the high-water mark (memory-limit.ts), which states what
// the model needs, leaves it out.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import * as K from './kernel-table';
import { kernelOf } from './dispatch';
import { growWithinGrant } from './memory-limit';
import { WIDE_MAX_K8, wideBytes, wideRowBytes, widenWeights } from './kernels/gemm-wide';
import { WIDE_DW_MAX_TAPS, dwRingBytes, wideDwBytes, widenDwWeights } from './kernels/dwconv-wide';
import { WIDE_GEMM, WIDE_GEMM16, setWide, wanted, wantWide, wideTable } from './wide-table';
import { wide16Bytes, wide16RowBytes, widen16Weights } from './kernels/gemm16-simd';
import { LANES_PAIRS_MAX } from './kernels/gemm-lanes-simd';
import { WINOGRAD, winogradOf } from './winograd';
import { ADD_LUT_BYTES } from './kernels/elementwise';

/** Host: widen GEMM weights at the next loads (on != 0) or not. Returns 1 when this build can. */
export function ep_set_wide_gemm(on: i32): i32 {
  wantWide((WIDE_GEMM || WIDE_GEMM16) && on != 0);
  return WIDE_GEMM || WIDE_GEMM16 ? 1 : 0;
}

/**
 * K8 at or below which the SIMD build keeps a conv's blocked weights: up to LANES_PAIRS_MAX tap
 * pairs run the channels-in-lanes GEMM (gemm-lanes-simd.ts), which re-lays them per call.
 */
const WIDE16_MIN_K8 = 2 * LANES_PAIRS_MAX;

/** Tensors widened by the last load (for tests and the bench). */
export function ep_wide_tensor_count(): u32 {
  const table = wideTable();
  if (table == 0) return 0;
  let n: u32 = 0;
  for (let t: u32 = 0; t < M.tensorCount; t++) if (load<u32>(table + (<usize>t << 2)) != 0) n++;
  return n;
}

// The weight tensor of op r when it runs a blocked GEMM or depthwise worth widening, else NO_TENSOR.
// Only constants: a filter in the arena (a depthwise's may be) changes after load, and its
// widened copy would not.
function wideCandidate(r: usize): u32 {
  const v = kernelOf(r);
  if ((v == K.K_DWCONV_BLOCKED || v == K.K_CONV_BLOCKED || v == K.K_FC_BLOCKED) && M.kind(O.input(r, 1)) != F.KIND_CONST) return F.NO_TENSOR;
  if (WIDE_GEMM16 && v != K.K_CONV_BLOCKED) return F.NO_TENSOR; // the SIMD build widens convs only
  if (v == K.K_DWCONV_BLOCKED) return dwRingOf(r) != 0 ? O.input(r, 1) : F.NO_TENSOR;
  if (v != K.K_CONV_BLOCKED && v != K.K_FC_BLOCKED) return F.NO_TENSOR;
  if (WINOGRAD && winogradOf(O.input(r, 1)) != 0) return F.NO_TENSOR; // transformed for Winograd instead (winograd.ts)
  // an FC over one input row reads each weight once: 8 bytes instead of 1 made it 1.5x slower
  if (v == K.K_FC_BLOCKED && <i64>M.elements(O.input(r, 0)) < 2 * <i64>O.param(r, 5)) return F.NO_TENSOR;
  const w = O.input(r, 1);
  const k8 = M.dim(w, 1), oc4 = M.dim(w, 0);
  if (k8 <= 0 || k8 > WIDE_MAX_K8 || (k8 & 7) != 0 || oc4 <= 0 || (oc4 & 3) != 0) return F.NO_TENSOR;
  if (<u64>oc4 * <u64>k8 != <u64>M.byteCount(w)) return F.NO_TENSOR;
  if (WIDE_GEMM16 && k8 <= WIDE16_MIN_K8) return F.NO_TENSOR;
  return w;
}

// The ring bytes of blocked depthwise op r (weights [1, kh, kw, c] over c input and output
// channels, at most WIDE_DW_MAX_TAPS taps), or 0 when it is not widened.
function dwRingOf(r: usize): u64 {
  const x = O.input(r, 0), w = O.input(r, 1), y = O.output(r, 0);
  const kh = M.dim(w, 1), kw = M.dim(w, 2), c = M.dim(x, 3);
  // rank 4 with a leading 1: never a GEMM's [oc4, K8] (oc4 a multiple of 4), so a tensor is widened one way only
  if (M.rank(w) != 4 || M.rank(x) != 4 || M.rank(y) != 4 || M.dim(w, 0) != 1 || M.dim(w, 3) != c) return 0;
  if (kh <= 0 || kw <= 0 || <i64>kh * <i64>kw > <i64>WIDE_DW_MAX_TAPS || M.dim(y, 3) != c) return 0;
  if (<u64>kh * <u64>kw * <u64>c != <u64>M.byteCount(w)) return 0;
  // params: 0 strideH, 1 strideW, 2 dilationH, 3 dilationW (ConvParams)
  return dwRingBytes(c, kh, kw, M.dim(x, 2), M.dim(y, 1), M.dim(y, 2), O.param(r, 0), O.param(r, 1), O.param(r, 2), O.param(r, 3));
}

// Bytes of op r's widened weights (its candidate tensor w).
function widenedBytes(r: usize, w: u32): u64 {
  if (WIDE_GEMM16) return wide16Bytes(M.dim(w, 0), M.dim(w, 1)); // a multiple of 16 (oc16 of them, K8 a multiple of 8)
  if (kernelOf(r) == K.K_DWCONV_BLOCKED) return align16(wideDwBytes(M.dim(w, 3), M.dim(w, 1) * M.dim(w, 2)));
  return wideBytes(M.dim(w, 0), M.dim(w, 1));
}

// Op r's widened weights of tensor w -> dst.
function widen(r: usize, w: u32, dst: usize): void {
  if (WIDE_GEMM16) widen16Weights(M.dataOf(w), M.dim(w, 0), M.dim(w, 1), dst);
  else if (kernelOf(r) == K.K_DWCONV_BLOCKED) widenDwWeights(M.dataOf(w), M.dim(w, 3), M.dim(w, 1) * M.dim(w, 2), dst);
  else widenWeights(M.dataOf(w), M.dim(w, 0), M.dim(w, 1), dst);
}

// @ts-ignore: decorator
@inline function align16(n: u64): u64 { return (n + 15) & ~15; }

/**
 * After a load: widens what the host asked for into [end, ...), growing memory; keeps the
 * blocked kernels (table 0) when it cannot. `end`: the first byte past the model's scratch.
 */
export function prepareWide(end: usize): void {
  setWide(0, 0);
  if (!(WIDE_GEMM || WIDE_GEMM16) || !wanted) return;
  // sizes first: table, row, then each weight tensor once
  let need: u64 = align16(<u64>M.tensorCount * 4);
  let rowBytes: u64 = 0;
  let r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++, r = O.next(r)) {
    const w = wideCandidate(r);
    if (w == F.NO_TENSOR) continue;
    // GEMM: a packed pixel pair, sums and requant records; depthwise: its ring of packed rows
    const row = WIDE_GEMM16 ? wide16RowBytes(M.dim(w, 1)) : kernelOf(r) == K.K_DWCONV_BLOCKED ? dwRingOf(r) : wideRowBytes(M.dim(w, 0), M.dim(w, 1));
    if (row > rowBytes) rowBytes = row;
    need += widenedBytes(r, w); // a multiple of 16; a shared tensor counted twice at most wastes bytes
  }
  if (rowBytes == 0) return;
  if (WIDE_GEMM && rowBytes < ADD_LUT_BYTES) rowBytes = ADD_LUT_BYTES; // the scalar add_s8's tables (kernels/elementwise.ts) use it too
  need += align16(rowBytes);
  const start = align16(<u64>end);
  if (!growWithinGrant(start + need)) return;
  const t = <usize>start;
  memory.fill(t, 0, <usize>M.tensorCount * 4);
  let at = t + <usize>align16(<u64>M.tensorCount * 4);
  r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++, r = O.next(r)) {
    const w = wideCandidate(r);
    if (w == F.NO_TENSOR || load<u32>(t + (<usize>w << 2)) != 0) continue;
    widen(r, w, at);
    store<u32>(t + (<usize>w << 2), <u32>at);
    at += <usize>widenedBytes(r, w); // below 4 GiB: growWithinGrant took them all
  }
  setWide(t, at);
}
