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
import { prepareLut } from './prepare/lut.js';
import { prepareSvdf } from './prepare/svdf.js';
import { int16Prepare } from './prepare/int16.js';
import { prepareAlias, prepareConcatenation, prepareMean, preparePad, prepareTranspose } from './prepare/shape-ops.js';

const PREPARE: Record<string, (ctx: PrepareContext) => void> = {
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
};

export const SUPPORTED_OPS = Object.keys(PREPARE);

export function prepareKernels(input: Graph): Graph {
  const g = cloneGraph(input);
  for (const op of g.ops) {
    const prepare = int16Prepare(g, op) ?? PREPARE[op.type];
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
