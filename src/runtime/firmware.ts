// The RAM a wasm2c firmware (tools/firmware) needs for a model, to the byte, before it is
// built: linear memory exactly as the runtime asks for it when the model is loaded with
// the same module in Node (its high-water mark, ep_memory_high_water), plus the C stack
// reserved and the C host's own .data/.bss. tools/firmware/wasm-rt-bare.c backs exactly
// the linear-memory bytes (not whole 64 KiB pages); test/firmware-m4.test.ts checks the
// image's figures against these.
//
//   firmware RAM = linear memory (statics | metadata | arena | scratch | stage)   exact, per model
//                + C stack reserved (FIRMWARE_STACK_BYTES)
//                + C host .data + .bss (FIRMWARE_HOST_RAM_BYTES: wasm globals, wasm2c
//                  instance and function types, newlib)

import { readFileSync } from 'node:fs';
import { loadModel } from './loader.js';
import { runtimeModule } from './node.js';
import { loadModelStreamed, planStreamedMemory, streamedModule } from './streamed.js';

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

export type FirmwareMode = 'resident' | 'streamed';

/** Where a firmware's RAM goes, in bytes. */
export interface FirmwareRam {
  mode: FirmwareMode;
  ramBytes: number; // linearMemoryBytes + stackBytes + hostRamBytes
  linearMemoryBytes: number; // exact: what the loads asked for
  staticsBytes: number; // runtime statics (up to __heap_base, 16-aligned)
  modelInRamBytes: number; // resident: the .epk; streamed: its metadata prefix and tables
  arenaBytes: number;
  scratchBytes: number;
  stageBytes: number; // streamed: the constants' stage
  stackBytes: number;
  hostRamBytes: number;
}

/**
 * Firmware RAM for `epk` in `mode`, measured by loading it with the module the firmware
 * translates (`wasm`: a model-specific build; default: the scalar (resident) or streamed
 * build), the way host.c does. Streamed: the stage planStreamedMemory chooses.
 */
export async function firmwareRam(epk: Uint8Array, mode: FirmwareMode, wasm?: string): Promise<FirmwareRam> {
  const fixed = { mode, stackBytes: FIRMWARE_STACK_BYTES, hostRamBytes: FIRMWARE_HOST_RAM_BYTES };
  const module = wasm ? new WebAssembly.Module(readFileSync(wasm)) : mode === 'resident' ? runtimeModule('scalar') : streamedModule();
  if (mode === 'resident') {
    const m = await loadModel(module, epk);
    const linear = m.memoryUsedBytes;
    return {
      ...fixed, ramBytes: linear + fixed.stackBytes + fixed.hostRamBytes, linearMemoryBytes: linear,
      staticsBytes: m.staticsBytes, modelInRamBytes: linear - m.staticsBytes - m.arenaBytes - m.scratchBytes,
      arenaBytes: m.arenaBytes, scratchBytes: m.scratchBytes, stageBytes: 0,
    };
  }
  const plan = await planStreamedMemory(epk);
  const m = await loadModelStreamed(epk, plan.stageBytes, module);
  const mem = m.memory();
  const linear = m.streamed.ep_memory_high_water();
  return {
    ...fixed, ramBytes: linear + fixed.stackBytes + fixed.hostRamBytes, linearMemoryBytes: linear,
    staticsBytes: mem.staticsBytes, modelInRamBytes: mem.metadataBytes, arenaBytes: mem.arenaBytes,
    scratchBytes: mem.scratchBytes, stageBytes: mem.stageBytes,
  };
}
