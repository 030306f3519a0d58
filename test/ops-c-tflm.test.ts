// Group c's int8 ops (issue 10) bit-exact with TFLM: LOG_SOFTMAX.
// Random shapes, input scales and zero points, each model built in code
// (src/testing/ops-c-models.ts) and run in tflm-run and in the simd, scalar and streamed
// builds (test/tflm-oracle.ts); a few also in the WASI command (build/edgepack-run.wasm).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WASI } from 'node:wasi';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { logSoftmaxCase, logSoftmaxModel } from '../src/testing/ops-c-models.js';
import { assertMatchesTflm, hasTflm, rng, runTflm } from './tflm-oracle.js';
import { REPO } from './helpers.js';

const CASES = 24;
const INVOKES = 3; // random inputs per case

function skip(): boolean {
  if (!hasTflm) console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)');
  return !hasTflm;
}

test('LOG_SOFTMAX: bit-exact with tflm-run (rank 1-4, input scales 2^-12 to 2^7, rows near one value and random)', async () => {
  if (skip()) return;
  const r = rng(401);
  for (let c = 0; c < CASES; c++) {
    const { model, inputs, what } = logSoftmaxCase(r, INVOKES);
    await assertMatchesTflm(`log_softmax ${c}: ${what}`, model, inputs);
  }
});

test('LOG_SOFTMAX: bit-exact with tflm-run on every input byte against every row maximum (depth 2, 256 x 256 rows)', async () => {
  if (skip()) return;
  const x = new Int8Array(256 * 256 * 2);
  for (let a = 0; a < 256; a++) for (let m = 0; m < 256; m++) { x[2 * (a * 256 + m)] = a - 128; x[2 * (a * 256 + m) + 1] = m - 128; }
  for (const s of [0.0005, 0.02, 0.1, 0.75, 50]) {
    await assertMatchesTflm(`log_softmax all pairs in ${s}`, logSoftmaxModel([256 * 256, 2], Math.fround(s), 3), [[new Uint8Array(x.buffer)]]);
  }
});

test('LOG_SOFTMAX in the WASI command: every invoke back to back, bit-exact with tflm-run', async () => {
  if (skip()) return;
  const wasm = new WebAssembly.Module(readFileSync(join(REPO, 'build', 'edgepack-run.wasm')));
  const r = rng(409);
  for (let c = 0; c < 6; c++) {
    const { model, inputs, what } = logSoftmaxCase(r, INVOKES);
    const dir = mkdtempSync(join(tmpdir(), 'edgepack-ops-c-'));
    try {
      writeFileSync(join(dir, 'model.epk'), convertModel(model, 'log-softmax.tflite', { log: () => {} }).epk);
      writeFileSync(join(dir, 'in.bin'), Buffer.concat(inputs.map((i) => i[0])));
      const errPath = join(dir, '.stderr');
      const errFd = openSync(errPath, 'w');
      const wasi = new WASI({ version: 'preview1', args: ['edgepack-run', 'model.epk', 'in.bin', 'out.bin'], preopens: { '.': dir }, stderr: errFd, returnOnExit: true });
      const code = wasi.start(await WebAssembly.instantiate(wasm, wasi.getImportObject() as WebAssembly.Imports));
      closeSync(errFd);
      assert.is(readFileSync(errPath, 'utf8'), '', what);
      assert.is(code, 0, what);
      const want = Buffer.concat(runTflm(model, inputs));
      assert.ok(Buffer.from(readFileSync(join(dir, 'out.bin'))).equals(want), `log_softmax wasi ${c}: ${what}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test.run();
