// The int16 (16x8) variants' calls: runOp (interpreter.ts) hands an op here when its input 0
// is int16 (dispatch.ts isS16). Shapes and params were checked by ops.ts validateS16.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import { fc_s16, conv_s16, dwconv_s16, binary_s16, BIN_ADD, BIN_SUB, BIN_MUL, requantize_s16, quantize_f32_s16, dequantize_s16_f32, transpose_conv_s16 } from './kernels/s16';
import { TransposeConvParams } from './kernels/transpose-conv';
import { fillBroadcast, runConcat, fillDims4, dimsA, dimsB } from './interpreter';
import { pad_x16, transpose_x16, strided_slice_x16 } from './kernels/wide-shape';
import { SliceParams } from './kernels/strided-slice';
import { leaky_relu_s16, LeakyReluParams } from './kernels/leaky-relu';
import { ConvParams } from './kernels/conv';
import { softmax_s16, pool_s16, mean_s16 } from './kernels/other-s16';
import { PoolParams } from './kernels/pool';
import { HAS_FC_S16, HAS_CONV_S16, HAS_ELEMENTWISE_S16, HAS_QUANT_S16, HAS_CONCAT, HAS_PAD, HAS_TRANSPOSE, HAS_STRIDED_SLICE, HAS_LEAKY_RELU, HAS_OTHER_S16 } from './kernel-table';

function optionalData(t: u32): usize {
  return t == F.NO_TENSOR ? 0 : M.dataOf(t);
}

function isInt64(t: u32): bool {
  return t != F.NO_TENSOR && M.dtype(t) == F.DT_INT64;
}

export function runS16(r: usize, code: u32): void {
  const y = O.output(r, 0), yp = M.dataOf(y);
  if (code == F.OP_FULLY_CONNECTED) {
    const x = O.input(r, 0), w = O.input(r, 1), b = O.input(r, 2);
    const depth = M.dim(w, 1);
    if (HAS_FC_S16) fc_s16(M.dataOf(x), M.elements(x) / depth, depth, M.dataOf(w), M.dim(w, 0),
      optionalData(b), isInt64(b), M.dataOf(O.input(r, 3)), M.dataOf(O.input(r, 4)), yp, O.param(r, 2), O.param(r, 3));
  } else if (code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D) {
    const x = O.input(r, 0), w = O.input(r, 1), b = O.input(r, 2);
    const xp = M.dataOf(x), wp = M.dataOf(w), bp = optionalData(b), b64 = isInt64(b);
    const mult = M.dataOf(O.input(r, 3)), shift = M.dataOf(O.input(r, 4));
    const cp = changetype<ConvParams>(O.params(r));
    if (code == F.OP_CONV_2D) {
      if (HAS_CONV_S16) conv_s16(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), wp, M.dim(w, 1), M.dim(w, 2), M.dim(w, 3),
        bp, b64, mult, shift, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), cp);
    } else {
      if (HAS_CONV_S16) dwconv_s16(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), wp, M.dim(w, 1), M.dim(w, 2),
        bp, b64, mult, shift, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), cp);
    }
  } else if (code == F.OP_ADD || code == F.OP_SUB || code == F.OP_MUL) {
    const a = O.input(r, 0), b = O.input(r, 1);
    const kind = code == F.OP_ADD ? BIN_ADD : code == F.OP_SUB ? BIN_SUB : BIN_MUL;
    if (HAS_ELEMENTWISE_S16) binary_s16(kind, M.dataOf(a), M.dataOf(b), yp, fillBroadcast(a, b, y), O.params(r));
  } else if (code == F.OP_CONCATENATION) {
    if (HAS_CONCAT) runConcat(r, y, yp); // copies 2 bytes per element (the output's dtype)
  } else if (code == F.OP_TRANSPOSE_CONV) {
    const x = O.input(r, 0), w = O.input(r, 1);
    if (HAS_CONV_S16) transpose_conv_s16(M.dataOf(x), M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), M.dataOf(w), M.dim(w, 1), M.dim(w, 2),
      optionalData(O.input(r, 2)), M.dataOf(O.input(r, 3)), M.dataOf(O.input(r, 4)), yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3),
      changetype<TransposeConvParams>(O.params(r)));
  } else if (code == F.OP_LEAKY_RELU) {
    const x = O.input(r, 0);
    if (HAS_LEAKY_RELU) leaky_relu_s16(M.dataOf(x), yp, M.elements(x), changetype<LeakyReluParams>(O.params(r)));
  } else if (code == F.OP_PAD) {
    const x = O.input(r, 0);
    if (HAS_PAD) pad_x16(M.dataOf(x), fillDims4(x, dimsA), yp, fillDims4(y, dimsB), O.params(r), O.param(r, 8));
  } else if (code == F.OP_TRANSPOSE) {
    const x = O.input(r, 0);
    if (HAS_TRANSPOSE) transpose_x16(M.dataOf(x), fillDims4(x, dimsA), yp, fillDims4(y, dimsB), O.params(r));
  } else if (code == F.OP_STRIDED_SLICE) {
    const x = O.input(r, 0);
    if (HAS_STRIDED_SLICE) strided_slice_x16(M.dataOf(x), fillDims4(x, dimsA), yp, changetype<SliceParams>(O.params(r)));
  } else if (code == F.OP_SOFTMAX) { // row OTHER_S16: [x, exp table, 1/(1+x) table]
    const x = O.input(r, 0), depth = M.dim4(x, 3);
    if (HAS_OTHER_S16) softmax_s16(M.dataOf(x), yp, M.elements(x) / depth, depth, O.param(r, 0), O.param(r, 1), M.dataOf(O.input(r, 1)), M.dataOf(O.input(r, 2)));
  } else if (code == F.OP_AVERAGE_POOL_2D || code == F.OP_MAX_POOL_2D) {
    const x = O.input(r, 0);
    if (HAS_OTHER_S16) pool_s16(code == F.OP_MAX_POOL_2D, M.dataOf(x), M.dim(x, 1), M.dim(x, 2), M.dim(x, 3),
      yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), changetype<PoolParams>(O.params(r)));
  } else if (code == F.OP_MEAN) {
    const x = O.input(r, 0);
    if (HAS_OTHER_S16) mean_s16(M.dataOf(x), fillDims4(x, dimsA), yp, O.param(r, 0), O.param(r, 3), O.param(r, 4));
  } else if (code == F.OP_REQUANTIZE) {
    const x = O.input(r, 0);
    if (HAS_QUANT_S16) requantize_s16(M.dataOf(x), <i32>F.dtypeSize(M.dtype(x)), yp, <i32>F.dtypeSize(M.dtype(y)), M.elements(x),
      O.param(r, 0), O.param(r, 1), O.param(r, 2), O.param(r, 3));
  } else if (code == F.OP_QUANTIZE) {
    const x = O.input(r, 0);
    if (HAS_QUANT_S16) quantize_f32_s16(M.dataOf(x), yp, M.elements(x), reinterpret<f32>(O.param(r, 0)));
  } else if (code == F.OP_DEQUANTIZE) {
    const x = O.input(r, 0);
    if (HAS_QUANT_S16) dequantize_s16_f32(M.dataOf(x), yp, M.elements(x), reinterpret<f32>(O.param(r, 0)));
  }
}
