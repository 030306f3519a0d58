// Streamed build (entry of build/edgepack-streamed.wasm): the .epk stays in the host's
// memory (flash on a device). Only what invoke reads is copied into linear memory: the
// header, section table, tensor records, op records and I/O list (the file's prefix up to
// the end of those sections); tensor names (Strings) and constants (Data) stay in flash.
// Before each op the runtime pulls that op's constants through ONE imported function,
// env.ep_read (stream-io.ts), into a bounded stage. Ops whose constants do not fit are run
// in tiles of output channels, whatever layout the converter wrote (stream-tiles.ts).
//
// Linear memory (streamed mode), every region 16-aligned:
//   [ statics | header .. I/O records | arena | kernel scratch | stage ]
//   ^0        ^modelPtr               ^arenaPtr                ^stagePtr
// Peak RAM = all of it (load-time reads of the CRC and packed blobs reuse the space of the
// arena and stage, and count when they run past it); nothing grows after ep_stream_load.
// The stage defaults to min(what the largest op needs untiled, DEFAULT_STAGE_BYTES), never
// below the smallest stage that runs every op (stageMin).
// Packed (compressed) filters are staged as their blob (stored bytes, not decoded bytes)
// and run by the packed kernels: codebook indices through the LUT (the blob whole),
// Huffman tiles decoded into the kernel scratch one tile at a time (the blob whole when
// it fits the stage, else one tile's coded bytes at a time), so no decoded copy of a
// filter exists. At load every blob is read once through the host and checked like in resident
// mode (packed.ts checkBlob) in the space the arena and stage later occupy.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import * as msg from './message';
import { crc32Update } from './crc32';
import { validateOps } from './ops';
import { runOp } from './interpreter';
import { checkBlob, isPacked } from './packed';
import { fetch, fileOffset, read, readU32, setLayout, setStage } from './stream-io';
import { TILE_NONE, runTiled, smallestTile, tileKind } from './stream-tiles';
import { withinLimit } from './memory-limit';
import { RQ_QUAD_BYTES, channelsOf, blockedFilterProblem, constKindProblem, lastSliceAt, paddedTaps, requantInput, requantKind, tailProblem, wordsProblem } from './const-check';

export {
  ep_input_count, ep_output_count, ep_input_ptr, ep_input_bytes, ep_output_ptr, ep_output_bytes,
  ep_arena_bytes, ep_scratch_bytes, ep_arena_ptr, ep_error_ptr, ep_error_len,
  ep_set_memory_limit, ep_memory_high_water,
} from './index';

/** Stage bytes when the host asks for the default (stage 0): 8 KiB, or less when every op fits in less. */
export const DEFAULT_STAGE_BYTES: u32 = 8192;
const ALIGN: usize = 16;
const CRC_CHUNK: u32 = 4096; // bytes per host read while checking the CRC at load
const CHECK_CHUNK_MIN: u32 = 48; // one requant-table quad (const-check.ts)
const CHECK_CHUNK_MAX: u32 = 48 * 64; // bytes per host read while checking requant constants
const MEMORY_END: u64 = <u64>1 << 32; // a wasm32 memory's size limit

let ready = false;
let stageBytes: u32 = 0;
let stageWhole: u32 = 0; // stage bytes that run every op untiled
let stageMin: u32 = 0; // stage bytes below which some op cannot run at all
let memoryUsed: usize = 0;
let loadPeak: usize = 0; // highest address load-time reads touched

// @ts-ignore: decorator
@inline function alignUp(n: usize): usize {
  return (n + ALIGN - 1) & ~(ALIGN - 1);
}

function ensureMemory(end: u64): bool {
  if (!withinLimit(end)) return false; // the host's grant (memory-limit.ts)
  if (end > <u64>loadPeak) loadPeak = <usize>end;
  const have = <u64>memory.size() << 16;
  if (end <= have) return true;
  return memory.grow(<i32>((end - have + 0xffff) >> 16)) >= 0;
}

/**
 * Loads a model the host holds (fileBytes long) with a stage of `stageLimit` bytes
 * (0: the default, min(stage to run every op untiled, DEFAULT_STAGE_BYTES) but at least the
 * smallest stage; a limit above what every op needs untiled is cut to that). Returns an error code.
 */
export function ep_stream_load(fileBytes: u32, stageLimit: u32): i32 {
  msg.clear();
  ready = false;
  loadPeak = 0;
  const base = alignUp(__heap_base);
  if (fileBytes < F.HEADER_BYTES) return M.failAt(F.E_TRUNCATED, 'file is shorter than the 32-byte header', fileBytes);
  if (!ensureMemory(<u64>base + F.HEADER_BYTES)) return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory for the header');
  if (!read(0, base, F.HEADER_BYTES)) return M.fail(F.E_TRUNCATED, 'host could not read the header');
  if (load<u32>(base + F.H_MAGIC) != F.MAGIC) return M.failAt(F.E_BAD_MAGIC, 'not an .epk file (magic)', 0);
  if (load<u32>(base + F.H_FILE_BYTES) > fileBytes) return M.failAt(F.E_TRUNCATED, 'file is truncated: header says more bytes than were given', fileBytes);
  const count = <u32>load<u16>(base + F.H_SECTION_COUNT);
  const tableEnd = F.HEADER_BYTES + count * F.SECTION_ENTRY_BYTES; // <= 32 + 65535 * 16: no wrap
  if (tableEnd > fileBytes) return M.failAt(F.E_BAD_SECTION, 'section table runs past the end of the file', F.HEADER_BYTES);
  if (!ensureMemory(<u64>base + tableEnd) || !read(F.HEADER_BYTES, base + F.HEADER_BYTES, tableEnd - F.HEADER_BYTES)) {
    return M.fail(F.E_TRUNCATED, 'host could not read the section table');
  }
  const prefix = metadataEnd(base, count, fileBytes);
  // the resident builds' messages (model.ts loadSections): one rule, one answer in every build
  if (prefix == META_MISSING) return M.failAt(F.E_BAD_SECTION, 'a required section is missing', F.H_SECTION_COUNT);
  if (prefix == META_OUTSIDE) return M.failAt(F.E_BAD_SECTION, 'section lies outside the file or is misaligned', F.HEADER_BYTES);
  if (prefix == META_LAYOUT) return M.failAt(F.E_BAD_SECTION, 'the Data section must start after the end of the Tensors, Ops and IO sections', F.HEADER_BYTES);
  // every address below is checked in 64 bits against the 4 GiB of a wasm32 memory first
  if (<u64>base + <u64>prefix + <u64>ALIGN > MEMORY_END) return M.fail(F.E_OUT_OF_MEMORY, 'model metadata does not fit in a 4 GiB memory');
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
  setLayout(load<u32>(dataEntry(base, count) + F.SE_OFFSET), <u32>(M.tensorsPtr - base));
  err = checkStreamedBlobs(chunk);
  if (err == F.E_OK) err = validateOps();
  if (err != F.E_OK) return err;
  measureStage();
  stageBytes = stageLimit == 0 ? max(stageMin, min(stageWhole, DEFAULT_STAGE_BYTES)) : min(stageLimit, stageWhole);
  if (stageBytes < stageMin) {
    msg.clear();
    msg.text('stage of ');
    msg.num(stageBytes);
    msg.text(' bytes is too small: streamed mode needs at least ');
    msg.num(stageMin);
    return F.E_OUT_OF_MEMORY;
  }
  const arena = chunk;
  // 64-bit sums: arena + arena_bytes + scratch + stage cannot wrap past 2^32 and land the
  // stage over the arena or the metadata
  const stage64 = (<u64>arena + <u64>M.arenaBytes + <u64>M.scratchBytes + <u64>ALIGN - 1) & ~(<u64>ALIGN - 1);
  const end64 = stage64 + <u64>stageBytes;
  if (end64 > MEMORY_END || !ensureMemory(end64)) return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory to hold the arena and stage');
  const stage = <usize>stage64;
  // requantization constants (const-check.ts) read from flash through the space of the
  // arena, scratch and stage, which nothing uses yet
  const room = <u64>max<u64>(end64 - <u64>arena, <u64>CHECK_CHUNK_MIN);
  if (!ensureMemory(<u64>arena + room)) return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory to check requantization constants');
  err = checkStreamedRequant(arena, <u32>min<u64>(room, <u64>CHECK_CHUNK_MAX));
  if (err != F.E_OK) return err;
  memory.fill(arena, 0, <usize>M.arenaBytes);
  M.markLoaded(arena);
  M.resetVariables();
  setStage(stage);
  M.setDataPtr(stage);
  memoryUsed = max(stage + stageBytes, loadPeak);
  ready = true;
  return F.E_OK;
}

/**
 * Reads and checks every packed blob (resident mode's checks, packed.ts checkBlob) at
 * `temp`: first the 32-byte headers of all packed tensors side by side (they stay there,
 * each record pointing at its header, while validateOps reads rows), then each blob
 * whole after them, one at a time. The records' offsets are file offsets until here;
 * afterwards a constant's record holds its stage offset while it is staged.
 */
function checkStreamedBlobs(temp: usize): i32 {
  let packed: u32 = 0;
  for (let t: u32 = 0; t < M.tensorCount; t++) if (M.kind(t) == F.KIND_CONST && isPacked(t)) packed++;
  if (packed == 0) return F.E_OK;
  if (<u64>temp + <u64>packed * F.P_HEADER_BYTES + <u64>ALIGN > MEMORY_END) return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory to check packed weights');
  const blobs = alignUp(temp + <usize>packed * F.P_HEADER_BYTES);
  if (!ensureMemory(<u64>blobs + F.P_HEADER_BYTES)) return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory to check packed weights');
  M.setDataPtr(blobs);
  let k: u32 = 0;
  for (let t: u32 = 0; t < M.tensorCount; t++) {
    if (M.kind(t) != F.KIND_CONST || !isPacked(t)) continue;
    const r = M.rec(t);
    const where = <i64>(r - M.modelPtr);
    const off = <u64>load<u32>(r + F.T_OFFSET);
    const at = fileOffset(t);
    if (off + F.P_HEADER_BYTES > <u64>M.dataLen) return M.failAt(F.E_BAD_TENSOR, 'constant tensor lies outside the data section', where);
    if (!read(at, blobs, F.P_HEADER_BYTES)) return M.failAt(F.E_TRUNCATED, 'host could not read a packed blob', at);
    const size = load<u32>(blobs + F.P_BLOB_BYTES);
    if (off + <u64>size > <u64>M.dataLen) return M.failAt(F.E_BAD_TENSOR, 'constant tensor lies outside the data section', where);
    if (size >= F.P_HEADER_BYTES) {
      if (!ensureMemory(<u64>blobs + <u64>size)) return M.fail(F.E_OUT_OF_MEMORY, 'cannot grow memory to check packed weights');
      if (!read(at, blobs, size)) return M.failAt(F.E_TRUNCATED, 'host could not read a packed blob', at);
    }
    store<u32>(r + F.T_OFFSET, 0);
    const problem = checkBlob(t);
    if (problem != msg.NO_MESSAGE) return M.failAt(F.E_BAD_TENSOR, problem, where);
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

/**
 * const-check.ts's checks of every requant constant, read from flash through `buf`
 * (bufBytes >= 48) in chunks of whole 48-byte quads, and of every blocked filter's
 * padding taps, one 32-byte slice per quad of channels.
 */
function checkStreamedRequant(buf: usize, bufBytes: u32): i32 {
  const step = bufBytes - bufBytes % RQ_QUAD_BYTES;
  let r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++) {
    for (let s: u32 = 0; s < 2; s++) {
      const t = requantInput(r, s);
      if (t == F.NO_TENSOR) break;
      let problem = constKindProblem(t);
      const total = M.byteCount(t), base = fileOffset(t);
      for (let at: u32 = 0; problem == msg.NO_MESSAGE && at < total; at += step) {
        const n = min(step, total - at);
        if (!read(base + at, buf, n)) return M.failAt(F.E_TRUNCATED, 'host could not read a constant tensor', base + at);
        problem = wordsProblem(requantKind(r, s), buf, (at / RQ_QUAD_BYTES) * 4, n, channelsOf(r, O.opcode(r)));
      }
      if (problem != msg.NO_MESSAGE) return O.failOp(i, r, F.E_BAD_OP, problem);
    }
    let problem = blockedFilterProblem(r);
    const pad = problem == msg.NO_MESSAGE ? paddedTaps(r) : 0;
    if (pad != 0) {
      const w = O.input(r, 1), k8 = <u32>M.dim(w, 1), quads = <u32>M.dim(w, 0) >> 2;
      for (let q: u32 = 0; problem == msg.NO_MESSAGE && q < quads; q++) {
        const at = fileOffset(w) + lastSliceAt(q, k8);
        if (!read(at, buf, 32)) return M.failAt(F.E_TRUNCATED, 'host could not read a constant tensor', at);
        problem = tailProblem(buf, pad);
      }
    }
    if (problem != msg.NO_MESSAGE) return O.failOp(i, r, F.E_BAD_OP, problem);
    r = O.next(r);
  }
  return F.E_OK;
}

/** Bytes an op stages for constant t: its blob when packed (read from flash), else its bytes. */
function stagedBytes(t: u32): u32 {
  return isPacked(t) ? readU32(fileOffset(t) + F.P_BLOB_BYTES) : M.byteCount(t);
}

function dataEntry(base: usize, count: u32): usize {
  for (let i: u32 = 0; i < count; i++) {
    const e = base + F.HEADER_BYTES + <usize>i * F.SECTION_ENTRY_BYTES;
    if (load<u32>(e + F.SE_KIND) == F.S_DATA) return e;
  }
  return 0;
}

/**
 * Bytes from the start of the file to the end of the Tensors, Ops and IO sections (what
 * stays in RAM), or META_LAYOUT if the Data section starts before that end (model.ts
 * layoutProblem: the same rule in every build), META_OUTSIDE if a section lies past the file,
 * META_MISSING without a Data section. Strings may lie anywhere: they are never read.
 */
const META_LAYOUT: u32 = 0; // metadataEnd failures (a real prefix is >= 32 bytes)
const META_OUTSIDE: u32 = 1;
const META_MISSING: u32 = 2;

function metadataEnd(base: usize, count: u32, fileBytes: u32): u32 {
  let end: u32 = F.HEADER_BYTES + count * F.SECTION_ENTRY_BYTES;
  const data = dataEntry(base, count);
  if (data == 0) return META_MISSING;
  for (let i: u32 = 0; i < count; i++) {
    const e = base + F.HEADER_BYTES + <usize>i * F.SECTION_ENTRY_BYTES;
    const kind = load<u32>(e + F.SE_KIND), off = load<u32>(e + F.SE_OFFSET), size = load<u32>(e + F.SE_BYTES);
    if (<u64>off + <u64>size > <u64>fileBytes) return META_OUTSIDE;
    if (kind == F.S_TENSORS || kind == F.S_OPS || kind == F.S_IO) end = max(end, off + size);
  }
  return load<u32>(data + F.SE_OFFSET) >= end ? end : META_LAYOUT;
}

/** CRC-32 of bytes 16.. of the file: the prefix from memory, the rest through `chunk` (chunkBytes long). */
function checkCrc(base: usize, prefix: u32, fileBytes: u32, chunk: usize, chunkBytes: u32): i32 {
  let c = crc32Update(0xffffffff, base + F.CRC_START, prefix - F.CRC_START);
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
  let n: u64 = 0; // up to 255 inputs of < 2^32 bytes each: summed in 64 bits, saturated
  for (let k: u32 = 0; k < O.nIn(r); k++) {
    if (isStagedInput(r, k)) n += (<u64>stagedBytes(O.input(r, k)) + <u64>ALIGN - 1) & ~(<u64>ALIGN - 1);
  }
  return <u32>min<u64>(n, 0xffffffff);
}

function measureStage(): void {
  stageWhole = 0;
  stageMin = 0;
  let r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++) {
    const whole = wholeBytes(r);
    const kind = tileKind(r);
    stageWhole = max(stageWhole, whole);
    stageMin = max(stageMin, kind != TILE_NONE ? min(whole, <u32>smallestTile(r, kind)) : whole);
    r = O.next(r);
  }
}

// --- invoke --------------------------------------------------------------------------

function runStreamed(r: usize): i32 {
  return wholeBytes(r) <= stageBytes ? runStaged(r) : runTiled(r, stageBytes);
}

export function ep_invoke(): i32 {
  if (!M.loaded || !ready) return M.fail(F.E_NOT_LOADED, 'no model loaded');
  let r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++) {
    const err = runStreamed(r);
    if (err != F.E_OK) return err;
    r = O.next(r);
  }
  return F.E_OK;
}

/** Sets every variable tensor (state kept across invokes, in the arena) back to its value at load. */
export function ep_reset(): i32 {
  if (!M.loaded || !ready) return M.fail(F.E_NOT_LOADED, 'no model loaded');
  M.resetVariables();
  return F.E_OK;
}

export function ep_op_count(): u32 { return M.loaded && ready ? M.opCount : 0; }

/** Runs op i alone (ops must still run in order 0..n-1): per-op profiling on a device. */
export function ep_invoke_op(i: u32): i32 {
  if (!M.loaded || !ready) return M.fail(F.E_NOT_LOADED, 'no model loaded');
  if (i >= M.opCount) return M.fail(F.E_BAD_OP, 'op index out of range');
  let r = M.firstOp;
  for (let k: u32 = 0; k < i; k++) r = O.next(r);
  return runStreamed(r);
}

/** Stages every distinct constant input of op r whole and runs it. */
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
  return runOp(r);
}

// --- memory report -------------------------------------------------------------------

export function ep_stream_stage_bytes(): u32 { return ready ? stageBytes : 0; }
export function ep_stream_min_bytes(): u32 { return stageMin; }
export function ep_stream_whole_bytes(): u32 { return stageWhole; }
/** Bytes of linear memory the loaded model uses: statics + metadata + arena + scratch + stage (or the load-time peak, if higher). */
export function ep_memory_used(): u32 { return ready ? <u32>memoryUsed : 0; }
export function ep_heap_base(): u32 { return <u32>alignUp(__heap_base); }
