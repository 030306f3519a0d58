// Prepare for UNIDIRECTIONAL_SEQUENCE_LSTM, integer (int8 activations and weights, int32
// biases, int16 cell state), as TFLM's UnidirectionalSequenceLstmPrepare: 24 inputs (TFLite's
// order), of which TFLM runs the plain LSTM only: no CIFG, peephole, projection or layer norm
// (it refuses their tensors; so does this). Gate pre-activations are Q3.12 (scale 2^-12): each
// gate's input and recurrent products get QuantizeMultiplier(double(x or h scale) *
// double(weight scale) / 2^-12); gate outputs are Q0.15 (2^-15): forget x cell -> cell,
// input x cell gate -> cell and tanh(cell) x output -> hidden multiply by the double products
// of the float scales, as CreateInterGateMulParams. tanh(cell) reads the cell scale's power of
// two (CheckedLog2: float32 log, rounded); the cell clip is clip / cell scale truncated to int16.
// The op keeps 16 inputs: x, 4 input weights, 4 recurrent weights, 4 biases (gate order
// input, forget, cell, output), hidden state, cell state, and the int16 [256] constant of
// TFLM's sigmoid table (sigmoid-table.ts), which the kernel interpolates (one per graph).

import { OpCode } from '../../format/constants.js';
import { Tensor } from '../../ir/graph.js';
import { quantizeMultiplier } from '../quant-math.js';
import { PrepareContext } from './context.js';
import { SIGMOID_TABLE_U16 } from './sigmoid-table.js';

export const GATES = ['input', 'forget', 'cell', 'output'];
export const INPUT_WEIGHTS = 1, RECURRENT_WEIGHTS = 5, BIASES = 12, HIDDEN = 18, CELL = 19;
/** Tensors of the LSTM variants TFLM's kernel refuses: slot -> what they make. */
const VARIANT_SLOTS: [number, string][] = [
  [9, 'peephole'], [10, 'peephole'], [11, 'peephole'], [16, 'projection'], [17, 'projection'],
  [20, 'layer norm'], [21, 'layer norm'], [22, 'layer norm'], [23, 'layer norm'],
];
export const GATE_SCALE = 2 ** -12; // Q3.12, the sigmoid and tanh input
export const GATE_OUT_SCALE = 2 ** -15; // Q0.15, their output

export function prepareLstm(ctx: PrepareContext): void {
  ctx.expectCounts(24, 24);
  checkVariants(ctx);
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
  const xq = f32Quant(ctx, x, 'input'), hq = f32Quant(ctx, h, 'hidden state'), cq = f32Quant(ctx, c, 'cell state');
  const gateMultipliers = (ws: Tensor[], inScale: number, role: string) => ws.flatMap((w, k) => {
    const wq = weightQuant(ctx, w, `${role}-to-${GATES[k]} weights`);
    return pair(ctx, (inScale * wq) / GATE_SCALE, w);
  });
  const product = (a: number, b: number, out: number, what: string) => pair(ctx, (a * b) / out, null, what);
  const power = cellScalePower(cq.scale);
  const tanhShift = 12 + power; // TFLM: (15 + power) - 3
  if (!(tanhShift <= 16 && tanhShift >= -31)) ctx.fail(`cell state "${c.name}" scale ${cq.scale} (2^${power}) is outside 2^-43 to 2^4`);
  ctx.op.inputs = [ctx.op.inputs[0], ...ctx.op.inputs.slice(INPUT_WEIGHTS, RECURRENT_WEIGHTS + 4), ...ctx.op.inputs.slice(BIASES, BIASES + 4), ctx.op.inputs[HIDDEN], ctx.op.inputs[CELL], sigmoidTable(ctx)];
  ctx.op.kernel = {
    opcode: OpCode.UnidirectionalSequenceLstm,
    params: [
      (timeMajor ? 1 : 0) | (opts.freshState === true ? 2 : 0), xq.zeroPoint, hq.zeroPoint, // flags: bit 1 fresh state (an ONNX LSTM)
      ...gateMultipliers(wx, xq.scale, 'input'), ...gateMultipliers(wh, hq.scale, 'recurrent'),
      ...product(GATE_OUT_SCALE, cq.scale, cq.scale, 'forget x cell state'),
      ...product(GATE_OUT_SCALE, GATE_OUT_SCALE, cq.scale, 'input x cell gate'),
      ...product(GATE_OUT_SCALE, GATE_OUT_SCALE, hq.scale, 'tanh(cell) x output gate'),
      cellClip > 0 ? quantizedClip(cellClip, cq.scale) : -1,
      tanhShift >= 0 ? 3 << tanhShift : 3, tanhShift >= 0 ? 0 : -tanhShift,
    ],
  };
}

const TABLE_NAME = 'edgepack/lstm_sigmoid_table';

/** The int16 [256] constant holding TFLM's sigmoid table (u16 bits), one per graph. */
export function sigmoidTable(ctx: PrepareContext): number {
  const at = ctx.g.tensors.findIndex((t) => t.name === TABLE_NAME && t.data instanceof Int16Array && t.data.length === 256);
  if (at >= 0) return at;
  ctx.g.tensors.push({ name: TABLE_NAME, shape: [256], dtype: 'int16', data: Int16Array.from(SIGMOID_TABLE_U16, (v) => (v << 16) >> 16) });
  return ctx.g.tensors.length - 1;
}

export function checkVariants(ctx: PrepareContext, kind = 'integer '): void {
  for (const [slot, what] of VARIANT_SLOTS) {
    const t = ctx.optionalInput(slot);
    if (t) ctx.fail(`input ${slot} "${t.name}" makes a ${what} LSTM; supported: the plain ${kind}LSTM (no CIFG, peephole, projection or layer norm), as TFLM`);
  }
  for (const slot of [INPUT_WEIGHTS, RECURRENT_WEIGHTS]) {
    if (!ctx.optionalInput(slot)) ctx.fail(`input ${slot} is absent: a CIFG LSTM (coupled input and forget gates); supported: the plain ${kind}LSTM (no CIFG, peephole, projection or layer norm), as TFLM`);
  }
}

/** Shapes as TFLM's ValidateTensorSize. */
export function checkShapes(ctx: PrepareContext, x: Tensor, h: Tensor, c: Tensor, y: Tensor, wx: Tensor[], wh: Tensor[], bias: Tensor[], timeMajor: boolean): void {
  ctx.expectRank(x, 3, 'input');
  ctx.expectRank(h, 2, 'hidden state');
  ctx.expectRank(y, 3, 'output');
  const batch = x.shape[timeMajor ? 1 : 0], nIn = x.shape[2], nCell = h.shape[1];
  if (!(nCell >= 1)) ctx.fail(`hidden state "${h.name}" has shape ${JSON.stringify(h.shape)}: no units`);
  const want = (t: Tensor, shape: number[], role: string) => {
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) ctx.fail(`${role} "${t.name}" has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)}`);
  };
  wx.forEach((w, k) => want(w, [nCell, nIn], `input-to-${GATES[k]} weights`));
  wh.forEach((w, k) => want(w, [nCell, nCell], `recurrent-to-${GATES[k]} weights`));
  bias.forEach((b, k) => want(b, [nCell], `${GATES[k]} gate bias`));
  want(h, [batch, nCell], 'hidden state');
  want(c, [batch, nCell], 'cell state');
  want(y, [x.shape[0], x.shape[1], nCell], 'output');
}

function checkTypes(ctx: PrepareContext, x: Tensor, h: Tensor, c: Tensor, y: Tensor, wx: Tensor[], wh: Tensor[], bias: Tensor[]): void {
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  ctx.expectDtype(h, ['int8'], 'hidden state');
  ctx.expectDtype(c, ['int16'], 'cell state');
  for (const [t, role] of [[h, 'hidden state'], [c, 'cell state']] as const) {
    if (!t.variable || t.data) ctx.fail(`${role} "${t.name}" must be a variable tensor (is_variable, no buffer)`);
  }
  [...wx, ...wh].forEach((w) => {
    ctx.expectDtype(w, ['int8'], 'weights');
    ctx.expectConst(w, 'weights');
  });
  bias.forEach((b) => {
    ctx.expectDtype(b, ['int32'], 'bias');
    ctx.expectConst(b, 'bias');
  });
}

/** A per-tensor quantization with the scale as the .tflite and the .epk hold it (float32; a calibrated scale is a double until written). */
export function f32Quant(ctx: PrepareContext, t: Tensor, role: string): { scale: number; zeroPoint: number } {
  const q = ctx.quant(t, role);
  return { scale: Math.fround(q.scale), zeroPoint: q.zeroPoint };
}

/** Per-tensor weight scale; zero point 0 (TFLM's integer FC assumes symmetric weights). */
export function weightQuant(ctx: PrepareContext, w: Tensor, role: string): number {
  const q = f32Quant(ctx, w, role);
  if (q.zeroPoint !== 0) ctx.fail(`${role} "${w.name}" has zero point ${q.zeroPoint}; weights must be symmetric (zero point 0)`);
  return q.scale;
}

export function pair(ctx: PrepareContext, real: number, w: Tensor | null, what = ''): [number, number] {
  try {
    const m = quantizeMultiplier(real);
    return [m.multiplier, m.shift];
  } catch (e) {
    return ctx.fail(`${w ? `weights "${w.name}"` : what}: ${(e as Error).message}`);
  }
}

/** CheckedLog2 as TFLM: float32 log(x) * (1 / log(2)), rounded half away from zero. */
export function cellScalePower(scale: number): number {
  const f = Math.fround;
  const log2 = f(f(Math.log(f(scale))) * f(1 / f(Math.log(2))));
  return log2 < 0 ? -Math.round(-log2) : Math.round(log2);
}

/** static_cast<int16_t>(min(max(clip / scale, -32768), 32767)): truncated toward zero. */
export function quantizedClip(clip: number, scale: number): number {
  return Math.trunc(Math.min(Math.max(Math.fround(clip) / Math.fround(scale), -32768), 32767));
}
