// Random single-op float32 models built in code (group f32), for test/ops-f32-tflm.test.ts
// (tflm-run as the oracle) and a fuzz seed: every float32 op the converter runs, with
// random shapes, strides, paddings, broadcasts and fused activations.

import { TfliteBuilder } from './tflite-builder.js';

export type Rand = () => number;
export interface F32Case { model: Uint8Array; inputs: Uint8Array[][]; what: string }

const ACTS = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const elems = (s: number[]) => s.reduce((a, d) => a * d, 1);
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: T[]) => xs[int(r, 0, xs.length - 1)];
const floats = (r: Rand, n: number, scale = 2) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
const bytes = (a: Float32Array) => new Uint8Array(a.buffer);
const shape = (r: Rand, rank: number, max = 5) => Array.from({ length: rank }, () => int(r, 1, max));

/** Output side of SAME/VALID padding (TFLite). */
function outSize(padding: string, n: number, k: number, stride: number, dil = 1): number {
  const eff = (k - 1) * dil + 1;
  return padding === 'SAME' ? Math.ceil(n / stride) : Math.floor((n - eff) / stride) + 1;
}

/** One model: graph inputs `ins` (shapes), a body adding ops, `invokes` random inputs. */
function single(r: Rand, what: string, ins: number[][], body: (b: TfliteBuilder, xs: number[]) => number, invokes = 2): F32Case {
  const b = new TfliteBuilder();
  const xs = ins.map((s, i) => b.tensor(`x${i}`, s, 'float32'));
  const y = body(b, xs);
  b.io(xs, [y]);
  const inputs = Array.from({ length: invokes }, () => ins.map((s) => bytes(floats(r, elems(s)))));
  return { model: b.finish(), inputs, what };
}

export function fcCase(r: Rand): F32Case {
  const batch = int(r, 1, 3), depth = int(r, 1, 40), oc = int(r, 1, 12), act = pick(r, ACTS), bias = r() < 0.7;
  return single(r, `FULLY_CONNECTED [${batch},${depth}]x[${oc},${depth}] ${act}${bias ? '' : ' no bias'}`, [[batch, depth]], (b, [x]) => {
    const y = b.tensor('y', [batch, oc], 'float32');
    b.op('FULLY_CONNECTED', [x, b.constant('w', [oc, depth], 'float32', floats(r, oc * depth, 1)), bias ? b.constant('b', [oc], 'float32', floats(r, oc)) : -1], [y], { activation: act });
    return y;
  });
}

export function convCase(r: Rand, depthwise: boolean): F32Case {
  const n = int(r, 1, 2), h = int(r, 1, 9), w = int(r, 1, 9), c = int(r, 1, 6);
  const kh = int(r, 1, 3), kw = int(r, 1, 3), sh = int(r, 1, 2), sw = int(r, 1, 2), dil = r() < 0.25 ? 2 : 1;
  const padding = r() < 0.5 ? 'SAME' : 'VALID', act = pick(r, ACTS), bias = r() < 0.7;
  const dm = depthwise ? int(r, 1, 3) : 1, oc = depthwise ? c * dm : int(r, 1, 8);
  const oh = outSize(padding, h, kh, sh, dil), ow = outSize(padding, w, kw, sw, dil);
  if (oh < 1 || ow < 1) return convCase(r, depthwise);
  const type = depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D';
  return single(r, `${type} [${n},${h},${w},${c}] k${kh}x${kw} s${sh}x${sw} d${dil} ${padding} oc${oc} ${act}${bias ? '' : ' no bias'}`, [[n, h, w, c]], (b, [x]) => {
    const wShape = depthwise ? [1, kh, kw, oc] : [oc, kh, kw, c];
    const y = b.tensor('y', [n, oh, ow, oc], 'float32');
    b.op(type, [x, b.constant('w', wShape, 'float32', floats(r, elems(wShape), 1)), bias ? b.constant('b', [oc], 'float32', floats(r, oc)) : -1], [y],
      { padding, strideH: sh, strideW: sw, dilationH: dil, dilationW: dil, depthMultiplier: dm, activation: act });
    return y;
  });
}

export function transposeConvCase(r: Rand): F32Case {
  const h = int(r, 1, 5), w = int(r, 1, 5), c = int(r, 1, 4), oc = int(r, 1, 4), k = int(r, 1, 3), s = int(r, 1, 2);
  const padding = r() < 0.5 ? 'SAME' : 'VALID';
  const oh = padding === 'SAME' ? h * s : (h - 1) * s + k, ow = padding === 'SAME' ? w * s : (w - 1) * s + k;
  const bias = r() < 0.5;
  return single(r, `TRANSPOSE_CONV [1,${h},${w},${c}] k${k} s${s} ${padding} oc${oc}${bias ? ' bias' : ''}`, [[1, h, w, c]], (b, [x]) => {
    const y = b.tensor('y', [1, oh, ow, oc], 'float32');
    const ins = [b.constant('shape', [4], 'int32', [1, oh, ow, oc]), b.constant('w', [oc, k, k, c], 'float32', floats(r, oc * k * k * c, 1)), x];
    if (bias) ins.push(b.constant('b', [oc], 'float32', floats(r, oc)));
    b.op('TRANSPOSE_CONV', ins, [y], { padding, strideH: s, strideW: s });
    return y;
  });
}

export function poolCase(r: Rand, type: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D'): F32Case {
  const n = int(r, 1, 2), h = int(r, 1, 8), w = int(r, 1, 8), c = int(r, 1, 5), fh = int(r, 1, 3), fw = int(r, 1, 3), sh = int(r, 1, 2), sw = int(r, 1, 2);
  const padding = r() < 0.5 ? 'SAME' : 'VALID', act = pick(r, ACTS);
  const oh = outSize(padding, h, fh, sh), ow = outSize(padding, w, fw, sw);
  if (oh < 1 || ow < 1) return poolCase(r, type);
  return single(r, `${type} [${n},${h},${w},${c}] f${fh}x${fw} s${sh}x${sw} ${padding} ${act}`, [[n, h, w, c]], (b, [x]) => {
    const y = b.tensor('y', [n, oh, ow, c], 'float32');
    b.op(type, [x], [y], { padding, strideH: sh, strideW: sw, filterH: fh, filterW: fw, activation: act });
    return y;
  });
}

/** ADD, SUB, MUL, MAXIMUM, MINIMUM: b broadcast along random axes, maybe constant, maybe first. */
export function binaryCase(r: Rand, type: string): F32Case {
  const s = shape(r, int(r, 1, 4));
  let bs = s.map((d) => (r() < 0.3 ? 1 : d));
  if (r() < 0.3) bs = bs.slice(int(r, 0, bs.length - 1));
  const constB = r() < 0.3, swap = r() < 0.3, act = type === 'MAXIMUM' || type === 'MINIMUM' ? 'NONE' : pick(r, ACTS);
  return single(r, `${type} ${JSON.stringify(s)} ${JSON.stringify(bs)}${constB ? ' const' : ''}${swap ? ' swapped' : ''} ${act}`, constB ? [s] : [s, bs], (b, xs) => {
    const bt = constB ? b.constant('b', bs, 'float32', floats(r, elems(bs))) : xs[1];
    const y = b.tensor('y', s, 'float32');
    b.op(type, swap ? [bt, xs[0]] : [xs[0], bt], [y], act === 'NONE' ? {} : { activation: act });
    return y;
  });
}

export function softmaxCase(r: Rand): F32Case {
  const s = shape(r, int(r, 1, 4), 7), beta = pick(r, [1, 0.5, 2.5, 0.1]);
  return single(r, `SOFTMAX ${JSON.stringify(s)} beta ${beta}`, [s], (b, [x]) => {
    const y = b.tensor('y', s, 'float32');
    b.op('SOFTMAX', [x], [y], { beta });
    return y;
  });
}

export function meanCase(r: Rand): F32Case {
  const s = shape(r, 4, 5);
  const axes = r() < 0.5 ? [1, 2] : [0, 1, 2, 3].filter(() => r() < 0.5);
  if (axes.length === 0) axes.push(3);
  const keep = r() < 0.5;
  const ys = keep ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : s.filter((_, i) => !axes.includes(i));
  return single(r, `MEAN ${JSON.stringify(s)} axes ${JSON.stringify(axes)}${keep ? ' keep' : ''}`, [s], (b, [x]) => {
    const y = b.tensor('y', ys.length ? ys : [1], 'float32');
    b.op('MEAN', [x, b.constant('axes', [axes.length], 'int32', axes)], [y], { keepDims: keep });
    return y;
  });
}

export function padCase(r: Rand): F32Case {
  const s = shape(r, int(r, 1, 4)), pads = s.flatMap(() => [int(r, 0, 2), int(r, 0, 2)]), v2 = r() < 0.5;
  const ys = s.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]);
  const value = Math.fround(r() * 4 - 2);
  return single(r, `${v2 ? 'PADV2' : 'PAD'} ${JSON.stringify(s)} pads ${JSON.stringify(pads)}${v2 ? ` value ${value}` : ''}`, [s], (b, [x]) => {
    const y = b.tensor('y', ys, 'float32');
    const ins = [x, b.constant('pads', [s.length, 2], 'int32', pads)];
    if (v2) ins.push(b.constant('value', [1], 'float32', [value]));
    b.op(v2 ? 'PADV2' : 'PAD', ins, [y]);
    return y;
  });
}

export function transposeCase(r: Rand): F32Case {
  const s = shape(r, int(r, 2, 4)), perm = s.map((_, i) => i).sort(() => r() - 0.5);
  return single(r, `TRANSPOSE ${JSON.stringify(s)} perm ${JSON.stringify(perm)}`, [s], (b, [x]) => {
    const y = b.tensor('y', perm.map((p) => s[p]), 'float32');
    b.op('TRANSPOSE', [x, b.constant('perm', [perm.length], 'int32', perm)], [y]);
    return y;
  });
}

export function concatCase(r: Rand): F32Case {
  const rank = int(r, 1, 4), s = shape(r, rank), axis = int(r, 0, rank - 1), k = int(r, 2, 3);
  const parts = Array.from({ length: k }, () => s.map((d, i) => (i === axis ? int(r, 1, 3) : d)));
  const ys = s.map((d, i) => (i === axis ? parts.reduce((a, p) => a + p[axis], 0) : d));
  return single(r, `CONCATENATION ${parts.map((p) => JSON.stringify(p)).join(' ')} axis ${axis}`, parts, (b, xs) => {
    const y = b.tensor('y', ys, 'float32');
    b.op('CONCATENATION', xs, [y], { axis: r() < 0.5 ? axis : axis - rank });
    return y;
  });
}

export function stridedSliceCase(r: Rand): F32Case {
  const s = shape(r, int(r, 1, 4), 6);
  const begin = s.map((d) => int(r, 0, d - 1)), strides = s.map(() => pick(r, [1, 1, 2, -1]));
  const end = s.map((d, i) => (strides[i] > 0 ? int(r, begin[i] + 1, d) : int(r, -1, begin[i] - 1)));
  const count = s.map((_, i) => Math.ceil(Math.abs(end[i] - begin[i]) / Math.abs(strides[i])));
  const endV = end.map((e) => (e < 0 ? -1e6 : e)); // a negative end: past the start (masked below)
  const endMask = end.reduce((m, e, i) => (e < 0 ? m | (1 << i) : m), 0);
  return single(r, `STRIDED_SLICE ${JSON.stringify(s)} ${JSON.stringify(begin)}:${JSON.stringify(end)}:${JSON.stringify(strides)}`, [s], (b, [x]) => {
    const y = b.tensor('y', count, 'float32');
    const i32 = (name: string, v: number[]) => b.constant(name, [v.length], 'int32', v);
    b.op('STRIDED_SLICE', [x, i32('begin', begin), i32('end', endV.map((e) => (e === -1e6 ? 0 : e))), i32('strides', strides)], [y], { endMask });
    return y;
  });
}

/** RELU, RELU6, RELU_N1_TO_1, LOGISTIC, TANH, HARD_SWISH, LEAKY_RELU, then a RESHAPE (an alias). */
export function activationCase(r: Rand, type: string): F32Case {
  const s = shape(r, int(r, 1, 4), 6), alpha = pick(r, [0.1, 0.2, 0.01, 1.5]);
  return single(r, `${type} ${JSON.stringify(s)}${type === 'LEAKY_RELU' ? ` alpha ${alpha}` : ''} + RESHAPE`, [s], (b, [x]) => {
    const t = b.tensor('t', s, 'float32');
    b.op(type, [x], [t], type === 'LEAKY_RELU' ? { alpha } : {});
    const y = b.tensor('y', [elems(s)], 'float32');
    b.op('RESHAPE', [t, b.constant('shape', [1], 'int32', [elems(s)])], [y]);
    return y;
  });
}

/** SPLIT (lowered to STRIDED_SLICEs) and PACK (reshape aliases + CONCATENATION) over float32: two outputs. */
export function splitPackCase(r: Rand): F32Case {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 6, 3], 'float32');
  const parts = [0, 1, 2].map((i) => b.tensor(`s${i}`, [2, 2, 3], 'float32'));
  b.op('SPLIT', [b.constant('axis', [], 'int32', [1]), x], parts);
  const p = b.tensor('p', [2, 2, 2, 3], 'float32');
  b.op('PACK', [parts[0], parts[2]], [p], { axis: 1 });
  b.io([x], [p, parts[1]]);
  return { model: b.finish(), inputs: [[bytes(floats(r, 36))], [bytes(floats(r, 36))]], what: 'SPLIT [2,6,3] axis 1 -> PACK axis 1' };
}

/** A small float32 model through most float kernels: the fuzz seed of group f32 (tools/fuzz.ts). */
export function buildF32Net(): Uint8Array {
  let seed = 7;
  const r: Rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 6, 6, 2], 'float32');
  const c = b.tensor('c', [1, 6, 6, 4], 'float32');
  b.op('CONV_2D', [x, b.constant('w', [4, 3, 3, 2], 'float32', floats(r, 72, 1)), b.constant('b', [4], 'float32', floats(r, 4))], [c], { padding: 'SAME', activation: 'RELU' });
  const d = b.tensor('d', [1, 3, 3, 4], 'float32');
  b.op('DEPTHWISE_CONV_2D', [c, b.constant('dw', [1, 3, 3, 4], 'float32', floats(r, 36, 1)), -1], [d], { padding: 'SAME', strideH: 2, strideW: 2 });
  const a = b.tensor('a', [1, 3, 3, 4], 'float32');
  b.op('ADD', [d, b.constant('k', [4], 'float32', floats(r, 4))], [a], { activation: 'RELU6' });
  const h = b.tensor('h', [1, 3, 3, 4], 'float32');
  b.op('HARD_SWISH', [a], [h]);
  const p = b.tensor('p', [1, 1, 1, 4], 'float32');
  b.op('AVERAGE_POOL_2D', [h], [p], { padding: 'VALID', filterH: 3, filterW: 3, strideH: 1, strideW: 1 });
  const f = b.tensor('f', [1, 3], 'float32');
  b.op('FULLY_CONNECTED', [p, b.constant('fw', [3, 4], 'float32', floats(r, 12, 1)), -1], [f]);
  const y = b.tensor('y', [1, 3], 'float32');
  b.op('SOFTMAX', [f], [y], { beta: 1 });
  b.io([x], [y]);
  return b.finish();
}
