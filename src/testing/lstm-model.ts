// Integer UNIDIRECTIONAL_SEQUENCE_LSTM models built in code, with the quantization TFLite's
// converter gives an int8 LSTM: int8 input, output and hidden state (one scale and zero point
// for the hidden state and the output, which TFLM copies byte for byte), symmetric per-tensor
// int8 weights, int32 biases at input scale x weight scale, an int16 cell state at a power of
// two scale (2^-11 covers +-16) with zero point 0. TFLM's kernel reads no intermediates (its
// gate scales are fixed: Q3.12 in, Q0.15 out), so none are written. 24 inputs in TFLite's
// order; -1 where the plain LSTM has none (peephole, projection, layer norm).
// Also a fuzz seed (tools/fuzz.ts): two layers through variable int8 and int16 states.

import { TfliteBuilder } from './tflite-builder.js';

export interface LstmSpec {
  batch: number;
  steps: number;
  nIn: number;
  /** Units of each layer (one or two layers). */
  cells: number[];
  timeMajor: boolean;
  /** Cell clip (0: none), per layer. */
  cellClip: number;
  /** log2 of the cell state scale; a fraction gives a scale that is not a power of two. */
  cellScaleLog2: number;
}

/** Deterministic PRNG (mulberry32). */
export function lstmRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const q = (scale: number, zeroPoint: number) => ({ scale: [Math.fround(scale)], zeroPoint: [zeroPoint] });

/** Input shape of the model: [T, B, nIn] time major, else [B, T, nIn]. */
export function lstmInputShape(s: LstmSpec): number[] {
  return s.timeMajor ? [s.steps, s.batch, s.nIn] : [s.batch, s.steps, s.nIn];
}

/** x -> LSTM (-> LSTM) -> y; `r` draws weights, biases and scales. */
export function buildLstmModel(s: LstmSpec, r: () => number): Uint8Array {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const between = (lo: number, hi: number) => lo + r() * (hi - lo);
  const b = new TfliteBuilder();
  const lead = s.timeMajor ? [s.steps, s.batch] : [s.batch, s.steps];
  let xScale = between(0.01, 0.08), xZp = int(-20, 20);
  const x = b.tensor('x', [...lead, s.nIn], 'int8', q(xScale, xZp));
  let input = x, nIn = s.nIn;
  s.cells.forEach((nCell, layer) => {
    const name = `lstm${layer}`;
    // products of typical size 1 to 4 in Q3.12 (sigmoid and tanh see their whole range)
    const weightScale = (cols: number, inScale: number) => Math.fround(between(1, 4) / (Math.sqrt(cols) * 4096 * inScale));
    const weights = (gate: string, cols: number, scale: number) =>
      b.constant(`${name}/${gate}`, [nCell, cols], 'int8', Array.from({ length: nCell * cols }, () => int(-127, 127)), q(scale, 0));
    const hScale = Math.fround(between(0.006, 0.01)), hZp = int(-10, 10);
    const inputs: number[] = [input];
    const gates = ['input', 'forget', 'cell', 'output'];
    const inScales = gates.map(() => weightScale(nIn, xScale));
    gates.forEach((g, k) => inputs.push(weights(`input_to_${g}`, nIn, inScales[k])));
    for (const g of gates) inputs.push(weights(`recurrent_to_${g}`, nCell, weightScale(nCell, hScale)));
    inputs.push(-1, -1, -1);
    gates.forEach((g, k) => {
      const biasScale = Math.fround(xScale * inScales[k]);
      inputs.push(b.constant(`${name}/${g}_bias`, [nCell], 'int32', Array.from({ length: nCell }, () => Math.round(between(-2, 2) / biasScale)), q(biasScale, 0)));
    });
    inputs.push(-1, -1);
    inputs.push(b.variable(`${name}/hidden_state`, [s.batch, nCell], 'int8', q(hScale, hZp)));
    inputs.push(b.variable(`${name}/cell_state`, [s.batch, nCell], 'int16', q(2 ** s.cellScaleLog2, 0)));
    inputs.push(-1, -1, -1, -1);
    const y = b.tensor(`${name}/y`, [...lead, nCell], 'int8', q(hScale, hZp));
    b.op('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [y], { activation: 'TANH', cellClip: s.cellClip, timeMajor: s.timeMajor });
    input = y;
    nIn = nCell;
    xScale = hScale;
    xZp = hZp;
  });
  b.io([x], [input]);
  return b.finish();
}

/** The fuzz seed: batch 2, 3 steps, 5 inputs, two layers (4 then 3 units), cell clip 8. */
export function buildLstmNet(): Uint8Array {
  return buildLstmModel({ batch: 2, steps: 3, nIn: 5, cells: [4, 3], timeMajor: false, cellClip: 8, cellScaleLog2: -11 }, lstmRng(10));
}
