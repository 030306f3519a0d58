// Streamed build: the .epk stays in host memory, constants come through env.ep_read into
// a bounded stage. Outputs must equal TFLM's golden bytes at the default stage (<= 8 KiB),
// with a stage big enough for every op and with the smallest stage (conv/FC tiled by
// output channels, depthwise by channel groups), for blocked and for row weight layouts.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { ErrorCode, OpCode } from '../src/format/constants.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode, runtimeModule } from '../src/runtime/node.js';
import { DEFAULT_STAGE_BYTES, loadModelStreamed, planStreamedMemory, streamedModule } from '../src/runtime/streamed.js';
import { GoldenModel, goldenModels, readBytes, skipNotice } from './helpers.js';

skipNotice('streamed golden tests');
const STREAMED_MODELS = (process.env.GOLDEN_MODELS ?? 'person_detect,kws_dscnn_int8,ic_resnet8_int8').split(',');

test('DEFAULT_STAGE_BYTES: the TypeScript constant is the runtime\'s exported one', async () => {
  const { exports } = await WebAssembly.instantiate(streamedModule(), { env: { ep_read: () => 1 } });
  assert.is((exports.DEFAULT_STAGE_BYTES as WebAssembly.Global).value, DEFAULT_STAGE_BYTES);
});

test('imports: resident builds have none, the streamed build exactly env.ep_read', () => {
  assert.equal(WebAssembly.Module.imports(runtimeModule('scalar')), []);
  assert.equal(WebAssembly.Module.imports(runtimeModule('simd')), []);
  assert.equal(WebAssembly.Module.imports(streamedModule()), [{ module: 'env', name: 'ep_read', kind: 'function' }]);
});

function sameOutputs(model: { run(...x: Uint8Array[]): Uint8Array[] }, g: GoldenModel, cases = g.manifest.cases, what = ''): void {
  for (const c of cases) {
    const [out] = model.run(readBytes(join(g.dir, c.input)));
    assert.equal(Buffer.from(out).toString('hex'), Buffer.from(readBytes(join(g.dir, c.output))).toString('hex'), `${what} ${c.input}`);
  }
}

for (const g of goldenModels().filter((m) => STREAMED_MODELS.includes(m.name))) {
  test(`streamed ${g.name}, default conversion: golden-exact at the default stage (<= 8 KiB), the smallest and the whole`, async () => {
    // blocked layouts: conv/FC tiled by quads of output channels, depthwise by channel groups
    const { epk, plan } = convertModel(readBytes(g.modelPath), g.name, { log: () => {} });
    const copy = epk.slice();
    const byDefault = await loadModelStreamed(epk);
    const mem = byDefault.memory();
    assert.ok(mem.stageBytes <= DEFAULT_STAGE_BYTES, `default stage ${mem.stageBytes}`);
    assert.is(mem.stageBytes, Math.max(mem.stageMinBytes, Math.min(mem.stageWholeBytes, DEFAULT_STAGE_BYTES)));
    // an op writing over its input is never tiled (plan-memory): kws's widest ops all do
    assert.ok(mem.stageMinBytes < mem.stageWholeBytes || plan.overlaps.length > 0, 'the smallest stage should force tiling');
    assert.is(mem.arenaBytes, plan.arenaBytes);
    assert.is(mem.usedBytes, (await planStreamedMemory(epk)).memoryBytes, 'planStreamedMemory states the exact bytes');
    const smallest = await loadModelStreamed(epk, mem.stageMinBytes);
    assert.is(smallest.memory().stageBytes, mem.stageMinBytes);
    const whole = await loadModelStreamed(epk, 0xffffffff);
    assert.is(whole.memory().stageBytes, mem.stageWholeBytes, 'a stage above what every op needs is cut to that');
    const resident = await loadModelNode(epk, 'scalar');
    assert.ok(mem.usedBytes < resident.memoryBytes, 'streamed RAM below resident');
    sameOutputs(byDefault, g, g.manifest.cases, 'default stage');
    sameOutputs(smallest, g, g.manifest.cases, 'smallest stage');
    sameOutputs(whole, g, g.manifest.cases.slice(0, 2), 'whole stage');
    assert.equal(epk, copy, 'the host copy of the .epk is never modified');
  });

  test(`streamed ${g.name}, row layouts: golden-exact with a whole stage and with the smallest (tiled) stage`, async () => {
    const { epk, plan } = convertModel(readBytes(g.modelPath), g.name, { weightLayouts: false, log: () => {} });
    const mem = (await loadModelStreamed(epk)).memory();
    // an op writing over its input is never tiled (plan-memory): kws's widest ops all do
    assert.ok(mem.stageMinBytes < mem.stageWholeBytes || plan.overlaps.length > 0, 'the smallest stage should force tiling');
    for (const stage of [mem.stageWholeBytes, mem.stageMinBytes]) sameOutputs(await loadModelStreamed(epk, stage), g, g.manifest.cases.slice(0, 3), `stage ${stage}`);
  });
}

// The other shared int8 models (micro_speech's FC is 4 x 4000: one quad exceeds 8 KiB, so its K is split)
for (const g of goldenModels().filter((m) => ['hello_world_int8', 'micro_speech_int8', 'sww_dscnn_int8'].includes(m.name))) {
  test(`streamed ${g.name}, default conversion: golden-exact at the default stage (<= 8 KiB) and the smallest`, async () => {
    const { epk } = convertModel(readBytes(g.modelPath), g.name, { log: () => {} });
    const byDefault = await loadModelStreamed(epk);
    const mem = byDefault.memory();
    assert.ok(mem.stageBytes <= DEFAULT_STAGE_BYTES, `default stage ${mem.stageBytes}`);
    sameOutputs(byDefault, g, g.manifest.cases.slice(0, 4), 'default stage');
    sameOutputs(await loadModelStreamed(epk, mem.stageMinBytes), g, g.manifest.cases.slice(0, 4), 'smallest stage');
  });
}

/** A depthwise conv over C channels then a 1x1 conv to oc channels, int8, built in code. */
function depthwiseModel(c: number, k: [number, number], o: Record<string, unknown>, oc: number): Uint8Array {
  const b = new TfliteBuilder();
  const q = (s: number, z: number) => ({ scale: [s], zeroPoint: [z] });
  const wq = (n: number, axis: number) => ({ scale: Array.from({ length: n }, (_, i) => 0.004 + 0.001 * (i % 7)), zeroPoint: new Array(n).fill(0), axis });
  const vals = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((i * 37 + seed * 11) % 255) - 127);
  const x = b.tensor('x', [1, 9, 7, c], 'int8', q(0.05, -3));
  const w = b.constant('dw/w', [1, k[0], k[1], c], 'int8', vals(k[0] * k[1] * c, 1), wq(c, 3));
  const bias = b.constant('dw/b', [c], 'int32', vals(c, 2).map((v) => v * 40), wq(c, 0));
  const [oh, ow] = [Math.ceil(9 / ((o.strideH as number) ?? 1)), Math.ceil(7 / ((o.strideW as number) ?? 1))]; // SAME
  const mid = b.tensor('mid', [1, oh, ow, c], 'int8', q(0.08, 5));
  b.op('DEPTHWISE_CONV_2D', [x, w, bias], [mid], { padding: 'SAME', strideH: 1, strideW: 1, depthMultiplier: 1, activation: 'RELU6', ...o });
  const w2 = b.constant('conv/w', [oc, 1, 1, c], 'int8', vals(oc * c, 3), wq(oc, 0));
  const y = b.tensor('y', [1, oh, ow, oc], 'int8', q(0.1, -7));
  b.op('CONV_2D', [mid, w2, -1], [y], { padding: 'SAME', strideH: 1, strideW: 1, activation: 'NONE' });
  b.io([x], [y]);
  return b.finish();
}

test('streamed: depthwise tiled by channel groups (and conv by quads) equals the untiled and resident runs', async () => {
  for (const [c, k, o, oc] of [
    [21, [3, 3], {}, 10],
    [37, [5, 5], { dilationH: 2, dilationW: 2 }, 6],
    [8, [2, 3], { strideH: 2 }, 12],
  ] as [number, [number, number], Record<string, unknown>, number][]) {
    const src = depthwiseModel(c, k, o, oc);
    const { epk, graph } = convertModel(src, 'dw.tflite', { log: () => {} });
    assert.ok(graph.ops.some((op) => op.kernel?.opcode === OpCode.DepthwiseConv2D && op.inputs.length === 4), 'blocked depthwise layout');
    const mem = (await loadModelStreamed(epk)).memory();
    const resident = await loadModelNode(epk, 'scalar');
    const stages = [mem.stageMinBytes, Math.floor((mem.stageMinBytes + mem.stageWholeBytes) / 2), mem.stageWholeBytes];
    // one quad of either op is below the depthwise's whole kh*kw*C + bias + requant table
    const a16 = (n: number) => Math.ceil(n / 16) * 16;
    const dwWhole = a16(k[0] * k[1] * c) + a16(4 * c) + Math.ceil(c / 4) * 48;
    assert.ok(mem.stageMinBytes < dwWhole, `the smallest stage (${mem.stageMinBytes}) tiles the depthwise (${dwWhole})`);
    for (let i = 0; i < 3; i++) {
      const x = Uint8Array.from({ length: 9 * 7 * c }, (_, j) => (j * 53 + i * 101) & 0xff);
      const want = Array.from(resident.run(x)[0]);
      for (const stage of stages) assert.equal(Array.from((await loadModelStreamed(epk, stage)).run(x)[0]), want, `C ${c} k ${k} stage ${stage}`);
    }
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
