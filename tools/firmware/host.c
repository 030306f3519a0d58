/* Firmware host for the wasm2c-translated runtime: the .epk and the test inputs are
 * const arrays in flash (model-data.S); the host loads the model through the ABI
 * (docs/ABI.md), runs every case and prints, one line each:
 *   out <case> <hex bytes of all outputs>
 *   instructions <N>     one ep_invoke on case EP_MEASURE_CASE, after a warm-up invoke
 *   memory <bytes>       wasm linear memory backed in RAM (EP_MEMORY_BYTES, exact bytes)
 *   memory_used <bytes>  the runtime's high-water mark (ep_memory_high_water): equal to memory
 *   stack <bytes>        peak C stack
 *   calibration <N>      the counter around a 100,000,000-instruction loop
 * EP_STREAMED selects the streamed build: the .epk stays in flash and the runtime pulls
 * weight tiles through the imported function env.ep_read. */
#include <stdint.h>
#include <string.h>

#include "platform.h"
#include "edgepack.h"
#include "../../build/edgepack-messages.h" /* tools/terse-messages.mjs */

extern const uint8_t ep_model[];
extern const uint32_t ep_model_len;
extern const uint8_t ep_cases[];
extern const uint32_t ep_case_count;
extern const uint32_t ep_case_bytes;
extern const uint32_t ep_measure_case;

static Z_edgepack_instance_t rt;
#define EP_CALIBRATION_LOOPS 50000000u /* `calibration` should print 100000000 (+ a few): spans a SysTick wrap */

static void print_u64(const char* label, uint64_t v) {
  char buf[48];
  char digits[24];
  int n = 0, at = 0;
  do { digits[n++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
  while (*label) buf[at++] = *label++;
  buf[at++] = ' ';
  while (n) buf[at++] = digits[--n];
  buf[at++] = '\n';
  buf[at] = 0;
  fw_print(buf);
}

/* Error bytes of a terse build (docs/ABI.md "Error messages"): EP_MESSAGE_ESCAPE, id low,
 * id high stands for ep_messages[id] (build/edgepack-messages.h, const: in flash). */
static void print_error(const char* what, uint32_t code) {
  char buf[512];
  const size_t end = sizeof buf - 2;
  const uint8_t* err = rt.w2c_memory.data + Z_edgepackZ_ep_error_ptr(&rt);
  uint32_t len = Z_edgepackZ_ep_error_len(&rt);
  size_t at = strlen(what);
  memcpy(buf, what, at);
  buf[at++] = ' ';
  buf[at++] = (char)('0' + code / 10);
  buf[at++] = (char)('0' + code % 10);
  buf[at++] = ':';
  buf[at++] = ' ';
  for (uint32_t i = 0; i < len && at < end; i++) {
    if (err[i] != EP_MESSAGE_ESCAPE || i + 2 >= len) { buf[at++] = (char)err[i]; continue; }
    uint32_t id = err[i + 1] | (uint32_t)err[i + 2] << 8;
    i += 2;
    for (const char* t = id < EP_MESSAGE_COUNT ? ep_messages[id] : "<unknown message>"; *t && at < end; t++) buf[at++] = *t;
  }
  buf[at++] = '\n';
  buf[at] = 0;
  fw_print(buf);
}

static void print_outputs(uint32_t k) {
  static const char hex[] = "0123456789abcdef";
  char line[160];
  int at = 0;
  const char* head = "out ";
  while (*head) line[at++] = *head++;
  if (k >= 10) line[at++] = (char)('0' + k / 10);
  line[at++] = (char)('0' + k % 10);
  line[at++] = ' ';
  uint32_t outputs = Z_edgepackZ_ep_output_count(&rt);
  for (uint32_t o = 0; o < outputs; o++) {
    const uint8_t* p = rt.w2c_memory.data + Z_edgepackZ_ep_output_ptr(&rt, o);
    uint32_t n = Z_edgepackZ_ep_output_bytes(&rt, o);
    for (uint32_t i = 0; i < n; i++) {
      line[at++] = hex[p[i] >> 4];
      line[at++] = hex[p[i] & 15];
      if (at > 150) { line[at] = 0; fw_print(line); at = 0; }
    }
  }
  line[at++] = '\n';
  line[at] = 0;
  fw_print(line);
}

static void set_inputs(uint32_t k) {
  const uint8_t* src = ep_cases + (size_t)k * ep_case_bytes;
  uint32_t inputs = Z_edgepackZ_ep_input_count(&rt);
  for (uint32_t i = 0; i < inputs; i++) {
    uint32_t n = Z_edgepackZ_ep_input_bytes(&rt, i);
    memcpy(rt.w2c_memory.data + Z_edgepackZ_ep_input_ptr(&rt, i), src, n);
    src += n;
  }
}

#ifdef EP_STREAMED
/* The runtime's one import: copy len bytes of the .epk at offset into linear memory at dst.
 * Returns 0, or 1 when the range lies outside the model or the memory. */
uint32_t Z_envZ_ep_read(struct Z_env_instance_t* env, uint32_t offset, uint32_t dst, uint32_t len) {
  (void)env;
  if ((uint64_t)offset + len > ep_model_len || (uint64_t)dst + len > rt.w2c_memory.size) return 1;
  memcpy(rt.w2c_memory.data + dst, ep_model + offset, len);
  return 0;
}

static uint32_t load_model(void) {
  return Z_edgepackZ_ep_stream_load(&rt, ep_model_len, EP_STREAM_SCRATCH);
}
#else
static uint32_t load_model(void) {
  uint32_t ptr = Z_edgepackZ_ep_model_buffer(&rt, ep_model_len);
  if (ptr == 0) return 10;
  memcpy(rt.w2c_memory.data + ptr, ep_model, ep_model_len);
  return Z_edgepackZ_ep_load(&rt, ptr, ep_model_len);
}
#endif

int main(void) {
  wasm_rt_init();
  Z_edgepack_init_module();
#ifdef EP_STREAMED
  Z_edgepack_instantiate(&rt, 0);
#else
  Z_edgepack_instantiate(&rt);
#endif
  /* the bytes backed (wasm-rt-bare.c): a model needing more fails to load, cleanly */
  Z_edgepackZ_ep_set_memory_limit(&rt, EP_MEMORY_BYTES);
  uint32_t err = load_model();
  if (err) {
    print_error("load failed", err);
    return 1;
  }
  uint64_t instructions = 0;
  for (uint32_t k = 0; k < ep_case_count; k++) {
    set_inputs(k);
    if (k == ep_measure_case) {
      err = Z_edgepackZ_ep_invoke(&rt); /* warm-up, as TFLM's figures were taken */
      if (!err) {
        set_inputs(k); /* the arena reuses input memory: inputs are rewritten before each invoke */
#ifdef EP_PROFILE
        /* per op: "op <i> <instructions>"; the sum is the invoke minus one call per op */
        uint32_t ops = Z_edgepackZ_ep_op_count(&rt);
        for (uint32_t i = 0; i < ops && !err; i++) {
          fw_count_start();
          err = Z_edgepackZ_ep_invoke_op(&rt, i);
          uint64_t n = fw_count_stop();
          char label[16] = "op ";
          int at = 3;
          if (i >= 100) label[at++] = (char)('0' + i / 100);
          if (i >= 10) label[at++] = (char)('0' + i / 10 % 10);
          label[at++] = (char)('0' + i % 10);
          label[at] = 0;
          print_u64(label, n);
          instructions += n;
        }
#else
        fw_count_start();
        err = Z_edgepackZ_ep_invoke(&rt);
        instructions = fw_count_stop();
#endif
      }
    } else {
      err = Z_edgepackZ_ep_invoke(&rt);
    }
    if (err) {
      print_error("invoke failed", err);
      return 1;
    }
    print_outputs(k);
  }
  print_u64("instructions", instructions);
  print_u64("calibration", fw_calibrate(EP_CALIBRATION_LOOPS));
  print_u64("memory", rt.w2c_memory.size);
  print_u64("memory_used", Z_edgepackZ_ep_memory_high_water(&rt));
  print_u64("stack", fw_stack_peak());
  return 0;
}
