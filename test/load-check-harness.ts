// The harness the load-check tests share: every build loads an edited `.epk` (host memory limit
// out of the way, so the runtime's own checks answer) and must refuse it with the same error
// code and a message matching the same pattern -- never load it, never trap; the WASI command too
// where a test asks.

import * as assert from 'uvu/assert';
import { WASI } from 'node:wasi';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from './helpers.js';
import { ErrorCode } from '../src/format/constants.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';

/** A host memory limit no test model reaches. */
export const BIG = 2 ** 40;

export type Loaded = { run(...inputs: Uint8Array[]): Uint8Array[] };

/** The three builds by name, each loading a `.epk`. */
export const builds: [string, (b: Uint8Array) => Promise<Loaded>][] = [
  ['simd', (b) => loadModelNode(b, 'simd', BIG)],
  ['scalar', (b) => loadModelNode(b, 'scalar', BIG)],
  ['streamed', (b) => loadModelStreamed(b, 0, streamedModule(), { maxMemory: BIG })],
];

/** Every build refuses `b` with RuntimeError `code` and a message matching `pattern`. */
export async function refusedEverywhere(b: Uint8Array, code: ErrorCode, pattern: RegExp): Promise<void> {
  for (const [name, load] of builds) {
    try {
      await load(b);
      assert.unreachable(`${name} loaded it`);
    } catch (err) {
      assert.instance(err, RuntimeError, `${name}: ${String(err)}`);
      assert.is((err as RuntimeError).code, code, `${name}: ${(err as Error).message}`);
      assert.match((err as Error).message, pattern, `${name}: ${(err as Error).message}`);
    }
  }
}

let wasiModule: WebAssembly.Module | undefined;

/** The WASI command (`build/edgepack-run.wasm`) on `b` with `inputBytes` zero bytes of input: exit code and stderr. */
export async function runWasi(b: Uint8Array, inputBytes: number): Promise<{ exit: number; stderr: string }> {
  wasiModule ??= new WebAssembly.Module(readFileSync(join(REPO, 'build', 'edgepack-run.wasm')));
  const dir = mkdtempSync(join(tmpdir(), 'edgepack-load-check-'));
  try {
    writeFileSync(join(dir, 'model.epk'), b);
    writeFileSync(join(dir, 'in.bin'), new Uint8Array(inputBytes));
    const errFd = openSync(join(dir, '.stderr'), 'w');
    const wasi = new WASI({ version: 'preview1', args: ['edgepack-run', 'model.epk', 'in.bin', 'out.bin'], preopens: { '.': dir }, stderr: errFd, returnOnExit: true });
    const exit = wasi.start(await WebAssembly.instantiate(wasiModule, wasi.getImportObject() as WebAssembly.Imports));
    closeSync(errFd);
    return { exit, stderr: readFileSync(join(dir, '.stderr'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** As refusedEverywhere, and the WASI command exits 1 with the same code and a matching message. */
export async function refusedEverywhereAndWasi(b: Uint8Array, code: ErrorCode, pattern: RegExp, inputBytes: number): Promise<void> {
  const w = await runWasi(b, inputBytes);
  assert.is(w.exit, 1, `wasi: ${w.stderr}`);
  assert.ok(w.stderr.startsWith(`edgepack-run: model.epk: error ${code}: `), `wasi: ${w.stderr}`);
  assert.match(w.stderr, pattern, `wasi: ${w.stderr}`);
  await refusedEverywhere(b, code, pattern);
}
