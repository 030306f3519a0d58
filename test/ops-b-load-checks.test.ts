// Load-time checks of group b's ops (PRELU, SQUARED_DIFFERENCE, DIV, L2_NORMALIZATION; assembly/ops.ts
// validateParamsB), the same in every build: a converted model with one param edited (CRC
// resealed) is refused by simd, scalar and streamed with the same code and message.
// Also: what the converter refuses by name (int8 EXP, which TFLM runs only in float32; a DIV
// whose rescale is beyond the kernel's shift range).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { ErrorCode, H, OpCode } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type EpkOp } from '../src/format/reader.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed, streamedModule } from '../src/runtime/streamed.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { buildOpsBNet } from '../src/testing/ops-b-models.js';
import { BIG, builds, refusedEverywhere } from './load-check-harness.js';

const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });
const epk = convertModel(buildOpsBNet(), 'ops-b.tflite', { log: () => {} }).epk;
const e = readEpk(epk);
const op = (code: OpCode): EpkOp => e.ops.find((o) => o.opcode === code)!;
const paramAt = (o: EpkOp, k: number) => o.at + 8 + ((2 * (o.inputs.length + o.outputs.length) + 3) & ~3) + 4 * k;

function edited(edits: [o: EpkOp, k: number, v: number][]): Uint8Array {
  const b = epk.slice();
  const v = new DataView(b.buffer);
  for (const [o, k, value] of edits) v.setInt32(paramAt(o, k), value, true);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

test('the unedited model (PRELU, SQUARED_DIFFERENCE, DIV, RSQRT as LUT, L2_NORMALIZATION) loads and gives the same bytes in every build', async () => {
  assert.equal(e.ops.map((o) => o.opcode), [OpCode.Prelu, OpCode.SquaredDifference, OpCode.Div, OpCode.Lut, OpCode.L2Normalization]);
  const x = new Uint8Array(24).map((_, i) => (i * 53) & 0xff);
  const outs = await Promise.all(builds.map(async ([, load]) => Array.from((await load(epk)).run(x)[0])));
  assert.is(outs[0].length, 24);
  assert.ok(new Set(outs[0]).size > 3, 'the output varies with the input');
  assert.equal(outs[1], outs[0]);
  assert.equal(outs[2], outs[0]);
});

test('PRELU: offsets and multipliers out of range: BAD_OP everywhere', async () => {
  const p = op(OpCode.Prelu);
  await refusedEverywhere(edited([[p, 0, 129]]), ErrorCode.BadOp, /op 0 \(PRELU\).*input and alpha offsets/);
  await refusedEverywhere(edited([[p, 2, 128]]), ErrorCode.BadOp, /op 0 \(PRELU\).*input and alpha offsets/);
  await refusedEverywhere(edited([[p, 3, 12345]]), ErrorCode.BadOp, /op 0 \(PRELU\).*multiplier not 0 nor in/);
  await refusedEverywhere(edited([[p, 6, 32]]), ErrorCode.BadOp, /op 0 \(PRELU\).*shift not in \[-31, 31\]/);
});

test('SQUARED_DIFFERENCE: offsets, left shift, multipliers out of range: BAD_OP everywhere', async () => {
  const s = op(OpCode.SquaredDifference);
  assert.is(s.params[3], 7);
  await refusedEverywhere(edited([[s, 1, -128]]), ErrorCode.BadOp, /op 1 \(SQUARED_DIFFERENCE\).*input offsets/);
  await refusedEverywhere(edited([[s, 3, 8]]), ErrorCode.BadOp, /op 1 \(SQUARED_DIFFERENCE\).*left shift out of range/);
  await refusedEverywhere(edited([[s, 8, -5]]), ErrorCode.BadOp, /op 1 \(SQUARED_DIFFERENCE\).*multiplier not 0 nor in/);
});

test('DIV: offsets, output shift above 21, activation bounds: BAD_OP everywhere', async () => {
  const d = op(OpCode.Div);
  await refusedEverywhere(edited([[d, 2, 200]]), ErrorCode.BadOp, /op 2 \(DIV\).*input offsets/);
  await refusedEverywhere(edited([[d, 4, 22]]), ErrorCode.BadOp, /op 2 \(DIV\).*shift not in \[-31, 21\]/);
  await refusedEverywhere(edited([[d, 5, 10], [d, 6, 9]]), ErrorCode.BadOp, /op 2 \(DIV\).*activation bounds/);
});

test('L2_NORMALIZATION: zero point out of int8 range: BAD_OP everywhere', async () => {
  const l = op(OpCode.L2Normalization);
  assert.equal(l.params, [-128]);
  await refusedEverywhere(edited([[l, 0, -129]]), ErrorCode.BadOp, /op 4 \(L2_NORMALIZATION\).*zero point out of int8 range/);
});

function single(type: string, yScale: number, inputs = 1): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [4], 'int8', q(0.05, 0));
  const ins = [x];
  if (inputs === 2) ins.push(b.constant('k', [4], 'int8', [1, 2, 3, 4], q(1e-6, 0)));
  const y = b.tensor('y', [4], 'int8', q(yScale, 0));
  b.op(type, ins, [y]);
  b.io([x], [y]);
  return b.finish();
}

test('converter: int8 EXP refused by name (TFLM has no int8 EXP); a DIV rescale beyond 2^21 refused naming the op', () => {
  assert.throws(() => convertModel(single('EXP', 0.1), 'exp.tflite', { log: () => {} }), /op 0 \(EXP\)/);
  assert.throws(() => convertModel(single('DIV', 1e-3, 2), 'div.tflite', { log: () => {} }), /op 0 \(DIV\).*above 2\^21/);
});

test.run();
