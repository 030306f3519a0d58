// Packed (compressed) weights at run time: load-time checks of each blob and the
// dispatch of conv / depthwise / FC whose filter is packed. Codebook-only weights run
// through the LUT kernels (kernels/lut.ts) with no decoded copy; Huffman weights are
// decoded one tile (rowsPerTile output channels) at a time into scratch, whose size
// the converter states in the header and load checks against every tile.
//
// Blob (offsets from its start, u32 little-endian unless noted; format.ts P_*):
//   0 blobBytes | 4 bits u8 | 5 huffman u8 | 6 tables u16 | 8 rows | 12 rowElems
//   16 rowsPerTile | 20 tileCount | 24 payloadOff | 28 payloadBytes
//   32 tables x 2^bits int8 codebook entries (table r belongs to output channel r)
//   payloadOff: codebook only -> ceil(n*bits/8) + 1 pad bytes of LSB-first indices
//               Huffman -> u16 counts[16] | u8 symbols[nsym] (padded to 4) | u32 tileBits[tileCount+1] | stream

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import { Msg, NO_MESSAGE } from './message';
import { ConvParams } from './kernels/conv';
import { conv_s8_lut, dwconv_s8_lut, fc_s8_lut } from './kernels/lut';
import { conv_s8_rows, dwconv_s8_rows, fc_s8_rows } from './kernels/rows';
import { huff_check_table, huff_decode, lut_expand } from './kernels/huffman';
import {
  HAS_CONV_CODEBOOK, HAS_DWCONV_CODEBOOK, HAS_FC_CODEBOOK, HAS_CONV_HUFFMAN, HAS_DWCONV_HUFFMAN, HAS_FC_HUFFMAN,
} from './kernel-table';

// Kernel guards (kernel-table.ts): a build without a variant never compiles its kernel.
const HAS_HUFFMAN: bool = HAS_CONV_HUFFMAN || HAS_DWCONV_HUFFMAN || HAS_FC_HUFFMAN;
/** Any compressed-filter kernel: a build without one (a model-specific firmware runtime of a plain model) compiles none of this file's paths, int8 shifts included. */
export const HAS_COMPRESSED: bool = HAS_CONV_CODEBOOK || HAS_DWCONV_CODEBOOK || HAS_FC_CODEBOOK || HAS_HUFFMAN;

// @ts-ignore: decorator
@inline export function isPacked(t: u32): bool { return load<u8>(M.rec(t) + F.T_ENCODING) == F.ENC_PACKED; }
// @ts-ignore: decorator
@inline function blob(t: u32): usize { return M.dataPtr + <usize>load<u32>(M.rec(t) + F.T_OFFSET); }
// @ts-ignore: decorator
@inline function u32at(b: usize, off: u32): u32 { return load<u32>(b + off); }
// @ts-ignore: decorator
@inline function bitsOf(b: usize): u32 { return <u32>load<u8>(b + F.P_BITS); }
// @ts-ignore: decorator
@inline function tablesOf(b: usize): u32 { return <u32>load<u16>(b + F.P_TABLES); }
// @ts-ignore: decorator
@inline function huffman(b: usize): bool { return load<u8>(b + F.P_HUFFMAN) != 0; }
// @ts-ignore: decorator
@inline function payload(b: usize): usize { return b + <usize>u32at(b, F.P_PAYLOAD_OFF); }

/** Byte count of a tensor's bytes in the Data section: its blob when packed. */
export function storedBytes(t: u32): u64 {
  if (!isPacked(t)) return <u64>M.byteCount(t);
  const off = <u64>load<u32>(M.rec(t) + F.T_OFFSET);
  if (off + F.P_HEADER_BYTES > <u64>M.dataLen) return 0xffffffffff;
  return <u64>load<u32>(M.dataPtr + <usize>off + F.P_BLOB_BYTES);
}

/** Tile bytes of a Huffman blob: rowsPerTile * rowElems (0 when not Huffman). */
function tileBytes(b: usize): u64 {
  return huffman(b) ? <u64>u32at(b, F.P_ROWS_PER_TILE) * <u64>u32at(b, F.P_ROW_ELEMS) : 0;
}

// Narrow per-channel constants (src/passes/narrow-shifts.ts): a compressed filter's op may store
// its per-channel shifts as int8, its multipliers as int8 too (v meaning the multiplier v << 24:
// 0 or in [2^30, 2^31) for v in {0} u [64, 127], calibrated compression's multipliers of 7
// significant bits) and its biases as int16 (the same values, when they fit). Before its kernels
// run, the narrow constants of the channels one call computes are widened to int32 in scratch,
// after that call's decoded tile, each in its own slot:
//
//   scratch: [ decoded tile: rowsPerTile * rowElems, rounded up to 16 | i32 shift[C] | i32 bias[C] | i32 mult[C] ]
//
// C: the channels of one call -- a tile's rows for Huffman, every output channel for codebook
// indices (no tile). The slots end with the last narrow constant's.

/** Output channels one call of an op whose filter is blob b computes. */
// @ts-ignore: decorator
@inline function callChannels(b: usize): u64 { return <u64>(huffman(b) ? u32at(b, F.P_ROWS_PER_TILE) : u32at(b, F.P_ROWS)); }

/** Scratch offset of the widened constants' slot `slot` (0 shift, 1 bias, 2 mult) of an op whose filter is blob b. */
// @ts-ignore: decorator
@inline function slotAt(b: usize, slot: u32): u64 { return ((tileBytes(b) + 15) & ~15) + 4 * <u64>slot * callChannels(b); }

/** Scratch op r with a compressed filter b needs for its narrow constants: up to the end of the last narrow one's slot (0: none). */
function narrowScratch(r: usize, b: usize): u64 {
  const slots: u32 = narrowInput(r, 3, F.DT_INT8) ? 3 : narrowInput(r, 2, F.DT_INT16) ? 2 : narrowInput(r, 4, F.DT_INT8) ? 1 : 0;
  return slots == 0 ? 0 : slotAt(b, slots);
}

/**
 * The int32 values of channels [o0, o1) of op r's per-channel constant k (2 bias, 3 mult,
 * 4 shift) whose filter is blob b, for the kernels to index from o0: the tensor's own bytes
 * when int32, else its narrow values widened into its scratch slot -- an int16 bias as it is,
 * an int8 shift as it is, an int8 multiplier v as v << 24. 0 for an absent bias.
 */
function constantsFor(r: usize, b: usize, k: u32, o0: i32, o1: i32): usize {
  const t = O.input(r, k);
  if (t == F.NO_TENSOR) return 0;
  const p = M.dataOf(t), dt = M.dtype(t);
  if (dt == F.DT_INT32) return p + (<usize>o0 << 2);
  const at = M.scratchPtr + <usize>slotAt(b, k == 4 ? 0 : k == 2 ? 1 : 2), up: i32 = k == 3 ? 24 : 0;
  for (let c = o0; c < o1; c++) {
    const v = dt == F.DT_INT16 ? <i32>load<i16>(p + (<usize>c << 1)) : <i32>load<i8>(p + <usize>c);
    store<i32>(at + (<usize>(c - o0) << 2), v << up);
  }
  return at;
}

/** True when packed tensor t is Huffman-coded (its blob header must be readable). */
export function isHuffmanCoded(t: u32): bool { return huffman(blob(t)); }

/** Load-time check of tensor t's blob; returns an error message or NO_MESSAGE. Runs after the bounds check. */
export function checkBlob(t: u32): Msg {
  const b = blob(t);
  const size = <u64>u32at(b, F.P_BLOB_BYTES);
  if (size < F.P_HEADER_BYTES) return 'packed blob smaller than its 32-byte header';
  if (M.dtype(t) != F.DT_INT8) return 'packed tensor must be int8';
  const rows = <u64>u32at(b, F.P_ROWS), rowElems = <u64>u32at(b, F.P_ROW_ELEMS);
  const n = rows * rowElems;
  if (rows < 1 || n != <u64>M.elements(t)) return 'packed rows x row size differ from the tensor shape';
  const bits = bitsOf(b), tables = <u64>tablesOf(b);
  if (bits == 0) {
    if (tables != 0 || !huffman(b)) return 'packed blob without a codebook must be Huffman-coded';
  } else if (bits < 2 || bits > 8 || (tables != 1 && tables != rows)) return 'codebook bits must be 2..8 with 1 table or one per row';
  const pOff = <u64>u32at(b, F.P_PAYLOAD_OFF), pBytes = <u64>u32at(b, F.P_PAYLOAD_BYTES);
  if (<u64>F.P_HEADER_BYTES + (tables << bits) > pOff || pOff + pBytes > size) return 'codebook tables or payload lie outside the blob';
  if (!huffman(b)) {
    if (pBytes < ((n * <u64>bits + 7) >> 3) + 1) return 'codebook index stream is shorter than the tensor';
    return NO_MESSAGE;
  }
  if (!HAS_HUFFMAN) return 'Huffman-coded weights: this runtime was built without the Huffman kernels';
  return checkHuffman(b, rows, rowElems, bits, pBytes);
}

/** Symbols in a Huffman payload: the sum of its code counts (<= 15 x 65535). */
function symbolCount(p: usize): u32 {
  let n: u32 = 0;
  for (let len: u32 = 1; len <= F.HUF_MAX_CODE_BITS; len++) n += <u32>load<u16>(p + F.HUF_COUNTS + (<usize>len << 1));
  return n;
}

/** Offset of the tile bit table in a Huffman payload. */
// @ts-ignore: decorator
@inline function tileBitsAt(p: usize): usize { return <usize>F.HUF_SYMBOLS + ((<usize>symbolCount(p) + 3) & ~3); }

function checkHuffman(b: usize, rows: u64, rowElems: u64, bits: u32, pBytes: u64): Msg {
  const rpt = <u64>u32at(b, F.P_ROWS_PER_TILE), tiles = <u64>u32at(b, F.P_TILE_COUNT);
  if (rpt < 1 || tiles != (rows + rpt - 1) / rpt) return 'Huffman tile count does not match rows per tile';
  if (rpt * rowElems > <u64>M.scratchBytes) return 'Huffman tile does not fit the scratch bytes the header states';
  M.needScratch(rpt * rowElems);
  const p = payload(b);
  if (pBytes < <u64>F.HUF_SYMBOLS) return 'Huffman tables run past the payload';
  const nsym = symbolCount(p);
  if (nsym < 1 || nsym > 256 || <u64>tileBitsAt(p) + 4 * (tiles + 1) > pBytes) return 'Huffman tables run past the payload';
  if (huff_check_table(p + F.HUF_COUNTS, p + F.HUF_SYMBOLS, bits == 0 ? 256 : 1 << bits) < 0) return 'Huffman code table is invalid';
  const tb = p + tileBitsAt(p);
  const head = <u64>tileBitsAt(p) + 4 * (tiles + 1);
  const stream = p + <usize>head, streamBits = (pBytes - head) << 3;
  let prev: u64 = 0;
  for (let i: u64 = 0; i < tiles; i++) {
    const start = <u64>load<u32>(tb + <usize>(i << 2)), end = <u64>load<u32>(tb + <usize>((i + 1) << 2));
    if (start < prev || end < start || end > streamBits) return 'Huffman tile offsets are out of order or past the stream';
    prev = end;
    const count = <i32>((min(rows, (i + 1) * rpt) - i * rpt) * rowElems);
    if (huff_decode(stream, start, end, p + F.HUF_COUNTS, p + F.HUF_SYMBOLS, 0, count) != count) return 'Huffman tile does not decode to its weights within its bits';
  }
  return NO_MESSAGE;
}

/** Op-level check: a packed tensor may only be the filter (input 1) of conv / depthwise / FC. */
export function checkPackedInputs(r: usize, code: u32): Msg {
  for (let k: u32 = 0; k < O.nIn(r); k++) {
    const t = O.input(r, k);
    if (t == F.NO_TENSOR || !isPacked(t)) continue;
    const weightOp = code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D || code == F.OP_FULLY_CONNECTED;
    if (!weightOp || k != 1) return 'packed weights are only readable as the filter of CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED';
    // the compressed-filter kernels read bias, mult and shift tensors: the packed layout's requant table is not one
    if (O.isPacked(r)) return 'a compressed filter needs the plain layout (inputs x, filter, bias, mult, shift), not the packed one';
    const oc = code == F.OP_DEPTHWISE_CONV_2D ? M.dim(t, 3) : M.dim(t, 0);
    if (<i32>u32at(blob(t), F.P_ROWS) != oc) return 'packed weights must have one row per output channel';
    const need = HAS_COMPRESSED && O.nIn(r) == 5 ? narrowScratch(r, blob(t)) : 0;
    if (need != 0) {
      if (need > <u64>M.scratchBytes) return 'scratch is smaller than a tile and its widened narrow shifts, multipliers and biases';
      M.needScratch(need);
    }
  }
  return NO_MESSAGE;
}

/** True when op r's input k (2 bias, 3 mult, 4 shift) is a tensor of the narrow type dt. */
export function narrowInput(r: usize, k: u32, dt: u8): bool {
  const t = O.input(r, k);
  return t != F.NO_TENSOR && M.dtype(t) == dt;
}

/** True when op r's filter is packed: the interpreter then hands the op to runPacked. */
export function usesPacked(r: usize, code: u32): bool {
  if (code != F.OP_CONV_2D && code != F.OP_DEPTHWISE_CONV_2D && code != F.OP_FULLY_CONNECTED) return false;
  return isPacked(O.input(r, 1));
}

export function runPacked(r: usize, code: u32): void {
  const w = O.input(r, 1);
  const b = blob(w);
  if (huffman(b)) { if (HAS_HUFFMAN) runHuffman(r, code, w, b); }
  else if (HAS_CONV_CODEBOOK || HAS_DWCONV_CODEBOOK || HAS_FC_CODEBOOK) runLut(r, code, w, b);
}

function runLut(r: usize, code: u32, w: u32, b: usize): void {
  const x = O.input(r, 0), y = O.output(r, 0);
  const xp = M.dataOf(x), yp = M.dataOf(y);
  const rows = <i32>u32at(b, F.P_ROWS);
  const bias = constantsFor(r, b, 2, 0, rows), mult = constantsFor(r, b, 3, 0, rows), shift = constantsFor(r, b, 4, 0, rows);
  const bits = bitsOf(b);
  const tables = b + F.P_HEADER_BYTES, stride = tablesOf(b) == 1 ? 0 : <i32>(1 << bits);
  const idx = payload(b);
  if (code == F.OP_CONV_2D) {
    if (HAS_CONV_CODEBOOK) conv_s8_lut(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), idx, bits, tables, stride, M.dim(w, 1), M.dim(w, 2), M.dim(w, 3),
      bias, mult, shift, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), changetype<ConvParams>(O.params(r)));
  } else if (code == F.OP_DEPTHWISE_CONV_2D) {
    if (HAS_DWCONV_CODEBOOK) dwconv_s8_lut(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), idx, bits, tables, stride, M.dim(w, 1), M.dim(w, 2),
      bias, mult, shift, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), changetype<ConvParams>(O.params(r)));
  } else {
    const depth = M.dim(w, 1);
    if (HAS_FC_CODEBOOK) fc_s8_lut(xp, M.elements(x) / depth, depth, idx, bits, tables, stride, M.dim(w, 0), bias, mult, shift, yp,
      O.param(r, 0), O.param(r, 1), O.param(r, 2), O.param(r, 3));
  }
}

/** Decodes tile `i` (rows [o0, o1)) of blob b into scratch as int8 weights, channel-major. */
export function decodeTile(b: usize, i: i32, o0: i32, o1: i32): void {
  const p = payload(b);
  const tiles = u32at(b, F.P_TILE_COUNT);
  const tb = p + tileBitsAt(p);
  const stream = tb + (<usize>(tiles + 1) << 2);
  const rowElems = <i32>u32at(b, F.P_ROW_ELEMS);
  const n = (o1 - o0) * rowElems;
  const start = <u64>load<u32>(tb + (<usize>i << 2)), end = <u64>load<u32>(tb + (<usize>(i + 1) << 2));
  huff_decode(stream, start, end, p + F.HUF_COUNTS, p + F.HUF_SYMBOLS, M.scratchPtr, n);
  const bits = bitsOf(b);
  if (bits != 0) lut_expand(M.scratchPtr, n, rowElems, o0, b + F.P_HEADER_BYTES, tablesOf(b) == 1 ? 0 : <i32>(1 << bits));
}

function runHuffman(r: usize, code: u32, w: u32, b: usize): void {
  const tiles = <i32>u32at(b, F.P_TILE_COUNT);
  for (let i = 0; i < tiles; i++) runHuffmanTile(r, code, w, b, i);
}

/** Byte offset in a Huffman blob where the coded stream starts (after the tile bit table). */
export function huffmanStreamStart(b: usize): u32 {
  return u32at(b, F.P_PAYLOAD_OFF) + <u32>tileBitsAt(payload(b)) + ((u32at(b, F.P_TILE_COUNT) + 1) << 2);
}

/**
 * Decodes tile i of op r's Huffman filter blob b into scratch and computes its output
 * channels: rows [i * rowsPerTile, min(rows, (i + 1) * rowsPerTile)).
 */
export function runHuffmanTile(r: usize, code: u32, w: u32, b: usize, i: i32): void {
  const x = O.input(r, 0), y = O.output(r, 0);
  const xp = M.dataOf(x), yp = M.dataOf(y);
  const rows = <i32>u32at(b, F.P_ROWS), rpt = <i32>u32at(b, F.P_ROWS_PER_TILE);
  const s = M.scratchPtr;
  const cp = changetype<ConvParams>(O.params(r));
  const o0 = i * rpt, o1 = min(rows, o0 + rpt);
  decodeTile(b, i, o0, o1);
  // the rows kernels read the tile's channels [o0, o1) of bias, mult, shift from these pointers
  const biasT = constantsFor(r, b, 2, o0, o1), multT = constantsFor(r, b, 3, o0, o1), shiftT = constantsFor(r, b, 4, o0, o1);
  if (code == F.OP_CONV_2D) {
    if (HAS_CONV_HUFFMAN) conv_s8_rows(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), s, M.dim(w, 1), M.dim(w, 2), M.dim(w, 3),
      biasT, multT, shiftT, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), o0, o1, cp);
  } else if (code == F.OP_DEPTHWISE_CONV_2D) {
    if (HAS_DWCONV_HUFFMAN) dwconv_s8_rows(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), s, M.dim(w, 1), M.dim(w, 2),
      biasT, multT, shiftT, yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), o0, o1, cp);
  } else {
    const depth = M.dim(w, 1);
    if (HAS_FC_HUFFMAN) fc_s8_rows(xp, M.elements(x) / depth, depth, s, M.dim(w, 0), biasT, multT, shiftT, yp,
      O.param(r, 0), O.param(r, 1), O.param(r, 2), O.param(r, 3), o0, o1);
  }
}

/** True when op r's filter is Huffman-coded: run in tiles of output channels, each re-reading all of x. */
export function usesHuffman(r: usize, code: u32): bool {
  return usesPacked(r, code) && huffman(blob(O.input(r, 1)));
}
