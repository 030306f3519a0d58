// emit: prepared graph + memory plan -> .epk bytes, laid out as docs/FORMAT.md says.
// Only tensors an emitted op or the model's I/O touches are written; alias ops vanish.

import { ConvertError, Graph, Tensor, byteSize } from '../ir/graph.js';
import { MemoryPlan } from '../passes/plan-memory.js';
import {
  DType,
  Encoding,
  H,
  HEADER_BYTES,
  MAGIC,
  MAX_RANK,
  NO_TENSOR,
  OP_HEADER_BYTES,
  SECTION_ALIGN,
  SECTION_ENTRY_BYTES,
  Section,
  T,
  TENSOR_RECORD_BYTES,
  TensorKind,
  VERSION,
  align,
} from './constants.js';
import { crc32 } from './crc32.js';

const DTYPE_CODES: Partial<Record<Tensor['dtype'], DType>> = {
  int8: DType.Int8,
  uint8: DType.UInt8,
  int16: DType.Int16,
  int32: DType.Int32,
  float32: DType.Float32,
  int64: DType.Int64,
};

export interface WriteOptions {
  scratchBytes?: number;
  /** Tensor names to keep in the Strings section: every tensor's (default) or the model I/O's only. */
  names?: NameMode;
}

/** 'io' drops the names of internal tensors (name_bytes 0): lossless, outputs unchanged. */
export type NameMode = 'all' | 'io';

export function writeEpk(g: Graph, plan: MemoryPlan, opts: WriteOptions = {}): Uint8Array {
  const ops = g.ops.filter((o) => o.kernel);
  const index = new Map<number, number>();
  const order: number[] = [];
  const use = (t: number) => {
    if (t >= 0 && !index.has(t)) {
      index.set(t, order.length);
      order.push(t);
    }
  };
  g.inputs.forEach(use);
  g.outputs.forEach(use);
  ops.forEach((o) => [...o.inputs, ...o.outputs].forEach(use));
  if (order.length >= NO_TENSOR) throw new ConvertError(`${g.source}: ${order.length} tensors exceed the format's limit of ${NO_TENSOR - 1}`);

  for (const t of [...g.inputs, ...g.outputs]) {
    if (g.tensors[t].data) throw new ConvertError(`${g.source}: model input/output "${g.tensors[t].name}" is a constant`);
  }
  for (const o of ops) {
    for (const t of o.outputs) {
      if (g.tensors[t].data) throw new ConvertError(`${g.source}: op ${o.sourceIndex} (${o.type}) writes constant "${g.tensors[t].name}"`);
    }
  }

  const strings = new StringTable();
  const data = new DataSection();
  const tensors = new Uint8Array(order.length * TENSOR_RECORD_BYTES);
  const tv = new DataView(tensors.buffer);
  const named = opts.names === 'io' ? new Set([...g.inputs, ...g.outputs]) : undefined;
  order.forEach((t, i) => writeTensor(g, plan, t, tv, i * TENSOR_RECORD_BYTES, strings, data, !named || named.has(t)));

  const opsBytes = encodeOps(ops, index);
  const io = new Uint8Array(8 + 4 * (g.inputs.length + g.outputs.length));
  const iov = new DataView(io.buffer);
  iov.setUint32(0, g.inputs.length, true);
  iov.setUint32(4, g.outputs.length, true);
  [...g.inputs, ...g.outputs].forEach((t, i) => iov.setUint32(8 + 4 * i, index.get(t)!, true));

  const sections: [Section, Uint8Array][] = [
    [Section.Tensors, tensors],
    [Section.Ops, opsBytes],
    [Section.IO, io],
    [Section.Strings, strings.bytes()],
    [Section.Data, data.bytes()],
  ];
  return assemble(sections, plan.arenaBytes, opts.scratchBytes ?? 0);
}

function writeTensor(g: Graph, plan: MemoryPlan, t: number, v: DataView, at: number, strings: StringTable, data: DataSection, named: boolean): void {
  const tensor = g.tensors[t];
  const dtype = DTYPE_CODES[tensor.dtype];
  if (!dtype) throw new ConvertError(`${g.source}: tensor "${tensor.name}" has type ${tensor.dtype}, which the runtime cannot hold`);
  if (tensor.shape.length > MAX_RANK) throw new ConvertError(`${g.source}: tensor "${tensor.name}" has rank ${tensor.shape.length}; at most ${MAX_RANK} supported`);
  if (tensor.shape.some((d) => !(d >= 1))) throw new ConvertError(`${g.source}: tensor "${tensor.name}" has shape ${JSON.stringify(tensor.shape)}; all dimensions must be >= 1`);
  v.setUint8(at + T.dtype, dtype);
  v.setUint8(at + T.rank, tensor.shape.length);
  tensor.shape.forEach((d, i) => v.setInt32(at + T.dims + 4 * i, d, true));
  const bytes = byteSize(tensor);
  if (tensor.packed) {
    v.setUint8(at + T.kind, TensorKind.Const);
    v.setUint8(at + T.encoding, Encoding.Packed);
    v.setUint32(at + T.offset, data.add(tensor.packed.blob), true);
  } else if (tensor.data) {
    v.setUint8(at + T.kind, TensorKind.Const);
    v.setUint32(at + T.offset, data.add(tensor.data), true);
  } else {
    const off = plan.offsets[t];
    if (off < 0) throw new ConvertError(`${g.source}: tensor "${tensor.name}" has no arena offset`);
    v.setUint8(at + T.kind, tensor.variable ? TensorKind.Variable : TensorKind.Arena);
    v.setUint32(at + T.offset, off, true);
  }
  v.setUint32(at + T.bytes, bytes, true);
  v.setFloat32(at + T.scale, tensor.quant?.scale.length === 1 ? tensor.quant.scale[0] : 0, true);
  v.setInt32(at + T.zeroPoint, tensor.quant?.scale.length === 1 ? tensor.quant.zeroPoint[0] : 0, true);
  const name = named ? strings.add(tensor.name) : { offset: 0, bytes: 0 };
  v.setUint32(at + T.nameOffset, name.offset, true);
  v.setUint32(at + T.nameBytes, name.bytes, true);
}

function encodeOps(ops: Graph['ops'], index: Map<number, number>): Uint8Array {
  const chunks: Uint8Array[] = [];
  const count = new Uint8Array(4);
  new DataView(count.buffer).setUint32(0, ops.length, true);
  chunks.push(count);
  for (const op of ops) {
    const k = op.kernel!;
    const tensors = [...op.inputs, ...op.outputs];
    const idxBytes = align(2 * tensors.length, 4);
    const rec = new Uint8Array(OP_HEADER_BYTES + idxBytes + 4 * k.params.length);
    const v = new DataView(rec.buffer);
    v.setUint16(0, k.opcode, true);
    v.setUint8(2, op.inputs.length);
    v.setUint8(3, op.outputs.length);
    v.setUint16(4, k.params.length, true);
    v.setUint16(6, op.sourceIndex >= 0 && op.sourceIndex < 0xffff ? op.sourceIndex : 0xffff, true);
    tensors.forEach((t, i) => v.setUint16(OP_HEADER_BYTES + 2 * i, t < 0 ? NO_TENSOR : index.get(t)!, true));
    k.params.forEach((p, i) => v.setInt32(OP_HEADER_BYTES + idxBytes + 4 * i, p, true));
    chunks.push(rec);
  }
  return concat(chunks);
}

function assemble(sections: [Section, Uint8Array][], arenaBytes: number, scratchBytes: number): Uint8Array {
  let offset = align(HEADER_BYTES + SECTION_ENTRY_BYTES * sections.length, SECTION_ALIGN);
  const placed = sections.map(([kind, bytes]) => {
    const at = offset;
    offset = align(at + bytes.length, SECTION_ALIGN);
    return { kind, bytes, at };
  });
  const last = placed[placed.length - 1];
  const file = new Uint8Array(last.at + last.bytes.length);
  const v = new DataView(file.buffer);
  v.setUint32(H.magic, MAGIC, true);
  v.setUint16(H.version, VERSION, true);
  v.setUint16(H.headerBytes, HEADER_BYTES, true);
  v.setUint32(H.fileBytes, file.length, true);
  v.setUint16(H.sectionCount, sections.length, true);
  v.setUint32(H.arenaBytes, arenaBytes, true);
  v.setUint32(H.scratchBytes, scratchBytes, true);
  placed.forEach((s, i) => {
    const e = HEADER_BYTES + SECTION_ENTRY_BYTES * i;
    v.setUint32(e, s.kind, true);
    v.setUint32(e + 4, s.at, true);
    v.setUint32(e + 8, s.bytes.length, true);
    file.set(s.bytes, s.at);
  });
  v.setUint32(H.crc32, crc32(file, 16), true);
  return file;
}

class StringTable {
  private parts: Uint8Array[] = [];
  private size = 0;
  add(s: string): { offset: number; bytes: number } {
    const b = new TextEncoder().encode(s);
    const offset = this.size;
    this.parts.push(b);
    this.size += b.length;
    return { offset, bytes: b.length };
  }
  bytes(): Uint8Array {
    return concat(this.parts);
  }
}

/** Constant bytes, each tensor 16-byte aligned; identical arrays (same object or same bytes) are stored once. */
class DataSection {
  private parts: { at: number; bytes: Uint8Array }[] = [];
  private size = 0;
  private seen = new Map<unknown, number>();
  private byContent = new Map<string, { at: number; bytes: Uint8Array }[]>();
  add(data: NonNullable<Tensor['data']>): number {
    const known = this.seen.get(data);
    if (known !== undefined) return known;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const key = `${bytes.length}:${fnv1a(bytes)}`;
    const same = this.byContent.get(key)?.find((p) => equalBytes(p.bytes, bytes));
    if (same) {
      this.seen.set(data, same.at);
      return same.at;
    }
    const at = align(this.size, SECTION_ALIGN);
    const part = { at, bytes };
    this.parts.push(part);
    this.size = at + bytes.length;
    this.seen.set(data, at);
    this.byContent.set(key, [...(this.byContent.get(key) ?? []), part]);
    return at;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    for (const p of this.parts) out.set(p.bytes, p.at);
    return out;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function fnv1a(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h >>> 0;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
