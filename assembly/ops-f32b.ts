// Load-time checks of the float32 forms of issue 10's groups a, b, c (rows MISC_F32 and
// MOVE_F32; kernels in kernels/f32-misc.ts and kernels/f32-move.ts, calls in run-f32b.ts).
// Each op keeps its int8 opcode and param layout (docs/FORMAT.md "Float32 ops"): TABLE_COPY,
// GATHER, ARG_MAX/ARG_MIN, REDUCE_MAX the same params as int8; RESIZE_BILINEAR its two
// scales as f32 bits; PRELU, SQUARED_DIFFERENCE, L2_NORMALIZATION, LOG_SOFTMAX all params 0;
// DIV MUL's layout with the clamp at 5-6. Every build refuses the same files.

import * as F from './format';
import * as M from './model';
import {
  opFail, nIn, nParams, input, output, param, reducedSizeProblem, validateTableCopy, validateGather, validateArgMaxMin,
} from './ops';
import { isPacked } from './packed';

/** The tensor whose dtype decides a float32 op: the output, but ARG_MAX/ARG_MIN's input 0 (their output is int32). */
export function isFloat32Value(r: usize, code: u32): bool {
  let t = output(r, 0);
  if (code == F.OP_ARG_MAX || code == F.OP_ARG_MIN) t = nIn(r) >= 1 ? input(r, 0) : F.NO_TENSOR;
  return t != F.NO_TENSOR && t < M.tensorCount && M.dtype(t) == F.DT_FLOAT32;
}

/** Opcodes whose float32 form runs under MISC_F32 or MOVE_F32 (dispatch.ts float32Variant). */
export function isFloat32B(code: u32): bool {
  return code == F.OP_TABLE_COPY || code == F.OP_GATHER || code == F.OP_RESIZE_BILINEAR || code == F.OP_ARG_MAX ||
    code == F.OP_ARG_MIN || code == F.OP_REDUCE_MAX || code == F.OP_PRELU || code == F.OP_SQUARED_DIFFERENCE ||
    code == F.OP_DIV || code == F.OP_L2_NORMALIZATION || code == F.OP_LOG_SOFTMAX;
}

function plainF32(t: u32): bool {
  return t != F.NO_TENSOR && M.dtype(t) == F.DT_FLOAT32 && !isPacked(t);
}

function zeros(r: usize, from: u32, to: u32): bool {
  for (let k = from; k < to; k++) if (param(r, k) != 0) return false;
  return true;
}

/** Shape and param checks of a float32 op of groups a, b, c; F.E_OK when it may run. */
export function validateFloat32B(r: usize, code: u32, y: u32): i32 {
  for (let k: u32 = 0; k < nIn(r); k++) {
    const t = input(r, k);
    if (t != F.NO_TENSOR && isPacked(t)) return opFail(F.E_BAD_SHAPE, 'float32 op: inputs must be plain (not packed)');
  }
  // TABLE_COPY: a variable param count, checked with the tables
  if (code == F.OP_TABLE_COPY) return validateTableCopy(r, y, F.DT_FLOAT32);
  if (nParams(r) != <u32>F.PARAM_COUNTS[code]) return opFail(F.E_BAD_OP, 'float32 op has the wrong number of params');
  if (code == F.OP_GATHER) return validateGather(r, y, F.DT_FLOAT32);
  if (code == F.OP_ARG_MAX || code == F.OP_ARG_MIN) return validateArgMaxMin(r, y, F.DT_FLOAT32);
  if (nIn(r) < 1 || !plainF32(input(r, 0)) || M.dtype(y) != F.DT_FLOAT32) return opFail(F.E_BAD_SHAPE, 'float32 op: input and output must be plain float32 tensors');
  const x = input(r, 0);
  if (code == F.OP_REDUCE_MAX) return nIn(r) == 1 ? reducedSizeProblem(x, y, param(r, 0)) : opFail(F.E_BAD_SHAPE, 'expects one input');
  if (code == F.OP_RESIZE_BILINEAR) return validateResizeBilinearF32(r, x, y);
  if (code == F.OP_L2_NORMALIZATION || code == F.OP_LOG_SOFTMAX) {
    if (nIn(r) != 1 || M.elements(x) != M.elements(y) || M.dim4(x, 3) != M.dim4(y, 3)) return opFail(F.E_BAD_SHAPE, 'output shape differs from input');
    return zeros(r, 0, nParams(r)) ? F.E_OK : opFail(F.E_BAD_OP, 'float32 params must be 0');
  }
  // PRELU, SQUARED_DIFFERENCE, DIV: two float32 inputs broadcast to the output
  if (nIn(r) != 2 || !plainF32(input(r, 1))) return opFail(F.E_BAD_SHAPE, 'expects two plain float32 inputs');
  const b = input(r, 1);
  for (let k = 0; k < 4; k++) {
    const d = M.dim4(y, k), da = M.dim4(x, k), db = M.dim4(b, k);
    if ((da != d && da != 1) || (db != d && db != 1)) return opFail(F.E_BAD_SHAPE, 'input shapes do not broadcast to the output');
  }
  if (code != F.OP_DIV) return zeros(r, 0, nParams(r)) ? F.E_OK : opFail(F.E_BAD_OP, 'float32 params must be 0');
  // DIV: MUL's layout, offsets and multipliers 0, the clamp at 5-6 (neither NaN, lo <= hi)
  const lo = reinterpret<f32>(param(r, 5)), hi = reinterpret<f32>(param(r, 6));
  return zeros(r, 0, 5) && lo <= hi ? F.E_OK : opFail(F.E_BAD_OP, 'float32 params: offsets and multipliers must be 0 and the clamp min <= max');
}

/**
 * RESIZE_BILINEAR params scaleH, scaleW (f32 bits), halfPixel: rank-4 input and output of equal
 * batch and channels; each scale finite and >= 0, and the last output row's (column's) source
 * position, computed as the kernel computes it, below the input's last row (column): positions
 * grow with the index (f32 rounding is monotonic), so every tap lies inside the input.
 */
function validateResizeBilinearF32(r: usize, x: u32, y: u32): i32 {
  if (nIn(r) != 1 || M.rank(x) != 4 || M.rank(y) != 4) return opFail(F.E_BAD_SHAPE, 'expects rank-4 float32 input and output');
  if (M.dim(y, 0) != M.dim(x, 0) || M.dim(y, 3) != M.dim(x, 3)) return opFail(F.E_BAD_SHAPE, 'output batch/channels differ from input');
  const half = param(r, 2);
  if (half != 0 && half != 1) return opFail(F.E_BAD_OP, 'half_pixel_centers must be 0 or 1');
  if (!lastRowInside(reinterpret<f32>(param(r, 0)), half != 0, M.dim(y, 1), M.dim(x, 1)) ||
    !lastRowInside(reinterpret<f32>(param(r, 1)), half != 0, M.dim(y, 2), M.dim(x, 2))) {
    return opFail(F.E_BAD_OP, 'scale not finite and >= 0, or positions fall outside the input');
  }
  return F.E_OK;
}

function lastRowInside(scale: f32, half: bool, outSize: i32, inSize: i32): bool {
  if (!(scale >= 0) || !isFinite(scale)) return false;
  const v = <f32>(outSize - 1);
  const s: f32 = half ? (v + 0.5) * scale - 0.5 : v * scale;
  return Mathf.floor(s) <= <f32>(inSize - 1);
}
