// The loaded model: validated header, sections, tensor table and I/O list, and the
// accessors every kernel call uses. Nothing here allocates; all state is globals
// pointing into the .epk bytes and the arena.
//
// Linear memory (resident mode):
//   [ statics | .epk (16-aligned) | arena (16-aligned) | scratch ]
//   ^0        ^modelPtr           ^arenaPtr           ^scratchPtr

import * as F from './format';
import * as msg from './message';
import { Msg, NO_MESSAGE } from './message';
import { crc32 } from './crc32';
import { checkBlob, isPacked, storedBytes } from './packed';

export let loaded = false;
export let modelPtr: usize = 0;
export let modelLen: u32 = 0;
export let tensorsPtr: usize = 0;
export let tensorCount: u32 = 0;
export let opsPtr: usize = 0; // first op record
export let opsEnd: usize = 0;
export let opCount: u32 = 0;
export let firstOp: usize = 0;
export let ioPtr: usize = 0;
export let ioLen: u32 = 0;
export let inputCount: u32 = 0;
export let outputCount: u32 = 0;
export let dataPtr: usize = 0;
export let dataLen: u32 = 0;
export let stringsPtr: usize = 0;
export let stringsLen: u32 = 0;
export let arenaPtr: usize = 0;
export let arenaBytes: u32 = 0;
export let scratchPtr: usize = 0;
export let scratchBytes: u32 = 0;
// Highest end of an arena tensor (loadTensors) at +0 and the scratch the ops and blobs need
// (validateOps, packed.ts) at +8, u64 each. Kept in linear memory, not in wasm globals: a
// firmware's wasm globals sit in its fixed C host RAM (src/runtime/firmware.ts), statics
// are measured with the linear memory of each build.
const NEEDS = memory.data(16);

// arena_bytes and scratch_bytes may exceed what the file's tensors and ops need only by the
// rounding to 16 the converter applies (src/passes/plan-memory.ts alignUp): a 2 KB file
// cannot make any build reserve gigabytes (docs/FORMAT.md "What the loader checks").
export const NEED_ALIGN: u64 = 16;
// @ts-ignore: decorator
@inline export function roundNeed(n: u64): u64 { return (n + NEED_ALIGN - 1) & ~(NEED_ALIGN - 1); }

/** After validateOps: arena_bytes and scratch_bytes no larger than needed (rounded up to 16). */
export function checkDeclaredSizes(): i32 {
  if (<u64>arenaBytes > roundNeed(load<u64>(NEEDS))) return failAt(F.E_BAD_SECTION, 'arena_bytes is larger than the highest arena tensor end rounded up to 16', F.H_ARENA_BYTES);
  if (<u64>scratchBytes > roundNeed(load<u64>(NEEDS, 8))) return failAt(F.E_BAD_SECTION, 'scratch_bytes is larger than the ops and packed blobs need, rounded up to 16', F.H_SCRATCH_BYTES);
  return F.E_OK;
}

/** Raises the scratch the loaded model needs to at least n bytes. */
export function needScratch(n: u64): void {
  if (n > load<u64>(NEEDS, 8)) store<u64>(NEEDS, n, 8);
}

export function fail(code: i32, what: Msg): i32 {
  msg.clear();
  msg.text(what);
  return code;
}

export function failAt(code: i32, what: Msg, offset: i64): i32 {
  msg.clear();
  msg.text(what);
  msg.text(' at byte offset ');
  msg.num(offset);
  return code;
}

// --- tensor accessors (valid after load) -------------------------------------------

// @ts-ignore: decorator
@inline export function rec(t: u32): usize { return tensorsPtr + <usize>t * F.TENSOR_RECORD_BYTES; }
// @ts-ignore: decorator
@inline export function dtype(t: u32): u8 { return load<u8>(rec(t) + F.T_DTYPE); }
// @ts-ignore: decorator
@inline export function rank(t: u32): i32 { return <i32>load<u8>(rec(t) + F.T_RANK); }
// @ts-ignore: decorator
@inline export function kind(t: u32): u8 { return load<u8>(rec(t) + F.T_KIND); }
// @ts-ignore: decorator
@inline export function dim(t: u32, k: i32): i32 { return load<i32>(rec(t) + F.T_DIMS + (<usize>k << 2)); }
// @ts-ignore: decorator
@inline export function byteCount(t: u32): u32 { return load<u32>(rec(t) + F.T_BYTES); }

/** Dimension k of the shape right-aligned to rank 4 (leading ones). */
export function dim4(t: u32, k: i32): i32 {
  const lead = 4 - rank(t);
  return k < lead ? 1 : dim(t, k - lead);
}

export function elements(t: u32): i32 {
  let n: i32 = 1;
  for (let k = 0; k < rank(t); k++) n *= dim(t, k);
  return n;
}

export function dataOf(t: u32): usize {
  const off = <usize>load<u32>(rec(t) + F.T_OFFSET);
  return kind(t) == F.KIND_CONST ? dataPtr + off : arenaPtr + off;
}

export function ioTensor(i: u32): u32 {
  return load<u32>(ioPtr + F.IO_TENSORS + (<usize>i << 2));
}

// --- load-time validation ------------------------------------------------------------

/**
 * Section layout rule, the same in every build: no two sections overlap, and the Data
 * section starts at or after the end of the Tensors, Ops and IO sections (the streamed
 * build keeps that prefix of the file in RAM and reads Data through the host; Strings may
 * lie anywhere). The writer emits Tensors, Ops, IO, Strings, Data.
 */
function layoutProblem(ptr: usize, count: u32): Msg {
  let metaEnd: u64 = 0, dataOff: u64 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const e = ptr + F.HEADER_BYTES + <usize>i * F.SECTION_ENTRY_BYTES;
    const kind = load<u32>(e + F.SE_KIND), off = <u64>load<u32>(e + F.SE_OFFSET), size = <u64>load<u32>(e + F.SE_BYTES);
    if (kind == F.S_DATA) dataOff = off;
    else if (kind != F.S_STRINGS && off + size > metaEnd) metaEnd = off + size;
    for (let j: u32 = i + 1; j < count; j++) {
      const f = ptr + F.HEADER_BYTES + <usize>j * F.SECTION_ENTRY_BYTES;
      const off2 = <u64>load<u32>(f + F.SE_OFFSET), size2 = <u64>load<u32>(f + F.SE_BYTES);
      if (size != 0 && size2 != 0 && off < off2 + size2 && off2 < off + size) return 'sections overlap';
    }
  }
  if (dataOff < metaEnd) return 'the Data section must start after the end of the Tensors, Ops and IO sections';
  return NO_MESSAGE;
}

/** Checks header, CRC and section table; sets the section pointers. */
export function loadSections(ptr: usize, len: u32, checkCrc: bool = true): i32 {
  loaded = false;
  if (len < F.HEADER_BYTES) return failAt(F.E_TRUNCATED, 'file is shorter than the 32-byte header', len);
  if (load<u32>(ptr + F.H_MAGIC) != F.MAGIC) return failAt(F.E_BAD_MAGIC, 'not an .epk file (magic)', 0);
  if (load<u16>(ptr + F.H_VERSION) != F.VERSION) return failAt(F.E_BAD_VERSION, 'unsupported format version', F.H_VERSION);
  if (<u32>load<u16>(ptr + F.H_HEADER_BYTES) != F.HEADER_BYTES) return failAt(F.E_BAD_VERSION, 'unexpected header size', F.H_HEADER_BYTES);
  const fileBytes = load<u32>(ptr + F.H_FILE_BYTES);
  if (fileBytes > len) return failAt(F.E_TRUNCATED, 'file is truncated: header says more bytes than were given', len);
  if (fileBytes < len) return failAt(F.E_BAD_SECTION, 'trailing bytes after the end the header states', fileBytes);
  if (checkCrc && crc32(ptr + F.CRC_START, len - F.CRC_START) != load<u32>(ptr + F.H_CRC32)) return failAt(F.E_BAD_CRC, 'CRC-32 mismatch: the file is corrupted', F.H_CRC32);

  if (load<u16>(ptr + F.H_FLAGS) != 0 || load<u32>(ptr + F.H_RESERVED) != 0) return failAt(F.E_BAD_VERSION, 'header flags and reserved field must be 0', F.H_FLAGS);
  const count = <u32>load<u16>(ptr + F.H_SECTION_COUNT);
  const tableEnd = <u64>F.HEADER_BYTES + <u64>count * F.SECTION_ENTRY_BYTES;
  if (tableEnd > <u64>len) return failAt(F.E_BAD_SECTION, 'section table runs past the end of the file', F.HEADER_BYTES);
  let seen: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const e = ptr + F.HEADER_BYTES + <usize>i * F.SECTION_ENTRY_BYTES;
    const kind = load<u32>(e + F.SE_KIND), off = load<u32>(e + F.SE_OFFSET), size = load<u32>(e + F.SE_BYTES);
    const where = <i64>(F.HEADER_BYTES + i * F.SECTION_ENTRY_BYTES);
    if (kind < 1 || kind > F.S_COUNT) return failAt(F.E_BAD_SECTION, 'unknown section kind', where);
    if (load<u32>(e + F.SE_RESERVED) != 0) return failAt(F.E_BAD_SECTION, 'section entry reserved field must be 0', where);
    if (seen & (1 << kind)) return failAt(F.E_BAD_SECTION, 'duplicate section', where);
    seen |= 1 << kind;
    if (<u64>off < tableEnd || <u64>off + <u64>size > <u64>len || (off & (F.SECTION_ALIGN - 1)) != 0) {
      return failAt(F.E_BAD_SECTION, 'section lies outside the file or is misaligned', where);
    }
    const p = ptr + off;
    if (kind == F.S_TENSORS) { tensorsPtr = p; tensorCount = size / F.TENSOR_RECORD_BYTES; if (size % F.TENSOR_RECORD_BYTES) return failAt(F.E_BAD_SECTION, 'tensor section size is not a multiple of 48', where); }
    else if (kind == F.S_OPS) { opsPtr = p; opsEnd = p + size; }
    else if (kind == F.S_IO) { ioPtr = p; ioLen = size; if (size < F.IO_TENSORS) return failAt(F.E_BAD_SECTION, 'I/O section too small', where); }
    else if (kind == F.S_DATA) { dataPtr = p; dataLen = size; }
    else if (kind == F.S_STRINGS) { stringsPtr = p; stringsLen = size; }
  }
  if (seen != 0b111110) return failAt(F.E_BAD_SECTION, 'a required section is missing', F.H_SECTION_COUNT);
  const layout = layoutProblem(ptr, count);
  if (layout != NO_MESSAGE) return failAt(F.E_BAD_SECTION, layout, F.HEADER_BYTES);
  if (opsEnd - opsPtr < F.OPS_RECORDS) return failAt(F.E_BAD_SECTION, 'op section too small', <i64>(opsPtr - ptr));
  if (tensorCount >= F.NO_TENSOR) return fail(F.E_BAD_SECTION, 'too many tensors');
  modelPtr = ptr;
  modelLen = len;
  arenaBytes = load<u32>(ptr + F.H_ARENA_BYTES);
  scratchBytes = load<u32>(ptr + F.H_SCRATCH_BYTES);
  return F.E_OK;
}

/**
 * Checks every tensor record: type, shape, byte count, and that its bytes lie in bounds.
 * checkBlobs = false (streamed mode, Data not in memory): packed blobs are left to the caller.
 */
export function loadTensors(checkBlobs: bool = true): i32 {
  store<u64>(NEEDS, 0);
  store<u64>(NEEDS, 0, 8);
  for (let t: u32 = 0; t < tensorCount; t++) {
    const r = rec(t);
    const where = <i64>(r - modelPtr);
    const size = F.dtypeSize(dtype(t));
    if (size == 0) return failAt(F.E_BAD_TENSOR, 'tensor has an unknown dtype', where);
    const rk = rank(t);
    if (<u32>rk > F.MAX_RANK) return failAt(F.E_BAD_TENSOR, 'tensor rank above 4', where);
    let n: u64 = 1;
    for (let k = 0; k < rk; k++) {
      const d = dim(t, k);
      if (d < 1) return failAt(F.E_BAD_TENSOR, 'tensor has a dimension below 1', where);
      n *= <u64>d;
      if (n > 0x7fffffff) return failAt(F.E_BAD_TENSOR, 'tensor is too large', where);
    }
    if (n * size != <u64>byteCount(t)) return failAt(F.E_BAD_TENSOR, 'tensor byte count does not match its shape', where);
    const off = <u64>load<u32>(r + F.T_OFFSET);
    const k = kind(t);
    if (load<u8>(r + F.T_ENCODING) > F.ENC_PACKED) return failAt(F.E_BAD_TENSOR, 'tensor has an unknown encoding', where);
    if (load<u8>(r + F.T_FLAGS) != 0 || (load<u32>(r + F.T_ENCODING) >> 8) != 0) return failAt(F.E_BAD_TENSOR, 'tensor flags and reserved bytes must be 0', where);
    if (k == F.KIND_CONST && !checkBlobs && isPacked(t)) {
      // streamed.ts reads the blob through the host and checks it (checkStreamedBlobs)
    } else if (k == F.KIND_CONST) {
      if (off + storedBytes(t) > <u64>dataLen) return failAt(F.E_BAD_TENSOR, 'constant tensor lies outside the data section', where);
      if (isPacked(t)) {
        const problem = checkBlob(t);
        if (problem != NO_MESSAGE) return failAt(F.E_BAD_TENSOR, problem, where);
      }
    } else if (isPacked(t)) {
      return failAt(F.E_BAD_TENSOR, 'only constant tensors may be packed', where);
    } else if (k == F.KIND_ARENA || k == F.KIND_VARIABLE) {
      if (off + <u64>byteCount(t) > <u64>arenaBytes) return failAt(F.E_BAD_TENSOR, 'tensor lies outside the arena', where);
      if (off + <u64>byteCount(t) > load<u64>(NEEDS)) store<u64>(NEEDS, off + <u64>byteCount(t));
      if (k == F.KIND_VARIABLE && dtype(t) == F.DT_INT8 && !fitsInt8(load<i32>(r + F.T_ZERO_POINT))) {
        return failAt(F.E_BAD_TENSOR, 'int8 variable tensor has a zero point outside [-128, 127]', where);
      }
    } else return failAt(F.E_BAD_TENSOR, 'unknown tensor kind', where);
    if (<u64>load<u32>(r + F.T_NAME_OFFSET) + <u64>load<u32>(r + F.T_NAME_BYTES) > <u64>stringsLen) {
      return failAt(F.E_BAD_TENSOR, 'tensor name lies outside the string section', where);
    }
  }
  return variableOverlap();
}

// @ts-ignore: decorator
@inline function fitsInt8(v: i32): bool { return v >= -128 && v <= 127; }

// @ts-ignore: decorator
@inline function inArena(t: u32): bool { const k = kind(t); return k == F.KIND_ARENA || k == F.KIND_VARIABLE; }

/**
 * A variable tensor's bytes hold state from one invoke to the next: no other arena or
 * variable tensor may share any of them (an op writing there would corrupt the state).
 * O(variables x tensors): models carry a handful of variables.
 */
function variableOverlap(): i32 {
  for (let v: u32 = 0; v < tensorCount; v++) {
    if (kind(v) != F.KIND_VARIABLE || byteCount(v) == 0) continue;
    const vs = <u64>load<u32>(rec(v) + F.T_OFFSET), ve = vs + <u64>byteCount(v);
    for (let t: u32 = 0; t < tensorCount; t++) {
      if (t == v || !inArena(t) || byteCount(t) == 0) continue;
      const ts = <u64>load<u32>(rec(t) + F.T_OFFSET), te = ts + <u64>byteCount(t);
      if (ts < ve && vs < te) return failAt(F.E_BAD_TENSOR, 'variable tensor shares arena bytes with another tensor', <i64>(rec(v) - modelPtr));
    }
  }
  return F.E_OK;
}

/**
 * Sets every variable tensor to its initial value, as TFLM's ResetVariableTensors: the
 * zero point byte for int8, 0 for every other dtype. At load and on ep_reset; invoke never does.
 */
export function resetVariables(): void {
  for (let t: u32 = 0; t < tensorCount; t++) {
    if (kind(t) == F.KIND_VARIABLE) resetVariable(t);
  }
}

/** One variable tensor to its initial value (resetVariables; an int8 LSTM with fresh state at every invoke). */
export function resetVariable(t: u32): void {
  const fill = dtype(t) == F.DT_INT8 ? <u8>load<i32>(rec(t) + F.T_ZERO_POINT) : <u8>0;
  memory.fill(dataOf(t), fill, <usize>byteCount(t));
}

export function loadIO(): i32 {
  inputCount = load<u32>(ioPtr + F.IO_INPUT_COUNT);
  outputCount = load<u32>(ioPtr + F.IO_OUTPUT_COUNT);
  const n = <u64>inputCount + <u64>outputCount;
  if (inputCount == 0 || outputCount == 0 || n > 1024) return failAt(F.E_BAD_IO, 'model must have 1 to 1024 inputs and outputs', <i64>(ioPtr - modelPtr));
  if (8 + 4 * n > <u64>ioLen) return failAt(F.E_BAD_IO, 'I/O list runs past its section', <i64>(ioPtr - modelPtr));
  for (let i: u32 = 0; i < <u32>n; i++) {
    const t = ioTensor(i);
    if (t >= tensorCount) return failAt(F.E_BAD_IO, 'I/O entry refers to a missing tensor', <i64>(ioPtr + F.IO_TENSORS + i * 4 - modelPtr));
    if (kind(t) != F.KIND_ARENA) return failAt(F.E_BAD_IO, 'I/O tensor is not in the arena', <i64>(ioPtr + F.IO_TENSORS + i * 4 - modelPtr));
  }
  return F.E_OK;
}

export function markLoaded(arena: usize): void {
  arenaPtr = arena;
  scratchPtr = arena + <usize>arenaBytes;
  loaded = true;
}

/** Streamed mode: constants are read from a staging area instead of the Data section. */
export function setDataPtr(p: usize): void {
  dataPtr = p;
}

export function setOps(first: usize, count: u32): void {
  firstOp = first;
  opCount = count;
}
