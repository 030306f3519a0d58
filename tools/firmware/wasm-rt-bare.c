/* Bare-metal replacement for wabt's wasm-rt-impl.c: no <sys/mman.h>, no malloc, no signals.
 * Linear memory is one static buffer of EP_MEMORY_BYTES (a multiple of the 64 KiB wasm page);
 * memory.grow succeeds while the new size fits in it. Every load/store is bounds-checked by
 * the generated code (WASM_RT_MEMCHECK_SIGNAL_HANDLER=0); a trap calls fw_trap(). */

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "wasm-rt.h"
#include "platform.h"

#ifndef EP_MEMORY_BYTES
#error "define EP_MEMORY_BYTES: the bytes of RAM reserved for wasm linear memory"
#endif
#define PAGE_BYTES 65536u
#if EP_MEMORY_BYTES % 65536 != 0
#error "EP_MEMORY_BYTES must be a whole number of 64 KiB pages"
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
 * only has to be stable within this image. Up to 32 distinct signatures are kept. */
#define MAX_FUNC_TYPES 32
typedef struct { uint32_t params, results; wasm_rt_type_t types[24]; } func_type_t;
static func_type_t func_types[MAX_FUNC_TYPES];
static uint32_t func_type_count;

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  func_type_t t;
  memset(&t, 0, sizeof t);
  t.params = params;
  t.results = results;
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < params + results; i++) {
    wasm_rt_type_t v = (wasm_rt_type_t)va_arg(ap, int);
    if (i < 24) t.types[i] = v;
  }
  va_end(ap);
  for (uint32_t i = 0; i < func_type_count; i++) {
    if (memcmp(&func_types[i], &t, sizeof t) == 0) return i + 1;
  }
  if (func_type_count == MAX_FUNC_TYPES) fw_trap(WASM_RT_TRAP_CALL_INDIRECT);
  func_types[func_type_count] = t;
  return ++func_type_count;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t* memory, uint32_t initial_pages, uint32_t max_pages) {
  if (memory_taken || (uint64_t)initial_pages * PAGE_BYTES > EP_MEMORY_BYTES) fw_trap(WASM_RT_TRAP_OOB);
  memory_taken = 1;
  memset(linear_memory, 0, (size_t)initial_pages * PAGE_BYTES);
  memory->data = linear_memory;
  memory->pages = initial_pages;
  memory->max_pages = max_pages;
  memory->size = initial_pages * PAGE_BYTES;
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t* memory, uint32_t delta) {
  uint32_t old = memory->pages;
  uint64_t pages = (uint64_t)old + delta;
  if (pages > memory->max_pages || pages * PAGE_BYTES > EP_MEMORY_BYTES) return UINT32_MAX;
  memset(linear_memory + memory->size, 0, (size_t)delta * PAGE_BYTES);
  memory->pages = (uint32_t)pages;
  memory->size = (uint32_t)(pages * PAGE_BYTES);
  return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t* memory) {
  memory->data = 0;
  memory->size = 0;
  memory_taken = 0;
}
