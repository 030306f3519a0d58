// STRIDED_SLICE over int8 in the 4-D view: output element (i0, i1, i2, i3) is input
// element (start_k + i_k * stride_k)_k; strides may be negative. The converter evaluated
// TFLite's begin/end/shrink masks offline (src/passes/prepare/strided-slice.ts); the loader
// checked that every index start_k + i * stride_k, i < count_k, lies inside axis k.

import { Dims4 } from './shape';

@unmanaged export class SliceParams {
  start0: i32; start1: i32; start2: i32; start3: i32;
  stride0: i32; stride1: i32; stride2: i32; stride3: i32;
  count0: i32; count1: i32; count2: i32; count3: i32;
}

/** strided_slice_s8: x int8 with dims xs -> y int8 [count0, count1, count2, count3] (raster order). */
export function strided_slice_s8(x: usize, xs: Dims4, y: usize, p: SliceParams): void {
  const s2 = xs.d3, s1 = xs.d2 * s2, s0 = xs.d1 * s1;
  let out = y;
  for (let i0 = 0; i0 < p.count0; i0++) {
    const r0 = (p.start0 + i0 * p.stride0) * s0;
    for (let i1 = 0; i1 < p.count1; i1++) {
      const r1 = r0 + (p.start1 + i1 * p.stride1) * s1;
      for (let i2 = 0; i2 < p.count2; i2++) {
        const row = x + <usize>(r1 + (p.start2 + i2 * p.stride2) * s2);
        for (let i3 = 0; i3 < p.count3; i3++) {
          store<i8>(out, load<i8>(row + <usize>(p.start3 + i3 * p.stride3)));
          out++;
        }
      }
    }
  }
}
