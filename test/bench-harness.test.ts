// Smoke test of the benchmark harness's pieces that do not time anything: the hand-assembled
// roofline module and the in-memory TFLite fix the peer needs for person_detect.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { rooflineModule } from '../tools/bench/roofline.js';
import { zeroBiasQuantizedDimension } from '../tools/bench/peer-tflite.js';
import { SHARED, hasShared, readBytes, skipNotice } from './helpers.js';

test('roofline module is valid wasm and runs its dot chains', () => {
  const bytes = rooflineModule();
  assert.ok(WebAssembly.validate(bytes as BufferSource));
  const run = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource)).exports.run as (n: number) => number;
  assert.is(run(0), 0); // no iteration: accumulators stay 0
  assert.is.not(run(3), 0);
  assert.is(run(3), run(3)); // deterministic
});

test('person_detect: quantized_dimension zeroed on exactly 14 bias tensors, 4 bytes each, input untouched', () => {
  if (!hasShared) return skipNotice('person_detect.tflite');
  const original = readBytes(join(SHARED, 'models', 'person_detect.tflite'));
  const before = original.slice();
  const { bytes, patched } = zeroBiasQuantizedDimension(original);
  assert.is(patched, 14);
  assert.equal(original, before);
  let changed = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== original[i]) changed++;
  assert.ok(changed >= 14 && changed <= 14 * 4, `${changed} bytes changed`);
  assert.is(zeroBiasQuantizedDimension(bytes).patched, 0);
});

test.run();
