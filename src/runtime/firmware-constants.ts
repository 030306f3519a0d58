// The wasm2c firmware's RAM besides its linear memory (src/runtime/firmware.ts), measured on
// the Cortex-M4 image; kept apart from firmware.ts so browser code can read them.

/**
 * C stack reserved on the Cortex-M4: the deepest use measured over every shared model in
 * both modes under QEMU (the startup code paints the stack, the host prints `stack`) was
 * 1,168 B (streamed, -O3); the margin of 880 B covers one exception frame with FPU state
 * (104 B) per nesting level of a few interrupt handlers and a differently optimised build.
 * A build whose measured peak comes within 256 B of it fails test/firmware-m4.test.ts.
 */
export const FIRMWARE_STACK_BYTES = 2048;

/**
 * The C host's .data + .bss besides the linear memory, measured on the Cortex-M4 image of
 * the default (all kernels) streamed runtime: 500 B -- the wasm2c instance (wasm globals,
 * memory descriptor) 176 B, wasm-rt-bare.c's function-type keys 256 B, host and platform
 * state -- plus the 4 B the linker pads before the 8-aligned stack. A model-specific
 * runtime holds as many wasm globals or fewer (500 B measured on kws_dscnn_int8's too).
 */
export const FIRMWARE_HOST_RAM_BYTES = 504;
