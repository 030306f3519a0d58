// Op records: accessors and the load-time checks that make every kernel call safe.
// After validateOps() succeeds, each op's tensors have the dtypes and shapes its kernel
// assumes, so no kernel can read or write outside its tensors, whatever the file says.

import * as F from './format';
import * as M from './model';
import * as msg from './message';
import { Msg, NO_MESSAGE } from './message';
import { HAS_COMPRESSED, checkPackedInputs, isPacked as isCompressed, narrowInput } from './packed';
import { overlapProblem } from './overlap';
import { kernelOf, isS16, HAS_S16 } from './dispatch';
import {
  inBuild, HAS_CONV_F32, HAS_FC_F32, HAS_ELEMENTWISE_F32, HAS_OTHER_F32, HAS_SVDF_F32, HAS_FC_S16, HAS_CONV_S16, HAS_ELEMENTWISE_S16, HAS_QUANT_S16,
  HAS_CONCAT, HAS_SVDF, HAS_LSTM, HAS_PRELU, HAS_SQUARED_DIFFERENCE, HAS_DIV, HAS_L2_NORMALIZATION, HAS_TABLE_COPY,
  HAS_RESIZE_BILINEAR, HAS_ARG_MAX_MIN, HAS_GATHER, HAS_REDUCE_MAX, HAS_MISC_F32, HAS_MOVE_F32,
  HAS_LSTM_F32, HAS_LSTM_S16,
} from './kernel-table';

// Validation of a kernel family is compiled only into builds that link one of its variants
// (HAS_* are compile-time constants): a model-specific firmware carries no checks for ops it
// cannot run. Every default build has them all, so load checks stay identical there.
const HAS_F32: bool = HAS_CONV_F32 || HAS_FC_F32 || HAS_ELEMENTWISE_F32 || HAS_OTHER_F32 || HAS_LSTM_F32 || HAS_MISC_F32 || HAS_MOVE_F32 || HAS_SVDF_F32;
const HAS_GROUP_B: bool = HAS_PRELU || HAS_SQUARED_DIFFERENCE || HAS_DIV || HAS_L2_NORMALIZATION;

/** An op whose kernel family this build leaves out (asc --use EP_KERNELS=...). */
function leftOut(): i32 {
  return opFail(F.E_UNSUPPORTED_OP, 'needs a kernel family this runtime build leaves out');
}
import { isFloat32Op, validateFloat32 } from './ops-f32';
import { validateLstmS16 } from './ops-lstm';
import { isOtherS16, validateOtherS16, validateOtherS16Params } from './ops-other-s16';

// --- record layout: u16 opcode | u8 nIn | u8 nOut | u16 nParams | u16 source | u16 tensors[] (4-aligned) | i32 params[]

// @ts-ignore: decorator
@inline export function opcode(r: usize): u32 { return <u32>load<u16>(r + F.OPR_OPCODE); }
// @ts-ignore: decorator
@inline export function nIn(r: usize): u32 { return <u32>load<u8>(r + F.OPR_N_IN); }
// @ts-ignore: decorator
@inline export function nOut(r: usize): u32 { return <u32>load<u8>(r + F.OPR_N_OUT); }
// @ts-ignore: decorator
@inline export function nParams(r: usize): u32 { return <u32>load<u16>(r + F.OPR_N_PARAMS); }
// @ts-ignore: decorator
@inline export function sourceIndex(r: usize): u32 { return <u32>load<u16>(r + F.OPR_SOURCE); }
// @ts-ignore: decorator
@inline export function input(r: usize, k: u32): u32 { return <u32>load<u16>(r + F.OP_HEADER_BYTES + (<usize>k << 1)); }
// @ts-ignore: decorator
@inline export function output(r: usize, k: u32): u32 { return input(r, nIn(r) + k); }
// @ts-ignore: decorator
@inline export function params(r: usize): usize { return r + F.OP_HEADER_BYTES + ((<usize>(nIn(r) + nOut(r)) * 2 + 3) & ~3); }
// @ts-ignore: decorator
@inline export function param(r: usize, k: u32): i32 { return load<i32>(params(r) + (<usize>k << 2)); }
// @ts-ignore: decorator
@inline export function next(r: usize): usize { return params(r) + (<usize>nParams(r) << 2); }

// Packed weight layouts (src/passes/layout-weights.ts) append params and have 4 inputs
// [x, w, bias, requant table]: the table (12 i32 = 48 bytes per channel quad,
// assembly/kernels/requant-simd.ts) is the only copy of the multipliers and shifts:
//   CONV_2D            +[layout=1, kh, kw]  w [oc4, K8], K = kh*kw*inC, groups 1
//   DEPTHWISE_CONV_2D  +[layout=1]          w unchanged, depth multiplier 1
//   FULLY_CONNECTED    +[layout=1, depth]   w [oc4, K8], K = depth
// oc4 = oc rounded up to 4, K8 = K rounded up to 8; bias holds oc4 values (dwconv: oc), the
// table oc4 * 3 i32. Direct GEMM rows may be read up to 7 bytes past a tensor, so these
// ops need scratch_bytes >= 16 (conv: >= 2 * K8 + 16, two im2col patches).
export const LAYOUT_PACKED: i32 = F.LAYOUT_PACKED;
export const SCRATCH_SLACK: i64 = F.SCRATCH_SLACK;
export const PACKED_INPUTS: u32 = F.PACKED_INPUTS;

/** True if r is a conv/dwconv/FC record in the packed layout (checked by validateOps). */
export function isPacked(r: usize): bool {
  return nParams(r) == F.packedParamCount(opcode(r));
}

let current: usize = 0;
let currentIndex: u32 = 0;

export function opFail(code: i32, problem: Msg): i32 {
  msg.clear();
  msg.text('op ');
  msg.num(currentIndex);
  msg.text(' (');
  msg.text(F.opName(opcode(current)));
  msg.text(') at byte offset ');
  msg.num(<i64>(current - M.modelPtr));
  msg.text(': ');
  msg.text(problem);
  return code;
}

/** Sets the op context (index i, record r) of the message, then opFail. */
export function failOp(i: u32, r: usize, code: i32, problem: Msg): i32 {
  current = r;
  currentIndex = i;
  return opFail(code, problem);
}

/** Walks the op list once, checking record bounds, then each op's tensors and params. */
export function validateOps(): i32 {
  const count = load<u32>(M.opsPtr + F.OPS_COUNT);
  let r = M.opsPtr + F.OPS_RECORDS;
  for (let i: u32 = 0; i < count; i++) {
    current = r;
    currentIndex = i;
    if (r + F.OP_HEADER_BYTES > M.opsEnd) return M.failAt(F.E_TRUNCATED, 'op list ends inside an op record', <i64>(r - M.modelPtr));
    const code = opcode(r);
    if (code < 1 || code > F.OP_LAST) return opFail(F.E_UNSUPPORTED_OP, 'unknown opcode');
    if (params(r) > M.opsEnd || next(r) > M.opsEnd) return opFail(F.E_TRUNCATED, 'op record runs past the op section');
    const fixedCount = code != F.OP_TABLE_COPY; // TABLE_COPY: view dims then tables (validateTableCopy)
    if (fixedCount && nParams(r) != <u32>F.PARAM_COUNTS[code] && nParams(r) != F.packedParamCount(code)) return opFail(F.E_BAD_OP, 'wrong number of params');
    if (nOut(r) != 1) return opFail(F.E_BAD_OP, 'op must have exactly one output');
    for (let k: u32 = 0; k < nIn(r) + nOut(r); k++) {
      const t = input(r, k);
      if (t != F.NO_TENSOR && t >= M.tensorCount) return opFail(F.E_BAD_OP, 'refers to a tensor index beyond the tensor table');
    }
    const y = output(r, 0);
    if (y == F.NO_TENSOR || M.kind(y) != F.KIND_ARENA) return opFail(F.E_BAD_OP, 'output must be an arena tensor');
    // only later inputs are ever optional: every check below may read input 0's record
    if (nIn(r) < 1 || input(r, 0) == F.NO_TENSOR) return opFail(F.E_BAD_OP, 'input 0 is absent');
    for (let k: u32 = 0; k < nIn(r); k++) {
      if (input(r, k) == y) return opFail(F.E_BAD_OP, 'output tensor is also one of its inputs'); // never emitted; streamed tiling narrows both
    }
    let err: i32;
    if (isFloat32Op(r, code)) err = HAS_F32 ? validateFloat32(r, code) : leftOut(); // group f32: ops-f32.ts
    else {
      err = validateOp(r, code);
      if (err == F.E_OK) err = validateParams(r, code);
    }
    if (err != F.E_OK) return err;
    const packedProblem = checkPackedInputs(r, code);
    if (packedProblem != NO_MESSAGE) return opFail(F.E_BAD_OP, packedProblem);
    const overlap = overlapProblem(r, code);
    if (overlap != NO_MESSAGE) return opFail(F.E_BAD_OP, overlap);
    const kernel = kernelOf(r);
    if (!inBuild(kernel)) { // a runtime built for another model (asc --use EP_KERNELS=<mask>)
      opFail(F.E_UNSUPPORTED_OP, 'needs kernel variant ');
      msg.num(kernel);
      msg.text(' (src/format/kernels.ts), which this runtime build leaves out');
      return F.E_UNSUPPORTED_OP;
    }
    r = next(r);
  }
  const sizes = M.checkDeclaredSizes();
  if (sizes != F.E_OK) return sizes;
  M.setOps(M.opsPtr + F.OPS_RECORDS, count);
  return F.E_OK;
}

function has(r: usize, k: u32, dt: u8, rk: i32): bool {
  const t = input(r, k);
  if (t == F.NO_TENSOR) return false;
  if (M.dtype(t) != dt) return false;
  return rk < 0 || M.rank(t) == rk;
}

function perChannel(r: usize, channels: i32): bool {
  const b = input(r, 2);
  // a compressed filter's shifts and multipliers may be int8 and its biases int16 (packed.ts widens them per call; checkPackedInputs sizes the scratch)
  const biasType = narrowAllowed(r, 2, F.DT_INT16) ? F.DT_INT16 : F.DT_INT32;
  if (b != F.NO_TENSOR && (M.dtype(b) != biasType || M.elements(b) != channels)) return false;
  const multType = narrowAllowed(r, 3, F.DT_INT8) ? F.DT_INT8 : F.DT_INT32, shiftType = narrowAllowed(r, 4, F.DT_INT8) ? F.DT_INT8 : F.DT_INT32;
  return has(r, 3, multType, -1) && M.elements(input(r, 3)) == channels && has(r, 4, shiftType, -1) && M.elements(input(r, 4)) == channels;
}

/** True when op r's input k (2 bias, 3 mult, 4 shift) has the narrow type dt beside a compressed filter: the one place a narrow per-channel constant is read. */
function narrowAllowed(r: usize, k: u32, dt: u8): bool {
  return HAS_COMPRESSED && narrowInput(r, k, dt) && isCompressed(input(r, 1));
}

function positiveGeometry(r: usize): bool {
  return param(r, 0) >= 1 && param(r, 1) >= 1 && param(r, 2) >= 1 && param(r, 3) >= 1;
}

// @ts-ignore: decorator
@inline function round4(n: i64): i64 { return (n + 3) & ~3; }
// @ts-ignore: decorator
@inline function round8(n: i64): i64 { return (n + 7) & ~7; }

function hasCount(r: usize, k: u32, n: i64): bool {
  return has(r, k, F.DT_INT32, -1) && <i64>M.elements(input(r, k)) == n;
}

const GEOMETRY_LIMIT: i64 = 1 << 24;

/**
 * Packed conv/depthwise kernels compute tap ranges and row addresses in i32 once per pixel
 * instead of checking every tap: with pads in [0, 2^16], image sides <= 2^24 and the strided
 * window span (out - 1) * stride + (k - 1) * dilation <= 2^24, none of that arithmetic can
 * overflow, so the computed taps are exactly the in-image ones.
 */
function packedGeometry(r: usize, x: u32, y: u32, kh: i64, kw: i64): bool {
  const padTop = <i64>param(r, 4), padLeft = <i64>param(r, 5);
  if (padTop < 0 || padLeft < 0 || padTop > 0xffff || padLeft > 0xffff) return false;
  if (<i64>M.dim(x, 1) > GEOMETRY_LIMIT || <i64>M.dim(x, 2) > GEOMETRY_LIMIT) return false;
  const spanH = <i64>(M.dim(y, 1) - 1) * <i64>param(r, 0) + (kh - 1) * <i64>param(r, 2);
  const spanW = <i64>(M.dim(y, 2) - 1) * <i64>param(r, 1) + (kw - 1) * <i64>param(r, 3);
  return spanH <= GEOMETRY_LIMIT && spanW <= GEOMETRY_LIMIT;
}

/** The packed variants: shapes of w, bias, requant table, and scratch. */
function validatePacked(r: usize, code: u32): i32 {
  const y = output(r, 0);
  if (nIn(r) != PACKED_INPUTS) return opFail(F.E_BAD_OP, 'packed layout expects 4 inputs (x, weights, bias, requant table)');
  if (code == F.OP_FULLY_CONNECTED) {
    if (param(r, 4) != LAYOUT_PACKED) return opFail(F.E_BAD_OP, 'unknown weight layout');
    if (!has(r, 0, F.DT_INT8, -1) || !has(r, 1, F.DT_INT8, 2) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects int8 input, rank-2 packed int8 weights, int8 output');
    const depth = <i64>param(r, 5), n = <i64>M.elements(input(r, 0)), ny = <i64>M.elements(y);
    if (depth < 1 || n % depth != 0) return opFail(F.E_BAD_SHAPE, 'input size is not a multiple of the depth');
    const batches = n / depth;
    if (ny % batches != 0) return opFail(F.E_BAD_SHAPE, 'output size does not fit the batches');
    const oc4 = round4(ny / batches), w = input(r, 1);
    if (<i64>M.dim(w, 0) != oc4 || <i64>M.dim(w, 1) != round8(depth)) return opFail(F.E_BAD_SHAPE, 'packed weights are not [oc4, K8]');
    if (!hasCount(r, 2, oc4) || !hasCount(r, 3, oc4 * 3)) return opFail(F.E_BAD_SHAPE, 'bias and requant table must cover oc4 channels');
    if (<i64>M.scratchBytes < SCRATCH_SLACK) return opFail(F.E_BAD_OP, 'packed layout needs at least 16 scratch bytes');
    M.needScratch(<u64>SCRATCH_SLACK);
    return F.E_OK;
  }
  if (!has(r, 0, F.DT_INT8, 4) || M.dtype(y) != F.DT_INT8 || M.rank(y) != 4) return opFail(F.E_BAD_SHAPE, 'input and output must be rank-4 int8');
  const x = input(r, 0), w = input(r, 1);
  const oc = <i64>M.dim(y, 3);
  if (M.dim(y, 0) != M.dim(x, 0)) return opFail(F.E_BAD_SHAPE, 'batch of output and input differ');
  if (!positiveGeometry(r)) return opFail(F.E_BAD_OP, 'strides and dilations must be >= 1');
  if (code == F.OP_CONV_2D) {
    if (param(r, 10) != LAYOUT_PACKED) return opFail(F.E_BAD_OP, 'unknown weight layout');
    const kh = <i64>param(r, 11), kw = <i64>param(r, 12);
    if (kh < 1 || kw < 1 || kh > 0xffff || kw > 0xffff) return opFail(F.E_BAD_OP, 'kernel size out of range');
    if (!packedGeometry(r, x, y, kh, kw)) return opFail(F.E_BAD_OP, 'padding, strides or dilations out of range for the packed kernels');
    const k8 = round8(kh * kw * <i64>M.dim(x, 3));
    if (!has(r, 1, F.DT_INT8, 2) || <i64>M.dim(w, 0) != round4(oc) || <i64>M.dim(w, 1) != k8) return opFail(F.E_BAD_SHAPE, 'packed filter is not [oc4, K8]');
    const oc4 = round4(oc);
    if (!hasCount(r, 2, oc4) || !hasCount(r, 3, oc4 * 3)) return opFail(F.E_BAD_SHAPE, 'bias and requant table must cover oc4 channels');
    if (<i64>M.scratchBytes < 2 * k8 + SCRATCH_SLACK) return opFail(F.E_BAD_OP, 'scratch is smaller than two im2col patches');
    M.needScratch(<u64>(2 * k8 + SCRATCH_SLACK));
    return F.E_OK;
  }
  if (param(r, 11) != LAYOUT_PACKED) return opFail(F.E_BAD_OP, 'unknown weight layout');
  if (!has(r, 1, F.DT_INT8, 4) || !packedGeometry(r, x, y, <i64>M.dim(w, 1), <i64>M.dim(w, 2))) return opFail(F.E_BAD_OP, 'padding, strides or dilations out of range for the packed kernels');
  if (!has(r, 1, F.DT_INT8, 4) || M.dim(w, 0) != 1 || <i64>M.dim(w, 3) != oc || param(r, 10) != 1 || <i64>M.dim(x, 3) != oc) return opFail(F.E_BAD_SHAPE, 'packed depthwise needs depth multiplier 1 and a [1, kh, kw, oc] filter');
  if (!hasCount(r, 2, oc) || !hasCount(r, 3, round4(oc) * 3)) return opFail(F.E_BAD_SHAPE, 'bias and requant table must cover the channels');
  return F.E_OK;
}

function validateOp(r: usize, code: u32): i32 {
  const y = output(r, 0);
  if (isS16(r, code)) return HAS_S16 ? validateS16(r, code) : leftOut();
  if (isPacked(r)) return validatePacked(r, code);
  if (code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D) {
    if (nIn(r) != 5) return opFail(F.E_BAD_OP, 'expects 5 inputs');
    if (!has(r, 0, F.DT_INT8, 4) || !has(r, 1, F.DT_INT8, 4) || M.dtype(y) != F.DT_INT8 || M.rank(y) != 4) return opFail(F.E_BAD_SHAPE, 'input, filter and output must be rank-4 int8');
    const x = input(r, 0), w = input(r, 1);
    const oc = M.dim(y, 3);
    if (M.dim(y, 0) != M.dim(x, 0)) return opFail(F.E_BAD_SHAPE, 'batch of output and input differ');
    if (!positiveGeometry(r)) return opFail(F.E_BAD_OP, 'strides and dilations must be >= 1');
    if (code == F.OP_CONV_2D) {
      const groupC = M.dim(w, 3);
      if (M.dim(w, 0) != oc || M.dim(x, 3) % groupC != 0 || oc % (M.dim(x, 3) / groupC) != 0) return opFail(F.E_BAD_SHAPE, 'filter shape does not fit input and output channels');
    } else {
      const dm = param(r, 10);
      if (M.dim(w, 0) != 1 || M.dim(w, 3) != oc || dm < 1 || M.dim(x, 3) * dm != oc) return opFail(F.E_BAD_SHAPE, 'filter shape or depth multiplier does not fit the channels');
    }
    if (!perChannel(r, oc)) return opFail(F.E_BAD_SHAPE, 'bias, multiplier and shift must be int32 with one value per output channel');
    return F.E_OK;
  }
  if (code == F.OP_FULLY_CONNECTED) {
    if (nIn(r) != 5 || !has(r, 0, F.DT_INT8, -1) || !has(r, 1, F.DT_INT8, 2) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects int8 input, rank-2 int8 weights, int8 output');
    const w = input(r, 1);
    const depth = M.dim(w, 1), oc = M.dim(w, 0);
    const n = M.elements(input(r, 0));
    if (n % depth != 0 || M.elements(y) != (n / depth) * oc) return opFail(F.E_BAD_SHAPE, 'input/output sizes do not fit the weights');
    if (!perChannel(r, oc)) return opFail(F.E_BAD_SHAPE, 'bias, multiplier and shift must be int32 with one value per output');
    return F.E_OK;
  }
  if (code == F.OP_AVERAGE_POOL_2D || code == F.OP_MAX_POOL_2D) {
    if (nIn(r) != 1 || !has(r, 0, F.DT_INT8, 4) || M.dtype(y) != F.DT_INT8 || M.rank(y) != 4) return opFail(F.E_BAD_SHAPE, 'expects rank-4 int8 input and output');
    const x = input(r, 0);
    if (M.dim(y, 0) != M.dim(x, 0) || M.dim(y, 3) != M.dim(x, 3)) return opFail(F.E_BAD_SHAPE, 'output batch/channels differ from input');
    if (param(r, 0) < 1 || param(r, 1) < 1 || param(r, 2) < 1 || param(r, 3) < 1) return opFail(F.E_BAD_OP, 'strides and filter must be >= 1');
    return F.E_OK;
  }
  if (code == F.OP_ADD || code == F.OP_MUL || code == F.OP_SUB || code == F.OP_MAXIMUM || code == F.OP_MINIMUM || isBinaryB(code)) {
    if (nIn(r) != 2 || !has(r, 0, F.DT_INT8, -1) || !has(r, 1, F.DT_INT8, -1) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects two int8 inputs and an int8 output');
    const a = input(r, 0), b = input(r, 1);
    for (let k = 0; k < 4; k++) {
      const d = M.dim4(y, k), da = M.dim4(a, k), db = M.dim4(b, k);
      if ((da != d && da != 1) || (db != d && db != 1)) return opFail(F.E_BAD_SHAPE, 'input shapes do not broadcast to the output');
    }
    return F.E_OK;
  }
  if (code == F.OP_SOFTMAX) {
    if (nIn(r) != 1 || !has(r, 0, F.DT_INT8, -1) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects int8 input and output');
    const x = input(r, 0);
    if (M.elements(x) != M.elements(y) || M.dim4(x, 3) != M.dim4(y, 3)) return opFail(F.E_BAD_SHAPE, 'output shape differs from input');
    if (param(r, 1) < 0 || param(r, 1) > 31) return opFail(F.E_BAD_OP, 'input shift out of range');
    return F.E_OK;
  }
  if (code == F.OP_PAD) {
    if (nIn(r) != 1 || !has(r, 0, F.DT_INT8, -1) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects int8 input and output');
    const x = input(r, 0);
    for (let k: u32 = 0; k < 4; k++) {
      const b = param(r, k), a = param(r, 4 + k);
      if (b < 0 || a < 0 || <i64>M.dim4(x, k) + <i64>b + <i64>a != <i64>M.dim4(y, k)) return opFail(F.E_BAD_SHAPE, 'output is not the padded input');
    }
    return F.E_OK;
  }
  if (code == F.OP_MEAN) {
    if (nIn(r) != 1 || !has(r, 0, F.DT_INT8, -1) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects int8 input and output');
    return reducedSizeProblem(input(r, 0), y, param(r, 0));
  }
  if (code == F.OP_TRANSPOSE) {
    if (nIn(r) != 1 || !has(r, 0, F.DT_INT8, -1) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects int8 input and output');
    const x = input(r, 0);
    let seen = 0;
    for (let k: u32 = 0; k < 4; k++) {
      const p = param(r, k);
      if (p < 0 || p > 3 || (seen & (1 << p))) return opFail(F.E_BAD_OP, 'perm is not a permutation of 4 axes');
      seen |= 1 << p;
      if (M.dim4(x, p) != M.dim4(y, k)) return opFail(F.E_BAD_SHAPE, 'output is not the permuted input');
    }
    return F.E_OK;
  }
  if (code == F.OP_CONCATENATION) {
    const axis = param(r, 0);
    if (M.dtype(y) != F.DT_INT8 || axis < 0 || axis > 3 || nIn(r) < 1) return opFail(F.E_BAD_OP, 'expects int8 output and an axis in 0..3');
    let total: i64 = 0;
    for (let i: u32 = 0; i < nIn(r); i++) {
      if (!has(r, i, F.DT_INT8, -1)) return opFail(F.E_BAD_SHAPE, 'inputs must be int8');
      const x = input(r, i);
      for (let k = 0; k < 4; k++) if (k != axis && M.dim4(x, k) != M.dim4(y, k)) return opFail(F.E_BAD_SHAPE, 'input shapes differ off the axis');
      total += M.dim4(x, axis);
    }
    if (total != <i64>M.dim4(y, axis)) return opFail(F.E_BAD_SHAPE, 'inputs do not fill the output axis');
    return F.E_OK;
  }
  if (code == F.OP_REQUANTIZE || code == F.OP_QUANTIZE || code == F.OP_DEQUANTIZE) {
    const inType: u8 = code == F.OP_QUANTIZE ? F.DT_FLOAT32 : F.DT_INT8;
    const outType: u8 = code == F.OP_DEQUANTIZE ? F.DT_FLOAT32 : F.DT_INT8;
    if (nIn(r) != 1 || !has(r, 0, inType, -1) || M.dtype(y) != outType) return opFail(F.E_BAD_SHAPE, 'input/output dtypes do not fit the op');
    if (M.elements(input(r, 0)) != M.elements(y)) return opFail(F.E_BAD_SHAPE, 'input and output sizes differ');
    return F.E_OK;
  }
  if (code == F.OP_LUT) {
    if (nIn(r) != 2 || !has(r, 0, F.DT_INT8, -1) || !has(r, 1, F.DT_INT8, -1) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects int8 input, int8 table and int8 output');
    if (M.elements(input(r, 1)) != 256) return opFail(F.E_BAD_SHAPE, 'table must hold 256 entries');
    if (M.elements(input(r, 0)) != M.elements(y)) return opFail(F.E_BAD_SHAPE, 'input and output sizes differ');
    return F.E_OK;
  }
  if (code == F.OP_LEAKY_RELU) {
    if (nIn(r) != 1 || !has(r, 0, F.DT_INT8, -1) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects int8 input and output');
    if (M.elements(input(r, 0)) != M.elements(y)) return opFail(F.E_BAD_SHAPE, 'input and output sizes differ');
    return F.E_OK;
  }
  if (code == F.OP_STRIDED_SLICE) return validateSlice(r, y);
  if (code == F.OP_TRANSPOSE_CONV) {
    if (nIn(r) != 5) return opFail(F.E_BAD_OP, 'expects 5 inputs');
    if (!has(r, 0, F.DT_INT8, 4) || !has(r, 1, F.DT_INT8, 4) || M.dtype(y) != F.DT_INT8 || M.rank(y) != 4) return opFail(F.E_BAD_SHAPE, 'input, filter and output must be rank-4 int8');
    const x = input(r, 0), w = input(r, 1);
    if (M.dim(y, 0) != M.dim(x, 0) || M.dim(w, 0) != M.dim(y, 3) || M.dim(w, 3) != M.dim(x, 3)) return opFail(F.E_BAD_SHAPE, 'filter [oc, kh, kw, ic] does not fit input and output');
    if (!perChannel(r, M.dim(y, 3))) return opFail(F.E_BAD_SHAPE, 'bias, multiplier and shift must be int32 with one value per output channel');
    return F.E_OK;
  }
  if (code == F.OP_SVDF) return HAS_SVDF ? validateSvdf(r, y) : leftOut();
  if (code == F.OP_L2_NORMALIZATION) {
    if (nIn(r) != 1 || !has(r, 0, F.DT_INT8, -1) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects int8 input and output');
    const x = input(r, 0);
    if (M.elements(x) != M.elements(y) || M.dim4(x, 3) != M.dim4(y, 3)) return opFail(F.E_BAD_SHAPE, 'output shape differs from input');
    return F.E_OK;
  }
  if (code == F.OP_LOG_SOFTMAX) {
    if (nIn(r) != 1 || !has(r, 0, F.DT_INT8, -1) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects int8 input and output');
    const x = input(r, 0);
    if (M.elements(x) != M.elements(y) || M.dim4(x, 3) != M.dim4(y, 3)) return opFail(F.E_BAD_SHAPE, 'output shape differs from input');
    return F.E_OK;
  }
  if (code == F.OP_UNIDIRECTIONAL_SEQUENCE_LSTM) {
    if (nIn(r) >= 1 && input(r, 0) != F.NO_TENSOR && M.dtype(input(r, 0)) == F.DT_INT16) return HAS_LSTM_S16 ? validateLstmS16(r, y) : leftOut(); // 16x8: ops-lstm.ts
    return HAS_LSTM ? validateLstm(r, y) : leftOut();
  }
  // group a (issue 10)
  if (code == F.OP_TABLE_COPY) return HAS_TABLE_COPY ? validateTableCopy(r, y, F.DT_INT8) : leftOut();
  if (code == F.OP_RESIZE_BILINEAR) return HAS_RESIZE_BILINEAR ? validateResizeBilinear(r, y) : leftOut();
  if (code == F.OP_ARG_MAX || code == F.OP_ARG_MIN) return HAS_ARG_MAX_MIN ? validateArgMaxMin(r, y, F.DT_INT8) : leftOut();
  if (code == F.OP_GATHER) return HAS_GATHER ? validateGather(r, y, F.DT_INT8) : leftOut();
  if (code == F.OP_REDUCE_MAX) {
    if (nIn(r) != 1 || !has(r, 0, F.DT_INT8, -1) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects int8 input and output');
    return reducedSizeProblem(input(r, 0), y, param(r, 0));
  }
  return opFail(F.E_UNSUPPORTED_OP, 'unknown opcode');
}


/** MEAN / REDUCE_MAX / ARG_MAX: the axis mask (4 bits of the 4-D view) and the output size it leaves. */
export function reducedSizeProblem(x: u32, y: u32, mask: i32): i32 {
  if (mask < 0 || mask > 15) return opFail(F.E_BAD_OP, 'axis mask out of range');
  let kept: i32 = 1;
  for (let k = 0; k < 4; k++) if (!(mask & (1 << k))) kept *= M.dim4(x, k);
  if (kept != M.elements(y)) return opFail(F.E_BAD_SHAPE, 'output size does not match the reduced input');
  return F.E_OK;
}

/**
 * TABLE_COPY params v[4] | t0[v0] | t1[v1] | t2[v2] | t3[v3] (kernels/table-copy.ts; float32,
 * dt: kernels/f32-move.ts, offsets in elements either way): input and output of dtype dt, the
 * view's product the output's size, the param count 4 + v0 + v1 + v2 + v3, every offset
 * >= 0 and the four tables' largest entries summing inside the input (i64, no wrap).
 */
export function validateTableCopy(r: usize, y: u32, dt: u8): i32 { // dt: int8, or float32 (ops-f32b.ts)
  if (nIn(r) != 1 || !has(r, 0, dt, -1) || M.dtype(y) != dt) return opFail(F.E_BAD_SHAPE, 'expects input and output of one dtype (int8 or float32)');
  if (nParams(r) < 4) return opFail(F.E_BAD_OP, 'wrong number of params');
  let n: i64 = 1, count: i64 = 4;
  for (let k: u32 = 0; k < 4; k++) {
    const v = param(r, k);
    if (v < 1) return opFail(F.E_BAD_OP, 'view dims must be >= 1');
    n *= <i64>v;
    count += <i64>v;
    if (count > <i64>nParams(r)) return opFail(F.E_BAD_OP, 'wrong number of params');
  }
  if (count != <i64>nParams(r)) return opFail(F.E_BAD_OP, 'wrong number of params');
  if (n != <i64>M.elements(y)) return opFail(F.E_BAD_SHAPE, 'output size is not the view size');
  let reach: i64 = 0, at: u32 = 4;
  for (let k: u32 = 0; k < 4; k++) {
    let most: i32 = 0;
    for (let i: i32 = 0; i < param(r, k); i++) {
      const t = param(r, at++);
      if (t < 0) return opFail(F.E_BAD_OP, 'offset table entry below 0');
      if (t > most) most = t;
    }
    reach += <i64>most;
  }
  if (reach >= <i64>M.elements(input(r, 0))) return opFail(F.E_BAD_OP, 'offset tables reach past the input');
  return F.E_OK;
}

/**
 * RESIZE_BILINEAR params scaleH, scaleW (1/1024 steps), halfPixel: rank-4 int8 input and
 * output of equal batch and channels; the last output row's and column's positions in i32
 * and their lower taps inside the input (positions grow with the index).
 */
function validateResizeBilinear(r: usize, y: u32): i32 {
  if (nIn(r) != 1 || !has(r, 0, F.DT_INT8, 4) || M.dtype(y) != F.DT_INT8 || M.rank(y) != 4) return opFail(F.E_BAD_SHAPE, 'expects rank-4 int8 input and output');
  const x = input(r, 0);
  if (M.dim(y, 0) != M.dim(x, 0) || M.dim(y, 3) != M.dim(x, 3)) return opFail(F.E_BAD_SHAPE, 'output batch/channels differ from input');
  const half = param(r, 2);
  if (half != 0 && half != 1) return opFail(F.E_BAD_OP, 'half_pixel_centers must be 0 or 1');
  if (!lastTapInside(param(r, 0), half, M.dim(y, 1), M.dim(x, 1)) || !lastTapInside(param(r, 1), half, M.dim(y, 2), M.dim(x, 2))) {
    return opFail(F.E_BAD_OP, 'scale out of range: positions overflow or fall outside the input');
  }
  return F.E_OK;
}

function lastTapInside(scale: i32, half: i32, outSize: i32, inSize: i32): bool {
  if (scale < 0 || scale > (1 << 24)) return false;
  const s = <i64>(outSize - 1) * <i64>scale + (half ? <i64>(scale / 2) - 512 : 0);
  if (s > <i64>i32.MAX_VALUE) return false;
  return max(s / 1024, <i64>0) < <i64>inSize;
}

/**
 * GATHER params batch, outer, axis, inner (kernels/gather.ts; float32: kernels/f32-move.ts):
 * x (int8 or float32, dt) of batch * outer * axis * inner elements, int32 indices a multiple of
 * batch, y of x's dtype and batch * outer * (indices / batch) * inner elements (64-bit
 * products). Index values are checked as the kernel reads them.
 */
export function validateGather(r: usize, y: u32, dt: u8): i32 { // dt: int8, or float32 (ops-f32b.ts)
  if (nIn(r) != 2 || !has(r, 0, dt, -1) || !has(r, 1, F.DT_INT32, -1) || M.dtype(y) != dt) return opFail(F.E_BAD_SHAPE, 'expects int32 indices and input and output of one dtype (int8 or float32)');
  const batch = <i64>param(r, 0), outer = <i64>param(r, 1), axis = <i64>param(r, 2), inner = <i64>param(r, 3);
  if (batch < 1 || outer < 1 || axis < 1 || inner < 1) return opFail(F.E_BAD_OP, 'batch, outer, axis and inner sizes must be >= 1');
  const n = <i64>M.elements(input(r, 1));
  if (batch * outer * axis * inner != <i64>M.elements(input(r, 0)) || n % batch != 0 || outer * n * inner != <i64>M.elements(y)) {
    return opFail(F.E_BAD_SHAPE, 'input, indices and output sizes do not fit batch, outer, axis and inner');
  }
  return F.E_OK;
}

/** ARG_MAX / ARG_MIN param axis (0..3 of the 4-D view): int8 (or float32, dt) input, int32 output of the other axes' size. */
export function validateArgMaxMin(r: usize, y: u32, dt: u8): i32 { // dt: int8, or float32 (ops-f32b.ts)
  if (nIn(r) != 1 || !has(r, 0, dt, -1) || M.dtype(y) != F.DT_INT32) return opFail(F.E_BAD_SHAPE, 'expects int8 or float32 input and int32 output');
  const axis = param(r, 0);
  if (axis < 0 || axis > 3) return opFail(F.E_BAD_OP, 'axis out of range');
  return reducedSizeProblem(input(r, 0), y, 1 << axis);
}

/** Group b's broadcasting binary ops (two int8 inputs broadcast to an int8 output). */
function isBinaryB(code: u32): bool {
  return code == F.OP_PRELU || code == F.OP_SQUARED_DIFFERENCE || code == F.OP_DIV;
}

/**
 * SVDF [x, feature weights, time weights, bias, state] -> y (kernels/svdf.ts): x int8
 * [batch, nIn], feature int8 [nFilter, nIn], time int16 [nFilter, nMemory], bias int32
 * [nFilter / rank], state an int16 variable [batch, nFilter * nMemory] with zero point 0,
 * y int8 [batch, nFilter / rank]; rank (param 0) >= 1 divides nFilter.
 */
function validateSvdf(r: usize, y: u32): i32 {
  if (nIn(r) != 5) return opFail(F.E_BAD_OP, 'expects 5 inputs: input, feature weights, time weights, bias, state');
  const s8 = has(r, 2, F.DT_INT8, 2); // int8 time weights and state (svdf_s8_s8), else int16 both
  const sdt: u8 = s8 ? F.DT_INT8 : F.DT_INT16;
  if (!has(r, 0, F.DT_INT8, 2) || !has(r, 1, F.DT_INT8, 2) || !has(r, 2, sdt, 2) || !has(r, 3, F.DT_INT32, -1)
    || !has(r, 4, sdt, 2) || M.dtype(y) != F.DT_INT8 || M.rank(y) != 2) {
    return opFail(F.E_BAD_SHAPE, 'expects rank-2 int8 input, int8 feature weights, int16 (or int8) time weights, int32 bias, a rank-2 state of the time weights\' type and int8 output');
  }
  const x = input(r, 0), wf = input(r, 1), wt = input(r, 2), b = input(r, 3), st = input(r, 4);
  if (M.kind(st) != F.KIND_VARIABLE) return opFail(F.E_BAD_OP, 'state must be a variable tensor');
  if (!s8 && load<i32>(M.rec(st) + F.T_ZERO_POINT) != 0) return opFail(F.E_BAD_OP, 'int16 state must have zero point 0'); // int8: model.ts checks it fits
  const rank = param(r, 0), batch = M.dim(x, 0), nFilter = M.dim(wf, 0), nMemory = M.dim(wt, 1);
  if (rank < 1 || nFilter % rank != 0) return opFail(F.E_BAD_OP, 'rank must be >= 1 and divide the number of filters');
  const nUnit = nFilter / rank;
  if (M.dim(wf, 1) != M.dim(x, 1) || M.dim(wt, 0) != nFilter || M.dim(y, 0) != batch || M.dim(y, 1) != nUnit || M.elements(b) != nUnit
    || M.dim(st, 0) != batch || <i64>M.dim(st, 1) != <i64>nFilter * <i64>nMemory) {
    return opFail(F.E_BAD_SHAPE, 'weights, bias, state and output do not fit [batch, nIn] x [nFilter, nIn] with [nFilter, nMemory] time weights');
  }
  return F.E_OK;
}

/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM [x, 4 input weights, 4 recurrent weights, 4 biases, hidden
 * state, cell state, sigmoid table] -> y (kernels/lstm.ts), gates in the order input, forget, cell, output:
 * x int8 [T, B, nIn] (param 0 time major) or [B, T, nIn], input weights int8 [nCell, nIn],
 * recurrent weights int8 [nCell, nCell], biases int32 of nCell values, hidden state an int8
 * variable [B, nCell] whose zero point is param 2, cell state an int16 variable [B, nCell],
 * y int8 with x's first two dims and nCell; the table 256 int16 (any values are safe: indices
 * stay in [0, 255]).
 */
function validateLstm(r: usize, y: u32): i32 {
  if (nIn(r) != 16) return opFail(F.E_BAD_OP, 'expects 16 inputs: input, 8 weights, 4 biases, hidden state, cell state, sigmoid table');
  let typed = has(r, 0, F.DT_INT8, 3) && has(r, 13, F.DT_INT8, 2) && has(r, 14, F.DT_INT16, 2) && M.dtype(y) == F.DT_INT8 && M.rank(y) == 3
    && has(r, 15, F.DT_INT16, -1) && M.elements(input(r, 15)) == 256;
  for (let k: u32 = 1; k < 9; k++) typed = typed && has(r, k, F.DT_INT8, 2);
  for (let k: u32 = 9; k < 13; k++) typed = typed && has(r, k, F.DT_INT32, -1);
  if (!typed) return opFail(F.E_BAD_SHAPE, 'expects rank-3 int8 input and output, rank-2 int8 weights, int32 biases, rank-2 int8 hidden and int16 cell state, a 256-entry int16 table');
  const x = input(r, 0), h = input(r, 13), c = input(r, 14);
  if (param(r, 0) < 0 || param(r, 0) > 3) return opFail(F.E_BAD_OP, 'flags (param 0: bit 0 time major, bit 1 fresh state) not in 0 to 3');
  if (M.kind(h) != F.KIND_VARIABLE || M.kind(c) != F.KIND_VARIABLE) return opFail(F.E_BAD_OP, 'hidden and cell state must be variable tensors');
  if (load<i32>(M.rec(h) + F.T_ZERO_POINT) != param(r, 2)) return opFail(F.E_BAD_OP, 'hidden state zero point differs from param 2');
  const nCell = M.dim(input(r, 1), 0), nInput = M.dim(x, 2), batch = M.dim(x, (param(r, 0) & 1) != 0 ? 1 : 0);
  let fits = M.dim(y, 0) == M.dim(x, 0) && M.dim(y, 1) == M.dim(x, 1) && M.dim(y, 2) == nCell
    && M.dim(h, 0) == batch && M.dim(h, 1) == nCell && M.dim(c, 0) == batch && M.dim(c, 1) == nCell;
  for (let k: u32 = 1; k < 5; k++) fits = fits && M.dim(input(r, k), 0) == nCell && M.dim(input(r, k), 1) == nInput;
  for (let k: u32 = 5; k < 9; k++) fits = fits && M.dim(input(r, k), 0) == nCell && M.dim(input(r, k), 1) == nCell;
  for (let k: u32 = 9; k < 13; k++) fits = fits && M.elements(input(r, k)) == nCell;
  if (!fits) return opFail(F.E_BAD_SHAPE, 'weights, biases, states and output do not fit input [T, B, nIn] or [B, T, nIn] and nCell units');
  return F.E_OK;
}

/**
 * STRIDED_SLICE params start[4] | stride[4] | count[4] (4-D view): every index the kernel
 * reads, start_k + i * stride_k for i < count_k, inside axis k (the first and the last
 * bound them all; i64, no wrap), and the counts' product the output's size.
 */
function validateSlice(r: usize, y: u32): i32 {
  if (nIn(r) != 1 || !has(r, 0, F.DT_INT8, -1) || M.dtype(y) != F.DT_INT8) return opFail(F.E_BAD_SHAPE, 'expects int8 input and output');
  return validateSliceParams(r, y);
}

/** STRIDED_SLICE's params against input 0 and output y, whatever the element type. */
export function validateSliceParams(r: usize, y: u32): i32 {
  const x = input(r, 0);
  let n: i64 = 1;
  for (let k: u32 = 0; k < 4; k++) {
    const start = <i64>param(r, k), stride = <i64>param(r, 4 + k), count = <i64>param(r, 8 + k), d = <i64>M.dim4(x, k);
    const last = start + (count - 1) * stride;
    if (count < 1 || stride == 0 || start < 0 || start >= d || last < 0 || last >= d) return opFail(F.E_BAD_OP, 'slice start, stride or count reads outside the input');
    n *= count;
  }
  if (n != <i64>M.elements(y)) return opFail(F.E_BAD_SHAPE, 'output size is not the slice size');
  return F.E_OK;
}

// --- param ranges ---------------------------------------------------------------------
// The values the converter can emit (src/passes/prepare/*, quant-math.ts): int8 zero points,
// input offsets -zp, activation clamps inside int8 with min <= max, TFLite multipliers
// (0 or [2^30, 2^31)) with shifts in [-31, 31]. Outside them the SIMD and scalar kernels
// could round or wrap differently (i16 lanes, per-lane f64 shifts), so every build refuses
// them the same way here; the requant constants in Data are checked by const-check.ts.

// @ts-ignore: decorator
@inline function int8Ok(v: i32): bool { return v >= -128 && v <= 127; }
// @ts-ignore: decorator
@inline function inOffsetOk(v: i32): bool { return v >= -127 && v <= 128; } // -zp, zp in int8
// @ts-ignore: decorator
@inline function multOk(m: i32): bool { return m == 0 || m >= (1 << 30); }
// @ts-ignore: decorator
@inline function shiftOk(s: i32): bool { return s >= -31 && s <= 31; }

function actOk(r: usize, k: u32): bool {
  const lo = param(r, k), hi = param(r, k + 1);
  return lo >= -128 && hi <= 127 && lo <= hi;
}

function offsetsOk(r: usize, inOff: u32, outOff: u32): bool {
  return inOffsetOk(param(r, inOff)) && int8Ok(param(r, outOff));
}

function requantOk(r: usize, k: u32): bool {
  return multOk(param(r, k)) && shiftOk(param(r, k + 1));
}

const ADD_LEFT_SHIFT_MAX: i32 = 20; // (x + offset) in [-255, 255] << 20 < 2^28: no wrap

function validateParams(r: usize, code: u32): i32 {
  if (isS16(r, code)) return HAS_S16 ? validateS16Params(r, code) : leftOut();
  if (code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D) {
    if (!offsetsOk(r, 6, 7)) return opFail(F.E_BAD_OP, 'input offset must be -zp and output offset a zero point in int8');
    if (!actOk(r, 8)) return opFail(F.E_BAD_OP, 'activation bounds must lie in [-128, 127] with min <= max');
  } else if (code == F.OP_FULLY_CONNECTED) {
    if (!offsetsOk(r, 0, 1)) return opFail(F.E_BAD_OP, 'input offset must be -zp and output offset a zero point in int8');
    if (!actOk(r, 2)) return opFail(F.E_BAD_OP, 'activation bounds must lie in [-128, 127] with min <= max');
  } else if (code == F.OP_AVERAGE_POOL_2D || code == F.OP_MAX_POOL_2D) {
    const pt = param(r, 4), pl = param(r, 5);
    if (pt < 0 || pl < 0 || pt > 0xffff || pl > 0xffff) return opFail(F.E_BAD_OP, 'padding out of range');
    if (!actOk(r, 6)) return opFail(F.E_BAD_OP, 'activation bounds must lie in [-128, 127] with min <= max');
  } else if (code == F.OP_ADD || code == F.OP_SUB) {
    if (!inOffsetOk(param(r, 0)) || !offsetsOk(r, 1, 2)) return opFail(F.E_BAD_OP, 'input offsets must be -zp and output offset a zero point in int8');
    const ls = param(r, 3);
    if (ls < 0 || ls > ADD_LEFT_SHIFT_MAX) return opFail(F.E_BAD_OP, 'left shift out of range');
    if (!requantOk(r, 4) || !requantOk(r, 6) || !requantOk(r, 8)) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 31]');
    if (!actOk(r, 10)) return opFail(F.E_BAD_OP, 'activation bounds must lie in [-128, 127] with min <= max');
  } else if (code == F.OP_MUL) {
    if (!inOffsetOk(param(r, 0)) || !offsetsOk(r, 1, 2)) return opFail(F.E_BAD_OP, 'input offsets must be -zp and output offset a zero point in int8');
    if (!requantOk(r, 3)) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 31]');
    if (!actOk(r, 5)) return opFail(F.E_BAD_OP, 'activation bounds must lie in [-128, 127] with min <= max');
  } else if (code == F.OP_SOFTMAX) {
    if (!multOk(param(r, 0)) || param(r, 2) > 0) return opFail(F.E_BAD_OP, 'input multiplier not 0 nor in [2^30, 2^31) or diff_min above 0');
  } else if (code == F.OP_PAD) {
    if (!int8Ok(param(r, 8))) return opFail(F.E_BAD_OP, 'pad value out of int8 range');
  } else if (code == F.OP_MEAN) {
    if (!int8Ok(param(r, 1)) || !int8Ok(param(r, 2)) || param(r, 3) < 0) return opFail(F.E_BAD_OP, 'zero points out of int8 range or negative multiplier');
  } else if (code == F.OP_REQUANTIZE) {
    if (!int8Ok(param(r, 0)) || !int8Ok(param(r, 1))) return opFail(F.E_BAD_OP, 'zero points out of int8 range');
    if (!requantOk(r, 2)) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 31]');
  } else if (code == F.OP_TRANSPOSE_CONV) {
    const sh = param(r, 0), sw = param(r, 1), pt = param(r, 2), pl = param(r, 3);
    if (sh < 1 || sw < 1 || <i64>sh > GEOMETRY_LIMIT || <i64>sw > GEOMETRY_LIMIT || pt < 0 || pl < 0 || pt > 0xffff || pl > 0xffff) return opFail(F.E_BAD_OP, 'strides (1 to 2^24) or padding (0 to 65535) out of range');
    if (!offsetsOk(r, 4, 5)) return opFail(F.E_BAD_OP, 'input offset must be -zp and output offset a zero point in int8');
    if (!actOk(r, 6)) return opFail(F.E_BAD_OP, 'activation bounds must lie in [-128, 127] with min <= max');
  } else if (code == F.OP_SVDF) {
    if (!int8Ok(param(r, 1)) || !int8Ok(param(r, 2))) return opFail(F.E_BAD_OP, 'zero points out of int8 range');
    if (!requantOk(r, 3) || !requantOk(r, 5)) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 31]');
  } else if (code == F.OP_UNIDIRECTIONAL_SEQUENCE_LSTM) {
    const clip = param(r, 25), tm = param(r, 26), ts = param(r, 27);
    if (!int8Ok(param(r, 1)) || !int8Ok(param(r, 2))) return opFail(F.E_BAD_OP, 'zero points out of int8 range');
    for (let k: u32 = 3; k < 25; k += 2) {
      if (!requantOk(r, k)) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 31]');
    }
    if (clip < -1 || clip > 32767 || tm < 1 || ts < 0 || ts > 31) return opFail(F.E_BAD_OP, 'cell clip not -1 (none) nor in [0, 32767], tanh multiplier below 1 or tanh shift not in [0, 31]');
  } else if (code == F.OP_LEAKY_RELU) {
    if (!int8Ok(param(r, 0)) || !int8Ok(param(r, 1))) return opFail(F.E_BAD_OP, 'zero points out of int8 range');
    if (!requantOk(r, 2) || !requantOk(r, 4)) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 31]');
  } else if (code == F.OP_QUANTIZE || code == F.OP_DEQUANTIZE) {
    const scale = reinterpret<f32>(param(r, 0));
    if (!(scale > 0) || !isFinite(scale) || !int8Ok(param(r, 1))) return opFail(F.E_BAD_OP, 'scale must be finite and > 0, zero point in int8');
  }
  return HAS_GROUP_B ? validateParamsB(r, code) : F.E_OK; // only group b's codes have checks there
}

const SQUARED_DIFFERENCE_LEFT_SHIFT_MAX: i32 = 7; // TFLM's int8 left shift
const DIV_OUTPUT_SHIFT_MAX: i32 = 21; // kernels/div.ts: the total shift stays <= 0

/** Param ranges of group b's ops (issue 10, int8 arithmetic). */
function validateParamsB(r: usize, code: u32): i32 {
  if (code == F.OP_PRELU) {
    if (!inOffsetOk(param(r, 0)) || !offsetsOk(r, 1, 2)) return opFail(F.E_BAD_OP, 'input and alpha offsets must be -zp and output offset a zero point in int8');
    if (!requantOk(r, 3) || !requantOk(r, 5)) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 31]');
  } else if (code == F.OP_SQUARED_DIFFERENCE) {
    if (!inOffsetOk(param(r, 0)) || !offsetsOk(r, 1, 2)) return opFail(F.E_BAD_OP, 'input offsets must be -zp and output offset a zero point in int8');
    const ls = param(r, 3);
    if (ls < 0 || ls > SQUARED_DIFFERENCE_LEFT_SHIFT_MAX) return opFail(F.E_BAD_OP, 'left shift out of range');
    if (!requantOk(r, 4) || !requantOk(r, 6) || !requantOk(r, 8)) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 31]');
  } else if (code == F.OP_DIV) {
    if (!inOffsetOk(param(r, 0)) || !offsetsOk(r, 1, 2)) return opFail(F.E_BAD_OP, 'input offsets must be -zp and output offset a zero point in int8');
    if (!requantOk(r, 3) || param(r, 4) > DIV_OUTPUT_SHIFT_MAX) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 21]');
    if (!actOk(r, 5)) return opFail(F.E_BAD_OP, 'activation bounds must lie in [-128, 127] with min <= max');
  } else if (code == F.OP_L2_NORMALIZATION) {
    if (!int8Ok(param(r, 0))) return opFail(F.E_BAD_OP, 'zero point out of int8 range');
  } else if (code == F.OP_LOG_SOFTMAX) {
    if (!multOk(param(r, 0)) || param(r, 1) < 1 || param(r, 1) > 31) return opFail(F.E_BAD_OP, 'input multiplier not 0 nor in [2^30, 2^31) or left shift not in [1, 31]');
    if (!multOk(param(r, 2)) || param(r, 3) > 0 || param(r, 3) < -31 || param(r, 4) > 0) return opFail(F.E_BAD_OP, 'reverse multiplier or shift (in [-31, 0]) out of range or diff_min above 0');
  }
  return F.E_OK;
}

// --- int16 (16x8) variants (dispatch.ts isS16: input 0 int16) ------------------------
// Activations int16 with zero point 0, weights int8, bias int64 or int32 (or absent),
// per-channel mult/shift int32 (const-check.ts: shifts in [-31, S16_SHIFT_MAX]).

/** Largest requant shift of an int16 op: TFLM's 64-bit MultiplyByQuantizedMultiplier shifts by 15 - shift. */
export const S16_SHIFT_MAX: i32 = 7;

function zeroPoint0(t: u32): bool {
  return load<i32>(M.rec(t) + F.T_ZERO_POINT) == 0;
}

/** Bias of an int16 op: absent, or int64 / int32 with `channels` values. */
function bias16Ok(r: usize, channels: i32): bool {
  const b = input(r, 2);
  if (b == F.NO_TENSOR) return true;
  return (M.dtype(b) == F.DT_INT64 || M.dtype(b) == F.DT_INT32) && M.elements(b) == channels;
}

function validateS16(r: usize, code: u32): i32 {
  const y = output(r, 0), x = input(r, 0);
  if (nParams(r) != <u32>F.PARAM_COUNTS[code]) return opFail(F.E_BAD_OP, 'int16 ops take the plain layout only');
  if (code == F.OP_QUANTIZE || code == F.OP_DEQUANTIZE || code == F.OP_REQUANTIZE) return validateQuantS16(r, code, x, y);
  if (code == F.OP_CONCATENATION) return validateConcatS16(r, y);
  if (M.dtype(y) != F.DT_INT16 || !zeroPoint0(x) || !zeroPoint0(y)) return opFail(F.E_BAD_SHAPE, 'int16 input and output must have zero point 0');
  if (code == F.OP_FULLY_CONNECTED) {
    if (nIn(r) != 5 || !has(r, 1, F.DT_INT8, 2)) return opFail(F.E_BAD_SHAPE, 'expects int16 input, rank-2 int8 weights, int16 output');
    const w = input(r, 1);
    const depth = M.dim(w, 1), oc = M.dim(w, 0);
    const n = M.elements(x);
    if (n % depth != 0 || M.elements(y) != (n / depth) * oc) return opFail(F.E_BAD_SHAPE, 'input/output sizes do not fit the weights');
    if (!bias16Ok(r, oc) || !hasCount(r, 3, oc) || !hasCount(r, 4, oc)) return opFail(F.E_BAD_SHAPE, 'bias (int64 or int32), multiplier and shift must have one value per output');
    return F.E_OK;
  }
  if (code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D) return validateConvS16(r, code, x, y);
  if (isOtherS16(code)) return validateOtherS16(r, code, x, y); // ops-other-s16.ts
  if (code == F.OP_PAD || code == F.OP_TRANSPOSE || code == F.OP_STRIDED_SLICE) return validateMoveS16(r, code, x, y);
  if (code == F.OP_TRANSPOSE_CONV) {
    if (nIn(r) != 5 || !has(r, 0, F.DT_INT16, 4) || !has(r, 1, F.DT_INT8, 4) || M.rank(y) != 4) return opFail(F.E_BAD_SHAPE, 'expects rank-4 int16 input and output and a rank-4 int8 filter');
    const w = input(r, 1), b = input(r, 2), oc = M.dim(y, 3);
    if (M.dim(y, 0) != M.dim(x, 0) || M.dim(w, 0) != oc || M.dim(w, 3) != M.dim(x, 3)) return opFail(F.E_BAD_SHAPE, 'filter [oc, kh, kw, ic] does not fit input and output');
    if ((b != F.NO_TENSOR && (M.dtype(b) != F.DT_INT64 || M.elements(b) != oc)) || !hasCount(r, 3, oc) || !hasCount(r, 4, oc)) return opFail(F.E_BAD_SHAPE, 'bias (int64), multiplier and shift must have one value per output channel');
    return F.E_OK;
  }
  if (code == F.OP_LEAKY_RELU) {
    if (nIn(r) != 1 || M.elements(x) != M.elements(y)) return opFail(F.E_BAD_SHAPE, 'input and output sizes differ');
    return F.E_OK;
  }
  if (code == F.OP_ADD || code == F.OP_SUB || code == F.OP_MUL) {
    if (nIn(r) != 2 || !has(r, 1, F.DT_INT16, -1) || !zeroPoint0(input(r, 1))) return opFail(F.E_BAD_SHAPE, 'expects two int16 inputs with zero point 0');
    const b = input(r, 1);
    for (let k = 0; k < 4; k++) {
      const d = M.dim4(y, k), da = M.dim4(x, k), db = M.dim4(b, k);
      if ((da != d && da != 1) || (db != d && db != 1)) return opFail(F.E_BAD_SHAPE, 'input shapes do not broadcast to the output');
    }
    return F.E_OK;
  }
  return opFail(F.E_UNSUPPORTED_OP, 'unknown opcode');
}

/** PAD, TRANSPOSE, STRIDED_SLICE of one int16 input (zero points checked): shapes as int8. */
function validateMoveS16(r: usize, code: u32, x: u32, y: u32): i32 {
  if (nIn(r) != 1) return opFail(F.E_BAD_SHAPE, 'expects one int16 input');
  if (code == F.OP_STRIDED_SLICE) return validateSliceParams(r, y);
  if (code == F.OP_PAD) {
    for (let k: u32 = 0; k < 4; k++) {
      const b = param(r, k), a = param(r, 4 + k);
      if (b < 0 || a < 0 || <i64>M.dim4(x, k) + <i64>b + <i64>a != <i64>M.dim4(y, k)) return opFail(F.E_BAD_SHAPE, 'output is not the padded input');
    }
    return F.E_OK;
  }
  let seen = 0;
  for (let k: u32 = 0; k < 4; k++) {
    const p = param(r, k);
    if (p < 0 || p > 3 || (seen & (1 << p))) return opFail(F.E_BAD_OP, 'perm is not a permutation of 4 axes');
    seen |= 1 << p;
    if (M.dim4(x, p) != M.dim4(y, k)) return opFail(F.E_BAD_SHAPE, 'output is not the permuted input');
  }
  return F.E_OK;
}

/** CONCATENATION of int16 inputs with zero point 0 (as the int8 check, element size 2). */
function validateConcatS16(r: usize, y: u32): i32 {
  const axis = param(r, 0);
  if (M.dtype(y) != F.DT_INT16 || axis < 0 || axis > 3 || nIn(r) < 1) return opFail(F.E_BAD_OP, 'expects int16 output and an axis in 0..3');
  let total: i64 = 0;
  for (let i: u32 = 0; i < nIn(r); i++) {
    if (!has(r, i, F.DT_INT16, -1) || !zeroPoint0(input(r, i))) return opFail(F.E_BAD_SHAPE, 'inputs must be int16 with zero point 0');
    const x = input(r, i);
    for (let k = 0; k < 4; k++) if (k != axis && M.dim4(x, k) != M.dim4(y, k)) return opFail(F.E_BAD_SHAPE, 'input shapes differ off the axis');
    total += M.dim4(x, axis);
  }
  if (total != <i64>M.dim4(y, axis)) return opFail(F.E_BAD_SHAPE, 'inputs do not fill the output axis');
  return F.E_OK;
}

/** QUANTIZE float32 -> int16, DEQUANTIZE int16 -> float32, REQUANTIZE int8/int16 -> int8/int16 (one side int16). */
function validateQuantS16(r: usize, code: u32, x: u32, y: u32): i32 {
  const xt = M.dtype(x), yt = M.dtype(y);
  let ok: bool;
  if (code == F.OP_QUANTIZE) ok = xt == F.DT_FLOAT32 && yt == F.DT_INT16;
  else if (code == F.OP_DEQUANTIZE) ok = xt == F.DT_INT16 && yt == F.DT_FLOAT32;
  else ok = (xt == F.DT_INT8 || xt == F.DT_INT16) && (yt == F.DT_INT8 || yt == F.DT_INT16);
  if (nIn(r) != 1 || !ok) return opFail(F.E_BAD_SHAPE, 'input/output dtypes do not fit the op');
  if (M.elements(x) != M.elements(y)) return opFail(F.E_BAD_SHAPE, 'input and output sizes differ');
  return F.E_OK;
}

/** CONV_2D / DEPTHWISE_CONV_2D: shapes as int8 (validateOp), bias int64 (conv: or int32). */
function validateConvS16(r: usize, code: u32, x: u32, y: u32): i32 {
  if (nIn(r) != 5 || !has(r, 0, F.DT_INT16, 4) || !has(r, 1, F.DT_INT8, 4) || M.rank(y) != 4) return opFail(F.E_BAD_SHAPE, 'expects rank-4 int16 input and output and a rank-4 int8 filter');
  const w = input(r, 1), oc = M.dim(y, 3);
  if (M.dim(y, 0) != M.dim(x, 0)) return opFail(F.E_BAD_SHAPE, 'batch of output and input differ');
  if (!positiveGeometry(r)) return opFail(F.E_BAD_OP, 'strides and dilations must be >= 1');
  if (code == F.OP_CONV_2D) {
    const groupC = M.dim(w, 3);
    if (M.dim(w, 0) != oc || M.dim(x, 3) % groupC != 0 || oc % (M.dim(x, 3) / groupC) != 0) return opFail(F.E_BAD_SHAPE, 'filter shape does not fit input and output channels');
  } else {
    const dm = param(r, 10), b = input(r, 2);
    if (M.dim(w, 0) != 1 || M.dim(w, 3) != oc || dm < 1 || M.dim(x, 3) * dm != oc) return opFail(F.E_BAD_SHAPE, 'filter shape or depth multiplier does not fit the channels');
    if (b != F.NO_TENSOR && M.dtype(b) != F.DT_INT64) return opFail(F.E_BAD_SHAPE, 'int16 depthwise bias must be int64');
  }
  if (!bias16Ok(r, oc) || !hasCount(r, 3, oc) || !hasCount(r, 4, oc)) return opFail(F.E_BAD_SHAPE, 'bias (int64 or int32), multiplier and shift must have one value per output channel');
  return F.E_OK;
}

// @ts-ignore: decorator
@inline function int16Ok(v: i32): bool { return v >= -32768 && v <= 32767; }

/** Params k .. k + n - 1 are 0 (an int16 op's offsets: zero points 0). */
function zeros(r: usize, k: u32, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) if (param(r, k + i) != 0) return false;
  return true;
}

/** Activation bounds (params k, k + 1) inside int16 with min <= max. */
function bounds16(r: usize, k: u32): bool {
  const lo = param(r, k), hi = param(r, k + 1);
  return int16Ok(lo) && int16Ok(hi) && lo <= hi;
}

const S16_LEFT_SHIFT: i32 = 15; // TFLM's int16 ADD/SUB: (x << 15) fits i32 for every int16 x

function validateS16Params(r: usize, code: u32): i32 {
  if (isOtherS16(code)) return validateOtherS16Params(r, code); // ops-other-s16.ts
  let offsets: u32 = 0, n: u32 = 0, act: u32 = 0;
  if (code == F.OP_FULLY_CONNECTED) { offsets = 0; n = 2; act = 2; }
  else if (code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D) { offsets = 6; n = 2; act = 8; }
  else if (code == F.OP_ADD || code == F.OP_SUB) {
    offsets = 0; n = 3; act = 10;
    if (param(r, 3) != S16_LEFT_SHIFT) return opFail(F.E_BAD_OP, 'int16 ADD/SUB left shift must be 15');
    if (!requantOk(r, 4) || !requantOk(r, 6) || !requantOk(r, 8)) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 31]');
  } else if (code == F.OP_QUANTIZE || code == F.OP_DEQUANTIZE) {
    const scale = reinterpret<f32>(param(r, 0));
    if (!(scale > 0) || !isFinite(scale) || param(r, 1) != 0) return opFail(F.E_BAD_OP, 'scale must be finite and > 0, int16 zero point 0');
  } else if (code == F.OP_REQUANTIZE) {
    const in16 = M.dtype(input(r, 0)) == F.DT_INT16, out16 = M.dtype(output(r, 0)) == F.DT_INT16;
    if ((in16 ? param(r, 0) != 0 : !int8Ok(param(r, 0))) || (out16 ? param(r, 1) != 0 : !int8Ok(param(r, 1)))) return opFail(F.E_BAD_OP, 'zero points must be 0 (int16) or in int8 range');
    if (!requantOk(r, 2)) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 31]');
  } else if (code == F.OP_TRANSPOSE_CONV) {
    offsets = 4; n = 2; act = 6;
    const sh = param(r, 0), sw = param(r, 1), pt = param(r, 2), pl = param(r, 3);
    if (sh < 1 || sw < 1 || <i64>sh > GEOMETRY_LIMIT || <i64>sw > GEOMETRY_LIMIT || pt < 0 || pl < 0 || pt > 0xffff || pl > 0xffff) return opFail(F.E_BAD_OP, 'strides (1 to 2^24) or padding (0 to 65535) out of range');
  } else if (code == F.OP_LEAKY_RELU) {
    if (!zeros(r, 0, 2)) return opFail(F.E_BAD_OP, 'int16 input and output offsets must be 0');
    if (!requantOk(r, 2) || !requantOk(r, 4)) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 31]');
  } else if (code == F.OP_PAD) {
    if (!int16Ok(param(r, 8))) return opFail(F.E_BAD_OP, 'int16 pad value out of int16 range');
  } else if (code == F.OP_MUL) {
    offsets = 0; n = 3; act = 5;
    if (!requantOk(r, 3)) return opFail(F.E_BAD_OP, 'multiplier not 0 nor in [2^30, 2^31) or shift not in [-31, 31]');
  }
  if (!zeros(r, offsets, n)) return opFail(F.E_BAD_OP, 'int16 input and output offsets must be 0');
  if (n > 0 && !bounds16(r, act)) return opFail(F.E_BAD_OP, 'activation bounds must lie in [-32768, 32767] with min <= max');
  return F.E_OK;
}
