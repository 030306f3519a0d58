// TFLite flatbuffer -> IR. Reads the first subgraph: tensors (with per-tensor and
// per-channel quantization), constant buffers, operators and their builtin options.
// Anything it cannot represent is rejected with an error naming the op and its index.

import { ConvertError, Graph, MAX_ELEMENTS, MAX_OPS, MAX_TENSORS, Op, Quant, Tensor, TensorData } from '../../ir/graph.js';
import { FbFile, Table } from './flatbuffer.js';
import { Bytes, copyBuffer, toBytes } from '../../io/bytes.js';
import {
  ACTIVATIONS,
  BUILTIN,
  BufferF,
  ModelF,
  OperatorCodeF,
  OperatorF,
  QuantF,
  SubGraphF,
  TENSOR_TYPES,
  TENSOR_TYPE_NAMES,
  TensorF,
} from './schema.js';

export function importTflite(input: Bytes, name = 'model.tflite'): Graph {
  const bytes = toBytes(input, 'model bytes');
  if (bytes.length < 8) throw new ConvertError(`${name}: ${bytes.length} bytes is too short for a TFLite model`);
  const ident = new TextDecoder().decode(bytes.subarray(4, 8));
  if (ident !== 'TFL3') {
    throw new ConvertError(`${name}: not a TFLite model (file identifier at byte offset 4 is ${JSON.stringify(ident)}, expected "TFL3")`);
  }
  const file = new FbFile(bytes, name);
  const model = file.root();
  const opNames = readOperatorCodes(model);
  const buffers = model.tables(ModelF.buffers, 'buffers');
  const subgraphs = model.tables(ModelF.subgraphs, 'subgraphs');
  if (subgraphs.length === 0) throw new ConvertError(`${name}: model has no subgraph`);
  const sg = subgraphs[0];
  // Counts first, before any table is read: a hostile count is refused at once.
  const tensorCount = sg.vector(SubGraphF.tensors, 4, 'tensors')?.length ?? 0;
  if (tensorCount > MAX_TENSORS) throw new ConvertError(`${name}: ${tensorCount} tensors, above the limit of ${MAX_TENSORS}`);
  const opCount = sg.vector(SubGraphF.operators, 4, 'operators')?.length ?? 0;
  if (opCount > MAX_OPS) throw new ConvertError(`${name}: ${opCount} operators, above the limit of ${MAX_OPS}`);
  const tensors = sg.tables(SubGraphF.tensors, 'tensors').map((t, i) => readTensor(file, t, i, buffers));
  // -1 ("absent") is accepted only where a slot is optional (checkOperands); everywhere else an index must exist.
  const checkIndex = (i: number, what: string, optional = false) => {
    if (i === -1 && optional) return i;
    if (i < 0 || i >= tensors.length) {
      throw new ConvertError(`${name}: ${what} refers to tensor ${i}, but ${i === -1 ? 'it is required' : `there are ${tensors.length}`}`);
    }
    return i;
  };
  const ops = sg.tables(SubGraphF.operators, 'operators').map((o, i) => readOperator(file, o, i, opNames, checkIndex));
  const outputs = sg.i32Vector(SubGraphF.outputs, 'subgraph outputs').map((i) => checkIndex(i, 'subgraph output'));
  if (outputs.length === 0) throw new ConvertError(`${name}: the subgraph has no outputs`);
  return {
    tensors,
    ops,
    inputs: sg.i32Vector(SubGraphF.inputs, 'subgraph inputs').map((i) => checkIndex(i, 'subgraph input')),
    outputs,
    source: name,
  };
}

function readOperatorCodes(model: Table): string[] {
  return model.tables(ModelF.operatorCodes, 'operator_codes').map((c) => {
    // Older writers fill only deprecated_builtin_code; newer ones both. Take the larger.
    const code = Math.max(c.i8(OperatorCodeF.deprecatedBuiltinCode), c.i32(OperatorCodeF.builtinCode));
    if (code === 32) return `CUSTOM:${c.string(OperatorCodeF.customCode) ?? '?'}`;
    return BUILTIN[code] ?? `BUILTIN_${code}`;
  });
}

function readTensor(file: FbFile, t: Table, index: number, buffers: Table[]): Tensor {
  const name = t.string(TensorF.name) ?? `tensor_${index}`;
  const typeCode = t.i8(TensorF.type);
  const dtype = TENSOR_TYPES[typeCode];
  if (!dtype) {
    throw new ConvertError(`${file.name}: tensor ${index} "${name}" has type ${TENSOR_TYPE_NAMES[typeCode] ?? typeCode}, which edgepack does not support`);
  }
  if (t.has(TensorF.sparsity)) throw new ConvertError(`${file.name}: tensor ${index} "${name}" is sparse, which edgepack does not support`);
  const shape = t.i32Vector(TensorF.shape, `tensor ${index} shape`);
  if (shape.some((d) => d < 0)) throw new ConvertError(`${file.name}: tensor ${index} "${name}" has shape ${JSON.stringify(shape)}; dims must be >= 0`);
  const count = shape.reduce((a, d) => a * d, 1);
  if (count > MAX_ELEMENTS) throw new ConvertError(`${file.name}: tensor ${index} "${name}" shape ${JSON.stringify(shape)} has ${count} elements, above the limit of ${MAX_ELEMENTS}`);
  const tensor: Tensor = { name, shape, dtype };
  if (t.bool(TensorF.isVariable)) tensor.variable = true;
  const q = t.table(TensorF.quantization, `tensor ${index} quantization`);
  if (q) {
    const quant = readQuant(q);
    if (quant) tensor.quant = checkQuant(file, tensor, index, quant);
  }
  const bufIndex = t.u32(TensorF.buffer);
  if (bufIndex > 0) {
    if (bufIndex >= buffers.length) {
      throw new ConvertError(`${file.name}: tensor ${index} "${name}" refers to buffer ${bufIndex}, but there are ${buffers.length}`);
    }
    const raw = readBuffer(file, buffers[bufIndex], bufIndex);
    if (raw && raw.length > 0) tensor.data = typedCopy(file, raw, tensor, index);
  }
  return tensor;
}

function readQuant(q: Table): Quant | undefined {
  const scale = q.f32Vector(QuantF.scale, 'quantization scale');
  if (scale.length === 0) return undefined;
  const zp = q.i64Vector(QuantF.zeroPoint, 'quantization zero_point').map(Number);
  return {
    scale,
    zeroPoint: zp.length ? zp : scale.map(() => 0),
    axis: q.i32(QuantF.quantizedDimension),
  };
}

/** Zero-point range of each quantized type (TFLite stores them as int64). */
const ZP_RANGE: Partial<Record<Tensor['dtype'], [number, number]>> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], int32: [0, 0] };

/**
 * Quantization the later passes can use: as many zero points as scales, inside the type's range, scales of int8/uint8/int16 tensors
 * finite and positive. Anything else would surface as a wrong model or a failed pass.
 */
function checkQuant(file: FbFile, t: Tensor, index: number, q: Quant): Quant {
  const fail = (m: string): never => { throw new ConvertError(`${file.name}: tensor ${index} "${t.name}": ${m}`); };
  if (q.zeroPoint.length !== q.scale.length) fail(`${q.scale.length} scales but ${q.zeroPoint.length} zero points`);
  const range = ZP_RANGE[t.dtype];
  if (range && t.dtype !== 'int32' && q.zeroPoint.some((z) => !(z >= range[0] && z <= range[1]))) {
    fail(`zero point ${q.zeroPoint.find((z) => !(z >= range[0] && z <= range[1]))} outside the ${t.dtype} range [${range[0]}, ${range[1]}]`);
  }
  if (t.dtype === 'int8' || t.dtype === 'uint8' || t.dtype === 'int16') {
    const bad = q.scale.find((s) => !(s > 0 && Number.isFinite(s)));
    if (bad !== undefined) fail(`quantization scale ${bad} must be finite and > 0`);
  }
  return q;
}

function readBuffer(file: FbFile, b: Table, index: number): Uint8Array | null {
  const data = b.bytes(BufferF.data, `buffer ${index}`);
  if (data && data.length) return data;
  const offset = Number(b.u64(BufferF.offset));
  const size = Number(b.u64(BufferF.size));
  if (offset > 1 && size > 0) {
    file.check(offset, size, `buffer ${index} (offset/size form)`);
    return file.bytes.subarray(offset, offset + size);
  }
  return null;
}

function typedCopy(file: FbFile, raw: Uint8Array, t: Tensor, index: number): TensorData {
  const count = t.shape.reduce((a, b) => a * b, 1);
  const size = { int8: 1, uint8: 1, bool: 1, int16: 2, int32: 4, float32: 4, int64: 8 }[t.dtype];
  if (raw.length !== count * size) {
    throw new ConvertError(
      `${file.name}: tensor ${index} "${t.name}" shape ${JSON.stringify(t.shape)} needs ${count * size} bytes, its buffer has ${raw.length}`,
    );
  }
  const copy = copyBuffer(raw); // exact, aligned copy (raw may be a view at any offset); the input is never modified
  switch (t.dtype) {
    case 'int8': return new Int8Array(copy);
    case 'uint8': case 'bool': return new Uint8Array(copy);
    case 'int16': return new Int16Array(copy);
    case 'int32': return new Int32Array(copy);
    case 'float32': return new Float32Array(copy);
    case 'int64': return new BigInt64Array(copy);
  }
}

type IndexCheck = (i: number, what: string, optional?: boolean) => number;

/** Fewest inputs an op type needs (1 for types not listed); slots that may be absent (-1). */
const MIN_INPUTS: Record<string, number> = {
  CONV_2D: 2, DEPTHWISE_CONV_2D: 2, FULLY_CONNECTED: 2, ADD: 2, MUL: 2, SUB: 2, PAD: 2, PADV2: 2, MEAN: 2, SUM: 2, TRANSPOSE: 2, STRIDED_SLICE: 4, TRANSPOSE_CONV: 3, MAXIMUM: 2, MINIMUM: 2, SLICE: 3, SPLIT: 2, SPLIT_V: 3, SVDF: 5,
  PRELU: 2, SQUARED_DIFFERENCE: 2, DIV: 2,
  UNIDIRECTIONAL_SEQUENCE_LSTM: 24,
  // group a (issue 10)
  RESIZE_NEAREST_NEIGHBOR: 2, RESIZE_BILINEAR: 2, GATHER: 2, ARG_MAX: 2, ARG_MIN: 2, MIRROR_PAD: 2, REDUCE_MAX: 2, SPACE_TO_BATCH_ND: 3, BATCH_TO_SPACE_ND: 3,
};
const OPTIONAL_SLOTS: Record<string, number[]> = { CONV_2D: [2], DEPTHWISE_CONV_2D: [2], FULLY_CONNECTED: [2], PADV2: [2], RESHAPE: [1], TRANSPOSE_CONV: [3], SVDF: [3] };
/** Ops edgepack does not run, with many optional inputs: -1 accepted past input 0 so the "not supported" error names them. */
const MANY_OPTIONAL = /^(CUSTOM:|(UNIDIRECTIONAL_SEQUENCE_|BIDIRECTIONAL_SEQUENCE_)?(LSTM|RNN)$)/;

function readOperator(file: FbFile, o: Table, index: number, opNames: string[], check: IndexCheck): Op {
  const codeIndex = o.u32(OperatorF.opcodeIndex);
  if (codeIndex >= opNames.length) {
    throw new ConvertError(`${file.name}: op ${index} uses operator code ${codeIndex}, but the model lists ${opNames.length}`);
  }
  const type = opNames[codeIndex];
  const what = `op ${index} (${type})`;
  const optional = OPTIONAL_SLOTS[type] ?? [];
  const inputs = o.i32Vector(OperatorF.inputs, `${what} inputs`).map((i, k) => check(i, `${what} input ${k}`, optional.includes(k) || (k > 0 && MANY_OPTIONAL.test(type))));
  const outputs = o.i32Vector(OperatorF.outputs, `${what} outputs`).map((i, k) => check(i, `${what} output ${k}`));
  const need = MIN_INPUTS[type] ?? 1;
  if (inputs.length < need) throw new ConvertError(`${file.name}: ${what} has ${inputs.length} inputs, needs at least ${need}`);
  if (outputs.length === 0) throw new ConvertError(`${file.name}: ${what} has no outputs`);
  const opts = o.table(OperatorF.builtinOptions, `${what} options`);
  const options = readOptions(type, opts, (m) => {
    throw new ConvertError(`${file.name}: ${what}: ${m}`);
  });
  return { type, inputs, outputs, options, sourceIndex: index };
}

type Fail = (message: string) => never;

function act(t: Table | null, id: number, fail: Fail): string {
  const code = t ? t.i8(id) : 0;
  return ACTIVATIONS[code] ?? fail(`unknown fused activation code ${code} (known: ${Object.entries(ACTIVATIONS).map(([k, v]) => `${k} ${v}`).join(', ')})`);
}

/** Strides, dilations and filter sizes must be >= 1 (0 would divide by zero or loop forever). */
function positive(o: Record<string, unknown>, keys: string[], fail: Fail): Record<string, unknown> {
  for (const k of keys) if (!((o[k] as number) >= 1)) fail(`${k} is ${o[k]}; it must be >= 1`);
  return o;
}

function padding(t: Table | null): string {
  return (t ? t.i8(0) : 0) === 1 ? 'VALID' : 'SAME';
}

/** Builtin options by op type, with the schema's defaults where the table is absent. */
function readOptions(type: string, t: Table | null, fail: Fail): Record<string, unknown> {
  const i = (id: number, def = 0) => (t ? t.i32(id, def) : def);
  switch (type) {
    case 'CONV_2D':
      return positive({ padding: padding(t), strideW: i(1), strideH: i(2), activation: act(t, 3, fail), dilationW: i(4, 1), dilationH: i(5, 1) },
        ['strideW', 'strideH', 'dilationW', 'dilationH'], fail);
    case 'DEPTHWISE_CONV_2D':
      return positive({
        padding: padding(t), strideW: i(1), strideH: i(2), depthMultiplier: i(3), activation: act(t, 4, fail),
        dilationW: i(5, 1), dilationH: i(6, 1),
      }, ['strideW', 'strideH', 'dilationW', 'dilationH'], fail);
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D':
      return positive({ padding: padding(t), strideW: i(1), strideH: i(2), filterW: i(3), filterH: i(4), activation: act(t, 5, fail) },
        ['strideW', 'strideH', 'filterW', 'filterH'], fail);
    case 'FULLY_CONNECTED':
      return { activation: act(t, 0, fail), weightsFormat: t ? t.i8(1) : 0, keepNumDims: t ? t.bool(2) : false };
    case 'ADD':
    case 'MUL':
    case 'SUB':
    case 'DIV': // DivOptions: fused_activation_function
    case 'L2_NORMALIZATION': // L2NormOptions: fused_activation_function
      return { activation: act(t, 0, fail) };
    case 'SOFTMAX':
      return { beta: t ? t.f32(0) : 0 };
    case 'CONCATENATION':
      return { axis: i(0), activation: act(t, 1, fail) };
    case 'MEAN':
    case 'SUM':
      return { keepDims: t ? t.bool(0) : false };
    case 'SVDF': // SVDFOptions: rank, fused_activation_function, asymmetric_quantize_inputs
      return positive({ rank: i(0), activation: act(t, 1, fail) }, ['rank'], fail);
    case 'TRANSPOSE_CONV':
      return positive({ padding: padding(t), strideW: i(1), strideH: i(2), activation: act(t, 3, fail) }, ['strideW', 'strideH'], fail);
    case 'UNPACK':
    case 'PACK':
      return { num: i(0), axis: i(1) }; // UnpackOptions num, axis; PackOptions values_count, axis
    case 'LEAKY_RELU':
      return { alpha: t ? t.f32(0) : 0 };
    case 'STRIDED_SLICE':
      return { beginMask: i(0), endMask: i(1), ellipsisMask: i(2), newAxisMask: i(3), shrinkAxisMask: i(4), offset: t ? t.bool(5) : false };
    case 'SQUEEZE':
      return { squeezeDims: t ? t.i32Vector(0, 'squeeze_dims') : [] };
    case 'UNIDIRECTIONAL_SEQUENCE_LSTM': // UnidirectionalSequenceLSTMOptions: activation, cell_clip, proj_clip, time_major, ...
      return { activation: act(t, 0, fail), cellClip: t ? t.f32(1) : 0, projClip: t ? t.f32(2) : 0, timeMajor: t ? t.bool(3) : false };
    // group a (issue 10)
    case 'RESIZE_BILINEAR': // ResizeBilinearOptions: new_height, new_width (deprecated), align_corners, half_pixel_centers
      return { alignCorners: t ? t.bool(2) : false, halfPixelCenters: t ? t.bool(3) : false };
    case 'RESIZE_NEAREST_NEIGHBOR': // ResizeNearestNeighborOptions: align_corners, half_pixel_centers
      return { alignCorners: t ? t.bool(0) : false, halfPixelCenters: t ? t.bool(1) : false };
    case 'GATHER': // GatherOptions: axis, batch_dims
      return { axis: i(0), batchDims: i(1) };
    case 'ARG_MAX':
    case 'ARG_MIN': // ArgMaxOptions / ArgMinOptions: output_type (a TensorType)
      return { outputType: t ? t.i8(0) : 0 };
    case 'DEPTH_TO_SPACE':
    case 'SPACE_TO_DEPTH': // block_size
      return positive({ blockSize: i(0) }, ['blockSize'], fail);
    case 'MIRROR_PAD': // MirrorPadOptions: mode (REFLECT 0, SYMMETRIC 1)
      return { mode: t ? t.i8(0) : 0 };
    case 'REDUCE_MAX': // ReducerOptions: keep_dims
      return { keepDims: t ? t.bool(0) : false };
    default:
      return {};
  }
}
