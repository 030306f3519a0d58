// quantize-int8 for the recurrent ops: a float32 UNIDIRECTIONAL_SEQUENCE_LSTM or SVDF gets the
// integer form TFLite's converter gives it, the one TFLM's int8 kernels (and edgepack's,
// bit-exact with them) run. Calibration runs the samples as one stream (the states carry
// over, as in `edgepack run` over a batch), so the state ranges are those of a stream.
//
// LSTM (8x8 -> 16): input and output int8 from their ranges; the hidden state takes the
// output's scale and zero point (TFLM copies it to the output byte for byte); each of the
// eight weight matrices int8 symmetric per tensor; each gate's bias int32 at input scale x
// that gate's input-weight scale; the cell state int16 at the power-of-two scale
// 2^ceil(log2 max|c|) / 2^15 from its calibrated range (TFLM's kernel needs a power of two),
// zero point 0. Gate scales are fixed by the kernel (Q3.12 in, Q0.15 out): nothing to choose.
// An LSTM that starts from zero state at every invoke (ONNX's) keeps that as the int8 op's
// fresh-state flag: both states reset (as reset() and TFLM's ResetVariableTensors) before each run.
//
// SVDF: input and output int8 from their ranges; feature weights int8 symmetric per tensor;
// time weights int16 symmetric per tensor, at a scale that keeps the kernel's int32 sums from
// overflowing; the state int16 symmetric from its calibrated range; the bias int32 at state
// scale x time weight scale (float32, as TFLM checks it).
// TFLM's integer SVDF applies no activation: RELU holds through the output's range ([0, max]:
// negative sums saturate at the zero point); NONE as is; others are refused.

import { Range } from '../float/calibrate.js';
import { constValue } from '../float/interpret.js';
import { Graph, Op, Quant, Tensor, elementCount } from '../ir/graph.js';
import { roundHalfAway } from './quant-math.js';

/** What the recurrent rules need from the quantizer. */
export interface RecurrentQuantizer {
  readonly g: Graph;
  readonly quant: Map<number, Quant>;
  readonly ranges: Map<number, Range>;
  addTensor(t: Tensor): number;
  fail(op: Op, msg: string): never;
}

const LSTM_INPUT_WEIGHTS = 1, LSTM_RECURRENT_WEIGHTS = 5, LSTM_BIASES = 12, LSTM_HIDDEN = 18, LSTM_CELL = 19;
const SVDF_FEATURE = 1, SVDF_TIME = 2, SVDF_BIAS = 3, SVDF_STATE = 4;
/** The cell state's power of two: TFLM's tanh shift 12 + log2(scale) must lie in [-31, 16]. */
const CELL_POT_MIN = -28, CELL_POT_MAX = 19;

const perTensor = (scale: number): Quant => ({ scale: [Math.fround(scale)], zeroPoint: [0], axis: 0 });

function floatConst(q: RecurrentQuantizer, op: Op, slot: number, role: string): Float32Array {
  const t = q.g.tensors[op.inputs[slot]];
  const v = t && t.dtype === 'float32' ? constValue(t) : undefined;
  if (!v) q.fail(op, `${role} (input ${slot}${t ? ` "${t.name}"` : ''}) must be a float32 constant to be quantized`);
  return v;
}

/**
 * Symmetric per-tensor weights: int8 in [-127, 127] or int16 in [-32767, 32767]; returns the
 * new tensor's scale. `minScale` raises the scale where a kernel's int32 sums need headroom.
 */
function symmetricWeights(q: RecurrentQuantizer, op: Op, slot: number, role: string, bits: 8 | 16, minScale = 0): number {
  const t = q.g.tensors[op.inputs[slot]];
  const v = floatConst(q, op, slot, role);
  const top = bits === 8 ? 127 : 32767;
  let maxAbs = 0;
  for (const w of v) maxAbs = Math.max(maxAbs, Math.abs(w));
  const quant = perTensor(Math.max(minScale, maxAbs > 0 ? maxAbs / top : 1));
  const s = quant.scale[0];
  const ints = Array.from(v, (w) => Math.max(-top, Math.min(top, roundHalfAway(w / s))));
  const data = bits === 8 ? Int8Array.from(ints) : Int16Array.from(ints);
  op.inputs[slot] = q.addTensor({ name: `${t.name}/int${bits}`, shape: [...t.shape], dtype: bits === 8 ? 'int8' : 'int16', data, quant });
  return s;
}

/** An int32 bias at `scale` (zeros when the float op has none). */
function bias(q: RecurrentQuantizer, op: Op, slot: number, scale: number, length: number, name: string): void {
  const t = op.inputs[slot] >= 0 ? q.g.tensors[op.inputs[slot]] : undefined;
  const v = t ? floatConst(q, op, slot, 'bias') : new Float32Array(length);
  const quant = perTensor(scale);
  const data = Int32Array.from(v, (b) => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, roundHalfAway(b / quant.scale[0]))));
  op.inputs[slot] = q.addTensor({ name: `${t?.name ?? name}/int32`, shape: [length], dtype: 'int32', data, quant });
}

function activations(q: RecurrentQuantizer, op: Op): { xq: Quant; yq: Quant } {
  const xq = q.quant.get(op.inputs[0]), yq = q.quant.get(op.outputs[0]);
  if (!xq || !yq) q.fail(op, 'input or output is not a quantized activation');
  return { xq, yq };
}

function maxAbsOf(q: RecurrentQuantizer, t: number): number {
  const r = q.ranges.get(t);
  return r ? Math.max(Math.abs(r[0]), Math.abs(r[1])) : 0;
}

/** A variable state tensor retyped in place (it has no data: only dtype and quantization change). */
function retypeState(q: RecurrentQuantizer, t: number, dtype: 'int8' | 'int16', quant: Quant): void {
  q.g.tensors[t] = { ...q.g.tensors[t], dtype, quant };
}

export function quantizeLstm(q: RecurrentQuantizer, op: Op): void {
  const { xq, yq } = activations(q, op);
  if (!(op.inputs[LSTM_HIDDEN] >= 0 && op.inputs[LSTM_CELL] >= 0)) q.fail(op, 'the hidden and cell states (inputs 18, 19) must both be present');
  const gates = ['input', 'forget', 'cell', 'output'];
  const inScales = gates.map((g, k) => symmetricWeights(q, op, LSTM_INPUT_WEIGHTS + k, `input-to-${g} weights`, 8));
  gates.forEach((g, k) => symmetricWeights(q, op, LSTM_RECURRENT_WEIGHTS + k, `recurrent-to-${g} weights`, 8));
  const h = op.inputs[LSTM_HIDDEN], c = op.inputs[LSTM_CELL];
  const nCell = q.g.tensors[h].shape[1];
  gates.forEach((g, k) => bias(q, op, LSTM_BIASES + k, Math.fround(xq.scale[0]) * inScales[k], nCell, `${q.g.tensors[op.outputs[0]].name}/${g}_bias`));
  q.quant.set(h, yq); // the int8 conversion of the graph's activations retypes it
  const maxAbs = maxAbsOf(q, c);
  const pot = maxAbs > 0 ? Math.min(CELL_POT_MAX, Math.max(CELL_POT_MIN, Math.ceil(Math.log2(maxAbs)))) : CELL_POT_MIN;
  retypeState(q, c, 'int16', perTensor(2 ** (pot - 15)));
}

/**
 * TFLM's integer SVDF sums int16 state x int16 time weight products over a unit's memory and
 * rank in int32, unguarded: with the state at full scale, sum |w_q| x 32767 over one unit must
 * stay below 2^30 (half of int32, room for the bias), so the time weights' scale is at least
 * (largest per-unit sum of |w|) x 32767 / 2^30.
 */
function timeHeadroomScale(q: RecurrentQuantizer, op: Op): number {
  const wt = q.g.tensors[op.inputs[SVDF_TIME]], v = floatConst(q, op, SVDF_TIME, 'time weights');
  const [nFilter, nMemory] = wt.shape, rank = op.options.rank as number;
  let most = 0;
  for (let u = 0; u < nFilter / rank; u++) {
    let sum = 0;
    for (let k = u * rank * nMemory; k < (u + 1) * rank * nMemory; k++) sum += Math.abs(v[k]);
    most = Math.max(most, sum);
  }
  return (most * 32767) / 2 ** 30;
}

export function quantizeSvdf(q: RecurrentQuantizer, op: Op): void {
  const activation = (op.options.activation as string | undefined) ?? 'NONE';
  if (activation !== 'NONE' && activation !== 'RELU') q.fail(op, `fused activation ${activation} has no integer form (TFLM's int8 SVDF applies none; NONE and RELU can be quantized)`);
  activations(q, op);
  if (!(op.inputs[SVDF_STATE] >= 0)) q.fail(op, 'the state (input 4) must be present');
  symmetricWeights(q, op, SVDF_FEATURE, 'feature weights', 8);
  const timeScale = symmetricWeights(q, op, SVDF_TIME, 'time weights', 16, timeHeadroomScale(q, op));
  const state = op.inputs[SVDF_STATE];
  const maxAbs = maxAbsOf(q, state);
  const stateQuant = perTensor(maxAbs > 0 ? maxAbs / 32767 : 2 ** -15);
  retypeState(q, state, 'int16', stateQuant);
  const nUnit = elementCount(q.g.tensors[op.outputs[0]].shape) / q.g.tensors[op.outputs[0]].shape[0];
  if (op.inputs.length <= SVDF_BIAS) op.inputs.length = SVDF_BIAS + 1;
  if (op.inputs[SVDF_BIAS] === undefined) op.inputs[SVDF_BIAS] = -1;
  bias(q, op, SVDF_BIAS, Math.fround(stateQuant.scale[0] * timeScale), nUnit, `${q.g.tensors[op.outputs[0]].name}/bias`);
}
