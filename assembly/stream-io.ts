// Streamed build: the one host import (env.ep_read) and the reads built on it. The .epk
// stays in the host's flash; constant tensors are fetched into the stage before the op that
// reads them, and the records' file offsets are read from flash too (a staged tensor's
// record in RAM holds its offset in the stage, not in the file).

import * as F from './format';
import * as M from './model';

/** Host import: copy `len` bytes of the .epk at file offset `offset` to linear memory `dst`. 0 = ok. */
// @ts-ignore: decorator
@external('env', 'ep_read')
declare function hostRead(offset: u32, dst: usize, len: u32): i32;

const word = memory.data(4); // one u32 read from flash

export let dataOffset: u32 = 0; // file offset of the Data section
export let tensorsOffset: u32 = 0; // file offset of the Tensors section
export let stagePtr: usize = 0;

export function setLayout(data: u32, tensors: u32): void {
  dataOffset = data;
  tensorsOffset = tensors;
}

export function setStage(ptr: usize): void {
  stagePtr = ptr;
}

export function read(offset: u32, dst: usize, len: u32): bool {
  return len == 0 || hostRead(offset, dst, len) == 0;
}

/** u32 at file offset `offset`, or 0xffffffff if the host cannot read it. */
export function readU32(offset: u32): u32 {
  return read(offset, word, 4) ? load<u32>(word) : 0xffffffff;
}

/** File offset of constant tensor t's bytes (its record's offset field, read from flash). */
export function fileOffset(t: u32): u32 {
  return dataOffset + readU32(tensorsOffset + t * F.TENSOR_RECORD_BYTES + F.T_OFFSET);
}

/** Copies n bytes of constant t, from byte `from` of it, to stage offset `at`. */
export function fetch(t: u32, from: u32, n: u32, at: usize): i32 {
  const off = fileOffset(t) + from;
  if (!read(off, stagePtr + at, n)) return M.failAt(F.E_TRUNCATED, 'host could not read a constant tensor', off);
  return F.E_OK;
}

/**
 * Gathers `count` runs of n bytes of constant t, `stride` bytes apart from byte `from`, into
 * stage offset `at` back to back: a channel group [from, from + n) of a [.., stride] tensor.
 */
export function fetchStrided(t: u32, from: u32, count: u32, n: u32, stride: u32, at: usize): i32 {
  const base = fileOffset(t) + from;
  for (let i: u32 = 0; i < count; i++) {
    const off = base + i * stride;
    if (!read(off, stagePtr + at + <usize>(i * n), n)) return M.failAt(F.E_TRUNCATED, 'host could not read a constant tensor', off);
  }
  return F.E_OK;
}
