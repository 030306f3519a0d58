// The 4-D broadcast walk shared by every binary int8 elementwise kernel (ADD, MUL, SUB,
// MAXIMUM/MINIMUM, ...): y in raster order, a and b read through strides that are 0 along
// an axis where the input broadcasts. The per-element arithmetic is a type parameter: a class
// whose @inline method `one(a, b)` reads its params from its own fields (the op's params
// record, cast with changetype). Each instantiation compiles to one direct loop with the op
// inlined, as a hand-written walker would.
// In place: element i of each input is read before element i of y is written.

/** 4-D shapes and broadcast strides (0 where an input dimension is 1 and the output's is not). */
@unmanaged export class Broadcast4 {
  d0: i32; d1: i32; d2: i32; d3: i32; // output dims
  a0: i32; a1: i32; a2: i32; a3: i32; // input 1 strides
  b0: i32; b1: i32; b2: i32; b3: i32; // input 2 strides
}

/** y[i] = op.one(a[i'], b[i'']) over the broadcast s; Op has an `@inline one(a: i32, b: i32): i32`. */
// @ts-ignore: decorator
@inline export function broadcast_s8<Op>(a: usize, b: usize, y: usize, s: Broadcast4, op: Op): void {
  let out = y;
  for (let i0 = 0; i0 < s.d0; i0++)
    for (let i1 = 0; i1 < s.d1; i1++)
      for (let i2 = 0; i2 < s.d2; i2++) {
        const ar = a + <usize>(i0 * s.a0 + i1 * s.a1 + i2 * s.a2);
        const br = b + <usize>(i0 * s.b0 + i1 * s.b1 + i2 * s.b2);
        for (let i3 = 0; i3 < s.d3; i3++) {
          const av = <i32>load<i8>(ar + <usize>(i3 * s.a3));
          const bv = <i32>load<i8>(br + <usize>(i3 * s.b3));
          // @ts-ignore: Op is any class with one(a, b)
          store<i8>(out, <i8>op.one(av, bv));
          out++;
        }
      }
}
