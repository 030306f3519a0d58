// The .epk binary format: the ONE source of its constants. docs/FORMAT.md is the spec (byte
// tables); the runtime's assembly/format.ts is GENERATED from this module by
// tools/gen-format.ts (src/format/assembly-format.ts says how each export maps to AS names),
// and test/format.test.ts fails while the generated file is stale or misses any constant here.
// Record layouts are lists of field types; offsets and sizes are computed from them.

/** A field's type: a scalar, or a fixed array of scalars ("i32[4]"). */
type FieldType = 'u8' | 'u16' | 'u32' | 'i32' | 'f32' | `${'u8' | 'u16' | 'u32' | 'i32'}[${number}]`;

const SCALAR_BYTES: Record<string, number> = { u8: 1, u16: 2, u32: 4, i32: 4, f32: 4 };

/**
 * Offsets of a record's fields, laid out one after another in the given order, and the
 * record's size. Every field is naturally aligned (checked), so the runtime may load<T> it.
 */
function record<const F extends Record<string, FieldType>>(fields: F): { at: { readonly [K in keyof F]: number }; bytes: number } {
  const at: Record<string, number> = {};
  let offset = 0;
  for (const [name, type] of Object.entries(fields)) {
    const m = /^(\w+?)(?:\[(\d+)\])?$/.exec(type)!;
    const size = SCALAR_BYTES[m[1]];
    if (offset % size !== 0) throw new Error(`format: field ${name} at ${offset} is not ${size}-aligned`);
    at[name] = offset;
    offset += size * (m[2] === undefined ? 1 : Number(m[2]));
  }
  return { at: at as { readonly [K in keyof F]: number }, bytes: offset };
}

export const MAGIC = 0x004b5045; // "EPK\0" little-endian
export const VERSION = 1;
export const SECTION_ALIGN = 16;
export const MAX_RANK = 4;
export const NO_TENSOR = 0xffff; // absent optional input (op record tensor index)
export const NO_SOURCE = 0xffff; // op record source index: no op of the original model

const header = record({
  magic: 'u32',
  version: 'u16',
  headerBytes: 'u16',
  fileBytes: 'u32',
  crc32: 'u32',
  sectionCount: 'u16',
  flags: 'u16',
  arenaBytes: 'u32',
  scratchBytes: 'u32',
  reserved: 'u32',
});
/** Header field offsets (bytes from the start of the file). */
export const H = header.at;
export const HEADER_BYTES = header.bytes; // 32
/** The CRC-32 covers bytes [CRC_START, file_bytes): everything after the crc32 field. */
export const CRC_START = H.crc32 + 4;

const sectionEntry = record({ kind: 'u32', offset: 'u32', bytes: 'u32', reserved: 'u32' });
/** Section table entry field offsets (the table follows the header). */
export const SE = sectionEntry.at;
export const SECTION_ENTRY_BYTES = sectionEntry.bytes; // 16

export enum Section {
  Tensors = 1,
  Ops = 2,
  IO = 3,
  Data = 4,
  Strings = 5,
}

const tensorRecord = record({
  dtype: 'u8', // DType
  rank: 'u8',
  kind: 'u8', // TensorKind
  flags: 'u8', // 0 (the streamed runtime tiles only weights with no flags set)
  dims: 'i32[4]',
  offset: 'u32',
  bytes: 'u32',
  scale: 'f32',
  zeroPoint: 'i32',
  nameOffset: 'u32',
  nameBytes: 'u32',
  encoding: 'u8', // Encoding
  reserved: 'u8[3]', // 0
});
/** Tensor record field offsets. */
export const T = tensorRecord.at;
export const TENSOR_RECORD_BYTES = tensorRecord.bytes; // 48

const opsHeader = record({ count: 'u32' });
/** Ops section: u32 op_count, then the op records. */
export const OPS = { ...opsHeader.at, records: opsHeader.bytes } as const;

const opRecord = record({ opcode: 'u16', nIn: 'u8', nOut: 'u8', nParams: 'u16', source: 'u16' });
/**
 * Op record header field offsets. The Ops section is `u32 op_count` then the records, each
 * this header | u16 tensors[nIn + nOut] padded to 4 bytes | i32 params[nParams].
 */
export const OPR = opRecord.at;
export const OP_HEADER_BYTES = opRecord.bytes; // 8

const ioHeader = record({ inputCount: 'u32', outputCount: 'u32' });
/** IO section: u32 n_inputs | u32 n_outputs | u32 tensor_index[n_inputs + n_outputs]. */
export const IO = { ...ioHeader.at, tensors: ioHeader.bytes } as const;

/** How a constant's bytes are stored (tensor record byte 44). */
export enum Encoding {
  Raw = 0, // `bytes` bytes of the tensor at `offset`
  Packed = 1, // a packed-weights blob at `offset` (P below); `bytes` stays the decoded size
}

/**
 * Packed-weights blob, 16-aligned in the Data section (docs/compression.md):
 *   0 blobBytes u32 | 4 bits u8 (0: int8 symbols; 2..8: codebook index bits) | 5 huffman u8
 *   6 tables u16 (0, 1, or one per row) | 8 rows u32 (output channels) | 12 rowElems u32
 *   16 rowsPerTile u32 | 20 tileCount u32 | 24 payloadOff u32 | 28 payloadBytes u32
 *   32 codebook: tables x 2^bits int8 (table r belongs to output channel r)
 *   payload: codebook only -> LSB-first b-bit indices in the tensor's own layout, + 1 pad byte
 *            Huffman -> counts u16[16] | symbols u8[nsym] (padded to 4) | tileBits u32[tileCount+1] | stream
 * Huffman rows are output channels in channel-major order (depthwise: the transpose of
 * its [1, kh, kw, outC] layout), decoded rowsPerTile rows at a time into scratch.
 */
const packedBlob = record({
  blobBytes: 'u32',
  bits: 'u8',
  huffman: 'u8',
  tables: 'u16',
  rows: 'u32',
  rowElems: 'u32',
  rowsPerTile: 'u32',
  tileCount: 'u32',
  payloadOff: 'u32',
  payloadBytes: 'u32',
});
export const P = { ...packedBlob.at, headerBytes: packedBlob.bytes } as const;

const hufHeader = record({ counts: 'u16[16]' }); // counts[len]: codes of length len, 1..maxCodeBits (counts[0] unused)
/** Huffman payload offsets (from the payload start); nsym = sum of counts. */
export const HUF = { ...hufHeader.at, symbols: hufHeader.bytes, maxCodeBits: 15 } as const;

/** Offset of the tile bit table in a Huffman payload holding nsym symbols. */
export function hufTileBitsOffset(nsym: number): number {
  return HUF.symbols + align(nsym, 4);
}

export enum DType {
  Int8 = 1,
  UInt8 = 2,
  Int16 = 3,
  Int32 = 4,
  Float32 = 5,
  Int64 = 6, // int16 (16x8) ops' bias
}

export const DTYPE_BYTES: Record<DType, number> = {
  [DType.Int8]: 1,
  [DType.UInt8]: 1,
  [DType.Int16]: 2,
  [DType.Int32]: 4,
  [DType.Float32]: 4,
  [DType.Int64]: 8,
};

export const DTYPE_NAMES: Record<DType, string> = {
  [DType.Int8]: 'int8',
  [DType.UInt8]: 'uint8',
  [DType.Int16]: 'int16',
  [DType.Int32]: 'int32',
  [DType.Float32]: 'float32',
  [DType.Int64]: 'int64',
};

export enum TensorKind {
  Arena = 0, // activation: offset is into the arena
  Const = 1, // constant: offset is into the Data section
  Variable = 2, // state kept across invokes: offset is into the arena, bytes no other tensor shares
}

/** Opcodes of the runtime's kernels. Params listed in docs/FORMAT.md. */
export enum OpCode {
  Conv2D = 1,
  DepthwiseConv2D = 2,
  FullyConnected = 3,
  AveragePool2D = 4,
  MaxPool2D = 5,
  Add = 6,
  Mul = 7,
  Softmax = 8,
  Pad = 9,
  Mean = 10,
  Transpose = 11,
  Concatenation = 12,
  Requantize = 13,
  Quantize = 14,
  Dequantize = 15,
  Lut = 16,
  Sub = 17,
  LeakyRelu = 18,
  StridedSlice = 19,
  TransposeConv = 20,
  Maximum = 21,
  Minimum = 22,
  Svdf = 23,
  // group f32 (float32 models): opcodes 56..63
  Activation = 56,
  // group b (issue 10, int8 arithmetic): 36..47
  Prelu = 36,
  SquaredDifference = 37,
  Div = 38,
  L2Normalization = 39,
  // group c (issue 10): 40..47
  LogSoftmax = 40,
  // LSTM
  UnidirectionalSequenceLstm = 64,
  // group a (issue 10): data movement, resize, reductions
  TableCopy = 24,
  ResizeBilinear = 25,
  ArgMax = 26,
  ArgMin = 27,
  ReduceMax = 28,
  Gather = 29,
}

export const OP_NAMES: Record<OpCode, string> = {
  [OpCode.Conv2D]: 'CONV_2D',
  [OpCode.DepthwiseConv2D]: 'DEPTHWISE_CONV_2D',
  [OpCode.FullyConnected]: 'FULLY_CONNECTED',
  [OpCode.AveragePool2D]: 'AVERAGE_POOL_2D',
  [OpCode.MaxPool2D]: 'MAX_POOL_2D',
  [OpCode.Add]: 'ADD',
  [OpCode.Mul]: 'MUL',
  [OpCode.Softmax]: 'SOFTMAX',
  [OpCode.Pad]: 'PAD',
  [OpCode.Mean]: 'MEAN',
  [OpCode.Transpose]: 'TRANSPOSE',
  [OpCode.Concatenation]: 'CONCATENATION',
  [OpCode.Requantize]: 'REQUANTIZE',
  [OpCode.Quantize]: 'QUANTIZE',
  [OpCode.Dequantize]: 'DEQUANTIZE',
  [OpCode.Lut]: 'LUT',
  [OpCode.Sub]: 'SUB',
  [OpCode.LeakyRelu]: 'LEAKY_RELU',
  [OpCode.StridedSlice]: 'STRIDED_SLICE',
  [OpCode.TransposeConv]: 'TRANSPOSE_CONV',
  [OpCode.Maximum]: 'MAXIMUM',
  [OpCode.Minimum]: 'MINIMUM',
  [OpCode.Svdf]: 'SVDF',
  // group f32
  [OpCode.Activation]: 'ACTIVATION',
  // group b (issue 10, int8 arithmetic)
  [OpCode.Prelu]: 'PRELU',
  [OpCode.SquaredDifference]: 'SQUARED_DIFFERENCE',
  [OpCode.Div]: 'DIV',
  [OpCode.L2Normalization]: 'L2_NORMALIZATION',
  [OpCode.LogSoftmax]: 'LOG_SOFTMAX',
  // LSTM
  [OpCode.UnidirectionalSequenceLstm]: 'UNIDIRECTIONAL_SEQUENCE_LSTM',
  // group a (issue 10)
  [OpCode.TableCopy]: 'TABLE_COPY',
  [OpCode.ResizeBilinear]: 'RESIZE_BILINEAR',
  [OpCode.ArgMax]: 'ARG_MAX',
  [OpCode.ArgMin]: 'ARG_MIN',
  [OpCode.ReduceMax]: 'REDUCE_MAX',
  [OpCode.Gather]: 'GATHER',
};

/** Number of i32 params each opcode carries (Concatenation: fixed 1). */
export const OP_PARAM_COUNT: Record<OpCode, number> = {
  [OpCode.Conv2D]: 10,
  [OpCode.DepthwiseConv2D]: 11,
  [OpCode.FullyConnected]: 4,
  [OpCode.AveragePool2D]: 8,
  [OpCode.MaxPool2D]: 8,
  [OpCode.Add]: 12,
  [OpCode.Mul]: 7,
  [OpCode.Softmax]: 3,
  [OpCode.Pad]: 9,
  [OpCode.Mean]: 5,
  [OpCode.Transpose]: 4,
  [OpCode.Concatenation]: 1,
  [OpCode.Requantize]: 4,
  [OpCode.Quantize]: 2,
  [OpCode.Dequantize]: 2,
  [OpCode.Lut]: 0,
  [OpCode.Sub]: 12, // as ADD
  [OpCode.LeakyRelu]: 6,
  [OpCode.StridedSlice]: 12,
  [OpCode.TransposeConv]: 8,
  [OpCode.Maximum]: 0,
  [OpCode.Minimum]: 0,
  [OpCode.Svdf]: 7,
  // group f32
  [OpCode.Activation]: 3, // kind (ActivationKind), lo, hi (f32 bits)
  // group b (issue 10, int8 arithmetic)
  [OpCode.Prelu]: 7,
  [OpCode.SquaredDifference]: 10,
  [OpCode.Div]: 7, // as MUL
  [OpCode.L2Normalization]: 1,
  // group c (issue 10)
  [OpCode.LogSoftmax]: 5, // input_multiplier, input_left_shift, reverse_multiplier, reverse_shift (<= 0), diff_min
  // LSTM
  [OpCode.UnidirectionalSequenceLstm]: 28,
  // group a (issue 10)
  [OpCode.TableCopy]: 4, // the view dims v[4]; then the offset tables, v0 + v1 + v2 + v3 more (a variable count)
  [OpCode.ResizeBilinear]: 3,
  [OpCode.ArgMax]: 1,
  [OpCode.ArgMin]: 1,
  [OpCode.ReduceMax]: 1,
  [OpCode.Gather]: 4,
};

/** ACTIVATION's kind (param 0): float32 standalone activations (src/passes/prepare/float.ts). */
export enum ActivationKind {
  Clamp = 0, // y = min(max(x, lo), hi): RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1
  Logistic = 1,
  Tanh = 2,
  HardSwish = 3,
  Exp = 4, // y = exp(x) (float EXP; TFLM has no integer EXP)
  Rsqrt = 5, // y = 1 / sqrt(x) (float RSQRT)
}

/**
 * Param counts of ops in the packed weight layout (src/passes/layout-weights.ts; the runtime's
 * assembly/ops.ts validates them): the base params + [layout=1, kh, kw] / [layout=1] / [layout=1, depth].
 */
export const OP_PACKED_PARAM_COUNT: Partial<Record<OpCode, number>> = {
  [OpCode.Conv2D]: 13,
  [OpCode.DepthwiseConv2D]: 12,
  [OpCode.FullyConnected]: 6,
};

/** Layout code, the first appended param of an op in the packed weight layout. */
export const LAYOUT_PACKED = 1;
/** Inputs of an op in the packed layout: x, weights, bias, requant table. */
export const PACKED_INPUTS = 4;
/** Scratch bytes a packed-layout op needs at least: a direct GEMM row may be read up to 7 bytes past its tensor. */
export const SCRATCH_SLACK = 16;

const requantQuad = record({ mult: 'i32[4]', left: 'i32[4]', right: 'i32[4]' });
/**
 * Requant table record of the packed layout, one per quad of output channels
 * (assembly/kernels/requant-simd.ts): m[4] | 2^left[4], left = max(shift, 0) |
 * 1023 - e[4], e = max(-shift, 0) (the f64 exponent field of 2^-e).
 */
export const RQ = requantQuad.at;
export const RQ_QUAD_BYTES = requantQuad.bytes; // 48

/** Runtime error codes (assembly/format.ts E_*, generated). */
export enum ErrorCode {
  Ok = 0,
  Truncated = 1,
  BadMagic = 2,
  BadVersion = 3,
  BadCrc = 4,
  BadSection = 5,
  BadTensor = 6,
  BadOp = 7,
  UnsupportedOp = 8,
  BadIO = 9,
  OutOfMemory = 10,
  NotLoaded = 11,
  BadShape = 12,
  BadIndex = 13, // group a: a run-time GATHER index outside its axis (invoke)
}

export const ERROR_NAMES: Record<ErrorCode, string> = {
  [ErrorCode.Ok]: 'OK',
  [ErrorCode.Truncated]: 'TRUNCATED',
  [ErrorCode.BadMagic]: 'BAD_MAGIC',
  [ErrorCode.BadVersion]: 'BAD_VERSION',
  [ErrorCode.BadCrc]: 'BAD_CRC',
  [ErrorCode.BadSection]: 'BAD_SECTION',
  [ErrorCode.BadTensor]: 'BAD_TENSOR',
  [ErrorCode.BadOp]: 'BAD_OP',
  [ErrorCode.UnsupportedOp]: 'UNSUPPORTED_OP',
  [ErrorCode.BadIO]: 'BAD_IO',
  [ErrorCode.OutOfMemory]: 'OUT_OF_MEMORY',
  [ErrorCode.NotLoaded]: 'NOT_LOADED',
  [ErrorCode.BadShape]: 'BAD_SHAPE',
  [ErrorCode.BadIndex]: 'BAD_INDEX',
};

export function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
