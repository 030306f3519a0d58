// invoke for the float32 forms of issue 10's groups a, b, c (rows MISC_F32, MOVE_F32;
// dispatch.ts float32Variant), each call guarded by its row's HAS_ constant; params and shapes
// were checked by ops-f32b.ts at load.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import { resize_bilinear_f32, arg_max_min_f32, reduce_max_f32, binary_b_f32, l2norm_f32, log_softmax_f32 } from './kernels/f32-misc';
import { table_copy_x32, gather_x32 } from './kernels/f32-move';
import { fillBroadcast, fillDims4, dimsA, dimsB, badIndex } from './interpreter';
import { HAS_MISC_F32, HAS_MOVE_F32 } from './kernel-table';

/** Runs op r: E_OK, or BAD_INDEX when a run-time GATHER index lies outside its axis. */
export function runFloat32B(r: usize, code: u32, y: u32, yp: usize, p: usize): i32 {
  const x = O.input(r, 0), xp = M.dataOf(x);
  if (code == F.OP_TABLE_COPY) {
    if (HAS_MOVE_F32) table_copy_x32(xp, yp, p);
  } else if (code == F.OP_GATHER) {
    if (HAS_MOVE_F32) {
      const indices = O.input(r, 1);
      const bad = gather_x32(xp, M.dataOf(indices), yp, p, M.elements(indices) / O.param(r, 0));
      if (bad >= 0) return badIndex(r, bad);
    }
  } else if (code == F.OP_RESIZE_BILINEAR) {
    const half = O.param(r, 2) != 0;
    if (HAS_MISC_F32) resize_bilinear_f32(xp, fillDims4(x, dimsA), yp, fillDims4(y, dimsB), reinterpret<f32>(O.param(r, 0)), reinterpret<f32>(O.param(r, 1)), half);
  } else if (code == F.OP_ARG_MAX || code == F.OP_ARG_MIN) {
    const axis = O.param(r, 0);
    let outer: i32 = 1, inner: i32 = 1;
    for (let k = 0; k < axis; k++) outer *= M.dim4(x, k);
    for (let k = axis + 1; k < 4; k++) inner *= M.dim4(x, k);
    if (HAS_MISC_F32) arg_max_min_f32(xp, outer, M.dim4(x, axis), inner, yp, code == F.OP_ARG_MAX);
  } else if (code == F.OP_REDUCE_MAX) {
    if (HAS_MISC_F32) reduce_max_f32(xp, fillDims4(x, dimsA), yp, O.param(r, 0));
  } else if (code == F.OP_PRELU || code == F.OP_SQUARED_DIFFERENCE || code == F.OP_DIV) {
    const b = O.input(r, 1), div = code == F.OP_DIV;
    const lo = div ? reinterpret<f32>(O.param(r, 5)) : -Infinity, hi = div ? reinterpret<f32>(O.param(r, 6)) : Infinity;
    if (HAS_MISC_F32) binary_b_f32(code, xp, M.dataOf(b), yp, fillBroadcast(x, b, y), lo, hi);
  } else if (code == F.OP_L2_NORMALIZATION) {
    const depth = M.dim4(x, 3);
    if (HAS_MISC_F32) l2norm_f32(xp, yp, M.elements(x) / depth, depth);
  } else if (code == F.OP_LOG_SOFTMAX) {
    const depth = M.dim4(x, 3);
    if (HAS_MISC_F32) log_softmax_f32(xp, yp, M.elements(x) / depth, depth);
  }
  return F.E_OK;
}
