// Which kernel variant (kernel-table.ts, generated from src/format/kernels.ts) runs an op:
// the same decision runOp (interpreter.ts) and packed.ts take, stated once for validation
// and reports. src/format/kernels.ts kernelOf is its converter-side twin; the test
// test/kernel-table.test.ts compares them on every op of the shared models.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import { isPacked, isHuffmanCoded } from './packed';
import * as K from './kernel-table';
import { isFloat32Value } from './ops-f32b';

/** The variant of op record r (valid after validateOp accepted its shapes). */
export function kernelOf(r: usize): u32 {
  const code = O.opcode(r);
  const f32 = float32Variant(r, code);
  if (f32 != K.KERNEL_VARIANT_COUNT) return f32;
  if (isS16(r, code)) return s16VariantOf(code);
  if (code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D || code == F.OP_FULLY_CONNECTED) {
    const w = O.input(r, 1);
    const conv = code == F.OP_CONV_2D, dw = code == F.OP_DEPTHWISE_CONV_2D;
    if (isPacked(w)) {
      if (isHuffmanCoded(w)) return conv ? K.K_CONV_HUFFMAN : dw ? K.K_DWCONV_HUFFMAN : K.K_FC_HUFFMAN;
      return conv ? K.K_CONV_CODEBOOK : dw ? K.K_DWCONV_CODEBOOK : K.K_FC_CODEBOOK;
    }
    if (O.isPacked(r)) return conv ? K.K_CONV_BLOCKED : dw ? K.K_DWCONV_BLOCKED : K.K_FC_BLOCKED;
    return conv ? K.K_CONV_REF : dw ? K.K_DWCONV_REF : K.K_FC_REF;
  }
  switch (code) {
    case F.OP_AVERAGE_POOL_2D: case F.OP_MAX_POOL_2D: return K.K_POOL;
    case F.OP_ADD: {
      // add_s8_ref takes every shape: a build without add_s8 but with it runs same-shape ADDs
      // too (test/kernel-variants.test.ts compares the two kernels that way)
      const n = M.elements(O.output(r, 0));
      const same = M.elements(O.input(r, 0)) == n && M.elements(O.input(r, 1)) == n;
      return same && (K.HAS_ADD_SAME || !K.HAS_ADD_BROADCAST) ? K.K_ADD_SAME : K.K_ADD_BROADCAST;
    }
    case F.OP_MUL: return K.K_MUL;
    case F.OP_SOFTMAX: return K.K_SOFTMAX;
    case F.OP_PAD: return K.K_PAD;
    case F.OP_MEAN: return K.K_MEAN;
    case F.OP_TRANSPOSE: return K.K_TRANSPOSE;
    case F.OP_CONCATENATION: return K.K_CONCAT;
    case F.OP_REQUANTIZE: return K.K_REQUANTIZE;
    case F.OP_QUANTIZE: return K.K_QUANTIZE;
    case F.OP_DEQUANTIZE: return K.K_DEQUANTIZE;
    case F.OP_LUT: return K.K_LUT;
    case F.OP_SUB: return K.K_SUB;
    case F.OP_LEAKY_RELU: return K.K_LEAKY_RELU;
    case F.OP_STRIDED_SLICE: return K.K_STRIDED_SLICE;
    case F.OP_TRANSPOSE_CONV: return K.K_TRANSPOSE_CONV;
    case F.OP_MAXIMUM: case F.OP_MINIMUM: return K.K_MAXIMUM_MINIMUM;
    case F.OP_SVDF: return K.K_SVDF;
    // group b (issue 10, int8 arithmetic)
    case F.OP_PRELU: return K.K_PRELU;
    case F.OP_SQUARED_DIFFERENCE: return K.K_SQUARED_DIFFERENCE;
    case F.OP_DIV: return K.K_DIV;
    case F.OP_L2_NORMALIZATION: return K.K_L2_NORMALIZATION;
    case F.OP_LOG_SOFTMAX: return K.K_LOG_SOFTMAX; // group c (issue 10)
    // LSTM
    case F.OP_UNIDIRECTIONAL_SEQUENCE_LSTM: return isInt16(O.input(r, 0)) ? K.K_LSTM_S16 : K.K_LSTM; // 16x8: ops-lstm.ts
    // group a (issue 10)
    case F.OP_TABLE_COPY: return K.K_TABLE_COPY;
    case F.OP_RESIZE_BILINEAR: return K.K_RESIZE_BILINEAR;
    case F.OP_ARG_MAX: case F.OP_ARG_MIN: return K.K_ARG_MAX_MIN;
    case F.OP_REDUCE_MAX: return K.K_REDUCE_MAX;
    case F.OP_GATHER: return K.K_GATHER;
  }
  return K.KERNEL_VARIANT_COUNT;
}

// --- group f32: the variant chosen by dtype ---------------------------------------------
/** The *_F32 variant of a float32 op (ops-f32.ts isFloat32Op), else KERNEL_VARIANT_COUNT; src/format/kernels.ts float32Variant. */
export function float32Variant(r: usize, code: u32): u32 {
  if (code != F.OP_ACTIVATION && !isFloat32Value(r, code)) return K.KERNEL_VARIANT_COUNT;
  switch (code) {
    case F.OP_CONV_2D: case F.OP_DEPTHWISE_CONV_2D: case F.OP_TRANSPOSE_CONV: return K.K_CONV_F32;
    case F.OP_FULLY_CONNECTED: return K.K_FC_F32;
    case F.OP_ADD: case F.OP_SUB: case F.OP_MUL: case F.OP_MAXIMUM: case F.OP_MINIMUM: case F.OP_LEAKY_RELU: case F.OP_ACTIVATION: return K.K_ELEMENTWISE_F32;
    case F.OP_AVERAGE_POOL_2D: case F.OP_MAX_POOL_2D: case F.OP_SOFTMAX: case F.OP_MEAN: case F.OP_PAD: case F.OP_TRANSPOSE: case F.OP_STRIDED_SLICE: return K.K_OTHER_F32;
    case F.OP_UNIDIRECTIONAL_SEQUENCE_LSTM: return K.K_LSTM_F32; // ops-lstm.ts
    // float32 forms of groups a, b, c (ops-f32b.ts, run-f32b.ts)
    case F.OP_RESIZE_BILINEAR: case F.OP_ARG_MAX: case F.OP_ARG_MIN: case F.OP_REDUCE_MAX: case F.OP_PRELU: case F.OP_SQUARED_DIFFERENCE:
    case F.OP_DIV: case F.OP_L2_NORMALIZATION: case F.OP_LOG_SOFTMAX: return K.K_MISC_F32;
    case F.OP_TABLE_COPY: case F.OP_GATHER: return K.K_MOVE_F32;
    case F.OP_SVDF: return K.K_SVDF_F32;
  }
  return K.KERNEL_VARIANT_COUNT;
}

// --- int16 (16x8) variants: an op with an int16 variant whose input 0 is int16 runs it
// (src/format/kernels.ts int16VariantOf is the twin).

/** Any row with an int16 path (run-s16.ts): the _S16 rows and the int8 rows that also run 2-byte elements. The interpreter and the load checks both compile their int16 code under it. */
export const HAS_S16: bool = K.HAS_FC_S16 || K.HAS_CONV_S16 || K.HAS_ELEMENTWISE_S16 || K.HAS_QUANT_S16 || K.HAS_CONCAT ||
  K.HAS_PAD || K.HAS_TRANSPOSE || K.HAS_STRIDED_SLICE || K.HAS_LEAKY_RELU || K.HAS_OTHER_S16;

/** True when op r runs an _S16 variant: its opcode has one and its input 0 (QUANTIZE-likes: or output) is int16. */
export function isS16(r: usize, code: u32): bool {
  if (s16VariantOf(code) == K.KERNEL_VARIANT_COUNT || O.nIn(r) < 1 || O.nOut(r) < 1) return false;
  if (isInt16(O.input(r, 0))) return true;
  return (code == F.OP_QUANTIZE || code == F.OP_REQUANTIZE) && isInt16(O.output(r, 0));
}

function isInt16(t: u32): bool {
  return t != F.NO_TENSOR && t < M.tensorCount && M.dtype(t) == F.DT_INT16;
}

function s16VariantOf(code: u32): u32 {
  if (code == F.OP_FULLY_CONNECTED) return K.K_FC_S16;
  if (code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D || code == F.OP_TRANSPOSE_CONV) return K.K_CONV_S16;
  if (code == F.OP_ADD || code == F.OP_SUB || code == F.OP_MUL) return K.K_ELEMENTWISE_S16;
  if (code == F.OP_QUANTIZE || code == F.OP_DEQUANTIZE || code == F.OP_REQUANTIZE) return K.K_QUANT_S16;
  if (code == F.OP_CONCATENATION) return K.K_CONCAT; // byte copies scaled by the element size
  // data movement: the int8 rows, 2-byte walks (kernels/wide-shape.ts)
  if (code == F.OP_PAD) return K.K_PAD;
  if (code == F.OP_TRANSPOSE) return K.K_TRANSPOSE;
  if (code == F.OP_STRIDED_SLICE) return K.K_STRIDED_SLICE;
  if (code == F.OP_LEAKY_RELU) return K.K_LEAKY_RELU; // leaky_relu_s16 beside leaky_relu_s8
  if (code == F.OP_SOFTMAX || code == F.OP_AVERAGE_POOL_2D || code == F.OP_MAX_POOL_2D || code == F.OP_MEAN) return K.K_OTHER_S16; // kernels/other-s16.ts
  return K.KERNEL_VARIANT_COUNT;
}
