// The host's grant of linear memory, and the high-water mark of what the runtime asked for.
// A firmware backs exactly the bytes a model needs, not whole 64 KiB pages
// (tools/firmware/wasm-rt-bare.c): memory.size still counts pages, so the runtime cannot
// see the grant there. The host states it with ep_set_memory_limit(bytes) before loading;
// every ensureMemory (index.ts, streamed.ts) refuses an end beyond it with E_OUT_OF_MEMORY
// instead of trapping on the first access past the backed bytes. The high-water mark is
// the largest end any load asked for: the exact bytes a host must grant for this model.

// 0xffff0000: the largest end a 32-bit memory of whole pages can hold (65535 pages).
const NO_LIMIT: u64 = 0xffff0000;
let limit: u64 = NO_LIMIT;
let highWater: u64 = 0;

/** Host: the bytes of linear memory it backs (0: no limit but the address space). */
export function ep_set_memory_limit(bytes: u32): void {
  limit = bytes == 0 ? NO_LIMIT : min<u64>(<u64>bytes, NO_LIMIT);
}

/** The largest end of linear memory any load asked for (statics included). */
export function ep_memory_high_water(): u32 {
  return <u32>highWater;
}

/** True when [0, end) lies inside the host's grant; records the high-water mark. */
export function withinLimit(end: u64): bool {
  if (end > limit) return false;
  if (end > highWater) highWater = end;
  return true;
}

/** True when [0, end) lies inside the host's grant, without raising the high-water mark: for
 * what a load may add beyond the model's needs and drop when refused (wide.ts). */
export function withinGrant(end: u64): bool {
  return end <= limit;
}

/**
 * Grows linear memory so that [0, end) is addressable, within the grant and without raising the
 * high-water mark: for caches a load may add and drop when refused (wide.ts, winograd.ts).
 */
export function growWithinGrant(end: u64): bool {
  if (!withinGrant(end)) return false;
  const have = <u64>memory.size() << 16;
  if (end <= have) return true;
  return memory.grow(<i32>((end - have + 0xffff) >> 16)) >= 0;
}
