// .epk -> a plain object, for inspect and tests. Checks the same structure the runtime
// checks at load (header, CRC, sections, tensor bounds, op records) and throws an
// EpkError carrying the runtime's error code and the byte offset at fault.

import {
  DType,
  DTYPE_BYTES,
  Encoding,
  P,
  ErrorCode,
  ERROR_NAMES,
  H,
  HEADER_BYTES,
  MAGIC,
  MAX_RANK,
  NO_TENSOR,
  OP_HEADER_BYTES,
  OP_PACKED_PARAM_COUNT,
  OP_PARAM_COUNT,
  OpCode,
  OP_NAMES,
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
import { BlobInfo, blobInfo } from './packed.js';
import { Bytes, toBytes } from '../io/bytes.js';

export class EpkError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly offset?: number) {
    super(`${ERROR_NAMES[code]}: ${message}${offset !== undefined ? ` at byte offset ${offset}` : ''}`);
    this.name = 'EpkError';
  }
}

export interface EpkTensor {
  index: number;
  name: string;
  dtype: DType;
  shape: number[];
  kind: TensorKind;
  offset: number;
  bytes: number;
  scale: number;
  zeroPoint: number;
  encoding: Encoding;
  /** Bytes the tensor occupies in the Data section (its blob when packed). */
  storedBytes: number;
  /** Header of the packed-weights blob, when packed. */
  packed?: BlobInfo;
}

export interface EpkOp {
  index: number;
  opcode: OpCode;
  sourceIndex: number;
  inputs: number[]; // NO_TENSOR for absent
  outputs: number[];
  params: number[];
  /** Byte offset of the record in the file. */
  at: number;
}

export interface Epk {
  version: number;
  fileBytes: number;
  arenaBytes: number;
  scratchBytes: number;
  sections: { kind: Section; offset: number; size: number }[];
  tensors: EpkTensor[];
  ops: EpkOp[];
  inputs: number[];
  outputs: number[];
  data: Uint8Array;
}

export function readEpk(input: Bytes): Epk {
  const bytes = toBytes(input, '.epk bytes');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.length;
  if (len < HEADER_BYTES) throw new EpkError(ErrorCode.Truncated, 'file is shorter than the 32-byte header', len);
  if (v.getUint32(H.magic, true) !== MAGIC) throw new EpkError(ErrorCode.BadMagic, 'not an .epk file (magic)', 0);
  const version = v.getUint16(H.version, true);
  if (version !== VERSION) throw new EpkError(ErrorCode.BadVersion, `unsupported format version ${version}`, H.version);
  if (v.getUint16(H.headerBytes, true) !== HEADER_BYTES) throw new EpkError(ErrorCode.BadVersion, 'unexpected header size', H.headerBytes);
  const fileBytes = v.getUint32(H.fileBytes, true);
  if (fileBytes > len) throw new EpkError(ErrorCode.Truncated, `file is truncated: header says ${fileBytes} bytes, have ${len}`, len);
  if (fileBytes < len) throw new EpkError(ErrorCode.BadSection, 'trailing bytes after the end the header states', fileBytes);
  if (crc32(bytes, 16) !== v.getUint32(H.crc32, true)) throw new EpkError(ErrorCode.BadCrc, 'CRC-32 mismatch: the file is corrupted', H.crc32);

  const sections = readSections(v, len);
  const sec = (k: Section) => sections.find((s) => s.kind === k)!;
  const strings = sec(Section.Strings), data = sec(Section.Data);
  const arenaBytes = v.getUint32(H.arenaBytes, true);
  const tensors = readTensors(bytes, v, sec(Section.Tensors), strings, data.size, arenaBytes, data.offset);
  const { inputs, outputs } = readIO(v, sec(Section.IO), tensors);
  const ops = readOps(v, sec(Section.Ops), tensors);
  return {
    version,
    fileBytes,
    arenaBytes,
    scratchBytes: v.getUint32(H.scratchBytes, true),
    sections,
    tensors,
    ops,
    inputs,
    outputs,
    data: bytes.subarray(data.offset, data.offset + data.size),
  };
}

function readSections(v: DataView, len: number) {
  const count = v.getUint16(H.sectionCount, true);
  const tableEnd = HEADER_BYTES + count * SECTION_ENTRY_BYTES;
  if (tableEnd > len) throw new EpkError(ErrorCode.BadSection, 'section table runs past the end of the file', HEADER_BYTES);
  const sections: { kind: Section; offset: number; size: number }[] = [];
  for (let i = 0; i < count; i++) {
    const e = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    const kind = v.getUint32(e, true), offset = v.getUint32(e + 4, true), size = v.getUint32(e + 8, true);
    if (kind < 1 || kind > 5) throw new EpkError(ErrorCode.BadSection, `unknown section kind ${kind}`, e);
    if (sections.some((s) => s.kind === kind)) throw new EpkError(ErrorCode.BadSection, `duplicate section ${Section[kind]}`, e);
    if (offset < tableEnd || offset + size > len || offset % SECTION_ALIGN !== 0) {
      throw new EpkError(ErrorCode.BadSection, `section ${Section[kind]} lies outside the file or is misaligned`, e);
    }
    sections.push({ kind, offset, size });
  }
  for (const k of [Section.Tensors, Section.Ops, Section.IO, Section.Data, Section.Strings]) {
    if (!sections.some((s) => s.kind === k)) throw new EpkError(ErrorCode.BadSection, `section ${Section[k]} is missing`, H.sectionCount);
  }
  return sections;
}

function readTensors(bytes: Uint8Array, v: DataView, s: { offset: number; size: number }, strings: { offset: number; size: number }, dataSize: number, arenaBytes: number, dataStart: number): EpkTensor[] {
  if (s.size % TENSOR_RECORD_BYTES !== 0) throw new EpkError(ErrorCode.BadSection, 'tensor section size is not a multiple of 48', s.offset);
  const tensors: EpkTensor[] = [];
  for (let i = 0; i < s.size / TENSOR_RECORD_BYTES; i++) {
    const at = s.offset + i * TENSOR_RECORD_BYTES;
    const bad = (m: string): never => { throw new EpkError(ErrorCode.BadTensor, `tensor ${i}: ${m}`, at); };
    const dtype = v.getUint8(at + T.dtype) as DType;
    if (!DTYPE_BYTES[dtype]) bad(`unknown dtype ${dtype}`);
    const rank = v.getUint8(at + T.rank);
    if (rank > MAX_RANK) bad(`rank ${rank} above ${MAX_RANK}`);
    const shape = Array.from({ length: rank }, (_, k) => v.getInt32(at + T.dims + 4 * k, true));
    if (shape.some((d) => d < 1)) bad(`shape ${JSON.stringify(shape)} has a dimension below 1`);
    const count = shape.reduce((a, d) => a * d, 1);
    if (count > 0x7fffffff) bad('too large');
    const nbytes = v.getUint32(at + T.bytes, true);
    if (count * DTYPE_BYTES[dtype] !== nbytes) bad(`byte count ${nbytes} does not match shape ${JSON.stringify(shape)}`);
    const kind = v.getUint8(at + T.kind) as TensorKind;
    const offset = v.getUint32(at + T.offset, true);
    const encoding = v.getUint8(at + T.encoding) as Encoding;
    if (encoding !== Encoding.Raw && encoding !== Encoding.Packed) bad(`unknown encoding ${encoding}`);
    if (encoding === Encoding.Packed && (kind !== TensorKind.Const || dtype !== DType.Int8)) bad('only int8 constants may be packed');
    let stored = nbytes, packed: BlobInfo | undefined;
    if (encoding === Encoding.Packed) {
      if (offset + P.headerBytes > dataSize) bad('packed blob header lies outside the data section');
      const dataAt = dataStart + offset;
      stored = v.getUint32(dataAt + P.blobBytes, true);
      if (stored < P.headerBytes || offset + stored > dataSize) bad(`packed blob [${offset}, ${offset + stored}) lies outside the data section (${dataSize} bytes)`);
      packed = blobInfo(bytes.subarray(dataAt, dataAt + stored));
      if (packed.rows * packed.rowElems !== count) bad('packed rows x row size differ from the tensor shape');
    }
    if (kind === TensorKind.Const) {
      if (offset + stored > dataSize) bad(`constant bytes [${offset}, ${offset + stored}) lie outside the data section (${dataSize} bytes)`);
    } else if (kind === TensorKind.Arena || kind === TensorKind.Variable) {
      if (offset + nbytes > arenaBytes) bad(`arena bytes [${offset}, ${offset + nbytes}) lie outside the arena (${arenaBytes} bytes)`);
    } else bad(`unknown kind ${kind}`);
    const nameOffset = v.getUint32(at + T.nameOffset, true), nameBytes = v.getUint32(at + T.nameBytes, true);
    if (nameOffset + nameBytes > strings.size) bad('name lies outside the string section');
    const name = new TextDecoder().decode(bytes.subarray(strings.offset + nameOffset, strings.offset + nameOffset + nameBytes));
    tensors.push({
      index: i, name, dtype, shape, kind, offset, bytes: nbytes,
      scale: v.getFloat32(at + T.scale, true), zeroPoint: v.getInt32(at + T.zeroPoint, true),
      encoding, storedBytes: stored, packed,
    });
  }
  if (tensors.length >= NO_TENSOR) throw new EpkError(ErrorCode.BadSection, 'too many tensors', s.offset);
  checkVariables(tensors, s.offset);
  return tensors;
}

/** As the runtime's loader (assembly/model.ts): a variable tensor shares no arena byte with another tensor; int8 zero point in range. */
function checkVariables(tensors: EpkTensor[], section: number): void {
  const inArena = (t: EpkTensor) => t.kind === TensorKind.Arena || t.kind === TensorKind.Variable;
  for (const v of tensors) {
    if (v.kind !== TensorKind.Variable) continue;
    const at = section + v.index * TENSOR_RECORD_BYTES;
    if (v.dtype === DType.Int8 && !(v.zeroPoint >= -128 && v.zeroPoint <= 127)) throw new EpkError(ErrorCode.BadTensor, `tensor ${v.index}: int8 variable tensor has zero point ${v.zeroPoint}, outside [-128, 127]`, at);
    const other = tensors.find((t) => t !== v && inArena(t) && t.bytes > 0 && v.bytes > 0 && t.offset < v.offset + v.bytes && v.offset < t.offset + t.bytes);
    if (other) throw new EpkError(ErrorCode.BadTensor, `tensor ${v.index}: variable tensor shares arena bytes with tensor ${other.index}`, at);
  }
}

function readIO(v: DataView, s: { offset: number; size: number }, tensors: EpkTensor[]) {
  if (s.size < 8) throw new EpkError(ErrorCode.BadSection, 'I/O section too small', s.offset);
  const nIn = v.getUint32(s.offset, true), nOut = v.getUint32(s.offset + 4, true);
  if (nIn === 0 || nOut === 0 || nIn + nOut > 1024) throw new EpkError(ErrorCode.BadIO, 'model must have 1 to 1024 inputs and outputs', s.offset);
  if (8 + 4 * (nIn + nOut) > s.size) throw new EpkError(ErrorCode.BadIO, 'I/O list runs past its section', s.offset);
  const list = Array.from({ length: nIn + nOut }, (_, i) => {
    const t = v.getUint32(s.offset + 8 + 4 * i, true);
    if (t >= tensors.length) throw new EpkError(ErrorCode.BadIO, `I/O entry ${i} refers to missing tensor ${t}`, s.offset + 8 + 4 * i);
    if (tensors[t].kind !== TensorKind.Arena) throw new EpkError(ErrorCode.BadIO, `I/O tensor ${t} is not in the arena`, s.offset + 8 + 4 * i);
    return t;
  });
  return { inputs: list.slice(0, nIn), outputs: list.slice(nIn) };
}

/**
 * Inputs each op must have (slot -> rank, -1: any rank) for what readers of an EpkOp rely on
 * (inspect's MAC count reads the filter's and input's dims); the runtime checks these and more.
 * Packed layouts (the longer param list) keep the filter as [oc4, K8] and the dims in params.
 */
function requiredInputs(opcode: OpCode, packed: boolean): [slot: number, rank: number][] {
  switch (opcode) {
    case OpCode.Conv2D: return packed ? [[0, 4], [1, -1]] : [[0, 4], [1, 4]];
    case OpCode.DepthwiseConv2D: return packed ? [[0, 4], [1, -1]] : [[0, 4], [1, 4]];
    case OpCode.FullyConnected: return packed ? [[0, -1], [1, -1]] : [[0, -1], [1, 2]];
    case OpCode.TransposeConv: return [[0, 4], [1, 4]];
    case OpCode.Svdf: return [[0, 2], [1, 2], [2, 2], [3, -1], [4, 2]]; // as the runtime's load check
    case OpCode.UnidirectionalSequenceLstm: return [[0, 3], ...Array.from({ length: 8 }, (_, k) => [1 + k, 2] as [number, number]), [9, -1], [10, -1], [11, -1], [12, -1], [13, 2], [14, 2]]; // float32: 15 inputs (no table)
    case OpCode.Gather: return [[0, -1], [1, -1]];
    case OpCode.Add: case OpCode.Mul: case OpCode.Sub: case OpCode.Maximum: case OpCode.Minimum: return [[0, -1], [1, -1]]; // kernelOf compares both inputs' sizes
    // group b (issue 10, int8 arithmetic)
    case OpCode.Prelu: case OpCode.SquaredDifference: case OpCode.Div: return [[0, -1], [1, -1]];
    default: return [[0, -1]];
  }
}

function readOps(v: DataView, s: { offset: number; size: number }, tensors: EpkTensor[]): EpkOp[] {
  const tensorCount = tensors.length;
  const end = s.offset + s.size;
  if (s.size < 4) throw new EpkError(ErrorCode.BadSection, 'op section too small', s.offset);
  const count = v.getUint32(s.offset, true);
  const ops: EpkOp[] = [];
  let at = s.offset + 4;
  for (let i = 0; i < count; i++) {
    if (at + OP_HEADER_BYTES > end) throw new EpkError(ErrorCode.Truncated, `op list ends inside op ${i}`, at);
    const opcode = v.getUint16(at, true) as OpCode;
    const nIn = v.getUint8(at + 2), nOut = v.getUint8(at + 3), nParams = v.getUint16(at + 4, true);
    if (OP_PARAM_COUNT[opcode] === undefined) throw new EpkError(ErrorCode.UnsupportedOp, `op ${i}: unknown opcode ${opcode}`, at);
    const paramsAt = at + OP_HEADER_BYTES + align(2 * (nIn + nOut), 4);
    const next = paramsAt + 4 * nParams;
    if (next > end) throw new EpkError(ErrorCode.Truncated, `op ${i} runs past the op section`, at);
    const tableCopy = opcode === OpCode.TableCopy && nParams >= OP_PARAM_COUNT[opcode]; // view dims, then its tables
    if (!tableCopy && nParams !== OP_PARAM_COUNT[opcode] && nParams !== OP_PACKED_PARAM_COUNT[opcode]) throw new EpkError(ErrorCode.BadOp, `op ${i}: ${nParams} params, expected ${OP_PARAM_COUNT[opcode]}`, at);
    if (nOut !== 1) throw new EpkError(ErrorCode.BadOp, `op ${i}: must have exactly one output`, at);
    const idx = Array.from({ length: nIn + nOut }, (_, k) => v.getUint16(at + OP_HEADER_BYTES + 2 * k, true));
    idx.forEach((t, k) => {
      const slot = k < nIn ? `input ${k}` : 'output';
      if (t !== NO_TENSOR && t >= tensorCount) {
        throw new EpkError(ErrorCode.BadOp, `op ${i} (${OP_NAMES[opcode]}): ${slot} refers to tensor ${t}, beyond the tensor table (${tensorCount} tensors)`, at + OP_HEADER_BYTES + 2 * k);
      }
    });
    const y = idx[nIn];
    if (y === NO_TENSOR || tensors[y].kind !== TensorKind.Arena) {
      throw new EpkError(ErrorCode.BadOp, `op ${i} (${OP_NAMES[opcode]}): output ${y === NO_TENSOR ? 'is absent (0xFFFF)' : `tensor ${y} is not in the arena`}`, at + OP_HEADER_BYTES + 2 * nIn);
    }
    for (const [k, rank] of requiredInputs(opcode, !tableCopy && nParams !== OP_PARAM_COUNT[opcode])) {
      const t = k < nIn ? idx[k] : NO_TENSOR;
      const where = at + OP_HEADER_BYTES + 2 * Math.min(k, nIn);
      if (t === NO_TENSOR) throw new EpkError(ErrorCode.BadOp, `op ${i} (${OP_NAMES[opcode]}): input ${k} is required but absent`, where);
      if (rank >= 0 && tensors[t].shape.length !== rank) {
        throw new EpkError(ErrorCode.BadShape, `op ${i} (${OP_NAMES[opcode]}): input ${k} (tensor ${t}) has rank ${tensors[t].shape.length}, expected ${rank}`, where);
      }
    }
    ops.push({
      index: i, opcode, sourceIndex: v.getUint16(at + 6, true),
      inputs: idx.slice(0, nIn), outputs: idx.slice(nIn),
      params: Array.from({ length: nParams }, (_, k) => v.getInt32(paramsAt + 4 * k, true)),
      at,
    });
    at = next;
  }
  return ops;
}
