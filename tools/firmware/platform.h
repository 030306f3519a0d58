/* What the firmware host needs from the board it runs on: text output, exit, a trap
 * handler, and an instruction counter around one inference. Two implementations:
 * platform-native.c (Linux, stdio) and platform-m4.c (QEMU mps2-an386: semihosting, SysTick). */
#ifndef EP_PLATFORM_H
#define EP_PLATFORM_H
#include <stdint.h>

void fw_print(const char* text);
__attribute__((noreturn)) void fw_exit(int status);
__attribute__((noreturn)) void fw_trap(int code);

/* Instructions retired between fw_count_start() and fw_count_stop(); 0 where not measured. */
void fw_count_start(void);
uint64_t fw_count_stop(void);

/* Instructions counted around a loop of 2 * iterations instructions (subs; bne): checks the
 * counter itself. 0 where not measured. */
uint64_t fw_calibrate(uint32_t iterations);

/* Peak bytes of C stack used so far (stack painting); 0 where not measured. */
uint32_t fw_stack_peak(void);
#endif
