// Load-time range checks of the int32 constants the requantization reads: the plain
// per-channel `mult`/`shift` tensors of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, and
// the packed layouts' requant table (48 bytes per quad of channels, kernels/requant-simd.ts).
// The converter emits (src/passes/quant-math.ts quantizeMultiplier, layout-weights.ts
// requantTable) only:
//   mult  0 or in [2^30, 2^31)               shift in [-31, 31]
//   table lane c < channels: m as above, 2^left with left in [0, 31] (2^31 stored as i32.MIN),
//         1023 - e with e in [0, 31], left = 0 or e = 0 (shift = left - e);
//         padding lanes (c >= channels): m 0, 2^0, 1023.
// Outside those ranges the SIMD and scalar kernels may round differently, so every build
// refuses such a file the same way (docs/FORMAT.md "What the loader checks").
// Reads go through a ConstReader: resident builds return the bytes in place, the streamed
// build reads them from flash (env.ep_read) into a buffer, whole 48-byte quads at a time.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import { Msg, NO_MESSAGE } from './message';

/** Returns the address of bytes [at, at + n) of constant t (copied to `buf` if need be), or 0 if unreadable. */
export type ConstReader = (t: u32, at: u32, n: u32, buf: usize) => usize;

const RQ_QUAD_BYTES: u32 = 48;
const MULT_MIN: i32 = 1 << 30;

/** Resident builds: the Data section is in linear memory. */
export function residentReader(t: u32, at: u32, n: u32, buf: usize): usize {
  return M.dataOf(t) + <usize>at;
}

// @ts-ignore: decorator
@inline function multOk(m: i32): bool { return m == 0 || m >= MULT_MIN; } // as i32: [2^30, 2^31)
// @ts-ignore: decorator
@inline function shiftOk(s: i32): bool { return s >= -31 && s <= 31; }

const WORDS_MULT: u32 = 0;
const WORDS_SHIFT: u32 = 1;
const WORDS_TABLE: u32 = 2;

function quadProblem(q: usize, first: u32, channels: u32): Msg {
  for (let l: u32 = 0; l < 4; l++) {
    const m = load<i32>(q + (<usize>l << 2));
    const p = load<u32>(q + 16 + (<usize>l << 2));
    const x = load<i32>(q + 32 + (<usize>l << 2));
    if (first + l >= channels) {
      if (m != 0 || p != 1 || x != 1023) return 'requant table padding lanes must hold m 0, 2^0 and 1023';
      continue;
    }
    if (!multOk(m)) return 'requant table multiplier is not 0 nor in [2^30, 2^31)';
    if (popcnt(p) != 1 || x < 1023 - 31 || x > 1023 || (p != 1 && x != 1023)) return 'requant table shift entries are not 2^left and 1023 - e of a shift in [-31, 31]';
  }
  return NO_MESSAGE;
}

function wordsProblem(kind: u32, p: usize, first: u32, n: u32, channels: u32): Msg {
  if (kind == WORDS_TABLE) {
    for (let k: u32 = 0; k < n; k += RQ_QUAD_BYTES) {
      const problem = quadProblem(p + k, first + (k / RQ_QUAD_BYTES) * 4, channels);
      if (problem != NO_MESSAGE) return problem;
    }
    return NO_MESSAGE;
  }
  for (let k: u32 = 0; k < n; k += 4) {
    const v = load<i32>(p + k);
    if (kind == WORDS_MULT && !multOk(v)) return 'requantization multiplier is not 0 nor in [2^30, 2^31)';
    if (kind == WORDS_SHIFT && !shiftOk(v)) return 'requantization shift is not in [-31, 31]';
  }
  return NO_MESSAGE;
}

/** Checks constant t's words in chunks of at most bufBytes (a multiple of 48); first channel 0. */
function checkWords(t: u32, kind: u32, channels: u32, read: ConstReader, buf: usize, bufBytes: u32): Msg {
  if (M.kind(t) != F.KIND_CONST) return 'requantization parameters must be constant tensors';
  const total = M.byteCount(t);
  const step = bufBytes - bufBytes % RQ_QUAD_BYTES;
  for (let at: u32 = 0; at < total; at += step) {
    const n = min(step, total - at);
    const p = read(t, at, n, buf);
    if (p == 0) return 'host could not read a constant tensor';
    const problem = wordsProblem(kind, p, (at / RQ_QUAD_BYTES) * 4, n, channels);
    if (problem != NO_MESSAGE) return problem;
  }
  return NO_MESSAGE;
}

/** Output channels of a conv / depthwise / FC op (validateOps has checked the shapes). */
function channelsOf(r: usize, code: u32): u32 {
  const y = O.output(r, 0);
  if (code == F.OP_FULLY_CONNECTED) {
    if (O.isPacked(r)) return <u32>(M.elements(y) / (M.elements(O.input(r, 0)) / O.param(r, 5)));
    return <u32>M.dim(O.input(r, 1), 0);
  }
  return <u32>M.dim(y, 3);
}

/**
 * Walks the validated op list and checks every requantization constant. `buf`/`bufBytes`:
 * where a reader may copy (bufBytes >= 48). Returns an error code (message set).
 */
export function checkRequantConstants(read: ConstReader, buf: usize, bufBytes: u32): i32 {
  let r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++) {
    const code = O.opcode(r);
    if (code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D || code == F.OP_FULLY_CONNECTED) {
      const channels = channelsOf(r, code);
      let problem: Msg = NO_MESSAGE;
      if (O.isPacked(r)) problem = checkWords(O.input(r, 3), WORDS_TABLE, channels, read, buf, bufBytes);
      else {
        problem = checkWords(O.input(r, 3), WORDS_MULT, channels, read, buf, bufBytes);
        if (problem == NO_MESSAGE) problem = checkWords(O.input(r, 4), WORDS_SHIFT, channels, read, buf, bufBytes);
      }
      if (problem != NO_MESSAGE) return O.failOp(i, r, F.E_BAD_OP, problem);
    }
    r = O.next(r);
  }
  return F.E_OK;
}
