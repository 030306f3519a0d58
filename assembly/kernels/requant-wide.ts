// Requantization for 64-bit JIT hosts (the widened kernels, gemm-wide.ts and dwconv-wide.ts):
// exactly mbqmRq (quant.ts) over the validated requant table (const-check.ts: e in [0, 31],
// 2^left > 1 only where e = 0), in one form for both shifts and without a branch:
//   floor((x 2^left m + c) / 2^(31 + e)),  c = 2^30 + [e > 0] (2^(30 + e) - [x < 0] 2^31),
// in i64 (|x m| < 2^62, c <= 2^61 + 2^30: no wrap). The firmware keeps mbqmRq's 32-bit form.
// A channel's constants are prepared once per call into a 48-byte record (rqWideRecord).

import { clamp, rqPow2At, rqRight } from './quant';

/** Bytes of a channel's record: +0 m, +8 c, +16 neg, +24 shift (i64), +32 2^left, +36 bias (i32). */
export const RQ_WIDE_BYTES: usize = 48;

/** Lane l (0-3) of requant record q and the channel's bias -> its record at dst. */
// @ts-ignore: decorator
@inline export function rqWideRecord(q: usize, l: usize, bias: i32, dst: usize): void {
  const e = rqRight(q, l);
  store<i64>(dst, <i64>load<i32>(q + (l << 2)));
  store<i64>(dst, e == 0 ? <i64>(1 << 30) : (<i64>1 << 30) + (<i64>1 << <i64>(30 + e)), 8);
  store<i64>(dst, e == 0 ? 0 : -(<i64>1 << 31), 16);
  store<i64>(dst, <i64>(31 + e), 24);
  store<i32>(dst, e == 0 ? load<i32>(rqPow2At(q, l)) : 1, 32);
  store<i32>(dst, bias, 36);
}

/** The output byte of accumulator x (its bias added by the caller) from a record's fields. */
// @ts-ignore: decorator
@inline export function rqWide(x: i32, m: i64, c: i64, neg: i64, shift: i64, p2: i32, outOff: i32, lo: i32, hi: i32): u8 {
  const v = <i32>((<i64>(x * p2) * m + c + (<i64>(x >> 31) & neg)) >> shift);
  return <u8>clamp(v + outOff, lo, hi);
}
