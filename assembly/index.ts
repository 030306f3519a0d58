// The runtime's ABI (docs/ABI.md): plain exported functions over linear memory.
// Life cycle: ep_model_buffer(len) -> host copies the .epk there -> ep_load(ptr, len)
// -> write inputs at ep_input_ptr(i) -> ep_invoke() -> read ep_output_ptr(i).
// Memory grows only inside ep_model_buffer/ep_load; ep_invoke never grows it.

import * as F from './format';
import * as M from './model';
import * as msg from './message';
import * as O from './ops';
import { validateOps } from './ops';
import { kernelOf } from './dispatch';
import { KERNEL_VARIANT_COUNT } from './kernel-table';
import { invoke, invokeOp } from './interpreter';
import { withinLimit } from './memory-limit';
import { checkRequantConstants } from './const-check';
import { accFitsOf, markAccFits } from './acc-bound';

export { ep_set_memory_limit, ep_memory_high_water } from './memory-limit';
export { ep_set_wide_gemm, ep_wide_tensor_count } from './wide';
import { prepareWide } from './wide';
import { WIDE_GEMM, WIDE_GEMM16 } from './wide-table';
export { ep_set_winograd, ep_winograd_op_count } from './winograd';
import { WINOGRAD, prepareWinograd } from './winograd';

const ALIGN: usize = 16;

// @ts-ignore: decorator
@inline function alignUp(n: usize): usize {
  return (n + ALIGN - 1) & ~(ALIGN - 1);
}

/** Grows linear memory so that [0, end) is addressable; false if the host refuses. */
function ensureMemory(end: u64): bool {
  if (!withinLimit(end)) return false; // the host's grant (memory-limit.ts)
  const have = <u64>memory.size() << 16;
  if (end <= have) return true;
  const pages = <i32>((end - have + 0xffff) >> 16);
  return memory.grow(pages) >= 0;
}

/** Reserves a 16-aligned buffer for a model of `len` bytes; returns its address, or 0. */
export function ep_model_buffer(len: u32): usize {
  const ptr = alignUp(__heap_base);
  if (!ensureMemory(<u64>ptr + <u64>len)) {
    M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory to hold the model');
    return 0;
  }
  return ptr;
}

/** Validates the .epk at [ptr, ptr+len) and places the arena after it. Returns an error code. */
export function ep_load(ptr: usize, len: u32): i32 {
  msg.clear();
  if (<u64>ptr + <u64>len > (<u64>memory.size() << 16)) return M.fail(F.E_TRUNCATED, 'model buffer lies outside memory');
  if (ptr & (ALIGN - 1)) return M.fail(F.E_BAD_SECTION, 'model buffer must be 16-byte aligned');
  let err = M.loadSections(ptr, len);
  if (err == F.E_OK) err = M.loadTensors();
  if (err == F.E_OK) err = M.loadIO();
  if (err == F.E_OK) err = validateOps();
  if (err == F.E_OK) err = checkRequantConstants();
  if (err != F.E_OK) return err;
  const arena = alignUp(max<usize>(__heap_base, ptr + len));
  if (!ensureMemory(<u64>arena + <u64>M.arenaBytes + <u64>M.scratchBytes)) {
    return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory to hold the arena');
  }
  memory.fill(arena, 0, <usize>M.arenaBytes);
  M.markLoaded(arena);
  M.resetVariables();
  if (ASC_FEATURE_SIMD) markAccFits();
  // Winograd filters first: the scalar build widens the other weights after them
  let end = arena + <usize>M.arenaBytes + <usize>M.scratchBytes;
  if (WINOGRAD) end = prepareWinograd(end);
  if (WIDE_GEMM || WIDE_GEMM16) prepareWide(end);
  return F.E_OK;
}

/** 1 when op i's accumulators were proven inside the SIMD requantization's range at load (acc-bound.ts; tests, bench). */
export function ep_acc_fits(i: u32): i32 {
  return accFitsOf(i) ? 1 : 0;
}

export function ep_invoke(): i32 {
  return invoke();
}

/** Sets every variable tensor (state kept across invokes) back to its value at load. */
export function ep_reset(): i32 {
  if (!M.loaded) return M.fail(F.E_NOT_LOADED, 'no model loaded');
  M.resetVariables();
  return F.E_OK;
}

/** Profiling: the number of ops, and running op i alone (after ops 0..i-1). */
export function ep_op_count(): u32 { return M.loaded ? M.opCount : 0; }
export function ep_invoke_op(i: u32): i32 { return invokeOp(i); }

/** The kernel variant (kernel-table.ts) op i runs: the same classification as validateOps. */
export function ep_op_kernel(i: u32): u32 {
  if (!M.loaded || i >= M.opCount) return KERNEL_VARIANT_COUNT;
  let r = M.firstOp;
  for (let k: u32 = 0; k < i; k++) r = O.next(r);
  return kernelOf(r);
}

export function ep_input_count(): u32 { return M.loaded ? M.inputCount : 0; }
export function ep_output_count(): u32 { return M.loaded ? M.outputCount : 0; }

export function ep_input_ptr(i: u32): usize {
  return M.loaded && i < M.inputCount ? M.dataOf(M.ioTensor(i)) : 0;
}
export function ep_input_bytes(i: u32): u32 {
  return M.loaded && i < M.inputCount ? M.byteCount(M.ioTensor(i)) : 0;
}
export function ep_output_ptr(i: u32): usize {
  return M.loaded && i < M.outputCount ? M.dataOf(M.ioTensor(M.inputCount + i)) : 0;
}
export function ep_output_bytes(i: u32): u32 {
  return M.loaded && i < M.outputCount ? M.byteCount(M.ioTensor(M.inputCount + i)) : 0;
}

/** Bytes of linear memory before the model buffer: the runtime's static data. */
export function ep_statics_bytes(): usize { return alignUp(__heap_base); }
export function ep_arena_bytes(): u32 { return M.arenaBytes; }
export function ep_scratch_bytes(): u32 { return M.scratchBytes; }
export function ep_arena_ptr(): usize { return M.arenaPtr; }
export function ep_error_ptr(): usize { return msg.messagePtr(); }
export function ep_error_len(): i32 { return msg.messageLength(); }
