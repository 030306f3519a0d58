// Streamed build: ops whose constants do not fit the stage run in tiles of output channels,
// whatever weight layout the converter wrote. A tile's constants are fetched into the stage
// (stage offset 0 up, each part 16-aligned) and the kernel writes its channels straight into
// the op's output in the arena.
//
//   kind      ops (assembly/ops.ts layouts)        unit      stage bytes per unit
//   GEMM      packed CONV_2D, FULLY_CONNECTED      4 ch      w 4*K8 (one quad of [oc4, K8]) + bias 16 + requant 48
//   DEPTHWISE packed DEPTHWISE_CONV_2D             4 ch      w 4*kh*kw (gathered from [1,kh,kw,C]) + bias 16 + requant 48
//   ROWS      reference CONV_2D, FULLY_CONNECTED   1 ch      w row + bias/mult/shift 12
//
// A packed FULLY_CONNECTED whose single quad (4 * K8 bytes) exceeds the stage is split
// along K as well (micro_speech: 4 x 4000 weights): per quad, chunks of kc inputs (kc % 8
// == 0, 4 * kc bytes of weights) add into 4 i32 sums per batch in the stage, requantized
// after the last chunk (kernels/gemm.ts gemm_quad_acc_s8, gemm_quad_requant_s8).
//
// GEMM and DEPTHWISE tiles start on a quad (the requant table has one 48-byte record per 4
// channels); the last tile may hold fewer than 4*n channels. The kernels read only inside the
// tile's parts: weight rows are whole K8 rows, bias and requant are read per quad, and the
// direct GEMM's reads up to 7 bytes past an input row stay in the arena's scratch slack.
// ROWS (row layouts: conversions without weight layouts, and every raw filter of a
// compressed conversion) runs the row-range kernels (kernels/rows.ts), which the _ref
// kernels are, over channels [c0, c0 + n).
// HUFFMAN (a compressed filter whose blob is Huffman-coded, inputs [x, w, bias?, mult, shift])
// runs by the blob's own tiles (rowsPerTile rows each): the other constants whole, then the
// blob's header and tables, then one tile's bytes of the coded stream at a time (see
// runHuffmanTiles). Codebook-only blobs (LUT kernels) are staged whole.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import { ConvParams, conv_s8, dwconv_s8 } from './kernels/conv';
import { fc_s8 } from './kernels/fully-connected';
import { conv_s8_rows, fc_s8_rows } from './kernels/rows';
import { gemm_quad_acc_s8, gemm_quad_requant_s8 } from './kernels/gemm';
import { huffmanStreamStart, isPacked as isCompressed, runHuffmanTile } from './packed';
import { fetch, fetchStrided, fileOffset, readU32, stagePtr } from './stream-io';
import { sharesBytes } from './overlap';
import { isS16 } from './dispatch';
import { HAS_CONV_BLOCKED, HAS_CONV_REF, HAS_DWCONV_BLOCKED, HAS_FC_BLOCKED, HAS_FC_REF } from './kernel-table';

export const TILE_NONE: i32 = 0;
export const TILE_GEMM: i32 = 1;
export const TILE_DEPTHWISE: i32 = 2;
export const TILE_ROWS: i32 = 3;
export const TILE_HUFFMAN: i32 = 4;

const ALIGN: usize = 16;
const T_FLAGS: usize = F.T_FLAGS;
const RQ_QUAD_BYTES: u32 = F.RQ_QUAD_BYTES;

// @ts-ignore: decorator
@inline function a16(n: u64): u64 { return (n + ALIGN - 1) & ~(<u64>ALIGN - 1); }

function isConst(t: u32): bool {
  return t != F.NO_TENSOR && M.kind(t) == F.KIND_CONST;
}

function lastDim(t: u32): i32 {
  return M.dim(t, M.rank(t) - 1);
}

/** How op r can be split over output channels (TILE_NONE: staged whole or not at all). */
export function tileKind(r: usize): i32 {
  const code = O.opcode(r);
  if (code != F.OP_CONV_2D && code != F.OP_DEPTHWISE_CONV_2D && code != F.OP_FULLY_CONNECTED) return TILE_NONE;
  if (isS16(r, code)) return TILE_NONE; // int16 (16x8) ops: constants staged whole (int64 bias included)
  const x = O.input(r, 0), w = O.input(r, 1);
  if (isConst(x) || !isConst(w)) return TILE_NONE;
  if (sharesBytes(r, 0)) return TILE_NONE; // writes over its input (plan-memory): a tile would re-read overwritten bytes
  if (isCompressed(w)) return O.nIn(r) == 5 && huffmanBlob(w) ? TILE_HUFFMAN : TILE_NONE; // codebook only: staged whole
  if (O.isPacked(r)) { // [x, w, bias, requant table], shapes checked by validatePacked
    if (!isConst(O.input(r, 2)) || !isConst(O.input(r, 3))) return TILE_NONE;
    return code == F.OP_DEPTHWISE_CONV_2D ? TILE_DEPTHWISE : TILE_GEMM;
  }
  return rowsTileable(r) ? TILE_ROWS : TILE_NONE;
}

/** Reference conv (ungrouped) / FC: [x, w, bias?, mult, shift] -> y, plain int8 rows. */
function rowsTileable(r: usize): bool {
  const code = O.opcode(r);
  if (code == F.OP_DEPTHWISE_CONV_2D || O.nIn(r) != 5) return false;
  const x = O.input(r, 0), w = O.input(r, 1), y = O.output(r, 0);
  if (M.dtype(w) != F.DT_INT8 || load<u8>(M.rec(w) + T_FLAGS) != 0 || <i32>M.byteCount(w) != M.elements(w)) return false;
  if (code == F.OP_CONV_2D && M.dim(w, 3) != M.dim(x, 3)) return false;
  const oc = M.dim(w, 0);
  if (lastDim(y) != oc) return false;
  for (let k: u32 = 2; k < 5; k++) {
    const t = O.input(r, k);
    if (t == F.NO_TENSOR) continue;
    if (!isConst(t) || lastDim(t) != oc || M.elements(t) != oc) return false;
  }
  return true;
}

/** Output channels of op r (a tileable kind). */
function channels(r: usize, kind: i32): u32 {
  const y = O.output(r, 0);
  if (kind == TILE_ROWS) return <u32>M.dim(O.input(r, 1), 0);
  if (O.opcode(r) == F.OP_FULLY_CONNECTED) return <u32>(M.elements(y) / (M.elements(O.input(r, 0)) / O.param(r, 5)));
  return <u32>M.dim(y, 3);
}

/** Units op r splits into: quads of channels (GEMM, DEPTHWISE) or channels (ROWS). */
export function units(r: usize, kind: i32): u32 {
  const c = channels(r, kind);
  return kind == TILE_ROWS ? c : (c + 3) >> 2;
}

/** Weight bytes of one unit. */
function unitWeights(r: usize, kind: i32): u64 {
  const w = O.input(r, 1);
  if (kind == TILE_GEMM) return 4 * <u64>M.dim(w, 1); // a quad of [oc4, K8] rows
  if (kind == TILE_DEPTHWISE) return 4 * <u64>M.dim(w, 1) * <u64>M.dim(w, 2); // 4 channels x kh*kw taps
  return <u64>(M.byteCount(w) / <u32>M.dim(w, 0));
}

/** Stage bytes for a tile of n units of op r. */
export function tileBytes(r: usize, kind: i32, n: u32): u64 {
  const u = <u64>n;
  let bytes = a16(u * unitWeights(r, kind));
  if (kind != TILE_ROWS) return bytes + a16(u * 16) + a16(u * RQ_QUAD_BYTES);
  for (let k: u32 = 2; k < 5; k++) if (O.input(r, k) != F.NO_TENSOR) bytes += a16(u * 4);
  return bytes;
}

/** Batches of a packed FC (x holds batches x depth values). */
function fcBatches(r: usize): u32 {
  return <u32>(M.elements(O.input(r, 0)) / O.param(r, 5));
}

/** Stage bytes of a K-split FC tile: kc inputs of one quad, its bias and requant record, 4 i32 sums per batch. */
function deepBytes(r: usize, kc: u32): u64 {
  return a16(4 * <u64>kc) + 16 + RQ_QUAD_BYTES + a16(16 * <u64>fcBatches(r));
}

function splitsK(r: usize, kind: i32): bool {
  return kind == TILE_GEMM && O.opcode(r) == F.OP_FULLY_CONNECTED;
}

/** The smallest stage op r can run in: one unit (a packed FC: 8 inputs of one quad, if that is less). */
export function smallestTile(r: usize, kind: i32): u64 {
  if (kind == TILE_HUFFMAN) return huffmanBytes(r);
  const one = tileBytes(r, kind, 1);
  return splitsK(r, kind) ? min(one, deepBytes(r, 8)) : one;
}

/** Units per tile in a stage of `stage` bytes: the most that fit, then evened out over the tiles. */
function tileUnits(r: usize, kind: i32, stage: u32): u32 {
  const total = units(r, kind);
  let lo: u32 = 1, hi = total; // tileBytes(lo) <= stage, checked at load (stageMin)
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (tileBytes(r, kind, mid) <= <u64>stage) lo = mid;
    else hi = mid - 1;
  }
  const tiles = (total + lo - 1) / lo;
  return (total + tiles - 1) / tiles;
}

/** Runs op r tile by tile in a stage of `stage` bytes. */
export function runTiled(r: usize, stage: u32): i32 {
  const kind = tileKind(r);
  if (kind == TILE_NONE) return M.fail(F.E_OUT_OF_MEMORY, 'an op needs more stage than granted and cannot be tiled');
  if (kind == TILE_HUFFMAN) return runHuffmanTiles(r);
  if (splitsK(r, kind) && tileBytes(r, kind, 1) > <u64>stage) return runDeepFc(r, stage);
  const n = tileUnits(r, kind, stage);
  if (kind == TILE_GEMM) return runGemmTiles(r, n);
  if (kind == TILE_DEPTHWISE) return runDepthwiseTiles(r, n);
  return runRowTiles(r, n);
}

// @ts-ignore: decorator
@inline function next16(at: usize, n: u32): usize { return (at + <usize>n + ALIGN - 1) & ~(ALIGN - 1); }

/** Packed conv / FC by quads: w rows [q0*4, q0*4 + 4n) of [oc4, K8], bias and requant slices. */
function runGemmTiles(r: usize, n: u32): i32 {
  const x = O.input(r, 0), w = O.input(r, 1), bias = O.input(r, 2), rq = O.input(r, 3), y = O.output(r, 0);
  const k8 = <u32>M.dim(w, 1);
  const quads = units(r, TILE_GEMM), oc = channels(r, TILE_GEMM);
  const xp = M.dataOf(x), yp = M.dataOf(y);
  const conv = O.opcode(r) == F.OP_CONV_2D;
  for (let q0: u32 = 0; q0 < quads; q0 += n) {
    const nq = min(n, quads - q0), c0 = q0 << 2, ch = min(nq << 2, oc - c0);
    const wAt: usize = 0, bAt = next16(wAt, nq * 4 * k8), rqAt = next16(bAt, nq * 16);
    let err = fetch(w, c0 * k8, nq * 4 * k8, wAt);
    if (err == F.E_OK) err = fetch(bias, c0 * 4, nq * 16, bAt);
    if (err == F.E_OK) err = fetch(rq, q0 * RQ_QUAD_BYTES, nq * RQ_QUAD_BYTES, rqAt);
    if (err != F.E_OK) return err;
    if (conv) {
      if (HAS_CONV_BLOCKED) conv_s8(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), stagePtr + wAt, O.param(r, 11), O.param(r, 12), <i32>k8,
        stagePtr + bAt, stagePtr + rqAt, yp + <usize>c0, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), <i32>ch,
        changetype<ConvParams>(O.params(r)), M.scratchPtr, <i32>oc);
    } else {
      const depth = O.param(r, 5);
      if (HAS_FC_BLOCKED) fc_s8(xp, M.elements(x) / depth, depth, <i32>k8, stagePtr + wAt, <i32>ch, stagePtr + bAt, stagePtr + rqAt,
        yp + <usize>c0, O.param(r, 1), O.param(r, 2), O.param(r, 3), <i32>oc);
    }
  }
  return F.E_OK;
}

/** Packed FC quad by quad, each quad's K in chunks of kc inputs (see the top of this file). */
function runDeepFc(r: usize, stage: u32): i32 {
  const x = O.input(r, 0), w = O.input(r, 1), bias = O.input(r, 2), rq = O.input(r, 3), y = O.output(r, 0);
  const k8 = <u32>M.dim(w, 1), depth = <u32>O.param(r, 5), batches = fcBatches(r);
  const quads = units(r, TILE_GEMM), oc = channels(r, TILE_GEMM);
  const fixed = deepBytes(r, 0);
  let kc = min(k8, <u32>((<u64>stage - fixed) / 32) * 8); // stage >= deepBytes(8), checked at load
  const chunks = (k8 + kc - 1) / kc;
  kc = ((k8 + chunks - 1) / chunks + 7) & ~7; // evened out, still a multiple of 8 and no larger
  const bAt = <usize>(4 * kc), rqAt = bAt + 16, accAt = rqAt + <usize>RQ_QUAD_BYTES;
  const xp = M.dataOf(x), yp = M.dataOf(y), acc = stagePtr + accAt;
  for (let q: u32 = 0; q < quads; q++) {
    let err = fetch(bias, q * 16, 16, bAt);
    if (err == F.E_OK) err = fetch(rq, q * RQ_QUAD_BYTES, RQ_QUAD_BYTES, rqAt);
    if (err != F.E_OK) return err;
    memory.fill(acc, 0, <usize>(16 * batches));
    for (let k0: u32 = 0; k0 < k8; k0 += kc) {
      const n = min(kc, k8 - k0);
      err = fetch(w, q * 4 * k8 + 4 * k0, 4 * n, 0); // quad q's slices k0/8 .. (k0 + n)/8: contiguous
      if (err != F.E_OK) return err;
      if (HAS_FC_BLOCKED) for (let b: u32 = 0; b < batches; b++) gemm_quad_acc_s8(xp + <usize>(b * depth + k0), <i32>n, stagePtr, acc + <usize>(b * 16));
    }
    if (HAS_FC_BLOCKED) for (let b: u32 = 0; b < batches; b++) {
      gemm_quad_requant_s8(acc + <usize>(b * 16), stagePtr + bAt, stagePtr + rqAt, yp + <usize>(b * oc + 4 * q), <i32>(oc - 4 * q),
        O.param(r, 1), O.param(r, 2), O.param(r, 3));
    }
  }
  return F.E_OK;
}

/** Packed depthwise by channel groups: each tap's n-channel run of w [1, kh, kw, C] gathered. */
function runDepthwiseTiles(r: usize, n: u32): i32 {
  const x = O.input(r, 0), w = O.input(r, 1), bias = O.input(r, 2), rq = O.input(r, 3), y = O.output(r, 0);
  const kh = M.dim(w, 1), kw = M.dim(w, 2), taps = <u32>(kh * kw);
  const quads = units(r, TILE_DEPTHWISE), c = channels(r, TILE_DEPTHWISE);
  const xp = M.dataOf(x), yp = M.dataOf(y);
  for (let q0: u32 = 0; q0 < quads; q0 += n) {
    const nq = min(n, quads - q0), c0 = q0 << 2, ch = min(nq << 2, c - c0);
    const wAt: usize = 0, bAt = next16(wAt, taps * ch), rqAt = next16(bAt, ch * 4);
    let err = fetchStrided(w, c0, taps, ch, c, wAt);
    if (err == F.E_OK) err = fetch(bias, c0 * 4, ch * 4, bAt);
    if (err == F.E_OK) err = fetch(rq, q0 * RQ_QUAD_BYTES, nq * RQ_QUAD_BYTES, rqAt);
    if (err != F.E_OK) return err;
    if (HAS_DWCONV_BLOCKED) dwconv_s8(xp + <usize>c0, M.dim(x, 1), M.dim(x, 2), <i32>ch, stagePtr + wAt, kh, kw, stagePtr + bAt, stagePtr + rqAt,
      yp + <usize>c0, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), changetype<ConvParams>(O.params(r)), <i32>c);
  }
  return F.E_OK;
}

// --- HUFFMAN: the blob's tiles, one tile's coded bytes in the stage at a time -----------
//
// stage: [ other constants (16-aligned each) | blob bytes [0, streamStart): header, codebook
//          tables, code table, tile bit table | the current tile's bytes of the stream ]
// decodeTile reads tile i's bits [tileBits[i], tileBits[i+1]) from the stream that follows
// the tile bit table, so the staged copy of that table is rewritten for each tile to the
// bits' offsets within the bytes fetched (the flash copy is never touched). The decoder never
// reads at or past the end bit (kernels/huffman.ts), so the tile's bytes are all it reads.

/** True if constant t's blob is Huffman-coded (its header read from flash). */
function huffmanBlob(t: u32): bool {
  return ((readU32(fileOffset(t) + F.P_BITS) >>> 8) & 0xff) != 0; // u8 bits | u8 huffman | u16 tables
}

/** Bytes of op r's constants other than the filter, each 16-aligned, staged once each. */
function otherBytes(r: usize): u64 {
  let n: u64 = 0;
  for (let k: u32 = 2; k < O.nIn(r); k++) if (stagedOther(r, k)) n += a16(<u64>M.byteCount(O.input(r, k)));
  return n;
}

function stagedOther(r: usize, k: u32): bool {
  const t = O.input(r, k);
  if (!isConst(t) || t == O.input(r, 1)) return false;
  for (let j: u32 = 2; j < k; j++) if (O.input(r, j) == t) return false;
  return true;
}

/** Stage bytes of a Huffman-tiled op: the other constants, the blob up to its stream, its largest tile's bytes (flash reads, at load). */
function huffmanBytes(r: usize): u64 {
  const base = fileOffset(O.input(r, 1));
  const payloadOff = readU32(base + F.P_PAYLOAD_OFF), tiles = readU32(base + F.P_TILE_COUNT);
  let nsym: u32 = 0;
  for (let j: u32 = 0; j < 8; j++) { // u16 counts[16] (counts[0] is 0)
    const v = readU32(base + payloadOff + F.HUF_COUNTS + 4 * j);
    nsym += (v & 0xffff) + (v >>> 16);
  }
  const tb = payloadOff + F.HUF_SYMBOLS + ((nsym + 3) & ~3);
  const streamStart = tb + 4 * (tiles + 1);
  let largest: u32 = 0, start = readU32(base + tb);
  for (let i: u32 = 1; i <= tiles; i++) {
    const end = readU32(base + tb + 4 * i);
    largest = max(largest, ((end + 7) >> 3) - (start >> 3));
    start = end;
  }
  return otherBytes(r) + <u64>streamStart + <u64>largest;
}

function runHuffmanTiles(r: usize): i32 {
  let at: usize = 0;
  for (let k: u32 = 2; k < O.nIn(r); k++) {
    if (!stagedOther(r, k)) continue;
    const t = O.input(r, k), n = M.byteCount(t);
    const err = fetch(t, 0, n, at);
    if (err != F.E_OK) return err;
    store<u32>(M.rec(t) + F.T_OFFSET, <u32>at);
    at = next16(at, n);
  }
  const w = O.input(r, 1), b = stagePtr + at;
  // header, then up to the code table's symbols (their count sizes the rest), then the rest of the tables
  let err = fetch(w, 0, F.P_HEADER_BYTES, at);
  const payloadOff = load<u32>(b + F.P_PAYLOAD_OFF), tiles = load<u32>(b + F.P_TILE_COUNT);
  if (err == F.E_OK) err = fetch(w, F.P_HEADER_BYTES, payloadOff + F.HUF_SYMBOLS - F.P_HEADER_BYTES, at + F.P_HEADER_BYTES);
  const streamStart = huffmanStreamStart(b);
  if (err == F.E_OK) err = fetch(w, payloadOff + F.HUF_SYMBOLS, streamStart - payloadOff - F.HUF_SYMBOLS, at + <usize>(payloadOff + F.HUF_SYMBOLS));
  if (err != F.E_OK) return err;
  store<u32>(M.rec(w) + F.T_OFFSET, <u32>at);
  const tb = b + <usize>(streamStart - 4 * (tiles + 1));
  let start = load<u32>(tb);
  for (let i: u32 = 0; i < tiles; i++) {
    const end = load<u32>(tb + (<usize>(i + 1) << 2));
    const first = start >> 3;
    err = fetch(w, streamStart + first, ((end + 7) >> 3) - first, at + <usize>streamStart);
    if (err != F.E_OK) return err;
    store<u32>(tb + (<usize>i << 2), start & 7);
    store<u32>(tb + (<usize>(i + 1) << 2), end - (first << 3));
    runHuffmanTile(r, O.opcode(r), w, b, <i32>i);
    start = end;
  }
  return F.E_OK;
}

// --- ROWS: reference layouts, the row-range kernels -------------------------------------

/** Row-layout conv / FC by n channels: w rows [c0, c0 + n), bias/mult/shift slices; y written in place. */
function runRowTiles(r: usize, tile: u32): i32 {
  const x = O.input(r, 0), w = O.input(r, 1), bias = O.input(r, 2), mult = O.input(r, 3), shift = O.input(r, 4), y = O.output(r, 0);
  const oc = <u32>M.dim(w, 0), row = M.byteCount(w) / oc;
  const xp = M.dataOf(x), yp = M.dataOf(y);
  const conv = O.opcode(r) == F.OP_CONV_2D;
  for (let c0: u32 = 0; c0 < oc; c0 += tile) {
    const n = min(tile, oc - c0);
    let err = fetch(w, c0 * row, n * row, 0);
    let at = next16(0, n * row);
    const bp: usize = bias == F.NO_TENSOR ? 0 : stagePtr + at;
    if (err == F.E_OK && bias != F.NO_TENSOR) { err = fetch(bias, c0 * 4, n * 4, at); at = next16(at, n * 4); }
    const mp = stagePtr + at;
    if (err == F.E_OK) err = fetch(mult, c0 * 4, n * 4, at);
    at = next16(at, n * 4);
    const sp = stagePtr + at;
    if (err == F.E_OK) err = fetch(shift, c0 * 4, n * 4, at);
    if (err != F.E_OK) return err;
    if (conv) {
      if (HAS_CONV_REF) conv_s8_rows(xp, M.dim(x, 1), M.dim(x, 2), M.dim(x, 3), stagePtr, M.dim(w, 1), M.dim(w, 2), M.dim(w, 3), bp, mp, sp,
        yp, M.dim(y, 0), M.dim(y, 1), M.dim(y, 2), M.dim(y, 3), <i32>c0, <i32>(c0 + n), changetype<ConvParams>(O.params(r)));
    } else {
      const depth = M.dim(w, 1);
      if (HAS_FC_REF) fc_s8_rows(xp, M.elements(x) / depth, depth, stagePtr, <i32>oc, bp, mp, sp, yp,
        O.param(r, 0), O.param(r, 1), O.param(r, 2), O.param(r, 3), <i32>c0, <i32>(c0 + n));
    }
  }
  return F.E_OK;
}
