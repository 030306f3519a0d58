// Load-time check that no op writes over bytes it still has to read, whatever the file's
// arena offsets say. An op's output may share bytes with an arena input only as
//   (a) in place: ADD, MUL, REQUANTIZE, SOFTMAX with the input at exactly the output's range
//       (their kernels read element i before writing element i);
//   (b) output over input: CONV_2D, DEPTHWISE_CONV_2D, AVERAGE/MAX_POOL_2D over one batch,
//       filter not Huffman-coded, input 0 only, with O - I <= maxShift (docs/FORMAT.md,
//       "Output over input"; the converter's copy of the formula: src/passes/overlap-rule.ts).
// Every kernel variant (scalar, SIMD, packed layouts, codebook LUT) then computes the same
// bytes with or without the overlap, so all builds agree on every file that loads.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import { usesHuffman } from './packed';
import { isS16 } from './dispatch';
import { Msg, NO_MESSAGE } from './message';

/** Arena byte range of tensor t: [start, start + bytes). */
// @ts-ignore: decorator
@inline function start(t: u32): i64 { return <i64>load<u32>(M.rec(t) + F.T_OFFSET); }
// @ts-ignore: decorator
@inline function end(t: u32): i64 { return start(t) + <i64>M.byteCount(t); }

function isArena(t: u32): bool {
  return t != F.NO_TENSOR && M.kind(t) == F.KIND_ARENA;
}

/** True if arena input k of op r shares a byte with its output. */
export function sharesBytes(r: usize, k: u32): bool {
  const x = O.input(r, k), y = O.output(r, 0);
  if (!isArena(x)) return false;
  return start(x) < end(y) && start(y) < end(x) && M.byteCount(x) != 0 && M.byteCount(y) != 0;
}

function inPlaceOp(code: u32): bool {
  return code == F.OP_ADD || code == F.OP_MUL || code == F.OP_REQUANTIZE || code == F.OP_SOFTMAX;
}

function rowOp(code: u32): bool {
  return code == F.OP_CONV_2D || code == F.OP_DEPTHWISE_CONV_2D || code == F.OP_AVERAGE_POOL_2D || code == F.OP_MAX_POOL_2D;
}

/** Output pixels one kernel step computes before it stores (conv_s8's GEMM: 2). */
function pixelsPerStep(code: u32): i64 {
  return code == F.OP_CONV_2D ? 2 : 1;
}

/** Filter height and width: pool params 2-3, a packed conv's params 11-12, else the filter's dims 1-2. */
function filterH(r: usize, code: u32): i64 {
  if (code == F.OP_AVERAGE_POOL_2D || code == F.OP_MAX_POOL_2D) return <i64>O.param(r, 2);
  if (code == F.OP_CONV_2D && O.isPacked(r)) return <i64>O.param(r, 11);
  return <i64>M.dim(O.input(r, 1), 1);
}

function filterW(r: usize, code: u32): i64 {
  if (code == F.OP_AVERAGE_POOL_2D || code == F.OP_MAX_POOL_2D) return <i64>O.param(r, 3);
  if (code == F.OP_CONV_2D && O.isPacked(r)) return <i64>O.param(r, 12);
  return <i64>M.dim(O.input(r, 1), 2);
}

/**
 * Largest O - I at which op r's output may start over its input 0: the least over output
 * rows y of rowIn * clamp(y * strideH - padTop, 0, inH) - rowOut * (y + 1), minus (g - 1) * outC
 * for a kernel step of g pixels. A 1x1 stride-1 unpadded conv's rows are single pixels.
 * Stride and pad are params 0 and 4 (both param layouts), pad-left param 5.
 */
export function maxOutputShift(r: usize, code: u32): i64 {
  const x = O.input(r, 0), y = O.output(r, 0);
  const inH = <i64>M.dim(x, 1), inW = <i64>M.dim(x, 2), inC = <i64>M.dim(x, 3);
  const outH = <i64>M.dim(y, 1), outW = <i64>M.dim(y, 2), outC = <i64>M.dim(y, 3);
  const strideH = <i64>O.param(r, 0), padTop = <i64>O.param(r, 4);
  const pointwise = filterH(r, code) == 1 && filterW(r, code) == 1 && strideH == 1 && O.param(r, 1) == 1
    && padTop == 0 && O.param(r, 5) == 0 && inW == outW;
  const rows = pointwise ? outH * outW : outH;
  const rowIn = pointwise ? inC : inW * inC, rowOut = pointwise ? outC : outW * outC;
  const stride = pointwise ? 1 : strideH, pad = pointwise ? 0 : padTop;
  const inRows = pointwise ? inH * inW : inH;
  let shift: i64 = I64.MAX_VALUE;
  for (let row: i64 = 0; row < rows; row++) {
    const firstRead = min(max<i64>(0, row * stride - pad), inRows); // rows past the image: none read
    shift = min(shift, rowIn * firstRead - rowOut * (row + 1));
  }
  return shift - (pixelsPerStep(code) - 1) * outC;
}

/** True when op r may write its output over part of input 0 at all (rule (b) above). */
function overlapCapable(r: usize, code: u32): bool {
  if (!rowOp(code) || O.nIn(r) < 1) return false;
  if (isS16(r, code)) return false; // the shift above counts int8 elements; 16x8 ops never overlap
  const x = O.input(r, 0), y = O.output(r, 0);
  if (M.dim(x, 0) != 1 || M.dim(y, 0) != 1) return false; // ranks were checked: 4
  if (M.dtype(y) == F.DT_FLOAT32) return false; // group f32: the rule counts 1-byte elements; float kernels get no overlap
  return !usesHuffman(r, code); // Huffman tiles re-read the whole input per tile of channels
}

/** Problem with op r's output sharing bytes with an input, or NO_MESSAGE. Runs after validateOp. */
export function overlapProblem(r: usize, code: u32): Msg {
  const y = O.output(r, 0);
  for (let k: u32 = 0; k < O.nIn(r); k++) {
    if (!sharesBytes(r, k)) continue;
    const x = O.input(r, k);
    if (inPlaceOp(code) && start(x) == start(y) && end(x) == end(y)) continue;
    if (k == 0 && overlapCapable(r, code) && start(y) - start(x) <= maxOutputShift(r, code)) continue;
    return 'output overlaps input: the kernel would overwrite bytes it has yet to read';
  }
  return NO_MESSAGE;
}
