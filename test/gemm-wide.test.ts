// The scalar build's widened GEMM weights (assembly/wide.ts, kernels/gemm-wide.ts): exact at
// the largest K8 widened with sums near 2^30, not used beyond it nor for an FC over one row,
// and optional -- a host grant too small for them keeps the blocked kernels, and the
// high-water mark (what a firmware must back) leaves them out.
// test/kernel-variants.test.ts compares both scalar paths with the _ref kernels on random
// conv and fully connected shapes.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel, importModel } from '../src/convert.js';
import { writeEpk } from '../src/format/writer.js';
import { prepareKernels } from '../src/passes/prepare-kernels.js';
import { planMemory } from '../src/passes/plan-memory.js';
import { loadModelNode, runtimeModule } from '../src/runtime/node.js';
import { RuntimeExports } from '../src/runtime/loader.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { buildTinyCnn } from '../src/testing/models.js';
import { H } from '../src/format/constants.js';
import { fitModel, loadBoard } from '../src/fit.js';
import { REPO } from './helpers.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const WIDE_MAX_K8 = 1 << 16;

/**
 * FC over two input rows of `depth` taps whose channel 0 has every weight -127 and channel 1
 * every weight +127 (channels 2, 3: alternating signs) but tap 1, weight 1 in every channel;
 * row 0 is x, row 1 is x with tap 1 raised by 5. The biases cancel each channel's exact sum of
 * row 0 but for a small remainder: the outputs (one accumulator step per output step) show
 * both rows' sums to the unit, although those lie near 2^30 in magnitude.
 */
function extremeFc(depth: number, x: Int8Array): { tflite: Uint8Array; input: Uint8Array; want: number[] } {
  const oc = 4;
  const w = new Int8Array(oc * depth);
  for (let k = 0; k < depth; k++) {
    w[k] = -127;
    w[depth + k] = 127;
    w[2 * depth + k] = k % 2 ? 127 : -127;
    w[3 * depth + k] = (k >> 1) % 2 ? -127 : 127;
  }
  for (let o = 0; o < oc; o++) w[o * depth + 1] = 1;
  const x1 = x.slice();
  x1[1] = x[1] + 5;
  const sums = Array.from({ length: oc }, (_, o) => {
    let s = 0;
    for (let k = 0; k < depth; k++) s += x[k] * w[o * depth + k];
    return s;
  });
  const rest = [38, -42, 12, -90];
  const b = new TfliteBuilder();
  const xt = b.tensor('x', [2, depth], 'int8', { scale: [1], zeroPoint: [0] });
  const wt = b.constant('w', [oc, depth], 'int8', w, { scale: [0.01], zeroPoint: [0] });
  const bt = b.constant('b', [oc], 'int32', sums.map((s, o) => rest[o] - s), { scale: [0.01], zeroPoint: [0] });
  const yt = b.tensor('y', [2, oc], 'int8', { scale: [0.01], zeroPoint: [3] });
  b.op('FULLY_CONNECTED', [xt, wt, bt], [yt], { activation: 'NONE' });
  b.io([xt], [yt]);
  const input = new Uint8Array(2 * depth);
  input.set(new Uint8Array(x.buffer, x.byteOffset, depth));
  input.set(new Uint8Array(x1.buffer, x1.byteOffset, depth), depth);
  // accumulators rest (row 0) and rest + 5 (row 1), times 0.01 / 0.01, plus the zero point 3
  return { tflite: b.finish(), input, want: [...rest.map((r) => r + 3), ...rest.map((r) => r + 8)] };
}

function referenceEpk(tflite: Uint8Array): Uint8Array {
  const g = prepareKernels(importModel(tflite, 'case.tflite'));
  return writeEpk(g, planMemory(g));
}

const asInt8 = (u: Uint8Array) => Array.from(new Int8Array(u.buffer, u.byteOffset, u.length));

test('widened FC at K8 = 2^16 (sums near 2^30, both signs, 64 blocks of f64 sums) is exact; one slice more keeps the blocked kernel', async () => {
  for (const depth of [WIDE_MAX_K8, WIDE_MAX_K8 + 1]) {
    for (const fill of [-128, 127]) {
      const x = new Int8Array(depth).fill(fill);
      for (let k = 0; k < depth; k += 97) x[k] = k % 3 ? 127 : -128; // not all equal
      x[1] = 0; // room for row 1's +5
      const { tflite, input, want } = extremeFc(depth, x);
      const packed = convertModel(tflite, 'fc.tflite', { log: () => {} }).epk;
      const ref = await loadModelNode(referenceEpk(tflite), 'scalar');
      assert.equal(asInt8(ref.run(input)[0]), want, `depth ${depth}, fill ${fill}: _ref kernel`);
      const wide = await loadModelNode(packed, 'scalar');
      assert.is(wide.exports.ep_wide_tensor_count!(), depth <= WIDE_MAX_K8 ? 1 : 0, `depth ${depth}: widened or not`);
      assert.equal(asInt8(wide.run(input)[0]), want, `depth ${depth}, fill ${fill}: scalar build, widened if allowed`);
      const blocked = await loadModelNode(packed, 'scalar', undefined, false);
      assert.equal(asInt8(blocked.run(input)[0]), want, `depth ${depth}, fill ${fill}: scalar build, blocked kernel`);
    }
  }
});

test('an FC over one input row keeps the blocked kernel (its weights are read once)', async () => {
  const b = new TfliteBuilder();
  const xt = b.tensor('x', [1, 40], 'int8', { scale: [0.1], zeroPoint: [2] });
  const wt = b.constant('w', [6, 40], 'int8', Array.from({ length: 240 }, (_, i) => ((i * 37) % 255) - 127), { scale: [0.02], zeroPoint: [0] });
  const yt = b.tensor('y', [1, 6], 'int8', { scale: [0.5], zeroPoint: [-1] });
  b.op('FULLY_CONNECTED', [xt, wt, -1], [yt], { activation: 'NONE' });
  b.io([xt], [yt]);
  const tflite = b.finish();
  const input = Uint8Array.from({ length: 40 }, (_, i) => (i * 91) & 0xff);
  const m = await loadModelNode(convertModel(tflite, 'fc1.tflite', { log: () => {} }).epk, 'scalar');
  assert.is(m.exports.ep_wide_tensor_count!(), 0);
  assert.equal(Array.from(m.run(input)[0]), Array.from((await loadModelNode(referenceEpk(tflite), 'scalar')).run(input)[0]));
});

/** Instantiates the scalar build by hand: a grant (0: none) and the widening asked for, then the load. */
async function loadWith(epk: Uint8Array, grant: number): Promise<RuntimeExports> {
  const inst = await WebAssembly.instantiate(runtimeModule('scalar'), {});
  const e = inst.exports as unknown as RuntimeExports;
  e.ep_set_memory_limit(grant);
  assert.is(e.ep_set_wide_gemm!(1), 1, 'the scalar build can widen');
  const ptr = e.ep_model_buffer(epk.length) >>> 0;
  new Uint8Array(e.memory.buffer, ptr, epk.length).set(epk);
  assert.is(e.ep_load(ptr, epk.length), 0, 'loads');
  return e;
}

function runRaw(e: RuntimeExports, input: Uint8Array): number[] {
  new Uint8Array(e.memory.buffer, e.ep_input_ptr(0) >>> 0, input.length).set(input);
  assert.is(e.ep_invoke(), 0);
  return Array.from(new Uint8Array(e.memory.buffer, e.ep_output_ptr(0) >>> 0, e.ep_output_bytes(0)));
}

test('widening is optional: a grant of exactly what the model needs keeps the blocked kernels, and the high-water mark leaves it out', async () => {
  const epk = convertModel(buildTinyCnn(), 'tiny', { log: () => {} }).epk;
  const plain = await loadModelNode(epk, 'scalar', undefined, false);
  const need = plain.exports.ep_memory_high_water();
  const input = Uint8Array.from({ length: plain.inputBytes(0) }, (_, i) => (i * 73 + 5) & 0xff);
  const want = Array.from(plain.run(input)[0]);

  const free = await loadWith(epk, 0);
  assert.ok(free.ep_wide_tensor_count!() > 0, 'widened without a grant');
  assert.is(free.ep_memory_high_water(), need, 'the widened weights are not part of the high-water mark');
  assert.equal(runRaw(free, input), want, 'widened');

  const tight = await loadWith(epk, need);
  assert.is(tight.ep_wide_tensor_count!(), 0, 'no room: nothing widened');
  assert.equal(runRaw(tight, input), want, 'blocked kernels');
});

/** One 1x1 conv of 64 -> 128 channels: 8 KiB of blocked weights, 64 KiB widened (a page more). */
function wideConv(): Uint8Array {
  const b = new TfliteBuilder();
  const xt = b.tensor('x', [1, 8, 8, 64], 'int8', { scale: [0.05], zeroPoint: [4] });
  const wt = b.constant('w', [128, 1, 1, 64], 'int8', Array.from({ length: 8192 }, (_, i) => ((i * 53) % 255) - 127), { scale: [0.01], zeroPoint: [0] });
  const yt = b.tensor('y', [1, 8, 8, 128], 'int8', { scale: [0.5], zeroPoint: [-3] });
  b.op('CONV_2D', [xt, wt, -1], [yt], { strideH: 1, strideW: 1, padding: 'VALID', activation: 'NONE' });
  b.io([xt], [yt]);
  return b.finish();
}

test('the host memory limit bounds the widened weights too (maxMemory / --max-memory)', async () => {
  const epk = convertModel(wideConv(), 'conv.tflite', { log: () => {} }).epk;
  const v = new DataView(epk.buffer, epk.byteOffset, epk.byteLength);
  const declared = epk.length + v.getUint32(H.arenaBytes, true) + v.getUint32(H.scratchBytes, true); // what checkDeclaredMemory counts
  const input = Uint8Array.from({ length: 4096 }, (_, i) => (i * 29 + 7) & 0xff);
  const plain = await loadModelNode(epk, 'scalar', undefined, false);
  const wide = await loadModelNode(epk, 'scalar');
  assert.is(wide.exports.ep_wide_tensor_count!(), 1);
  assert.ok(wide.memoryBytes > plain.memoryBytes, 'widening grows the memory');
  const capped = await loadModelNode(epk, 'scalar', declared);
  assert.is(capped.exports.ep_wide_tensor_count!(), 0, 'a limit of what the file declares leaves no room for it');
  assert.is(capped.memoryBytes, plain.memoryBytes);
  assert.equal(Array.from(capped.run(input)[0]), Array.from(plain.run(input)[0]));
  assert.equal(Array.from(wide.run(input)[0]), Array.from(plain.run(input)[0]));
});

test('inspect and fit state the memory a device backs: without the widened weights', async () => {
  const tflite = wideConv();
  const dir = mkdtempSync(join(tmpdir(), 'ep-wide-'));
  try {
    const epkPath = join(dir, 'conv.epk');
    writeFileSync(epkPath, convertModel(tflite, 'conv.tflite', { log: () => {} }).epk);
    const r = spawnSync(process.execPath, [join(REPO, 'bin', 'edgepack.js'), 'inspect', epkPath, '--json'], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.is(s.wasmPages, Math.ceil(s.peakRamResidentBytes / 65536));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // a board whose wasm runtime allocates whole pages, without SIMD (ESP32-S3: WAMR or wasm3)
  const f = await fitModel(tflite, 'conv', loadBoard('esp32s3'));
  const resident = f.options.find((o) => o.mode === 'resident')!;
  assert.is(resident.linearMemoryBytes, (await loadModelNode(f.epk, 'scalar', undefined, false)).memoryBytes);
});

test.run();
