// Load-time checks of the float32 LSTM (assembly/ops-lstm.ts validateLstmF32), the same in
// every build: a converted model with one field edited (CRC resealed) is refused by simd,
// scalar and streamed with the same code and message, never run into a trap.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { ErrorCode, H, OpCode, Section, T, TENSOR_RECORD_BYTES, TensorKind, DType } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { lstmRng } from '../src/testing/lstm-model.js';
import { buildLstmF32Model } from '../src/testing/lstm-typed-models.js';
import { BIG, builds, refusedEverywhere } from './load-check-harness.js';

/** x [2, 3, 4] (batch major) -> float32 LSTM (3 units, cell clip 4) -> y [2, 3, 3]. */
const epk = convertModel(buildLstmF32Model({ batch: 2, steps: 3, nIn: 4, cells: [3], timeMajor: false, cellClip: 4, cellScaleLog2: 0 }, lstmRng(7)), 'lstm.tflite', { log: () => {} }).epk;
const e = readEpk(epk);
const lstm: EpkOp = e.ops.find((o) => o.opcode === OpCode.UnidirectionalSequenceLstm)!;
const paramAt = (k: number) => lstm.at + 8 + ((2 * (lstm.inputs.length + lstm.outputs.length) + 3) & ~3) + 4 * k;
const recordAt = (t: number) => e.sections.find((s) => s.kind === Section.Tensors)!.offset + t * TENSOR_RECORD_BYTES;
const inputAt = (k: number) => lstm.at + 8 + 2 * k;
const f32Bits = (v: number) => new Int32Array(Float32Array.of(v).buffer)[0];

function edited(params: [k: number, v: number][], raw: [at: number, v: number, bytes?: 1 | 2 | 4][] = []): Uint8Array {
  const b = epk.slice();
  const v = new DataView(b.buffer);
  for (const [k, value] of params) v.setInt32(paramAt(k), value, true);
  for (const [at, value, bytes] of raw) bytes === 1 ? v.setUint8(at, value) : bytes === 2 ? v.setUint16(at, value, true) : v.setInt32(at, value, true);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

const OP = /op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\)/.source;

test('the unedited float32 model: 15 inputs, float32 variable states, every build loads it', async () => {
  assert.is(lstm.inputs.length, 15);
  for (const k of [13, 14]) {
    assert.is(e.tensors[lstm.inputs[k]].kind, TensorKind.Variable);
    assert.is(e.tensors[lstm.inputs[k]].dtype, DType.Float32);
  }
  for (const [, load] of builds) await load(epk);
});

test('float32 LSTM params out of range: time major, fresh state, a stray param, a negative, NaN or infinite clip: BAD_OP everywhere', async () => {
  const bad = (k: number, v: number, re: string) => refusedEverywhere(edited([[k, v]]), ErrorCode.BadOp, new RegExp(`${OP}.*${re}`));
  await bad(0, 2, 'time major \\(param 0\\) not 0 or 1');
  await bad(1, 2, 'fresh state \\(param 1\\) not 0 or 1');
  await bad(3, 5, 'params other than time major, fresh state and cell clip must be 0');
  await bad(27, 1, 'params other than time major, fresh state and cell clip must be 0');
  await bad(25, f32Bits(-1), 'cell clip \\(param 25\\) must be a finite float32 >= 0');
  await bad(25, f32Bits(NaN), 'cell clip \\(param 25\\) must be a finite float32 >= 0');
  await bad(25, f32Bits(Infinity), 'cell clip \\(param 25\\) must be a finite float32 >= 0');
});

test('float32 LSTM inputs: a state that is not a variable, a non-float input, wrong shapes, a wrong input count: refused everywhere', async () => {
  const c = lstm.inputs[14];
  await refusedEverywhere(edited([], [[recordAt(c) + T.kind, TensorKind.Arena, 1]]), ErrorCode.BadOp, new RegExp(`${OP}.*hidden and cell state must be variable tensors`));
  await refusedEverywhere(edited([], [[recordAt(lstm.inputs[1]) + T.dtype, DType.Int32, 1]]), ErrorCode.BadShape, new RegExp(`${OP}.*every input must be a plain float32 tensor`));
  await refusedEverywhere(edited([], [[inputAt(1), lstm.inputs[5], 2]]), ErrorCode.BadShape, new RegExp(`${OP}.*do not fit input`));
  await refusedEverywhere(edited([[0, 1]]), ErrorCode.BadShape, new RegExp(`${OP}.*do not fit input`));
  await refusedEverywhere(edited([], [[inputAt(9), lstm.inputs[13], 2]]), ErrorCode.BadShape, new RegExp(`${OP}.*do not fit input`));
});

test.run();
