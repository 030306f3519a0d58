// Streamed build: the .epk stays in host memory, constants come through env.ep_read into
// a bounded stage. Outputs must equal TFLM's golden bytes both with a stage big enough for
// every op and with the smallest stage (conv/FC tiled by output channel).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { ErrorCode } from '../src/format/constants.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode, runtimeModule } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { goldenModels, readBytes, skipNotice } from './helpers.js';

skipNotice('streamed golden tests');
const STREAMED_MODELS = (process.env.GOLDEN_MODELS ?? 'person_detect,kws_dscnn_int8,ic_resnet8_int8').split(',');

test('imports: resident builds have none, the streamed build exactly env.ep_read', () => {
  assert.equal(WebAssembly.Module.imports(runtimeModule('scalar')), []);
  assert.equal(WebAssembly.Module.imports(runtimeModule('simd')), []);
  assert.equal(WebAssembly.Module.imports(streamedModule()), [{ module: 'env', name: 'ep_read', kind: 'function' }]);
});

for (const g of goldenModels().filter((m) => STREAMED_MODELS.includes(m.name))) {
  test(`streamed ${g.name}: golden-exact with a whole stage and with the smallest (tiled) stage`, async () => {
    // plain row layouts: the streamed build tiles conv/FC weights by output channel
    const { epk, plan } = convertModel(readBytes(g.modelPath), g.name, { weightLayouts: false });
    const copy = epk.slice();
    const whole = await loadModelStreamed(epk);
    const mem = whole.memory();
    const smallest = await loadModelStreamed(epk, mem.stageMinBytes);
    // an op writing over its input is never tiled (plan-memory): kws's widest ops all do
    assert.ok(mem.stageMinBytes < mem.stageWholeBytes || plan.overlaps.length > 0, 'the smallest stage should force tiling');
    assert.is(mem.arenaBytes, plan.arenaBytes);
    assert.is(mem.stageBytes, mem.stageWholeBytes);
    const resident = await loadModelNode(epk, 'scalar');
    assert.ok(mem.usedBytes < resident.memoryBytes, 'streamed RAM below resident');
    for (const model of [whole, smallest]) {
      for (const c of g.manifest.cases) {
        const [out] = model.run(readBytes(join(g.dir, c.input)));
        assert.equal(Buffer.from(out).toString('hex'), Buffer.from(readBytes(join(g.dir, c.output))).toString('hex'), c.input);
      }
    }
    assert.equal(epk, copy, 'the host copy of the .epk is never modified');
  });
}

test('streamed: blocked weight layouts (the default conversion) run golden-exact, staged whole', async () => {
  const g = goldenModels().find((m) => m.name === 'kws_dscnn_int8');
  if (!g) return;
  const { epk } = convertModel(readBytes(g.modelPath), g.name);
  const model = await loadModelStreamed(epk);
  for (const c of g.manifest.cases.slice(0, 4)) {
    const [out] = model.run(readBytes(join(g.dir, c.input)));
    assert.equal(Buffer.from(out).toString('hex'), Buffer.from(readBytes(join(g.dir, c.output))).toString('hex'), c.input);
  }
});

test('streamed: a stage below the minimum is refused with OUT_OF_MEMORY and the minimum', async () => {
  const g = goldenModels().find((m) => m.name === 'kws_dscnn_int8');
  if (!g) return;
  const { epk } = convertModel(readBytes(g.modelPath), g.name);
  const min = (await loadModelStreamed(epk, 0)).memory().stageMinBytes;
  try {
    await loadModelStreamed(epk, min - 1);
    assert.unreachable('should refuse');
  } catch (e) {
    assert.instance(e, RuntimeError);
    assert.is((e as RuntimeError).code, ErrorCode.OutOfMemory);
    assert.match((e as Error).message, `needs at least ${min}`);
  }
});

test('streamed: a corrupted or truncated host copy is refused (BAD_CRC, TRUNCATED)', async () => {
  const g = goldenModels().find((m) => m.name === 'kws_dscnn_int8');
  if (!g) return;
  const { epk } = convertModel(readBytes(g.modelPath), g.name);
  const bad = epk.slice();
  bad[bad.length - 1] ^= 1;
  assert.is(await loadError(bad), ErrorCode.BadCrc);
  assert.is(await loadError(epk.subarray(0, epk.length - 7)), ErrorCode.Truncated);
});

async function loadError(epk: Uint8Array): Promise<number> {
  try {
    await loadModelStreamed(epk);
  } catch (e) {
    if (e instanceof RuntimeError) return e.code;
    throw e;
  }
  return ErrorCode.Ok;
}

test.run();
