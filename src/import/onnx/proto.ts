// ONNX protobuf access through the onnx-proto package (protobufjs static code for
// onnx.proto): decoding a ModelProto, tensor payloads (raw_data or typed fields, little
// endian) and node attributes as plain values.

import onnxProto from 'onnx-proto';
import { ConvertError, DTYPE_SIZE, DTypeName, MAX_ELEMENTS, TensorData } from '../../ir/graph.js';
import { copyBuffer } from '../../io/bytes.js';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;

type LongLike = number | { toNumber(): number };
export function num(v: LongLike | null | undefined): number {
  return v == null ? 0 : typeof v === 'number' ? v : v.toNumber();
}

const DTYPES: Record<number, DTypeName> = { 1: 'float32', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool' };

export function decodeModel(bytes: Uint8Array, name: string): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ConvertError(`${name}: not a readable ONNX model (${(e as Error).message})`);
  }
}

/** A TensorProto's dtype, dims and data as an IR constant. */
export function tensorValue(t: TensorProto, where: string): { dtype: DTypeName; shape: number[]; data: TensorData } {
  const dtype = DTYPES[t.dataType ?? 0];
  if (!dtype) throw new ConvertError(`${where}: tensor "${t.name}" has ONNX data type ${t.dataType}, which edgepack does not support`);
  if (t.dataLocation === 1) throw new ConvertError(`${where}: tensor "${t.name}" keeps its data in an external file, which edgepack does not read`);
  const shape = (t.dims ?? []).map(num);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new ConvertError(`${where}: tensor "${t.name}" has dims ${JSON.stringify(shape)}; dims must be non-negative integers`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > MAX_ELEMENTS) throw new ConvertError(`${where}: tensor "${t.name}" shape ${JSON.stringify(shape)} has ${count} elements, above the limit of ${MAX_ELEMENTS}`);
  const raw = t.rawData && t.rawData.length ? t.rawData : null;
  if (raw && raw.length % DTYPE_SIZE[dtype] !== 0) {
    throw new ConvertError(`${where}: tensor "${t.name}" raw_data is ${raw.length} bytes, not a multiple of its ${DTYPE_SIZE[dtype]}-byte ${dtype} elements`);
  }
  const data = raw ? fromRaw(raw, dtype) : fromFields(t, dtype);
  if (data.length !== count) throw new ConvertError(`${where}: tensor "${t.name}" shape ${JSON.stringify(shape)} needs ${count} values, has ${data.length}`);
  return { dtype, shape, data };
}

function fromRaw(raw: Uint8Array, dtype: DTypeName): TensorData {
  const copy = copyBuffer(raw); // exact, aligned copy (protobufjs hands out Buffer views); the input is never modified
  switch (dtype) {
    case 'float32': return new Float32Array(copy);
    case 'int8': return new Int8Array(copy);
    case 'uint8': case 'bool': return new Uint8Array(copy);
    case 'int32': return new Int32Array(copy);
    case 'int64': return new BigInt64Array(copy);
    default: return new Int16Array(copy);
  }
}

function fromFields(t: TensorProto, dtype: DTypeName): TensorData {
  switch (dtype) {
    case 'float32': return Float32Array.from(t.floatData ?? []);
    case 'int8': return Int8Array.from(t.int32Data ?? []);
    case 'uint8': case 'bool': return Uint8Array.from(t.int32Data ?? []);
    case 'int32': return Int32Array.from(t.int32Data ?? []);
    case 'int64': return BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(num(v))));
    default: return new Int16Array(0);
  }
}

export type AttrValue = number | number[] | string | TensorProto | undefined;

/** Node attributes by name: INT/FLOAT -> number, INTS/FLOATS -> number[], STRING -> string, TENSOR. */
export function attributes(node: NodeProto): Map<string, AttrValue> {
  const m = new Map<string, AttrValue>();
  for (const a of node.attribute ?? []) {
    switch (a.type) {
      case 1: m.set(a.name!, a.f ?? 0); break;
      case 2: m.set(a.name!, num(a.i)); break;
      case 3: m.set(a.name!, new TextDecoder().decode(a.s ?? new Uint8Array())); break;
      case 4: m.set(a.name!, a.t ?? undefined); break;
      case 6: m.set(a.name!, [...(a.floats ?? [])]); break;
      case 7: m.set(a.name!, (a.ints ?? []).map(num)); break;
      default: m.set(a.name!, undefined);
    }
  }
  return m;
}
