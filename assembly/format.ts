// The .epk format constants, mirrored from src/format/constants.ts (docs/FORMAT.md).

export const MAGIC: u32 = 0x004b5045; // "EPK\0"
export const VERSION: u16 = 1;
export const HEADER_BYTES: u32 = 32;
export const SECTION_ENTRY_BYTES: u32 = 16;
export const SECTION_ALIGN: u32 = 16;
export const TENSOR_RECORD_BYTES: u32 = 48;
export const OP_HEADER_BYTES: u32 = 8;
export const MAX_RANK: u32 = 4;
export const NO_TENSOR: u32 = 0xffff;

// Header offsets
export const H_MAGIC: u32 = 0;
export const H_VERSION: u32 = 4;
export const H_HEADER_BYTES: u32 = 6;
export const H_FILE_BYTES: u32 = 8;
export const H_CRC32: u32 = 12;
export const H_SECTION_COUNT: u32 = 16;
export const H_ARENA_BYTES: u32 = 20;
export const H_SCRATCH_BYTES: u32 = 24;

// Section kinds
export const S_TENSORS: u32 = 1;
export const S_OPS: u32 = 2;
export const S_IO: u32 = 3;
export const S_DATA: u32 = 4;
export const S_STRINGS: u32 = 5;
export const S_COUNT: u32 = 5;

// Tensor record offsets
export const T_DTYPE: u32 = 0;
export const T_RANK: u32 = 1;
export const T_KIND: u32 = 2;
export const T_DIMS: u32 = 4;
export const T_OFFSET: u32 = 20;
export const T_BYTES: u32 = 24;
export const T_SCALE: u32 = 28;
export const T_ZERO_POINT: u32 = 32;
export const T_NAME_OFFSET: u32 = 36;
export const T_NAME_BYTES: u32 = 40;

// dtypes
export const DT_INT8: u8 = 1;
export const DT_UINT8: u8 = 2;
export const DT_INT16: u8 = 3;
export const DT_INT32: u8 = 4;
export const DT_FLOAT32: u8 = 5;

export const KIND_ARENA: u8 = 0;
export const KIND_CONST: u8 = 1;

// opcodes
export const OP_CONV_2D: u32 = 1;
export const OP_DEPTHWISE_CONV_2D: u32 = 2;
export const OP_FULLY_CONNECTED: u32 = 3;
export const OP_AVERAGE_POOL_2D: u32 = 4;
export const OP_MAX_POOL_2D: u32 = 5;
export const OP_ADD: u32 = 6;
export const OP_MUL: u32 = 7;
export const OP_SOFTMAX: u32 = 8;
export const OP_PAD: u32 = 9;
export const OP_MEAN: u32 = 10;
export const OP_TRANSPOSE: u32 = 11;
export const OP_CONCATENATION: u32 = 12;
export const OP_REQUANTIZE: u32 = 13;
export const OP_QUANTIZE: u32 = 14;
export const OP_DEQUANTIZE: u32 = 15;
export const OP_LUT: u32 = 16;
export const OP_LAST: u32 = 16;

// error codes
export const E_OK: i32 = 0;
export const E_TRUNCATED: i32 = 1;
export const E_BAD_MAGIC: i32 = 2;
export const E_BAD_VERSION: i32 = 3;
export const E_BAD_CRC: i32 = 4;
export const E_BAD_SECTION: i32 = 5;
export const E_BAD_TENSOR: i32 = 6;
export const E_BAD_OP: i32 = 7;
export const E_UNSUPPORTED_OP: i32 = 8;
export const E_BAD_IO: i32 = 9;
export const E_OUT_OF_MEMORY: i32 = 10;
export const E_NOT_LOADED: i32 = 11;
export const E_BAD_SHAPE: i32 = 12;

// Compressed weights (docs/compression.md): tensor record byte 44 is the encoding;
// a packed tensor's offset points to a blob in the Data section laid out as below.
export const T_ENCODING: u32 = 44;
export const ENC_RAW: u8 = 0;
export const ENC_PACKED: u8 = 1;
export const P_BLOB_BYTES: u32 = 0; // u32
export const P_BITS: u32 = 4; // u8: 0 = int8 symbols, 2..8 = codebook index bits
export const P_HUFFMAN: u32 = 5; // u8: 0 | 1
export const P_TABLES: u32 = 6; // u16: 0, 1 or rows
export const P_ROWS: u32 = 8; // u32: output channels
export const P_ROW_ELEMS: u32 = 12; // u32: weights per output channel
export const P_ROWS_PER_TILE: u32 = 16; // u32 (Huffman)
export const P_TILE_COUNT: u32 = 20; // u32 (Huffman)
export const P_PAYLOAD_OFF: u32 = 24; // u32
export const P_PAYLOAD_BYTES: u32 = 28; // u32
export const P_HEADER_BYTES: u32 = 32; // codebook tables follow: tables x 2^bits int8
export const HUF_COUNTS: u32 = 0; // u16[16]
export const HUF_SYMBOLS: u32 = 32; // u8[nsym], padded to 4; then u32 tileBits[tileCount + 1], then the stream
