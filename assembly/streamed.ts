// Streamed build (entry of build/edgepack-streamed.wasm): the .epk stays in the host's
// memory (flash on a device). Only the file's metadata prefix (header, section table,
// tensors, ops, I/O, strings) is copied into linear memory; before each op the runtime
// pulls that op's constants through ONE imported function, env.ep_read, into a bounded
// stage area. Conv and fully-connected ops whose constants do not fit are run in tiles of
// output channels (weights rows, bias/multiplier/shift slices, a tile of output).
//
// Linear memory (streamed mode), every region 16-aligned:
//   [ statics | metadata prefix | const offsets (4 B/tensor) | stored bytes (4 B/tensor) | arena | kernel scratch | stage ]
//   ^0        ^modelPtr                                                                 ^arenaPtr                ^stagePtr
// Peak RAM = all of it; nothing grows after ep_stream_load.
// Packed (compressed) filters are staged whole as their blob (stored bytes, not decoded
// bytes) and run by the packed kernels: codebook indices through the LUT, Huffman tiles
// decoded into the kernel scratch one tile at a time, so no decoded copy of a filter
// exists. At load every blob is read once through the host and checked like in resident
// mode (packed.ts checkBlob) in the space the arena and stage later occupy.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import * as msg from './message';
import { crc32Update } from './crc32';
import { validateOps } from './ops';
import { runOp } from './interpreter';
import { checkBlob, isPacked } from './packed';
import { withinLimit } from './memory-limit';

export {
  ep_input_count, ep_output_count, ep_input_ptr, ep_input_bytes, ep_output_ptr, ep_output_bytes,
  ep_arena_bytes, ep_scratch_bytes, ep_arena_ptr, ep_error_ptr, ep_error_len,
  ep_set_memory_limit, ep_memory_high_water,
} from './index';

/** Host import: copy `len` bytes of the .epk at file offset `offset` to linear memory `dst`. 0 = ok. */
// @ts-ignore: decorator
@external('env', 'ep_read')
declare function hostRead(offset: u32, dst: usize, len: u32): i32;

const ALIGN: usize = 16;
const T_FLAGS: usize = 3; // tensor record byte 3 (src/format/constants.ts T.flags)
const CRC_CHUNK: u32 = 4096; // bytes per host read while checking the CRC at load
const SAVED_RECORDS: i32 = 5; // w, bias, multiplier, shift, output of a tiled op
const saved = memory.data(<i32>(SAVED_RECORDS * F.TENSOR_RECORD_BYTES));
const savedIds = memory.data(SAVED_RECORDS * 4);

let ready = false;
let dataOffset: u32 = 0; // file offset of the Data section
let constOffsets: usize = 0; // u32 per tensor: its offset in the Data section, as in the file
let storedSizes: usize = 0; // u32 per tensor: bytes staged (blob bytes when packed)
let stagePtr: usize = 0;
let stageBytes: u32 = 0;
let stageWhole: u32 = 0; // stage bytes that run every op untiled
let stageMin: u32 = 0; // stage bytes below which some op cannot run at all
let memoryUsed: usize = 0;

// @ts-ignore: decorator
@inline function alignUp(n: usize): usize {
  return (n + ALIGN - 1) & ~(ALIGN - 1);
}

function ensureMemory(end: u64): bool {
  if (!withinLimit(end)) return false; // the host's grant (memory-limit.ts)
  const have = <u64>memory.size() << 16;
  if (end <= have) return true;
  return memory.grow(<i32>((end - have + 0xffff) >> 16)) >= 0;
}

function read(offset: u32, dst: usize, len: u32): bool {
  return len == 0 || hostRead(offset, dst, len) == 0;
}

/**
 * Loads a model the host holds (fileBytes long) with a stage of `stageLimit` bytes
 * (0: exactly what the largest op needs untiled). Returns an error code.
 */
export function ep_stream_load(fileBytes: u32, stageLimit: u32): i32 {
  msg.clear();
  ready = false;
  const base = alignUp(__heap_base);
  if (fileBytes < F.HEADER_BYTES) return M.failAt(F.E_TRUNCATED, 'file is shorter than the 32-byte header', fileBytes);
  if (!ensureMemory(<u64>base + F.HEADER_BYTES)) return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory for the header');
  if (!read(0, base, F.HEADER_BYTES)) return M.fail(F.E_TRUNCATED, 'host could not read the header');
  if (load<u32>(base + F.H_MAGIC) != F.MAGIC) return M.failAt(F.E_BAD_MAGIC, 'not an .epk file (magic)', 0);
  if (load<u32>(base + F.H_FILE_BYTES) > fileBytes) return M.failAt(F.E_TRUNCATED, 'file is truncated: header says more bytes than were given', fileBytes);
  const count = <u32>load<u16>(base + F.H_SECTION_COUNT);
  const tableEnd = F.HEADER_BYTES + count * F.SECTION_ENTRY_BYTES;
  if (tableEnd > fileBytes) return M.failAt(F.E_BAD_SECTION, 'section table runs past the end of the file', F.HEADER_BYTES);
  if (!ensureMemory(<u64>base + tableEnd) || !read(F.HEADER_BYTES, base + F.HEADER_BYTES, tableEnd - F.HEADER_BYTES)) {
    return M.fail(F.E_TRUNCATED, 'host could not read the section table');
  }
  const prefix = metadataPrefix(base, count, fileBytes);
  if (prefix == 0) return M.failAt(F.E_BAD_SECTION, 'streamed mode needs one Data section after every other section', F.HEADER_BYTES);
  const chunk = alignUp(base + prefix);
  // the CRC chunk lies where the arena goes later: no larger than arena + scratch (from the
  // header, only a size hint here), so the check never raises the high-water mark
  const crcChunk = max<u32>(64, min<u32>(CRC_CHUNK, <u32>min<u64>(<u64>load<u32>(base + F.H_ARENA_BYTES) + <u64>load<u32>(base + F.H_SCRATCH_BYTES), CRC_CHUNK)));
  if (!ensureMemory(<u64>chunk + crcChunk)) return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory for the model metadata');
  if (!read(tableEnd, base + tableEnd, prefix - tableEnd)) return M.fail(F.E_TRUNCATED, 'host could not read the model metadata');
  let err = checkCrc(base, prefix, fileBytes, chunk, crcChunk);
  if (err == F.E_OK) err = M.loadSections(base, fileBytes, false);
  if (err == F.E_OK) err = M.loadTensors(false);
  if (err == F.E_OK) err = M.loadIO();
  if (err != F.E_OK) return err;
  constOffsets = chunk;
  storedSizes = chunk + (<usize>M.tensorCount << 2);
  if (!ensureMemory(<u64>storedSizes + (<u64>M.tensorCount << 2))) return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory for the model metadata');
  for (let t: u32 = 0; t < M.tensorCount; t++) {
    store<u32>(constOffsets + (<usize>t << 2), load<u32>(M.rec(t) + F.T_OFFSET));
    store<u32>(storedSizes + (<usize>t << 2), M.byteCount(t));
  }
  err = checkStreamedBlobs(alignUp(storedSizes + (<usize>M.tensorCount << 2)));
  if (err == F.E_OK) err = validateOps();
  if (err != F.E_OK) return err;
  for (let t: u32 = 0; t < M.tensorCount; t++) store<u32>(M.rec(t) + F.T_OFFSET, load<u32>(constOffsets + (<usize>t << 2)));
  err = measureStage();
  if (err != F.E_OK) return err;
  stageBytes = stageLimit == 0 ? stageWhole : stageLimit;
  if (stageBytes < stageMin) {
    msg.clear();
    msg.text('stage of ');
    msg.num(stageBytes);
    msg.text(' bytes is too small: streamed mode needs at least ');
    msg.num(stageMin);
    return F.E_OUT_OF_MEMORY;
  }
  const arena = alignUp(storedSizes + (<usize>M.tensorCount << 2));
  const stage = alignUp(arena + <usize>M.arenaBytes + <usize>M.scratchBytes);
  if (!ensureMemory(<u64>stage + <u64>stageBytes)) return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory to hold the arena and stage');
  memory.fill(arena, 0, <usize>M.arenaBytes);
  M.markLoaded(arena);
  stagePtr = stage;
  M.setDataPtr(stagePtr);
  memoryUsed = stage + stageBytes;
  ready = true;
  return F.E_OK;
}

/**
 * Reads and checks every packed blob (resident mode's checks, packed.ts checkBlob) at
 * `temp`: first the 32-byte headers of all packed tensors side by side (they stay there,
 * each record pointing at its header, while validateOps reads rows), then each blob
 * whole after them, one at a time. Records its blob bytes in storedSizes.
 */
function checkStreamedBlobs(temp: usize): i32 {
  let packed: u32 = 0;
  for (let t: u32 = 0; t < M.tensorCount; t++) if (M.kind(t) == F.KIND_CONST && isPacked(t)) packed++;
  if (packed == 0) return F.E_OK;
  const blobs = alignUp(temp + <usize>packed * F.P_HEADER_BYTES);
  if (!ensureMemory(<u64>blobs + F.P_HEADER_BYTES)) return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory to check packed weights');
  M.setDataPtr(blobs);
  let k: u32 = 0;
  for (let t: u32 = 0; t < M.tensorCount; t++) {
    if (M.kind(t) != F.KIND_CONST || !isPacked(t)) continue;
    const r = M.rec(t);
    const where = <i64>(r - M.modelPtr);
    const off = <u64>load<u32>(constOffsets + (<usize>t << 2));
    if (off + F.P_HEADER_BYTES > <u64>M.dataLen) return M.failAt(F.E_BAD_TENSOR, 'constant tensor lies outside the data section', where);
    if (!read(dataOffset + <u32>off, blobs, F.P_HEADER_BYTES)) return M.failAt(F.E_TRUNCATED, 'host could not read a packed blob', dataOffset + <u32>off);
    const size = load<u32>(blobs + F.P_BLOB_BYTES);
    if (off + <u64>size > <u64>M.dataLen) return M.failAt(F.E_BAD_TENSOR, 'constant tensor lies outside the data section', where);
    if (size >= F.P_HEADER_BYTES) {
      if (!ensureMemory(<u64>blobs + <u64>size)) return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory to check packed weights');
      if (!read(dataOffset + <u32>off, blobs, size)) return M.failAt(F.E_TRUNCATED, 'host could not read a packed blob', dataOffset + <u32>off);
    }
    store<u32>(r + F.T_OFFSET, 0);
    const problem = checkBlob(t);
    if (problem !== null) return M.failAt(F.E_BAD_TENSOR, problem, where);
    store<u32>(storedSizes + (<usize>t << 2), size);
    memory.copy(temp + <usize>k * F.P_HEADER_BYTES, blobs, F.P_HEADER_BYTES);
    k++;
  }
  // validateOps reads each packed filter's header (rows): point the records at the copies
  M.setDataPtr(temp);
  k = 0;
  for (let t: u32 = 0; t < M.tensorCount; t++) {
    if (M.kind(t) != F.KIND_CONST || !isPacked(t)) continue;
    store<u32>(M.rec(t) + F.T_OFFSET, k * F.P_HEADER_BYTES);
    k++;
  }
  return F.E_OK;
}

/** Bytes op inputs stage for tensor t: its blob when packed, else its bytes. */
// @ts-ignore: decorator
@inline function stagedBytes(t: u32): u32 {
  return load<u32>(storedSizes + (<usize>t << 2));
}

/** Bytes from the start of the file to the Data section, or 0 if it is not the last section. */
function metadataPrefix(base: usize, count: u32, fileBytes: u32): u32 {
  let dataAt: u32 = 0, dataEnd: u32 = 0, otherEnd: u32 = F.HEADER_BYTES + count * F.SECTION_ENTRY_BYTES;
  for (let i: u32 = 0; i < count; i++) {
    const e = base + F.HEADER_BYTES + <usize>i * F.SECTION_ENTRY_BYTES;
    const off = load<u32>(e + 4), size = load<u32>(e + 8);
    if (<u64>off + <u64>size > <u64>fileBytes) return 0;
    if (load<u32>(e) == F.S_DATA) { dataAt = off; dataEnd = off + size; }
    else otherEnd = max(otherEnd, off + size);
  }
  if (dataAt == 0 || otherEnd > dataAt) return 0;
  dataOffset = dataAt;
  return dataAt;
}

/** CRC-32 of bytes 16.. of the file: the prefix from memory, the rest through `chunk` (chunkBytes long). */
function checkCrc(base: usize, prefix: u32, fileBytes: u32, chunk: usize, chunkBytes: u32): i32 {
  let c = crc32Update(0xffffffff, base + 16, prefix - 16);
  for (let at = prefix; at < fileBytes; at += chunkBytes) {
    const n = min(chunkBytes, fileBytes - at);
    if (!read(at, chunk, n)) return M.failAt(F.E_TRUNCATED, 'host could not read the model', at);
    c = crc32Update(c, chunk, n);
  }
  if ((c ^ 0xffffffff) != load<u32>(base + F.H_CRC32)) return M.failAt(F.E_BAD_CRC, 'CRC-32 mismatch: the file is corrupted', F.H_CRC32);
  return F.E_OK;
}

// --- stage sizing --------------------------------------------------------------------

function isStagedInput(r: usize, k: u32): bool {
  const t = O.input(r, k);
  if (t == F.NO_TENSOR || M.kind(t) != F.KIND_CONST) return false;
  for (let j: u32 = 0; j < k; j++) if (O.input(r, j) == t) return false; // staged once per op
  return true;
}

/** Stage bytes to run op r untiled: every distinct constant input, each 16-aligned. */
function wholeBytes(r: usize): u32 {
  let n: usize = 0;
  for (let k: u32 = 0; k < O.nIn(r); k++) if (isStagedInput(r, k)) n += alignUp(<usize>stagedBytes(O.input(r, k)));
  return <u32>n;
}

function lastDim(t: u32): i32 {
  return M.dim(t, M.rank(t) - 1);
}

/** Conv (ungrouped) and fully connected split by output channel: [x, w, bias?, mult, shift] -> y. */
function tileable(r: usize): bool {
  const code = O.opcode(r);
  if (code != F.OP_CONV_2D && code != F.OP_FULLY_CONNECTED) return false;
  if (O.nIn(r) != 5) return false; // any other input would not be sliced
  const x = O.input(r, 0), w = O.input(r, 1), y = O.output(r, 0);
  if (M.kind(x) == F.KIND_CONST || M.kind(w) != F.KIND_CONST) return false;
  // rows of plain int8 only: an encoded tensor (flags byte set) is staged whole
  if (M.dtype(w) != F.DT_INT8 || load<u8>(M.rec(w) + T_FLAGS) != 0 || <i32>M.byteCount(w) != M.elements(w)) return false;
  if (isPacked(w)) return false; // a blob is staged whole (its tiles decode into scratch)
  if (code == F.OP_CONV_2D && M.dim(w, 3) != M.dim(x, 3)) return false;
  const oc = M.dim(w, 0);
  if (lastDim(y) != oc) return false;
  for (let k: u32 = 2; k < 5; k++) {
    const t = O.input(r, k);
    if (t == F.NO_TENSOR) continue;
    if (M.kind(t) != F.KIND_CONST || lastDim(t) != oc || M.elements(t) != oc) return false;
  }
  return true;
}

/** Stage bytes for a tile of n output channels of a tileable op. */
function tileBytes(r: usize, n: u32): u32 {
  const w = O.input(r, 1), y = O.output(r, 0);
  const oc = <u32>M.dim(w, 0);
  let bytes = alignUp(<usize>(M.byteCount(w) / oc * n)) + alignUp(<usize>(M.byteCount(y) / oc * n));
  for (let k: u32 = 2; k < 5; k++) if (O.input(r, k) != F.NO_TENSOR) bytes += alignUp(<usize>(4 * n));
  return <u32>bytes;
}

function measureStage(): i32 {
  stageWhole = 0;
  stageMin = 0;
  let r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++) {
    const whole = wholeBytes(r);
    stageWhole = max(stageWhole, whole);
    stageMin = max(stageMin, tileable(r) ? min(whole, tileBytes(r, 1)) : whole);
    r = O.next(r);
  }
  return F.E_OK;
}

// --- invoke --------------------------------------------------------------------------

export function ep_invoke(): i32 {
  if (!M.loaded || !ready) return M.fail(F.E_NOT_LOADED, 'no model loaded');
  let r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++) {
    const err = wholeBytes(r) <= stageBytes ? runStaged(r) : runTiled(r);
    if (err != F.E_OK) return err;
    r = O.next(r);
  }
  return F.E_OK;
}

export function ep_op_count(): u32 { return M.loaded && ready ? M.opCount : 0; }

/** Runs op i alone (ops must still run in order 0..n-1): per-op profiling on a device. */
export function ep_invoke_op(i: u32): i32 {
  if (!M.loaded || !ready) return M.fail(F.E_NOT_LOADED, 'no model loaded');
  if (i >= M.opCount) return M.fail(F.E_BAD_OP, 'op index out of range');
  let r = M.firstOp;
  for (let k: u32 = 0; k < i; k++) r = O.next(r);
  return wholeBytes(r) <= stageBytes ? runStaged(r) : runTiled(r);
}

/** Fetches n bytes of tensor t's constant data, from byte `from` of it, to stage offset `at`. */
function fetch(t: u32, from: u32, n: u32, at: usize): i32 {
  const fileOffset = dataOffset + load<u32>(constOffsets + (<usize>t << 2)) + from;
  if (!read(fileOffset, stagePtr + at, n)) return M.failAt(F.E_TRUNCATED, 'host could not read a constant tensor', fileOffset);
  return F.E_OK;
}

function runStaged(r: usize): i32 {
  let at: usize = 0;
  for (let k: u32 = 0; k < O.nIn(r); k++) {
    if (!isStagedInput(r, k)) continue;
    const t = O.input(r, k);
    const n = stagedBytes(t);
    const err = fetch(t, 0, n, at);
    if (err != F.E_OK) return err;
    store<u32>(M.rec(t) + F.T_OFFSET, <u32>at); // dataOf(t) = stagePtr + at; a packed blob too
    at = alignUp(at + n);
  }
  runOp(r);
  return F.E_OK;
}

function save(slot: i32, t: u32): void {
  store<u32>(savedIds + (<usize>slot << 2), t);
  if (t != F.NO_TENSOR) memory.copy(saved + <usize>slot * F.TENSOR_RECORD_BYTES, M.rec(t), F.TENSOR_RECORD_BYTES);
}

function restore(): void {
  for (let slot = SAVED_RECORDS - 1; slot >= 0; slot--) {
    const t = load<u32>(savedIds + (<usize>slot << 2));
    if (t != F.NO_TENSOR) memory.copy(M.rec(t), saved + <usize>slot * F.TENSOR_RECORD_BYTES, F.TENSOR_RECORD_BYTES);
  }
}

/** Points tensor t at `n` channels: its last dim (dim 0 for weights) becomes n. */
function narrow(t: u32, dimIndex: i32, n: u32, bytes: u32, offset: u32): void {
  const r = M.rec(t);
  store<i32>(r + F.T_DIMS + (<usize>dimIndex << 2), <i32>n);
  store<u32>(r + F.T_BYTES, bytes);
  store<u32>(r + F.T_OFFSET, offset);
}

/**
 * Runs a conv / fully-connected op tile by tile over output channels: the op's records
 * are narrowed to the tile (weights rows, per-channel slices, an output tile in the
 * stage), the unchanged kernel runs, and the tile is scattered into the real output.
 */
function runTiled(r: usize): i32 {
  if (!tileable(r)) return M.fail(F.E_OUT_OF_MEMORY, 'an op needs more stage than granted and cannot be tiled');
  const w = O.input(r, 1), y = O.output(r, 0);
  const oc = <u32>M.dim(w, 0);
  const row = M.byteCount(w) / oc;
  const outer = M.byteCount(y) / oc;
  let tile = oc;
  while (tile > 1 && tileBytes(r, tile) > stageBytes) tile = max<u32>(1, min(tile - 1, <u32>(<u64>tile * stageBytes / tileBytes(r, tile))));
  const yPtr = M.dataOf(y);
  for (let k: u32 = 1; k < 5; k++) save(<i32>k - 1, O.input(r, k));
  save(4, y);
  let err = F.E_OK;
  for (let c0: u32 = 0; c0 < oc && err == F.E_OK; c0 += tile) {
    const n = min(tile, oc - c0);
    let at: usize = 0;
    err = fetch(w, c0 * row, n * row, at);
    narrow(w, 0, n, n * row, <u32>at);
    at = alignUp(at + n * row);
    for (let k: u32 = 2; k < 5 && err == F.E_OK; k++) {
      const t = O.input(r, k);
      if (t == F.NO_TENSOR) continue;
      err = fetch(t, c0 * 4, n * 4, at);
      narrow(t, M.rank(t) - 1, n, n * 4, <u32>at);
      at = alignUp(at + n * 4);
    }
    if (err != F.E_OK) break;
    const tileOut = stagePtr + at;
    narrow(y, M.rank(y) - 1, n, outer * n, <u32>(tileOut - M.arenaPtr));
    runOp(r);
    for (let i: u32 = 0; i < outer; i++) memory.copy(yPtr + <usize>(i * oc + c0), tileOut + <usize>(i * n), n);
  }
  restore();
  return err;
}

// --- memory report -------------------------------------------------------------------

export function ep_stream_stage_bytes(): u32 { return ready ? stageBytes : 0; }
export function ep_stream_min_bytes(): u32 { return stageMin; }
export function ep_stream_whole_bytes(): u32 { return stageWhole; }
/** Bytes of linear memory the loaded model uses: statics + metadata + arena + scratch + stage. */
export function ep_memory_used(): u32 { return ready ? <u32>memoryUsed : 0; }
export function ep_heap_base(): u32 { return <u32>alignUp(__heap_base); }
