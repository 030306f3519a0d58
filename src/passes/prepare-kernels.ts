// prepare-kernels: matches every op of the graph to a runtime kernel and computes its
// params offline (multipliers, shifts, padding, activation ranges); reshape-like ops
// become aliases. Guarantees: every op has `kernel` or `alias`, or conversion fails
// with an error naming the op, its index and the tensor at fault.

import { OpCode } from '../format/constants.js';
import { ConvertError, Graph, cloneGraph } from '../ir/graph.js';
import { PrepareContext } from './prepare/context.js';
import { prepareConv, prepareDepthwise, prepareFullyConnected, preparePool } from './prepare/conv.js';
import { prepareAdd, prepareDequantize, prepareMul, prepareQuantize, prepareSoftmax, prepareSub } from './prepare/elementwise.js';
import { prepareLeakyRelu } from './prepare/leaky-relu.js';
import { prepareStridedSlice } from './prepare/strided-slice.js';
import { prepareTransposeConv } from './prepare/transpose-conv.js';
import { prepareRelu } from './prepare/relu.js';
import { prepareHardSwish } from './prepare/hard-swish.js';
import { prepareLogisticTanh } from './prepare/logistic-tanh.js';
import { prepareMaximumMinimum } from './prepare/maximum-minimum.js';
import { preparePrelu } from './prepare/prelu.js';
import { prepareSquaredDifference } from './prepare/squared-difference.js';
import { prepareRsqrt } from './prepare/rsqrt.js';
import { prepareDiv } from './prepare/div.js';
import { prepareL2Normalization } from './prepare/l2norm.js';
import { prepareLogSoftmax } from './prepare/log-softmax.js';
import { prepareLut } from './prepare/lut.js';
import { prepareSvdf } from './prepare/svdf.js';
import { prepareLstm } from './prepare/lstm.js';
import { int16Prepare } from './prepare/int16.js';
import { prepareAlias, prepareConcatenation, prepareMean, preparePad, prepareTranspose } from './prepare/shape-ops.js';
import { F32_ALIASES, PREPARE_F32, isFloat32Op } from './prepare/float.js';
import { FLOAT32_ONLY } from './prepare/float-b.js';
import {
  prepareBatchToSpace, prepareDepthToSpace, prepareGather, prepareMirrorPad, prepareResizeNearest, prepareSpaceToBatch, prepareSpaceToDepth,
} from './prepare/table-copy.js';
import { prepareResizeBilinear } from './prepare/resize-bilinear.js';
import { prepareArgMaxMin, prepareReduceMax, prepareSum } from './prepare/reduce.js';

export const PREPARE: Record<string, (ctx: PrepareContext) => void> = {
  CONV_2D: prepareConv,
  DEPTHWISE_CONV_2D: prepareDepthwise,
  FULLY_CONNECTED: prepareFullyConnected,
  AVERAGE_POOL_2D: (ctx) => preparePool(ctx, OpCode.AveragePool2D),
  MAX_POOL_2D: (ctx) => preparePool(ctx, OpCode.MaxPool2D),
  ADD: prepareAdd,
  MUL: prepareMul,
  SOFTMAX: prepareSoftmax,
  PAD: preparePad,
  PADV2: preparePad,
  MEAN: prepareMean,
  TRANSPOSE: prepareTranspose,
  CONCATENATION: prepareConcatenation,
  QUANTIZE: prepareQuantize,
  DEQUANTIZE: prepareDequantize,
  RESHAPE: prepareAlias,
  SQUEEZE: prepareAlias,
  EXPAND_DIMS: prepareAlias,
  LUT: prepareLut,
  SUB: prepareSub,
  LEAKY_RELU: prepareLeakyRelu,
  STRIDED_SLICE: prepareStridedSlice,
  TRANSPOSE_CONV: prepareTransposeConv,
  RELU: prepareRelu,
  RELU6: prepareRelu,
  HARD_SWISH: prepareHardSwish,
  LOGISTIC: prepareLogisticTanh,
  TANH: prepareLogisticTanh,
  MAXIMUM: prepareMaximumMinimum,
  MINIMUM: prepareMaximumMinimum,
  SVDF: prepareSvdf,
  // group b (issue 10, int8 arithmetic)
  PRELU: preparePrelu,
  SQUARED_DIFFERENCE: prepareSquaredDifference,
  RSQRT: prepareRsqrt,
  DIV: prepareDiv,
  L2_NORMALIZATION: prepareL2Normalization,
  LOG_SOFTMAX: prepareLogSoftmax, // group c (issue 10)
  UNIDIRECTIONAL_SEQUENCE_LSTM: prepareLstm,
  // group a (issue 10)
  RESIZE_NEAREST_NEIGHBOR: prepareResizeNearest,
  RESIZE_BILINEAR: prepareResizeBilinear,
  ARG_MAX: prepareArgMaxMin,
  ARG_MIN: prepareArgMaxMin,
  GATHER: prepareGather,
  MIRROR_PAD: prepareMirrorPad,
  DEPTH_TO_SPACE: prepareDepthToSpace,
  SPACE_TO_DEPTH: prepareSpaceToDepth,
  REDUCE_MAX: prepareReduceMax,
  SUM: prepareSum,
  SPACE_TO_BATCH_ND: prepareSpaceToBatch,
  BATCH_TO_SPACE_ND: prepareBatchToSpace,
};

export const SUPPORTED_OPS = Object.keys(PREPARE);

/** The op's prepare: group f32's for a float32 op (reshapes stay aliases), else PREPARE's. */
function prepareFor(g: Graph, op: Graph['ops'][number]): ((ctx: PrepareContext) => void) | undefined {
  if (isFloat32Op(g.tensors, op) && !F32_ALIASES.has(op.type)) {
    const f = PREPARE_F32[op.type];
    if (!f) throw new ConvertError(`${g.source}: op ${op.sourceIndex} (${op.type}) has float32 tensors; float32 runs ${Object.keys(PREPARE_F32).join(', ')} (quantize the model with --calibrate for the int8 ops)`);
    return f;
  }
  return PREPARE[op.type];
}

export function prepareKernels(input: Graph): Graph {
  const g = cloneGraph(input);
  for (const op of g.ops) {
    const prepare = int16Prepare(g, op) ?? prepareFor(g, op);
    if (!prepare && FLOAT32_ONLY.has(op.type)) {
      throw new ConvertError(`${g.source}: op ${op.sourceIndex} (${op.type}) runs on float32 only (TFLM has no integer ${op.type} kernel); this one has ${g.tensors[op.inputs[0]]?.dtype ?? 'no'} input`);
    }
    if (!prepare) {
      throw new ConvertError(
        `${g.source}: op ${op.sourceIndex} (${op.type}) is not supported; supported ops: ${SUPPORTED_OPS.join(', ')}`,
      );
    }
    try {
      prepare(new PrepareContext(g, op));
    } catch (e) {
      if (e instanceof ConvertError) throw e;
      throw new ConvertError(`${g.source}: op ${op.sourceIndex} (${op.type}): ${(e as Error).message}`);
    }
  }
  return g;
}
