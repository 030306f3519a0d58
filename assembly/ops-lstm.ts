// UNIDIRECTIONAL_SEQUENCE_LSTM's typed variants (issue 10): load checks of the float32
// (LSTM_F32, kernels/lstm-f32.ts) and 16x8 (LSTM_S16, kernels/lstm-s16.ts) kernels, and the
// weight pointer table their calls take. The opcode stays 64; the variant follows the dtypes
// (dispatch.ts kernelOf): a float32 output takes the float path (ops-f32.ts validates, run-f32.ts
// calls), an int16 input the 16x8 one (ops.ts validateOp, interpreter.ts runLstm). docs/FORMAT.md
// has both layouts.

import * as F from './format';
import * as M from './model';
import { opFail, nIn, input, param } from './ops';
import { isPacked } from './packed';

const lstmPointers_ = memory.data(12 * sizeof<usize>()); // 8 weight and 4 bias pointers

function has(r: usize, k: u32, dt: u8, rk: i32): bool {
  const t = input(r, k);
  if (t == F.NO_TENSOR || M.dtype(t) != dt || isPacked(t)) return false;
  return rk < 0 || M.rank(t) == rk;
}

/** Shapes shared by both variants: weights, biases, states and y against x [T, B, nIn] or [B, T, nIn] (param 0 time major). */
function shapesFit(r: usize, y: u32): bool {
  const x = input(r, 0), h = input(r, 13), c = input(r, 14);
  const nCell = M.dim(input(r, 1), 0), nInput = M.dim(x, 2), batch = M.dim(x, param(r, 0) != 0 ? 1 : 0);
  let fits = M.dim(y, 0) == M.dim(x, 0) && M.dim(y, 1) == M.dim(x, 1) && M.dim(y, 2) == nCell
    && M.dim(h, 0) == batch && M.dim(h, 1) == nCell && M.dim(c, 0) == batch && M.dim(c, 1) == nCell;
  for (let k: u32 = 1; k < 5; k++) fits = fits && M.dim(input(r, k), 0) == nCell && M.dim(input(r, k), 1) == nInput;
  for (let k: u32 = 5; k < 9; k++) fits = fits && M.dim(input(r, k), 0) == nCell && M.dim(input(r, k), 1) == nCell;
  for (let k: u32 = 9; k < 13; k++) fits = fits && M.elements(input(r, k)) == nCell;
  return fits;
}

function statesVariable(r: usize): bool {
  return M.kind(input(r, 13)) == F.KIND_VARIABLE && M.kind(input(r, 14)) == F.KIND_VARIABLE;
}

/**
 * LSTM float32 [x, 4 input weights, 4 recurrent weights, 4 biases, hidden state, cell state]
 * -> y, all float32; params: time_major (0/1), fresh_state (0/1: zero both states at every
 * invoke, an ONNX LSTM), 23 zeros, cell_clip (f32 bits, finite, >= 0; 0: none), 2 zeros.
 */
export function validateLstmF32(r: usize, y: u32): i32 {
  if (nIn(r) != 15) return opFail(F.E_BAD_OP, 'float32 LSTM expects 15 inputs: input, 8 weights, 4 biases, hidden state, cell state');
  let typed = has(r, 0, F.DT_FLOAT32, 3) && has(r, 13, F.DT_FLOAT32, 2) && has(r, 14, F.DT_FLOAT32, 2) && M.rank(y) == 3;
  for (let k: u32 = 1; k < 9; k++) typed = typed && has(r, k, F.DT_FLOAT32, 2);
  for (let k: u32 = 9; k < 13; k++) typed = typed && has(r, k, F.DT_FLOAT32, -1);
  if (!typed) return opFail(F.E_BAD_SHAPE, 'float32 LSTM expects rank-3 input and output, rank-2 weights, biases, rank-2 hidden and cell state, all float32');
  const tm = param(r, 0), clip = reinterpret<f32>(param(r, 25));
  if (tm != 0 && tm != 1) return opFail(F.E_BAD_OP, 'time major (param 0) not 0 or 1');
  if (param(r, 1) != 0 && param(r, 1) != 1) return opFail(F.E_BAD_OP, 'fresh state (param 1) not 0 or 1');
  for (let k: u32 = 2; k < 28; k++) {
    if (k != 25 && param(r, k) != 0) return opFail(F.E_BAD_OP, 'float32 LSTM params other than time major, fresh state and cell clip must be 0');
  }
  if (!(clip >= 0) || !isFinite(clip)) return opFail(F.E_BAD_OP, 'cell clip (param 25) must be a finite float32 >= 0');
  if (!statesVariable(r)) return opFail(F.E_BAD_OP, 'hidden and cell state must be variable tensors');
  if (!shapesFit(r, y)) return opFail(F.E_BAD_SHAPE, 'weights, biases, states and output do not fit input [T, B, nIn] or [B, T, nIn] and nCell units');
  return F.E_OK;
}

const S16_GATE_SHIFT_MAX: i32 = 7; // TFLM's 64-bit MultiplyByQuantizedMultiplier: shift < 8

/**
 * LSTM 16x8 [x, 4 input weights, 4 recurrent weights, 4 biases, hidden state, cell state,
 * sigmoid table] -> y: x, y, hidden state int16 (zero point 0), weights int8, biases int64,
 * cell state int16; params as the 8x8 LSTM's with zero points 0 and gate shifts at most 7
 * (the 8x8 checks of ops.ts validateParams run after this).
 */
export function validateLstmS16(r: usize, y: u32): i32 {
  if (nIn(r) != 16) return opFail(F.E_BAD_OP, 'expects 16 inputs: input, 8 weights, 4 biases, hidden state, cell state, sigmoid table');
  let typed = has(r, 0, F.DT_INT16, 3) && has(r, 13, F.DT_INT16, 2) && has(r, 14, F.DT_INT16, 2) && M.dtype(y) == F.DT_INT16 && M.rank(y) == 3
    && has(r, 15, F.DT_INT16, -1) && M.elements(input(r, 15)) == 256;
  for (let k: u32 = 1; k < 9; k++) typed = typed && has(r, k, F.DT_INT8, 2);
  for (let k: u32 = 9; k < 13; k++) typed = typed && has(r, k, F.DT_INT64, -1);
  if (!typed) return opFail(F.E_BAD_SHAPE, 'int16 LSTM expects rank-3 int16 input and output, rank-2 int8 weights, int64 biases, rank-2 int16 hidden and cell state, a 256-entry int16 table');
  if (param(r, 0) != 0 && param(r, 0) != 1) return opFail(F.E_BAD_OP, 'time major (param 0) not 0 or 1');
  const x = input(r, 0), h = input(r, 13);
  if (param(r, 1) != 0 || param(r, 2) != 0 || load<i32>(M.rec(x) + F.T_ZERO_POINT) != 0 || load<i32>(M.rec(h) + F.T_ZERO_POINT) != 0
    || load<i32>(M.rec(y) + F.T_ZERO_POINT) != 0) return opFail(F.E_BAD_OP, 'int16 input, output and hidden state must have zero point 0 (params 1, 2)');
  for (let k: u32 = 4; k < 19; k += 2) {
    if (param(r, k) > S16_GATE_SHIFT_MAX) return opFail(F.E_BAD_OP, 'a gate shift (params 4-18) above 7: TFLM\'s 64-bit requantization takes shifts up to 7');
  }
  if (!statesVariable(r)) return opFail(F.E_BAD_OP, 'hidden and cell state must be variable tensors');
  if (!shapesFit(r, y)) return opFail(F.E_BAD_SHAPE, 'weights, biases, states and output do not fit input [T, B, nIn] or [B, T, nIn] and nCell units');
  return F.E_OK;
}

/** The 8 weight and 4 bias pointers of LSTM op r (inputs 1-12), as the kernels read them. */
export function lstmPointers(r: usize): usize {
  for (let k: u32 = 0; k < 12; k++) store<usize>(lstmPointers_ + (<usize>k) * sizeof<usize>(), M.dataOf(input(r, 1 + k)));
  return lstmPointers_;
}
