// The host loader: load(epk) in Node with the default build or explicit module bytes
// (how a browser passes it), the resident build imports nothing, inputs are checked.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { convertModel, load } from '../src/index.js';
import { runtimePath } from '../src/runtime/node.js';
import { buildTinyCnn, randomInt8 } from '../src/testing/models.js';

const { epk } = convertModel(buildTinyCnn(), 'tiny.tflite');
const input = new Uint8Array(randomInt8(768).buffer);

test('load(epk) with the default build equals load with explicit module bytes', async () => {
  const a = await load(epk);
  const b = await load(epk, { wasm: readFileSync(runtimePath('scalar')), target: 'scalar' });
  assert.equal(a.run(input), b.run(input));
  assert.is(a.inputCount, 1);
  assert.is(a.outputCount, 1);
  assert.is(a.inputBytes(0), 768);
  assert.is(a.outputBytes(0), 10);
});

test('both runtime builds import nothing and export the ABI', () => {
  for (const target of ['scalar', 'simd'] as const) {
    const m = new WebAssembly.Module(readFileSync(runtimePath(target)));
    assert.equal(WebAssembly.Module.imports(m), [], target);
    const names = WebAssembly.Module.exports(m).map((e) => e.name);
    for (const f of ['memory', 'ep_model_buffer', 'ep_load', 'ep_invoke', 'ep_input_ptr', 'ep_output_ptr', 'ep_error_ptr', 'ep_error_len']) {
      assert.ok(names.includes(f), `${target} exports ${f}`);
    }
  }
});

test('run() checks input count and size', async () => {
  const m = await load(epk);
  assert.throws(() => m.run(), /model has 1 inputs, 0 given/);
  assert.throws(() => m.run(new Uint8Array(5)), /input 0 must be 768 bytes, got 5/);
});

test.run();
