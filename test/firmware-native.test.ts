// The wasm2c firmware built natively with gcc: the scalar runtime translated to C, the
// bare-metal wasm-rt, the C host and the model as a const array. Every golden case of
// every shared int8 model must come out byte-identical to TFLM's output.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { loadModelNode, runtimePath } from '../src/runtime/node.js';
import { buildFirmware, hex, runFirmware, toolAvailable } from '../tools/firmware/build.js';
import { goldenModels, readBytes, skipNotice } from './helpers.js';

skipNotice('native firmware tests');
const only = process.env.GOLDEN_MODELS?.split(',');
const haveTools = toolAvailable('wasm2c') && toolAvailable('gcc');
if (!haveTools) console.log('  (skipped: native firmware needs wasm2c and gcc)');

for (const g of goldenModels().filter((m) => haveTools && (!only || only.includes(m.name)))) {
  test(`firmware (wasm2c, native gcc) ${g.name}: every golden case bit-exact`, async () => {
    const { epk } = convertModel(readBytes(g.modelPath), g.name);
    const model = await loadModelNode(epk, 'scalar');
    const elf = buildFirmware({
      name: `${g.name}-native`, target: 'native', wasm: runtimePath('scalar'), epk,
      cases: g.manifest.cases.map((c) => readBytes(join(g.dir, c.input))),
      measureCase: 0, memoryBytes: model.memoryBytes,
    });
    const run = runFirmware(elf, 'native');
    assert.is(run.memoryBytes, model.memoryBytes, 'linear memory differs from the Node loader');
    g.manifest.cases.forEach((c, k) => {
      assert.is(run.outputs[k], hex(readBytes(join(g.dir, c.output))), `${c.input}`);
    });
  });
}

test.run();
