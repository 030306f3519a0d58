// Every kernel variant against its _ref kernel on random shapes: single-op models built in
// code are converted twice -- prepare only (the _ref kernels read the original layouts) and the
// full pipeline (layout-weights: packed GEMM, depthwise, SIMD/scalar ADD) -- and run in both
// runtime builds on random inputs, and the packed model in the streamed build at its smallest
// stage (tiles of one channel quad / group). All outputs must be bit-identical. Both
// conversions of a same-shape ADD are the same op, so its expected output comes from a
// runtime built without add_s8 (add_s8_ref runs it) and from TFLite's ADD written in JS.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel, importModel } from '../src/convert.js';
import { writeEpk } from '../src/format/writer.js';
import { prepareKernels } from '../src/passes/prepare-kernels.js';
import { planMemory } from '../src/passes/plan-memory.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { rng, Rng } from './helpers.js';
import { OpCode } from '../src/format/constants.js';
import { readEpk } from '../src/format/reader.js';
import { mbqmRef } from './gemmlowp.js';
import { ALL_KERNELS, kernelBit } from '../src/format/kernels.js';
import { loadModel } from '../src/runtime/loader.js';
import { runtimeForKernels } from '../tools/firmware/build.js';
import { readFileSync } from 'node:fs';

const K_CONV_BLOCKED = kernelBit('CONV_BLOCKED'), K_FC_BLOCKED = kernelBit('FC_BLOCKED'), K_DWCONV_BLOCKED = kernelBit('DWCONV_BLOCKED');


const ACTS = ['NONE', 'RELU', 'RELU6'];
const int8s = (r: Rng, n: number) => Array.from({ length: n }, () => r.int(-128, 127));

function act(r: Rng, b: TfliteBuilder, name: string, shape: number[]) {
  return b.tensor(name, shape, 'int8', { scale: [r.real(0.01, 0.2)], zeroPoint: [r.int(-128, 127)] });
}

function weights(r: Rng, b: TfliteBuilder, shape: number[], channels: number, axis: number, inScale: number) {
  const scales = Array.from({ length: channels }, () => r.real(0.002, 0.05));
  const n = shape.reduce((a, d) => a * d, 1);
  const w = b.constant('w', shape, 'int8', int8s(r, n).map((v) => (v === -128 ? -127 : v)), { scale: scales, zeroPoint: scales.map(() => 0), axis });
  // one case in four has some biases past 2^21, so that the SIMD build's blocked GEMMs run both
  // epilogues: accumulators proven in the f64 range at load, and checked per quad (acc-bound.ts)
  const wide = r.int(0, 3) === 0;
  const bias = b.constant('b', [channels], 'int32', Array.from({ length: channels }, () => (wide && r.int(0, 1) ? r.int(-3_000_000, 3_000_000) : r.int(-20000, 20000))), {
    scale: scales.map((s) => s * inScale), zeroPoint: scales.map(() => 0),
  });
  return { w, bias };
}

interface Case {
  name: string;
  tflite: Uint8Array;
  inputs: number[];
}

function convCase(r: Rng, i: number): Case {
  const b = new TfliteBuilder();
  const [n, h, w, ic] = [r.int(1, 2), r.int(3, 11), r.int(3, 11), r.pick([1, 2, 3, 5, 8, 13, 16])];
  const [kh, kw] = [r.pick([1, 1, 2, 3, 5]), r.pick([1, 1, 2, 3, 4])];
  const o = { strideH: r.int(1, 2), strideW: r.int(1, 2), dilationH: r.int(1, 2), dilationW: r.int(1, 2), padding: r.pick(['SAME', 'VALID']), activation: r.pick(ACTS) };
  if ((kh - 1) * o.dilationH + 1 > h || (kw - 1) * o.dilationW + 1 > w) o.padding = 'SAME';
  const oc = r.int(1, 19);
  const oh = o.padding === 'SAME' ? Math.ceil(h / o.strideH) : Math.floor((h - ((kh - 1) * o.dilationH + 1)) / o.strideH) + 1;
  const ow = o.padding === 'SAME' ? Math.ceil(w / o.strideW) : Math.floor((w - ((kw - 1) * o.dilationW + 1)) / o.strideW) + 1;
  const x = act(r, b, 'x', [n, h, w, ic]);
  const { w: wt, bias } = weights(r, b, [oc, kh, kw, ic], oc, 0, 0.1);
  const y = act(r, b, 'y', [n, oh, ow, oc]);
  b.op('CONV_2D', [x, wt, r.int(0, 3) ? bias : -1], [y], o);
  b.io([x], [y]);
  return { name: `conv#${i} x${JSON.stringify([n, h, w, ic])} k${kh}x${kw} oc${oc} ${JSON.stringify(o)}`, tflite: b.finish(), inputs: [n * h * w * ic] };
}

function depthwiseCase(r: Rng, i: number): Case {
  const b = new TfliteBuilder();
  const kind = r.int(0, 4); // 0-2: multiplier 1 (packed), 3: 1 input channel (as conv), 4: multiplier 2 (reference)
  const ic = kind === 3 ? 1 : r.pick([1, 3, 8, 9, 16, 21, 32]);
  const dm = kind === 3 ? r.int(2, 9) : kind === 4 ? 2 : 1;
  const [kh, kw] = r.pick([[3, 3], [3, 3], [5, 5], [1, 1], [2, 3], [3, 1], [5, 1]]);
  // a column (w = kw = 1, a 1-D model over H) runs as a row in the widened kernel
  const [n, h, w] = [r.int(1, 2), r.int(3, 12), kw === 1 && r.int(0, 1) ? 1 : r.int(3, 12)];
  const o = { strideH: r.int(1, 2), strideW: r.int(1, 2), dilationH: r.pick([1, 1, 2]), dilationW: r.pick([1, 1, 2]), padding: r.pick(['SAME', 'VALID']), activation: r.pick(ACTS), depthMultiplier: dm };
  if ((kh - 1) * o.dilationH + 1 > h || (kw - 1) * o.dilationW + 1 > w) o.padding = 'SAME';
  const oc = ic * dm;
  const oh = o.padding === 'SAME' ? Math.ceil(h / o.strideH) : Math.floor((h - ((kh - 1) * o.dilationH + 1)) / o.strideH) + 1;
  const ow = o.padding === 'SAME' ? Math.ceil(w / o.strideW) : Math.floor((w - ((kw - 1) * o.dilationW + 1)) / o.strideW) + 1;
  const x = act(r, b, 'x', [n, h, w, ic]);
  const { w: wt, bias } = weights(r, b, [1, kh, kw, oc], oc, 3, 0.1);
  const y = act(r, b, 'y', [n, oh, ow, oc]);
  b.op('DEPTHWISE_CONV_2D', [x, wt, r.int(0, 3) ? bias : -1], [y], o);
  b.io([x], [y]);
  return { name: `dwconv#${i} x${JSON.stringify([n, h, w, ic])} k${kh}x${kw} ${JSON.stringify(o)}`, tflite: b.finish(), inputs: [n * h * w * ic] };
}

function fullyConnectedCase(r: Rng, i: number): Case {
  const b = new TfliteBuilder();
  const [batches, depth, oc] = [r.int(1, 3), r.int(1, 45), r.int(1, 21)];
  const x = act(r, b, 'x', [batches, depth]);
  const { w: wt, bias } = weights(r, b, [oc, depth], oc, 0, 0.1);
  const y = act(r, b, 'y', [batches, oc]);
  b.op('FULLY_CONNECTED', [x, wt, r.int(0, 3) ? bias : -1], [y], { activation: r.pick(ACTS) });
  b.io([x], [y]);
  return { name: `fc#${i} batches ${batches} depth ${depth} oc ${oc}`, tflite: b.finish(), inputs: [batches * depth] };
}

function addCase(r: Rng, i: number): Case {
  const b = new TfliteBuilder();
  const shape = [1, r.int(1, 7), r.int(1, 9), r.int(1, 19)];
  const other = r.int(0, 2) ? shape : [1, 1, 1, shape[3]]; // same shape (flat kernel) or broadcast (reference)
  const a = act(r, b, 'a', shape), c = act(r, b, 'c', other), y = act(r, b, 'y', shape);
  b.op('ADD', [a, c], [y], { activation: r.pick(ACTS) });
  b.io([a, c], [y]);
  return { name: `add#${i} ${JSON.stringify(shape)} + ${JSON.stringify(other)}`, tflite: b.finish(), inputs: [shape, other].map((s) => s.reduce((p, d) => p * d, 1)) };
}

function referenceEpk(tflite: Uint8Array): Uint8Array {
  const g = prepareKernels(importModel(tflite, 'case.tflite'));
  return writeEpk(g, planMemory(g));
}

/**
 * The scalar runtime without the same-shape ADD kernel (asc --use EP_KERNELS=<mask>): it runs
 * every ADD with add_s8_ref, the interpreter's choice by shape being the only way to reach
 * add_s8 otherwise (both conversions of an ADD are the same op).
 */
let addRefWasm: Uint8Array | undefined;
function addRefRuntime(): Uint8Array {
  addRefWasm ??= readFileSync(runtimeForKernels('resident', ALL_KERNELS - (1n << BigInt(kernelBit('ADD_SAME')))));
  return addRefWasm;
}

/**
 * TFLite's int8 ADD (reference_integer_ops::Add) in plain JS with the gemmlowp requantization,
 * from the op's params: a second expectation, independent of the runtime. The second input
 * is the output's shape or [1, 1, 1, C].
 */
function addExpected(epk: Uint8Array, a: Uint8Array, b: Uint8Array): number[] {
  const [o1, o2, oo, ls, m1, s1, m2, s2, mo, so, lo, hi] = readEpk(epk).ops[0].params;
  const i8 = (v: number) => (v << 24) >> 24;
  return Array.from(a, (va, i) => {
    const sa = mbqmRef((i8(va) + o1) << ls, m1, s1);
    const sb = mbqmRef((i8(b[i % b.length]) + o2) << ls, m2, s2);
    return Math.max(lo, Math.min(hi, mbqmRef(sa + sb, mo, so) + oo)) & 0xff;
  });
}

/** Blocked conv / FC ops of the SIMD build with and without the load-time accumulator bound (acc-bound.ts). */
interface Epilogues { fits: number; checked: number }

async function runAll(c: Case, seed: number, given?: Uint8Array[]): Promise<{ packedOps: number } & Epilogues> {
  const r = rng(seed);
  const inputs = given ?? c.inputs.map((n) => Uint8Array.from(int8s(r, n), (v) => v & 0xff));
  const packed = convertModel(c.tflite, 'case.tflite', { log: () => {} });
  const ref = referenceEpk(c.tflite);
  const isAdd = c.name.startsWith('add#');
  const want = (isAdd ? await loadModel(addRefRuntime(), ref) : await loadModelNode(ref, 'scalar')).run(...inputs)[0];
  if (isAdd) assert.equal(Array.from(want), addExpected(ref, inputs[0], inputs[1]), `${c.name}: TFLite's ADD in JS`);
  const epilogues: Epilogues = { fits: 0, checked: 0 };
  for (const target of ['scalar', 'simd'] as const) {
    assert.equal(Array.from((await loadModelNode(ref, target)).run(...inputs)[0]), Array.from(want), `${c.name}: reference kernels, ${target} build`);
    const m = await loadModelNode(packed.epk, target);
    assert.equal(Array.from(m.run(...inputs)[0]), Array.from(want), `${c.name}: packed kernels, ${target} build`);
    const e = m.exports as unknown as { ep_op_count(): number; ep_op_kernel(i: number): number; ep_acc_fits(i: number): number };
    for (let i = 0; i < e.ep_op_count(); i++) {
      const gemm = e.ep_op_kernel(i) === K_CONV_BLOCKED || e.ep_op_kernel(i) === K_FC_BLOCKED;
      if (target === 'scalar') assert.is(e.ep_acc_fits(i), 0, `${c.name}: the scalar build records no bound`);
      else if (gemm) epilogues[e.ep_acc_fits(i) ? 'fits' : 'checked']++;
      else assert.is(e.ep_acc_fits(i), 0, `${c.name}: op ${i} is no blocked GEMM`);
    }
  }
  // the scalar build runs blocked GEMMs and depthwise two ways: widened weights (a JIT host, the
  // default of loadModelNode above, kernels/gemm-wide.ts and dwconv-wide.ts) and the blocked
  // bytes (the firmware's gemm.ts and conv.ts)
  const blocked = await loadModelNode(packed.epk, 'scalar', undefined, false);
  assert.equal(Array.from(blocked.run(...inputs)[0]), Array.from(want), `${c.name}: packed kernels, scalar build without widened weights`);
  assert.equal(blocked.exports.ep_wide_tensor_count!(), 0, `${c.name}: nothing widened when not asked`);
  const wide = await loadModelNode(packed.epk, 'scalar');
  const ops = wide.exports as unknown as { ep_op_count(): number; ep_op_kernel(i: number): number };
  const kernels = Array.from({ length: ops.ep_op_count() }, (_, i) => ops.ep_op_kernel(i));
  const fcRows = c.name.startsWith('fc#') ? Number(/batches (\d+)/.exec(c.name)![1]) : 0; // an FC over one row stays blocked
  const widened = kernels.filter((k) => k === K_CONV_BLOCKED || k === K_DWCONV_BLOCKED || (k === K_FC_BLOCKED && fcRows >= 2)).length;
  // but a 3x3 stride-1 conv over 8k channels, whose filter is transformed for Winograd instead (test/winograd.test.ts)
  const winograd = wide.exports.ep_winograd_op_count!();
  assert.equal(wide.exports.ep_wide_tensor_count!(), widened - winograd, `${c.name}: every blocked conv and depthwise, and FC over 2 rows or more, widened`);
  // so does the SIMD build: a conv of K8 > 40 taps (fewer run the channels-in-lanes GEMM) on
  // int16 weights widened at load (a JIT host, loadModelNode's default above: gemm16-simd.ts)
  // and on the blocked bytes (gemm2_s8_simd)
  const simdBlocked = await loadModelNode(packed.epk, 'simd', undefined, false);
  assert.equal(Array.from(simdBlocked.run(...inputs)[0]), Array.from(want), `${c.name}: packed kernels, SIMD build without widened weights`);
  assert.equal(simdBlocked.exports.ep_wide_tensor_count!(), 0, `${c.name}: SIMD, nothing widened when not asked`);
  const simdWide = await loadModelNode(packed.epk, 'simd');
  const widened16 = packed.graph.ops.filter((o) => o.kernel?.opcode === OpCode.Conv2D && o.kernel.params.length !== 10 &&
    packed.graph.tensors[o.inputs[1]].shape.length === 2 && packed.graph.tensors[o.inputs[1]].shape[1] > 40).length;
  assert.equal(simdWide.exports.ep_wide_tensor_count!(), widened16 - simdWide.exports.ep_winograd_op_count!(), `${c.name}: SIMD, every blocked conv over K8 > 40 widened`);
  gemm16Ops += widened16 - simdWide.exports.ep_winograd_op_count!();
  // streamed build at its smallest stage (one quad of output channels per tile; a packed FC
  // splits K too) and halfway to the whole stage (several quads per tile): the kernels write
  // a channel range of a wider output (conv/FC yStride, depthwise stride)
  const { stageMinBytes, stageWholeBytes } = (await loadModelStreamed(packed.epk)).memory();
  for (const stage of [stageMinBytes, Math.floor((stageMinBytes + stageWholeBytes) / 2)]) {
    assert.equal(Array.from((await loadModelStreamed(packed.epk, stage)).run(...inputs)[0]), Array.from(want), `${c.name}: packed kernels, streamed stage ${stage}`);
  }
  const packedOps = packed.graph.ops.filter((o) => o.kernel && [OpCode.Conv2D, OpCode.DepthwiseConv2D, OpCode.FullyConnected].includes(o.kernel.opcode) &&
    o.kernel.params.length !== { [OpCode.Conv2D]: 10, [OpCode.DepthwiseConv2D]: 11, [OpCode.FullyConnected]: 4 }[o.kernel.opcode as 1 | 2 | 3]).length;
  return { packedOps, ...epilogues };
}

const CASES_PER_KIND = 40;
/** Ops that ran on int16 weights (gemm16-simd.ts) in runAll so far. */
let gemm16Ops = 0;

for (const [kind, make] of [['conv', convCase], ['depthwise', depthwiseCase], ['fully connected', fullyConnectedCase], ['add', addCase]] as const) {
  test(`${kind}: fast variants (scalar, simd) == _ref on ${CASES_PER_KIND} random shapes`, async () => {
    const r = rng(kind.length * 7919);
    let packed = 0, fits = 0, checked = 0;
    const gemm16Before = gemm16Ops;
    for (let i = 0; i < CASES_PER_KIND; i++) {
      const c = make(r, i);
      const got = await runAll(c, 1000 + i);
      packed += got.packedOps; fits += got.fits; checked += got.checked;
    }
    // the packed path really ran (grouped / multiplier-2 depthwise cases keep the reference)
    if (kind !== 'add') assert.ok(packed >= CASES_PER_KIND / 2, `only ${packed} of ${CASES_PER_KIND} ${kind} cases used packed weights`);
    // both SIMD GEMM epilogues ran: the op's accumulators proven in range at load, and checked per quad
    if (kind === 'conv' || kind === 'fully connected') assert.ok(fits >= 5 && checked >= 5, `${kind}: ${fits} ops with the load-time bound, ${checked} checked per quad`);
    if (kind === 'conv') assert.ok(gemm16Ops - gemm16Before >= 10, `conv: only ${gemm16Ops - gemm16Before} cases ran the SIMD build's int16-weight GEMM`);
  });
}

test('conv: 3x3 over 3 channels (the SIMD build RGB patch by shuffles) == _ref on 12 random shapes', async () => {
  // conv_s8_simd builds an inside pixel's K = 27 patch from three 16-byte row loads; random
  // shapes rarely pick this layer, so these are drawn until 12 of them do
  const r = rng(2727);
  let n = 0;
  for (let i = 0; n < 12 && i < 100000; i++) {
    const c = convCase(r, i);
    if (!/x\[\d+,\d+,\d+,3\] k3x3 .*"dilationW":1/.test(c.name)) continue;
    assert.ok((await runAll(c, 3000 + i)).packedOps === 1, `${c.name}: packed`);
    n++;
  }
  assert.is(n, 12);
});

/**
 * A conv of few taps, as the SIMD build's channels-in-lanes GEMM (gemm-lanes-simd.ts) takes
 * it: 1x1 over ic channels or kh x kw over ic. extreme: weights of -128 / 127 only.
 */
function smallKCase(r: Rng, i: number, ic: number, kh: number, kw: number, oc: number, extreme: boolean): Case {
  const b = new TfliteBuilder();
  const o = { strideH: r.int(1, 2), strideW: r.int(1, 2), dilationH: kh > 1 ? r.pick([1, 1, 2]) : 1, dilationW: 1, padding: r.pick(['SAME', 'VALID']), activation: r.pick(ACTS) };
  const [n, h, w] = [r.int(1, 2), r.int(Math.max(3, (kh - 1) * o.dilationH + 1), 12), r.int(Math.max(3, kw), 12)];
  const oh = o.padding === 'SAME' ? Math.ceil(h / o.strideH) : Math.floor((h - ((kh - 1) * o.dilationH + 1)) / o.strideH) + 1;
  const ow = o.padding === 'SAME' ? Math.ceil(w / o.strideW) : Math.floor((w - kw) / o.strideW) + 1;
  const x = act(r, b, 'x', [n, h, w, ic]);
  const scales = Array.from({ length: oc }, () => r.real(0.002, 0.05));
  const wv = Array.from({ length: oc * kh * kw * ic }, () => (extreme ? r.pick([-128, 127]) : r.int(-127, 127)));
  const wt = b.constant('w', [oc, kh, kw, ic], 'int8', wv, { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 });
  const bias = b.constant('b', [oc], 'int32', Array.from({ length: oc }, () => r.int(-20000, 20000)), { scale: scales.map((s) => s * 0.1), zeroPoint: scales.map(() => 0) });
  const y = act(r, b, 'y', [n, oh, ow, oc]);
  b.op('CONV_2D', [x, wt, r.int(0, 3) ? bias : -1], [y], o);
  b.io([x], [y]);
  return { name: `small-K conv#${i} x${JSON.stringify([n, h, w, ic])} k${kh}x${kw} oc${oc} ${JSON.stringify(o)}${extreme ? ' extreme' : ''}`, tflite: b.finish(), inputs: [n * h * w * ic] };
}

test('conv: small K (the SIMD build\'s channels-in-lanes GEMM) == _ref, K = 1..40 (and 42, past its threshold), oc 1..96, extreme values', async () => {
  // conv_s8_simd runs these with gemm2_s8_lanes (output channels in the lanes, weights re-laid
  // per call, border pixels from a padded patch); _ref and the scalar GEMM sum them otherwise
  const r = rng(909);
  const ocs = [1, 3, 4, 5, 8, 13, 16, 96];
  const shapes: [number, number, number][] = []; // [ic, kh, kw]
  for (let k = 1; k <= 32; k++) shapes.push([k, 1, 1]); // 1x1 (direct: the pixel is the patch)
  shapes.push([1, 3, 3], [3, 3, 3], [2, 3, 3], [2, 2, 2], [1, 1, 3], [1, 3, 1], [1, 5, 5], [5, 2, 3], [1, 10, 4], [3, 1, 3], [4, 2, 2], [3, 3, 1], [1, 6, 7]);
  let i = 0;
  for (const [ic, kh, kw] of shapes) {
    for (const extreme of [false, true]) {
      const c = smallKCase(r, i, ic, kh, kw, ocs[i % ocs.length], extreme);
      const given = extreme ? [Uint8Array.from({ length: c.inputs[0] }, () => (r.int(0, 1) ? 127 : 0x80))] : undefined;
      assert.ok((await runAll(c, 4000 + i, given)).packedOps === 1, `${c.name}: packed`);
      i++;
    }
  }
});

test('packed conv needs its scratch: a file that states too little is refused at load', async () => {
  const r = rng(5);
  let c = convCase(r, 0);
  while (!/k[235]x/.test(c.name)) c = convCase(r, 1);
  const epk = convertModel(c.tflite, 'case.tflite', { log: () => {} }).epk.slice();
  const v = new DataView(epk.buffer);
  v.setUint32(24, 15, true); // scratch_bytes below 2 * K8 + 16
  const { crc32 } = await import('../src/format/crc32.js');
  v.setUint32(12, crc32(epk, 16), true);
  try {
    await loadModelNode(epk, 'simd');
    assert.unreachable('loaded with too little scratch');
  } catch (e) {
    assert.match((e as Error).message, /BAD_OP: .*scratch is smaller than two im2col patches/);
  }
});

/** Rewrites i32 param k of op 0 of an .epk and fixes the CRC. */
async function patchParam(epk: Uint8Array, k: number, value: number): Promise<Uint8Array> {
  const { readEpk } = await import('../src/format/reader.js');
  const { crc32 } = await import('../src/format/crc32.js');
  const out = epk.slice();
  const op = readEpk(out).ops[0];
  const v = new DataView(out.buffer);
  const nTensors = v.getUint8(op.at + 2) + v.getUint8(op.at + 3);
  v.setInt32(op.at + 8 + Math.ceil((2 * nTensors) / 4) * 4 + 4 * k, value, true);
  v.setUint32(12, crc32(out, 16), true);
  return out;
}

test('packed conv and depthwise: out-of-range geometry is refused at load, not run', async () => {
  for (const make of [convCase, depthwiseCase]) {
    const r = rng(11);
    let c = make(r, 0);
    const { readEpk } = await import('../src/format/reader.js');
    const packedWithRows = (epk: Uint8Array) => {
      const f = readEpk(epk), op = f.ops[0];
      return op.params.length >= 12 && f.tensors[op.outputs[0]].shape[1] >= 2;
    };
    let epk = convertModel(c.tflite, 'case.tflite', { log: () => {} }).epk;
    while (!packedWithRows(epk)) {
      c = make(r, 1);
      epk = convertModel(c.tflite, 'case.tflite', { log: () => {} }).epk;
    }
    for (const [k, value] of [[0, 1 << 30], [4, -1], [5, 70000]]) {
      try {
        await loadModelNode(await patchParam(epk, k, value), 'simd');
        assert.unreachable(`${c.name}: loaded with param ${k} = ${value}`);
      } catch (e) {
        assert.match((e as Error).message, /BAD_OP: .*out of range for the packed kernels/, c.name);
      }
    }
  }
});

/** Points input k of op 0 of an .epk at tensor t and fixes the CRC. */
async function patchInput(epk: Uint8Array, k: number, t: number): Promise<Uint8Array> {
  const { readEpk } = await import('../src/format/reader.js');
  const { crc32 } = await import('../src/format/crc32.js');
  const out = epk.slice();
  const op = readEpk(out).ops[0];
  const v = new DataView(out.buffer);
  v.setUint16(op.at + 8 + 2 * k, t, true);
  v.setUint32(12, crc32(out, 16), true);
  return out;
}

test('packed conv and depthwise: 4 inputs, the requant table is the only multiplier/shift copy and must cover the channels', async () => {
  const { readEpk } = await import('../src/format/reader.js');
  for (const make of [convCase, depthwiseCase]) {
    const r = rng(13);
    let c = make(r, 0);
    let epk = convertModel(c.tflite, 'case.tflite', { log: () => {} }).epk;
    while (readEpk(epk).ops[0].params.length < 12) {
      c = make(r, 1);
      epk = convertModel(c.tflite, 'case.tflite', { log: () => {} }).epk;
    }
    const f = readEpk(epk), op = f.ops[0];
    const oc = f.tensors[op.outputs[0]].shape[3], oc4 = Math.ceil(oc / 4) * 4;
    assert.is(op.inputs.length, 4, c.name);
    assert.equal(f.tensors[op.inputs[3]].shape, [oc4 * 3], `${c.name}: requant table holds 12 i32 per quad`);
    // x, w, bias, table and the output: no plain multiplier/shift tensors are stored
    assert.is(f.tensors.length, 5, c.name);
    try {
      await loadModelNode(await patchInput(epk, 3, op.inputs[2]), 'scalar'); // table -> the bias (oc or oc4 i32)
      assert.unreachable(`${c.name}: loaded with a short requant table`);
    } catch (e) {
      assert.match((e as Error).message, /BAD_SHAPE: .*requant table must cover/, c.name);
    }
  }
});


test('conv: extreme sums over several 248-tap blocks (the scalar GEMM pairs two rows in one 64-bit sum) == _ref', async () => {
  // gemm2_s8 adds w * (x0 + 2^23 x1) and splits the sum every 248 taps, where |sum w x0| may
  // reach 248 * 2^14 < 2^22; a longer block (or a wrong split) moves a sum by 2^23, which these
  // scales show as tens of output steps. Inputs and weights at -128 / 127 give the largest sums.
  // the widened scalar kernel (gemm-wide.ts) runs four pixels at a time while three or more
  // are left, then a pair: 5, 6 and 7 pixels end in one, two and three; past 1024 taps its f64
  // sums move to i32 block by block
  for (const [ic, px] of [[504, 5], [760, 5], [1100, 7], [2100, 6]]) {
    const b = new TfliteBuilder();
    const oc = 9; // 5 pixels: two pairs and one single row (gemm1_s8)
    const x = b.tensor('x', [1, 1, px, ic], 'int8', { scale: [0.01], zeroPoint: [3] });
    const pattern = (o: number, k: number) => [-128, 127, k % 2 ? -128 : 127, k % 3 ? 127 : -128, -128, 127, (k * 7) % 256 - 128, -128, k < ic / 2 ? -128 : 127][o];
    const wv = Array.from({ length: oc * ic }, (_, i) => pattern(Math.floor(i / ic), i % ic));
    const scales = Array.from({ length: oc }, () => 1e-5);
    const w = b.constant('w', [oc, 1, 1, ic], 'int8', wv, { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 });
    const y = b.tensor('y', [1, 1, px, oc], 'int8', { scale: [0.01], zeroPoint: [0] });
    b.op('CONV_2D', [x, w, -1], [y], { strideH: 1, strideW: 1, padding: 'VALID', activation: 'NONE' });
    b.io([x], [y]);
    const tflite = b.finish();
    const rows = [(k: number) => -128, (k: number) => 127, (k: number) => (k % 2 ? -128 : 127), (k: number) => -128, (k: number) => ((k * 13) % 256) - 128,
      (k: number) => 127, (k: number) => (k % 3 ? 127 : -128)];
    const input = Uint8Array.from({ length: px * ic }, (_, i) => rows[Math.floor(i / ic)](i % ic) & 0xff);
    const want = (await loadModelNode(referenceEpk(tflite), 'scalar')).run(input)[0];
    assert.ok(new Set(want).size > 10, 'the outputs are not saturated');
    const packed = convertModel(tflite, 'case.tflite', { log: () => {} }).epk;
    for (const target of ['scalar', 'simd'] as const) {
      assert.equal(Array.from((await loadModelNode(packed, target)).run(input)[0]), Array.from(want), `ic ${ic}: packed kernels, ${target} build`);
    }
    assert.equal(Array.from((await loadModelStreamed(packed)).run(input)[0]), Array.from(want), `ic ${ic}: packed kernels, streamed build`);
  }
});

test.run();
