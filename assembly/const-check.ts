// Load-time range checks of the int32 constants the requantization reads: the plain
// per-channel `mult`/`shift` tensors of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, and
// the packed layouts' requant table (48 bytes per quad of channels, kernels/requant-simd.ts).
// The converter emits (src/passes/quant-math.ts quantizeMultiplier, layout-weights.ts
// requantTable) only:
//   mult  0 or in [2^30, 2^31)               shift in [-31, 31] (int32, or int8 beside a compressed filter)
//   (int8 mults beside a compressed filter: v in {0} u [64, 127], the multiplier v << 24)
//   table lane c < channels: m as above, 2^left with left in [0, 31] (2^31 stored as i32.MIN),
//         1023 - e with e in [0, 31], left = 0 or e = 0 (shift = left - e);
//         padding lanes (c >= channels): m 0, 2^0, 1023.
// Outside those ranges the SIMD and scalar kernels may round differently, so every build
// refuses such a file the same way (docs/FORMAT.md "What the loader checks").
// Resident builds check the bytes in place (checkRequantConstants); the streamed build reads
// them from flash (env.ep_read) into a buffer, whole 48-byte quads at a time, with the same
// per-chunk check (streamed.ts checkStreamedRequant). No function references: the firmware
// builds (wasm2c) have no funcref table.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import { Msg, NO_MESSAGE } from './message';
import { isS16 } from './dispatch';
import { HAS_COMPRESSED } from './packed';

export const RQ_QUAD_BYTES: u32 = F.RQ_QUAD_BYTES; // bytes per quad of a requant table (format.ts)
const MULT_MIN: i32 = 1 << 30;

// @ts-ignore: decorator
@inline function multOk(m: i32): bool { return m == 0 || m >= MULT_MIN; } // as i32: [2^30, 2^31)
// @ts-ignore: decorator
@inline function shiftOk(s: i32): bool { return s >= -31 && s <= 31; }

export const WORDS_MULT: u32 = 0;
export const WORDS_SHIFT: u32 = 1;
export const WORDS_TABLE: u32 = 2;
export const WORDS_SHIFT_S16: u32 = 3; // an int16 op's shifts: [-31, 7] (ops.ts S16_SHIFT_MAX)
export const BYTES_SHIFT: u32 = 4; // a compressed filter's int8 shifts (src/passes/narrow-shifts.ts): [-31, 31]
export const BYTES_MULT: u32 = 5; // a compressed filter's int8 multipliers v (v << 24): 0 or [64, 127]

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

/** Checks n bytes at p: words (int8 shifts: bytes) of a requant constant of `kind`, starting at channel `first` (tables: whole quads). */
export function wordsProblem(kind: u32, p: usize, first: u32, n: u32, channels: u32): Msg {
  if (kind == WORDS_TABLE) {
    for (let k: u32 = 0; k < n; k += RQ_QUAD_BYTES) {
      const problem = quadProblem(p + k, first + (k / RQ_QUAD_BYTES) * 4, channels);
      if (problem != NO_MESSAGE) return problem;
    }
    return NO_MESSAGE;
  }
  if (HAS_COMPRESSED && kind == BYTES_SHIFT) {
    for (let k: u32 = 0; k < n; k++) if (!shiftOk(<i32>load<i8>(p + k))) return 'requantization shift is not in [-31, 31]';
    return NO_MESSAGE;
  }
  if (HAS_COMPRESSED && kind == BYTES_MULT) {
    for (let k: u32 = 0; k < n; k++) if (!multOk(<i32>load<i8>(p + k) << 24)) return 'int8 requantization multiplier is not 0 nor in [64, 127]';
    return NO_MESSAGE;
  }
  for (let k: u32 = 0; k < n; k += 4) {
    const v = load<i32>(p + k);
    if (kind == WORDS_MULT && !multOk(v)) return 'requantization multiplier is not 0 nor in [2^30, 2^31)';
    if (kind == WORDS_SHIFT && !shiftOk(v)) return 'requantization shift is not in [-31, 31]';
    if (kind == WORDS_SHIFT_S16 && !(v >= -31 && v <= O.S16_SHIFT_MAX)) return 'int16 op requantization shift is not in [-31, 7]';
  }
  return NO_MESSAGE;
}

/** Output channels of a conv / depthwise / FC op (validateOps has checked the shapes). */
export function channelsOf(r: usize, code: u32): u32 {
  const y = O.output(r, 0);
  if (code == F.OP_FULLY_CONNECTED) {
    if (O.isPacked(r)) return <u32>(M.elements(y) / (M.elements(O.input(r, 0)) / O.param(r, 5)));
    return <u32>M.dim(O.input(r, 1), 0);
  }
  return <u32>M.dim(y, 3);
}

/** Op r's requant constant number s (0, 1) and its kind, or NO_TENSOR: the table, or mult then shift. */
export function requantInput(r: usize, s: u32): u32 {
  const code = O.opcode(r);
  if (code != F.OP_CONV_2D && code != F.OP_DEPTHWISE_CONV_2D && code != F.OP_FULLY_CONNECTED && code != F.OP_TRANSPOSE_CONV) return F.NO_TENSOR;
  if (M.dtype(O.output(r, 0)) == F.DT_FLOAT32) return F.NO_TENSOR; // group f32: float ops have no requant constants
  if (O.isPacked(r)) return s == 0 ? O.input(r, 3) : F.NO_TENSOR;
  return s < 2 ? O.input(r, 3 + s) : F.NO_TENSOR;
}

export function requantKind(r: usize, s: u32): u32 {
  if (s == 1 && isS16(r, O.opcode(r))) return WORDS_SHIFT_S16;
  if (HAS_COMPRESSED && s == 1 && M.dtype(O.input(r, 4)) == F.DT_INT8) return BYTES_SHIFT; // validateOps allowed it for a compressed filter only
  if (HAS_COMPRESSED && s == 0 && !O.isPacked(r) && M.dtype(O.input(r, 3)) == F.DT_INT8) return BYTES_MULT; // likewise
  return O.isPacked(r) ? WORDS_TABLE : s == 0 ? WORDS_MULT : WORDS_SHIFT;
}

/** Resident builds: walks the validated op list and checks every requant constant and blocked filter tail in place. */
export function checkRequantConstants(): i32 {
  let r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount; i++) {
    for (let s: u32 = 0; s < 2; s++) {
      const t = requantInput(r, s);
      if (t == F.NO_TENSOR) break;
      let problem = constKindProblem(t);
      if (problem == NO_MESSAGE) problem = wordsProblem(requantKind(r, s), M.dataOf(t), 0, M.byteCount(t), channelsOf(r, O.opcode(r)));
      if (problem != NO_MESSAGE) return O.failOp(i, r, F.E_BAD_OP, problem);
    }
    let problem = blockedFilterProblem(r);
    const pad = problem == NO_MESSAGE ? paddedTaps(r) : 0;
    if (pad != 0) {
      const w = O.input(r, 1), k8 = <u32>M.dim(w, 1), quads = <u32>M.dim(w, 0) >> 2;
      for (let q: u32 = 0; problem == NO_MESSAGE && q < quads; q++) problem = tailProblem(M.dataOf(w) + <usize>lastSliceAt(q, k8), pad);
    }
    if (problem != NO_MESSAGE) return O.failOp(i, r, F.E_BAD_OP, problem);
    r = O.next(r);
  }
  return F.E_OK;
}

// Blocked filters (CONV_2D and FULLY_CONNECTED in the packed layout, [oc4/4][K8/8][4][8]) pad
// each channel's row from K to K8 taps. The converter writes zeros there, and the kernels rely
// on it: a direct GEMM row runs up to 7 bytes past a pixel, into its neighbour, while the SIMD
// lanes GEMM stops at K. A file with nonzero padding taps would make the builds disagree, so
// every build refuses it (BAD_OP).

function hasBlockedFilter(r: usize): bool {
  const code = O.opcode(r);
  return O.isPacked(r) && (code == F.OP_CONV_2D || code == F.OP_FULLY_CONNECTED);
}

/** A blocked filter is a constant (the converter lays out nothing else); validateOps has refused a compressed one (packed.ts checkPackedInputs). */
export function blockedFilterProblem(r: usize): Msg {
  if (!hasBlockedFilter(r)) return NO_MESSAGE;
  return M.kind(O.input(r, 1)) == F.KIND_CONST ? NO_MESSAGE : 'blocked filter must be a constant tensor';
}

/** Taps op r's blocked filter pads each row with, K8 - K in [0, 7]: 0 for any other op. */
export function paddedTaps(r: usize): u32 {
  if (!hasBlockedFilter(r)) return 0;
  // validatePacked: K8 = K rounded up to 8 and an i32, so K = kh * kw * C (FC: depth) fits one too
  const k = O.opcode(r) == F.OP_FULLY_CONNECTED ? O.param(r, 5) : O.param(r, 11) * O.param(r, 12) * M.dim(O.input(r, 0), 3);
  return <u32>(M.dim(O.input(r, 1), 1) - k);
}

/** Byte offset of quad q's last 8-tap slice (4 channels x 8 taps, 32 bytes) in a blocked filter of k8 taps per row. */
export function lastSliceAt(q: u32, k8: u32): u32 {
  return (q * k8 + k8 - 8) << 2;
}

/** The last slice at p: its 4 rows' final `pad` taps (the high bytes of each row's 8) must be zero. */
export function tailProblem(p: usize, pad: u32): Msg {
  const padding = <u64>-1 << (<u64>(8 - pad) << 3);
  for (let l: usize = 0; l < 4; l++) {
    if ((load<u64>(p + (l << 3)) & padding) != 0) return 'blocked filter holds a nonzero weight in the taps that pad a row from K to K8';
  }
  return NO_MESSAGE;
}

/** Requant constants are constant tensors (the converter never plans them in the arena). */
export function constKindProblem(t: u32): Msg {
  return M.kind(t) == F.KIND_CONST ? NO_MESSAGE : 'requantization parameters must be constant tensors';
}
