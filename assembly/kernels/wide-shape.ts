// Data movement over 4-D tensors of 2- or 4-byte elements (int16 and float32 PAD, TRANSPOSE,
// STRIDED_SLICE), the same walks as the int8 kernels in shape.ts and strided-slice.ts, generic
// over the element type T (u16 or u32: bytes are copied, never converted). The int16 forms
// run under the int8 rows PAD, TRANSPOSE and STRIDED_SLICE (dispatch.ts: by element size),
// the float32 forms under OTHER_F32.

import { Dims4 } from './shape';
import { SliceParams } from './strided-slice';

// @ts-ignore: decorator
@inline function at<T>(base: usize, i: i32): usize { return base + (<usize>i << alignof<T>()); }

/** y = x surrounded by `value`; before points at 4 i32. */
function pad_wide<T>(x: usize, xs: Dims4, y: usize, ys: Dims4, before: usize, value: T): void {
  const b0 = load<i32>(before), b1 = load<i32>(before, 4), b2 = load<i32>(before, 8), b3 = load<i32>(before, 12);
  const n = ys.d0 * ys.d1 * ys.d2 * ys.d3;
  for (let i = 0; i < n; i++) store<T>(at<T>(y, i), value);
  for (let i0 = 0; i0 < xs.d0; i0++)
    for (let i1 = 0; i1 < xs.d1; i1++)
      for (let i2 = 0; i2 < xs.d2; i2++) {
        const src = at<T>(x, ((i0 * xs.d1 + i1) * xs.d2 + i2) * xs.d3);
        const dst = at<T>(y, (((i0 + b0) * ys.d1 + i1 + b1) * ys.d2 + i2 + b2) * ys.d3 + b3);
        memory.copy(dst, src, <usize>xs.d3 << alignof<T>());
      }
}

/** y axis k taken from x axis perm[k]. */
function transpose_wide<T>(x: usize, xs: Dims4, y: usize, ys: Dims4, perm: usize): void {
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
          store<T>(out, load<T>(at<T>(x, base + i3 * s3)));
          out += sizeof<T>();
        }
      }
}

/** As strided_slice_s8 over wider elements. */
function strided_slice_wide<T>(x: usize, xs: Dims4, y: usize, p: SliceParams): void {
  const s2 = xs.d3, s1 = xs.d2 * s2, s0 = xs.d1 * s1;
  let out = y;
  for (let i0 = 0; i0 < p.count0; i0++) {
    const r0 = (p.start0 + i0 * p.stride0) * s0;
    for (let i1 = 0; i1 < p.count1; i1++) {
      const r1 = r0 + (p.start1 + i1 * p.stride1) * s1;
      for (let i2 = 0; i2 < p.count2; i2++) {
        const row = r1 + (p.start2 + i2 * p.stride2) * s2;
        for (let i3 = 0; i3 < p.count3; i3++) {
          store<T>(out, load<T>(at<T>(x, row + p.start3 + i3 * p.stride3)));
          out += sizeof<T>();
        }
      }
    }
  }
}

/** int16: pad with the 16-bit `value`. */
export function pad_x16(x: usize, xs: Dims4, y: usize, ys: Dims4, before: usize, value: i32): void { pad_wide<u16>(x, xs, y, ys, before, <u16>value); }
export function transpose_x16(x: usize, xs: Dims4, y: usize, ys: Dims4, perm: usize): void { transpose_wide<u16>(x, xs, y, ys, perm); }
export function strided_slice_x16(x: usize, xs: Dims4, y: usize, p: SliceParams): void { strided_slice_wide<u16>(x, xs, y, p); }

/** float32: pad with the 32-bit pattern `value`. */
export function pad_x32(x: usize, xs: Dims4, y: usize, ys: Dims4, before: usize, value: u32): void { pad_wide<u32>(x, xs, y, ys, before, value); }
export function transpose_x32(x: usize, xs: Dims4, y: usize, ys: Dims4, perm: usize): void { transpose_wide<u32>(x, xs, y, ys, perm); }
export function strided_slice_x32(x: usize, xs: Dims4, y: usize, p: SliceParams): void { strided_slice_wide<u32>(x, xs, y, p); }
