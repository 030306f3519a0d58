// Load-time checks of row OTHER_S16 (kernels/other-s16.ts): int16 SOFTMAX, AVERAGE_POOL_2D,
// MAX_POOL_2D and MEAN (SUM runs as MEAN). ops.ts validateS16 has checked that the output is
// int16 and input and output have zero point 0; these check shapes and params, the same in
// every build (what src/passes/prepare/other-s16.ts emits).

import * as F from './format';
import * as M from './model';
import { opFail, nIn, input, param } from './ops';

/** Entries of TFLM's int16 LUTs (exp, 1 / (1 + x)). */
export const LUT16_ENTRIES: i32 = 513;
/** Largest softmax row: 65536 Q0.15 exps sum below 2^31. */
const SOFTMAX_DEPTH_MAX: i32 = 65536;
/** Most elements an int16 pool window or mean sums in i32. */
const SUM_MAX: i64 = 65536;

export function isOtherS16(code: u32): bool {
  return code == F.OP_SOFTMAX || code == F.OP_AVERAGE_POOL_2D || code == F.OP_MAX_POOL_2D || code == F.OP_MEAN;
}

function int16In(t: u32, rk: i32): bool {
  return t != F.NO_TENSOR && M.dtype(t) == F.DT_INT16 && (rk < 0 || M.rank(t) == rk);
}

function lutOk(t: u32): bool {
  return int16In(t, -1) && M.elements(t) == LUT16_ENTRIES;
}

// @ts-ignore: decorator
@inline function int16Ok(v: i32): bool { return v >= -32768 && v <= 32767; }
// @ts-ignore: decorator
@inline function multOk(m: i32): bool { return m == 0 || m >= (1 << 30); }

/** Shapes of an OTHER_S16 op (x int16 with zero point 0, y int16 with zero point 0 checked). */
export function validateOtherS16(r: usize, code: u32, x: u32, y: u32): i32 {
  if (code == F.OP_SOFTMAX) {
    if (nIn(r) != 3 || !lutOk(input(r, 1)) || !lutOk(input(r, 2))) return opFail(F.E_BAD_SHAPE, 'int16 softmax expects the input and two int16 tables of 513 entries');
    if (M.elements(x) != M.elements(y) || M.dim4(x, 3) != M.dim4(y, 3)) return opFail(F.E_BAD_SHAPE, 'output shape differs from input');
    if (M.dim4(x, 3) > SOFTMAX_DEPTH_MAX) return opFail(F.E_BAD_SHAPE, 'int16 softmax rows hold at most 65536 values');
    return F.E_OK;
  }
  if (nIn(r) != 1) return opFail(F.E_BAD_SHAPE, 'expects one int16 input');
  if (code == F.OP_MEAN) {
    const mask = param(r, 0);
    if (mask < 0 || mask > 15) return opFail(F.E_BAD_OP, 'axis mask out of range');
    let kept: i64 = 1, n: i64 = 1;
    for (let k = 0; k < 4; k++) {
      if (mask & (1 << k)) n *= M.dim4(x, k);
      else kept *= M.dim4(x, k);
    }
    if (kept != <i64>M.elements(y)) return opFail(F.E_BAD_SHAPE, 'output size does not match the reduced input');
    if (n > SUM_MAX) return opFail(F.E_BAD_SHAPE, 'int16 mean reduces at most 65536 values per output');
    return F.E_OK;
  }
  // AVERAGE_POOL_2D, MAX_POOL_2D
  if (!int16In(x, 4) || M.rank(y) != 4) return opFail(F.E_BAD_SHAPE, 'expects rank-4 int16 input and output');
  if (M.dim(y, 0) != M.dim(x, 0) || M.dim(y, 3) != M.dim(x, 3)) return opFail(F.E_BAD_SHAPE, 'output batch/channels differ from input');
  if (param(r, 0) < 1 || param(r, 1) < 1 || param(r, 2) < 1 || param(r, 3) < 1) return opFail(F.E_BAD_OP, 'strides and filter must be >= 1');
  if (<i64>param(r, 2) * <i64>param(r, 3) > SUM_MAX) return opFail(F.E_BAD_OP, 'int16 pooling windows hold at most 65536 values');
  return F.E_OK;
}

/** Params of an OTHER_S16 op. */
export function validateOtherS16Params(r: usize, code: u32): i32 {
  if (code == F.OP_SOFTMAX) {
    // input multiplier, left shift (<= 15: |x - max| < 2^16, so x << shift stays in i32), 0
    const s = param(r, 1);
    if (!multOk(param(r, 0)) || s < -31 || s > 15 || param(r, 2) != 0) return opFail(F.E_BAD_OP, 'int16 softmax: multiplier not 0 nor in [2^30, 2^31), shift not in [-31, 15] or param 2 not 0');
  } else if (code == F.OP_MEAN) {
    const s = param(r, 4);
    if (param(r, 1) != 0 || param(r, 2) != 0 || param(r, 3) < 0 || s < -31 || s > 31) return opFail(F.E_BAD_OP, 'int16 mean: zero points must be 0, the multiplier >= 0 and the shift in [-31, 31]');
  } else {
    const pt = param(r, 4), pl = param(r, 5), lo = param(r, 6), hi = param(r, 7);
    if (pt < 0 || pl < 0 || pt > 0xffff || pl > 0xffff) return opFail(F.E_BAD_OP, 'padding out of range');
    if (!int16Ok(lo) || !int16Ok(hi) || lo > hi) return opFail(F.E_BAD_OP, 'activation bounds must lie in [-32768, 32767] with min <= max');
  }
  return F.E_OK;
}
