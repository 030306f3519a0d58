// ARG_MAX / ARG_MIN (int8 in, int32 out) and REDUCE_MAX (int8) in the 4-D view, as TFLite's
// reference kernels: the first index of the largest (smallest) value along one axis, ties to
// the lowest index; the largest stored value over the axes of a mask (bytes compared as they
// are: TFLM requires equal input and output quantization).

import { Dims4 } from './shape';

/** arg_max_min_s8: x viewed as [outer, n, inner] -> y int32 [outer, inner]. */
export function arg_max_min_s8(x: usize, outer: i32, n: i32, inner: i32, y: usize, isMax: bool): void {
  let out = y;
  for (let o = 0; o < outer; o++) {
    const base = x + <usize>(o * n * inner);
    for (let i = 0; i < inner; i++) {
      let best = <i32>load<i8>(base + <usize>i), at: i32 = 0;
      for (let j = 1; j < n; j++) {
        const v = <i32>load<i8>(base + <usize>(j * inner + i));
        if (isMax ? v > best : v < best) { best = v; at = j; }
      }
      store<i32>(out, at);
      out += 4;
    }
  }
}

/** reduce_max_s8: the largest value over the axes set in `mask` (bit k = axis k of the 4-D view). */
export function reduce_max_s8(x: usize, xs: Dims4, y: usize, mask: i32): void {
  const r0 = mask & 1 ? xs.d0 : 1, r1 = mask & 2 ? xs.d1 : 1, r2 = mask & 4 ? xs.d2 : 1, r3 = mask & 8 ? xs.d3 : 1;
  const k0 = mask & 1 ? 1 : xs.d0, k1 = mask & 2 ? 1 : xs.d1, k2 = mask & 4 ? 1 : xs.d2, k3 = mask & 8 ? 1 : xs.d3;
  let out = y;
  for (let o0 = 0; o0 < k0; o0++)
    for (let o1 = 0; o1 < k1; o1++)
      for (let o2 = 0; o2 < k2; o2++)
        for (let o3 = 0; o3 < k3; o3++) {
          let best: i32 = -128;
          for (let j0 = 0; j0 < r0; j0++)
            for (let j1 = 0; j1 < r1; j1++)
              for (let j2 = 0; j2 < r2; j2++)
                for (let j3 = 0; j3 < r3; j3++) {
                  const v = <i32>load<i8>(x + <usize>((((o0 + j0) * xs.d1 + o1 + j1) * xs.d2 + o2 + j2) * xs.d3 + o3 + j3));
                  if (v > best) best = v;
                }
          store<i8>(out, <i8>best);
          out++;
        }
}
