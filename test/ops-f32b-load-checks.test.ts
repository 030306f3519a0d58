// Load-time checks of the float32 forms of groups a, b, c (assembly/ops-f32b.ts), the same in
// every build: a converted float model with one param or dtype edited (CRC resealed) is
// refused by simd, scalar, streamed and the WASI command with the same code and message,
// never run into a trap.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WASI } from 'node:wasi';
import { convertModel } from '../src/convert.js';
import { DType, ErrorCode, H, OpCode, T } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError, loadModel } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { kernelMask, kernelNames } from '../src/format/kernels.js';
import { REPO, runtimeForKernels } from '../tools/firmware/build.js';
import { buildF32BNet } from '../src/testing/f32b-models.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { f32Bits } from '../src/passes/quant-math.js';
import { BIG, builds } from './load-check-harness.js';

/** x [2, 5, 3], indices (run time) -> GATHER axis 1 -> EXP -> SUM over axis 2 -> y [2, 4]. */
function gatherExpSum(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 5, 3], 'float32'), idx = b.tensor('idx', [4], 'int32');
  const g = b.tensor('g', [2, 4, 3], 'float32'), e = b.tensor('e', [2, 4, 3], 'float32'), y = b.tensor('y', [2, 4], 'float32');
  b.op('GATHER', [x, idx], [g], { axis: 1 });
  b.op('EXP', [g], [e]);
  b.op('SUM', [e, b.constant('axis', [1], 'int32', Int32Array.of(2))], [y], { keepDims: false });
  b.io([x, idx], [y]);
  return b.finish();
}

// MIRROR_PAD, RESIZE_BILINEAR, SPACE_TO_DEPTH, PRELU, DIV, SQUARED_DIFFERENCE, L2_NORMALIZATION, REDUCE_MAX, GATHER, LOG_SOFTMAX, ARG_MAX
const net = convertModel(buildF32BNet(), 'f32b.tflite', { log: () => {} }).epk;
const small = convertModel(gatherExpSum(), 'ges.tflite', { log: () => {} }).epk;
const paramAt = (o: EpkOp, k: number) => o.at + 8 + ((2 * (o.inputs.length + o.outputs.length) + 3) & ~3) + 4 * k;
const dtypeAt = (epk: Uint8Array, t: number) => new DataView(epk.buffer, epk.byteOffset).getUint32(32 + 4, true) + t * 48 + T.dtype;

function editor(epk: Uint8Array) {
  const e = readEpk(epk);
  const op = (code: OpCode): EpkOp => e.ops.find((o) => o.opcode === code)!;
  const edited = (params: [o: EpkOp, k: number, v: number][], bytes: [at: number, v: number][] = []): Uint8Array => {
    const b = epk.slice();
    const v = new DataView(b.buffer);
    for (const [o, k, value] of params) v.setInt32(paramAt(o, k), value, true);
    for (const [at, value] of bytes) v.setUint8(at, value);
    v.setUint32(H.crc32, crc32(b, 16), true);
    return b;
  };
  return { e, op, edited };
}

const wasiModule = new WebAssembly.Module(readFileSync(join(REPO, 'build', 'edgepack-run.wasm')));

/** The WASI command on `b` (one zeroed input file per model input): exit code and stderr. */
async function runWasi(b: Uint8Array, inputs: number): Promise<{ exit: number; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'edgepack-f32b-'));
  try {
    writeFileSync(join(dir, 'model.epk'), b);
    const ins = Array.from({ length: inputs }, (_, k) => `in${k}.bin`);
    for (const f of ins) writeFileSync(join(dir, f), new Uint8Array(128));
    const errFd = openSync(join(dir, '.stderr'), 'w');
    const wasi = new WASI({ version: 'preview1', args: ['edgepack-run', 'model.epk', ...ins, 'out.bin'], preopens: { '.': dir }, stderr: errFd, returnOnExit: true });
    const exit = wasi.start(await WebAssembly.instantiate(wasiModule, wasi.getImportObject() as WebAssembly.Imports));
    closeSync(errFd);
    return { exit, stderr: readFileSync(join(dir, '.stderr'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function refusedEverywhere(b: Uint8Array, code: ErrorCode, pattern: RegExp): Promise<void> {
  const w = await runWasi(b, readEpk(b).inputs.length);
  assert.is(w.exit, 1, `wasi: ${w.stderr}`);
  assert.ok(w.stderr.startsWith(`edgepack-run: model.epk: error ${code}: `), `wasi: ${w.stderr}`);
  assert.match(w.stderr, pattern, `wasi: ${w.stderr}`);
  for (const [name, load] of builds) {
    try {
      await load(b);
      assert.unreachable(`${name} loaded it`);
    } catch (err) {
      assert.instance(err, RuntimeError, `${name}: ${String(err)}`);
      assert.is((err as RuntimeError).code, code, `${name}: ${(err as Error).message}`);
      assert.match((err as Error).message, pattern, `${name}: ${(err as Error).message}`);
    }
  }
}

const N = editor(net), S = editor(small);

test('the unedited models load and give the same bytes in every build', async () => {
  assert.equal(N.e.ops.map((o) => o.opcode), [OpCode.TableCopy, OpCode.ResizeBilinear, OpCode.TableCopy, OpCode.Prelu, OpCode.Div,
    OpCode.SquaredDifference, OpCode.L2Normalization, OpCode.ReduceMax, OpCode.TableCopy, OpCode.LogSoftmax, OpCode.ArgMax]);
  assert.equal(S.e.ops.map((o) => o.opcode), [OpCode.Gather, OpCode.Activation, OpCode.Mean]);
  const x = new Uint8Array(Float32Array.from({ length: 32 }, (_, i) => Math.sin(i)).buffer);
  const outs = await Promise.all(builds.map(async ([, load]) => (await load(net)).run(x).map((o) => Array.from(o))));
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
});

test('RESIZE_BILINEAR: a NaN, negative or oversized scale, half_pixel_centers 2: BAD_OP everywhere', async () => {
  const rb = N.op(OpCode.ResizeBilinear);
  for (const bad of [0x7fc00000, f32Bits(-0.5), f32Bits(1.5), 0x7f800000]) {
    await refusedEverywhere(N.edited([[rb, 0, bad]]), ErrorCode.BadOp, /op 1 \(RESIZE_BILINEAR\).*scale not finite and >= 0, or positions fall outside the input/);
  }
  await refusedEverywhere(N.edited([[rb, 2, 2]]), ErrorCode.BadOp, /op 1 \(RESIZE_BILINEAR\).*half_pixel_centers must be 0 or 1/);
});

test('TABLE_COPY on float32: an entry below 0 or tables reaching past the input: BAD_OP everywhere', async () => {
  const tc = N.op(OpCode.TableCopy);
  await refusedEverywhere(N.edited([[tc, 4, -1]]), ErrorCode.BadOp, /op 0 \(TABLE_COPY\).*offset table entry below 0/);
  await refusedEverywhere(N.edited([[tc, 4, 32]]), ErrorCode.BadOp, /op 0 \(TABLE_COPY\).*offset tables reach past the input/);
  await refusedEverywhere(N.edited([[tc, 3, 3]]), ErrorCode.BadOp, /op 0 \(TABLE_COPY\).*wrong number of params/);
});

test('group b/c params on float32: nonzero int8-only params, an inverted DIV clamp, masks and axes out of range: BAD_OP everywhere', async () => {
  await refusedEverywhere(N.edited([[N.op(OpCode.Prelu), 0, 1]]), ErrorCode.BadOp, /op 3 \(PRELU\).*float32 params must be 0/);
  await refusedEverywhere(N.edited([[N.op(OpCode.Div), 5, f32Bits(7)]]), ErrorCode.BadOp, /op 4 \(DIV\).*clamp min <= max/);
  await refusedEverywhere(N.edited([[N.op(OpCode.Div), 2, 9]]), ErrorCode.BadOp, /op 4 \(DIV\).*offsets and multipliers must be 0/);
  await refusedEverywhere(N.edited([[N.op(OpCode.SquaredDifference), 9, 1]]), ErrorCode.BadOp, /op 5 \(SQUARED_DIFFERENCE\).*float32 params must be 0/);
  await refusedEverywhere(N.edited([[N.op(OpCode.L2Normalization), 0, 1]]), ErrorCode.BadOp, /op 6 \(L2_NORMALIZATION\).*float32 params must be 0/);
  await refusedEverywhere(N.edited([[N.op(OpCode.ReduceMax), 0, 16]]), ErrorCode.BadOp, /op 7 \(REDUCE_MAX\).*axis mask out of range/);
  await refusedEverywhere(N.edited([[N.op(OpCode.LogSoftmax), 4, -1]]), ErrorCode.BadOp, /op 9 \(LOG_SOFTMAX\).*float32 params must be 0/);
  await refusedEverywhere(N.edited([[N.op(OpCode.ArgMax), 0, 4]]), ErrorCode.BadOp, /op 10 \(ARG_MAX\).*axis out of range/);
  await refusedEverywhere(S.edited([[S.op(OpCode.Activation), 0, 6]]), ErrorCode.BadOp, /op 1 \(ACTIVATION\).*unknown activation kind/);
  await refusedEverywhere(S.edited([[S.op(OpCode.Mean), 1, 2]]), ErrorCode.BadOp, /op 2 \(MEAN\).*param 1 \(sum\) not 0 or 1/);
});

test('dtypes and sizes: ARG_MAX with a float32 output, an int32 PRELU alpha, float32 GATHER indices, GATHER sizes: refused everywhere', async () => {
  await refusedEverywhere(N.edited([], [[dtypeAt(net, N.op(OpCode.ArgMax).outputs[0]), DType.Float32]]), ErrorCode.BadShape, /op 10 \(ARG_MAX\).*int32 output/);
  await refusedEverywhere(N.edited([], [[dtypeAt(net, N.op(OpCode.Prelu).inputs[1]), DType.Int32]]), ErrorCode.BadShape, /op 3 \(PRELU\).*two plain float32 inputs/);
  const g = S.op(OpCode.Gather);
  await refusedEverywhere(S.edited([], [[dtypeAt(small, g.inputs[1]), DType.Float32]]), ErrorCode.BadShape, /op 0 \(GATHER\).*int32 indices/);
  await refusedEverywhere(S.edited([[g, 2, 6]]), ErrorCode.BadShape, /op 0 \(GATHER\).*sizes do not fit/);
  await refusedEverywhere(S.edited([[g, 0, 0]]), ErrorCode.BadOp, /op 0 \(GATHER\).*must be >= 1/);
});

test('a runtime built for exactly the net\'s kernels (misc_f32, move_f32) runs it as the full build and refuses a model needing more, by name', async () => {
  const mask = kernelMask(N.e);
  assert.equal(kernelNames(mask), ['misc_f32', 'move_f32']);
  const wasm = readFileSync(runtimeForKernels('resident', mask));
  const x = new Uint8Array(Float32Array.from({ length: 32 }, (_, i) => Math.cos(i) * 2).buffer);
  const full = (await loadModelNode(net, 'scalar')).run(x).map((o) => Array.from(o));
  assert.equal((await loadModel(wasm, net)).run(x).map((o) => Array.from(o)), full);
  try {
    await loadModel(wasm, small); // GATHER runs, EXP (ELEMENTWISE_F32) and SUM (OTHER_F32) are left out
    assert.unreachable('loaded a model needing ELEMENTWISE_F32');
  } catch (err) {
    assert.instance(err, RuntimeError);
    assert.is((err as RuntimeError).code, ErrorCode.UnsupportedOp);
    assert.match((err as Error).message, /op 1 \(ACTIVATION\).*needs (kernel variant \d+|a kernel family)/);
  }
});

test.run();
