// The firmware path runs float32 models (group f32): the wasm2c C firmware (native gcc, and
// Cortex-M4 under QEMU) of hello_world_float32 and ic_resnet8_float32, converted without
// --calibrate, gives tflm-run's bytes; the model-specific runtime (only the *_F32 variants
// compiled in, asc --use EP_KERNELS/EP_KERNELS_HI) too.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { buildModelFirmware, hex, runFirmware, toolAvailable } from '../tools/firmware/build.js';
import { hasTflm, runTflm } from './tflm-oracle.js';
import { SHARED } from './helpers.js';

const haveTools = toolAvailable('wasm2c') && toolAvailable('gcc');
const haveM4 = haveTools && toolAvailable('arm-none-eabi-gcc') && toolAvailable('qemu-system-arm');
if (!haveTools || !hasTflm) console.log('  (skipped: needs wasm2c, gcc and tflm-run)');

const model = (n: string) => new Uint8Array(readFileSync(join(SHARED, 'models', n)));
const hello = model('hello_world_float32.tflite');
const helloCases = [0.5, 2.0, 5.5].map((v) => new Uint8Array(Float32Array.of(v).buffer));

async function check(name: string, m: Uint8Array, cases: Uint8Array[], target: 'native' | 'm4', modes: ('resident' | 'streamed')[], specific = false): Promise<void> {
  const { epk } = convertModel(m, name, { log: () => {} });
  const want = runTflm(m, cases.map((c) => [c]));
  for (const mode of modes) {
    const fw = await buildModelFirmware(`${name}-f32`, target, mode, epk, cases, 0, false, specific);
    const run = runFirmware(fw.elf, target);
    cases.forEach((_, k) => assert.is(run.outputs[k], hex(want[k]), `${name} ${target} ${mode}${specific ? ' specific' : ''} case ${k}`));
  }
}

test('hello_world_float32: native firmware, resident and streamed, and a float-only runtime: tflm-run\'s bytes', async () => {
  if (!haveTools || !hasTflm) return;
  await check('hello_world_float32', hello, helloCases, 'native', ['resident', 'streamed']);
  await check('hello_world_float32', hello, helloCases, 'native', ['resident'], true);
});

test('ic_resnet8_float32: native firmware (resident) on 2 CIFAR images: tflm-run\'s bytes', async () => {
  if (!haveTools || !hasTflm) return;
  const all = readFileSync(join(SHARED, 'data', 'cifar10', 'cifar10_test_dev1000_u8_rgb_hwc.bin'));
  const cases = [0, 500].map((i) => new Uint8Array(Float32Array.from(all.subarray(i * 3072, (i + 1) * 3072)).buffer));
  await check('ic_resnet8_float32', model('ic_resnet8_float32.tflite'), cases, 'native', ['resident']);
});

test('hello_world_float32: Cortex-M4 firmware under QEMU: tflm-run\'s bytes', async () => {
  if (!haveM4 || !hasTflm) return;
  await check('hello_world_float32', hello, helloCases, 'm4', ['resident']);
});

test.run();
