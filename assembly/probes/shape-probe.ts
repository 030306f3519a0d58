// Test probe (not part of any runtime build): the MEAN and TRANSPOSE kernels' fast paths beside
// their general loops, so test/shape-fast.test.ts can compare them on random shapes. Compiled by
// the test twice, with and without --enable simd.

import { Dims4, mean_s8, meanAxes, transpose_s8, transposeRows } from '../kernels/shape';

/** First 16-aligned free byte. */
export function heapBase(): usize { return (__heap_base + 15) & ~15; }

/** mean_s8 (fast = 1: the dispatching kernel; 0: meanAxes, the general loop); xs: 4 i32 dims. */
export function mean(fast: i32, x: usize, xs: usize, y: usize, mask: i32, inZp: i32, outZp: i32, mult: i32, shift: i32): void {
  if (fast) mean_s8(x, changetype<Dims4>(xs), y, mask, inZp, outZp, mult, shift);
  else meanAxes(x, changetype<Dims4>(xs), y, mask, inZp, outZp, mult, shift);
}

/** transpose_s8 (fast = 1) or transposeRows (0); xs, ys: 4 i32 dims; perm: 4 i32. */
export function transpose(fast: i32, x: usize, xs: usize, y: usize, ys: usize, perm: usize): void {
  if (fast) transpose_s8(x, changetype<Dims4>(xs), y, changetype<Dims4>(ys), perm);
  else transposeRows(x, changetype<Dims4>(xs), y, changetype<Dims4>(ys), perm);
}
