/* platform.h for a Linux host: stdio output, process exit, no instruction counter. */
#include <stdio.h>
#include <stdlib.h>
#include "platform.h"

void fw_print(const char* text) { fputs(text, stdout); }
void fw_exit(int status) { fflush(stdout); exit(status); }
void fw_trap(int code) {
  fflush(stdout);
  fprintf(stderr, "wasm trap %d\n", code);
  exit(3);
}
void fw_count_start(void) {}
uint64_t fw_count_stop(void) { return 0; }
uint32_t fw_stack_peak(void) { return 0; }
uint64_t fw_calibrate(uint32_t iterations) { (void)iterations; return 0; }
