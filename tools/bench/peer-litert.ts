// The second peer: LiteRT.js (npm @litertjs/core, Google's current web runtime for .tflite,
// XNNPACK inside), made to run in Node. Like tfjs-tflite it is written for browsers and
// workers, so it gets shims: `self`, and an importScripts that evaluates its Emscripten glue
// as the CommonJS module it also is (require, __dirname: the glue then reads its .wasm from the
// package folder; nothing is fetched). The package picks its build by feature: Node 20 has no
// relaxed SIMD without a flag, so it loads litert_wasm_compat_internal (SIMD128, one thread).
// Its Tensor wrapper refuses int8, so the peer goes through the lower-level API: the model
// compiled for the 'wasm' accelerator with one CPU thread, a host-memory LiteRtTensorBuffer
// per input written through lock/unlock, and run(signature 0) timed with the output copy.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PeerModel } from './peer-tflite.js';
import { zeroBiasQuantizedDimension } from './peer-tflite.js';

const require = createRequire(import.meta.url);

interface Deletable { delete(): void }
interface IntVector { size(): number; get(i: number): number; push_back(v: number): void }
interface Layout extends Deletable { dimensions(): IntVector }
interface TensorType extends Deletable { bytes(): number; layout(): Layout; elementType(): unknown }
interface TensorBuffer extends Deletable { lock(mode: unknown): number; unlock(): void; size(): number }
interface LiteRtWasm {
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(p: number): void;
  loadModel(env: unknown, ptr: number, size: number): Deletable & { getInputTensorType(s: number, i: number): TensorType };
  compileModel(env: unknown, model: unknown, options: object): unknown;
  LiteRtTensorBuffer: { createManaged(env: unknown, type: unknown, tensorType: TensorType, bytes: number): TensorBuffer };
  LiteRtTensorBufferType: { HOST_MEMORY: unknown };
  LiteRtTensorBufferLockMode: { READ: unknown; WRITE: unknown };
  LiteRtLayout: { create(dims: IntVector): Layout };
  LiteRtRankedTensorType: { create(elementType: unknown, layout: Layout): TensorType };
  VectorInt32: new () => IntVector;
}
interface CompiledModel extends Deletable { run(signature: number, inputs: TensorBuffer[]): TensorBuffer[] | Promise<TensorBuffer[]> }

let runtime: Promise<{ wasm: LiteRtWasm; env: { liteRtEnvironment: unknown } }> | null = null;
export let litertBuild = '';

function packageDir(): string {
  return dirname(require.resolve('@litertjs/core/package.json'));
}

/** Installs the shims once and loads the package's runtime; throws if it is not installed. */
function loadRuntime() {
  if (runtime) return runtime;
  runtime = (async () => {
    const wasmDir = join(packageDir(), 'wasm') + '/';
    const g = globalThis as Record<string, unknown>;
    g.self ??= globalThis;
    const previous = g.importScripts as ((url: string) => void) | undefined;
    g.importScripts = (url: string) => {
      const path = String(url);
      if (!path.startsWith(wasmDir)) { // another peer's script (peer-tflite.ts)
        if (!previous) throw new Error(`importScripts: ${path} is not LiteRT.js's`);
        previous(path);
        return;
      }
      litertBuild = path.slice(wasmDir.length);
      const mod = { exports: {} as unknown };
      new Function('require', '__dirname', 'module', 'exports', readFileSync(path, 'utf8'))(require, dirname(path), mod, mod.exports);
      g.ModuleFactory = mod.exports;
    };
    const lib = await import('@litertjs/core') as unknown as {
      loadLiteRt(dir: string): Promise<{ liteRtWasm: LiteRtWasm; getDefaultEnvironment(): { liteRtEnvironment: unknown } }>;
    };
    // its default environment asks for a WebGPU device first; Node has none (a warning only)
    const warn = console.warn;
    console.warn = () => {};
    try {
      const rt = await lib.loadLiteRt(wasmDir);
      return { wasm: rt.liteRtWasm, env: rt.getDefaultEnvironment() };
    } finally {
      console.warn = warn;
    }
  })();
  return runtime;
}

/**
 * The model (with tfjs-tflite's bias quantized_dimension patch, which LiteRT.js needs too) ready
 * to run; inputBytes: the size of its one input (the edgepack model's, the same tensor).
 */
export async function loadLitertModel(tfliteBytes: Uint8Array, inputBytes: number): Promise<PeerModel & { patched: number }> {
  const { wasm, env } = await loadRuntime();
  const { bytes, patched } = zeroBiasQuantizedDimension(tfliteBytes);
  const ptr = wasm._malloc(bytes.length); // kept for the model's life (the bench's process)
  wasm.HEAPU8.set(bytes, ptr);
  const model = wasm.loadModel(env.liteRtEnvironment, ptr, bytes.length);
  const compiled = await wasm.compileModel(env.liteRtEnvironment, model, {
    environment: env, accelerator: 'wasm', cpuOptions: { numThreads: 1 }, gpuOptions: {}, webNNOptions: {},
  }) as CompiledModel;
  const input = wasm.LiteRtTensorBuffer.createManaged(env.liteRtEnvironment, wasm.LiteRtTensorBufferType.HOST_MEMORY, rankedInputType(wasm, model.getInputTensorType(0, 0), inputBytes), inputBytes);
  return {
    patched,
    build: litertBuild,
    run(x: Uint8Array): Uint8Array {
      const at = input.lock(wasm.LiteRtTensorBufferLockMode.WRITE);
      wasm.HEAPU8.set(x, at);
      input.unlock();
      const outs = compiled.run(0, [input]);
      if (outs instanceof Promise) throw new Error('LiteRT.js run() returned a promise (a JSPI build): not timed');
      const o = outs[0];
      const p = o.lock(wasm.LiteRtTensorBufferLockMode.READ);
      const y = wasm.HEAPU8.slice(p, p + o.size());
      o.unlock();
      for (const t of outs) t.delete();
      return y;
    },
  };
}

/**
 * The input's tensor type with every dynamic dimension (-1 in the file's shape signature, a
 * batch: sww_dscnn_int8) set to 1, as edgepack and tfjs-tflite run it; its buffer refuses the
 * type as the model states it ("Failed to get num packed bytes").
 */
function rankedInputType(wasm: LiteRtWasm, t: TensorType, inputBytes: number): TensorType {
  const d = t.layout().dimensions();
  const dims = Array.from({ length: d.size() }, (_, i) => d.get(i));
  if (dims.every((v) => v >= 0)) return t;
  const v = new wasm.VectorInt32();
  for (const x of dims) v.push_back(x < 0 ? 1 : x);
  const ranked = wasm.LiteRtRankedTensorType.create(t.elementType(), wasm.LiteRtLayout.create(v));
  if (ranked.bytes() !== inputBytes) throw new Error(`input shape [${dims.join(', ')}]: ${ranked.bytes()} bytes with batch 1, the model's input is ${inputBytes}`);
  return ranked;
}
