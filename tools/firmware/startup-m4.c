/* Cortex-M4F startup for mps2-an386: vector table, and a reset handler that enables the
 * FPU (CPACR CP10/CP11 full access) before any C code runs, copies .data from flash, zeroes
 * .bss, paints the stack (for fw_stack_peak), calls main and exits through semihosting. */
#include <stdint.h>
#include "platform.h"

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _stack_bottom, _stack_top;
int main(void);
void SysTick_Handler(void);
void Reset_Handler(void);

static void fault(void) {
  fw_print("hard fault\n");
  fw_exit(4);
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
  (void (*)(void))&_stack_top, Reset_Handler, fault, fault, fault, fault, fault, 0, 0, 0, 0,
  fault, fault, 0, fault, SysTick_Handler,
};

__attribute__((used, noreturn)) static void start_c(void) {
  for (uint32_t *src = &_sidata, *dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t* dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  uint32_t here;
  for (uint32_t* p = &_stack_bottom; p < &here - 16; p++) *p = 0x5AC3A55Au;
  fw_exit(main());
}

/* Naked: no compiler-generated code may touch the FPU before CPACR is set. */
__attribute__((naked, noreturn)) void Reset_Handler(void) {
  __asm__ volatile(
    "ldr r0, =0xE000ED88\n"  /* CPACR */
    "ldr r1, [r0]\n"
    "orr r1, r1, #(0xF << 20)\n"
    "str r1, [r0]\n"
    "dsb\n"
    "isb\n"
    "b start_c\n");
}
