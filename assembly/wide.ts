// Widened GEMM weights for the scalar build on a 64-bit JIT host (kernels/gemm-wide.ts).
// The host asks for them with ep_set_wide_gemm(1) before ep_load (the Node and browser
// loader does for the scalar build; firmware and WASI hosts never do). ep_load then widens the
// weights of every conv, and of every fully connected op over two input rows or more, of the
// blocked layout (K_CONV_BLOCKED, K_FC_BLOCKED) into memory grown past the scratch: 8 bytes per
// weight byte (one f64 each), a table of one address per tensor, and room for a packed pixel
// pair. Nothing of it is needed: when the memory cannot grow (or the host's grant is smaller)
// the ops keep the blocked kernels, and the high-water mark (memory-limit.ts), which states
// what the model needs, leaves it out.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import * as K from './kernel-table';
import { kernelOf } from './dispatch';
import { withinGrant } from './memory-limit';
import { WIDE_MAX_K8, wideBytes, widenWeights } from './kernels/gemm-wide';
import { WIDE_GEMM, setWide, wanted, wantWide, wideTable } from './wide-table';

/** Host: widen GEMM weights at the next loads (on != 0) or not. Returns 1 when this build can. */
export function ep_set_wide_gemm(on: i32): i32 {
  wantWide(WIDE_GEMM && on != 0);
  return WIDE_GEMM ? 1 : 0;
}

/** Tensors widened by the last load (for tests and the bench). */
export function ep_wide_tensor_count(): u32 {
  const table = wideTable();
  if (table == 0) return 0;
  let n: u32 = 0;
  for (let t: u32 = 0; t < M.tensorCount; t++) if (load<u32>(table + (<usize>t << 2)) != 0) n++;
  return n;
}

// The weight tensor of op r when it runs a blocked GEMM worth widening, else NO_TENSOR.
function wideCandidate(r: usize): u32 {
  const v = kernelOf(r);
  if (v != K.K_CONV_BLOCKED && v != K.K_FC_BLOCKED) return F.NO_TENSOR;
  // an FC over one input row reads each weight once: 8 bytes instead of 1 made it 1.5x slower
  if (v == K.K_FC_BLOCKED && <i64>M.elements(O.input(r, 0)) < 2 * <i64>O.param(r, 5)) return F.NO_TENSOR;
  const w = O.input(r, 1);
  const k8 = M.dim(w, 1), oc4 = M.dim(w, 0);
  if (k8 <= 0 || k8 > WIDE_MAX_K8 || (k8 & 7) != 0 || oc4 <= 0 || (oc4 & 3) != 0) return F.NO_TENSOR;
  if (<u64>oc4 * <u64>k8 != <u64>M.byteCount(w)) return F.NO_TENSOR;
  return w;
}

// @ts-ignore: decorator
@inline function align16(n: u64): u64 { return (n + 15) & ~15; }

/**
 * After a load: widens what the host asked for into [end, ...), growing memory; keeps the
 * blocked kernels (table 0) when it cannot. `end`: the first byte past the model's scratch.
 */
export function prepareWide(end: usize): void {
  setWide(0, 0);
  if (!WIDE_GEMM || !wanted) return;
  // sizes first: table, row, then each weight tensor once
  let need: u64 = align16(<u64>M.tensorCount * 4);
  let maxK8: i32 = 0;
  let r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++, r = O.next(r)) {
    const w = wideCandidate(r);
    if (w == F.NO_TENSOR) continue;
    maxK8 = max(maxK8, M.dim(w, 1));
    need += wideBytes(M.dim(w, 0), M.dim(w, 1)); // a multiple of 16; a shared tensor counted twice at most wastes bytes
  }
  if (maxK8 == 0) return;
  need += <u64>maxK8 * 8 + 128; // a packed pixel pair, 16 i32 and 8 f64 sums
  const start = align16(<u64>end);
  if (!grow(start + need)) return;
  const t = <usize>start;
  memory.fill(t, 0, <usize>M.tensorCount * 4);
  let at = t + <usize>align16(<u64>M.tensorCount * 4);
  r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++, r = O.next(r)) {
    const w = wideCandidate(r);
    if (w == F.NO_TENSOR || load<u32>(t + (<usize>w << 2)) != 0) continue;
    widenWeights(M.dataOf(w), M.dim(w, 0), M.dim(w, 1), at);
    store<u32>(t + (<usize>w << 2), <u32>at);
    at += <usize>wideBytes(M.dim(w, 0), M.dim(w, 1)); // below 4 GiB: grow() took them all
  }
  setWide(t, at);
}

function grow(end: u64): bool {
  if (!withinGrant(end)) return false;
  const have = <u64>memory.size() << 16;
  if (end <= have) return true;
  return memory.grow(<i32>((end - have + 0xffff) >> 16)) >= 0;
}
