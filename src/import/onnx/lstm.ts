// ONNX LSTM -> UNIDIRECTIONAL_SEQUENCE_LSTM (float32, time major): the forward direction, no
// peephole, the default activations (Sigmoid, Tanh, Tanh), layout 0, no clip, no input_forget.
// ONNX's gate order is i, o, f, c in W [1, 4H, I], R [1, 4H, H] and B [1, 8H] (Wb then Rb);
// TFLite's is i, f, c, o, one bias per gate: bias_g = Wb_g + Rb_g (f32 sums). ONNX starts every
// run from initial_h / initial_c (absent or zero here), so the op is marked `freshState`: the
// kernel zeroes its states at each invoke instead of carrying them over as TFLite's do.
// Y [T, 1, B, H] is the LSTM's [T, B, H] output (a reshape, no copy); Y_h [1, B, H] the last
// time step of it (a STRIDED_SLICE); Y_c (the final cell state) is refused when named.

import { ImportContext } from './context.js';

type Handler = (c: ImportContext) => void;

const ONNX_GATE = { input: 0, output: 1, forget: 2, cell: 3 };
const TFLITE_ORDER = [ONNX_GATE.input, ONNX_GATE.forget, ONNX_GATE.cell, ONNX_GATE.output];
const DEFAULT_ACTIVATIONS = ['Sigmoid', 'Tanh', 'Tanh'];

function stringsAttr(c: ImportContext, name: string): string[] | undefined {
  const a = c.node.attribute?.find((x) => x.name === name);
  if (!a) return undefined;
  return (a.strings ?? []).map((s) => new TextDecoder().decode(s));
}

function zeroOrAbsent(c: ImportContext, k: number, what: string): void {
  const i = c.input(k);
  if (i < 0) return;
  if (!c.isConst(i) || c.constFloats(i, what).some((v) => v !== 0)) c.fail(`${what} (input ${k}) must be absent or a constant of zeros: edgepack starts every run of an ONNX LSTM from zero state`);
}

export const lstm: Handler = (c) => {
  const direction = c.attr('direction', 'forward') as string;
  if (direction !== 'forward') c.fail(`direction "${direction}" is not supported (forward only)`);
  if ((c.attr('layout', 0) as number) !== 0) c.fail('layout 1 (batch first) is not supported (layout 0: [seq, batch, input])');
  if ((c.attr('input_forget', 0) as number) !== 0) c.fail('input_forget 1 (coupled input and forget gates) is not supported');
  if (c.attrs.has('clip')) c.fail('clip (on the gates\' pre-activations) is not supported');
  const acts = stringsAttr(c, 'activations');
  if (acts && acts.join() !== DEFAULT_ACTIVATIONS.join()) c.fail(`activations ${JSON.stringify(acts)} are not supported (the default ${DEFAULT_ACTIVATIONS.join(', ')} only)`);
  if (c.attrs.has('activation_alpha') || c.attrs.has('activation_beta')) c.fail('activation_alpha / activation_beta are not supported');
  const x = c.required(0, 'X'), wi = c.required(1, 'W'), ri = c.required(2, 'R'), bi = c.input(3);
  if (c.input(4) >= 0) c.fail('sequence_lens (input 4) is not supported: every sequence runs all steps');
  zeroOrAbsent(c, 5, 'initial_h');
  zeroOrAbsent(c, 6, 'initial_c');
  if (c.input(7) >= 0) c.fail('P (input 7, peephole weights) is not supported');
  if (c.node.output?.[2]) c.fail('output Y_c (the final cell state) is not supported; edgepack keeps the cell state inside the op (outputs Y and Y_h are)');
  const xs = c.shapeOf(x);
  if (xs.length !== 3) c.fail(`X has shape ${JSON.stringify(xs)}; expected [seq_length, batch, input_size]`);
  const [steps, batch, nIn] = xs;
  const ws = c.shapeOf(wi), rs = c.shapeOf(ri);
  const H = ws[1] / 4;
  const hidden = c.attr('hidden_size', H) as number;
  if (ws.length !== 3 || ws[0] !== 1 || ws[1] !== 4 * hidden || ws[2] !== nIn) c.fail(`W has shape ${JSON.stringify(ws)}; expected [1, ${4 * hidden}, ${nIn}]`);
  if (rs.length !== 3 || rs[0] !== 1 || rs[1] !== 4 * hidden || rs[2] !== hidden) c.fail(`R has shape ${JSON.stringify(rs)}; expected [1, ${4 * hidden}, ${hidden}]`);
  const W = c.constFloats(wi, 'W'), R = c.constFloats(ri, 'R');
  const B = bi >= 0 ? c.constFloats(bi, 'B') : new Float32Array(8 * hidden);
  if (B.length !== 8 * hidden) c.fail(`B holds ${B.length} values; expected ${8 * hidden}`);
  const name = c.node.output?.[0] || `lstm${c.nodeIndex}`;
  const rows = (m: Float32Array, gate: number, cols: number) => m.slice(gate * hidden * cols, (gate + 1) * hidden * cols);
  const inputs = [x];
  TFLITE_ORDER.forEach((g, k) => inputs.push(c.addConst(`${name}/input_weights_${k}`, 'float32', [hidden, nIn], rows(W, g, nIn))));
  TFLITE_ORDER.forEach((g, k) => inputs.push(c.addConst(`${name}/recurrent_weights_${k}`, 'float32', [hidden, hidden], rows(R, g, hidden))));
  inputs.push(-1, -1, -1);
  TFLITE_ORDER.forEach((g, k) => inputs.push(c.addConst(`${name}/bias_${k}`, 'float32', [hidden],
    Float32Array.from({ length: hidden }, (_, u) => Math.fround(B[g * hidden + u] + B[(4 + g) * hidden + u])))));
  inputs.push(-1, -1);
  for (const s of ['hidden_state', 'cell_state']) inputs.push(c.addTensor({ name: `${name}/${s}`, shape: [batch, hidden], dtype: 'float32', variable: true }, [batch, hidden]));
  inputs.push(-1, -1, -1, -1);
  const y3 = c.temp('sequence', [steps, batch, hidden], [steps, batch, hidden], false);
  c.emit('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [y3], { activation: 'TANH', cellClip: 0, projClip: 0, timeMajor: true, freshState: true });
  if (c.node.output?.[0]) c.emit('RESHAPE', [y3], [c.output(0, [steps, 1, batch, hidden])]);
  if (c.node.output?.[1]) {
    const int32 = (v: number[], what: string) => c.addConst(`${name}/${what}`, 'int32', [3], Int32Array.from(v));
    const yh = c.output(1, [1, batch, hidden]);
    c.emit('STRIDED_SLICE', [y3, int32([steps - 1, 0, 0], 'last_begin'), int32([steps, batch, hidden], 'last_end'), int32([1, 1, 1], 'last_strides')], [yh],
      { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false });
  }
};
