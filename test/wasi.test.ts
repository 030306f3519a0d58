// The WASI command (build/edgepack-run.wasm) under Node's node:wasi, as `wasmtime run
// --dir . edgepack-run.wasm model.epk in.bin out.bin` would run it: N golden inputs back
// to back in, N outputs back to back out, byte-identical to TFLM's. Plus its errors.
// mobilenet_v2 is left to the golden test (its 16 cases take long in the scalar build).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WASI } from 'node:wasi';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { buildTinyCnn } from '../src/testing/models.js';
import { REPO, goldenModels, readBytes, skipNotice } from './helpers.js';

skipNotice('WASI golden tests');
const wasm = new WebAssembly.Module(readFileSync(join(REPO, 'build', 'edgepack-run.wasm')));
const only = process.env.GOLDEN_MODELS?.split(',');

/** Runs the command in `dir` (preopened as "."); returns exit code and stderr. */
async function runWasi(dir: string, args: string[]): Promise<{ code: number; stderr: string }> {
  const errPath = join(dir, '.stderr');
  const errFd = openSync(errPath, 'w');
  const wasi = new WASI({ version: 'preview1', args: ['edgepack-run', ...args], preopens: { '.': dir }, stderr: errFd, returnOnExit: true });
  const instance = await WebAssembly.instantiate(wasm, wasi.getImportObject() as WebAssembly.Imports);
  const code = wasi.start(instance);
  closeSync(errFd);
  const stderr = readFileSync(errPath, 'utf8');
  rmSync(errPath);
  return { code, stderr };
}

function cat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p)));
}

test('WASI module: a command (_start, memory; ep_reset as in every build) importing only wasi_snapshot_preview1', () => {
  const exports = WebAssembly.Module.exports(wasm).map((e) => e.name).sort();
  assert.equal(exports, ['_start', 'ep_reset', 'memory']);
  assert.ok(WebAssembly.Module.imports(wasm).every((i) => i.module === 'wasi_snapshot_preview1'));
});

for (const g of goldenModels().filter((m) => m.name !== 'mobilenet_v2_224_nchw_int8' && (!only || only.includes(m.name)))) {
  test(`WASI ${g.name}: all golden inputs back to back, outputs bit-exact`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgepack-wasi-'));
    try {
      writeFileSync(join(dir, 'model.epk'), convertModel(readBytes(g.modelPath), g.name).epk);
      const input = cat(g.manifest.cases.map((c) => readBytes(join(g.dir, c.input))));
      writeFileSync(join(dir, 'in.bin'), input);
      const r = await runWasi(dir, ['model.epk', 'in.bin', 'out.bin']);
      assert.is(r.stderr, '');
      assert.is(r.code, 0);
      const want = cat(g.manifest.cases.map((c) => readBytes(join(g.dir, c.output))));
      assert.ok(Buffer.from(readBytes(join(dir, 'out.bin'))).equals(Buffer.from(want)), 'outputs differ from golden');
      assert.ok(Buffer.from(readBytes(join(dir, 'in.bin'))).equals(Buffer.from(input)), 'input modified');
      assert.equal(readdirSync(dir).sort(), ['in.bin', 'model.epk', 'out.bin'], 'no temp file left');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('WASI errors: usage, missing file, ragged input, corrupted model; OUT untouched', async () => {
  const g = goldenModels().find((m) => m.name === 'kws_dscnn_int8');
  if (!g) return;
  const dir = mkdtempSync(join(tmpdir(), 'edgepack-wasi-'));
  try {
    const epk = convertModel(readBytes(g.modelPath), g.name).epk;
    writeFileSync(join(dir, 'model.epk'), epk);
    writeFileSync(join(dir, 'in.bin'), new Uint8Array(g.manifest.input.bytes + 1));
    let r = await runWasi(dir, ['model.epk', 'out.bin']);
    assert.is(r.code, 2);
    assert.match(r.stderr, 'usage: edgepack-run MODEL.epk IN.bin');
    r = await runWasi(dir, ['nope.epk', 'in.bin', 'out.bin']);
    assert.is(r.code, 1);
    assert.is(r.stderr, 'edgepack-run: cannot read model nope.epk: no such file\n');
    r = await runWasi(dir, ['model.epk', 'in.bin', 'out.bin']);
    assert.is(r.code, 2);
    assert.is(r.stderr, `edgepack-run: in.bin: ${g.manifest.input.bytes + 1} bytes is not a whole number of ${g.manifest.input.bytes}-byte input tensors (input 0)\n`);
    const bad = epk.slice();
    bad[bad.length - 1] ^= 0xff;
    writeFileSync(join(dir, 'bad.epk'), bad);
    writeFileSync(join(dir, 'in.bin'), new Uint8Array(g.manifest.input.bytes));
    r = await runWasi(dir, ['bad.epk', 'in.bin', 'out.bin']);
    assert.is(r.code, 1);
    assert.is(r.stderr, 'edgepack-run: bad.epk: error 4: CRC-32 mismatch: the file is corrupted at byte offset 12\n');
    assert.not.ok(existsSync(join(dir, 'out.bin')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('WASI temp files: a per-run OUT.<16 hex>.edgepack-tmp, created exclusively, different every run, none left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgepack-wasi-'));
  try {
    writeFileSync(join(dir, 'model.epk'), convertModel(buildTinyCnn(), 'tiny').epk);
    writeFileSync(join(dir, 'in.bin'), new Uint8Array(768 * 2));
    const created: string[] = [];
    for (let run = 0; run < 2; run++) {
      const wasi = new WASI({ version: 'preview1', args: ['edgepack-run', 'model.epk', 'in.bin', 'out.bin'], preopens: { '.': dir }, returnOnExit: true });
      const imports = wasi.getImportObject() as { wasi_snapshot_preview1: Record<string, (...a: number[]) => number> };
      const w = imports.wasi_snapshot_preview1, open = w.path_open;
      let memory: WebAssembly.Memory | undefined;
      // path_open(dir, dirflags, path, len, oflags, ...): log the names created (oflags & O_CREAT)
      w.path_open = (...a: number[]) => {
        if (a[4] & 1) created.push(`${new TextDecoder().decode(new Uint8Array(memory!.buffer, a[2], a[3]))} oflags ${a[4]}`);
        return open(...a);
      };
      const instance = await WebAssembly.instantiate(wasm, imports as unknown as WebAssembly.Imports);
      memory = instance.exports.memory as WebAssembly.Memory;
      assert.is(wasi.start(instance), 0);
    }
    assert.is(created.length, 2);
    for (const c of created) assert.match(c, /^out\.bin\.[0-9a-f]{16}\.edgepack-tmp oflags 13$/); // CREAT | EXCL | TRUNC
    assert.is.not(created[0], created[1]);
    assert.equal(readdirSync(dir).sort(), ['in.bin', 'model.epk', 'out.bin']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
