// UNIDIRECTIONAL_SEQUENCE_LSTM, float32: input, weights, biases, hidden and cell state and
// output all float32, as TFLM's float LSTM (EvalLstm<float, float, float, float>). Shapes as
// the integer kernel (lstm.ts): x [T, B, nIn] (time major) or [B, T, nIn], input weights
// [nCell, nIn] and recurrent weights [nCell, nCell] per gate (input, forget, cell, output),
// biases [nCell], hidden and cell state [B, nCell] (variable tensors), y as x with nCell.
// One step of batch row b, per unit u, from the old hidden state h, in TFLM's order of f32
// operations (no fused multiply-add anywhere):
//   gate_g = fc(sum_i x[i] * wx_g[u,i] + bias_g[u]) + fc(sum_j h[j] * wh_g[u,j] + 0)
//   i, f, o = logistic(gate) (TFLM's cutoffs), g = tanh(gate)
// tanh is the classic single-precision one (expm1f-based, as glibc's and newlib's tanhf, which
// TFLM's std::tanh calls), written here so the bits agree with TFLM on a desktop or an MCU;
// logistic's exp is Mathf.exp.
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

/** The classic single-precision expm1 (argument reduction by ln2 in two parts, a degree-5 rational correction). */
function expm1f(x: f32): f32 {
  const LN2_HI: f32 = 6.9313812256e-01, LN2_LO: f32 = 9.0580006145e-06, INV_LN2: f32 = 1.4426950216e+00;
  const Q1: f32 = -3.3333335072e-02, Q2: f32 = 1.5873016091e-03, Q3: f32 = -7.9365076090e-05, Q4: f32 = 4.0082177293e-06, Q5: f32 = -2.0109921195e-07;
  let hx = reinterpret<u32>(x);
  const neg = (hx >>> 31) != 0;
  hx &= 0x7fffffff;
  if (hx >= 0x4195b844) { // |x| >= 27 ln2
    if (hx >= 0x42b17218) {
      if (hx > 0x7f800000) return x + x; // NaN
      if (hx == 0x7f800000) return neg ? -1 : x;
      if (x > <f32>8.8721679688e+01) return Infinity;
    }
    if (neg) return -1;
  }
  let k: i32 = 0, c: f32 = 0;
  if (hx > 0x3eb17218) { // |x| > ln2 / 2: x = k ln2 + r
    let hi: f32, lo: f32;
    if (hx < 0x3f851592) {
      if (!neg) { hi = x - LN2_HI; lo = LN2_LO; k = 1; } else { hi = x + LN2_HI; lo = -LN2_LO; k = -1; }
    } else {
      k = <i32>(INV_LN2 * x + (neg ? <f32>-0.5 : <f32>0.5));
      const t = <f32>k;
      hi = x - t * LN2_HI;
      lo = t * LN2_LO;
    }
    x = hi - lo;
    c = (hi - x) - lo;
  } else if (hx < 0x33000000) {
    return x; // |x| < 2^-25
  }
  const hfx: f32 = <f32>0.5 * x, hxs = x * hfx;
  const r1: f32 = <f32>1 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
  let t: f32 = <f32>3 - r1 * hfx;
  let e: f32 = hxs * ((r1 - t) / (<f32>6 - x * t));
  if (k == 0) return x - (x * e - hxs);
  e = x * (e - c) - c;
  e -= hxs;
  if (k == -1) return <f32>0.5 * (x - e) - <f32>0.5;
  if (k == 1) return x < <f32>-0.25 ? <f32>-2 * (e - (x + <f32>0.5)) : <f32>1 + <f32>2 * (x - e);
  let y: f32;
  if (k <= -2 || k > 56) {
    y = <f32>1 - (e - x);
    return reinterpret<f32>(reinterpret<u32>(y) + (<u32>k << 23)) - 1;
  }
  if (k < 23) {
    t = reinterpret<f32>(<u32>(0x3f800000 - (0x1000000 >> k))); // 1 - 2^-k
    y = t - (e - x);
  } else {
    t = reinterpret<f32>(<u32>(0x7f - k) << 23); // 2^-k
    y = x - (e + t);
    y += 1;
  }
  return reinterpret<f32>(reinterpret<u32>(y) + (<u32>k << 23));
}

/** The classic single-precision tanh: via expm1f(2|x|) from |x| >= 1, expm1f(-2|x|) below, +-1 from 22. */
export function tanhf(x: f32): f32 {
  const jx = reinterpret<u32>(x), ix = jx & 0x7fffffff;
  const neg = (jx >>> 31) != 0;
  if (ix >= 0x7f800000) return neg ? <f32>1 / x - 1 : <f32>1 / x + 1; // +-inf, NaN
  let z: f32;
  if (ix < 0x41b00000) { // |x| < 22
    if (ix == 0) return x;
    if (ix < 0x24000000) return x * (<f32>1 + x); // |x| < 2^-55
    if (ix >= 0x3f800000) {
      const t = expm1f(<f32>2 * Mathf.abs(x));
      z = <f32>1 - <f32>2 / (t + 2);
    } else {
      const t = expm1f(<f32>-2 * Mathf.abs(x));
      z = -t / (t + 2);
    }
  } else {
    z = 1;
  }
  return neg ? -z : z;
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
    const gc = tanhf(gate(x, h, ptr(w, 2), ptr(w, 6), ptr(w, 10), u, nIn, nCell));
    const go = logistic(gate(x, h, ptr(w, 3), ptr(w, 7), ptr(w, 11), u, nIn, nCell));
    const cu = c + (<usize>u << 2);
    let cell = bounded(gf * load<f32>(cu)) + bounded(gi * gc);
    if (clip > 0) {
      const m: f32 = cell < clip ? cell : clip; // std::max(std::min(clip, cell), -clip)
      cell = m < -clip ? -clip : m;
    }
    store<f32>(cu, cell);
    store<f32>(y + (<usize>u << 2), bounded(tanhf(cell) * go));
  }
  memory.copy(h, y, <usize>nCell << 2);
}

/**
 * lstm_f32: the whole sequence; `h` and `c` are read and written (variable tensors).
 * w: 12 pointers (8 weights, 4 biases) in TFLite's input order, gates input, forget, cell, output.
 * fresh: zero both states first (an ONNX LSTM); else they carry over from the last invoke.
 */
export function lstm_f32(x: usize, w: usize, h: usize, c: usize, y: usize, steps: i32, batch: i32, nIn: i32, nCell: i32, timeMajor: bool, fresh: bool, clip: f32): void {
  if (fresh) { // an ONNX LSTM: every run starts from zero state
    memory.fill(h, 0, <usize>(batch * nCell) << 2);
    memory.fill(c, 0, <usize>(batch * nCell) << 2);
  }
  for (let b = 0; b < batch; b++) {
    const hb = h + (<usize>(b * nCell) << 2), cb = c + (<usize>(b * nCell) << 2);
    for (let t = 0; t < steps; t++) {
      const row = timeMajor ? t * batch + b : b * steps + t;
      step(x + (<usize>(row * nIn) << 2), hb, cb, y + (<usize>(row * nCell) << 2), w, nIn, nCell, clip);
    }
  }
}
