// MAXIMUM and MINIMUM over int8 with 4-D broadcasting, as TFLite's reference kernels: the
// larger (smaller) of the two stored int8 values, compared as they are (no requantization).

import { Broadcast4 } from './elementwise';

/** max_min_s8: y = max(a, b) (isMax) or min(a, b), y walked in raster order; a and b read through strides s. */
export function max_min_s8(a: usize, b: usize, y: usize, s: Broadcast4, isMax: bool): void {
  let out = y;
  for (let i0 = 0; i0 < s.d0; i0++)
    for (let i1 = 0; i1 < s.d1; i1++)
      for (let i2 = 0; i2 < s.d2; i2++) {
        const ar = a + <usize>(i0 * s.a0 + i1 * s.a1 + i2 * s.a2);
        const br = b + <usize>(i0 * s.b0 + i1 * s.b1 + i2 * s.b2);
        for (let i3 = 0; i3 < s.d3; i3++) {
          const av = load<i8>(ar + <usize>(i3 * s.a3));
          const bv = load<i8>(br + <usize>(i3 * s.b3));
          store<i8>(out, isMax ? (av > bv ? av : bv) : (av < bv ? av : bv));
          out++;
        }
      }
}
