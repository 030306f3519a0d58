// UNIDIRECTIONAL_SEQUENCE_LSTM 16x8: int16 input, output and hidden state (zero point 0),
// int8 symmetric weights, int64 biases, int16 cell state, as TFLM's EvalLstm<int16_t, int8_t,
// int16_t, int64_t>. The same steps as the 8x8 kernel (lstm.ts), with TFLM's int16 fully
// connected for the gates: 64-bit sums (bias added after the products) requantized by the
// 64-bit MultiplyByQuantizedMultiplier (s16.ts mbqm64) and clamped to int16; the hidden state
// is the 32-bit requantized tanh(cell) x output gate clamped to int16 (MulElementwise).
//   gate_g = sat16(clamp16(mbqm64(bias_g + sum_i wx_g[u,i] * x[i], mx_g, sx_g))
//                 + clamp16(mbqm64(sum_j wh_g[u,j] * h[j], mh_g, sh_g)))            (Q3.12)
//   i, f, o = sigmoid16(gate), g = tanh16(gate)                                       (Q0.15)
//   c = sat16(clamp16(mbqm(f * c, m_fc)) + clamp16(mbqm(i * g, m_ig))), then +-clip (clip -1: none)
//   h_new = clamp16(mbqm(tanh16(c, cell scale power) * o, m_h))
// One unit at a time, h_new into y's row first, then the row copied into the hidden state.

import { clamp, mbqm } from './quant';
import { mbqm64 } from './s16';
import { LstmParams, sigmoid16, tanh16, useSigmoidTable } from './lstm';

// @ts-ignore: decorator
@inline function sat16(v: i32): i32 { return clamp(v, -32768, 32767); }

/** Pre-activation of one gate for unit u (Q3.12): input and recurrent products, each requantized. */
function gate(x: usize, h: usize, wx: usize, wh: usize, bias: usize, u: i32, nIn: i32, nCell: i32, mx: i32, sx: i32, mh: i32, sh: i32): i32 {
  const rx = wx + <usize>(u * nIn), rh = wh + <usize>(u * nCell);
  let ax: i64 = 0;
  for (let i = 0; i < nIn; i++) ax += <i64>(<i32>load<i8>(rx + <usize>i) * <i32>load<i16>(x + (<usize>i << 1)));
  ax += load<i64>(bias + (<usize>u << 3));
  let ah: i64 = 0;
  for (let j = 0; j < nCell; j++) ah += <i64>(<i32>load<i8>(rh + <usize>j) * <i32>load<i16>(h + (<usize>j << 1)));
  return sat16(sat16(mbqm64(ax, mx, sx)) + sat16(mbqm64(ah, mh, sh)));
}

// @ts-ignore: decorator
@inline function ptr(w: usize, k: i32): usize { return load<usize>(w + <usize>k * sizeof<usize>()); }

function step(x: usize, h: usize, c: usize, y: usize, w: usize, nIn: i32, nCell: i32, p: LstmParams): void {
  const clip = p.cellClip;
  for (let u = 0; u < nCell; u++) {
    const gi = sigmoid16(gate(x, h, ptr(w, 0), ptr(w, 4), ptr(w, 8), u, nIn, nCell, p.inM0, p.inS0, p.recM0, p.recS0));
    const gf = sigmoid16(gate(x, h, ptr(w, 1), ptr(w, 5), ptr(w, 9), u, nIn, nCell, p.inM1, p.inS1, p.recM1, p.recS1));
    const gc = tanh16(gate(x, h, ptr(w, 2), ptr(w, 6), ptr(w, 10), u, nIn, nCell, p.inM2, p.inS2, p.recM2, p.recS2), 3, 0);
    const go = sigmoid16(gate(x, h, ptr(w, 3), ptr(w, 7), ptr(w, 11), u, nIn, nCell, p.inM3, p.inS3, p.recM3, p.recS3));
    const cu = c + (<usize>u << 1);
    const kept = sat16(mbqm(gf * <i32>load<i16>(cu), p.forgetCellM, p.forgetCellS));
    const added = sat16(mbqm(gi * gc, p.inputCellM, p.inputCellS));
    let cell = sat16(kept + added);
    if (clip >= 0) cell = clamp(cell, -clip, clip);
    store<i16>(cu, <i16>cell);
    const t = tanh16(cell, p.tanhMultiplier, p.tanhShift);
    store<i16>(y + (<usize>u << 1), <i16>sat16(mbqm(t * go, p.hiddenM, p.hiddenS) + p.hiddenZeroPoint));
  }
  memory.copy(h, y, <usize>nCell << 1);
}

/**
 * lstm_s16: the whole sequence; `h` and `c` are read and written (variable tensors).
 * w: 12 pointers (8 weights, 4 biases) as lstm_s8_s16's; sigmoid: the 256-entry table.
 */
export function lstm_s16(x: usize, w: usize, h: usize, c: usize, y: usize, sigmoid: usize, steps: i32, batch: i32, nIn: i32, nCell: i32, p: LstmParams): void {
  useSigmoidTable(sigmoid);
  for (let b = 0; b < batch; b++) {
    const hb = h + (<usize>(b * nCell) << 1), cb = c + (<usize>(b * nCell) << 1);
    for (let t = 0; t < steps; t++) {
      const row = p.timeMajor != 0 ? t * batch + b : b * steps + t;
      step(x + (<usize>(row * nIn) << 1), hb, cb, y + (<usize>(row * nCell) << 1), w, nIn, nCell, p);
    }
  }
}
