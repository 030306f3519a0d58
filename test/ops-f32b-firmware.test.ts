// The firmware path runs the float32 forms of groups a, b, c: the wasm2c C firmware (native gcc,
// resident and streamed, the model-specific runtime with only misc_f32 + move_f32, and a
// Cortex-M4 under QEMU) of the chain buildF32BNet (MIRROR_PAD ... LOG_SOFTMAX, ARG_MAX) gives the
// scalar wasm build's bytes, which test/ops-f32b-tflm.test.ts holds to tflm-run (within 1e-5 for
// LOG_SOFTMAX, ARG_MAX equal).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { loadModelNode } from '../src/runtime/node.js';
import { buildF32BNet } from '../src/testing/f32b-models.js';
import { buildModelFirmware, hex, runFirmware, toolAvailable } from '../tools/firmware/build.js';
import { rng } from './tflm-oracle.js';

const haveTools = toolAvailable('wasm2c') && toolAvailable('gcc');
const haveM4 = haveTools && toolAvailable('arm-none-eabi-gcc') && toolAvailable('qemu-system-arm');
if (!haveTools) console.log('  (skipped: needs wasm2c and gcc)');

const { epk } = convertModel(buildF32BNet(), 'f32b.tflite', { log: () => {} });
const r = rng(440);
const cases = [0, 1].map(() => new Uint8Array(Float32Array.from({ length: 32 }, () => (r() * 2 - 1) * 3).buffer));

async function check(target: 'native' | 'm4', mode: 'resident' | 'streamed', specific = false): Promise<void> {
  const m = await loadModelNode(epk, 'scalar');
  const fw = await buildModelFirmware('f32b', target, mode, epk, cases, 0, false, specific);
  const run = runFirmware(fw.elf, target);
  cases.forEach((c, k) => assert.is(run.outputs[k], hex(Buffer.concat(m.run(c))), `${target} ${mode}${specific ? ' specific' : ''} case ${k}`));
}

test('float32 chain of the new kernels: native firmware, resident and streamed, and a misc_f32 + move_f32 runtime: the scalar build\'s bytes', async () => {
  if (!haveTools) return;
  await check('native', 'resident');
  await check('native', 'streamed');
  await check('native', 'resident', true);
});

test('float32 chain of the new kernels: Cortex-M4 firmware under QEMU: the scalar build\'s bytes', async () => {
  if (!haveM4) return;
  await check('m4', 'resident');
});

test.run();
