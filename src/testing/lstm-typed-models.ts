// UNIDIRECTIONAL_SEQUENCE_LSTM models of the typed variants, built in code: float32 (input,
// weights, biases, states, output float32; row LSTM_F32) and 16x8 (int16 input, output and
// hidden state at zero point 0, symmetric per-tensor int8 weights, int64 biases at input
// scale x weight scale, an int16 cell state at a power-of-two scale; row LSTM_S16). 24 inputs
// in TFLite's order, -1 where the plain LSTM has none. The shapes follow LstmSpec
// (lstm-model.ts); cellScaleLog2 is the int16 model's only.

import { TfliteBuilder } from './tflite-builder.js';
import { LstmSpec, lstmRng as lstmSeedRng } from './lstm-model.js';

const GATES = ['input', 'forget', 'cell', 'output'];

/** x -> LSTM (-> LSTM) -> y, all float32; `r` draws weights and biases. */
export function buildLstmF32Model(s: LstmSpec, r: () => number): Uint8Array {
  const between = (lo: number, hi: number) => lo + r() * (hi - lo);
  const b = new TfliteBuilder();
  const lead = s.timeMajor ? [s.steps, s.batch] : [s.batch, s.steps];
  const x = b.tensor('x', [...lead, s.nIn], 'float32');
  let input = x, nIn = s.nIn;
  s.cells.forEach((nCell, layer) => {
    const name = `lstm${layer}`;
    const weights = (gate: string, cols: number) => {
      const scale = between(0.5, 2) / Math.sqrt(cols);
      return b.constant(`${name}/${gate}`, [nCell, cols], 'float32', Array.from({ length: nCell * cols }, () => between(-1, 1) * scale));
    };
    const inputs: number[] = [input];
    for (const g of GATES) inputs.push(weights(`input_to_${g}`, nIn));
    for (const g of GATES) inputs.push(weights(`recurrent_to_${g}`, nCell));
    inputs.push(-1, -1, -1);
    for (const g of GATES) inputs.push(b.constant(`${name}/${g}_bias`, [nCell], 'float32', Array.from({ length: nCell }, () => between(-1, 1))));
    inputs.push(-1, -1);
    inputs.push(b.variable(`${name}/hidden_state`, [s.batch, nCell], 'float32'));
    inputs.push(b.variable(`${name}/cell_state`, [s.batch, nCell], 'float32'));
    inputs.push(-1, -1, -1, -1);
    const y = b.tensor(`${name}/y`, [...lead, nCell], 'float32');
    b.op('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [y], { activation: 'TANH', cellClip: s.cellClip, timeMajor: s.timeMajor });
    input = y;
    nIn = nCell;
  });
  b.io([x], [input]);
  return b.finish();
}

const q = (scale: number, zeroPoint = 0) => ({ scale: [Math.fround(scale)], zeroPoint: [zeroPoint] });

/** x -> LSTM (-> LSTM) -> y, 16x8; inputs span the whole int16 range. */
export function buildLstmS16Model(s: LstmSpec, r: () => number): Uint8Array {
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const between = (lo: number, hi: number) => lo + r() * (hi - lo);
  const b = new TfliteBuilder();
  const lead = s.timeMajor ? [s.steps, s.batch] : [s.batch, s.steps];
  let xScale = Math.fround(between(2 ** -13, 2 ** -11));
  const x = b.tensor('x', [...lead, s.nIn], 'int16', q(xScale));
  let input = x, nIn = s.nIn;
  s.cells.forEach((nCell, layer) => {
    const name = `lstm${layer}`;
    // pre-activations of typical size 1 to 4 for inputs spread over the int16 range
    const weightScale = (cols: number, inScale: number) => Math.fround(between(1, 4) / (Math.sqrt(cols) * 127 * (32767 / 3) * inScale));
    const weights = (gate: string, cols: number, scale: number) =>
      b.constant(`${name}/${gate}`, [nCell, cols], 'int8', Array.from({ length: nCell * cols }, () => int(-127, 127)), q(scale));
    const hScale = Math.fround(between(2 ** -15, 2 ** -13));
    const inputs: number[] = [input];
    const inScales = GATES.map(() => weightScale(nIn, xScale));
    GATES.forEach((g, k) => inputs.push(weights(`input_to_${g}`, nIn, inScales[k])));
    for (const g of GATES) inputs.push(weights(`recurrent_to_${g}`, nCell, weightScale(nCell, hScale)));
    inputs.push(-1, -1, -1);
    GATES.forEach((g, k) => {
      const biasScale = Math.fround(xScale * inScales[k]);
      inputs.push(b.constant(`${name}/${g}_bias`, [nCell], 'int64', Array.from({ length: nCell }, () => Math.round(between(-2, 2) / biasScale)), q(biasScale)));
    });
    inputs.push(-1, -1);
    inputs.push(b.variable(`${name}/hidden_state`, [s.batch, nCell], 'int16', q(hScale)));
    inputs.push(b.variable(`${name}/cell_state`, [s.batch, nCell], 'int16', q(2 ** s.cellScaleLog2)));
    inputs.push(-1, -1, -1, -1);
    const y = b.tensor(`${name}/y`, [...lead, nCell], 'int16', q(hScale));
    b.op('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [y], { activation: 'TANH', cellClip: s.cellClip, timeMajor: s.timeMajor });
    input = y;
    nIn = nCell;
    xScale = hScale;
  });
  b.io([x], [input]);
  return b.finish();
}

/** Fuzz seeds (tools/fuzz.ts): batch 2, 3 steps, 5 inputs, two layers (4 then 3 units), cell clip; float32 and 16x8. */
export function buildLstmF32Net(): Uint8Array {
  return buildLstmF32Model({ batch: 2, steps: 3, nIn: 5, cells: [4, 3], timeMajor: false, cellClip: 2, cellScaleLog2: 0 }, lstmSeedRng(11));
}

export function buildLstmS16Net(): Uint8Array {
  return buildLstmS16Model({ batch: 2, steps: 3, nIn: 5, cells: [4, 3], timeMajor: true, cellClip: 8, cellScaleLog2: -11 }, lstmSeedRng(12));
}
