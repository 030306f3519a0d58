// UNIDIRECTIONAL_SEQUENCE_LSTM, float32: input, weights, biases, hidden and cell state and
// output all float32, as TFLM's float LSTM (EvalLstm<float, float, float, float>). Shapes as
// the integer kernel (lstm.ts): x [T, B, nIn] (time major) or [B, T, nIn], input weights
// [nCell, nIn] and recurrent weights [nCell, nCell] per gate (input, forget, cell, output),
// biases [nCell], hidden and cell state [B, nCell] (variable tensors), y as x with nCell.
// One step of batch row b, per unit u, from the old hidden state h, in TFLM's order of f32
// operations (no fused multiply-add anywhere):
//   gate_g = fc(sum_i x[i] * wx_g[u,i] + bias_g[u]) + fc(sum_j h[j] * wh_g[u,j] + 0)
//   i, f, o = logistic(gate) (TFLM's cutoffs), g = tanh(gate)
//   c = mul(f * c) + mul(i * g), then clipped to +-clip when clip > 0
//   h_new = mul(tanh(c) * o)
// where fc and mul clamp to +-FLT_MAX as TFLM's ActivationFunctionWithMinMax (NaN passes).
// h_new goes to y's row first (the other units still read the old h), then the row is copied
// into the hidden state: no scratch.

const FLT_MAX: f32 = 3.4028234663852886e38;
const LOGISTIC_UPPER: f32 = 16.619047164916992188; // TFLM's float logistic cutoffs
const LOGISTIC_LOWER: f32 = -9.0;

/** std::min(std::max(v, -FLT_MAX), FLT_MAX): infinities clamp, NaN passes. */
// @ts-ignore: decorator
@inline function bounded(v: f32): f32 {
  const a: f32 = v < -FLT_MAX ? -FLT_MAX : v;
  return FLT_MAX < a ? FLT_MAX : a;
}

// @ts-ignore: decorator
@inline function logistic(v: f32): f32 {
  return v > LOGISTIC_UPPER ? 1 : v < LOGISTIC_LOWER ? Mathf.exp(v) : 1 / (1 + Mathf.exp(-v));
}

/** Pre-activation of one gate for unit u: the input FC (with bias) plus the recurrent FC (no bias). */
function gate(x: usize, h: usize, wx: usize, wh: usize, bias: usize, u: i32, nIn: i32, nCell: i32): f32 {
  const rx = wx + (<usize>(u * nIn) << 2), rh = wh + (<usize>(u * nCell) << 2);
  let ax: f32 = 0;
  for (let i = 0; i < nIn; i++) ax += load<f32>(x + (<usize>i << 2)) * load<f32>(rx + (<usize>i << 2));
  let ah: f32 = 0;
  for (let j = 0; j < nCell; j++) ah += load<f32>(h + (<usize>j << 2)) * load<f32>(rh + (<usize>j << 2));
  const zero: f32 = 0;
  return bounded(ax + load<f32>(bias + (<usize>u << 2))) + bounded(ah + zero);
}

// @ts-ignore: decorator
@inline function ptr(w: usize, k: i32): usize { return load<usize>(w + <usize>k * sizeof<usize>()); }

function step(x: usize, h: usize, c: usize, y: usize, w: usize, nIn: i32, nCell: i32, clip: f32): void {
  for (let u = 0; u < nCell; u++) {
    const gi = logistic(gate(x, h, ptr(w, 0), ptr(w, 4), ptr(w, 8), u, nIn, nCell));
    const gf = logistic(gate(x, h, ptr(w, 1), ptr(w, 5), ptr(w, 9), u, nIn, nCell));
    const gc = Mathf.tanh(gate(x, h, ptr(w, 2), ptr(w, 6), ptr(w, 10), u, nIn, nCell));
    const go = logistic(gate(x, h, ptr(w, 3), ptr(w, 7), ptr(w, 11), u, nIn, nCell));
    const cu = c + (<usize>u << 2);
    let cell = bounded(gf * load<f32>(cu)) + bounded(gi * gc);
    if (clip > 0) {
      const m: f32 = cell < clip ? cell : clip; // std::max(std::min(clip, cell), -clip)
      cell = m < -clip ? -clip : m;
    }
    store<f32>(cu, cell);
    store<f32>(y + (<usize>u << 2), bounded(Mathf.tanh(cell) * go));
  }
  memory.copy(h, y, <usize>nCell << 2);
}

/**
 * lstm_f32: the whole sequence; `h` and `c` are read and written (variable tensors).
 * w: 12 pointers (8 weights, 4 biases) in TFLite's input order, gates input, forget, cell, output.
 */
export function lstm_f32(x: usize, w: usize, h: usize, c: usize, y: usize, steps: i32, batch: i32, nIn: i32, nCell: i32, timeMajor: bool, clip: f32): void {
  for (let b = 0; b < batch; b++) {
    const hb = h + (<usize>(b * nCell) << 2), cb = c + (<usize>(b * nCell) << 2);
    for (let t = 0; t < steps; t++) {
      const row = timeMajor ? t * batch + b : b * steps + t;
      step(x + (<usize>(row * nIn) << 2), hb, cb, y + (<usize>(row * nCell) << 2), w, nIn, nCell, clip);
    }
  }
}
