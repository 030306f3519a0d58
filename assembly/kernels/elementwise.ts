// ADD and MUL over int8 with 4-D broadcasting, as TFLite's reference_integer_ops
// (ADD: both inputs scaled up by 2^left_shift, rescaled to a common scale, summed,
// rescaled to the output; MUL: product of offset inputs, rescaled once).
// In place: the planner may let y alias an input of y's shape (IN_PLACE_OPCODES), so
// element i of each input must be read before element i of y is written.

import { clamp, mbqm } from './quant';

@unmanaged export class AddParams {
  input1Offset: i32;
  input2Offset: i32;
  outputOffset: i32;
  leftShift: i32;
  input1Multiplier: i32;
  input1Shift: i32;
  input2Multiplier: i32;
  input2Shift: i32;
  outputMultiplier: i32;
  outputShift: i32;
  actMin: i32;
  actMax: i32;
}

@unmanaged export class MulParams {
  input1Offset: i32;
  input2Offset: i32;
  outputOffset: i32;
  outputMultiplier: i32;
  outputShift: i32;
  actMin: i32;
  actMax: i32;
}

/** 4-D shapes and broadcast strides (0 where an input dimension is 1 and the output's is not). */
@unmanaged export class Broadcast4 {
  d0: i32; d1: i32; d2: i32; d3: i32; // output dims
  a0: i32; a1: i32; a2: i32; a3: i32; // input 1 strides
  b0: i32; b1: i32; b2: i32; b3: i32; // input 2 strides
}

// @ts-ignore: decorator
@inline function addOne(a: i32, b: i32, p: AddParams): i32 {
  const sa = mbqm((a + p.input1Offset) << p.leftShift, p.input1Multiplier, p.input1Shift);
  const sb = mbqm((b + p.input2Offset) << p.leftShift, p.input2Multiplier, p.input2Shift);
  return clamp(mbqm(sa + sb, p.outputMultiplier, p.outputShift) + p.outputOffset, p.actMin, p.actMax);
}

// @ts-ignore: decorator
@inline function mulOne(a: i32, b: i32, p: MulParams): i32 {
  const prod = (a + p.input1Offset) * (b + p.input2Offset);
  return clamp(mbqm(prod, p.outputMultiplier, p.outputShift) + p.outputOffset, p.actMin, p.actMax);
}

export function add_s8(a: usize, b: usize, y: usize, s: Broadcast4, p: AddParams): void {
  let out = y;
  for (let i0 = 0; i0 < s.d0; i0++)
    for (let i1 = 0; i1 < s.d1; i1++)
      for (let i2 = 0; i2 < s.d2; i2++) {
        const ar = a + <usize>(i0 * s.a0 + i1 * s.a1 + i2 * s.a2);
        const br = b + <usize>(i0 * s.b0 + i1 * s.b1 + i2 * s.b2);
        for (let i3 = 0; i3 < s.d3; i3++) {
          const av = <i32>load<i8>(ar + <usize>(i3 * s.a3));
          const bv = <i32>load<i8>(br + <usize>(i3 * s.b3));
          store<i8>(out, <i8>addOne(av, bv, p));
          out++;
        }
      }
}

export function mul_s8(a: usize, b: usize, y: usize, s: Broadcast4, p: MulParams): void {
  let out = y;
  for (let i0 = 0; i0 < s.d0; i0++)
    for (let i1 = 0; i1 < s.d1; i1++)
      for (let i2 = 0; i2 < s.d2; i2++) {
        const ar = a + <usize>(i0 * s.a0 + i1 * s.a1 + i2 * s.a2);
        const br = b + <usize>(i0 * s.b0 + i1 * s.b1 + i2 * s.b2);
        for (let i3 = 0; i3 < s.d3; i3++) {
          const av = <i32>load<i8>(ar + <usize>(i3 * s.a3));
          const bv = <i32>load<i8>(br + <usize>(i3 * s.b3));
          store<i8>(out, <i8>mulOne(av, bv, p));
          out++;
        }
      }
}
