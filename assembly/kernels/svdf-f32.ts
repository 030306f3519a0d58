// SVDF on float32 (input, feature and time weights, bias, state, output), as TFLM's float
// SVDF reference, in its order of f32 operations (so results are bit-equal where the
// activation is a clamp). Shapes as svdf.ts: x [batch, nIn], feature weights [nFilter, nIn],
// time weights [nFilter, nMemory], bias [nUnit] or none, state [batch, nFilter * nMemory]
// (filter f's memory: nMemory floats, oldest first), y [batch, nUnit], nUnit = nFilter / rank.
//   1. shift the whole state left by one element;
//   2. filter f's newest slot = 0 + wf[f,0] * x[0] + wf[f,1] * x[1] + ... (in i order);
//   3. y[u] = act(bias[u] + t(u*rank) + t(u*rank+1) + ...), t(f) = 0 + wt[f,0] * s[f,0] + ...
//      (each filter's time sum is formed on its own first, as TFLM's scratch row).
// act (param 1, ActivationKind): ACT_CLAMP y = min(max(v, lo), hi) (NONE, RELU, RELU6,
// RELU_N1_TO_1), or ACT_TANH (Mathf.tanh: within TFLM's float tolerance of its std::tanh).
// No SIMD: lanes would change the order of additions.

import * as F from '../format';

/** svdf_f32: one step; `state` (a variable tensor) is read and written; bias may be 0 (none). */
export function svdf_f32(x: usize, wf: usize, wt: usize, bias: usize, state: usize, y: usize,
  batch: i32, nIn: i32, nFilter: i32, nMemory: i32, rank: i32, kind: i32, lo: f32, hi: f32): void {
  const total = <usize>batch * <usize>nFilter * <usize>nMemory;
  memory.copy(state, state + 4, (total - 1) << 2);
  const nUnit = nFilter / rank;
  for (let b = 0; b < batch; b++) {
    const xb = x + (<usize>(b * nIn) << 2);
    const sb = state + (<usize>b * <usize>nFilter * <usize>nMemory << 2);
    for (let f = 0; f < nFilter; f++) {
      const wrow = wf + (<usize>f * <usize>nIn << 2);
      let dot: f32 = 0;
      for (let i = 0; i < nIn; i++) dot += load<f32>(wrow + (<usize>i << 2)) * load<f32>(xb + (<usize>i << 2));
      store<f32>(sb + ((<usize>f * <usize>nMemory + <usize>(nMemory - 1)) << 2), dot);
    }
    for (let u = 0; u < nUnit; u++) {
      let acc: f32 = bias != 0 ? load<f32>(bias + (<usize>u << 2)) : 0;
      for (let r = 0; r < rank; r++) {
        const f = <usize>(u * rank + r);
        const wrow = wt + (f * <usize>nMemory << 2), srow = sb + (f * <usize>nMemory << 2);
        let t: f32 = 0;
        for (let j = 0; j < nMemory; j++) t += load<f32>(wrow + (<usize>j << 2)) * load<f32>(srow + (<usize>j << 2));
        acc += t;
      }
      const v: f32 = kind == F.ACT_TANH ? Mathf.tanh(acc) : acc > hi ? hi : acc < lo ? lo : acc;
      store<f32>(y + (<usize>(b * nUnit + u) << 2), v);
    }
  }
}
