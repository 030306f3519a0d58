// ONNX LSTM -> UNIDIRECTIONAL_SEQUENCE_LSTM (float32, time major): forward, reverse or
// bidirectional, no peephole, the default activations (Sigmoid, Tanh, Tanh), layout 0, no
// clip, no input_forget. The reverse direction runs the same op over the sequence read
// backwards (a STRIDED_SLICE with stride -1 over time) and reverses its output back;
// bidirectional runs both, each with its own weights (W, R, B index 0 forward, 1 reverse).
// ONNX's gate order is i, o, f, c in W [1, 4H, I], R [1, 4H, H] and B [1, 8H] (Wb then Rb);
// TFLite's is i, f, c, o, one bias per gate: bias_g = Wb_g + Rb_g (f32 sums). ONNX starts every
// run from initial_h / initial_c (absent or zero here), so the op is marked `freshState`: the
// kernel zeroes its states at each invoke instead of carrying them over as TFLite's do.
// Y [T, D, B, H] is the LSTM's [T, B, H] output (a reshape, no copy; bidirectional: the two
// directions concatenated on D, NHWC's last axis); Y_h [D, B, H] each direction's last step
// (the reverse direction's last step is time 0; STRIDED_SLICEs, concatenated on D); Y_c (the
// final cell state) is refused when named.

import { ImportContext } from './context.js';
import { recurrentDirections } from './recurrent-attrs.js';

type Handler = (c: ImportContext) => void;

const ONNX_GATE = { input: 0, output: 1, forget: 2, cell: 3 };
const TFLITE_ORDER = [ONNX_GATE.input, ONNX_GATE.forget, ONNX_GATE.cell, ONNX_GATE.output];
const DEFAULT_ACTIVATIONS = ['Sigmoid', 'Tanh', 'Tanh'];

function zeroOrAbsent(c: ImportContext, k: number, what: string): void {
  const i = c.input(k);
  if (i < 0) return;
  if (!c.isConst(i) || c.constFloats(i, what).some((v) => v !== 0)) c.fail(`${what} (input ${k}) must be absent or a constant of zeros: edgepack starts every run of an ONNX LSTM from zero state`);
}

interface Sizes { steps: number; batch: number; nIn: number; hidden: number }

/** A STRIDED_SLICE of a 3-D tensor: [begin, end) with strides, `endMask` bits as TFLite's. */
function slice3(c: ImportContext, x: number, y: number, name: string, begin: number[], end: number[], strides: number[], endMask = 0): void {
  const int32 = (v: number[], what: string) => c.addConst(`${name}/${what}`, 'int32', [3], Int32Array.from(v));
  c.emit('STRIDED_SLICE', [x, int32(begin, 'begin'), int32(end, 'end'), int32(strides, 'strides')], [y],
    { beginMask: 0, endMask, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false });
}

/** The sequence [T, B, F] read backwards in time (`suffix` names the new tensor after the node's output). */
function reversed(c: ImportContext, x: number, [steps, batch, f]: number[], suffix: string): number {
  const y = c.temp(suffix, [steps, batch, f], [steps, batch, f], false);
  slice3(c, x, y, c.tensor(y).name, [steps - 1, 0, 0], [0, batch, f], [-1, 1, 1], 1);
  return y;
}

/**
 * One direction's LSTM over x [T, B, I] with the weights of direction d: its output [T, B, H]
 * in the input's time order, and (wantLast) the hidden state after its last step [1, B, H].
 * `tag` ('' or 'forward/' / 'reverse/') prefixes its tensors' names.
 */
function direction(c: ImportContext, x: number, W: Float32Array, R: Float32Array, B: Float32Array, d: number, reverse: boolean, s: Sizes, tag: string, wantLast: boolean): { y: number; last: number } {
  const name = `${c.node.output?.[0] || `lstm${c.nodeIndex}`}/${tag}`.replace(/\/$/, '');
  const { steps, batch, nIn, hidden } = s;
  const at = (m: Float32Array, gate: number, cols: number) => {
    const start = (d * 4 + gate) * hidden * cols;
    return m.slice(start, start + hidden * cols);
  };
  const inputs = [reverse ? reversed(c, x, [steps, batch, nIn], `${tag}x_reversed`) : x];
  TFLITE_ORDER.forEach((g, k) => inputs.push(c.addConst(`${name}/input_weights_${k}`, 'float32', [hidden, nIn], at(W, g, nIn))));
  TFLITE_ORDER.forEach((g, k) => inputs.push(c.addConst(`${name}/recurrent_weights_${k}`, 'float32', [hidden, hidden], at(R, g, hidden))));
  inputs.push(-1, -1, -1);
  TFLITE_ORDER.forEach((g, k) => inputs.push(c.addConst(`${name}/bias_${k}`, 'float32', [hidden],
    Float32Array.from({ length: hidden }, (_, u) => Math.fround(B[(d * 8 + g) * hidden + u] + B[(d * 8 + 4 + g) * hidden + u])))));
  inputs.push(-1, -1);
  for (const st of ['hidden_state', 'cell_state']) inputs.push(c.addTensor({ name: `${name}/${st}`, shape: [batch, hidden], dtype: 'float32', variable: true }, [batch, hidden]));
  inputs.push(-1, -1, -1, -1);
  const run = c.temp(`${tag}sequence`, [steps, batch, hidden], [steps, batch, hidden], false);
  c.emit('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [run], { activation: 'TANH', cellClip: 0, projClip: 0, timeMajor: true, freshState: true });
  let last = -1;
  if (wantLast) {
    last = c.temp(`${tag}last_step`, [1, batch, hidden], [1, batch, hidden], false);
    slice3(c, run, last, c.tensor(last).name, [steps - 1, 0, 0], [steps, batch, hidden], [1, 1, 1]);
  }
  return { y: reverse ? reversed(c, run, [steps, batch, hidden], `${tag}sequence_reversed`) : run, last };
}

export const lstm: Handler = (c) => {
  const { dirName, dirs } = recurrentDirections(c, DEFAULT_ACTIVATIONS);
  if ((c.attr('input_forget', 0) as number) !== 0) c.fail('input_forget 1 (coupled input and forget gates) is not supported');
  const x = c.required(0, 'X'), wi = c.required(1, 'W'), ri = c.required(2, 'R'), bi = c.input(3);
  if (c.input(4) >= 0) c.fail('sequence_lens (input 4) is not supported: every sequence runs all steps');
  zeroOrAbsent(c, 5, 'initial_h');
  zeroOrAbsent(c, 6, 'initial_c');
  if (c.input(7) >= 0) c.fail('P (input 7, peephole weights) is not supported');
  if (c.node.output?.[2]) c.fail('output Y_c (the final cell state) is not supported; edgepack keeps the cell state inside the op (outputs Y and Y_h are)');
  const xs = c.shapeOf(x);
  if (xs.length !== 3) c.fail(`X has shape ${JSON.stringify(xs)}; expected [seq_length, batch, input_size]`);
  const [steps, batch, nIn] = xs;
  const D = dirs.length;
  const ws = c.shapeOf(wi), rs = c.shapeOf(ri);
  const hidden = c.attr('hidden_size', ws[1] / 4) as number;
  if (ws.length !== 3 || ws[0] !== D || ws[1] !== 4 * hidden || ws[2] !== nIn) c.fail(`W has shape ${JSON.stringify(ws)}; expected [${D}, ${4 * hidden}, ${nIn}] (direction ${dirName})`);
  if (rs.length !== 3 || rs[0] !== D || rs[1] !== 4 * hidden || rs[2] !== hidden) c.fail(`R has shape ${JSON.stringify(rs)}; expected [${D}, ${4 * hidden}, ${hidden}]`);
  const W = c.constFloats(wi, 'W'), R = c.constFloats(ri, 'R');
  const B = bi >= 0 ? c.constFloats(bi, 'B') : new Float32Array(8 * hidden * D);
  if (B.length !== 8 * hidden * D) c.fail(`B holds ${B.length} values; expected ${8 * hidden * D}`);
  const s = { steps, batch, nIn, hidden };
  const runs = dirs.map((reverse, d) => direction(c, x, W, R, B, d, reverse, s, D === 1 ? '' : reverse ? 'reverse/' : 'forward/', !!c.node.output?.[1]));
  if (c.node.output?.[0]) {
    const y = c.output(0, [steps, D, batch, hidden]);
    if (D === 1) c.emit('RESHAPE', [runs[0].y], [y]);
    else {
      // each direction's [T, B, H] as NHWC [T, B, H, 1] (ONNX [T, 1, B, H]), concatenated on D
      const parts = runs.map((r, d) => {
        const t = c.temp(`direction${d}`, [steps, batch, hidden, 1], [steps, 1, batch, hidden], true);
        c.emit('RESHAPE', [r.y], [t]);
        return t;
      });
      c.emit('CONCATENATION', parts, [y], { axis: 3, activation: 'NONE' });
    }
  }
  if (c.node.output?.[1]) {
    const yh = c.output(1, [D, batch, hidden]);
    if (D === 1) c.emit('RESHAPE', [runs[0].last], [yh]);
    else c.emit('CONCATENATION', runs.map((r) => r.last), [yh], { axis: 0, activation: 'NONE' });
  }
};
