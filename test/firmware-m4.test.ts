// Cortex-M4F firmware under QEMU mps2-an386 (streamed build, model in flash): person_detect,
// ic_resnet8_int8 and kws_dscnn_int8 must give TFLM's golden bytes. Two cases per model
// (input_rand_0 and one more) keep CI to seconds; `npm run bench:mcu` checks every case.
// mobilenet_v2 is left out: minutes per inference under QEMU.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { STACK_BYTES, toolAvailable } from '../tools/firmware/build.js';
import { measureModel } from '../tools/firmware/measure.js';
import { goldenModels, skipNotice } from './helpers.js';

skipNotice('Cortex-M4 firmware tests');
const haveTools = ['wasm2c', 'arm-none-eabi-gcc', 'qemu-system-arm'].every(toolAvailable);
if (!haveTools) console.log('  (skipped: needs wasm2c, arm-none-eabi-gcc and qemu-system-arm)');
const only = process.env.GOLDEN_MODELS?.split(',');
const M4_MODELS = ['person_detect', 'ic_resnet8_int8', 'kws_dscnn_int8'];

for (const g of goldenModels().filter((m) => haveTools && M4_MODELS.includes(m.name) && (!only || only.includes(m.name)))) {
  test(`Cortex-M4 (QEMU) ${g.name}: model-specific streamed image golden-exact, RAM to the byte`, async () => {
    const f = await measureModel(g.name, 'streamed', 2, false, true);
    assert.ok(f.exact, 'outputs differ from TFLM golden');
    assert.is(f.casesChecked, 2);
    assert.ok(f.modelSpecific && !f.kernels.includes('all'), 'runtime built with the model\'s kernels only');
    assert.ok(f.instructions > 0, 'no instruction count');
    // the counter around a loop of exactly 10^8 instructions (subs; bne), crossing SysTick wraps
    assert.ok(f.calibration >= 100_000_000 && f.calibration <= 100_000_050, `counter check read ${f.calibration}`);
    // linear memory: the planned bytes exactly, backed in the image, reported by it, and reached by the runtime
    assert.is(f.linearMemoryBytes, f.plannedLinearMemoryBytes, 'backed linear memory differs from the planned bytes');
    assert.is(f.linearMemoryUsedBytes, f.plannedLinearMemoryBytes, 'runtime high-water mark differs from the planned bytes');
    assert.is(f.ramBytes, f.linearMemoryBytes + f.hostRamBytes + f.stackBytes);
    assert.ok(f.stackBytes >= STACK_BYTES && f.stackBytes < STACK_BYTES + 8, 'stack reserved (+ 8-byte alignment)');
    assert.ok(f.stackPeakBytes + 256 <= STACK_BYTES, `stack peak ${f.stackPeakBytes} B leaves under 256 B of the ${STACK_BYTES} B reserved`);
    // the RAM stated before building (src/runtime/firmware.ts) holds the image's
    assert.ok(f.ramBytes <= f.plannedRamBytes, `image RAM ${f.ramBytes} B exceeds the planned ${f.plannedRamBytes} B`);
  });
}

test.run();
