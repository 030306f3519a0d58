// Prepare for UNIDIRECTIONAL_SEQUENCE_LSTM on float32 (kernel row LSTM_F32, chosen by the
// output's dtype): input, weights, biases, hidden and cell state, output all float32, as
// TFLM's float LSTM (the plain one: no CIFG, peephole, projection or layer norm; TANH). The op
// keeps 15 inputs: x, 4 input weights, 4 recurrent weights, 4 biases (gate order input,
// forget, cell, output), hidden state, cell state (variable tensors, zero at load and reset).
// Params: the integer LSTM's 28 (docs/FORMAT.md), with time_major at 0, fresh_state at 1 (1:
// zero the states at every invoke, as an ONNX LSTM from zero initial state; 0: carry them, as
// TFLite), cell_clip at 25 as f32 bits (0: none, as TFLM clips only when clip > 0), the rest 0.

import { OpCode } from '../../format/constants.js';
import { Tensor } from '../../ir/graph.js';
import { f32Bits } from '../quant-math.js';
import { PrepareContext } from './context.js';
import { BIASES, CELL, GATES, HIDDEN, INPUT_WEIGHTS, RECURRENT_WEIGHTS, checkShapes, checkVariants } from './lstm.js';

export const LSTM_PARAM_COUNT = 28;
export const LSTM_CLIP_PARAM = 25;
export const LSTM_FRESH_PARAM = 1;

export function prepareLstmF32(ctx: PrepareContext): void {
  ctx.expectCounts(24, 24);
  checkVariants(ctx, 'float32 ');
  const opts = ctx.op.options;
  if (opts.activation !== 'TANH') ctx.fail(`cell activation ${opts.activation} is not supported (TFLM's LSTM runs TANH)`);
  const cellClip = Math.fround(opts.cellClip as number);
  if (!(cellClip >= 0) || !Number.isFinite(cellClip)) ctx.fail(`cell clip ${opts.cellClip} must be a finite float32 >= 0`);
  const x = ctx.input(0, 'input'), h = ctx.input(HIDDEN, 'hidden state'), c = ctx.input(CELL, 'cell state'), y = ctx.output();
  const wx = GATES.map((g, k) => ctx.input(INPUT_WEIGHTS + k, `input-to-${g} weights`));
  const wh = GATES.map((g, k) => ctx.input(RECURRENT_WEIGHTS + k, `recurrent-to-${g} weights`));
  const bias = GATES.map((g, k) => ctx.input(BIASES + k, `${g} gate bias`));
  const timeMajor = opts.timeMajor === true;
  checkShapes(ctx, x, h, c, y, wx, wh, bias, timeMajor);
  const all: [Tensor, string][] = [[x, 'input'], [y, 'output'], [h, 'hidden state'], [c, 'cell state'], ...wx.map((w): [Tensor, string] => [w, 'weights']), ...wh.map((w): [Tensor, string] => [w, 'weights']), ...bias.map((b): [Tensor, string] => [b, 'bias'])];
  for (const [t, role] of all) ctx.expectDtype(t, ['float32'], role);
  for (const [t, role] of [[h, 'hidden state'], [c, 'cell state']] as const) {
    if (!t.variable || t.data) ctx.fail(`${role} "${t.name}" must be a variable tensor (is_variable, no buffer)`);
  }
  [...wx, ...wh].forEach((w) => ctx.expectConst(w, 'weights'));
  bias.forEach((b) => ctx.expectConst(b, 'bias'));
  ctx.op.inputs = [ctx.op.inputs[0], ...ctx.op.inputs.slice(INPUT_WEIGHTS, RECURRENT_WEIGHTS + 4), ...ctx.op.inputs.slice(BIASES, BIASES + 4), ctx.op.inputs[HIDDEN], ctx.op.inputs[CELL]];
  const params = new Array(LSTM_PARAM_COUNT).fill(0);
  params[0] = timeMajor ? 1 : 0;
  params[LSTM_FRESH_PARAM] = opts.freshState === true ? 1 : 0; // ONNX: zero state at every invoke
  params[LSTM_CLIP_PARAM] = f32Bits(cellClip);
  ctx.op.kernel = { opcode: OpCode.UnidirectionalSequenceLstm, params };
}
