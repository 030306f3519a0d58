// Writes TFLite flatbuffers from code, so the demo and the tests run on models the
// project builds itself. Covers the options of the ops the importer reads.

import * as flatbuffers from 'flatbuffers';
import { BUILTIN } from '../import/tflite/schema.js';

type DType = 'float32' | 'int32' | 'uint8' | 'int64' | 'int16' | 'int8';
const TYPE_CODE: Record<DType, number> = { float32: 0, int32: 2, uint8: 3, int64: 4, int16: 7, int8: 9 };
const ACT_CODE: Record<string, number> = { NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4 };
const CODE_OF: Record<string, number> = Object.fromEntries(Object.entries(BUILTIN).map(([k, v]) => [v, Number(k)]));

export interface QuantSpec {
  scale: number[];
  zeroPoint: number[];
  axis?: number;
}

interface TensorSpec {
  name: string;
  shape: number[];
  dtype: DType;
  quant?: QuantSpec;
  data?: Uint8Array;
  /** TFLite's is_variable: state kept across invokes (LSTM, SVDF). */
  variable?: boolean;
}

interface OpSpec {
  type: string;
  inputs: number[];
  outputs: number[];
  options: Record<string, unknown>;
}

export class TfliteBuilder {
  private tensors: TensorSpec[] = [];
  private ops: OpSpec[] = [];
  private graphInputs: number[] = [];
  private graphOutputs: number[] = [];

  tensor(name: string, shape: number[], dtype: DType, quant?: QuantSpec): number {
    this.tensors.push({ name, shape, dtype, quant });
    return this.tensors.length - 1;
  }

  /** A variable tensor (is_variable): no buffer, state an op keeps across invokes. */
  variable(name: string, shape: number[], dtype: DType, quant?: QuantSpec): number {
    this.tensors.push({ name, shape, dtype, quant, variable: true });
    return this.tensors.length - 1;
  }

  constant(name: string, shape: number[], dtype: DType, values: ArrayLike<number> | BigInt64Array, quant?: QuantSpec): number {
    const arr =
      dtype === 'int8' ? Int8Array.from(values as ArrayLike<number>) :
      dtype === 'uint8' ? Uint8Array.from(values as ArrayLike<number>) :
      dtype === 'int16' ? Int16Array.from(values as ArrayLike<number>) :
      dtype === 'int32' ? Int32Array.from(values as ArrayLike<number>) :
      dtype === 'int64' ? BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(v))) :
      Float32Array.from(values as ArrayLike<number>);
    this.tensors.push({ name, shape, dtype, quant, data: new Uint8Array(arr.buffer) });
    return this.tensors.length - 1;
  }

  op(type: string, inputs: number[], outputs: number[], options: Record<string, unknown> = {}): void {
    if (CODE_OF[type] === undefined && !type.startsWith('BUILTIN_') && !type.startsWith('CUSTOM:')) throw new Error(`unknown op ${type}`);
    this.ops.push({ type, inputs, outputs, options });
  }

  /** The shape a tensor was declared with. */
  shapeOf(t: number): number[] {
    return [...this.tensors[t].shape];
  }

  /** The quantization a tensor was declared with. */
  quantOf(t: number): QuantSpec | undefined {
    return this.tensors[t].quant;
  }

  io(inputs: number[], outputs: number[]): void {
    this.graphInputs = inputs;
    this.graphOutputs = outputs;
  }

  finish(): Uint8Array {
    const b = new flatbuffers.Builder(1024);
    const types = [...new Set(this.ops.map((o) => o.type))];
    // buffers: 0 is the empty sentinel; one per constant tensor
    const bufferOffsets: number[] = [emptyTable(b)];
    const tensorBuffer = this.tensors.map((t) => {
      if (!t.data) return 0;
      b.startVector(1, t.data.length, 16);
      for (let i = t.data.length - 1; i >= 0; i--) b.addInt8(t.data[i]);
      const vec = b.endVector();
      b.startObject(3);
      b.addFieldOffset(0, vec, 0);
      bufferOffsets.push(b.endObject());
      return bufferOffsets.length - 1;
    });
    const tensorOffsets = this.tensors.map((t, i) => writeTensor(b, t, tensorBuffer[i]));
    const opOffsets = this.ops.map((o) => writeOperator(b, o, types.indexOf(o.type)));
    const codes = types.map((type) => {
      // 'CUSTOM:name' is builtin code 32 (CUSTOM) with custom_code "name"
      const custom = type.startsWith('CUSTOM:') ? b.createString(type.slice(7)) : 0;
      const code = custom ? CODE_OF.CUSTOM : type.startsWith('BUILTIN_') ? Number(type.slice(8)) : CODE_OF[type];
      b.startObject(4);
      b.addFieldInt8(0, Math.min(code, 127), 0);
      if (custom) b.addFieldOffset(1, custom, 0);
      b.addFieldInt32(2, 1, 1);
      b.addFieldInt32(3, code, 0);
      return b.endObject();
    });
    const sgTensors = vectorOfOffsets(b, tensorOffsets);
    const sgInputs = vectorOfInt32(b, this.graphInputs);
    const sgOutputs = vectorOfInt32(b, this.graphOutputs);
    const sgOps = vectorOfOffsets(b, opOffsets);
    const sgName = b.createString('main');
    b.startObject(5);
    b.addFieldOffset(0, sgTensors, 0);
    b.addFieldOffset(1, sgInputs, 0);
    b.addFieldOffset(2, sgOutputs, 0);
    b.addFieldOffset(3, sgOps, 0);
    b.addFieldOffset(4, sgName, 0);
    const subgraph = b.endObject();
    const codesVec = vectorOfOffsets(b, codes);
    const subgraphs = vectorOfOffsets(b, [subgraph]);
    const buffers = vectorOfOffsets(b, bufferOffsets);
    const desc = b.createString('built by edgepack');
    b.startObject(5);
    b.addFieldInt32(0, 3, 0);
    b.addFieldOffset(1, codesVec, 0);
    b.addFieldOffset(2, subgraphs, 0);
    b.addFieldOffset(3, desc, 0);
    b.addFieldOffset(4, buffers, 0);
    const model = b.endObject();
    b.finish(model, 'TFL3');
    return b.asUint8Array().slice();
  }
}

function emptyTable(b: flatbuffers.Builder): number {
  b.startObject(0);
  return b.endObject();
}

function vectorOfOffsets(b: flatbuffers.Builder, offs: number[]): number {
  b.startVector(4, offs.length, 4);
  for (let i = offs.length - 1; i >= 0; i--) b.addOffset(offs[i]);
  return b.endVector();
}

function vectorOfInt32(b: flatbuffers.Builder, vals: number[]): number {
  b.startVector(4, vals.length, 4);
  for (let i = vals.length - 1; i >= 0; i--) b.addInt32(vals[i]);
  return b.endVector();
}

function writeTensor(b: flatbuffers.Builder, t: TensorSpec, buffer: number): number {
  const shape = vectorOfInt32(b, t.shape);
  const name = b.createString(t.name);
  let quant = 0;
  if (t.quant) {
    b.startVector(4, t.quant.scale.length, 4);
    for (let i = t.quant.scale.length - 1; i >= 0; i--) b.addFloat32(t.quant.scale[i]);
    const scale = b.endVector();
    b.startVector(8, t.quant.zeroPoint.length, 8);
    for (let i = t.quant.zeroPoint.length - 1; i >= 0; i--) b.addInt64(BigInt(t.quant.zeroPoint[i]));
    const zp = b.endVector();
    b.startObject(7);
    b.addFieldOffset(2, scale, 0);
    b.addFieldOffset(3, zp, 0);
    b.addFieldInt32(6, t.quant.axis ?? 0, 0);
    quant = b.endObject();
  }
  b.startObject(6);
  b.addFieldOffset(0, shape, 0);
  b.addFieldInt8(1, TYPE_CODE[t.dtype], 0);
  b.addFieldInt32(2, buffer, 0);
  b.addFieldOffset(3, name, 0);
  if (quant) b.addFieldOffset(4, quant, 0);
  if (t.variable) b.addFieldInt8(5, 1, 0);
  return b.endObject();
}

/** Builtin options table and its union type id, per op. */
function writeOptions(b: flatbuffers.Builder, o: OpSpec): [number, number] {
  const opt = o.options as Record<string, number & string & boolean>;
  // a number is written as is (tests of unknown activation codes)
  const act = typeof opt.activation === 'number' ? opt.activation : ACT_CODE[opt.activation ?? 'NONE'];
  const pad = opt.padding === 'VALID' ? 1 : 0;
  switch (o.type) {
    case 'CONV_2D':
      b.startObject(7);
      b.addFieldInt8(0, pad, 0);
      b.addFieldInt32(1, opt.strideW ?? 1, 0);
      b.addFieldInt32(2, opt.strideH ?? 1, 0);
      b.addFieldInt8(3, act, 0);
      b.addFieldInt32(4, opt.dilationW ?? 1, 1);
      b.addFieldInt32(5, opt.dilationH ?? 1, 1);
      return [1, b.endObject()];
    case 'DEPTHWISE_CONV_2D':
      b.startObject(7);
      b.addFieldInt8(0, pad, 0);
      b.addFieldInt32(1, opt.strideW ?? 1, 0);
      b.addFieldInt32(2, opt.strideH ?? 1, 0);
      b.addFieldInt32(3, opt.depthMultiplier ?? 1, 0);
      b.addFieldInt8(4, act, 0);
      b.addFieldInt32(5, opt.dilationW ?? 1, 1);
      b.addFieldInt32(6, opt.dilationH ?? 1, 1);
      return [2, b.endObject()];
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D':
      b.startObject(6);
      b.addFieldInt8(0, pad, 0);
      b.addFieldInt32(1, opt.strideW ?? 1, 0);
      b.addFieldInt32(2, opt.strideH ?? 1, 0);
      b.addFieldInt32(3, opt.filterW ?? 1, 0);
      b.addFieldInt32(4, opt.filterH ?? 1, 0);
      b.addFieldInt8(5, act, 0);
      return [5, b.endObject()];
    case 'FULLY_CONNECTED':
      b.startObject(3);
      b.addFieldInt8(0, act, 0);
      if (opt.keepNumDims) b.addFieldInt8(2, 1, 0);
      return [8, b.endObject()];
    case 'SOFTMAX':
      b.startObject(1);
      b.addFieldFloat32(0, opt.beta ?? 1, 0);
      return [9, b.endObject()];
    case 'CONCATENATION':
      b.startObject(2);
      b.addFieldInt32(0, opt.axis ?? 0, 0);
      b.addFieldInt8(1, act, 0);
      return [10, b.endObject()];
    case 'ADD':
      b.startObject(1);
      b.addFieldInt8(0, act, 0);
      return [11, b.endObject()];
    case 'MUL':
      b.startObject(1);
      b.addFieldInt8(0, act, 0);
      return [21, b.endObject()];
    case 'SUB':
      b.startObject(1);
      b.addFieldInt8(0, act, 0);
      return [28, b.endObject()];
    case 'DIV':
      b.startObject(1);
      b.addFieldInt8(0, act, 0);
      return [29, b.endObject()];
    case 'STRIDED_SLICE':
      b.startObject(6);
      b.addFieldInt32(0, opt.beginMask ?? 0, 0);
      b.addFieldInt32(1, opt.endMask ?? 0, 0);
      b.addFieldInt32(2, opt.ellipsisMask ?? 0, 0);
      b.addFieldInt32(3, opt.newAxisMask ?? 0, 0);
      b.addFieldInt32(4, opt.shrinkAxisMask ?? 0, 0);
      if (opt.offset) b.addFieldInt8(5, 1, 0);
      return [32, b.endObject()];
    case 'SVDF':
      b.startObject(3);
      b.addFieldInt32(0, opt.rank ?? 1, 0);
      b.addFieldInt8(1, act, 0);
      return [6, b.endObject()];
    case 'UNIDIRECTIONAL_SEQUENCE_LSTM': // UnidirectionalSequenceLSTMOptions (union member 71)
      b.startObject(4);
      b.addFieldInt8(0, act, 0);
      b.addFieldFloat32(1, opt.cellClip ?? 0, 0);
      b.addFieldFloat32(2, opt.projClip ?? 0, 0);
      if (opt.timeMajor) b.addFieldInt8(3, 1, 0);
      return [71, b.endObject()];
    case 'TRANSPOSE_CONV':
      b.startObject(4);
      b.addFieldInt8(0, pad, 0);
      b.addFieldInt32(1, opt.strideW ?? 1, 0);
      b.addFieldInt32(2, opt.strideH ?? 1, 0);
      b.addFieldInt8(3, act, 0);
      return [49, b.endObject()];
    case 'SPLIT':
    case 'SPLIT_V':
      b.startObject(1);
      b.addFieldInt32(0, o.outputs.length, 0);
      return [o.type === 'SPLIT' ? 35 : 79, b.endObject()];
    case 'UNPACK':
    case 'PACK':
      b.startObject(2);
      b.addFieldInt32(0, o.type === 'PACK' ? o.inputs.length : o.outputs.length, 0);
      b.addFieldInt32(1, opt.axis ?? 0, 0);
      return [o.type === 'PACK' ? 59 : 64, b.endObject()];
    case 'LEAKY_RELU':
      b.startObject(1);
      b.addFieldFloat32(0, opt.alpha ?? 0, 0);
      return [75, b.endObject()];
    case 'MEAN':
      b.startObject(1);
      b.addFieldInt8(0, opt.keepDims ? 1 : 0, 0);
      return [27, b.endObject()];
    // group a (issue 10)
    case 'RESIZE_BILINEAR':
      b.startObject(4);
      if (opt.alignCorners) b.addFieldInt8(2, 1, 0);
      if (opt.halfPixelCenters) b.addFieldInt8(3, 1, 0);
      return [15, b.endObject()];
    case 'RESIZE_NEAREST_NEIGHBOR':
      b.startObject(2);
      if (opt.alignCorners) b.addFieldInt8(0, 1, 0);
      if (opt.halfPixelCenters) b.addFieldInt8(1, 1, 0);
      return [74, b.endObject()];
    case 'GATHER':
      b.startObject(2);
      b.addFieldInt32(0, opt.axis ?? 0, 0);
      b.addFieldInt32(1, opt.batchDims ?? 0, 0);
      return [23, b.endObject()];
    case 'ARG_MAX':
    case 'ARG_MIN':
      b.startObject(1);
      b.addFieldInt8(0, opt.outputType ?? 2, 0); // TensorType INT32 2, INT64 4
      return [o.type === 'ARG_MAX' ? 40 : 57, b.endObject()];
    case 'DEPTH_TO_SPACE':
    case 'SPACE_TO_DEPTH':
      b.startObject(1);
      b.addFieldInt32(0, opt.blockSize ?? 2, 0);
      return [o.type === 'DEPTH_TO_SPACE' ? 94 : 19, b.endObject()];
    case 'MIRROR_PAD':
      b.startObject(1);
      b.addFieldInt8(0, opt.mode ?? 0, 0);
      return [77, b.endObject()];
    case 'SUM':
    case 'REDUCE_MAX':
      b.startObject(1);
      b.addFieldInt8(0, opt.keepDims ? 1 : 0, 0);
      return [27, b.endObject()];
    case 'SPACE_TO_BATCH_ND':
    case 'BATCH_TO_SPACE_ND':
      b.startObject(0);
      return [o.type === 'SPACE_TO_BATCH_ND' ? 25 : 24, b.endObject()];
    default:
      return [0, 0];
  }
}

function writeOperator(b: flatbuffers.Builder, o: OpSpec, codeIndex: number): number {
  const inputs = vectorOfInt32(b, o.inputs);
  const outputs = vectorOfInt32(b, o.outputs);
  const [optType, opt] = writeOptions(b, o);
  b.startObject(5);
  b.addFieldInt32(0, codeIndex, 0);
  b.addFieldOffset(1, inputs, 0);
  b.addFieldOffset(2, outputs, 0);
  if (opt) {
    b.addFieldInt8(3, optType, 0);
    b.addFieldOffset(4, opt, 0);
  }
  return b.endObject();
}
