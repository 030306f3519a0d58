// Data movement over 4-D tensors of 2-byte elements (int16 PAD, TRANSPOSE, STRIDED_SLICE),
// the same walks as the int8 kernels in shape.ts and strided-slice.ts. They run under the
// int8 rows PAD, TRANSPOSE and STRIDED_SLICE (dispatch.ts s16VariantOf: by element size).

import { Dims4 } from './shape';
import { SliceParams } from './strided-slice';

// @ts-ignore: decorator
@inline function at(base: usize, i: i32): usize { return base + (<usize>i << 1); }

/** pad_x16: y = x surrounded by the 16-bit `value`; before points at 4 i32. */
export function pad_x16(x: usize, xs: Dims4, y: usize, ys: Dims4, before: usize, value: i32): void {
  const b0 = load<i32>(before), b1 = load<i32>(before, 4), b2 = load<i32>(before, 8), b3 = load<i32>(before, 12);
  const n = ys.d0 * ys.d1 * ys.d2 * ys.d3;
  for (let i = 0; i < n; i++) store<i16>(at(y, i), <i16>value);
  for (let i0 = 0; i0 < xs.d0; i0++)
    for (let i1 = 0; i1 < xs.d1; i1++)
      for (let i2 = 0; i2 < xs.d2; i2++) {
        const src = at(x, ((i0 * xs.d1 + i1) * xs.d2 + i2) * xs.d3);
        const dst = at(y, (((i0 + b0) * ys.d1 + i1 + b1) * ys.d2 + i2 + b2) * ys.d3 + b3);
        memory.copy(dst, src, <usize>xs.d3 << 1);
      }
}

/** transpose_x16: y axis k taken from x axis perm[k]. */
export function transpose_x16(x: usize, xs: Dims4, y: usize, ys: Dims4, perm: usize): void {
  const strides = memory.data(16);
  store<i32>(strides, xs.d1 * xs.d2 * xs.d3);
  store<i32>(strides, xs.d2 * xs.d3, 4);
  store<i32>(strides, xs.d3, 8);
  store<i32>(strides, 1, 12);
  const s0 = load<i32>(strides + (<usize>load<i32>(perm) << 2));
  const s1 = load<i32>(strides + (<usize>load<i32>(perm, 4) << 2));
  const s2 = load<i32>(strides + (<usize>load<i32>(perm, 8) << 2));
  const s3 = load<i32>(strides + (<usize>load<i32>(perm, 12) << 2));
  let out = y;
  for (let i0 = 0; i0 < ys.d0; i0++)
    for (let i1 = 0; i1 < ys.d1; i1++)
      for (let i2 = 0; i2 < ys.d2; i2++) {
        const base = i0 * s0 + i1 * s1 + i2 * s2;
        for (let i3 = 0; i3 < ys.d3; i3++) {
          store<u16>(out, load<u16>(at(x, base + i3 * s3)));
          out += 2;
        }
      }
}

/** strided_slice_x16: as strided_slice_s8 over 2-byte elements. */
export function strided_slice_x16(x: usize, xs: Dims4, y: usize, p: SliceParams): void {
  const s2 = xs.d3, s1 = xs.d2 * s2, s0 = xs.d1 * s1;
  let out = y;
  for (let i0 = 0; i0 < p.count0; i0++) {
    const r0 = (p.start0 + i0 * p.stride0) * s0;
    for (let i1 = 0; i1 < p.count1; i1++) {
      const r1 = r0 + (p.start1 + i1 * p.stride1) * s1;
      for (let i2 = 0; i2 < p.count2; i2++) {
        const row = r1 + (p.start2 + i2 * p.stride2) * s2;
        for (let i3 = 0; i3 < p.count3; i3++) {
          store<u16>(out, load<u16>(at(x, row + p.start3 + i3 * p.stride3)));
          out += 2;
        }
      }
    }
  }
}
