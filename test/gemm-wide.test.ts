// The scalar build's widened GEMM weights (assembly/wide.ts, kernels/gemm-wide.ts): exact at
// the pair trick's bound, refused beyond it, and optional -- a host grant too small for them
// keeps the blocked kernels, and the high-water mark (what a firmware must back) leaves them out.
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

const WIDE_MAX_K8 = 1 << 16;

/**
 * FC over `depth` taps whose channel 0 has every weight -127 and channel 1 every weight +127
 * (channels 2, 3: alternating signs), input x given, and biases that cancel each channel's
 * exact sum but for a small remainder: the output (one accumulator step per output step) then
 * shows the accumulator to the unit although the sum passed 2^30 in magnitude.
 */
function extremeFc(depth: number, x: Int8Array): { tflite: Uint8Array; want: number[] } {
  const oc = 4;
  const w = new Int8Array(oc * depth);
  for (let k = 0; k < depth; k++) {
    w[k] = -127;
    w[depth + k] = 127;
    w[2 * depth + k] = k % 2 ? 127 : -127;
    w[3 * depth + k] = (k >> 1) % 2 ? -127 : 127;
  }
  const sums = Array.from({ length: oc }, (_, o) => {
    let s = 0;
    for (let k = 0; k < depth; k++) s += x[k] * w[o * depth + k];
    return s;
  });
  const rest = [38, -42, 12, -90];
  const b = new TfliteBuilder();
  const xt = b.tensor('x', [1, depth], 'int8', { scale: [1], zeroPoint: [0] });
  const wt = b.constant('w', [oc, depth], 'int8', w, { scale: [0.01], zeroPoint: [0] });
  const bt = b.constant('b', [oc], 'int32', sums.map((s, o) => rest[o] - s), { scale: [0.01], zeroPoint: [0] });
  const yt = b.tensor('y', [1, oc], 'int8', { scale: [0.01], zeroPoint: [3] });
  b.op('FULLY_CONNECTED', [xt, wt, bt], [yt], { activation: 'NONE' });
  b.io([xt], [yt]);
  // acc = rest, times 0.01 / 0.01, plus the zero point 3
  return { tflite: b.finish(), want: rest.map((r) => r + 3) };
}

function referenceEpk(tflite: Uint8Array): Uint8Array {
  const g = prepareKernels(importModel(tflite, 'case.tflite'));
  return writeEpk(g, planMemory(g));
}

const asInt8 = (u: Uint8Array) => Array.from(new Int8Array(u.buffer, u.byteOffset, u.length));

test('widened FC at K8 = 2^16 (|sums| above 2^30, both signs) is exact; one slice more keeps the blocked kernel', async () => {
  for (const depth of [WIDE_MAX_K8, WIDE_MAX_K8 + 1]) {
    for (const fill of [-128, 127]) {
      const x = new Int8Array(depth).fill(fill);
      for (let k = 0; k < depth; k += 97) x[k] = k % 3 ? 127 : -128; // not all equal
      const { tflite, want } = extremeFc(depth, x);
      const input = new Uint8Array(x.buffer);
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

test('the SIMD build never widens', async () => {
  const epk = convertModel(buildTinyCnn(), 'tiny', { log: () => {} }).epk;
  const m = await loadModelNode(epk, 'simd');
  assert.is(m.exports.ep_set_wide_gemm!(1), 0);
  assert.is(m.exports.ep_wide_tensor_count!(), 0);
});

test.run();
