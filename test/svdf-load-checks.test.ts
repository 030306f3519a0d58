// Load-time checks of SVDF and variable tensors (assembly/ops.ts validateSvdf, assembly/model.ts
// variableOverlap), the same in every build: a converted model with one field edited (CRC
// resealed) is refused by simd, scalar and streamed with the same code and message, never
// run into a trap. Also: the ep_reset export of every build, and NOT_LOADED before a load.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { ErrorCode, H, OpCode, Section, T, TENSOR_RECORD_BYTES, TensorKind } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { EpkError, readEpk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode, runtimeModule } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { rng } from './tflm-oracle.js';
import { REPO } from './helpers.js';
import { BIG, builds, refusedEverywhere } from './load-check-harness.js';

const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });

/** x [1, 6] -> SVDF(rank 1, 4 filters, memory 3) -> y [1, 4]. */
function model(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 6], 'int8', q(0.05, 3));
  const wf = b.constant('feature', [4, 6], 'int8', Array.from({ length: 24 }, (_, i) => ((i * 37) % 255) - 127), q(0.01, 0));
  const wt = b.constant('time', [4, 3], 'int16', Array.from({ length: 12 }, (_, i) => (i * 5003) % 60000 - 30000), q(0.0005, 0));
  const bias = b.constant('bias', [4], 'int32', [100, -200, 300, -400], q(Math.fround(0.02 * 0.0005), 0));
  const state = b.variable('state', [1, 12], 'int16', q(0.02, 0));
  const y = b.tensor('y', [1, 4], 'int8', q(0.1, -5));
  b.op('SVDF', [x, wf, wt, bias, state], [y], { rank: 1 });
  b.io([x], [y]);
  return b.finish();
}

const epk = convertModel(model(), 'svdf.tflite', { log: () => {} }).epk;
const e = readEpk(epk);
const svdf: EpkOp = e.ops.find((o) => o.opcode === OpCode.Svdf)!;
const stateIndex = svdf.inputs[4];
const paramAt = (k: number) => svdf.at + 8 + ((2 * (svdf.inputs.length + svdf.outputs.length) + 3) & ~3) + 4 * k;
const recordAt = (t: number) => e.sections.find((s) => s.kind === Section.Tensors)!.offset + t * TENSOR_RECORD_BYTES;

function edited(params: [k: number, v: number][], raw: [at: number, v: number, bytes?: 1 | 4][] = []): Uint8Array {
  const b = epk.slice();
  const v = new DataView(b.buffer);
  for (const [k, value] of params) v.setInt32(paramAt(k), value, true);
  for (const [at, value, bytes] of raw) bytes === 1 ? v.setUint8(at, value) : v.setInt32(at, value, true);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

test('the unedited model: state is a variable tensor and every build loads it', async () => {
  assert.is(e.tensors[stateIndex].kind, TensorKind.Variable);
  for (const [, load] of builds) await load(epk);
});

test('SVDF params: rank, zero points, multipliers out of range: BAD_OP / BAD_SHAPE everywhere', async () => {
  await refusedEverywhere(edited([[0, 0]]), ErrorCode.BadOp, /op 0 \(SVDF\).*rank must be >= 1 and divide the number of filters/);
  await refusedEverywhere(edited([[0, 3]]), ErrorCode.BadOp, /op 0 \(SVDF\).*rank must be >= 1 and divide the number of filters/);
  await refusedEverywhere(edited([[0, 2]]), ErrorCode.BadShape, /op 0 \(SVDF\).*do not fit/); // 2 units, output holds 4
  await refusedEverywhere(edited([[1, 200]]), ErrorCode.BadOp, /op 0 \(SVDF\).*zero points out of int8 range/);
  await refusedEverywhere(edited([[2, -129]]), ErrorCode.BadOp, /op 0 \(SVDF\).*zero points out of int8 range/);
  await refusedEverywhere(edited([[3, 5]]), ErrorCode.BadOp, /op 0 \(SVDF\).*multiplier not 0 nor in/);
  await refusedEverywhere(edited([[6, 40]]), ErrorCode.BadOp, /op 0 \(SVDF\).*shift not in/);
});

test('SVDF state: not a variable, or a nonzero zero point: BAD_OP everywhere', async () => {
  await refusedEverywhere(edited([], [[recordAt(stateIndex) + T.kind, TensorKind.Arena, 1]]), ErrorCode.BadOp, /op 0 \(SVDF\).*state must be a variable tensor/);
  await refusedEverywhere(edited([], [[recordAt(stateIndex) + T.zeroPoint, 1]]), ErrorCode.BadOp, /op 0 \(SVDF\).*state must have zero point 0/);
});

test('a variable tensor sharing arena bytes with another tensor: BAD_TENSOR everywhere', async () => {
  const state = e.tensors[stateIndex];
  assert.ok(state.bytes >= 16);
  // the op's output at the state's first byte, the graph input over its middle
  await refusedEverywhere(edited([], [[recordAt(svdf.outputs[0]) + T.offset, state.offset]]), ErrorCode.BadTensor, /variable tensor shares arena bytes with another tensor/);
  await refusedEverywhere(edited([], [[recordAt(e.inputs[0]) + T.offset, state.offset + 8]]), ErrorCode.BadTensor, /variable tensor shares arena bytes with another tensor/);
  // the converter's reader refuses the same files with the same code
  for (const bad of [edited([], [[recordAt(svdf.outputs[0]) + T.offset, state.offset]]), edited([], [[recordAt(e.inputs[0]) + T.offset, state.offset + 8]])]) {
    assert.throws(() => readEpk(bad), (err: unknown) => err instanceof EpkError && err.code === ErrorCode.BadTensor && /variable tensor shares arena bytes/.test(err.message));
  }
});

test('random edits of the tensor and op records (CRC resealed): every build refuses alike, or loads and runs a 3-invoke stream to the same bytes', async () => {
  const r = rng(31);
  const tensors = e.sections.find((s) => s.kind === Section.Tensors)!, ops = e.sections.find((s) => s.kind === Section.Ops)!;
  const x = Uint8Array.from({ length: 6 }, (_, i) => (i * 91) & 0xff);
  let loaded = 0, refused = 0;
  for (let c = 0; c < 150; c++) {
    const b = epk.slice();
    const sec = c % 2 ? tensors : ops;
    for (let k = 0; k < 1 + (c % 3); k++) b[sec.offset + Math.floor(r() * sec.size)] = Math.floor(r() * 256);
    new DataView(b.buffer).setUint32(H.crc32, crc32(b, 16), true);
    const results: string[] = [];
    for (const [, load] of builds) {
      try {
        const m = (await load(b)) as { run(x: Uint8Array): Uint8Array[]; reset(): void };
        const outs = [0, 1, 2].map(() => Array.from(Buffer.concat(m.run(x))).join(','));
        m.reset();
        outs.push(Array.from(Buffer.concat(m.run(x))).join(','));
        results.push(`ok ${outs.join('|')}`);
      } catch (err) {
        assert.instance(err, RuntimeError, String(err)); // never a trap
        results.push(`${(err as RuntimeError).code} ${(err as Error).message}`);
      }
    }
    assert.equal(results[1], results[0], `edit ${c}: scalar vs simd`);
    assert.equal(results[2], results[0], `edit ${c}: streamed vs simd`);
    if (results[0].startsWith('ok')) loaded++;
    else refused++;
  }
  assert.ok(loaded > 0 && refused > 0, `${loaded} loaded, ${refused} refused`);
});

test('ep_reset: exported by every build; NOT_LOADED before a model is loaded', async () => {
  const modules: [string, WebAssembly.Module, WebAssembly.Imports][] = [
    ['simd', runtimeModule('simd'), {}],
    ['scalar', runtimeModule('scalar'), {}],
    ['streamed', streamedModule(), { env: { ep_read: () => 0 } }],
  ];
  for (const [name, mod, imports] of modules) {
    const inst = await WebAssembly.instantiate(mod, imports);
    const reset = inst.exports.ep_reset as () => number;
    assert.type(reset, 'function', name);
    assert.is(reset(), ErrorCode.NotLoaded, name);
  }
  const wasi = new WebAssembly.Module(readFileSync(join(REPO, 'build', 'edgepack-run.wasm')));
  assert.ok(WebAssembly.Module.exports(wasi).some((x) => x.name === 'ep_reset'), 'wasi');
});

test.run();
