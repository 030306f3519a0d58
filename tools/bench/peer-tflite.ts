// The peer: TFLite's own WebAssembly runtime (npm @tensorflow/tfjs-tflite, XNNPACK inside),
// made to run in Node. It is written for browsers and web workers, so it gets shims:
// `self`, an importScripts that evaluates its glue file, a fetch that serves its local wasm,
// setWasmPath, and the non-threaded SIMD build (a request for *_simd_threaded.js loads
// *_simd.js), so it runs on one thread. Timed at its interpreter (modelRunner), not via tensors.

import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';
import { FbFile } from '../../src/import/tflite/flatbuffer.js';
import { ModelF, QuantF, SubGraphF, TensorF } from '../../src/import/tflite/schema.js';

export interface PeerModel {
  /** Copies input in, runs infer(), copies the output out. */
  run(input: Uint8Array): Uint8Array;
  build: string;
}

interface TfliteTensor { data(): Int8Array | Uint8Array | Float32Array; }
interface ModelRunner { getInputs(): TfliteTensor[]; getOutputs(): TfliteTensor[]; infer(): boolean; }

const require = createRequire(import.meta.url);
let tflite: { setWasmPath(p: string): void; loadTFLiteModel(m: ArrayBuffer, o?: object): Promise<{ modelRunner: ModelRunner }> } | null = null;
const scriptsLoaded: string[] = [];

function wasmDir(): string {
  return join(dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm') + '/';
}

/** Installs the browser shims once and loads the package; throws if it is not installed. */
function loadPeer() {
  if (tflite) return tflite;
  const dir = wasmDir();
  const g = globalThis as Record<string, unknown>;
  g.self ??= globalThis;
  g.location ??= { href: 'file://' + dir, origin: 'file://' };
  g.importScripts = (url: string) => {
    const asked = String(url).split('/').pop()!;
    const name = asked.replace('_simd_threaded.js', '_simd.js').replace('_threaded.js', '.js');
    scriptsLoaded.push(asked === name ? name : `${asked} -> ${name}`);
    vm.runInThisContext(readFileSync(dir + name, 'utf8'), { filename: name });
  };
  const realFetch = globalThis.fetch;
  g.fetch = async (url: string | URL, init?: RequestInit) => {
    const name = String(url).split('/').pop()!;
    if (name.endsWith('.wasm') && existsSync(dir + name)) {
      return new Response(readFileSync(dir + name), { headers: { 'content-type': 'application/wasm' } });
    }
    return realFetch(url, init);
  };
  require('@tensorflow/tfjs-core');
  require('@tensorflow/tfjs-backend-cpu');
  tflite = require('@tensorflow/tfjs-tflite');
  tflite!.setWasmPath(dir);
  return tflite!;
}

/**
 * TFLite refuses rank-1 int32 (bias) tensors whose quantized_dimension is not 0 (TFLM accepts
 * them). Returns a copy with that field set to 0 in place -- no value or size changes -- and
 * how many tensors were touched.
 */
export function zeroBiasQuantizedDimension(bytes: Uint8Array): { bytes: Uint8Array; patched: number } {
  const copy = bytes.slice();
  const file = new FbFile(copy, 'peer copy');
  const view = new DataView(copy.buffer);
  let patched = 0;
  for (const sg of file.root().tables(ModelF.subgraphs, 'subgraphs')) {
    for (const t of sg.tables(SubGraphF.tensors, 'tensors')) {
      const q = t.table(TensorF.quantization, 'quantization');
      const at = q?.field(QuantF.quantizedDimension) ?? 0;
      const rank = t.i32Vector(TensorF.shape, 'shape').length;
      if (at && rank === 1 && view.getInt32(at, true) !== 0) {
        view.setInt32(at, 0, true);
        patched++;
      }
    }
  }
  return { bytes: copy, patched };
}

export async function loadPeerModel(tfliteBytes: Uint8Array): Promise<PeerModel & { patched: number }> {
  const lib = loadPeer();
  const { bytes, patched } = zeroBiasQuantizedDimension(tfliteBytes);
  const model = await lib.loadTFLiteModel(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer, { numThreads: 1 });
  const runner = model.modelRunner;
  const input = runner.getInputs()[0], output = runner.getOutputs()[0];
  return {
    patched,
    build: scriptsLoaded.join(', '),
    run(x: Uint8Array): Uint8Array {
      const d = input.data();
      new Uint8Array(d.buffer, d.byteOffset, d.byteLength).set(x);
      if (!runner.infer()) throw new Error('tflite infer() failed');
      const o = output.data();
      return new Uint8Array(o.buffer, o.byteOffset, o.byteLength).slice();
    },
  };
}
