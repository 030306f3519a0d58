// The float reference's recurrent ops: UNIDIRECTIONAL_SEQUENCE_LSTM (the plain LSTM: no CIFG,
// peephole, projection or layer norm, as TFLM runs it) and SVDF, in float64 from the float32
// weights. Their states are variable tensors: a run reads them from `values` (zero when
// absent: a fresh model) and leaves the new ones there, so `runFloat`'s `state` carries
// them from one run to the next as TFLM's interpreter does from one invoke to the next.
// Every cell state of every step is reported to the observer (calibration needs the
// largest, not the last); the hidden state is the op's output, which the observer sees.

import { elementCount } from '../ir/graph.js';
import type { FloatOp } from './interpret.js';

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const ACTIVATIONS: Record<string, (v: number) => number> = {
  NONE: (v) => v,
  RELU: (v) => Math.max(0, v),
  RELU6: (v) => Math.min(6, Math.max(0, v)),
  RELU_N1_TO_1: (v) => Math.min(1, Math.max(-1, v)),
  TANH: Math.tanh,
  SIGMOID: sigmoid,
};

/** TFLite's input slots of UNIDIRECTIONAL_SEQUENCE_LSTM. */
const LSTM_INPUT_WEIGHTS = 1, LSTM_RECURRENT_WEIGHTS = 5, LSTM_BIASES = 12, LSTM_HIDDEN = 18, LSTM_CELL = 19;
const LSTM_VARIANT_SLOTS = [9, 10, 11, 16, 17, 20, 21, 22, 23];

/** A variable tensor's current value, or zeros (a fresh state). */
function stateOf(ctx: FloatOp, k: number): Float32Array {
  const t = ctx.op.inputs[k];
  const have = ctx.values[t];
  return have ? Float32Array.from(have) : new Float32Array(elementCount(ctx.g.tensors[t].shape));
}

/** Inputs `slots` present, each of rank `rank` (a hostile file may leave any out). */
function requireInputs(ctx: FloatOp, slots: number[], rank: number, what: string): void {
  for (const k of slots) {
    if (!ctx.has(k)) ctx.fail(`${what} (input ${k}) is absent`);
    if (ctx.shape(k).length !== rank) ctx.fail(`${what} (input ${k}) "${ctx.t(k).name}" has rank ${ctx.shape(k).length}, expected ${rank}`);
  }
}

export function lstm(ctx: FloatOp): Float32Array {
  for (const k of LSTM_VARIANT_SLOTS) if (ctx.has(k)) ctx.fail(`input ${k} "${ctx.t(k).name}" makes an LSTM variant the float reference does not run (peephole, projection or layer norm)`);
  if (!ctx.has(LSTM_INPUT_WEIGHTS) || !ctx.has(LSTM_RECURRENT_WEIGHTS)) ctx.fail('a CIFG LSTM (no input gate weights) is not supported');
  requireInputs(ctx, [0], 3, 'the input');
  requireInputs(ctx, [1, 2, 3, 4, 5, 6, 7, 8], 2, 'a weight matrix');
  requireInputs(ctx, [LSTM_HIDDEN, LSTM_CELL], 2, 'a state');
  if ((ctx.o.activation ?? 'TANH') !== 'TANH') ctx.fail(`cell activation ${ctx.o.activation} is not supported (TANH only)`);
  const timeMajor = ctx.o.timeMajor === true, clip = (ctx.o.cellClip as number) || 0;
  const [d0, d1, nIn] = ctx.shape(0);
  const steps = timeMajor ? d0 : d1, batch = timeMajor ? d1 : d0;
  const nCell = ctx.shape(1)[0];
  // shapes as TFLM's kernel checks them: the loops below run on these sizes (a hostile file's
  // state of [B, 65535] beside [4, 5] weights would otherwise spin for hours)
  const fits = (k: number, want: number[]) => ctx.shape(k).length === want.length && ctx.shape(k).every((d, i) => d === want[i]);
  const wanted: [number, number[]][] = [
    ...[1, 2, 3, 4].map((k): [number, number[]] => [k, [nCell, nIn]]), ...[5, 6, 7, 8].map((k): [number, number[]] => [k, [nCell, nCell]]),
    ...[0, 1, 2, 3].filter((g) => ctx.has(LSTM_BIASES + g)).map((g): [number, number[]] => [LSTM_BIASES + g, [nCell]]),
    [LSTM_HIDDEN, [batch, nCell]], [LSTM_CELL, [batch, nCell]],
  ];
  for (const [k, want] of wanted) if (!fits(k, want)) ctx.fail(`input ${k} "${ctx.t(k).name}" has shape ${JSON.stringify(ctx.shape(k))}, expected ${JSON.stringify(want)}`);
  if (elementCount(ctx.y.shape) !== steps * batch * nCell) ctx.fail(`output shape ${JSON.stringify(ctx.y.shape)} does not hold ${steps} x ${batch} x ${nCell} values`);
  const x = ctx.x(0);
  const wx = [0, 1, 2, 3].map((g) => ctx.x(LSTM_INPUT_WEIGHTS + g));
  const wh = [0, 1, 2, 3].map((g) => ctx.x(LSTM_RECURRENT_WEIGHTS + g));
  const bias = [0, 1, 2, 3].map((g) => (ctx.has(LSTM_BIASES + g) ? ctx.x(LSTM_BIASES + g) : new Float32Array(nCell)));
  const fresh = ctx.o.freshState === true;
  const h = fresh ? new Float32Array(batch * nCell) : stateOf(ctx, LSTM_HIDDEN);
  const c = fresh ? new Float32Array(batch * nCell) : stateOf(ctx, LSTM_CELL);
  const y = new Float32Array(steps * batch * nCell);
  const gate = new Float64Array(4);
  const hNew = new Float32Array(nCell);
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) {
      const xAt = (timeMajor ? t * batch + b : b * steps + t) * nIn;
      for (let u = 0; u < nCell; u++) {
        for (let g = 0; g < 4; g++) {
          let s = bias[g][u];
          for (let i = 0; i < nIn; i++) s += wx[g][u * nIn + i] * x[xAt + i];
          for (let j = 0; j < nCell; j++) s += wh[g][u * nCell + j] * h[b * nCell + j];
          gate[g] = s;
        }
        let cell = sigmoid(gate[1]) * c[b * nCell + u] + sigmoid(gate[0]) * Math.tanh(gate[2]);
        if (clip > 0) cell = Math.min(clip, Math.max(-clip, cell));
        c[b * nCell + u] = cell;
        hNew[u] = sigmoid(gate[3]) * Math.tanh(cell);
      }
      h.set(hNew, b * nCell);
      y.set(hNew, (timeMajor ? t * batch + b : b * steps + t) * nCell);
    }
    ctx.observe?.(ctx.op.inputs[LSTM_CELL], c);
  }
  if (steps === 0) ctx.observe?.(ctx.op.inputs[LSTM_CELL], c);
  ctx.values[ctx.op.inputs[LSTM_HIDDEN]] = h;
  ctx.values[ctx.op.inputs[LSTM_CELL]] = c;
  return y;
}

/**
 * SVDF as TFLM's float kernel: the state [batch, filters x memory] moves one step to the
 * past, each filter's newest entry is its feature dot product with x, the output of unit u
 * sums its `rank` filters' time-weighted memories, plus the bias, through the activation.
 */
export function svdf(ctx: FloatOp): Float32Array {
  requireInputs(ctx, [0, 1, 2, 4], 2, 'the input, weights or state');
  const [batch, nIn] = ctx.shape(0);
  const [nFilter, nMemory] = ctx.shape(2);
  const rank = ctx.o.rank as number;
  if (!(rank >= 1) || nFilter % rank !== 0) ctx.fail(`rank ${rank} does not divide the ${nFilter} filters`);
  const act = ACTIVATIONS[(ctx.o.activation as string | undefined) ?? 'NONE'];
  if (!act) ctx.fail(`fused activation ${ctx.o.activation} is not supported`);
  const nUnit = nFilter / rank;
  const want = (k: number, shape: number[]) => {
    const got = ctx.shape(k);
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) ctx.fail(`input ${k} "${ctx.t(k).name}" has shape ${JSON.stringify(got)}, expected ${JSON.stringify(shape)}`);
  };
  want(1, [nFilter, nIn]);
  want(4, [batch, nFilter * nMemory]);
  if (ctx.has(3) && elementCount(ctx.shape(3)) !== nUnit) ctx.fail(`bias "${ctx.t(3).name}" must hold ${nUnit} values`);
  if (elementCount(ctx.y.shape) !== batch * nUnit) ctx.fail(`output shape ${JSON.stringify(ctx.y.shape)} does not hold ${batch} x ${nUnit} values`);
  const x = ctx.x(0), wf = ctx.x(1), wt = ctx.x(2);
  const bias = ctx.has(3) ? ctx.x(3) : new Float32Array(nUnit);
  const state = stateOf(ctx, 4);
  const y = new Float32Array(batch * nUnit);
  for (let b = 0; b < batch; b++) {
    const row = state.subarray(b * nFilter * nMemory, (b + 1) * nFilter * nMemory);
    row.copyWithin(0, 1);
    for (let f = 0; f < nFilter; f++) {
      let s = 0;
      for (let i = 0; i < nIn; i++) s += wf[f * nIn + i] * x[b * nIn + i];
      row[f * nMemory + nMemory - 1] = s;
    }
    for (let u = 0; u < nUnit; u++) {
      let s = bias[u];
      for (let r = 0; r < rank; r++) {
        const f = u * rank + r;
        for (let m = 0; m < nMemory; m++) s += row[f * nMemory + m] * wt[f * nMemory + m];
      }
      y[b * nUnit + u] = act(s);
    }
  }
  ctx.observe?.(ctx.op.inputs[4], state);
  ctx.values[ctx.op.inputs[4]] = state;
  return y;
}
