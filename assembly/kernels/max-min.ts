// MAXIMUM and MINIMUM over int8 with 4-D broadcasting, as TFLite's reference kernels: the
// larger (smaller) of the two stored int8 values, compared as they are (no requantization).
// The shared broadcast walk (broadcast.ts); the ops read no params.

import { Broadcast4, broadcast_s8 } from './broadcast';

@unmanaged class MaxOp {
  // @ts-ignore: decorator
  @inline one(a: i32, b: i32): i32 { return a > b ? a : b; }
}

@unmanaged class MinOp {
  // @ts-ignore: decorator
  @inline one(a: i32, b: i32): i32 { return a < b ? a : b; }
}

/** max_min_s8: y = max(a, b) (isMax) or min(a, b), y walked in raster order; a and b read through strides s. */
export function max_min_s8(a: usize, b: usize, y: usize, s: Broadcast4, isMax: bool): void {
  if (isMax) broadcast_s8<MaxOp>(a, b, y, s, changetype<MaxOp>(s));
  else broadcast_s8<MinOp>(a, b, y, s, changetype<MinOp>(s));
}
