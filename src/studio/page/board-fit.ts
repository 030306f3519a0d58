// RAM and flash of an .epk on each board profile, measured by loading it in the runtime
// builds exactly as `edgepack fit` measures an option (src/fit.ts `measure`, firmwareRam in
// src/runtime/firmware.ts): "exact" boards count the wasm2c firmware's linear memory to the
// byte plus its C stack and host RAM; "pages" boards whole 64 KiB pages. The mode `fit`
// would choose is the first of resident, streamed that fits; when neither fits, `fit`
// would go on to compressed representations.

import type { Board, Need } from '../../fit.js';
import { Model, Target, loadModel } from '../../runtime/loader.js';
import { FIRMWARE_HOST_RAM_BYTES, FIRMWARE_STACK_BYTES } from '../../runtime/firmware-constants.js';

export interface BoardFit {
  board: Board;
  options: Need[]; // resident, streamed
  chosen: 'resident' | 'streamed' | null;
}

export interface Runtimes {
  module(target: Target | 'streamed'): Promise<WebAssembly.Module>;
}

/**
 * Bytes of linear memory the streamed build asks for with the stage it picks by default
 * (the high-water mark after ep_stream_load), and the stage; the .epk stays with the host
 * and is read through env.ep_read, as src/runtime/streamed.ts does in Node.
 */
export async function streamedMemory(module: WebAssembly.Module, epk: Uint8Array, stageBytes = 0): Promise<{ linear: number; stage: number; arena: number }> {
  let memory: WebAssembly.Memory | undefined;
  const ep_read = (offset: number, dst: number, len: number): number => {
    offset >>>= 0; dst >>>= 0; len >>>= 0;
    if (offset + len > epk.length || dst + len > memory!.buffer.byteLength) return 1;
    new Uint8Array(memory!.buffer, dst, len).set(epk.subarray(offset, offset + len));
    return 0;
  };
  const instance = await WebAssembly.instantiate(module, { env: { ep_read } });
  const e = instance.exports as unknown as Record<string, (...a: number[]) => number> & { memory: WebAssembly.Memory };
  memory = e.memory;
  if (e.ep_stream_load(epk.length, stageBytes) !== 0) return { linear: NaN, stage: 0, arena: 0 };
  return { linear: e.ep_memory_high_water() >>> 0, stage: e.ep_stream_stage_bytes() >>> 0, arena: e.ep_arena_bytes() >>> 0 };
}

const pages = (n: number) => Math.ceil(n / 65536) * 65536;

export async function measureBoard(epk: Uint8Array, b: Board, rt: Runtimes): Promise<BoardFit> {
  const flash = epk.length + b.runtimeFlashBytes;
  const first = await streamedMemory(await rt.module('streamed'), epk);
  const streamed = await streamedMemory(await rt.module('streamed'), epk, first.stage);
  const exact = (b.linearMemory ?? 'pages') === 'exact';
  const fw = FIRMWARE_STACK_BYTES + FIRMWARE_HOST_RAM_BYTES;
  const resident: Model = await loadModel(await rt.module(exact ? 'scalar' : b.simd ? 'simd' : 'scalar'), epk);
  const residentLinear = exact ? resident.memoryUsedBytes : resident.memoryBytes;
  const streamedLinear = exact ? streamed.linear : pages(streamed.linear);
  const options: Need[] = [
    {
      mode: 'resident', flashBytes: flash, ramBytes: residentLinear + (exact ? fw : 0) + b.reserveRamBytes, linearMemoryBytes: residentLinear,
      firmwareBytes: exact ? fw : 0, arenaBytes: resident.arenaBytes, stageBytes: 0, modelInRamBytes: epk.length,
    },
    {
      mode: 'streamed', flashBytes: flash, ramBytes: streamedLinear + (exact ? fw : 0) + b.reserveRamBytes, linearMemoryBytes: streamedLinear,
      firmwareBytes: exact ? fw : 0, arenaBytes: streamed.arena, stageBytes: streamed.stage, modelInRamBytes: 0,
    },
  ];
  const fits = (n: Need) => n.flashBytes <= b.flashBytes && n.ramBytes <= b.ramBytes;
  return { board: b, options, chosen: options.find(fits)?.mode ?? null };
}
