// The harness the stateful-op tests (LSTM, SVDF) share: a converted model runs a stream of
// invokes in the simd, scalar and streamed builds, and each invoke's bytes must equal
// tflm-run's -- carrying state from invoke to invoke, or from a fresh state after reset().

import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { runCommand } from '../src/cli/run.js';
import { REPO } from './helpers.js';
import { Model } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';

/** The three builds by name, each with `epk` loaded. */
export async function builds(epk: Uint8Array): Promise<[string, Model][]> {
  return [['simd', await loadModelNode(epk, 'simd')], ['scalar', await loadModelNode(epk, 'scalar')], ['streamed', await loadModelStreamed(epk)]];
}

/** Every output of one invoke, concatenated in model order (as tflm-run writes them). */
export const bytes = (outs: Uint8Array[]) => Array.from(Buffer.concat(outs));

/** In every build the stream gives `want` invoke by invoke, and after reset() the first invoke gives want[0] again. */
export async function assertStream(epk: Uint8Array, inputs: Uint8Array[][], want: Uint8Array[], what: string): Promise<void> {
  for (const [build, m] of await builds(epk)) {
    inputs.forEach((inv, i) => assert.equal(bytes(m.run(...inv)), Array.from(want[i]), `${what}, ${build}, invoke ${i}: differs from tflm-run`));
    m.reset();
    assert.equal(bytes(m.run(...inputs[0])), Array.from(want[0]), `${what}, ${build}: after reset() the first invoke's output`);
  }
}

/** In every build each invoke after reset() gives `fresh` (tflm-run --fresh). */
export async function assertFresh(epk: Uint8Array, inputs: Uint8Array[][], fresh: Uint8Array[], what: string): Promise<void> {
  for (const [build, m] of await builds(epk)) {
    inputs.forEach((inv, i) => {
      m.reset();
      assert.equal(bytes(m.run(...inv)), Array.from(fresh[i]), `${what}, ${build}, invoke ${i} after reset(): differs from tflm-run --fresh`);
    });
  }
}

/** `edgepack run` on every target and the WASI command, each over the whole batch in one run, give `want` (every invoke's outputs, back to back). */
export async function assertBatchCommands(epk: Uint8Array, inputs: Uint8Array[][], want: Uint8Array, what: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'edgepack-stream-'));
  try {
    writeFileSync(join(dir, 'model.epk'), epk);
    writeFileSync(join(dir, 'in.bin'), Buffer.concat(inputs.map((inv) => inv[0])));
    for (const target of ['simd', 'scalar', 'streamed']) {
      await runCommand([join(dir, 'model.epk'), '--input', join(dir, 'in.bin'), '--output', join(dir, `out-${target}.bin`), '--target', target]);
      assert.equal(Array.from(readFileSync(join(dir, `out-${target}.bin`))), Array.from(want), `${what}: edgepack run --target ${target}`);
    }
    const errFd = openSync(join(dir, 'stderr'), 'w');
    const wasi = new WASI({ version: 'preview1', args: ['edgepack-run', 'model.epk', 'in.bin', 'out-wasi.bin'], preopens: { '.': dir }, stderr: errFd, returnOnExit: true });
    const wasm = new WebAssembly.Module(readFileSync(join(REPO, 'build', 'edgepack-run.wasm')));
    const code = wasi.start(await WebAssembly.instantiate(wasm, wasi.getImportObject() as WebAssembly.Imports));
    closeSync(errFd);
    assert.is(code, 0, readFileSync(join(dir, 'stderr'), 'utf8'));
    assert.equal(Array.from(readFileSync(join(dir, 'out-wasi.bin'))), Array.from(want), `${what}: WASI command`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
