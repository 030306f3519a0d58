// Winograd filters of the SIMD build (kernels/winograd-simd.ts): ep_load transforms the filter
// of every blocked 3x3 stride-1 conv over constant weights (wgEligible) into memory grown past
// the scratch, 32 bytes per input channel and output channel rounded up to 8 (3.6 times the
// int8 filter), with a table of one address per tensor and one scratch for the widest such op.
// The host may turn it off before a load with ep_set_winograd(0). Nothing of it is needed: when
// the memory cannot grow (or the host's grant is smaller) the ops keep the blocked GEMM, and
// the high-water mark (memory-limit.ts), which states what the model needs, leaves it out.
// The full scalar build does the same for a host that asked for widened weights (a 64-bit JIT
// host: kernels/winograd-wide.ts, its own filter layout), before widening the other weights;
// the streamed, WASI and firmware builds compile none of it (WINOGRAD false).

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import * as K from './kernel-table';
import { kernelOf } from './dispatch';
import { growWithinGrant } from './memory-limit';
import { ConvParams } from './kernels/conv';
import { wgEligible, wgFilterBytes, wgScratchBytes, wgTransformFilter } from './kernels/winograd-simd';
import { wgWideFilterBytes, wgWideScratchBytes, wgWideTransformFilter } from './kernels/winograd-wide';
import { WIDE_GEMM, wanted as wideWanted } from './wide-table';

/**
 * The SIMD build (not a model-specific one), and the full scalar build, where only a host that
 * asked for widened weights (a 64-bit JIT host, ep_set_wide_gemm) gets it (winograd-wide.ts).
 */
// @ts-ignore: EP_KERNELS exists only when given with --use
export const WINOGRAD: bool = ASC_FEATURE_SIMD ? K.HAS_CONV_BLOCKED && !isDefined(EP_KERNELS) : WIDE_GEMM;

let wanted = true;
/** One u32 per tensor: its transformed filter, or 0; 0 when nothing was transformed. */
let table: usize = 0;
/** The scratch of the widest op (V and M of winograd-simd.ts). */
export let wgScratch: usize = 0;

/** Host: transform 3x3 filters at the next loads (on != 0, the default; the scalar build also needs ep_set_wide_gemm(1)) or not. Returns 1 when this build can. */
export function ep_set_winograd(on: i32): i32 {
  wanted = on != 0;
  return WINOGRAD ? 1 : 0;
}

/** The transformed filter of weight tensor w, or 0 (the blocked GEMM then runs). */
// @ts-ignore: decorator
@inline export function winogradOf(w: u32): usize {
  return table == 0 ? 0 : <usize>load<u32>(table + (<usize>w << 2));
}

/** Whether op r, a blocked conv, runs Winograd (its filter transformed, its geometry eligible, its output apart from its input). */
export function runsWinograd(r: usize): bool {
  if (!WINOGRAD || table == 0 || kernelOf(r) != K.K_CONV_BLOCKED) return false;
  return winogradOf(O.input(r, 1)) != 0 && fits(r);
}

/**
 * True when tensors x and y share no byte. The memory plan may lay a conv's output over its
 * input (docs/FORMAT.md "Output over input 0"), safe for kernels that store at most two pixels
 * ahead of what they read; the Winograd kernels store two rows of a chunk of tiles at once, so
 * for such an op they write each row of tiles to their scratch first (kernels/winograd-simd.ts).
 */
// @ts-ignore: decorator
@inline export function apart(x: u32, y: u32): bool {
  const xp = <u64>M.dataOf(x), yp = <u64>M.dataOf(y);
  return yp + <u64>M.byteCount(y) <= xp || xp + <u64>M.byteCount(x) <= yp;
}

/** Ops of the loaded model that run Winograd (tests, the bench). */
export function ep_winograd_op_count(): u32 {
  if (!M.loaded) return 0;
  let n: u32 = 0, r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++, r = O.next(r)) if (runsWinograd(r)) n++;
  return n;
}

// The geometry of blocked conv r (inputs x, w [oc4, K8], bias, requant table; params kh, kw at 11, 12).
function fits(r: usize): bool {
  const x = O.input(r, 0), w = O.input(r, 1), y = O.output(r, 0);
  if (M.rank(x) != 4 || M.rank(y) != 4 || M.rank(w) != 2) return false;
  const inC = M.dim(x, 3), outC = M.dim(y, 3), oc4 = M.dim(w, 0), k8 = M.dim(w, 1);
  if (oc4 != ((outC + 3) & ~3) || <u64>oc4 * <u64>k8 != <u64>M.byteCount(w)) return false;
  return wgEligible(inC, O.param(r, 11), O.param(r, 12), k8, outC, changetype<ConvParams>(O.params(r)));
}

// The weight tensor of op r when it is worth transforming, else NO_TENSOR. Only constants: a
// filter in the arena changes after load, and its transformed copy would not.
function candidate(r: usize): u32 {
  if (kernelOf(r) != K.K_CONV_BLOCKED) return F.NO_TENSOR;
  const w = O.input(r, 1);
  if (M.kind(w) != F.KIND_CONST || M.dtype(w) != F.DT_INT8 || !fits(r)) return F.NO_TENSOR;
  return w;
}

// @ts-ignore: decorator
@inline function align16(n: u64): u64 { return (n + 15) & ~15; }

/**
 * After a load: transforms the eligible filters into [end, ...), growing memory; keeps the
 * blocked GEMM (table 0) when it cannot. `end`: the first byte past what the load placed.
 */
export function prepareWinograd(end: usize): usize {
  table = 0; wgScratch = 0;
  if (!WINOGRAD || !wanted || (!ASC_FEATURE_SIMD && !wideWanted)) return end;
  let need: u64 = align16(<u64>M.tensorCount * 4), scratch: u64 = 0;
  let r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++, r = O.next(r)) {
    const w = candidate(r);
    if (w == F.NO_TENSOR) continue;
    const inC = M.dim(O.input(r, 0), 3), outC = M.dim(O.output(r, 0), 3);
    need += filterBytes(inC, outC); // a multiple of 16; a shared tensor counted twice at most wastes bytes
    const outW = M.dim(O.output(r, 0), 2);
    const s = ASC_FEATURE_SIMD ? wgScratchBytes(inC, outC, outW) : wgWideScratchBytes(inC, outC, outW);
    if (s > scratch) scratch = s;
  }
  if (scratch == 0) return end;
  need += scratch;
  const start = align16(<u64>end);
  if (!growWithinGrant(start + need)) return end;
  const t = <usize>start;
  memory.fill(t, 0, <usize>M.tensorCount * 4);
  let at = t + <usize>align16(<u64>M.tensorCount * 4);
  r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++, r = O.next(r)) {
    const w = candidate(r);
    if (w == F.NO_TENSOR || load<u32>(t + (<usize>w << 2)) != 0) continue;
    const inC = M.dim(O.input(r, 0), 3), outC = M.dim(O.output(r, 0), 3);
    if (ASC_FEATURE_SIMD) wgTransformFilter(M.dataOf(w), inC, outC, at);
    else wgWideTransformFilter(M.dataOf(w), inC, outC, at);
    store<u32>(t + (<usize>w << 2), <u32>at);
    at += <usize>filterBytes(inC, outC);
  }
  table = t;
  wgScratch = at;
  return at + <usize>scratch;
}

// Bytes of one transformed filter in this build (a multiple of 16).
function filterBytes(inC: i32, outC: i32): u64 {
  return ASC_FEATURE_SIMD ? wgFilterBytes(inC, outC) : wgWideFilterBytes(inC, outC);
}
