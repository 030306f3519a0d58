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
import { FIRMWARE_HOST_RAM_BYTES, FIRMWARE_STACK_BYTES } from './firmware-constants.js';
import { runtimeModule } from './node.js';
import { loadModelStreamed, planStreamedMemory, streamedModule } from './streamed.js';

// FIRMWARE_STACK_BYTES, FIRMWARE_HOST_RAM_BYTES: firmware-constants.ts (no Node imports: the studio page reads them too)
export { FIRMWARE_HOST_RAM_BYTES, FIRMWARE_STACK_BYTES } from './firmware-constants.js';

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
