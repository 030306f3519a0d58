// RAM and flash of an .epk on each board profile, measured by loading it in the runtime
// builds exactly as `edgepack fit` measures an option (src/fit.ts `measure`, firmwareRam in
// src/runtime/firmware.ts): "exact" boards count the wasm2c firmware's linear memory to the
// byte plus its C stack and host RAM; "pages" boards whole 64 KiB pages. The mode `fit`
// would choose is the first of resident, streamed that fits; when neither fits, `fit`
// would go on to compressed representations.

import type { Board, Need } from '../../fit.js';
import { Model, RuntimeError, RuntimeExports, Target, errorMessage, loadModel } from '../../runtime/loader.js';
import { messageTable } from '../../runtime/messages.js';
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
 * The streamed build with `epk` loaded (stage 0: the one it picks by default): the .epk
 * stays with the host and is read through env.ep_read, as src/runtime/streamed.ts does in
 * Node. The Model runs it; `exports` give its memory figures.
 */
export async function loadStreamed(module: WebAssembly.Module, epk: Uint8Array, stageBytes = 0) {
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
  const code = e.ep_stream_load(epk.length, stageBytes);
  if (code !== 0) throw new RuntimeError(code, errorMessage(e as unknown as RuntimeExports, messageTable(module)));
  return { model: new Model(e as unknown as RuntimeExports, messageTable(module)), exports: e };
}

/** Linear memory the streamed build asks for (its high-water mark after load), its stage and arena; NaN when it refuses the file. */
export async function streamedMemory(module: WebAssembly.Module, epk: Uint8Array, stageBytes = 0): Promise<{ linear: number; stage: number; arena: number }> {
  try {
    const { exports: e } = await loadStreamed(module, epk, stageBytes);
    return { linear: e.ep_memory_high_water() >>> 0, stage: e.ep_stream_stage_bytes() >>> 0, arena: e.ep_arena_bytes() >>> 0 };
  } catch (err) {
    if (err instanceof RuntimeError) return { linear: NaN, stage: 0, arena: 0 };
    throw err;
  }
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
