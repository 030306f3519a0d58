// Host side of the runtime ABI for Node and browsers: instantiate a build, copy an
// .epk into its memory, then run inferences over typed arrays.

import { expandMessage, messageTable } from './messages.js';
import { ERROR_NAMES, ErrorCode, H, HEADER_BYTES, MAGIC } from '../format/constants.js';
import { Bytes, toBytes } from '../io/bytes.js';

/**
 * Default host memory limit: 1 GiB of declared model + arena + scratch. The largest model
 * the project runs (mobilenet_v2 224) needs ~7 MiB; a file asking for more than this is
 * refused before the runtime grows its memory (override with maxMemory / --max-memory).
 */
export const DEFAULT_MAX_MEMORY = 1 << 30;

/**
 * Bytes the .epk header declares (arena + scratch, plus `extra`: the resident copy of the
 * file, or the streamed stage), checked against `maxMemory` before anything is allocated.
 * A file too short for a header is left to the runtime's own checks.
 */
export function checkDeclaredMemory(epk: Uint8Array, extra: number, maxMemory = DEFAULT_MAX_MEMORY): void {
  if (!(maxMemory > 0)) throw new RangeError(`maxMemory must be a positive number of bytes, not ${maxMemory}`);
  if (epk.length < HEADER_BYTES) return;
  const v = new DataView(epk.buffer, epk.byteOffset, epk.byteLength);
  if (v.getUint32(0, true) !== MAGIC) return;
  const arena = v.getUint32(H.arenaBytes, true), scratch = v.getUint32(H.scratchBytes, true);
  const total = arena + scratch + extra; // doubles: no 32-bit wrap
  if (total > maxMemory) {
    throw new RuntimeError(
      ErrorCode.OutOfMemory,
      `the model needs ${total} bytes (arena ${arena} + scratch ${scratch} + ${extra} model/stage), above the host memory limit of ${maxMemory} bytes (maxMemory / --max-memory)`,
    );
  }
}

export type Target = 'simd' | 'scalar';

export interface RuntimeExports {
  memory: WebAssembly.Memory;
  ep_model_buffer(len: number): number;
  ep_load(ptr: number, len: number): number;
  ep_invoke(): number;
  ep_reset(): number;
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
  /** The scalar build's widened GEMM weights for 64-bit JIT hosts (assembly/wide.ts); absent from older builds. */
  ep_set_wide_gemm?(on: number): number;
  ep_wide_tensor_count?(): number;
  /** The SIMD build's Winograd filters for 3x3 stride-1 convs (assembly/winograd.ts); absent from older builds. */
  ep_set_winograd?(on: number): number;
  ep_winograd_op_count?(): number;
  ep_acc_fits?(i: number): number;
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
  // The exports return i32; sizes and pointers above 2^31 arrive negative, so read them unsigned.
  inputBytes(i = 0): number { return this.exports.ep_input_bytes(i) >>> 0; }
  outputBytes(i = 0): number { return this.exports.ep_output_bytes(i) >>> 0; }
  get arenaBytes(): number { return this.exports.ep_arena_bytes() >>> 0; }
  get scratchBytes(): number { return this.exports.ep_scratch_bytes() >>> 0; }
  get staticsBytes(): number { return this.exports.ep_statics_bytes() >>> 0; }
  /** Linear memory now: statics + model (resident) + arena + scratch, rounded up to 64 KiB pages. */
  get memoryBytes(): number { return this.exports.memory.buffer.byteLength; }
  get wasmPages(): number { return this.memoryBytes / 65536; }
  /** Exact bytes of linear memory the loads asked for (statics included): what a firmware backs. */
  get memoryUsedBytes(): number { return this.exports.ep_memory_high_water(); }

  /**
   * Sets every variable tensor (state an op such as SVDF keeps from one run to the next) back
   * to its value at load, as TFLM's ResetVariableTensors: the next run() gives what the first did.
   * A model without variable tensors has nothing to reset; run() never resets by itself.
   */
  reset(): void {
    check(this.exports, this.exports.ep_reset(), this.messages);
  }

  /** Runs one inference; variable tensors keep their state from the previous run (reset()). `inputs` holds raw tensor bytes in model input order. */
  run(...inputs: Bytes[]): Uint8Array[] {
    const e = this.exports;
    if (inputs.length !== this.inputCount) throw new Error(`model has ${this.inputCount} inputs, ${inputs.length} given`);
    inputs.forEach((input, i) => {
      const bytes = toBytes(input, `input ${i}`);
      const want = e.ep_input_bytes(i) >>> 0;
      if (bytes.length !== want) throw new Error(`input ${i} must be ${want} bytes, got ${bytes.length}`);
      new Uint8Array(e.memory.buffer, e.ep_input_ptr(i) >>> 0, want).set(bytes);
    });
    check(e, e.ep_invoke(), this.messages);
    return Array.from({ length: this.outputCount }, (_, i) =>
      new Uint8Array(e.memory.buffer, e.ep_output_ptr(i) >>> 0, e.ep_output_bytes(i) >>> 0).slice(),
    );
  }
}

/** The runtime's last error message, ids expanded through `messages`. */
export function errorMessage(e: Pick<RuntimeExports, 'memory' | 'ep_error_ptr' | 'ep_error_len'>, messages: readonly string[]): string {
  return errorText(e.memory, e.ep_error_ptr(), e.ep_error_len(), messages);
}

/** The runtime's error message at (ptr, len), read unsigned, clamped to its memory, ids expanded. */
export function errorText(memory: WebAssembly.Memory, ptr: number, len: number, messages: readonly string[] = []): string {
  const buf = memory.buffer, at = ptr >>> 0, n = len >>> 0;
  if (at > buf.byteLength || n > buf.byteLength - at) return '';
  return expandMessage(new Uint8Array(buf, at, n), messages);
}

function check(e: RuntimeExports, code: number, messages: readonly string[]): void {
  if (code !== 0) throw new RuntimeError(code, errorMessage(e, messages));
}

/**
 * Instantiates a runtime module (its bytes) and loads `epk` into it. `wideGemm`: let a scalar
 * build widen its GEMM weights at load (4 bytes of extra memory per weight byte, two
 * multiply-accumulates per 64-bit multiply: a JIT host on a 64-bit CPU runs its convolutions
 * ~1.7x faster), within `maxMemory` with the rest; off here, so that a memory plan measured with
 * this function is the firmware's (inspect and fit load without it too). `winograd`: let a SIMD
 * build transform the filters of its 3x3 stride-1 convs at load (32 bytes per input and output
 * channel, 3.6x the int8 filter; those convs run 1.4-1.8x faster), within `maxMemory` with the
 * rest; on by default (no firmware runs the SIMD build, and the memory plan leaves it out).
 */
export async function loadModel(wasm: BufferSource | WebAssembly.Module, input: Bytes, maxMemory = DEFAULT_MAX_MEMORY, wideGemm = false, winograd = true): Promise<Model> {
  const epk = toBytes(input, '.epk bytes');
  checkDeclaredMemory(epk, epk.length, maxMemory);
  const module = wasm instanceof WebAssembly.Module ? wasm : await WebAssembly.compile(wasm);
  const instance = await WebAssembly.instantiate(module, {});
  const e = instance.exports as unknown as RuntimeExports;
  const messages = messageTable(module);
  const wide = wideGemm && e.ep_set_wide_gemm !== undefined && e.ep_set_wide_gemm(1) === 1;
  const wg = e.ep_set_winograd !== undefined && e.ep_set_winograd(winograd ? 1 : 0) === 1 && winograd;
  if (wide || wg) {
    // the widened weights and Winograd filters stay within the host limit too: statics +
    // maxMemory (+ alignment) is above what any load the check above let through needs, so it
    // refuses only them
    e.ep_set_memory_limit(Math.min(0xffff0000, e.ep_statics_bytes() + maxMemory + 64));
  }
  const ptr = e.ep_model_buffer(epk.length) >>> 0;
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
  /** Host memory limit in bytes for what the .epk declares (model + arena + scratch); default DEFAULT_MAX_MEMORY (1 GiB). */
  maxMemory?: number;
  /** Scalar build: widen the GEMM weights at load (loadModel); default true, since a page or Node process is a JIT host. */
  wideGemm?: boolean;
  /** SIMD build: transform the filters of 3x3 stride-1 convs for Winograd at load (loadModel); default true. */
  winograd?: boolean;
}

/** Where a page finds a runtime build when `load` is given no `wasm` (see setRuntimeModules). */
let runtimeModules: ((target: Target) => Promise<WebAssembly.Module>) | undefined;

/**
 * Outside Node: tells `load` (and every converter pass that runs the model, such as calibrated
 * compression) where the runtime builds are, e.g. a page's own `/wasm/edgepack-simd.wasm`.
 */
export function setRuntimeModules(find: (target: Target) => Promise<WebAssembly.Module>): void {
  runtimeModules = find;
}

/** load(epkBytes) -> Model, in Node and browsers. In browsers pass `wasm` (e.g. the URL of build/edgepack-simd.wasm) or call setRuntimeModules once. */
export async function load(input: Bytes, opts: LoadOptions = {}): Promise<Model> {
  const epk = toBytes(input, '.epk bytes');
  checkDeclaredMemory(epk, epk.length, opts.maxMemory);
  const target = opts.target ?? 'simd';
  let wasm = opts.wasm;
  if (wasm === undefined && runtimeModules) wasm = await runtimeModules(target);
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
  return loadModel(wasm, epk, opts.maxMemory, opts.wideGemm ?? true, opts.winograd ?? true);
}
