// invoke: runs the validated op list in order. Each case reads shapes from the tensor
// table and hands raw pointers to a kernel; nothing is allocated, memory never grows.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import { conv_s8, conv_s8_ref, dwconv_s8, dwconv_s8_ref, ConvParams } from './kernels/conv';
import { fc_s8, fc_s8_ref } from './kernels/fully-connected';
import { conv_s8_wide, fc_s8_wide } from './kernels/gemm-wide';
import { dwconv_s8_wide } from './kernels/dwconv-wide';
import { WIDE_GEMM, WIDE_GEMM16, wideOf, wideRow } from './wide-table';
import { pool_s8, PoolParams } from './kernels/pool';
import { add_s8, add_s8_ref, mul_s8_ref, AddParams, MulParams, Broadcast4 } from './kernels/elementwise';
import { softmax_s8 } from './kernels/softmax';
import { pad_s8, transpose_s8, concat_copy, mean_s8, Dims4 } from './kernels/shape';
import { requantize_s8, quantize_f32_s8, dequantize_s8_f32 } from './kernels/quantize';
import { lut_s8 } from './kernels/activation';
import { sub_s8_ref } from './kernels/sub';
import { leaky_relu_s8, LeakyReluParams } from './kernels/leaky-relu';
import { strided_slice_s8, SliceParams } from './kernels/strided-slice';
import { transpose_conv_s8_ref, TransposeConvParams } from './kernels/transpose-conv';
import { max_min_s8 } from './kernels/max-min';
import { svdf_s8_s16, svdf_s8_s8, SvdfParams } from './kernels/svdf';
import { prelu_s8, PreluParams } from './kernels/prelu';
import { squared_difference_s8, SquaredDifferenceParams } from './kernels/squared-difference';
import { div_s8 } from './kernels/div';
import { l2norm_s8 } from './kernels/l2norm';
import { log_softmax_s8 } from './kernels/log-softmax';
import { lstm_s8_s16, LstmParams } from './kernels/lstm';
import { lstm_s16 } from './kernels/lstm-s16';
import { table_copy_s8 } from './kernels/table-copy';
import { resize_bilinear_s8, ResizeBilinearParams } from './kernels/resize-bilinear';
import { arg_max_min_s8, reduce_max_s8 } from './kernels/arg-reduce';
import { gather_s8 } from './kernels/gather';
import * as msg from './message';
import { HAS_COMPRESSED, runPacked, usesPacked } from './packed';
import { runFloat32 } from './run-f32';
import { float32Variant } from './dispatch';
import { runS16 } from './run-s16';
import { isS16, HAS_S16 } from './dispatch';
import { accFitsOf } from './acc-bound';
import { setRqfAccFits } from './kernels/requant-simd';
import { WINOGRAD, apart, winogradOf, wgScratch } from './winograd';
import { conv3x3_wg_simd, wgEligible } from './kernels/winograd-simd';
import { conv_s8_simd } from './kernels/conv-simd';
import { conv3x3_wg_wide } from './kernels/winograd-wide';
import {
  HAS_CONV_BLOCKED, HAS_CONV_REF, HAS_DWCONV_BLOCKED, HAS_DWCONV_REF, HAS_FC_BLOCKED, HAS_FC_REF,
  HAS_POOL, HAS_ADD_SAME, HAS_ADD_BROADCAST, HAS_MUL, HAS_SOFTMAX, HAS_PAD, HAS_MEAN, HAS_TRANSPOSE, HAS_CONCAT,
  HAS_REQUANTIZE, HAS_QUANTIZE, HAS_DEQUANTIZE, HAS_LUT, HAS_SUB, HAS_LEAKY_RELU, HAS_STRIDED_SLICE, HAS_TRANSPOSE_CONV, HAS_MAXIMUM_MINIMUM, HAS_SVDF, HAS_LSTM,
  KERNEL_VARIANT_COUNT,
  HAS_PRELU, HAS_SQUARED_DIFFERENCE, HAS_DIV, HAS_L2_NORMALIZATION, HAS_LOG_SOFTMAX,
  HAS_TABLE_COPY, HAS_RESIZE_BILINEAR, HAS_ARG_MAX_MIN, HAS_REDUCE_MAX, HAS_GATHER,
  HAS_FC_S16, HAS_CONV_S16, HAS_ELEMENTWISE_S16, HAS_QUANT_S16, HAS_LSTM_S16,
} from './kernel-table';

export const dimsA = memory.data(16);
export const dimsB = memory.data(16);
const broadcast = memory.data(48);
const lstmWeights = memory.data(12 * sizeof<usize>()); // 8 weight and 4 bias pointers of an LSTM

export function fillDims4(t: u32, at: usize): Dims4 {
  for (let k = 0; k < 4; k++) store<i32>(at + (<usize>k << 2), M.dim4(t, k));
  return changetype<Dims4>(at);
}

/** Output dims and per-input strides, 0 where the input broadcasts. */
export function fillBroadcast(a: u32, b: u32, y: u32): Broadcast4 {
  let sa: i32 = 1, sb: i32 = 1;
  for (let k = 3; k >= 0; k--) {
    const d = M.dim4(y, k);
    store<i32>(broadcast + (<usize>k << 2), d);
    const da = M.dim4(a, k), db = M.dim4(b, k);
    store<i32>(broadcast + 16 + (<usize>k << 2), da == 1 && d != 1 ? 0 : sa);
    store<i32>(broadcast + 32 + (<usize>k << 2), db == 1 && d != 1 ? 0 : sb);
    sa *= da;
    sb *= db;
  }
  return changetype<Broadcast4>(broadcast);
}

function optionalData(t: u32): usize {
  return t == F.NO_TENSOR ? 0 : M.dataOf(t);
}

// Every kernel call is guarded by its variant's HAS_ constant (kernel-table.ts): a build for
// one model (asc --use EP_KERNELS=<mask>) compiles only the kernels in its mask, and
// validateOps has already refused an op whose variant is not in (kernelOf, dispatch.ts).

/** Runs op r: E_OK, or an error a kernel found in the data (a GATHER index outside its axis). */
export function runOp(r: usize): i32 {
  const code = O.opcode(r);
  const y = O.output(r, 0);
  const yp = M.dataOf(y);
  const p = O.params(r);
  if (float32Variant(r, code) != KERNEL_VARIANT_COUNT) return runFloat32(r, code, y, yp, p); // group f32: run-f32.ts
  if (HAS_COMPRESSED && usesPacked(r, code)) { runPacked(r, code); return F.E_OK; } // compressed filter: packed.ts
  if (HAS_S16 && isS16(r, code)) { runS16(r, code); return F.E_OK; } // int16 (16x8): run-s16.ts
  if (code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D) {
    const x = O.input(r, 0), w = O.input(r, 1);
    const xp = M.dataOf(x), wp = M.dataOf(w);
    const bias = optionalData(O.input(r, 2));
    const cp = changetype<ConvParams>(p);
    if (O.isPacked(r)) { // inputs [x, w, bias, requant table]
      const rq = M.dataOf(O.input(r, 3));
      if (code == F.OP_CONV_2D) {
        const ww = WIDE_GEMM ? wideOf(w) : 0;
        const wg = WINOGRAD ? winogradOf(w) : 0;
        if (WINOGRAD && wg != 0 && wgEligible(M.dim(x, 3), O.param(r, 11), O.param(r, 12), M.dim(w, 1), M.dim(y, 3), cp)) {
          const over = !apart(x, y);
          if (ASC_FEATURE_SIMD) conv3x3_wg_simd(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), wg, bias, rq, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3),
            cp, M.dim(y, 3), wgScratch, over);
          else conv3x3_wg_wide(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), wg, bias, rq, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3),
            cp, M.dim(y, 3), wgScratch, over);
        } else if (ww != 0) conv_s8_wide(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), ww, O.param(r, 11), O.param(r, 12), M.dim(w, 1),
          bias, rq, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), cp, M.scratchPtr, wideRow);
        else if (WIDE_GEMM16 && wideOf(w) != 0) conv_s8_simd(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), wp, O.param(r, 11), O.param(r, 12), M.dim(w, 1),
          bias, rq, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), cp, M.scratchPtr, M.dim(y, 3), wideOf(w), wideRow); // int16 weights (gemm16-simd.ts)
        else if (HAS_CONV_BLOCKED) conv_s8(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), wp, O.param(r, 11), O.param(r, 12), M.dim(w, 1),
          bias, rq, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), cp, M.scratchPtr);
      } else {
        const ww = WIDE_GEMM ? wideOf(w) : 0;
        if (ww != 0) dwconv_s8_wide(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), ww, M.dim(w, 1), M.dim(w, 2),
          bias, rq, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), cp, wideRow);
        else if (HAS_DWCONV_BLOCKED) dwconv_s8(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), wp, M.dim(w, 1), M.dim(w, 2),
          bias, rq, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), cp);
      }
      return F.E_OK;
    }
    const mult = M.dataOf(O.input(r, 3)), shift = M.dataOf(O.input(r, 4));
    if (code == F.OP_CONV_2D) {
      if (HAS_CONV_REF) conv_s8_ref(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), wp, M.dim(w, 1), M.dim(w, 2), M.dim(w, 3),
        bias, mult, shift, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), cp);
    } else {
      if (HAS_DWCONV_REF) dwconv_s8_ref(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), wp, M.dim(w, 1), M.dim(w, 2),
        bias, mult, shift, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), cp);
    }
  } else if (code == F.OP_FULLY_CONNECTED && O.isPacked(r)) {
    const x = O.input(r, 0), w = O.input(r, 1);
    const depth = O.param(r, 5);
    const batches = M.elements(x) / depth;
    const ww = WIDE_GEMM ? wideOf(w) : 0;
    if (ww != 0) fc_s8_wide(M.dataOf(x), batches, depth, M.dim(w, 1), ww, M.elements(y) / batches,
      M.dataOf(O.input(r, 2)), M.dataOf(O.input(r, 3)), yp, O.param(r, 1), O.param(r, 2), O.param(r, 3), wideRow);
    else if (HAS_FC_BLOCKED) fc_s8(M.dataOf(x), batches, depth, M.dim(w, 1), M.dataOf(w), M.elements(y) / batches,
      M.dataOf(O.input(r, 2)), M.dataOf(O.input(r, 3)), yp,
      O.param(r, 1), O.param(r, 2), O.param(r, 3));
  } else if (code == F.OP_FULLY_CONNECTED) {
    const x = O.input(r, 0), w = O.input(r, 1);
    const depth = M.dim(w, 1);
    if (HAS_FC_REF) fc_s8_ref(M.dataOf(x), M.elements(x) / depth, depth, M.dataOf(w), M.dim(w, 0),
      optionalData(O.input(r, 2)), M.dataOf(O.input(r, 3)), M.dataOf(O.input(r, 4)), yp,
      O.param(r, 0), O.param(r, 1), O.param(r, 2), O.param(r, 3));
  } else if (code == F.OP_AVERAGE_POOL_2D || code == F.OP_MAX_POOL_2D) {
    const x = O.input(r, 0);
    if (HAS_POOL) pool_s8(code == F.OP_MAX_POOL_2D, M.dataOf(x), M.dim(x, 1), M.dim(x, 2), M.dim(x, 3),
      yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), changetype<PoolParams>(p));
  } else if (code == F.OP_ADD || code == F.OP_MUL) {
    const a = O.input(r, 0), b = O.input(r, 1);
    const n = M.elements(y);
    if (code == F.OP_ADD && (HAS_ADD_SAME || !HAS_ADD_BROADCAST) && M.elements(a) == n && M.elements(b) == n) {
      if (HAS_ADD_SAME) add_s8(M.dataOf(a), M.dataOf(b), yp, n, changetype<AddParams>(p)); // same shapes: no broadcast
    } else if (HAS_ADD_BROADCAST || HAS_MUL) {
      const s = fillBroadcast(a, b, y);
      if (code == F.OP_ADD) { if (HAS_ADD_BROADCAST) add_s8_ref(M.dataOf(a), M.dataOf(b), yp, s, changetype<AddParams>(p)); }
      else if (HAS_MUL) mul_s8_ref(M.dataOf(a), M.dataOf(b), yp, s, changetype<MulParams>(p));
    }
  } else if (code == F.OP_SOFTMAX) {
    const x = O.input(r, 0);
    const depth = M.dim4(x, 3);
    if (HAS_SOFTMAX) softmax_s8(M.dataOf(x), yp, M.elements(x) / depth, depth, O.param(r, 0), O.param(r, 1), O.param(r, 2));
  } else if (code == F.OP_PAD) {
    const x = O.input(r, 0);
    if (HAS_PAD) pad_s8(M.dataOf(x), fillDims4(x, dimsA), yp, fillDims4(y, dimsB), p, O.param(r, 8));
  } else if (code == F.OP_MEAN) {
    const x = O.input(r, 0);
    if (HAS_MEAN) mean_s8(M.dataOf(x), fillDims4(x, dimsA), yp, O.param(r, 0), O.param(r, 1), O.param(r, 2), O.param(r, 3), O.param(r, 4));
  } else if (code == F.OP_TRANSPOSE) {
    const x = O.input(r, 0);
    if (HAS_TRANSPOSE) transpose_s8(M.dataOf(x), fillDims4(x, dimsA), yp, fillDims4(y, dimsB), p);
  } else if (code == F.OP_CONCATENATION) {
    if (HAS_CONCAT) runConcat(r, y, yp);
  } else if (code == F.OP_REQUANTIZE) {
    const x = O.input(r, 0);
    if (HAS_REQUANTIZE) requantize_s8(M.dataOf(x), yp, M.elements(x), O.param(r, 0), O.param(r, 1), O.param(r, 2), O.param(r, 3));
  } else if (code == F.OP_QUANTIZE) {
    const x = O.input(r, 0);
    if (HAS_QUANTIZE) quantize_f32_s8(M.dataOf(x), yp, M.elements(x), reinterpret<f32>(O.param(r, 0)), O.param(r, 1));
  } else if (code == F.OP_DEQUANTIZE) {
    const x = O.input(r, 0);
    if (HAS_DEQUANTIZE) dequantize_s8_f32(M.dataOf(x), yp, M.elements(x), reinterpret<f32>(O.param(r, 0)), O.param(r, 1));
  } else if (code == F.OP_LUT) {
    const x = O.input(r, 0);
    if (HAS_LUT) lut_s8(M.dataOf(x), M.dataOf(O.input(r, 1)), yp, M.elements(x));
  } else if (code == F.OP_SUB) {
    const a = O.input(r, 0), b = O.input(r, 1);
    if (HAS_SUB) sub_s8_ref(M.dataOf(a), M.dataOf(b), yp, fillBroadcast(a, b, y), changetype<AddParams>(p));
  } else if (code == F.OP_LEAKY_RELU) {
    const x = O.input(r, 0);
    if (HAS_LEAKY_RELU) leaky_relu_s8(M.dataOf(x), yp, M.elements(x), changetype<LeakyReluParams>(p));
  } else if (code == F.OP_STRIDED_SLICE) {
    const x = O.input(r, 0);
    if (HAS_STRIDED_SLICE) strided_slice_s8(M.dataOf(x), fillDims4(x, dimsA), yp, changetype<SliceParams>(p));
  } else if (code == F.OP_TRANSPOSE_CONV) {
    const x = O.input(r, 0), w = O.input(r, 1);
    if (HAS_TRANSPOSE_CONV) transpose_conv_s8_ref(M.dataOf(x), M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), M.dataOf(w), M.dim(w, 1), M.dim(w, 2),
      optionalData(O.input(r, 2)), M.dataOf(O.input(r, 3)), M.dataOf(O.input(r, 4)), yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3),
      changetype<TransposeConvParams>(p));
  } else if (code == F.OP_MAXIMUM || code == F.OP_MINIMUM) {
    const a = O.input(r, 0), b = O.input(r, 1);
    if (HAS_MAXIMUM_MINIMUM) max_min_s8(M.dataOf(a), M.dataOf(b), yp, fillBroadcast(a, b, y), code == F.OP_MAXIMUM);
  } else if (code == F.OP_SVDF) {
    const x = O.input(r, 0), wf = O.input(r, 1), wt = O.input(r, 2);
    const st = O.input(r, 4);
    if (HAS_SVDF && M.dtype(wt) == F.DT_INT8) svdf_s8_s8(M.dataOf(x), M.dataOf(wf), M.dataOf(wt), M.dataOf(O.input(r, 3)), M.dataOf(st), yp,
      M.dim(x, 0), M.dim(x, 1), M.dim(wf, 0), M.dim(wt, 1), changetype<SvdfParams>(p), load<i32>(M.rec(st) + F.T_ZERO_POINT)); // int8 time weights and state
    else if (HAS_SVDF) svdf_s8_s16(M.dataOf(x), M.dataOf(wf), M.dataOf(wt), M.dataOf(O.input(r, 3)), M.dataOf(st), yp,
      M.dim(x, 0), M.dim(x, 1), M.dim(wf, 0), M.dim(wt, 1), changetype<SvdfParams>(p));
  } else if (code == F.OP_UNIDIRECTIONAL_SEQUENCE_LSTM) {
    if (HAS_LSTM || HAS_LSTM_S16) runLstm(r, yp, changetype<LstmParams>(p));
  } else if (code == F.OP_TABLE_COPY) { // group a (issue 10)
    if (HAS_TABLE_COPY) table_copy_s8(M.dataOf(O.input(r, 0)), yp, p);
  } else if (code == F.OP_RESIZE_BILINEAR) {
    const x = O.input(r, 0);
    if (HAS_RESIZE_BILINEAR) resize_bilinear_s8(M.dataOf(x), fillDims4(x, dimsA), yp, fillDims4(y, dimsB), changetype<ResizeBilinearParams>(p));
  } else if (code == F.OP_ARG_MAX || code == F.OP_ARG_MIN) {
    const x = O.input(r, 0), axis = O.param(r, 0);
    let outer: i32 = 1, inner: i32 = 1;
    for (let k = 0; k < axis; k++) outer *= M.dim4(x, k);
    for (let k = axis + 1; k < 4; k++) inner *= M.dim4(x, k);
    if (HAS_ARG_MAX_MIN) arg_max_min_s8(M.dataOf(x), outer, M.dim4(x, axis), inner, yp, code == F.OP_ARG_MAX);
  } else if (code == F.OP_REDUCE_MAX) {
    const x = O.input(r, 0);
    if (HAS_REDUCE_MAX) reduce_max_s8(M.dataOf(x), fillDims4(x, dimsA), yp, O.param(r, 0));
  } else if (code == F.OP_GATHER) {
    gatherStatus = F.E_OK;
    if (HAS_GATHER) runGather(r, yp); // BAD_INDEX when an index lies outside the axis
    return gatherStatus;
  } else runOpB(r, code, y, yp, p);
  return F.E_OK;
}

/** Group b's ops (issue 10, int8 arithmetic). */
function runOpB(r: usize, code: u32, y: u32, yp: usize, p: usize): void {
  if (code == F.OP_PRELU) {
    const x = O.input(r, 0), alpha = O.input(r, 1);
    if (HAS_PRELU) prelu_s8(M.dataOf(x), M.dataOf(alpha), yp, fillBroadcast(x, alpha, y), changetype<PreluParams>(p));
  } else if (code == F.OP_SQUARED_DIFFERENCE) {
    const a = O.input(r, 0), b = O.input(r, 1);
    if (HAS_SQUARED_DIFFERENCE) squared_difference_s8(M.dataOf(a), M.dataOf(b), yp, fillBroadcast(a, b, y), changetype<SquaredDifferenceParams>(p));
  } else if (code == F.OP_DIV) {
    const a = O.input(r, 0), b = O.input(r, 1);
    if (HAS_DIV) div_s8(M.dataOf(a), M.dataOf(b), yp, fillBroadcast(a, b, y), changetype<MulParams>(p));
  } else if (code == F.OP_L2_NORMALIZATION) {
    const x = O.input(r, 0);
    const depth = M.dim4(x, 3);
    if (HAS_L2_NORMALIZATION) l2norm_s8(M.dataOf(x), yp, M.elements(x) / depth, depth, O.param(r, 0));
  } else if (code == F.OP_LOG_SOFTMAX) {
    const x = O.input(r, 0);
    const depth = M.dim4(x, 3);
    if (HAS_LOG_SOFTMAX) log_softmax_s8(M.dataOf(x), yp, M.elements(x) / depth, depth, O.param(r, 0), O.param(r, 1), O.param(r, 2), O.param(r, 3), O.param(r, 4));
  }
}

/** LSTM inputs [x, 4 input weights, 4 recurrent weights, 4 biases, hidden state, cell state, sigmoid table]; int8 or (input int16) 16x8. */
function runLstm(r: usize, yp: usize, p: LstmParams): void {
  for (let k: u32 = 0; k < 12; k++) store<usize>(lstmWeights + (<usize>k) * sizeof<usize>(), M.dataOf(O.input(r, 1 + k)));
  const x = O.input(r, 0), major = (p.timeMajor & 1) != 0;
  const xp = M.dataOf(x), h = M.dataOf(O.input(r, 13)), c = M.dataOf(O.input(r, 14)), table = M.dataOf(O.input(r, 15));
  const steps = M.dim(x, major ? 0 : 1), batch = M.dim(x, major ? 1 : 0), nIn = M.dim(x, 2), nCell = M.dim(O.input(r, 1), 0);
  if ((p.timeMajor & 2) != 0) { // int8 fresh state (an ONNX LSTM): both states as reset() leaves them, at every invoke
    M.resetVariable(O.input(r, 13));
    M.resetVariable(O.input(r, 14));
  }
  if (M.dtype(x) == F.DT_INT16) { if (HAS_LSTM_S16) lstm_s16(xp, lstmWeights, h, c, yp, table, steps, batch, nIn, nCell, p); } // 16x8: checks in ops-lstm.ts
  else if (HAS_LSTM) lstm_s8_s16(xp, lstmWeights, h, c, yp, table, steps, batch, nIn, nCell, p);
}

let gatherStatus: i32 = F.E_OK;

/** GATHER: sets gatherStatus to BAD_INDEX, naming the op, the index's position and value, when one lies outside the axis. */
function runGather(r: usize, yp: usize): void {
  const x = O.input(r, 0), indices = O.input(r, 1);
  const batch = O.param(r, 0);
  const bad = gather_s8(M.dataOf(x), M.dataOf(indices), yp, O.params(r), M.elements(indices) / batch);
  if (bad >= 0) gatherStatus = badIndex(r, bad);
}

/** BAD_INDEX for GATHER r (int8 or float32) whose index at position `bad` lies outside the axis: the message names op, position and value. */
export function badIndex(r: usize, bad: i32): i32 {
  const axis = O.param(r, 2), ip = M.dataOf(O.input(r, 1));
  let i: u32 = 0;
  for (let q = M.firstOp; q != r; q = O.next(q)) i++;
  O.failOp(i, r, F.E_BAD_INDEX, 'index ');
  msg.num(load<i32>(ip + (<usize>bad << 2)));
  msg.text(' at position ');
  msg.num(bad);
  msg.text(' of the indices is outside the gathered axis of size ');
  msg.num(axis);
  return F.E_BAD_INDEX;
}

/** Concatenation as byte copies of whole elements (int8: 1 byte, int16: 2, float32: 4, from the output's dtype). */
export function runConcat(r: usize, y: u32, yp: usize): void {
  const axis = O.param(r, 0);
  let outer: i32 = 1, after: i32 = <i32>F.dtypeSize(M.dtype(y)); // bytes per element
  for (let k = 0; k < axis; k++) outer *= M.dim4(y, k);
  for (let k = axis + 1; k < 4; k++) after *= M.dim4(y, k);
  const outInner = M.dim4(y, axis) * after;
  let offset: i32 = 0;
  for (let i: u32 = 0; i < O.nIn(r); i++) {
    const x = O.input(r, i);
    const inner = M.dim4(x, axis) * after;
    concat_copy(M.dataOf(x), yp, outer, inner, outInner, offset);
    offset += inner;
  }
}

export function invoke(): i32 {
  if (!M.loaded) return M.fail(F.E_NOT_LOADED, 'no model loaded');
  let r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++) {
    const err = runOpAt(r, i);
    if (err != F.E_OK) return err;
    r = O.next(r);
  }
  return F.E_OK;
}

/** runOp for op i (at r), with its load-time accumulator bound handed to the SIMD kernels (acc-bound.ts). */
function runOpAt(r: usize, i: u32): i32 {
  if (!ASC_FEATURE_SIMD) return runOp(r);
  setRqfAccFits(accFitsOf(i));
  const err = runOp(r);
  setRqfAccFits(false);
  return err;
}

/** Runs op i alone, for per-layer profiling; the ops before it must have run. */
export function invokeOp(i: u32): i32 {
  if (!M.loaded) return M.fail(F.E_NOT_LOADED, 'no model loaded');
  if (i >= M.opCount) return M.fail(F.E_BAD_OP, 'op index beyond the op list');
  let r = M.firstOp;
  for (let k: u32 = 0; k < i; k++) r = O.next(r);
  return runOpAt(r, i);
}
