// The wasm2c firmware built natively with gcc: the scalar (resident) and streamed runtimes
// translated to C, the bare-metal wasm-rt, the C host and the model as a const array.
// Every golden case of every shared int8 model must come out byte-identical to TFLM's.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { buildModelFirmware, hex, runFirmware, toolAvailable } from '../tools/firmware/build.js';
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

test.run();
