// The .epk binary format, mirrored by assembly/format.ts. docs/FORMAT.md is the spec:
// change the three together.

export const MAGIC = 0x004b5045; // "EPK\0" little-endian
export const VERSION = 1;
export const HEADER_BYTES = 32;
export const SECTION_ENTRY_BYTES = 16;
export const SECTION_ALIGN = 16;
export const TENSOR_RECORD_BYTES = 48;
export const OP_HEADER_BYTES = 8;
export const MAX_RANK = 4;
export const NO_TENSOR = 0xffff;

/** Header field offsets (bytes from the start of the file). */
export const H = {
  magic: 0,
  version: 4,
  headerBytes: 6,
  fileBytes: 8,
  crc32: 12,
  sectionCount: 16,
  flags: 18,
  arenaBytes: 20,
  scratchBytes: 24,
  reserved: 28,
} as const;

export enum Section {
  Tensors = 1,
  Ops = 2,
  IO = 3,
  Data = 4,
  Strings = 5,
}

/** Tensor record field offsets (48 bytes per record). */
export const T = {
  dtype: 0,
  rank: 1,
  kind: 2,
  flags: 3,
  dims: 4, // 4 x i32
  offset: 20,
  bytes: 24,
  scale: 28, // f32
  zeroPoint: 32, // i32
  nameOffset: 36,
  nameBytes: 40,
  encoding: 44, // u8 Encoding; bytes 45..47 reserved (0)
} as const;

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
export const P = {
  blobBytes: 0,
  bits: 4,
  huffman: 5,
  tables: 6,
  rows: 8,
  rowElems: 12,
  rowsPerTile: 16,
  tileCount: 20,
  payloadOff: 24,
  payloadBytes: 28,
  headerBytes: 32,
} as const;

/** Huffman payload offsets (from the payload start); nsym = sum of counts. */
export const HUF = { counts: 0, symbols: 32, maxCodeBits: 15 } as const;

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
}

export const DTYPE_BYTES: Record<DType, number> = {
  [DType.Int8]: 1,
  [DType.UInt8]: 1,
  [DType.Int16]: 2,
  [DType.Int32]: 4,
  [DType.Float32]: 4,
};

export const DTYPE_NAMES: Record<DType, string> = {
  [DType.Int8]: 'int8',
  [DType.UInt8]: 'uint8',
  [DType.Int16]: 'int16',
  [DType.Int32]: 'int32',
  [DType.Float32]: 'float32',
};

export enum TensorKind {
  Arena = 0, // activation: offset is into the arena
  Const = 1, // constant: offset is into the Data section
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
};

/**
 * Param counts of ops in the packed weight layout (src/passes/layout-weights.ts; the runtime's
 * assembly/ops.ts validates them): the base params + [layout=1, kh, kw] / [layout=1] / [layout=1, depth].
 */
export const OP_PACKED_PARAM_COUNT: Partial<Record<OpCode, number>> = {
  [OpCode.Conv2D]: 13,
  [OpCode.DepthwiseConv2D]: 12,
  [OpCode.FullyConnected]: 6,
};

/** Runtime error codes (assembly/errors.ts mirrors these). */
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
};

export function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}
