// Cortex-M4F firmware under QEMU mps2-an386 (streamed build, model in flash): person_detect,
// ic_resnet8_int8 and kws_dscnn_int8 must give TFLM's golden bytes. Two cases per model
// (input_rand_0 and one more) keep CI to seconds; `npm run bench:mcu` checks every case.
// mobilenet_v2 is left out: minutes per inference under QEMU.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toolAvailable } from '../tools/firmware/build.js';
import { measureModel } from '../tools/firmware/measure.js';
import { goldenModels, skipNotice } from './helpers.js';

skipNotice('Cortex-M4 firmware tests');
const haveTools = ['wasm2c', 'arm-none-eabi-gcc', 'qemu-system-arm'].every(toolAvailable);
if (!haveTools) console.log('  (skipped: needs wasm2c, arm-none-eabi-gcc and qemu-system-arm)');
const only = process.env.GOLDEN_MODELS?.split(',');
const M4_MODELS = ['person_detect', 'ic_resnet8_int8', 'kws_dscnn_int8'];

for (const g of goldenModels().filter((m) => haveTools && M4_MODELS.includes(m.name) && (!only || only.includes(m.name)))) {
  test(`Cortex-M4 (QEMU) ${g.name}: golden-exact, instructions counted`, async () => {
    const f = await measureModel(g.name, 'streamed', 2);
    assert.ok(f.exact, 'outputs differ from TFLM golden');
    assert.is(f.casesChecked, 2);
    assert.ok(f.instructions > 0, 'no instruction count');
    // the counter around a loop of exactly 10^8 instructions (subs; bne), crossing SysTick wraps
    assert.ok(f.calibration >= 100_000_000 && f.calibration <= 100_000_050, `counter check read ${f.calibration}`);
    assert.ok(f.ramBytes >= f.linearMemoryBytes, 'RAM must include the linear memory');
  });
}

test.run();
