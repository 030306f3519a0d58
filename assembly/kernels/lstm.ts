// UNIDIRECTIONAL_SEQUENCE_LSTM, int8 input/output and weights, int32 biases, an int8 hidden
// (output) state and an int16 cell state, as TFLM's integer LSTM reference (8x8->16). Shapes:
// x [T, B, nIn] (time major) or [B, T, nIn], input weights [nCell, nIn] and recurrent weights
// [nCell, nCell] per gate (input, forget, cell, output), biases int32 [nCell], hidden state
// int8 [B, nCell], cell state int16 [B, nCell] (both variable tensors), y as x with nCell.
// One step of batch row b at time t, per unit u, all from the old hidden state h:
//   gate_g = sat16(clamp16(mbqm(bias_g + sum_i wx_g[u,i] * (x[i] - x_zp), mx_g, sx_g))
//                 + clamp16(mbqm(sum_j wh_g[u,j] * (h[j] - h_zp), mh_g, sh_g)))   (Q3.12)
//   i, f, o = sigmoid16(gate), g = tanh16(gate)                                  (Q0.15)
//   c = sat16(clamp16(mbqm(f * c, m_fc)) + clamp16(mbqm(i * g, m_ig))), then +-clip (clip -1: none)
//   h_new = clamp8(mbqm(tanh16(c, cell scale power) * o, m_h) + h_zp)
// TFLM computes each gate over all units into scratch; every step above is per element, so
// one unit at a time gives the same bytes. h_new goes to y's row first (the other units still
// read the old h), then the row is copied into the hidden state: no scratch. The i32 sums
// wrap (for sizes no real model has) exactly as TFLM's int32 accumulators do.

import { clamp, mbqm } from './quant';

@unmanaged export class LstmParams {
  timeMajor: i32;
  inputZeroPoint: i32;
  hiddenZeroPoint: i32;
  // (multiplier, shift) of the input and recurrent products of each gate: input, forget, cell, output
  inM0: i32; inS0: i32; inM1: i32; inS1: i32; inM2: i32; inS2: i32; inM3: i32; inS3: i32;
  recM0: i32; recS0: i32; recM1: i32; recS1: i32; recM2: i32; recS2: i32; recM3: i32; recS3: i32;
  forgetCellM: i32; forgetCellS: i32;
  inputCellM: i32; inputCellS: i32;
  hiddenM: i32; hiddenS: i32;
  cellClip: i32;
  tanhMultiplier: i32;
  tanhShift: i32;
}

// The sigmoid table TFLM's int16 logistic and tanh interpolate (sigmoid(i / 24) in 0.16 fixed
// point, 256 u16), a constant input the converter writes: no runtime statics for it.
let sigmoidTable: usize = 0;

/** Points sigmoid16 and tanh16 at the table (the int16 LSTM, lstm-s16.ts, shares them). */
export function useSigmoidTable(p: usize): void { sigmoidTable = p; }

// @ts-ignore: decorator
@inline function table(k: u32): u32 { return <u32>load<u16>(sigmoidTable + (<usize>k << 1)); }

/** TFLM's int16 logistic (Q3.12 in, Q0.15 out) with its power-of-two input scaling (x * 3). */
export function sigmoid16(x: i32): i32 {
  const v = x * 3;
  const a = <u32>(v < 0 ? -v : v);
  const uh = a >>> 9;
  let r: u32;
  if (uh >= 255) r = <u32>0x7fff << 10;
  else {
    const ua = table(uh), ub = table(uh + 1);
    r = (ua << 9) + (a & 0x1ff) * (ub - ua);
  }
  r = v >= 0 ? r + (1 << 9) : (<u32>1 << 25) - r + (1 << 9) - 1;
  return <i32><i16>(r >>> 10);
}

/** TFLM's int16 tanh: input (x * multiplier + round) >> shift, then the sigmoid table at 2x. */
export function tanh16(x: i32, multiplier: i32, shift: i32): i32 {
  const round = shift > 0 ? 1 << (shift - 1) : 0;
  const v = (x * multiplier + round) >> shift;
  const a = <u32>(v < 0 ? -v : v);
  const uh = a >>> 8;
  let r: i32;
  if (uh >= 255) r = 0xffff << 8;
  else {
    const ua = table(uh), ub = table(uh + 1);
    r = <i32>((ua << 8) + (a & 0xff) * (ub - ua));
  }
  r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
  return <i32><i16>(r >> 8);
}

// @ts-ignore: decorator
@inline function sat16(v: i32): i32 { return clamp(v, -32768, 32767); }

/** Pre-activation of one gate for unit u (Q3.12): input and recurrent products, each requantized. */
function gate(x: usize, h: usize, wx: usize, wh: usize, bias: usize, u: i32, nIn: i32, nCell: i32,
  xzp: i32, hzp: i32, mx: i32, sx: i32, mh: i32, sh: i32): i32 {
  const rx = wx + <usize>(u * nIn), rh = wh + <usize>(u * nCell);
  let ax: i32 = load<i32>(bias + (<usize>u << 2));
  for (let i = 0; i < nIn; i++) ax += <i32>load<i8>(rx + <usize>i) * (<i32>load<i8>(x + <usize>i) - xzp);
  let ah: i32 = 0;
  for (let j = 0; j < nCell; j++) ah += <i32>load<i8>(rh + <usize>j) * (<i32>load<i8>(h + <usize>j) - hzp);
  return sat16(sat16(mbqm(ax, mx, sx)) + sat16(mbqm(ah, mh, sh)));
}

/**
 * One time step of one batch row: x, h, c and y point at its row. w: the 8 weight and 4 bias
 * pointers in TFLM's input order (wx input, forget, cell, output; wh the same; biases the same).
 */
function step(x: usize, h: usize, c: usize, y: usize, w: usize, nIn: i32, nCell: i32, p: LstmParams): void {
  const xzp = p.inputZeroPoint, hzp = p.hiddenZeroPoint, clip = p.cellClip;
  for (let u = 0; u < nCell; u++) {
    const gi = sigmoid16(gate(x, h, load<usize>(w), load<usize>(w, 4 * sizeof<usize>()), load<usize>(w, 8 * sizeof<usize>()), u, nIn, nCell, xzp, hzp, p.inM0, p.inS0, p.recM0, p.recS0));
    const gf = sigmoid16(gate(x, h, load<usize>(w, sizeof<usize>()), load<usize>(w, 5 * sizeof<usize>()), load<usize>(w, 9 * sizeof<usize>()), u, nIn, nCell, xzp, hzp, p.inM1, p.inS1, p.recM1, p.recS1));
    const gc = tanh16(gate(x, h, load<usize>(w, 2 * sizeof<usize>()), load<usize>(w, 6 * sizeof<usize>()), load<usize>(w, 10 * sizeof<usize>()), u, nIn, nCell, xzp, hzp, p.inM2, p.inS2, p.recM2, p.recS2), 3, 0);
    const go = sigmoid16(gate(x, h, load<usize>(w, 3 * sizeof<usize>()), load<usize>(w, 7 * sizeof<usize>()), load<usize>(w, 11 * sizeof<usize>()), u, nIn, nCell, xzp, hzp, p.inM3, p.inS3, p.recM3, p.recS3));
    const cu = c + (<usize>u << 1);
    const kept = sat16(mbqm(gf * <i32>load<i16>(cu), p.forgetCellM, p.forgetCellS));
    const added = sat16(mbqm(gi * gc, p.inputCellM, p.inputCellS));
    let cell = sat16(kept + added);
    if (clip >= 0) cell = clamp(cell, -clip, clip);
    store<i16>(cu, <i16>cell);
    const t = tanh16(cell, p.tanhMultiplier, p.tanhShift);
    store<i8>(y + <usize>u, <i8>clamp(mbqm(t * go, p.hiddenM, p.hiddenS) + hzp, -128, 127));
  }
  memory.copy(h, y, <usize>nCell);
}

/**
 * lstm_s8_s16: the whole sequence; `h` and `c` are read and written (variable tensors).
 * w: 12 pointers (8 weights, 4 biases) as `step` reads them; sigmoid: the 256-entry table.
 */
export function lstm_s8_s16(x: usize, w: usize, h: usize, c: usize, y: usize, sigmoid: usize, steps: i32, batch: i32, nIn: i32, nCell: i32, p: LstmParams): void {
  sigmoidTable = sigmoid;
  for (let b = 0; b < batch; b++) {
    const hb = h + <usize>(b * nCell), cb = c + (<usize>(b * nCell) << 1);
    for (let t = 0; t < steps; t++) {
      const row = (p.timeMajor & 1) != 0 ? t * batch + b : b * steps + t; // param 0: bit 0 time major, bit 1 fresh state
      step(x + <usize>(row * nIn), hb, cb, y + <usize>(row * nCell), w, nIn, nCell, p);
    }
  }
}
