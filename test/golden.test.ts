// Every shared model, every golden input, both builds: output bytes equal TFLM's.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { loadModelNode } from '../src/runtime/node.js';
import { goldenModels, hasShared, readBytes, skipNotice } from './helpers.js';

skipNotice('golden tests');

// GOLDEN_MODELS=a,b limits the run to some models while developing.
const only = process.env.GOLDEN_MODELS?.split(',');

for (const g of goldenModels().filter((m) => !only || only.includes(m.name))) {
  test(`golden ${g.name}: bit-exact with TFLM in both builds, arena within TFLM's`, async () => {
    const { epk, plan } = convertModel(readBytes(g.modelPath), g.name);
    const tflmArena = g.manifest.cortex_m4_qemu?.ref?.arena_used_bytes_m4 ?? g.manifest.arena_used_bytes_x86_64;
    assert.ok(plan.arenaBytes <= tflmArena, `arena ${plan.arenaBytes} > TFLM ${tflmArena}`);
    for (const target of ['scalar', 'simd'] as const) {
      const model = await loadModelNode(epk, target);
      const memoryBefore = model.memoryBytes;
      for (const c of g.manifest.cases) {
        const [out] = model.run(readBytes(join(g.dir, c.input)));
        const want = readBytes(join(g.dir, c.output));
        assert.equal(out.length, want.length);
        const diff = out.findIndex((b, i) => b !== want[i]);
        assert.is(diff, -1, `${target} ${c.input}: first mismatch at byte ${diff}`);
      }
      assert.is(model.memoryBytes, memoryBefore, 'invoke must not grow memory');
    }
  });
}

if (!hasShared) test('golden (skipped)', () => {});

test.run();
