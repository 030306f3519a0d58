// Test probe (not part of any runtime build): the SIMD build's depthwise kernel over one image,
// so test/dwconv-fold.test.ts can drive it with extreme int8 values (weights of -128, which
// converted models do not contain). Compiled by the test with asc --enable simd.

import { ConvParams } from '../kernels/conv';
import { dwconv_s8_simd } from '../kernels/dwconv-simd';

/** First 16-aligned free byte. */
export function heapBase(): usize { return (__heap_base + 15) & ~15; }

/** dwconv_s8_simd, 3x3, one batch, c channels per pixel; p: the 11 i32 fields of ConvParams. */
export function dwconv3x3(x: usize, inH: i32, inW: i32, c: i32, w: usize, bias: usize, rq: usize, y: usize, outH: i32, outW: i32, p: usize): void {
  dwconv_s8_simd(x, inH, inW, c, w, 3, 3, bias, rq, y, 1, outH, outW, changetype<ConvParams>(p), c);
}
