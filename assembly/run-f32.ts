// invoke for float32 ops (group f32): the *_F32 kernel variants (dispatch.ts float32Variant),
// each call guarded by its HAS_ constant; params were checked by ops-f32.ts at load.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import { conv_f32, dwconv_f32, transpose_conv_f32, fc_f32, ConvF32Params, TransposeConvF32Params } from './kernels/f32-conv';
import { binary_f32, binary_same_f32, activation_f32, leaky_relu_f32 } from './kernels/f32-elementwise';
import { pool_f32, softmax_f32, mean_f32, PoolF32Params } from './kernels/f32-other';
import { pad_x32, transpose_x32, strided_slice_x32 } from './kernels/wide-shape';
import { SliceParams } from './kernels/strided-slice';
import { fillBroadcast, fillDims4, dimsA, dimsB } from './interpreter';
import { HAS_CONV_F32, HAS_FC_F32, HAS_ELEMENTWISE_F32, HAS_OTHER_F32, HAS_LSTM_F32, HAS_SVDF_F32 } from './kernel-table';
import { lstmPointers } from './ops-lstm';
import { lstm_f32 } from './kernels/lstm-f32';
import { isFloat32B } from './ops-f32b';
import { runFloat32B } from './run-f32b';
import { svdf_f32 } from './kernels/svdf-f32';

function optionalData(t: u32): usize {
  return t == F.NO_TENSOR ? 0 : M.dataOf(t);
}

// @ts-ignore: decorator
@inline function f32p(r: usize, k: u32): f32 { return reinterpret<f32>(O.param(r, k)); }

/** Runs float32 op r: E_OK, or BAD_INDEX from a run-time GATHER index outside its axis. */
export function runFloat32(r: usize, code: u32, y: u32, yp: usize, p: usize): i32 {
  if (isFloat32B(code)) return runFloat32B(r, code, y, yp, p); // groups a, b, c: run-f32b.ts
  const x = O.input(r, 0);
  const xp = M.dataOf(x);
  if (code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D || code == F.OP_TRANSPOSE_CONV) {
    const w = O.input(r, 1), wp = M.dataOf(w), bias = optionalData(O.input(r, 2));
    if (code == F.OP_CONV_2D) { if (HAS_CONV_F32) conv_f32(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), wp, M.dim(w, 1), M.dim(w, 2), M.dim(w, 3), bias,
      yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), changetype<ConvF32Params>(p)); }
    else if (code == F.OP_DEPTHWISE_CONV_2D) { if (HAS_CONV_F32) dwconv_f32(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), wp, M.dim(w, 1), M.dim(w, 2), bias,
      yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), changetype<ConvF32Params>(p)); }
    else if (HAS_CONV_F32) transpose_conv_f32(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), wp, M.dim(w, 1), M.dim(w, 2), bias,
      yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), changetype<TransposeConvF32Params>(p));
  } else if (code == F.OP_FULLY_CONNECTED) {
    const w = O.input(r, 1), depth = M.dim(w, 1);
    if (HAS_FC_F32) fc_f32(xp, M.elements(x) / depth, depth, M.dataOf(w), M.dim(w, 0), optionalData(O.input(r, 2)), yp, f32p(r, 2), f32p(r, 3));
  } else if (code == F.OP_ADD || code == F.OP_SUB || code == F.OP_MUL || code == F.OP_MAXIMUM || code == F.OP_MINIMUM) {
    const b = O.input(r, 1), n = M.elements(y);
    const clamped = code != F.OP_MAXIMUM && code != F.OP_MINIMUM;
    const act: u32 = code == F.OP_MUL ? 5 : 10;
    const lo = clamped ? f32p(r, act) : -Infinity, hi = clamped ? f32p(r, act + 1) : Infinity;
    if (M.elements(x) == n && M.elements(b) == n) { if (HAS_ELEMENTWISE_F32) binary_same_f32(code, xp, M.dataOf(b), yp, n, lo, hi); }
    else if (HAS_ELEMENTWISE_F32) binary_f32(code, xp, M.dataOf(b), yp, fillBroadcast(x, b, y), lo, hi);
  } else if (code == F.OP_ACTIVATION) {
    if (HAS_ELEMENTWISE_F32) activation_f32(xp, yp, M.elements(x), O.param(r, 0), f32p(r, 1), f32p(r, 2));
  } else if (code == F.OP_LEAKY_RELU) {
    if (HAS_ELEMENTWISE_F32) leaky_relu_f32(xp, yp, M.elements(x), f32p(r, 0));
  } else if (code == F.OP_UNIDIRECTIONAL_SEQUENCE_LSTM) {
    const major = O.param(r, 0) != 0, h = M.dataOf(O.input(r, 13)), c = M.dataOf(O.input(r, 14)); // checks: ops-lstm.ts
    if (HAS_LSTM_F32) lstm_f32(xp, lstmPointers(r), h, c, yp, M.dim(x, major ? 0 : 1), M.dim(x, major ? 1 : 0), M.dim(x, 2), M.dim(O.input(r, 1), 0), major, O.param(r, 1) != 0, f32p(r, 25));
  } else if (code == F.OP_SVDF) { // [x, feature, time, bias?, state]; params rank, kind, lo, hi
    const wf = O.input(r, 1), wt = O.input(r, 2);
    if (HAS_SVDF_F32) svdf_f32(xp, M.dataOf(wf), M.dataOf(wt), optionalData(O.input(r, 3)), M.dataOf(O.input(r, 4)), yp,
      M.dim(x, 0), M.dim(x, 1), M.dim(wf, 0), M.dim(wt, 1), O.param(r, 0), O.param(r, 1), f32p(r, 2), f32p(r, 3));
  } else if (HAS_OTHER_F32) {
    if (code == F.OP_AVERAGE_POOL_2D || code == F.OP_MAX_POOL_2D) {
      if (HAS_OTHER_F32) pool_f32(code == F.OP_MAX_POOL_2D, xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), changetype<PoolF32Params>(p));
    } else if (code == F.OP_SOFTMAX) {
      const depth = M.dim4(x, 3);
      softmax_f32(xp, yp, M.elements(x) / depth, depth, f32p(r, 0));
    } else if (code == F.OP_MEAN) {
      mean_f32(xp, fillDims4(x, dimsA), yp, O.param(r, 0), O.param(r, 1) == 0); // param 1: SUM (no division)
    } else if (code == F.OP_PAD) {
      pad_x32(xp, fillDims4(x, dimsA), yp, fillDims4(y, dimsB), p, <u32>O.param(r, 8));
    } else if (code == F.OP_TRANSPOSE) {
      transpose_x32(xp, fillDims4(x, dimsA), yp, fillDims4(y, dimsB), p);
    } else if (code == F.OP_STRIDED_SLICE) {
      strided_slice_x32(xp, fillDims4(x, dimsA), yp, changetype<SliceParams>(p));
    }
  }
  return F.E_OK;
}
