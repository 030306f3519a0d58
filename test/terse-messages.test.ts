// Terse error messages (tools/terse-messages.mjs, docs/ABI.md "Error messages"): the
// scalar and streamed builds keep message ids, not texts, in linear memory, and every
// host expands them to exactly the text of the full build (simd) for the same file.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { convertModel } from '../src/convert.js';
import { ErrorCode, H, Section } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk } from '../src/format/reader.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { MESSAGE_ESCAPE, expandMessage, messageTable } from '../src/runtime/messages.js';
import { loadModelNode, runtimeModule } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { buildTinyCnn, xorshift32 } from '../src/testing/models.js';
import { buildFirmware, toolAvailable } from '../tools/firmware/build.js';
import { buildSmallModel } from './compression-model.js';

const STATICS_BUDGET = 1280; // bytes below __heap_base in a terse build with every kernel (was 14-16 KB with texts; 1184 since the float EXP/tanh kernels link the standard library's 256-byte exp table; a model-specific firmware carries only what its kernels use)

function resealed(bytes: Uint8Array): Uint8Array {
  const b = bytes.slice();
  new DataView(b.buffer).setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

async function loadError(load: () => Promise<unknown>): Promise<{ code: number; text: string } | null> {
  try {
    await load();
    return null;
  } catch (e) {
    assert.instance(e, RuntimeError, String(e));
    return { code: (e as RuntimeError).code, text: (e as Error).message };
  }
}

/** Broken files: every bit of the metadata flipped in turn (CRC resealed), and truncations. */
function brokenFiles(epk: Uint8Array, seed: number): Uint8Array[] {
  const data = readEpk(epk).sections.find((s) => s.kind === Section.Data)!.offset;
  const rand = xorshift32(seed);
  const files: Uint8Array[] = [];
  for (let at = 16; at < data; at++) {
    const b = epk.slice();
    b[at] ^= 1 << (rand() % 8);
    files.push(resealed(b));
  }
  for (let i = 0; i < 200; i++) {
    const b = epk.slice();
    b[data + (rand() % (epk.length - data))] ^= 1 << (rand() % 8);
    files.push(resealed(b));
  }
  files.push(epk.subarray(0, 20), epk.subarray(0, epk.length - 1), epk.slice(0, 31));
  const crc = epk.slice();
  crc[crc.length - 1] ^= 1;
  files.push(crc);
  return files;
}

const models = [
  convertModel(buildTinyCnn(), 'tiny_cnn.tflite').epk,
  convertModel(buildSmallModel(5), 'small', { log: () => {}, compress: { codebook: 4, huffman: true } }).epk,
  convertModel(buildSmallModel(6), 'small', { log: () => {}, compress: { huffman: true, pack: 'huffman' } }).epk,
];

test('terse builds: message table in a custom section, statics under budget', async () => {
  for (const [name, module] of [['scalar', runtimeModule('scalar')], ['streamed', streamedModule()]] as const) {
    const table = messageTable(module);
    assert.ok(table.length > 100, `${name}: ${table.length} messages`);
    assert.is(table[0], '');
    assert.ok(table.every((t) => /^[\x20-\x7e]*$/.test(t)), `${name}: ASCII texts`);
    const e = (await WebAssembly.instantiate(module, { env: { ep_read: () => 1 } })).exports as Record<string, () => number>;
    const statics = (e.ep_heap_base ?? e.ep_statics_bytes)();
    assert.ok(statics <= STATICS_BUDGET, `${name}: ${statics} bytes of statics`);
  }
  assert.is(messageTable(runtimeModule('simd')).length, 0, 'the full build carries its texts');
});

test('expandMessage: ids, plain bytes and a cut-off escape', () => {
  const table = ['', 'op ', ' failed'];
  const bytes = new Uint8Array([MESSAGE_ESCAPE, 1, 0, 0x37, MESSAGE_ESCAPE, 2, 0, 0x21, MESSAGE_ESCAPE, 9]);
  assert.is(expandMessage(bytes, table), 'op 7 failed!\ufffd\t');
});

test('every error of the terse scalar build reads exactly as the full simd build', async () => {
  const seen = new Set<string>();
  for (const [m, epk] of models.entries()) {
    for (const bytes of brokenFiles(epk, 1 + m)) {
      const full = await loadError(() => loadModelNode(bytes, 'simd'));
      const terse = await loadError(() => loadModelNode(bytes, 'scalar'));
      assert.equal(terse, full);
      if (full) seen.add(full.text.replace(/\d+/g, 'N'));
    }
  }
  assert.ok(seen.size >= 25, `${seen.size} distinct messages exercised`);
});

test('streamed (terse) errors expand to plain text', async () => {
  for (const [m, epk] of models.entries()) {
    for (const bytes of brokenFiles(epk, 10 + m)) {
      const err = await loadError(() => loadModelStreamed(bytes));
      if (err) assert.ok(/^[\x20-\x7e]+$/.test(err.text) && !err.text.includes('<unknown'), err.text);
    }
  }
  const crc = models[0].slice();
  crc[crc.length - 1] ^= 1;
  for (const bytes of [crc, models[0].subarray(0, 20)]) {
    assert.equal(await loadError(() => loadModelStreamed(bytes)), await loadError(() => loadModelNode(bytes, 'simd')));
  }
});

const haveTools = toolAvailable('wasm2c') && toolAvailable('gcc');
test('native firmware prints the expanded message', async () => {
  if (!haveTools) return console.log('  (skipped: needs wasm2c and gcc)');
  const { streamedPath } = await import('../src/runtime/streamed.js');
  const { runtimePath } = await import('../src/runtime/node.js');
  const epk = models[0].slice();
  epk[epk.length - 1] ^= 1;
  const want = (await loadError(() => loadModelNode(epk, 'simd')))!;
  assert.is(want.code, ErrorCode.BadCrc);
  for (const streamed of [false, true]) {
    const elf = buildFirmware({
      name: `terse-messages-${streamed ? 'streamed' : 'resident'}`, target: 'native', epk, cases: [], measureCase: 0,
      memoryBytes: 131072, wasm: streamed ? streamedPath : runtimePath('scalar'), streamScratch: streamed ? 0 : undefined,
    });
    const r = spawnSync(elf, [], { encoding: 'utf8' });
    const text = want.text.replace(/^\w+: /, '');
    assert.is(r.stdout.trim(), `load failed 04: ${text}`);
  }
});

test.run();
