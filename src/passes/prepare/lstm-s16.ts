// Prepare for UNIDIRECTIONAL_SEQUENCE_LSTM 16x8 (kernel row LSTM_S16, chosen by the input's
// dtype): int16 input, output and hidden state (zero point 0), int8 symmetric per-tensor
// weights, int64 biases, an int16 cell state, as TFLM's EvalLstm<int16_t, int8_t, int16_t,
// int64_t>. The arithmetic and params are the 8x8 LSTM's (prepare/lstm.ts, docs/FORMAT.md):
// gate products requantized to Q3.12 by QuantizeMultiplier(double(x or h scale) *
// double(weight scale) / 2^-12), the inter-gate multiplies by the double products of the
// scales, the same cell clip and tanh shift; but the gate requantization is TFLM's 64-bit
// MultiplyByQuantizedMultiplier, which takes shifts up to 7: larger ones are refused here (and
// at load). 16 inputs, the last the shared sigmoid table.

import { OpCode } from '../../format/constants.js';
import { Tensor } from '../../ir/graph.js';
import { PrepareContext } from './context.js';
import {
  BIASES, CELL, GATES, GATE_OUT_SCALE, GATE_SCALE, HIDDEN, INPUT_WEIGHTS, RECURRENT_WEIGHTS,
  cellScalePower, checkShapes, checkVariants, pair, quantizedClip, sigmoidTable, weightQuant,
} from './lstm.js';

const S16_GATE_SHIFT_MAX = 7;

export function prepareLstmS16(ctx: PrepareContext): void {
  ctx.expectCounts(24, 24);
  checkVariants(ctx, 'int16 ');
  const opts = ctx.op.options;
  if (opts.activation !== 'TANH') ctx.fail(`cell activation ${opts.activation} is not supported (TFLM's LSTM runs TANH)`);
  const cellClip = opts.cellClip as number;
  if (!(cellClip >= 0)) ctx.fail(`cell clip ${cellClip} must be >= 0`);
  const x = ctx.input(0, 'input'), h = ctx.input(HIDDEN, 'hidden state'), c = ctx.input(CELL, 'cell state'), y = ctx.output();
  const wx = GATES.map((g, k) => ctx.input(INPUT_WEIGHTS + k, `input-to-${g} weights`));
  const wh = GATES.map((g, k) => ctx.input(RECURRENT_WEIGHTS + k, `recurrent-to-${g} weights`));
  const bias = GATES.map((g, k) => ctx.input(BIASES + k, `${g} gate bias`));
  const timeMajor = opts.timeMajor === true;
  checkShapes(ctx, x, h, c, y, wx, wh, bias, timeMajor);
  checkTypes(ctx, x, h, c, y, wx, wh, bias);
  const xq = ctx.quant(x, 'input'), hq = ctx.quant(h, 'hidden state'), cq = ctx.quant(c, 'cell state'), yq = ctx.quant(y, 'output');
  for (const [t, q, role] of [[x, xq, 'input'], [h, hq, 'hidden state'], [y, yq, 'output'], [c, cq, 'cell state']] as const) {
    if (q.zeroPoint !== 0) ctx.fail(`${role} "${t.name}" has zero point ${q.zeroPoint}; int16 tensors must have zero point 0`);
  }
  const gateMultipliers = (ws: Tensor[], inScale: number, role: string) => ws.flatMap((w, k) => {
    const what = `${role}-to-${GATES[k]} weights`;
    const [m, shift] = pair(ctx, (inScale * weightQuant(ctx, w, what)) / GATE_SCALE, w);
    if (shift > S16_GATE_SHIFT_MAX) ctx.fail(`${what} "${w.name}": the gate rescale ${inScale} x weight scale / 2^-12 needs shift ${shift}; TFLM's int16 requantization takes shifts up to ${S16_GATE_SHIFT_MAX}`);
    return [m, shift];
  });
  const product = (a: number, b: number, out: number, what: string) => pair(ctx, (a * b) / out, null, what);
  const power = cellScalePower(cq.scale);
  const tanhShift = 12 + power;
  if (!(tanhShift <= 16 && tanhShift >= -31)) ctx.fail(`cell state "${c.name}" scale ${cq.scale} (2^${power}) is outside 2^-43 to 2^4`);
  ctx.op.inputs = [ctx.op.inputs[0], ...ctx.op.inputs.slice(INPUT_WEIGHTS, RECURRENT_WEIGHTS + 4), ...ctx.op.inputs.slice(BIASES, BIASES + 4), ctx.op.inputs[HIDDEN], ctx.op.inputs[CELL], sigmoidTable(ctx)];
  ctx.op.kernel = {
    opcode: OpCode.UnidirectionalSequenceLstm,
    params: [
      timeMajor ? 1 : 0, 0, 0,
      ...gateMultipliers(wx, xq.scale, 'input'), ...gateMultipliers(wh, hq.scale, 'recurrent'),
      ...product(GATE_OUT_SCALE, cq.scale, cq.scale, 'forget x cell state'),
      ...product(GATE_OUT_SCALE, GATE_OUT_SCALE, cq.scale, 'input x cell gate'),
      ...product(GATE_OUT_SCALE, GATE_OUT_SCALE, hq.scale, 'tanh(cell) x output gate'),
      cellClip > 0 ? quantizedClip(cellClip, cq.scale) : -1,
      tanhShift >= 0 ? 3 << tanhShift : 3, tanhShift >= 0 ? 0 : -tanhShift,
    ],
  };
}

function checkTypes(ctx: PrepareContext, x: Tensor, h: Tensor, c: Tensor, y: Tensor, wx: Tensor[], wh: Tensor[], bias: Tensor[]): void {
  ctx.expectDtype(x, ['int16'], 'input');
  ctx.expectDtype(y, ['int16'], 'output');
  ctx.expectDtype(h, ['int16'], 'hidden state');
  ctx.expectDtype(c, ['int16'], 'cell state');
  for (const [t, role] of [[h, 'hidden state'], [c, 'cell state']] as const) {
    if (!t.variable || t.data) ctx.fail(`${role} "${t.name}" must be a variable tensor (is_variable, no buffer)`);
  }
  [...wx, ...wh].forEach((w) => {
    ctx.expectDtype(w, ['int8'], 'weights');
    ctx.expectConst(w, 'weights');
  });
  bias.forEach((b) => {
    ctx.expectDtype(b, ['int64'], 'bias');
    ctx.expectConst(b, 'bias');
  });
}
