// SVDF with int8 input/output, int8 feature weights, int16 time weights and int16 state, as
// TFLM's integer SVDF reference. Shapes: x [batch, nIn], feature weights [nFilter, nIn],
// time weights [nFilter, nMemory], bias int32 [nUnit] (nUnit = nFilter / rank), state
// [batch, nFilter * nMemory] (filter f's memory: nMemory int16, oldest first), y [batch, nUnit].
//   1. shift the whole state left by one element (its first element is dropped);
//   2. filter f's newest slot = clamp16(mbqm(sum_i wf[f,i] * (x[i] - input_zp), m1, s1))
//      (|sum| <= nIn * 128 * 255, i32 for nIn < 2^16);
//   3. y[u] = clamp8(mbqm(bias[u] + sum_{r < rank} sum_j wt[f,j] * state[f,j], m2, s2) + output_zp),
//      f = u * rank + r; each product < 2^30, and the i32 sums wrap as TFLM's would.
// m1 = input * feature / state scales, m2 = state * time / output scales (prepare, offline).
// The int16 state's zero point is 0 (checked at load); svdf_s8_s8 (int8 time weights and
// state) takes the state's zero point. Each unit sums its rank filters directly,
// so no scratch is needed; integer sums are exact, so the order of additions does not matter.

import { clamp, mbqm } from './quant';

@unmanaged export class SvdfParams {
  rank: i32;
  inputZeroPoint: i32;
  outputZeroPoint: i32;
  featureMultiplier: i32;
  featureShift: i32;
  outputMultiplier: i32;
  outputShift: i32;
}

/** svdf_s8_s16: one step of the filters; `state` is read and written (a variable tensor, zero point 0). */
export function svdf_s8_s16(x: usize, wf: usize, wt: usize, bias: usize, state: usize, y: usize,
  batch: i32, nIn: i32, nFilter: i32, nMemory: i32, p: SvdfParams): void {
  svdfStep<i16>(x, wf, wt, bias, state, y, batch, nIn, nFilter, nMemory, p, 0);
}

/**
 * svdf_s8_s8: TFLM's int8 SVDF with int8 time weights and int8 state (its EvalInt8SvdfReference):
 * as svdf_s8_s16 with T = int8 and the state's zero point z: the newest slot is
 * (int8)(clamp8(mbqm(...)) + z) (the sum wraps to int8, as TFLM's store), the time sums take
 * wt * (state - z).
 */
export function svdf_s8_s8(x: usize, wf: usize, wt: usize, bias: usize, state: usize, y: usize,
  batch: i32, nIn: i32, nFilter: i32, nMemory: i32, p: SvdfParams, stateZeroPoint: i32): void {
  svdfStep<i8>(x, wf, wt, bias, state, y, batch, nIn, nFilter, nMemory, p, stateZeroPoint);
}

// @ts-ignore: decorator
@inline function svdfStep<T>(x: usize, wf: usize, wt: usize, bias: usize, state: usize, y: usize,
  batch: i32, nIn: i32, nFilter: i32, nMemory: i32, p: SvdfParams, zs: i32): void {
  const size = <usize>sizeof<T>();
  const lo: i32 = size == 1 ? -128 : -32768, hi: i32 = size == 1 ? 127 : 32767;
  const total = <usize>batch * <usize>nFilter * <usize>nMemory;
  memory.copy(state, state + size, (total - 1) * size);
  for (let b = 0; b < batch; b++) {
    const xb = x + <usize>(b * nIn);
    const sb = state + <usize>(b * nFilter * nMemory) * size;
    for (let f = 0; f < nFilter; f++) {
      const wrow = wf + <usize>(f * nIn);
      let dot: i32 = 0;
      for (let i = 0; i < nIn; i++) dot += <i32>load<i8>(wrow + <usize>i) * (<i32>load<i8>(xb + <usize>i) - p.inputZeroPoint);
      const v = clamp(mbqm(dot, p.featureMultiplier, p.featureShift), lo, hi) + zs;
      store<T>(sb + <usize>(f * nMemory + nMemory - 1) * size, <T>v);
    }
    const nUnit = nFilter / p.rank;
    for (let u = 0; u < nUnit; u++) {
      let acc: i32 = bias != 0 ? load<i32>(bias + (<usize>u << 2)) : 0;
      for (let r = 0; r < p.rank; r++) {
        const f = u * p.rank + r;
        const wrow = wt + <usize>(f * nMemory) * size, srow = sb + <usize>(f * nMemory) * size;
        for (let j = 0; j < nMemory; j++) acc += <i32>load<T>(wrow + <usize>j * size) * (<i32>load<T>(srow + <usize>j * size) - zs);
      }
      store<i8>(y + <usize>(b * nUnit + u), <i8>clamp(mbqm(acc, p.outputMultiplier, p.outputShift) + p.outputZeroPoint, -128, 127));
    }
  }
}
