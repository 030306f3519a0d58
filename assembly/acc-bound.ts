// Load-time accumulator bounds of the blocked GEMM ops, for the SIMD build's requantization.
//
// requantF4 (kernels/requant-simd.ts) is exact for accumulators in [-rqfBias, rqfBias), and the
// GEMM epilogues check that range per pair of quads (rqfFits2: 3 vector operations and a
// branch) before taking it. An op whose every accumulator is provably inside needs no check:
// the GEMM multiplies raw int8 inputs (|x| <= 128) by the packed weights and starts from the
// folded bias, so channel c's accumulator lies within |bias'[c]| + 128 * sum_k |w[c, k]| of 0,
// over all K8 taps of the packed row (padding taps included, whatever they hold).
// markAccFits computes that bound once per load for every blocked conv and FC whose filter,
// bias and requant table are constants, and records one bit per op (the first ACC_FITS_OPS
// ops); the interpreter hands the op's bit to the kernels (rqfAccFits). The scalar build
// reserves nothing and records nothing.

import * as F from './format';
import * as M from './model';
import * as O from './ops';
import * as K from './kernel-table';
import { kernelOf } from './dispatch';
import { RQ_RECORD_BYTES, rqfBias, rqfPrepare } from './kernels/requant-simd';

/** Ops whose bit is kept; later ops keep the per-quad range check. */
const ACC_FITS_OPS: u32 = 2048;
const ACC_FITS: usize = ASC_FEATURE_SIMD ? memory.data(<i32>(ACC_FITS_OPS >> 3), 16) : 0;

/** Whether op i's accumulators were proven inside requantF4's range at load. */
// @ts-ignore: decorator
@inline export function accFitsOf(i: u32): bool {
  return ASC_FEATURE_SIMD && i < ACC_FITS_OPS && (load<u8>(ACC_FITS + <usize>(i >> 3)) >> (i & 7) & 1) != 0;
}

/** Clears every bit, then sets op i's when its accumulators provably fit (SIMD build only). */
export function markAccFits(): void {
  if (!ASC_FEATURE_SIMD) return;
  memory.fill(ACC_FITS, 0, <usize>(ACC_FITS_OPS >> 3));
  let r = M.firstOp;
  for (let i: u32 = 0; i < M.opCount && i < ACC_FITS_OPS; i++) {
    if (accFits(r)) store<u8>(ACC_FITS + <usize>(i >> 3), load<u8>(ACC_FITS + <usize>(i >> 3)) | <u8>(<u32>1 << (i & 7)));
    r = O.next(r);
  }
}

/** True when op r is a blocked conv or FC over constants whose accumulators all lie in [-rqfBias, rqfBias). */
function accFits(r: usize): bool {
  const v = kernelOf(r);
  if (v != K.K_CONV_BLOCKED && v != K.K_FC_BLOCKED) return false;
  const w = O.input(r, 1), bias = O.input(r, 2), rq = O.input(r, 3);
  if (w == F.NO_TENSOR || bias == F.NO_TENSOR || rq == F.NO_TENSOR) return false;
  if (M.kind(w) != F.KIND_CONST || M.kind(bias) != F.KIND_CONST || M.kind(rq) != F.KIND_CONST) return false;
  if (M.dtype(w) != F.DT_INT8 || M.dtype(bias) != F.DT_INT32) return false;
  const oc4 = M.dim(w, 0), k8 = M.dim(w, 1);
  if (oc4 <= 0 || (oc4 & 3) != 0 || k8 <= 0 || (k8 & 7) != 0) return false;
  if (<u64>oc4 * <u64>k8 != <u64>M.byteCount(w) || <u64>oc4 * 4 > <u64>M.byteCount(bias)) return false;
  if (<u64>(oc4 >> 2) * <u64>RQ_RECORD_BYTES > <u64>M.byteCount(rq)) return false;
  if (rqfPrepare(M.dataOf(rq), oc4 >> 2) == 0) return false; // sets rqfBias from the table
  return largestAccumulator(M.dataOf(w), k8, oc4, M.dataOf(bias)) < <u64>rqfBias;
}

/** max over channels of |bias[c]| + 128 * sum_k |w[c, k]| for packed weights [oc4/4][K8/8][4 oc][8 k]. */
function largestAccumulator(w: usize, k8: i32, oc4: i32, bias: usize): u64 {
  let most: u64 = 0;
  const quadBytes = <usize>k8 << 2;
  for (let q = 0; q < (oc4 >> 2); q++) {
    const wq = w + <usize>q * quadBytes;
    // per channel, i32 lanes of |w| pair sums: K8 <= 2^16 taps of <= 128 stay below 2^24
    let s0 = i32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    for (let s = 0; s < (k8 >> 3); s++) {
      const p = wq + (<usize>s << 5);
      s0 = i32x4.add(s0, i32x4.extadd_pairwise_i16x8_s(i16x8.abs(v128.load8x8_s(p))));
      s1 = i32x4.add(s1, i32x4.extadd_pairwise_i16x8_s(i16x8.abs(v128.load8x8_s(p, 8))));
      s2 = i32x4.add(s2, i32x4.extadd_pairwise_i16x8_s(i16x8.abs(v128.load8x8_s(p, 16))));
      s3 = i32x4.add(s3, i32x4.extadd_pairwise_i16x8_s(i16x8.abs(v128.load8x8_s(p, 24))));
    }
    const b = bias + (<usize>q << 4);
    most = max(most, channelBound(s0, load<i32>(b)));
    most = max(most, channelBound(s1, load<i32>(b, 4)));
    most = max(most, channelBound(s2, load<i32>(b, 8)));
    most = max(most, channelBound(s3, load<i32>(b, 12)));
  }
  return most;
}

/** |b| + 128 * (sum of the 4 lanes of s), in u64. */
// @ts-ignore: decorator
@inline function channelBound(s: v128, b: i32): u64 {
  const taps = <u64>i32x4.extract_lane(s, 0) + <u64>i32x4.extract_lane(s, 1) + <u64>i32x4.extract_lane(s, 2) + <u64>i32x4.extract_lane(s, 3);
  return <u64>abs<i64>(<i64>b) + (taps << 7);
}
