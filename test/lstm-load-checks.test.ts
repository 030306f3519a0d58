// Load-time checks of UNIDIRECTIONAL_SEQUENCE_LSTM (assembly/ops.ts validateLstm and its
// params), the same in every build: a converted model with one field edited (CRC resealed) is
// refused by simd, scalar and streamed with the same code and message, never run into a trap;
// random edits of the tensor and op records either fail alike or run alike.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { ErrorCode, H, OpCode, Section, T, TENSOR_RECORD_BYTES, TensorKind } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { buildLstmModel, lstmRng } from '../src/testing/lstm-model.js';
import { rng } from './tflm-oracle.js';
import { BIG, builds, refusedEverywhere } from './load-check-harness.js';

/** x [2, 3, 4] (batch major) -> LSTM (3 units, cell clip 4) -> y [2, 3, 3]. */
const epk = convertModel(buildLstmModel({ batch: 2, steps: 3, nIn: 4, cells: [3], timeMajor: false, cellClip: 4, cellScaleLog2: -11 }, lstmRng(7)), 'lstm.tflite', { log: () => {} }).epk;
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

test('the unedited model: 16 inputs, hidden and cell state variable tensors, every build loads it', async () => {
  assert.is(lstm.inputs.length, 16);
  assert.is(e.tensors[lstm.inputs[13]].kind, TensorKind.Variable);
  assert.is(e.tensors[lstm.inputs[14]].kind, TensorKind.Variable);
  for (const [, load] of builds) await load(epk);
});

test('LSTM params out of range: flags, zero points, multipliers, shifts, clip, tanh scaling: BAD_OP everywhere', async () => {
  const bad = (k: number, v: number, re: string) => refusedEverywhere(edited([[k, v]]), ErrorCode.BadOp, new RegExp(`${OP}.*${re}`));
  await bad(0, 4, 'flags \\(param 0: bit 0 time major, bit 1 fresh state\\) not in 0 to 3');
  await bad(0, -1, 'flags \\(param 0: bit 0 time major, bit 1 fresh state\\) not in 0 to 3');
  await bad(1, 128, 'zero points out of int8 range');
  await bad(2, e.tensors[lstm.inputs[13]].zeroPoint + 1, 'hidden state zero point differs from param 2');
  await bad(3, 5, 'multiplier not 0 nor in');
  await bad(20, 32, 'shift not in');
  await bad(23, -7, 'multiplier not 0 nor in');
  await bad(25, -2, 'cell clip not -1');
  await bad(25, 32768, 'cell clip not -1');
  await bad(26, 0, 'tanh multiplier below 1');
  await bad(27, 32, 'tanh shift not in');
});

test('LSTM inputs: a state that is not a variable, wrong dtypes or shapes: refused everywhere', async () => {
  const h = lstm.inputs[13], c = lstm.inputs[14];
  await refusedEverywhere(edited([], [[recordAt(c) + T.kind, TensorKind.Arena, 1]]), ErrorCode.BadOp, new RegExp(`${OP}.*hidden and cell state must be variable tensors`));
  // the cell state given as the hidden state (int16 where int8 is expected)
  await refusedEverywhere(edited([], [[inputAt(13), c, 2]]), ErrorCode.BadShape, new RegExp(`${OP}.*expects rank-3 int8 input and output`));
  // a recurrent weight given as an input weight ([3, 3] where [3, 4] is expected)
  await refusedEverywhere(edited([], [[inputAt(1), lstm.inputs[5], 2]]), ErrorCode.BadShape, new RegExp(`${OP}.*do not fit input`));
  // the sigmoid table replaced by the cell state (6 int16, not 256)
  await refusedEverywhere(edited([], [[inputAt(15), c, 2]]), ErrorCode.BadShape, new RegExp(`${OP}.*a 256-entry int16 table`));
  // batch major read as time major: batch 3 where the states hold 2
  await refusedEverywhere(edited([[0, 1]]), ErrorCode.BadShape, new RegExp(`${OP}.*do not fit input`));
  assert.ok(h !== c);
});

test('random edits of the tensor and op records (CRC resealed): every build refuses alike, or loads and runs a 3-invoke stream to the same bytes', async () => {
  const r = rng(41);
  const tensors = e.sections.find((s) => s.kind === Section.Tensors)!, ops = e.sections.find((s) => s.kind === Section.Ops)!;
  const x = Uint8Array.from({ length: 24 }, (_, i) => (i * 91) & 0xff);
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

test.run();
