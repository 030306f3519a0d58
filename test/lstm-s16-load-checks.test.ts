// Load-time checks of the 16x8 LSTM (assembly/ops-lstm.ts validateLstmS16, then the 8x8
// param ranges of ops.ts validateParams), the same in every build: a converted model with one field edited (CRC resealed) is refused by simd,
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
import { buildLstmS16Model } from '../src/testing/lstm-typed-models.js';
import { BIG, builds, refusedEverywhere } from './load-check-harness.js';

/** x [2, 3, 4] (batch major) -> 16x8 LSTM (3 units, cell clip 4) -> y [2, 3, 3]. */
const epk = convertModel(buildLstmS16Model({ batch: 2, steps: 3, nIn: 4, cells: [3], timeMajor: false, cellClip: 4, cellScaleLog2: -11 }, lstmRng(7)), 'lstm.tflite', { log: () => {} }).epk;
const e = readEpk(epk);
const lstm: EpkOp = e.ops.find((o) => o.opcode === OpCode.UnidirectionalSequenceLstm)!;
const paramAt = (k: number) => lstm.at + 8 + ((2 * (lstm.inputs.length + lstm.outputs.length) + 3) & ~3) + 4 * k;
const recordAt = (t: number) => e.sections.find((s) => s.kind === Section.Tensors)!.offset + t * TENSOR_RECORD_BYTES;
const inputAt = (k: number) => lstm.at + 8 + 2 * k;

function edited(params: [k: number, v: number][], raw: [at: number, v: number, bytes?: 1 | 2 | 4][] = []): Uint8Array {
  const b = epk.slice();
  const v = new DataView(b.buffer);
  for (const [k, value] of params) v.setInt32(paramAt(k), value, true);
  for (const [at, value, bytes] of raw) bytes === 1 ? v.setUint8(at, value) : bytes === 2 ? v.setUint16(at, value, true) : v.setInt32(at, value, true);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

const OP = /op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\)/.source;

test('the unedited 16x8 model: 16 inputs, int16 variable states, every build loads it', async () => {
  assert.is(lstm.inputs.length, 16);
  for (const k of [13, 14]) {
    assert.is(e.tensors[lstm.inputs[k]].kind, TensorKind.Variable);
    assert.is(e.tensors[lstm.inputs[k]].dtype, DType.Int16);
  }
  for (const [, load] of builds) await load(epk);
});

test('16x8 LSTM params out of range: zero points, a gate shift above 7, multipliers, clip, tanh scaling: BAD_OP everywhere', async () => {
  const bad = (k: number, v: number, re: string) => refusedEverywhere(edited([[k, v]]), ErrorCode.BadOp, new RegExp(`${OP}.*${re}`));
  await bad(0, 2, 'time major \\(param 0\\) not 0 or 1');
  await bad(1, 3, 'must have zero point 0');
  await bad(2, -1, 'must have zero point 0');
  await bad(4, 8, 'a gate shift \\(params 4-18\\) above 7');
  await bad(18, 9, 'a gate shift \\(params 4-18\\) above 7');
  await bad(3, 5, 'multiplier not 0 nor in');
  await bad(20, 32, 'shift not in');
  await bad(25, -2, 'cell clip not -1');
  await bad(26, 0, 'tanh multiplier below 1');
});

test('16x8 LSTM inputs: a state that is not a variable, an int8 tensor as a bias, a wrong table, wrong shapes, a non-zero zero point: refused everywhere', async () => {
  const c = lstm.inputs[14];
  await refusedEverywhere(edited([], [[recordAt(c) + T.kind, TensorKind.Arena, 1]]), ErrorCode.BadOp, new RegExp(`${OP}.*hidden and cell state must be variable tensors`));
  await refusedEverywhere(edited([], [[inputAt(9), lstm.inputs[1], 2]]), ErrorCode.BadShape, new RegExp(`${OP}.*int16 LSTM expects`));
  await refusedEverywhere(edited([], [[inputAt(15), c, 2]]), ErrorCode.BadShape, new RegExp(`${OP}.*a 256-entry int16 table`));
  await refusedEverywhere(edited([], [[inputAt(1), lstm.inputs[5], 2]]), ErrorCode.BadShape, new RegExp(`${OP}.*do not fit input`));
  await refusedEverywhere(edited([[0, 1]]), ErrorCode.BadShape, new RegExp(`${OP}.*do not fit input`));
  await refusedEverywhere(edited([], [[recordAt(lstm.inputs[0]) + T.zeroPoint, 5, 4]]), ErrorCode.BadOp, new RegExp(`${OP}.*must have zero point 0`));
});

test.run();
