// Host side of the streamed build (build/edgepack-streamed.wasm): the .epk stays in host
// memory and the runtime pulls constants through its one import, env.ep_read, into a
// bounded stage. Same Model API as the resident loader; plus a RAM breakdown.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, ERROR_NAMES } from '../format/constants.js';
import { Model, RuntimeError, RuntimeExports, checkDeclaredMemory, errorMessage } from './loader.js';
import { messageTable } from './messages.js';
import { Bytes, toBytes } from '../io/bytes.js';

export interface StreamedExports extends Omit<RuntimeExports, 'ep_model_buffer' | 'ep_load'> {
  ep_stream_load(fileBytes: number, stageBytes: number): number;
  ep_stream_stage_bytes(): number;
  ep_stream_min_bytes(): number;
  ep_stream_whole_bytes(): number;
  ep_memory_used(): number;
  ep_heap_base(): number;
  ep_arena_ptr(): number;
}

/** Where the linear memory of a loaded model goes, in bytes. */
export interface StreamedMemory {
  staticsBytes: number; // wasm statics up to __heap_base
  metadataBytes: number; // header, section table, tensor and op records, I/O list (names and constants stay in flash)
  arenaBytes: number;
  scratchBytes: number; // kernel scratch from the .epk header
  stageBytes: number; // the streamed constants' stage
  usedBytes: number; // sum of the above (16-aligned regions), or the load-time peak if higher
  pages: number; // 64 KiB wasm pages the memory occupies
  stageMinBytes: number; // smallest stage that runs every op (tiled where needed)
  stageWholeBytes: number; // stage that runs every op untiled
}

export class StreamedModel extends Model {
  constructor(readonly streamed: StreamedExports, messages: readonly string[] = []) {
    super(streamed as unknown as RuntimeExports, messages);
  }
  memory(): StreamedMemory {
    const e = this.streamed;
    const statics = e.ep_heap_base() >>> 0; // i32 exports: read every size and pointer unsigned
    const arena = e.ep_arena_ptr() >>> 0;
    return {
      staticsBytes: statics,
      metadataBytes: arena - statics,
      arenaBytes: e.ep_arena_bytes() >>> 0,
      scratchBytes: e.ep_scratch_bytes() >>> 0,
      stageBytes: e.ep_stream_stage_bytes() >>> 0,
      usedBytes: e.ep_memory_used() >>> 0,
      pages: e.memory.buffer.byteLength / 65536,
      stageMinBytes: e.ep_stream_min_bytes() >>> 0,
      stageWholeBytes: e.ep_stream_whole_bytes() >>> 0,
    };
  }
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const streamedPath = join(root, 'build', 'edgepack-streamed.wasm');

let compiled: WebAssembly.Module | undefined;
export function streamedModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(readFileSync(streamedPath));
  return compiled;
}

/** Stage bytes the runtime grants by default: assembly/streamed.ts DEFAULT_STAGE_BYTES, which the module exports (test/streamed.test.ts checks they agree). */
export const DEFAULT_STAGE_BYTES = 8192;

/**
 * Loads `epk` into the streamed runtime with a stage of `stageBytes` (0: the default,
 * min(stageWholeBytes, DEFAULT_STAGE_BYTES) but at least stageMinBytes; a value above
 * stageWholeBytes is cut to it). `epk` is read, never copied whole into the module, never modified.
 */
export async function loadModelStreamed(
  input: Bytes, stageBytes = 0, module = streamedModule(), opts: { maxMemory?: number } = {},
): Promise<StreamedModel> {
  const epk = toBytes(input, '.epk bytes');
  // the runtime cuts a stage request to what every op needs untiled (its constants, < the file)
  checkDeclaredMemory(epk, Math.min(stageBytes === 0 ? DEFAULT_STAGE_BYTES : stageBytes >>> 0, epk.length), opts.maxMemory);
  let e: StreamedExports | undefined;
  const ep_read = (offset: number, dst: number, len: number): number => {
    const mem = e!.memory.buffer;
    offset >>>= 0; dst >>>= 0; len >>>= 0; // i32 arguments: addresses above 2^31 arrive negative
    if (offset + len > epk.length || dst + len > mem.byteLength) return 1;
    new Uint8Array(mem, dst, len).set(epk.subarray(offset, offset + len));
    return 0;
  };
  const instance = await WebAssembly.instantiate(module, { env: { ep_read } });
  e = instance.exports as unknown as StreamedExports;
  const code = e.ep_stream_load(epk.length, stageBytes);
  if (code !== ErrorCode.Ok) {
    const text = errorMessage(e, messageTable(module));
    throw new RuntimeError(code, text || ERROR_NAMES[code as ErrorCode]);
  }
  return new StreamedModel(e, messageTable(module));
}

/**
 * Streamed linear memory for a device with a stage of `stageBytes` (0: the runtime's
 * default, min(stageWholeBytes, 8192) but never below stageMinBytes): the exact bytes the
 * loaded model uses (statics, metadata, arena, scratch, stage), measured by loading it.
 * Not rounded to 64 KiB pages; a host that backs whole pages rounds up itself.
 */
export async function planStreamedMemory(epk: Uint8Array, stageBytes = 0): Promise<{ memoryBytes: number; stageBytes: number; memory: StreamedMemory }> {
  const memory = (await loadModelStreamed(epk, stageBytes)).memory();
  return { memoryBytes: memory.usedBytes, stageBytes: memory.stageBytes, memory };
}
