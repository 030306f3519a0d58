// The wasm2c firmware built natively with gcc: the scalar (resident) and streamed runtimes
// translated to C, the bare-metal wasm-rt, the C host and the model as a const array.
// Every golden case of every shared int8 model must come out byte-identical to TFLM's.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { readFileSync } from 'node:fs';
import { buildFirmware, buildModelFirmware, hex, mergeDataSegments, runFirmware, toolAvailable } from '../tools/firmware/build.js';
import { loadModel } from '../src/runtime/loader.js';
import { runtimePath } from '../src/runtime/node.js';
import { streamedPath } from '../src/runtime/streamed.js';
import { goldenModels, readBytes, skipNotice } from './helpers.js';

skipNotice('native firmware tests');
const only = process.env.GOLDEN_MODELS?.split(',');
const haveTools = toolAvailable('wasm2c') && toolAvailable('gcc');
if (!haveTools) console.log('  (skipped: native firmware needs wasm2c and gcc)');

for (const g of goldenModels().filter((m) => haveTools && (!only || only.includes(m.name)))) {
  test(`firmware (wasm2c, native gcc) ${g.name}: every golden case bit-exact, resident and streamed`, async () => {
    const { epk } = convertModel(readBytes(g.modelPath), g.name);
    const cases = g.manifest.cases.map((c) => readBytes(join(g.dir, c.input)));
    for (const mode of ['resident', 'streamed'] as const) {
      const fw = await buildModelFirmware(g.name, 'native', mode, epk, cases);
      const run = runFirmware(fw.elf, 'native');
      // backed to the byte (not whole pages), and the runtime's high-water mark reaches exactly it
      assert.is(run.memoryBytes, fw.linearMemoryBytes, `${mode}: linear memory differs from the Node loader's`);
      assert.is(run.memoryUsedBytes, fw.linearMemoryBytes, `${mode}: high-water mark differs from the planned bytes`);
      g.manifest.cases.forEach((c, k) => {
        assert.is(run.outputs[k], hex(readBytes(join(g.dir, c.output))), `${mode} ${c.input}`);
      });
    }
  });
}

// wasm2c initialises each data segment with its own bounds-checked copy: the firmware build
// merges segments a few bytes apart. The merged module must hold the same statics.
test('mergeDataSegments: few segments, same statics, same outputs', async () => {
  const g = goldenModels().find((m) => m.name === 'kws_dscnn_int8');
  const wasm = new Uint8Array(readFileSync(runtimePath('scalar')));
  const merged = new Uint8Array(mergeDataSegments(wasm));
  assert.ok(merged.length < wasm.length + 4096, 'gaps of at most 32 B');
  const a = new Uint8Array((new WebAssembly.Instance(new WebAssembly.Module(wasm)).exports.memory as WebAssembly.Memory).buffer);
  const b = new Uint8Array((new WebAssembly.Instance(new WebAssembly.Module(merged)).exports.memory as WebAssembly.Memory).buffer);
  assert.ok(Buffer.from(a).equals(Buffer.from(b)), 'linear memory after instantiation differs');
  if (!g) return;
  const { epk } = convertModel(readBytes(g.modelPath), g.name);
  const m = await loadModel(merged, epk);
  const c = g.manifest.cases[0];
  assert.is(hex(m.run(readBytes(join(g.dir, c.input)))[0]), hex(readBytes(join(g.dir, c.output))));
});

// A grant one 16-byte step short of the planned bytes: the load fails with OUT_OF_MEMORY
// (host.c prints it and exits 1), it does not trap on the first access past the backed bytes.
test('firmware (native): a memory grant below the planned bytes fails the load cleanly', async () => {
  const g = goldenModels().find((m) => m.name === 'kws_dscnn_int8');
  if (!haveTools || !g) return;
  const { epk } = convertModel(readBytes(g.modelPath), g.name);
  const cases = [readBytes(join(g.dir, g.manifest.cases[0].input))];
  for (const mode of ['resident', 'streamed'] as const) {
    const fw = await buildModelFirmware(g.name, 'native', mode, epk, cases);
    const elf = buildFirmware({
      name: `${g.name}-native-${mode}-short`, target: 'native', epk, cases, measureCase: 0, memoryBytes: fw.linearMemoryBytes - 16,
      wasm: mode === 'resident' ? runtimePath('scalar') : streamedPath, streamScratch: mode === 'streamed' ? fw.stageBytes : undefined,
    });
    assert.throws(() => runFirmware(elf, 'native'), (e: Error) => /exited with 1: load failed 10: cannot grow memory/.test(e.message), mode);
  }
});

test.run();
