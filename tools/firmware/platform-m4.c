/* platform.h for QEMU mps2-an386 (Cortex-M4F): output and exit through ARM semihosting,
 * instructions counted with SysTick. Under `qemu -icount shift=3` one instruction takes
 * 8 ns of virtual time and SysTick runs on the 25 MHz processor clock (40 ns), so
 * instructions = ticks * 5, +-5 (the method TFLM's figures in summary.json used). */
#include <stdint.h>
#include "platform.h"

#define SYST_CSR (*(volatile uint32_t*)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t*)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t*)0xE000E018u)
#define SYST_RELOAD 0x00FFFFFFu /* 24-bit counter: wraps every 16.7 M ticks (84 M instructions) */
#define INSTRUCTIONS_PER_TICK 5u

#define SYS_WRITE0 0x04
#define SYS_EXIT 0x18
#define ADP_STOPPED_APPLICATION_EXIT 0x20026
#define ADP_STOPPED_RUNTIME_ERROR 0x20023

static int semihost(int op, const void* arg) {
  register int r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void fw_print(const char* text) { semihost(SYS_WRITE0, text); }

void fw_exit(int status) {
  semihost(SYS_EXIT, (const void*)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR));
  for (;;) {}
}

void fw_trap(int code) {
  static char msg[] = "wasm trap ?\n";
  msg[10] = (char)('0' + (code % 10));
  fw_print(msg);
  fw_exit(3);
}

#define ICSR (*(volatile uint32_t*)0xE000ED04u)
#define ICSR_PENDSTSET (1u << 26)

/* SysTick runs free from the first fw_count_start on and is never written again; a wrap
 * (every 2^24 ticks) is counted by the interrupt. A count is the difference of two reads
 * of the 64-bit tick time, each taken with interrupts masked: if a wrap is pending but not
 * yet counted, it is added and VAL re-read after it. */
static volatile uint32_t wraps;
void SysTick_Handler(void) { wraps++; }

static uint64_t ticks_now(void) {
  __asm__ volatile("cpsid i" ::: "memory");
  uint32_t v = SYST_CVR;
  uint32_t w = wraps;
  if (ICSR & ICSR_PENDSTSET) {
    v = SYST_CVR;
    w++;
  }
  __asm__ volatile("cpsie i" ::: "memory");
  return (uint64_t)w * (SYST_RELOAD + 1u) + (SYST_RELOAD - v);
}

static void systick_start_once(void) {
  static int running;
  if (running) return;
  running = 1;
  SYST_CSR = 0;
  SYST_RVR = SYST_RELOAD;
  SYST_CVR = 0;
  SYST_CSR = 7; /* processor clock, interrupt on wrap, enable */
  while (SYST_CVR == 0) {} /* wait for the first reload */
}

static uint64_t start_ticks;
void fw_count_start(void) {
  systick_start_once();
  start_ticks = ticks_now();
}

uint64_t fw_count_stop(void) {
  return (ticks_now() - start_ticks) * INSTRUCTIONS_PER_TICK;
}

uint64_t fw_calibrate(uint32_t iterations) {
  fw_count_start();
  __asm__ volatile(
    "1: subs %0, %0, #1\n"
    "   bne 1b\n"
    : "+r"(iterations) :: "cc");
  return fw_count_stop();
}

extern uint32_t _stack_bottom, _stack_top;
#define STACK_PAINT 0x5AC3A55Au
uint32_t fw_stack_peak(void) {
  const uint32_t* p = &_stack_bottom;
  while (p < &_stack_top && *p == STACK_PAINT) p++;
  return (uint32_t)((const uint8_t*)&_stack_top - (const uint8_t*)p);
}
