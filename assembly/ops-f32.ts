// Load-time checks of float32 ops (group f32): an op whose output is float32 runs a *_F32
// kernel variant (dispatch.ts float32Variant), so its tensors must all be float32, plain
// (not packed) and shaped as its kernel assumes, and its params exactly what the converter
// emits (src/passes/prepare/float.ts): the int8 param layout with integer offsets 0 and the
// clamp, pad value, beta, alpha as f32 bits. Every build refuses the same files.

import * as F from './format';
import * as M from './model';
import { opFail, nIn, input, output, param, nParams, validateSliceParams } from './ops';
import { isPacked } from './packed';
import { validateLstmF32 } from './ops-lstm';
import { isFloat32Value, isFloat32B, validateFloat32B } from './ops-f32b';

/** True when op r takes the float32 path: ACTIVATION always, the others with a float32 output. */
export function isFloat32Op(r: usize, code: u32): bool {
  if (code == F.OP_ACTIVATION) return true;
  if (!isFloat32Value(r, code)) return false; // the output's dtype (ARG_MAX/ARG_MIN: the input's)
  return code != F.OP_DEQUANTIZE && code != F.OP_QUANTIZE && code != F.OP_REQUANTIZE && code != F.OP_LUT;
}

function isF32(t: u32, rk: i32): bool {
  if (t == F.NO_TENSOR || M.dtype(t) != F.DT_FLOAT32 || isPacked(t)) return false;
  return rk < 0 || M.rank(t) == rk;
}

function f32p(r: usize, k: u32): f32 { return reinterpret<f32>(param(r, k)); }

/** Params [from, to) all 0 (the int8 offsets and multipliers a float op does not use). */
function zeros(r: usize, from: u32, to: u32): bool {
  for (let k = from; k < to; k++) if (param(r, k) != 0) return false;
  return true;
}

/** A clamp pair: neither NaN, lo <= hi. */
function clampOk(r: usize, k: u32): bool {
  const lo = f32p(r, k), hi = f32p(r, k + 1);
  return lo <= hi;
}

function sameSize(r: usize, y: u32): bool {
  return M.elements(input(r, 0)) == M.elements(y);
}

function optionalBias(r: usize, k: u32, channels: i32): bool {
  const b = input(r, k);
  return b == F.NO_TENSOR || (isF32(b, -1) && M.elements(b) == channels);
}

/** Shape and param checks of a float32 op (validateOp's float block); F.E_OK when it may run. */
export function validateFloat32(r: usize, code: u32): i32 {
  const y = output(r, 0);
  if (isFloat32B(code)) return validateFloat32B(r, code, y); // groups a, b, c: ops-f32b.ts
  if (nParams(r) != <u32>F.PARAM_COUNTS[code]) return opFail(F.E_BAD_OP, 'float32 op has the wrong number of params');
  for (let k: u32 = 0; k < nIn(r); k++) {
    const t = input(r, k);
    if (t != F.NO_TENSOR && !isF32(t, -1)) return opFail(F.E_BAD_SHAPE, 'float32 op: every input must be a plain float32 tensor');
  }
  if (M.dtype(y) != F.DT_FLOAT32) return opFail(F.E_BAD_SHAPE, 'float32 op: output must be float32');
  if (code == F.OP_UNIDIRECTIONAL_SEQUENCE_LSTM) return validateLstmF32(r, y); // ops-lstm.ts
  if (code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D || code == F.OP_TRANSPOSE_CONV) return validateConvF32(r, code, y);
  if (code == F.OP_FULLY_CONNECTED) {
    if (nIn(r) != 3 || !isF32(input(r, 0), -1) || !isF32(input(r, 1), 2)) return opFail(F.E_BAD_SHAPE, 'expects float32 input, rank-2 float32 weights and an optional bias');
    const w = input(r, 1), depth = M.dim(w, 1), oc = M.dim(w, 0), n = M.elements(input(r, 0));
    if (n % depth != 0 || <i64>M.elements(y) != <i64>(n / depth) * <i64>oc) return opFail(F.E_BAD_SHAPE, 'input/output sizes do not fit the weights');
    if (!optionalBias(r, 2, oc)) return opFail(F.E_BAD_SHAPE, 'bias must be float32 with one value per output');
    if (!zeros(r, 0, 2) || !clampOk(r, 2)) return opFail(F.E_BAD_OP, 'float32 params: offsets must be 0 and the clamp min <= max');
    return F.E_OK;
  }
  if (code == F.OP_AVERAGE_POOL_2D || code == F.OP_MAX_POOL_2D) {
    if (nIn(r) != 1 || !isF32(input(r, 0), 4) || M.rank(y) != 4) return opFail(F.E_BAD_SHAPE, 'expects rank-4 float32 input and output');
    const x = input(r, 0);
    if (M.dim(y, 0) != M.dim(x, 0) || M.dim(y, 3) != M.dim(x, 3)) return opFail(F.E_BAD_SHAPE, 'output batch/channels differ from input');
    if (param(r, 0) < 1 || param(r, 1) < 1 || param(r, 2) < 1 || param(r, 3) < 1) return opFail(F.E_BAD_OP, 'strides and filter must be >= 1');
    if (!padsOk(r, 4) || !clampOk(r, 6)) return opFail(F.E_BAD_OP, 'padding out of range or clamp min above max');
    return F.E_OK;
  }
  if (code == F.OP_ADD || code == F.OP_SUB || code == F.OP_MUL || code == F.OP_MAXIMUM || code == F.OP_MINIMUM) {
    if (nIn(r) != 2 || input(r, 1) == F.NO_TENSOR) return opFail(F.E_BAD_SHAPE, 'expects two float32 inputs');
    const a = input(r, 0), b = input(r, 1);
    for (let k = 0; k < 4; k++) {
      const d = M.dim4(y, k), da = M.dim4(a, k), db = M.dim4(b, k);
      if ((da != d && da != 1) || (db != d && db != 1)) return opFail(F.E_BAD_SHAPE, 'input shapes do not broadcast to the output');
    }
    const act: u32 = code == F.OP_MUL ? 5 : 10; // ADD, SUB: params 10, 11; MUL: 5, 6; MAXIMUM, MINIMUM: none
    if (code == F.OP_MAXIMUM || code == F.OP_MINIMUM) return F.E_OK;
    if (!zeros(r, 0, act) || !clampOk(r, act)) return opFail(F.E_BAD_OP, 'float32 params: offsets and multipliers must be 0 and the clamp min <= max');
    return F.E_OK;
  }
  if (nIn(r) < 1) return opFail(F.E_BAD_OP, 'expects an input');
  const x = input(r, 0);
  if (code == F.OP_SOFTMAX) {
    if (nIn(r) != 1 || !sameSize(r, y) || M.dim4(x, 3) != M.dim4(y, 3)) return opFail(F.E_BAD_SHAPE, 'output shape differs from input');
    if (!isFinite(f32p(r, 0)) || !zeros(r, 1, 3)) return opFail(F.E_BAD_OP, 'beta must be finite, params 1-2 zero');
    return F.E_OK;
  }
  if (code == F.OP_ACTIVATION || code == F.OP_LEAKY_RELU) {
    if (nIn(r) != 1 || !sameSize(r, y)) return opFail(F.E_BAD_SHAPE, 'input and output sizes differ');
    if (code == F.OP_LEAKY_RELU) return isFinite(f32p(r, 0)) && zeros(r, 1, 6) ? F.E_OK : opFail(F.E_BAD_OP, 'alpha must be finite, params 1-5 zero');
    const kind = param(r, 0);
    if (kind < F.ACT_CLAMP || kind > F.ACT_RSQRT || (kind == F.ACT_CLAMP ? !clampOk(r, 1) : !zeros(r, 1, 3))) return opFail(F.E_BAD_OP, 'unknown activation kind or bad clamp');
    return F.E_OK;
  }
  if (code == F.OP_PAD) {
    if (nIn(r) != 1) return opFail(F.E_BAD_SHAPE, 'expects one input');
    for (let k: u32 = 0; k < 4; k++) {
      const b = param(r, k), a = param(r, 4 + k);
      if (b < 0 || a < 0 || <i64>M.dim4(x, k) + <i64>b + <i64>a != <i64>M.dim4(y, k)) return opFail(F.E_BAD_SHAPE, 'output is not the padded input');
    }
    return F.E_OK;
  }
  if (code == F.OP_MEAN) {
    const mask = param(r, 0);
    const sum = param(r, 1); // 1: SUM (no division by N)
    if (nIn(r) != 1 || mask < 0 || mask > 15 || sum < 0 || sum > 1 || !zeros(r, 2, 5)) return opFail(F.E_BAD_OP, 'axis mask out of range, param 1 (sum) not 0 or 1, or params 2-4 not zero');
    let kept: i64 = 1;
    for (let k = 0; k < 4; k++) if (!(mask & (1 << k))) kept *= M.dim4(x, k);
    if (kept != <i64>M.elements(y)) return opFail(F.E_BAD_SHAPE, 'output size does not match the reduced input');
    return F.E_OK;
  }
  if (code == F.OP_TRANSPOSE) {
    let seen = 0;
    for (let k: u32 = 0; k < 4; k++) {
      const p = param(r, k);
      if (p < 0 || p > 3 || (seen & (1 << p))) return opFail(F.E_BAD_OP, 'perm is not a permutation of 4 axes');
      seen |= 1 << p;
      if (M.dim4(x, p) != M.dim4(y, k)) return opFail(F.E_BAD_SHAPE, 'output is not the permuted input');
    }
    return nIn(r) == 1 ? F.E_OK : opFail(F.E_BAD_SHAPE, 'expects one input');
  }
  if (code == F.OP_SVDF) return validateSvdfF32(r, y);
  if (code == F.OP_STRIDED_SLICE) return nIn(r) == 1 ? validateSliceParams(r, y) : opFail(F.E_BAD_SHAPE, 'expects one input');
  if (code == F.OP_CONCATENATION) {
    const axis = param(r, 0);
    if (axis < 0 || axis > 3) return opFail(F.E_BAD_OP, 'axis must lie in 0..3');
    let total: i64 = 0;
    for (let i: u32 = 0; i < nIn(r); i++) {
      const t = input(r, i);
      if (t == F.NO_TENSOR) return opFail(F.E_BAD_OP, 'an input is absent');
      for (let k = 0; k < 4; k++) if (k != axis && M.dim4(t, k) != M.dim4(y, k)) return opFail(F.E_BAD_SHAPE, 'input shapes differ off the axis');
      total += M.dim4(t, axis);
    }
    return total == <i64>M.dim4(y, axis) ? F.E_OK : opFail(F.E_BAD_SHAPE, 'inputs do not fill the output axis');
  }
  return opFail(F.E_UNSUPPORTED_OP, 'has no float32 kernel');
}

function padsOk(r: usize, k: u32): bool {
  const pt = param(r, k), pl = param(r, k + 1);
  return pt >= 0 && pl >= 0 && pt <= 0xffff && pl <= 0xffff;
}

/** CONV_2D, DEPTHWISE_CONV_2D: [x, w, bias?] as the int8 plain layout; TRANSPOSE_CONV: w [oc, kh, kw, ic]. */
function validateConvF32(r: usize, code: u32, y: u32): i32 {
  if (nIn(r) != 3 || !isF32(input(r, 0), 4) || !isF32(input(r, 1), 4) || M.rank(y) != 4) return opFail(F.E_BAD_SHAPE, 'expects rank-4 float32 input, filter and output and an optional bias');
  const x = input(r, 0), w = input(r, 1), oc = M.dim(y, 3);
  if (M.dim(y, 0) != M.dim(x, 0)) return opFail(F.E_BAD_SHAPE, 'batch of output and input differ');
  if (code == F.OP_TRANSPOSE_CONV) {
    if (M.dim(w, 0) != oc || M.dim(w, 3) != M.dim(x, 3)) return opFail(F.E_BAD_SHAPE, 'filter [oc, kh, kw, ic] does not fit input and output');
    const sh = param(r, 0), sw = param(r, 1);
    if (sh < 1 || sw < 1 || sh > (1 << 24) || sw > (1 << 24) || !padsOk(r, 2)) return opFail(F.E_BAD_OP, 'strides (1 to 2^24) or padding (0 to 65535) out of range');
    if (!zeros(r, 4, 6) || !clampOk(r, 6)) return opFail(F.E_BAD_OP, 'float32 params: offsets must be 0 and the clamp min <= max');
  } else {
    if (param(r, 0) < 1 || param(r, 1) < 1 || param(r, 2) < 1 || param(r, 3) < 1) return opFail(F.E_BAD_OP, 'strides and dilations must be >= 1');
    if (!padsOk(r, 4) || !zeros(r, 6, 8) || !clampOk(r, 8)) return opFail(F.E_BAD_OP, 'float32 params: padding out of range, offsets not 0 or clamp min above max');
    if (code == F.OP_CONV_2D) {
      const groupC = M.dim(w, 3);
      if (M.dim(w, 0) != oc || M.dim(x, 3) % groupC != 0 || oc % (M.dim(x, 3) / groupC) != 0) return opFail(F.E_BAD_SHAPE, 'filter shape does not fit input and output channels');
    } else {
      const dm = param(r, 10);
      if (M.dim(w, 0) != 1 || M.dim(w, 3) != oc || dm < 1 || <i64>M.dim(x, 3) * <i64>dm != <i64>oc) return opFail(F.E_BAD_SHAPE, 'filter shape or depth multiplier does not fit the channels');
    }
  }
  if (!optionalBias(r, 2, oc)) return opFail(F.E_BAD_SHAPE, 'bias must be float32 with one value per output channel');
  return F.E_OK;
}

/**
 * SVDF on float32 (kernels/svdf-f32.ts): [x [batch, nIn], feature [nFilter, nIn], time
 * [nFilter, nMemory], bias [nFilter / rank] or none, state a variable [batch, nFilter * nMemory]]
 * -> y [batch, nFilter / rank]; params rank >= 1 dividing nFilter, kind (ACT_CLAMP with
 * lo <= hi, or ACT_TANH with lo = hi = 0), lo, hi, then three zeros.
 */
function validateSvdfF32(r: usize, y: u32): i32 {
  if (nIn(r) != 5 || !isF32(input(r, 0), 2) || !isF32(input(r, 1), 2) || !isF32(input(r, 2), 2) || !isF32(input(r, 4), 2) || M.rank(y) != 2) {
    return opFail(F.E_BAD_SHAPE, 'expects 5 inputs: rank-2 float32 input, feature and time weights, an optional bias and a rank-2 float32 state');
  }
  const x = input(r, 0), wf = input(r, 1), wt = input(r, 2), st = input(r, 4);
  if (M.kind(st) != F.KIND_VARIABLE) return opFail(F.E_BAD_OP, 'state must be a variable tensor');
  const rank = param(r, 0), kind = param(r, 1), batch = M.dim(x, 0), nFilter = M.dim(wf, 0), nMemory = M.dim(wt, 1);
  if (rank < 1 || nFilter % rank != 0) return opFail(F.E_BAD_OP, 'rank must be >= 1 and divide the number of filters');
  if (!zeros(r, 4, 7) || !(kind == F.ACT_CLAMP ? clampOk(r, 2) : kind == F.ACT_TANH && zeros(r, 2, 4))) return opFail(F.E_BAD_OP, 'activation must be a clamp (min <= max) or tanh, params 4-6 zero');
  const nUnit = nFilter / rank;
  if (M.dim(wf, 1) != M.dim(x, 1) || M.dim(wt, 0) != nFilter || M.dim(y, 0) != batch || M.dim(y, 1) != nUnit || !optionalBias(r, 3, nUnit)
    || M.dim(st, 0) != batch || <i64>M.dim(st, 1) != <i64>nFilter * <i64>nMemory) {
    return opFail(F.E_BAD_SHAPE, 'weights, bias, state and output do not fit [batch, nIn] x [nFilter, nIn] with [nFilter, nMemory] time weights');
  }
  return F.E_OK;
}
