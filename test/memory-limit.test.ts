// Host memory limit (issue 13): load(), loadModelNode() and loadModelStreamed() refuse an
// .epk whose header declares more arena + scratch (+ model or stage) than maxMemory (default
// 1 GiB) before the runtime allocates anything -- e.g. a 2.4 KB file asking for a 4 GiB arena.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { ErrorCode, H } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { DEFAULT_MAX_MEMORY, RuntimeError, load } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { buildTinyCnn } from '../src/testing/models.js';

const epk = convertModel(buildTinyCnn(), 'tiny').epk;

function declaring(field: number, value: number): Uint8Array {
  const b = epk.slice();
  const v = new DataView(b.buffer);
  v.setUint32(field, value, true);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

async function refused(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
    assert.unreachable('loaded');
  } catch (e) {
    assert.instance(e, RuntimeError, String(e));
    assert.is((e as RuntimeError).code, ErrorCode.OutOfMemory);
    assert.match((e as Error).message, pattern);
  }
}

test('an arena or scratch of ~4 GiB is refused by every host at the default limit, fast', async () => {
  assert.is(DEFAULT_MAX_MEMORY, 1 << 30);
  for (const bytes of [declaring(H.arenaBytes, 0xffffffff), declaring(H.scratchBytes, 0xfffffff0)]) {
    const start = Date.now();
    await refused(load(bytes, { target: 'scalar' }), /above the host memory limit of 1073741824 bytes/);
    await refused(loadModelNode(bytes, 'simd'), /above the host memory limit/);
    await refused(loadModelStreamed(bytes), /above the host memory limit/);
    assert.ok(Date.now() - start < 2000);
  }
});

test('maxMemory is honoured both ways', async () => {
  const need = readDeclared(epk);
  await refused(load(epk, { target: 'scalar', maxMemory: need - 1 }), new RegExp(`the model needs ${need} bytes .* above the host memory limit of ${need - 1} bytes`));
  assert.ok((await load(epk, { target: 'scalar', maxMemory: need })).inputCount === 1);
  await refused(loadModelStreamed(epk, 4096, streamedModule(), { maxMemory: 1024 }), /above the host memory limit of 1024 bytes/);
  assert.ok((await loadModelStreamed(epk, 0, streamedModule(), { maxMemory: 1 << 20 })).inputCount === 1);
  // a model the project ships loads at the default
  assert.ok((await loadModelNode(epk)).outputCount === 1);
});

function readDeclared(b: Uint8Array): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return v.getUint32(H.arenaBytes, true) + v.getUint32(H.scratchBytes, true) + b.length;
}

test.run();
