// ONNX node -> IR ops (TFLite spelling, NHWC). One small function per ONNX op type;
// shapes are inferred here from the inputs and attributes. Layout: 4-D activations are
// NHWC; weights are rearranged once (Conv OIHW -> OHWI, depthwise -> 1HWO, Gemm/MatMul ->
// [out, in]); constants broadcast against NHWC tensors are permuted to match.

import { geometry } from '../../ir/geometry.js';
import { TensorData } from '../../ir/graph.js';
import { lstm } from './lstm.js';
import { gru } from './gru.js';
import { ImportContext, NCHW_TO_NHWC, NHWC_TO_NCHW, permute } from './context.js';

type Handler = (c: ImportContext) => void;
export const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** ONNX auto_pad / pads -> IR padding options (SAME = SAME_UPPER, as TFLite). */
function padOptions(c: ImportContext, h: number, w: number, kh: number, kw: number, s: number[], d: number[]): Record<string, unknown> {
  // the .epk stores these as i32 params: whole numbers in [min, 2^31 - 1]
  const whole = (v: number[], n: number, min: number) => v.length === n && v.every((x) => Number.isSafeInteger(x) && x >= min && x <= 0x7fffffff);
  if (!whole([kh, kw], 2, 1)) c.fail(`kernel ${kh}x${kw}: sizes must be whole numbers >= 1`);
  if (!whole(s, 2, 1)) c.fail(`strides ${JSON.stringify(s)} must be two whole numbers in [1, 2^31 - 1]`);
  if (!whole(d, 2, 1)) c.fail(`dilations ${JSON.stringify(d)} must be two whole numbers in [1, 2^31 - 1]`);
  const auto = c.attr('auto_pad', 'NOTSET') as string;
  if (auto === 'SAME_UPPER') return { padding: 'SAME' };
  if (auto === 'VALID') return { padding: 'VALID' };
  let pads = c.attr('pads', [0, 0, 0, 0]) as number[];
  if (auto === 'SAME_LOWER') {
    const total = (n: number, k: number, st: number, dl: number) => Math.max(0, (Math.ceil(n / st) - 1) * st + (k - 1) * dl + 1 - n);
    const th = total(h, kh, s[0], d[0]), tw = total(w, kw, s[1], d[1]);
    pads = [Math.ceil(th / 2), Math.ceil(tw / 2), Math.floor(th / 2), Math.floor(tw / 2)];
  } else if (auto !== 'NOTSET') c.fail(`auto_pad ${auto} is not supported`);
  if (pads.length !== 4) c.fail(`pads ${JSON.stringify(pads)}: only 2-D spatial padding is supported`);
  if (!whole(pads, 4, 0)) c.fail(`pads ${JSON.stringify(pads)} must be whole numbers in [0, 2^31 - 1]`);
  if (pads.every((p) => p === 0)) return { padding: 'VALID' };
  return { padding: 'EXPLICIT', padTop: pads[0], padLeft: pads[1], padBottom: pads[2], padRight: pads[3] };
}

export function spatialInput(c: ImportContext): { x: number; n: number; ch: number; h: number; w: number } {
  const x = c.required(0, 'input');
  if (!c.nhwc.has(x)) c.fail(`input "${c.tensor(x).name}" must be a 4-D NCHW tensor, has shape ${JSON.stringify(c.shapeOf(x))}`);
  const [n, ch, h, w] = c.shapeOf(x);
  return { x, n, ch, h, w };
}

const conv: Handler = (c) => {
  const { x, n, ch, h, w } = spatialInput(c);
  const wi = c.required(1, 'weights');
  const ws = c.shapeOf(wi);
  if (ws.length !== 4) c.fail(`weights shape ${JSON.stringify(ws)}: only 2-D convolutions are supported`);
  const W = c.constFloats(wi, 'weights');
  const [oc, icg, kh, kw] = ws;
  const group = c.attr('group', 1) as number;
  if (icg * group !== ch || oc % group !== 0) c.fail(`weights ${JSON.stringify(ws)} with group ${group} do not fit ${ch} input channels`);
  const strides = c.attr('strides', [1, 1]) as number[], dil = c.attr('dilations', [1, 1]) as number[];
  const options: Record<string, unknown> = {
    ...padOptions(c, h, w, kh, kw, strides, dil), strideH: strides[0], strideW: strides[1], dilationH: dil[0], dilationW: dil[1], activation: 'NONE',
  };
  const geo = geometry(options, h, w, kh, kw);
  const y = c.output(0, [n, oc, geo.outH, geo.outW]);
  const name = c.tensor(wi).name;
  const bias = c.input(2);
  const b = bias >= 0 ? c.addConst(`${c.tensor(bias).name}`, 'float32', [oc], c.constFloats(bias, 'bias')) : -1;
  if (group === ch && group > 1 && icg === 1) {
    // Depthwise: output channel o reads input channel floor(o / multiplier), as TFLite.
    const dw = new Float32Array(W.length);
    for (let o = 0; o < oc; o++) for (let k = 0; k < kh * kw; k++) dw[k * oc + o] = W[o * kh * kw + k];
    const wt = c.addConst(`${name}/1hwo`, 'float32', [1, kh, kw, oc], dw);
    c.emit('DEPTHWISE_CONV_2D', [x, wt, b], [y], { ...options, depthMultiplier: oc / ch });
  } else {
    const wt = c.addConst(`${name}/ohwi`, 'float32', [oc, kh, kw, icg], permute(W, ws, [0, 2, 3, 1]));
    c.emit('CONV_2D', [x, wt, b], [y], options);
  }
};

/**
 * ConvTranspose with stride 1 is a conv of the same input with the kernel flipped and
 * in/out swapped, padded k - 1 - p: W'[o, ky, kx, i] = W[i, o, kh-1-ky, kw-1-kx].
 * Strides above 1 go to TRANSPOSE_CONV (ops-more.ts).
 */
export const convTranspose: Handler = (c) => {
  const { x, n, ch, h, w } = spatialInput(c);
  const wi = c.required(1, 'weights');
  const ws = c.shapeOf(wi);
  if (ws.length !== 4 || ws[0] !== ch) c.fail(`weights ${JSON.stringify(ws)} do not fit ${ch} input channels (2-D only)`);
  const [, oc, kh, kw] = ws;
  const strides = c.attr('strides', [1, 1]) as number[], dil = c.attr('dilations', [1, 1]) as number[];
  if (strides.some((s) => s !== 1) || dil.some((d) => d !== 1) || (c.attr('group', 1) as number) !== 1) {
    c.fail('only stride 1, dilation 1, group 1 ConvTranspose is supported');
  }
  if ((c.attr('output_padding', [0, 0]) as number[]).some((p) => p !== 0) || c.attrs.has('output_shape')) c.fail('output_padding / output_shape are not supported');
  if ((c.attr('auto_pad', 'NOTSET') as string) !== 'NOTSET') c.fail('auto_pad is not supported on ConvTranspose');
  const [pt, pl, pb, pr] = c.attr('pads', [0, 0, 0, 0]) as number[];
  if (pt > kh - 1 || pb > kh - 1 || pl > kw - 1 || pr > kw - 1) c.fail(`pads ${JSON.stringify([pt, pl, pb, pr])} exceed kernel - 1`);
  const W = c.constFloats(wi, 'weights');
  const flipped = new Float32Array(W.length);
  for (let i = 0; i < ch; i++) for (let o = 0; o < oc; o++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
    flipped[((o * kh + ky) * kw + kx) * ch + i] = W[((i * oc + o) * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx)];
  }
  const options = {
    padding: 'EXPLICIT', padTop: kh - 1 - pt, padLeft: kw - 1 - pl, padBottom: kh - 1 - pb, padRight: kw - 1 - pr,
    strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE',
  };
  const geo = geometry(options, h, w, kh, kw);
  const y = c.output(0, [n, oc, geo.outH, geo.outW]);
  const bias = c.input(2);
  const b = bias >= 0 ? c.addConst(c.tensor(bias).name, 'float32', [oc], c.constFloats(bias, 'bias')) : -1;
  c.emit('CONV_2D', [x, c.addConst(`${c.tensor(wi).name}/flipped`, 'float32', [oc, kh, kw, ch], flipped), b], [y], options);
};

function pool(type: 'MAX_POOL_2D' | 'AVERAGE_POOL_2D'): Handler {
  return (c) => {
    const { x, n, ch, h, w } = spatialInput(c);
    const [kh, kw] = c.attr('kernel_shape', []) as number[];
    if (!kh || !kw) c.fail('kernel_shape must give two sizes');
    const strides = c.attr('strides', [1, 1]) as number[];
    if ((c.attr('ceil_mode', 0) as number) !== 0) c.fail('ceil_mode=1 is not supported');
    if ((c.attr('dilations', [1, 1]) as number[]).some((d) => d !== 1)) c.fail('dilated pooling is not supported');
    const options: Record<string, unknown> = { ...padOptions(c, h, w, kh, kw, strides, [1, 1]), strideH: strides[0], strideW: strides[1], filterH: kh, filterW: kw, activation: 'NONE' };
    if (type === 'AVERAGE_POOL_2D' && options.padding !== 'VALID' && (c.attr('count_include_pad', 0) as number) !== 0) {
      c.fail('count_include_pad=1 with padding is not supported (the int8 kernel averages over valid taps only)');
    }
    const geo = geometry(options, h, w, kh, kw);
    c.emit(type, [x], [c.output(0, [n, ch, geo.outH, geo.outW])], options);
  };
}

const globalAveragePool: Handler = (c) => {
  const { x, n, ch, h, w } = spatialInput(c);
  c.emit('AVERAGE_POOL_2D', [x], [c.output(0, [n, ch, 1, 1])], { padding: 'VALID', strideH: 1, strideW: 1, filterH: h, filterW: w, activation: 'NONE' });
};

/** FULLY_CONNECTED from y = alpha * A * op(B) + beta * C, with weights stored [out, in]. */
function fullyConnected(c: ImportContext, a: number, wOutIn: Float32Array, n: number, k: number, bias: Float32Array | null, outShape: number[]): void {
  if (c.nhwc.has(a)) c.fail(`input "${c.tensor(a).name}" is 4-D; flatten it first`);
  const w = c.addConst(`${c.node.output![0]}/weights`, 'float32', [n, k], wOutIn);
  const b = bias ? c.addConst(`${c.node.output![0]}/bias`, 'float32', [n], bias) : -1;
  c.emit('FULLY_CONNECTED', [a, w, b], [c.output(0, outShape)], { activation: 'NONE', weightsFormat: 0, keepNumDims: false });
}

function transpose2(d: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(d.length);
  for (let r = 0; r < rows; r++) for (let q = 0; q < cols; q++) out[q * rows + r] = d[r * cols + q];
  return out;
}

const gemm: Handler = (c) => {
  const a = c.required(0, 'A'), bi = c.required(1, 'B');
  if (c.attr('transA', 0)) c.fail('transA=1 is not supported');
  const [m, k] = c.shapeOf(a);
  if (c.shapeOf(a).length !== 2) c.fail(`A must be 2-D, has shape ${JSON.stringify(c.shapeOf(a))}`);
  const bs = c.shapeOf(bi);
  let B = c.constFloats(bi, 'B');
  const transB = c.attr('transB', 0) as number;
  const n = transB ? bs[0] : bs[1];
  if ((transB ? bs[1] : bs[0]) !== k) c.fail(`B shape ${JSON.stringify(bs)} does not fit A ${JSON.stringify([m, k])}`);
  if (!transB) B = transpose2(B, k, n);
  const alpha = c.attr('alpha', 1) as number, beta = c.attr('beta', 1) as number;
  if (alpha !== 1) B = B.map((v) => v * alpha);
  const ci = c.input(2);
  let bias: Float32Array | null = null;
  if (ci >= 0) {
    const C = c.constFloats(ci, 'C');
    if (C.length !== n && C.length !== 1) c.fail(`C must hold ${n} values (or 1), has ${C.length}`);
    bias = Float32Array.from({ length: n }, (_, j) => beta * C[C.length === 1 ? 0 : j]);
  }
  fullyConnected(c, a, B, n, k, bias, [m, n]);
};

const matMul: Handler = (c) => {
  const a = c.required(0, 'A'), bi = c.required(1, 'B');
  const as = c.shapeOf(a), bs = c.shapeOf(bi);
  if (!c.isConst(bi) || bs.length !== 2) c.fail('B must be a constant 2-D matrix');
  const [k, n] = bs;
  if (as[as.length - 1] !== k) c.fail(`A shape ${JSON.stringify(as)} does not fit B ${JSON.stringify(bs)}`);
  fullyConnected(c, a, transpose2(c.constFloats(bi, 'B'), k, n), n, k, null, [...as.slice(0, -1), n]);
};

const batchNorm: Handler = (c) => {
  const x = c.required(0, 'input');
  const s = c.shapeOf(x);
  if (!(c.nhwc.has(x) || s.length === 2)) c.fail(`input shape ${JSON.stringify(s)}: channels must be axis 1 of a 2-D or 4-D tensor`);
  const params = [1, 2, 3, 4].map((k) => c.required(k, ['scale', 'B', 'mean', 'var'][k - 1]));
  params.forEach((p) => c.constFloats(p, 'batch-norm parameter'));
  c.emit('BATCH_NORM', [x, ...params], [c.output(0, s)], { epsilon: c.attr('epsilon', 1e-5) });
};

export function unary(type: string, options: (c: ImportContext) => Record<string, unknown> = () => ({})): Handler {
  return (c) => {
    const x = c.required(0, 'input');
    c.emit(type, [x], [c.output(0, c.shapeOf(x))], options(c));
  };
}

const clip: Handler = (c) => {
  const bound = (k: number, attr: string, def: number) => {
    const i = c.input(k);
    return i >= 0 ? c.constFloats(i, attr)[0] : (c.attr(attr, def) as number);
  };
  const lo = bound(1, 'min', -Infinity), hi = bound(2, 'max', Infinity);
  const type = lo === 0 && hi === 6 ? 'RELU6' : lo === 0 && hi === Infinity ? 'RELU' : lo === -1 && hi === 1 ? 'RELU_N1_TO_1' : null;
  if (type) return unary(type)(c);
  if (!(lo <= hi)) c.fail(`Clip(${lo}, ${hi}): min must not exceed max`);
  unary('CLIP', () => ({ min: lo, max: hi }))(c); // any other bounds: an int8 LUT

};

/** Broadcast shape (numpy rules) of ONNX shapes. */
export function broadcast(c: ImportContext, a: number[], b: number[]): number[] {
  const r = Math.max(a.length, b.length);
  const pa = [...new Array(r - a.length).fill(1), ...a], pb = [...new Array(r - b.length).fill(1), ...b];
  return pa.map((d, i) => {
    if (d !== pb[i] && d !== 1 && pb[i] !== 1) c.fail(`shapes ${JSON.stringify(a)} and ${JSON.stringify(b)} do not broadcast`);
    return Math.max(d, pb[i]);
  });
}

/** A constant broadcast against a 4-D NHWC activation: padded to rank 4, permuted to NHWC. */
export function nhwcOperand(c: ImportContext, t: number): number {
  if (c.nhwc.has(t)) return t;
  const s = c.shapeOf(t);
  if (!c.isConst(t) || s.length > 4) c.fail(`operand "${c.tensor(t).name}" of shape ${JSON.stringify(s)} cannot be broadcast against a 4-D activation`);
  const s4 = [...new Array(4 - s.length).fill(1), ...s];
  const data = permute(c.tensor(t).data as TensorData, s4, NCHW_TO_NHWC);
  const i = c.addConst(`${c.tensor(t).name}/nhwc`, c.tensor(t).dtype, NCHW_TO_NHWC.map((p) => s4[p]), data);
  c.nhwc.add(i);
  c.onnxShape.set(i, s4);
  return i;
}

export function binary(type: string): Handler {
  return (c) => {
    let a = c.required(0, 'A'), b = c.required(1, 'B');
    const out = broadcast(c, c.shapeOf(a), c.shapeOf(b));
    if (out.length === 4) {
      a = nhwcOperand(c, a);
      b = nhwcOperand(c, b);
    }
    c.emit(type, [a, b], [c.output(0, out)], { activation: 'NONE' });
  };
}

const concat: Handler = (c) => {
  const ins = (c.node.input ?? []).map((_, k) => c.required(k, `input ${k}`));
  const rank = c.shapeOf(ins[0]).length;
  let axis = c.attr('axis', 1) as number;
  if (axis < 0) axis += rank;
  const out = [...c.shapeOf(ins[0])];
  out[axis] = ins.reduce((s, t) => s + c.shapeOf(t)[axis], 0);
  const irIns = rank === 4 ? ins.map((t) => nhwcOperand(c, t)) : ins;
  c.emit('CONCATENATION', irIns, [c.output(0, out)], { axis: rank === 4 ? NCHW_TO_NHWC.indexOf(axis) : axis, activation: 'NONE' });
};

/** Any reinterpretation of memory order: through NCHW order, back to NHWC if 4-D. */
function reshapeTo(c: ImportContext, x: number, out: number[]): void {
  if (prod(out) !== prod(c.shapeOf(x))) c.fail(`cannot reshape ${JSON.stringify(c.shapeOf(x))} to ${JSON.stringify(out)}`);
  const xo = c.nchwOrder(x);
  const y = c.output(0, out);
  if (out.length !== 4) return c.emit('RESHAPE', [xo], [y]);
  const mid = c.temp('nchw_out', [...out], out, false);
  c.emit('RESHAPE', [xo], [mid]);
  c.move(mid, y, NCHW_TO_NHWC, out);
}

const flatten: Handler = (c) => {
  const x = c.required(0, 'input'), s = c.shapeOf(x);
  let axis = c.attr('axis', 1) as number;
  if (axis < 0) axis += s.length;
  reshapeTo(c, x, [prod(s.slice(0, axis)), prod(s.slice(axis))]);
};

const reshape: Handler = (c) => {
  const x = c.required(0, 'input'), s = c.shapeOf(x);
  const want = c.constInts(c.required(1, 'shape'), 'shape');
  const allowZero = c.attr('allowzero', 0) as number;
  const out = want.map((d, i) => (d === 0 && !allowZero ? s[i] : d));
  const known = prod(out.filter((d) => d !== -1));
  reshapeTo(c, x, out.map((d) => (d === -1 ? prod(s) / known : d)));
};

function axesOf(c: ImportContext, rank: number): number[] | null {
  const i = c.input(1);
  const axes = i >= 0 ? c.constInts(i, 'axes') : (c.attr('axes', null as unknown as number[]) as number[] | null);
  return axes ? axes.map((a) => (a < 0 ? a + rank : a)) : null;
}

const squeeze: Handler = (c) => {
  const x = c.required(0, 'input'), s = c.shapeOf(x);
  const axes = axesOf(c, s.length);
  reshapeTo(c, x, s.filter((d, i) => (axes ? !axes.includes(i) : d !== 1)));
};

const unsqueeze: Handler = (c) => {
  const x = c.required(0, 'input'), s = c.shapeOf(x);
  const i = c.input(1);
  const raw = i >= 0 ? c.constInts(i, 'axes') : (c.attr('axes', []) as number[]);
  if (raw.length === 0) c.fail('axes are required');
  const rank = s.length + raw.length;
  const out = [...s];
  for (const a of raw.map((a) => (a < 0 ? a + rank : a)).sort((p, q) => p - q)) out.splice(a, 0, 1);
  reshapeTo(c, x, out);
};

const transpose: Handler = (c) => {
  const x = c.required(0, 'input'), s = c.shapeOf(x);
  const perm = c.attr('perm', s.map((_, i) => s.length - 1 - i)) as number[];
  const out = perm.map((p) => s[p]);
  if (c.isConst(x) && s.length <= 4 && !c.nhwc.has(x)) {
    // A transposed weight (QDQ exporters write Transpose(DequantizeLinear(W))): fold now.
    const lead = 4 - s.length, s4 = [...new Array(lead).fill(1), ...s];
    const perm4 = [...Array.from({ length: lead }, (_, i) => i), ...perm.map((p) => p + lead)];
    const name = c.node.output![0];
    c.byName.set(name, c.addConst(name, c.tensor(x).dtype, out, permute(c.tensor(x).data!, s4, perm4)));
    return;
  }
  const y = c.output(0, out);
  if (s.length !== 4) {
    c.emit('TRANSPOSE', [x, c.addConst(`${c.tensor(y).name}/perm`, 'int32', [perm.length], Int32Array.from(perm))], [y]);
    return;
  }
  // NHWC in, NHWC out: out axis k reads input axis NHWC_TO_NCHW[perm[NCHW_TO_NHWC[k]]].
  const total = [0, 1, 2, 3].map((k) => NHWC_TO_NCHW[perm[NCHW_TO_NHWC[k]]]);
  c.move(x, y, total, c.tensor(x).shape);
};

const pad: Handler = (c) => {
  const x = c.required(0, 'input'), s = c.shapeOf(x);
  const mode = c.attr('mode', 'constant') as string;
  if (mode !== 'constant' && mode !== 'reflect') c.fail(`mode ${mode} is not supported (constant, reflect)`);
  if (c.input(3) >= 0) c.fail('the axes input is not supported (pads for every axis)');
  const pi = c.input(1);
  const pads = pi >= 0 ? c.constInts(pi, 'pads') : (c.attr('pads', []) as number[]);
  const vi = c.input(2);
  const value = vi >= 0 ? c.constFloats(vi, 'constant_value')[0] ?? 0 : (c.attr('value', 0) as number);
  if (value !== 0 && mode === 'constant') c.fail(`pad value ${value} is not supported (0 only)`);
  const r = s.length;
  if (pads.length !== 2 * r) c.fail(`pads hold ${pads.length} values for rank ${r}`);
  if (!pads.every((v) => Number.isSafeInteger(v) && v >= 0 && v <= 0x7fffffff)) c.fail(`pads ${JSON.stringify(pads)} must be whole numbers >= 0 (negative pads crop, which is not supported)`);
  const out = s.map((d, i) => d + pads[i] + pads[i + r]);
  const order = r === 4 ? NCHW_TO_NHWC : s.map((_, i) => i);
  const irPads = Int32Array.from(order.flatMap((a) => [pads[a], pads[a + r]]));
  const p = c.addConst(`${c.node.output![0]}/paddings`, 'int32', [r, 2], irPads);
  if (mode === 'reflect') {
    // TFLite's MIRROR_PAD REFLECT (edge not repeated): at most size - 1 per side
    s.forEach((d, i) => {
      if (pads[i] > d - 1 || pads[i + r] > d - 1) c.fail(`reflect pads [${pads[i]}, ${pads[i + r]}] of axis ${i} (size ${d}) exceed size - 1`);
    });
    return c.emit('MIRROR_PAD', [x, p], [c.output(0, out)], { mode: 0 });
  }
  c.emit('PAD', [x, p], [c.output(0, out)]);
};

/** Softmax and LogSoftmax: over the channels or the last axis only (TFLite's innermost axis). */
const softmaxLike = (type: 'SOFTMAX' | 'LOG_SOFTMAX'): Handler => (c) => {
  const x = c.required(0, 'input'), s = c.shapeOf(x);
  let axis = c.attr('axis', c.opset >= 13 ? -1 : 1) as number;
  if (axis < 0) axis += s.length;
  const channelsLast = c.nhwc.has(x) ? axis === 1 && (c.opset >= 13 || s[2] * s[3] === 1) : axis === s.length - 1;
  const what = type === 'SOFTMAX' ? 'softmax' : 'log softmax';
  if (!channelsLast) c.fail(`${what} over axis ${axis} of ${JSON.stringify(s)} is not supported (channels or last axis only)`);
  c.emit(type, [x], [c.output(0, s)], type === 'SOFTMAX' ? { beta: 1 } : {});
};
const softmax = softmaxLike('SOFTMAX');

const constant: Handler = (c) => {
  const t = c.attrs.get('value');
  const name = c.node.output![0];
  if (t && typeof t === 'object' && !Array.isArray(t)) {
    const v = c.tensorValue(t);
    c.byName.set(name, c.addConst(name, v.dtype, v.shape, v.data));
  } else if (c.attrs.has('value_float')) {
    c.byName.set(name, c.addConst(name, 'float32', [], Float32Array.of(c.attr('value_float', 0) as number)));
  } else if (c.attrs.has('value_floats')) {
    const v = c.attr('value_floats', []) as number[];
    c.byName.set(name, c.addConst(name, 'float32', [v.length], Float32Array.from(v)));
  } else if (c.attrs.has('value_ints') || c.attrs.has('value_int')) {
    const v = c.attrs.has('value_int') ? [c.attr('value_int', 0) as number] : (c.attr('value_ints', []) as number[]);
    c.byName.set(name, c.addConst(name, 'int64', c.attrs.has('value_int') ? [] : [v.length], BigInt64Array.from(v.map(BigInt))));
  } else c.fail('Constant without a supported value attribute');
};

/** Dequantized copy of an int8/uint8 initializer: real = scale * (q - zp), per-axis if scale is a vector. */
const dequantizeLinear: Handler = (c) => {
  const x = c.required(0, 'x'), scale = c.constFloats(c.required(1, 'x_scale'), 'x_scale');
  const zi = c.input(2);
  const zp = zi >= 0 ? c.constInts(zi, 'x_zero_point') : [0];
  const pending = c.pendingQuant.get(x);
  if (pending) {
    if (scale.length !== 1) c.fail('per-axis activation quantization is not supported');
    if (!(scale[0] > 0 && Number.isFinite(scale[0]))) c.fail(`x_scale ${scale[0]} must be finite and > 0`);
    const [lo, hi] = c.tensor(x).dtype === 'uint8' ? [0, 255] : [-128, 127];
    if (!(zp[0] >= lo && zp[0] <= hi)) c.fail(`x_zero_point ${zp[0]} outside the ${c.tensor(x).dtype} range [${lo}, ${hi}]`);
    c.emit('FAKE_QUANT', [pending], [c.output(0, c.shapeOf(pending))], { scale: scale[0], zeroPoint: zp[0] - (c.tensor(x).dtype === 'uint8' ? 128 : 0) });
    return;
  }
  if (!c.isConst(x)) c.fail('DequantizeLinear must read a QuantizeLinear output or a constant');
  const s = c.shapeOf(x), q = c.constInts(x, 'x');
  let axis = c.attr('axis', 1) as number;
  if (axis < 0) axis += s.length;
  const inner = prod(s.slice(axis + 1)), ch = scale.length;
  const data = Float32Array.from(q, (v, i) => {
    const k = ch > 1 ? Math.floor(i / inner) % ch : 0;
    return scale[k] * (v - (zp[zp.length > 1 ? k : 0] ?? 0));
  });
  const name = c.node.output![0];
  c.byName.set(name, c.addConst(name, 'float32', s, data));
};

/** QuantizeLinear of an activation: remembered, and paired with the DequantizeLinear that reads it. */
const quantizeLinear: Handler = (c) => {
  const x = c.required(0, 'x');
  const zi = c.input(2);
  const dtype = zi >= 0 ? c.tensor(zi).dtype : 'uint8';
  if (dtype !== 'int8' && dtype !== 'uint8') c.fail(`QuantizeLinear to ${dtype} is not supported (int8, uint8)`);
  const marker = c.addTensor({ name: c.node.output![0], shape: [...c.tensor(x).shape], dtype }, c.shapeOf(x), c.nhwc.has(x));
  c.byName.set(c.node.output![0], marker);
  c.pendingQuant.set(marker, x);
};

export const HANDLERS: Record<string, Handler> = {
  Conv: conv,
  ConvTranspose: convTranspose,
  Gemm: gemm,
  MatMul: matMul,
  BatchNormalization: batchNorm,
  Relu: unary('RELU'),
  Clip: clip,
  LeakyRelu: unary('LEAKY_RELU', (c) => ({ alpha: c.attr('alpha', 0.01) })),
  Sigmoid: unary('LOGISTIC'),
  Tanh: unary('TANH'),
  HardSwish: unary('HARD_SWISH'),
  Add: binary('ADD'),
  Mul: binary('MUL'),
  Div: binary('DIV'),
  PRelu: binary('PRELU'), // slope broadcast to X (TFLite's alpha)
  Concat: concat,
  MaxPool: pool('MAX_POOL_2D'),
  AveragePool: pool('AVERAGE_POOL_2D'),
  GlobalAveragePool: globalAveragePool,
  Flatten: flatten,
  Reshape: reshape,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Pad: pad,
  Softmax: softmax,
  LogSoftmax: softmaxLike('LOG_SOFTMAX'),
  Dropout: unary('DROPOUT'),
  Identity: unary('IDENTITY'),
  Constant: constant,
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  LSTM: lstm, // lstm.ts: forward, float32
  GRU: gru, // gru.ts: forward, float32, unrolled into float ops
};
