// The kernel-variant table (src/format/kernels.ts) is the one list both halves read: the
// runtime's assembly/kernel-table.ts is generated from it, every variant is guarded in the
// runtime, the converter's classification equals the runtime's on every op, and a runtime
// built for one model's kernels (asc --use EP_KERNELS=<mask>) runs that model exactly and
// refuses, naming the op, a model that needs a kernel it left out.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { ErrorCode } from '../src/format/constants.js';
import { ALL_KERNELS, KERNEL_VARIANTS, MASK_WORDS, MAX_KERNEL_VARIANTS, maskFlags, maskWords, kernelBit, kernelMask, kernelNames, kernelOf, kernelTableSource } from '../src/format/kernels.js';
import { readEpk } from '../src/format/reader.js';
import { RuntimeError, loadModel } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { REPO, runtimeForKernels } from '../tools/firmware/build.js';
import { buildSmallModel } from './compression-model.js';
import { buildOpsNet } from '../src/testing/op-models.js';
import { buildF32Net } from '../src/testing/f32-models.js';
import { buildOpsANet } from '../src/testing/ops-a-models.js';
import { buildF32BNet } from '../src/testing/f32b-models.js';
import { goldenModels, readBytes } from './helpers.js';

test('assembly/kernel-table.ts is generated from KERNEL_VARIANTS (node dist/tools/gen-kernel-table.js)', () => {
  assert.is(readFileSync(join(REPO, 'assembly', 'kernel-table.ts'), 'utf8'), kernelTableSource());
  assert.is(new Set(KERNEL_VARIANTS.map((k) => k.name)).size, KERNEL_VARIANTS.length, 'names are unique');
  assert.ok(KERNEL_VARIANTS.length <= MAX_KERNEL_VARIANTS, 'every row has a bit in the runtime\'s mask words');
  assert.is(ALL_KERNELS, (1n << BigInt(KERNEL_VARIANTS.length)) - 1n);
});

test('a mask splits into the u32 words the runtime reads', () => {
  assert.is(MASK_WORDS, 3);
  assert.equal(maskWords(0x7fffffffn), [0x7fffffff, 0, 0]);
  assert.equal(maskWords(1n << 32n), [0, 1, 0]);
  assert.equal(maskWords((1n << 52n) + (1n << 31n) + 5n), [2 ** 31 + 5, 2 ** 20, 0]);
  assert.equal(maskWords((1n << 95n) | (1n << 64n) | 1n), [1, 0, 2 ** 31 + 1]);
  assert.throws(() => maskWords(1n << 96n), /does not fit 3 words/);
  assert.equal(maskFlags(1n << 70n), ['--use', 'EP_KERNELS=0', '--use', 'EP_KERNELS_HI=0', '--use', 'EP_KERNELS_W2=64']);
  const src = kernelTableSource();
  assert.match(src, /EP_KERNEL_SET_HI: u32 = isDefined\(EP_KERNELS_HI\)/);
  assert.match(src, /EP_KERNEL_SET_W2: u32 = isDefined\(EP_KERNELS_W2\)/);
});

test('every variant guards its kernel call in the runtime and is classified by the runtime', () => {
  const src = ['interpreter.ts', 'packed.ts', 'run-f32.ts', 'run-f32b.ts', 'run-s16.ts'].map((f) => readFileSync(join(REPO, 'assembly', f), 'utf8')).join('\n');
  const dispatch = readFileSync(join(REPO, 'assembly', 'dispatch.ts'), 'utf8');
  for (const k of KERNEL_VARIANTS) {
    assert.ok(new RegExp(`if \\(HAS_${k.name}\\) \\w+\\(`).test(src), `runOp/packed.ts/run-f32.ts: a call guarded by HAS_${k.name}`);
    assert.ok(src.includes(`${k.kernel.split(' ')[0]}(`), `runOp/packed.ts: calls ${k.kernel}`);
    assert.ok(dispatch.includes(`K.K_${k.name}`), `dispatch.ts kernelOf returns K_${k.name}`);
  }
});

test('converter and runtime classify every op alike (shared models, compressed filters)', async () => {
  const epks: [string, Uint8Array][] = goldenModels().map((g) => [g.name, convertModel(readBytes(g.modelPath), g.name, { log: () => {} }).epk]);
  for (const compress of [{ huffman: true, pack: 'huffman' as const }, { codebook: 4, pack: 'codebook' as const }]) {
    epks.push([`small ${compress.pack}`, convertModel(buildSmallModel(5), 'small', { log: () => {}, compress }).epk]);
  }
  epks.push(['ops net', convertModel(buildOpsNet(), 'ops', { log: () => {} }).epk]); // TRANSPOSE_CONV, SUB, LEAKY_RELU, MAXIMUM, STRIDED_SLICE
  epks.push(['f32 net', convertModel(buildF32Net(), 'f32', { log: () => {} }).epk]); // group f32: the *_F32 variants
  epks.push(['ops-a net', convertModel(buildOpsANet(), 'ops-a', { log: () => {} }).epk]); // group a: TABLE_COPY, RESIZE_BILINEAR, ARG_MAX, REDUCE_MAX, GATHER
  epks.push(['f32b net', convertModel(buildF32BNet(), 'f32b', { log: () => {} }).epk]); // MISC_F32 (ARG_MAX by its float input), MOVE_F32
  const seen = new Set<number>();
  for (const [name, epk] of epks) {
    const e = readEpk(epk);
    const m = await loadModelNode(epk, 'scalar');
    const op = (m.exports as unknown as { ep_op_kernel(i: number): number }).ep_op_kernel;
    e.ops.forEach((o, i) => {
      const k = kernelOf(o, e.tensors);
      seen.add(k);
      assert.is(op(i), k, `${name} op ${i}: runtime ${op(i)}, converter ${k} (${KERNEL_VARIANTS[k].name})`);
    });
  }
  assert.ok(seen.has(kernelBit('CONV_HUFFMAN')) && seen.has(kernelBit('CONV_CODEBOOK')) && seen.has(kernelBit('CONV_BLOCKED')));
  for (const k of ['TRANSPOSE_CONV', 'SUB', 'LEAKY_RELU', 'MAXIMUM_MINIMUM', 'STRIDED_SLICE', 'TABLE_COPY', 'RESIZE_BILINEAR', 'ARG_MAX_MIN', 'REDUCE_MAX', 'GATHER', 'MISC_F32', 'MOVE_F32']) assert.ok(seen.has(kernelBit(k)), k);
});

test('a runtime with one model\'s kernels runs it bit-exact and refuses a model needing more', async () => {
  const g = goldenModels().find((m) => m.name === 'kws_dscnn_int8');
  const other = goldenModels().find((m) => m.name === 'ic_resnet8_int8');
  if (!g || !other) return;
  const epk = convertModel(readBytes(g.modelPath), g.name, { log: () => {} }).epk;
  const mask = kernelMask(readEpk(epk));
  assert.ok(mask !== ALL_KERNELS && kernelNames(mask).includes('conv_blocked'));
  const wasm = readFileSync(runtimeForKernels('resident', mask));
  assert.ok(wasm.length < readFileSync(join(REPO, 'build', 'edgepack-scalar.wasm')).length * 0.9, 'kernels left out make the module smaller');
  const m = await loadModel(wasm, epk);
  for (const c of g.manifest.cases) {
    assert.equal(m.run(readBytes(join(g.dir, c.input)))[0], readBytes(join(g.dir, c.output)), c.input);
  }
  const needsAdd = convertModel(readBytes(other.modelPath), other.name, { log: () => {} }).epk;
  try {
    await loadModel(wasm, needsAdd);
    assert.unreachable('ic_resnet8 needs ADD, which the kws runtime leaves out');
  } catch (e) {
    assert.instance(e, RuntimeError);
    assert.is((e as RuntimeError).code, ErrorCode.UnsupportedOp);
    assert.match((e as Error).message, /op \d+ \(ADD\) at byte offset \d+: needs kernel variant 13 /);
  }
});

test.run();
