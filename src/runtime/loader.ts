// Host side of the runtime ABI for Node and browsers: instantiate a build, copy an
// .epk into its memory, then run inferences over typed arrays.

import { ERROR_NAMES, ErrorCode } from '../format/constants.js';
import { expandMessage, messageTable } from './messages.js';

export type Target = 'simd' | 'scalar';

export interface RuntimeExports {
  memory: WebAssembly.Memory;
  ep_model_buffer(len: number): number;
  ep_load(ptr: number, len: number): number;
  ep_invoke(): number;
  ep_input_count(): number;
  ep_output_count(): number;
  ep_input_ptr(i: number): number;
  ep_input_bytes(i: number): number;
  ep_output_ptr(i: number): number;
  ep_output_bytes(i: number): number;
  ep_statics_bytes(): number;
  ep_arena_bytes(): number;
  ep_scratch_bytes(): number;
  ep_error_ptr(): number;
  ep_error_len(): number;
  ep_set_memory_limit(bytes: number): void;
  ep_memory_high_water(): number;
}

export class RuntimeError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(`${ERROR_NAMES[code] ?? `ERROR_${code}`}: ${message}`);
    this.name = 'RuntimeError';
  }
}

export class Model {
  /** `messages`: the module's error message table (messages.ts), empty for a full build. */
  constructor(readonly exports: RuntimeExports, readonly messages: readonly string[] = []) {}

  get inputCount(): number { return this.exports.ep_input_count(); }
  get outputCount(): number { return this.exports.ep_output_count(); }
  inputBytes(i = 0): number { return this.exports.ep_input_bytes(i); }
  outputBytes(i = 0): number { return this.exports.ep_output_bytes(i); }
  get arenaBytes(): number { return this.exports.ep_arena_bytes(); }
  get scratchBytes(): number { return this.exports.ep_scratch_bytes(); }
  get staticsBytes(): number { return this.exports.ep_statics_bytes(); }
  /** Linear memory now: statics + model (resident) + arena + scratch, rounded up to 64 KiB pages. */
  get memoryBytes(): number { return this.exports.memory.buffer.byteLength; }
  get wasmPages(): number { return this.memoryBytes / 65536; }
  /** Exact bytes of linear memory the loads asked for (statics included): what a firmware backs. */
  get memoryUsedBytes(): number { return this.exports.ep_memory_high_water(); }

  /** Runs one inference. `inputs` holds raw tensor bytes in model input order. */
  run(...inputs: Uint8Array[]): Uint8Array[] {
    const e = this.exports;
    if (inputs.length !== this.inputCount) throw new Error(`model has ${this.inputCount} inputs, ${inputs.length} given`);
    inputs.forEach((bytes, i) => {
      const want = e.ep_input_bytes(i);
      if (bytes.length !== want) throw new Error(`input ${i} must be ${want} bytes, got ${bytes.length}`);
      new Uint8Array(e.memory.buffer, e.ep_input_ptr(i), want).set(bytes);
    });
    check(e, e.ep_invoke(), this.messages);
    return Array.from({ length: this.outputCount }, (_, i) =>
      new Uint8Array(e.memory.buffer, e.ep_output_ptr(i), e.ep_output_bytes(i)).slice(),
    );
  }
}

/** The runtime's last error message, ids expanded through `messages`. */
export function errorMessage(e: Pick<RuntimeExports, 'memory' | 'ep_error_ptr' | 'ep_error_len'>, messages: readonly string[]): string {
  return expandMessage(new Uint8Array(e.memory.buffer, e.ep_error_ptr(), e.ep_error_len()), messages);
}

function check(e: RuntimeExports, code: number, messages: readonly string[]): void {
  if (code !== 0) throw new RuntimeError(code, errorMessage(e, messages));
}

/** Instantiates a runtime module (its bytes) and loads `epk` into it. */
export async function loadModel(wasm: BufferSource | WebAssembly.Module, epk: Uint8Array): Promise<Model> {
  const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
  const instance = await WebAssembly.instantiate(module, {});
  const e = instance.exports as unknown as RuntimeExports;
  const messages = messageTable(module);
  const ptr = e.ep_model_buffer(epk.length);
  if (ptr === 0) check(e, ErrorCode.OutOfMemory, messages);
  new Uint8Array(e.memory.buffer, ptr, epk.length).set(epk);
  check(e, e.ep_load(ptr, epk.length), messages);
  return new Model(e, messages);
}

export interface LoadOptions {
  /** Runtime build; default 'simd'. */
  target?: Target;
  /** The runtime module: bytes, a compiled module, or a URL to fetch (browsers). In Node it defaults to the built file. */
  wasm?: BufferSource | WebAssembly.Module | URL | string;
}

/** load(epkBytes) -> Model, in Node and browsers. In browsers pass `wasm` (e.g. the URL of build/edgepack-simd.wasm). */
export async function load(epk: Uint8Array, opts: LoadOptions = {}): Promise<Model> {
  const target = opts.target ?? 'simd';
  let wasm = opts.wasm;
  if (wasm === undefined) {
    if (typeof process === 'undefined' || !process.versions?.node) {
      throw new Error('load(): pass opts.wasm (the runtime module or its URL) outside Node');
    }
    const node = await import('./node.js');
    wasm = node.runtimeModule(target);
  }
  if (typeof wasm === 'string' || wasm instanceof URL) {
    const res = await fetch(wasm);
    if (!res.ok) throw new Error(`cannot fetch the runtime module ${String(wasm)}: HTTP ${res.status}`);
    wasm = await res.arrayBuffer();
  }
  return loadModel(wasm, epk);
}
