// ONNX GRU -> float32 ops unrolled over the sequence (forward, reverse or bidirectional, layout
// 0, the default activations Sigmoid and Tanh, linear_before_reset 0 or 1). ONNX's gate order
// is z, r, h in W [D, 3H, I], R [D, 3H, H] and B [D, 6H] (Wb then Rb; index 0 forward, 1
// reverse). Per step t (T-1 down to 0 in the reverse direction), with x_t = X[t] ([B, I], a
// STRIDED_SLICE) and H the previous state ([B, H]; the direction's initial_h, or zeros):
//   z  = Sigmoid(FC(x_t, Wz, Wbz + Rbz) + FC(H, Rz))
//   r  = Sigmoid(FC(x_t, Wr, Wbr + Rbr) + FC(H, Rr))
//   lbr 0: h~ = Tanh(FC(x_t, Wh, Wbh + Rbh) + FC(r * H, Rh))
//   lbr 1: h~ = Tanh(FC(x_t, Wh, Wbh) + r * FC(H, Rh, Rbh))
//   H' = (1 - z) * h~ + z * H
// (the two biases summed in f32 where they meet, so results match the equations within float
// rounding, not bit for bit). Y [T, D, B, H] is the CONCATENATION of every H' in time order (a
// reshape of [T, B, H]; bidirectional: the two directions concatenated on D, NHWC's last axis);
// Y_h [D, B, H] each direction's last state. About 19 ops and four [B, H] tensors a step per
// direction, so the sequence length is bounded by the op limit of an .epk.

import { ImportContext } from './context.js';
import { recurrentDirections } from './recurrent-attrs.js';

type Handler = (c: ImportContext) => void;

const GATE = { z: 0, r: 1, h: 2 };
const DEFAULT_ACTIVATIONS = ['Sigmoid', 'Tanh'];

interface Sizes { steps: number; batch: number; nIn: number; hidden: number; lbr: number }

export const gru: Handler = (c) => {
  const { dirName, dirs } = recurrentDirections(c, DEFAULT_ACTIVATIONS);
  const lbr = c.attr('linear_before_reset', 0) as number;
  if (lbr !== 0 && lbr !== 1) c.fail(`linear_before_reset ${lbr} is not 0 or 1`);
  const x = c.required(0, 'X'), wi = c.required(1, 'W'), ri = c.required(2, 'R'), bi = c.input(3);
  if (c.input(4) >= 0) c.fail('sequence_lens (input 4) is not supported: every sequence runs all steps');
  if (c.tensor(x).dtype !== 'float32') c.fail(`X "${c.tensor(x).name}" is ${c.tensor(x).dtype}; GRU runs on float32`);
  const xs = c.shapeOf(x);
  if (xs.length !== 3) c.fail(`X "${c.tensor(x).name}" has shape ${JSON.stringify(xs)}; expected [seq_length, batch, input_size]`);
  const [steps, batch, nIn] = xs;
  const D = dirs.length;
  const ws = c.shapeOf(wi), rs = c.shapeOf(ri);
  const hidden = c.attr('hidden_size', ws[1] / 3) as number;
  if (ws.length !== 3 || ws[0] !== D || ws[1] !== 3 * hidden || ws[2] !== nIn) c.fail(`W "${c.tensor(wi).name}" has shape ${JSON.stringify(ws)}; expected [${D}, ${3 * hidden}, ${nIn}] (direction ${dirName})`);
  if (rs.length !== 3 || rs[0] !== D || rs[1] !== 3 * hidden || rs[2] !== hidden) c.fail(`R "${c.tensor(ri).name}" has shape ${JSON.stringify(rs)}; expected [${D}, ${3 * hidden}, ${hidden}]`);
  const W = c.constFloats(wi, 'W'), R = c.constFloats(ri, 'R');
  const B = bi >= 0 ? c.constFloats(bi, 'B') : new Float32Array(6 * hidden * D);
  if (B.length !== 6 * hidden * D) c.fail(`B "${c.tensor(bi).name}" holds ${B.length} values; expected ${6 * hidden * D}`);
  if (!c.node.output?.[0] && !c.node.output?.[1]) c.fail('neither Y nor Y_h is used');
  const name = c.node.output?.[0] || c.node.output?.[1] || `gru${c.nodeIndex}`;
  const s: Sizes = { steps, batch, nIn, hidden, lbr };
  const initial = initialStates(c, D, batch, hidden, name);
  const runs = dirs.map((reverse, d) => direction(c, x, W, R, B, d, reverse, s, initial[d], D === 1 ? name : `${name}/${reverse ? 'reverse' : 'forward'}`));
  const tmp = (what: string, shape: number[], onnxShape = shape, nhwc = false) => c.temp(what, shape, onnxShape, nhwc);
  if (c.node.output?.[0]) {
    const sequence = (states: number[], what: string) => {
      if (steps === 1) return states[0];
      const y = tmp(what, [steps * batch, hidden]);
      c.emit('CONCATENATION', states, [y], { axis: 0, activation: 'NONE' });
      return y;
    };
    const y = c.output(0, [steps, D, batch, hidden]);
    if (D === 1) c.emit('RESHAPE', [sequence(runs[0].states, 'sequence')], [y]);
    else {
      // each direction's [T, B, H] as NHWC [T, B, H, 1] (ONNX [T, 1, B, H]), concatenated on D
      const parts = runs.map((r, d) => {
        const t = tmp(`direction${d}`, [steps, batch, hidden, 1], [steps, 1, batch, hidden], true);
        c.emit('RESHAPE', [sequence(r.states, `sequence${d}`)], [t]);
        return t;
      });
      c.emit('CONCATENATION', parts, [y], { axis: 3, activation: 'NONE' });
    }
  }
  if (c.node.output?.[1]) {
    const yh = c.output(1, [D, batch, hidden]);
    if (D === 1) c.emit('RESHAPE', [runs[0].last], [yh]);
    else {
      const both = tmp('last_states', [D * batch, hidden]);
      c.emit('CONCATENATION', runs.map((r) => r.last), [both], { axis: 0, activation: 'NONE' });
      c.emit('RESHAPE', [both], [yh]);
    }
  }
};

/**
 * One direction's unrolled GRU with the weights of direction d: the state after each time step,
 * in time order (`states[t]`), and the last one it computed (time 0 when reverse).
 */
function direction(c: ImportContext, x: number, W: Float32Array, R: Float32Array, B: Float32Array, d: number, reverse: boolean, sz: Sizes, h0: number, name: string): { states: number[]; last: number } {
  const { steps, batch, nIn, hidden, lbr } = sz;
  const rows = (m: Float32Array, gate: number, cols: number) => m.slice((d * 3 + gate) * hidden * cols, (d * 3 + gate + 1) * hidden * cols);
  const bias = (gate: number, recurrent: boolean) => B.slice((d * 6 + (recurrent ? 3 + gate : gate)) * hidden, (d * 6 + (recurrent ? 4 + gate : gate + 1)) * hidden);
  const sum = (a: Float32Array, b: Float32Array) => a.map((v, u) => Math.fround(v + b[u]));
  const konst = (what: string, shape: number[], data: Float32Array) => c.addConst(`${name}/${what}`, 'float32', shape, data);
  const wx = Object.fromEntries(Object.entries(GATE).map(([g, k]) => [g, konst(`w_${g}`, [hidden, nIn], rows(W, k, nIn))]));
  const wh = Object.fromEntries(Object.entries(GATE).map(([g, k]) => [g, konst(`r_${g}`, [hidden, hidden], rows(R, k, hidden))]));
  const bx = {
    z: konst('b_z', [hidden], sum(bias(GATE.z, false), bias(GATE.z, true))),
    r: konst('b_r', [hidden], sum(bias(GATE.r, false), bias(GATE.r, true))),
    h: konst('b_h', [hidden], lbr ? bias(GATE.h, false) : sum(bias(GATE.h, false), bias(GATE.h, true))),
  };
  const rbh = lbr ? konst('rb_h', [hidden], bias(GATE.h, true)) : -1;
  const ones = konst('ones', [batch, hidden], new Float32Array(batch * hidden).fill(1));

  const int32 = (v: number[], what: string) => c.addConst(`${name}/${what}`, 'int32', [v.length], Int32Array.from(v));
  const prefix = name.slice((c.node.output?.[0] || c.node.output?.[1] || `gru${c.nodeIndex}`).length).replace(/^\//, '');
  const tmp = (what: string, shape = [batch, hidden]) => c.temp(prefix ? `${prefix}/${what}` : what, shape, shape, false);
  const op = (type: string, inputs: number[], what: string, options: Record<string, unknown> = {}, shape?: number[]) => {
    const y = tmp(what, shape);
    c.emit(type, inputs, [y], type === 'ADD' || type === 'SUB' || type === 'MUL' ? { activation: 'NONE', ...options } : options);
    return y;
  };
  const fc = (input: number, weights: number, b: number, what: string) => op('FULLY_CONNECTED', [input, weights, b], what, { activation: 'NONE', weightsFormat: 0, keepNumDims: false });

  let h = h0;
  const states = new Array<number>(steps);
  for (let k = 0; k < steps; k++) {
    const t = reverse ? steps - 1 - k : k;
    const s = `t${t}`;
    const xt = op('STRIDED_SLICE', [x, int32([t, 0, 0], `${s}/begin`), int32([t + 1, batch, nIn], `${s}/end`), int32([1, 1, 1], `${s}/strides`)], `${s}/x`,
      { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 1, offset: false }, [batch, nIn]);
    const gate = (g: 'z' | 'r') => op('LOGISTIC', [op('ADD', [fc(xt, wx[g], bx[g], `${s}/x${g}`), fc(h, wh[g], -1, `${s}/h${g}`)], `${s}/${g}_in`)], `${s}/${g}`);
    const z = gate('z'), r = gate('r');
    const recurrent = lbr
      ? op('MUL', [r, fc(h, wh.h, rbh, `${s}/hh`)], `${s}/r_hh`)
      : fc(op('MUL', [r, h], `${s}/r_h`), wh.h, -1, `${s}/hh`);
    const cand = op('TANH', [op('ADD', [fc(xt, wx.h, bx.h, `${s}/xh`), recurrent], `${s}/h_in`)], `${s}/cand`);
    const keep = op('MUL', [op('SUB', [ones, z], `${s}/1-z`), cand], `${s}/new`);
    h = op('ADD', [keep, op('MUL', [z, h], `${s}/old`)], `${s}/h`);
    states[t] = h;
  }
  return { states, last: h };
}

/** initial_h [D, B, H] as each direction's [B, H] state of its first step: constants, slices of a run-time tensor, or zeros when absent. */
function initialStates(c: ImportContext, D: number, batch: number, hidden: number, name: string): number[] {
  const i = c.input(5);
  const konst = (d: number, data: Float32Array) => c.addConst(`${name}/initial_h${D > 1 ? d : ''}`, 'float32', [batch, hidden], data);
  if (i < 0) return Array.from({ length: D }, (_, d) => konst(d, new Float32Array(batch * hidden)));
  const s = c.shapeOf(i);
  if (s.length !== 3 || s[0] !== D || s[1] !== batch || s[2] !== hidden) c.fail(`initial_h "${c.tensor(i).name}" has shape ${JSON.stringify(s)}; expected [${D}, ${batch}, ${hidden}]`);
  const n = batch * hidden;
  if (c.isConst(i)) {
    const v = c.constFloats(i, 'initial_h');
    return Array.from({ length: D }, (_, d) => konst(d, Float32Array.from(v.subarray(d * n, (d + 1) * n))));
  }
  return Array.from({ length: D }, (_, d) => {
    const h = c.temp(`initial_h${D > 1 ? d : ''}`, [batch, hidden], [batch, hidden], false);
    if (D === 1) c.emit('RESHAPE', [i], [h]);
    else {
      const int32 = (v: number[], what: string) => c.addConst(`${name}/initial_h${d}/${what}`, 'int32', [3], Int32Array.from(v));
      c.emit('STRIDED_SLICE', [i, int32([d, 0, 0], 'begin'), int32([d + 1, batch, hidden], 'end'), int32([1, 1, 1], 'strides')], [h],
        { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 1, offset: false });
    }
    return h;
  });
}
