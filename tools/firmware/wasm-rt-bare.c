/* Bare-metal replacement for wabt's wasm-rt-impl.c: no <sys/mman.h>, no malloc, no signals.
 * Linear memory is one static buffer of exactly EP_MEMORY_BYTES: the bytes the model needs
 * (statics + metadata + arena + scratch + stage, measured by loading it in Node), not whole
 * 64 KiB pages. Two views of its size stay coherent:
 *   memory->pages = ceil(backed / 65536)   what memory.size returns and memory.grow counts
 *   memory->size  = backed bytes, exactly   what every bounds check compares against
 * so an access past the backed bytes traps (OOB) even inside the last page, never corrupts.
 * memory.grow succeeds while the new page count does not exceed ceil(EP_MEMORY_BYTES /
 * 65536); the runtime learns the exact grant from ep_set_memory_limit (host.c) and fails
 * a load with E_OUT_OF_MEMORY rather than touching bytes past it. Every load/store is
 * bounds-checked by the generated code (WASM_RT_MEMCHECK_SIGNAL_HANDLER=0); a trap calls
 * fw_trap(). The checks are in 32 bits (tools/firmware/build.ts tuneMemoryAccess):
 * base > size - (offset + width), exact while size >= EP_ACCESS_END (the furthest offset
 * + 8 in the module), which memory allocation makes sure of; memory never shrinks. */

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "wasm-rt.h"
#include "platform.h"
#include "edgepack-access.h" /* EP_ACCESS_END, written with the translated runtime */

#ifndef EP_MEMORY_BYTES
#error "define EP_MEMORY_BYTES: the bytes of RAM reserved for wasm linear memory"
#endif
#define PAGE_BYTES 65536u
#if EP_MEMORY_BYTES <= 0
#error "EP_MEMORY_BYTES must be positive"
#endif
#define MAX_PAGES ((EP_MEMORY_BYTES + PAGE_BYTES - 1) / PAGE_BYTES)
#if EP_MEMORY_BYTES < EP_ACCESS_END
#error "EP_MEMORY_BYTES is below the furthest constant offset of an access (EP_ACCESS_END)"
#endif

/* The one linear memory: 16-aligned so the runtime's 16-aligned buffers stay aligned. */
static uint8_t linear_memory[EP_MEMORY_BYTES] __attribute__((aligned(16)));
static int memory_taken;

#if WASM_RT_USE_STACK_DEPTH_COUNT
uint32_t wasm_rt_call_stack_depth;
#endif

static int initialized;
void wasm_rt_init(void) { initialized = 1; }
bool wasm_rt_is_initialized(void) { return initialized; }
void wasm_rt_free(void) { initialized = 0; }

void wasm_rt_trap(wasm_rt_trap_t code) { fw_trap((int)code); }

const char* wasm_rt_strerror(wasm_rt_trap_t trap) {
  switch (trap) {
    case WASM_RT_TRAP_NONE: return "no error";
    case WASM_RT_TRAP_OOB: return "out-of-bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT: return "invalid call_indirect";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
    default: return "trap";
  }
}

/* Function types: the runtime uses no call_indirect across modules, so a type's identity
 * only has to be stable within this image. A signature is kept as one 64-bit key, 3 bits
 * per value type (type + 1, so 0 ends the list), up to 20 params + results, and the result
 * count in the top 4 bits: 8 B per type instead of a table of whole signatures, since .bss
 * of the host is RAM too. The table holds exactly the types the translated module
 * registers (EP_FUNC_TYPES, edgepack-access.h, written by tools/firmware/build.ts). */
#define MAX_FUNC_TYPES EP_FUNC_TYPES
#define MAX_SIG_VALUES 20
static uint64_t func_types[MAX_FUNC_TYPES];
static uint32_t func_type_count;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  if (params + results > MAX_SIG_VALUES || results > 15) fw_trap(WASM_RT_TRAP_CALL_INDIRECT);
  uint64_t key = (uint64_t)results << 60;
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < params + results; i++) {
    uint64_t v = (uint64_t)(wasm_rt_type_t)va_arg(ap, int);
    key |= (v + 1) << (3 * i);
  }
  va_end(ap);
  for (uint32_t i = 0; i < func_type_count; i++) {
    if (func_types[i] == key) return i + 1;
  }
  if (func_type_count == MAX_FUNC_TYPES) fw_trap(WASM_RT_TRAP_CALL_INDIRECT);
  func_types[func_type_count] = key;
  return ++func_type_count;
}

/* Bytes backed for a memory of `pages` pages: all of them, except in the last page. */
static uint32_t backed_bytes(uint64_t pages) {
  uint64_t bytes = pages * PAGE_BYTES;
  return (uint32_t)(bytes < EP_MEMORY_BYTES ? bytes : EP_MEMORY_BYTES);
}

void wasm_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  /* the module declares 1 initial page; a model may need less than a page in all */
  if (memory_taken || initial_pages > MAX_PAGES) fw_trap(WASM_RT_TRAP_OOB);
  memory_taken = 1;
  memory->data = linear_memory;
  memory->pages = initial_pages;
  memory->max_pages = max_pages;
  memory->size = backed_bytes(initial_pages);
  /* the 32-bit bounds checks are exact only above this size (it never shrinks) */
  if (memory->size < EP_ACCESS_END) fw_trap(WASM_RT_TRAP_OOB);
  memset(linear_memory, 0, memory->size);
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t delta) {
  uint32_t old = memory->pages;
  uint64_t pages = (uint64_t)old + delta;
  if (pages > memory->max_pages || pages > MAX_PAGES) return UINT32_MAX;
  uint32_t size = backed_bytes(pages);
  memset(linear_memory + memory->size, 0, size - memory->size);
  memory->pages = (uint32_t)pages;
  memory->size = size;
  return old;
}

/* data and size stay: the buffer is static, and a size below EP_ACCESS_END would wrap the
 * 32-bit checks of any access after this (there should be none). */
void wasm_rt_free_memory(wasm_rt_memory_t* memory) {
  (void)memory;
  memory_taken = 0;
}
