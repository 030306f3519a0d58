// Random single-op int16 (16x8) .tflite models built in code (tflite-builder.ts): int16
// activations with zero point 0, int8 symmetric weights per tensor or per channel, int64 /
// int32 / no bias. Scales are drawn so that outputs spread over the int16 range (some
// saturate) and the requant shift stays within TFLM's 64-bit path (<= 7).

import { QuantSpec, TfliteBuilder } from './tflite-builder.js';

export type Rng = () => number;
export interface OpCase { model: Uint8Array; inputs: Uint8Array[][]; what: string }

export const randInt = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
export const randInt16 = (r: Rng, n: number) => Int16Array.from({ length: n }, () => randInt(r, -32768, 32767));
const randInt8 = (r: Rng, n: number) => Int8Array.from({ length: n }, () => randInt(r, -128, 127));
const f32 = Math.fround;
const q16 = (scale: number): QuantSpec => ({ scale: [f32(scale)], zeroPoint: [0] });
export const ACTIVATIONS = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const elems = (s: number[]) => s.reduce((a, d) => a * d, 1);
const bytes = (v: Int16Array) => new Uint8Array(v.buffer, v.byteOffset, v.byteLength);

/** Int8 weight scales: one (per tensor) or one per output channel on axis `axis`. */
function weightQuant(r: Rng, channels: number, axis: number, perChannel: boolean): QuantSpec {
  const n = perChannel ? channels : 1;
  return { scale: Array.from({ length: n }, () => f32(0.002 + r() * 0.05)), zeroPoint: new Array(n).fill(0), axis };
}

/** Bias values at scale xs * ws: int64 (some beyond 32 bits), int32, or none. */
function addBias(b: TfliteBuilder, r: Rng, channels: number, kind: 'int64' | 'int32' | 'none', span: number): number {
  if (kind === 'none') return -1;
  const limit = kind === 'int64' ? Math.min(2 ** 36, span) : Math.min(2 ** 24, span);
  const values = Array.from({ length: channels }, () => Math.round((r() * 2 - 1) * limit));
  return b.constant('bias', [channels], kind, values);
}

/** Output scale for accumulations of `terms` int16 x int8 products, times a random factor. */
function outputScale(r: Rng, xs: number, ws: number, terms: number): number {
  return xs * ws * Math.sqrt(terms) * 140 * (0.3 + r() * 3);
}

const BIAS_KINDS = ['int64', 'int32', 'none'] as const;

/** y = FULLY_CONNECTED(x, w, bias): x [batches, depth] int16, w [oc, depth] int8, y [batches, oc] int16. */
export function fcS16Case(r: Rng, invokes: number): OpCase {
  const batches = randInt(r, 1, 3), depth = randInt(r, 1, 48), oc = randInt(r, 1, 12);
  const perChannel = r() < 0.5, biasKind = BIAS_KINDS[randInt(r, 0, 2)];
  const act = ACTIVATIONS[randInt(r, 0, ACTIVATIONS.length - 1)];
  const xs = f32(0.0005 + r() * 0.01);
  const wq = weightQuant(r, oc, 0, perChannel);
  const b = new TfliteBuilder();
  const x = b.tensor('x', [batches, depth], 'int16', q16(xs));
  const w = b.constant('w', [oc, depth], 'int8', randInt8(r, oc * depth), wq);
  const bias = addBias(b, r, oc, biasKind, 2 ** 20 * depth);
  const y = b.tensor('y', [batches, oc], 'int16', q16(outputScale(r, xs, wq.scale[0], depth)));
  b.op('FULLY_CONNECTED', bias >= 0 ? [x, w, bias] : [x, w], [y], { activation: act });
  b.io([x], [y]);
  const inputs = Array.from({ length: invokes }, () => [bytes(randInt16(r, batches * depth))]);
  return { model: b.finish(), inputs, what: `fc ${batches}x${depth} -> ${oc}, ${perChannel ? 'per-channel' : 'per-tensor'}, bias ${biasKind}, ${act}` };
}

/** Output side of a conv window: TFLite's SAME / VALID rule. */
function outSide(padding: string, inSize: number, k: number, stride: number, dilation: number): number {
  const eff = (k - 1) * dilation + 1;
  return padding === 'SAME' ? Math.floor((inSize + stride - 1) / stride) : Math.floor((inSize + stride - eff) / stride);
}

interface ConvGeometry { batches: number; h: number; w: number; kh: number; kw: number; options: Record<string, unknown>; outH: number; outW: number; what: string }

/** Random window geometry with at least one output pixel. */
function convGeometry(r: Rng): ConvGeometry {
  for (;;) {
    const batches = randInt(r, 1, 2), h = randInt(r, 1, 7), w = randInt(r, 1, 7), kh = randInt(r, 1, 3), kw = randInt(r, 1, 3);
    const strideH = randInt(r, 1, 2), strideW = randInt(r, 1, 2), dilationH = randInt(r, 1, 2), dilationW = randInt(r, 1, 2);
    const padding = r() < 0.5 ? 'SAME' : 'VALID';
    const outH = outSide(padding, h, kh, strideH, dilationH), outW = outSide(padding, w, kw, strideW, dilationW);
    if (outH < 1 || outW < 1) continue;
    const activation = ACTIVATIONS[randInt(r, 0, ACTIVATIONS.length - 1)];
    const options = { padding, strideH, strideW, dilationH, dilationW, activation };
    return { batches, h, w, kh, kw, options, outH, outW, what: `${batches}x${h}x${w} k${kh}x${kw} s${strideH}${strideW} d${dilationH}${dilationW} ${padding} ${activation}` };
  }
}

/** CONV_2D over int16: groups (input channels a multiple of the filter's), per-tensor/per-channel, int64/int32/no bias. */
export function convS16Case(r: Rng, invokes: number): OpCase {
  const g = convGeometry(r);
  const groupC = randInt(r, 1, 4), groups = r() < 0.25 ? 2 : 1, ic = groupC * groups, oc = groups * randInt(r, 1, 4);
  const perChannel = r() < 0.6, biasKind = BIAS_KINDS[randInt(r, 0, 2)];
  const xs = f32(0.0005 + r() * 0.01);
  const wq = weightQuant(r, oc, 0, perChannel);
  const b = new TfliteBuilder();
  const x = b.tensor('x', [g.batches, g.h, g.w, ic], 'int16', q16(xs));
  const w = b.constant('w', [oc, g.kh, g.kw, groupC], 'int8', randInt8(r, oc * g.kh * g.kw * groupC), wq);
  const bias = addBias(b, r, oc, biasKind, 2 ** 20 * g.kh * g.kw * groupC);
  const y = b.tensor('y', [g.batches, g.outH, g.outW, oc], 'int16', q16(outputScale(r, xs, wq.scale[0], g.kh * g.kw * groupC)));
  b.op('CONV_2D', bias >= 0 ? [x, w, bias] : [x, w], [y], g.options);
  b.io([x], [y]);
  const inputs = Array.from({ length: invokes }, () => [bytes(randInt16(r, g.batches * g.h * g.w * ic))]);
  return { model: b.finish(), inputs, what: `conv ${g.what} ic${ic} oc${oc} groups ${groups}, ${perChannel ? 'per-channel' : 'per-tensor'}, bias ${biasKind}` };
}

/** DEPTHWISE_CONV_2D over int16: depth multipliers 1-3, per-tensor/per-channel, int64 or no bias (TFLM reads int64 only). */
export function dwconvS16Case(r: Rng, invokes: number): OpCase {
  const g = convGeometry(r);
  const ic = randInt(r, 1, 5), dm = randInt(r, 1, 3), oc = ic * dm;
  const perChannel = r() < 0.6, biasKind = r() < 0.7 ? 'int64' : 'none';
  const xs = f32(0.0005 + r() * 0.01);
  const wq = weightQuant(r, oc, 3, perChannel);
  const b = new TfliteBuilder();
  const x = b.tensor('x', [g.batches, g.h, g.w, ic], 'int16', q16(xs));
  const w = b.constant('w', [1, g.kh, g.kw, oc], 'int8', randInt8(r, g.kh * g.kw * oc), wq);
  const bias = addBias(b, r, oc, biasKind, 2 ** 20 * g.kh * g.kw);
  const y = b.tensor('y', [g.batches, g.outH, g.outW, oc], 'int16', q16(outputScale(r, xs, wq.scale[0], g.kh * g.kw)));
  b.op('DEPTHWISE_CONV_2D', bias >= 0 ? [x, w, bias] : [x, w], [y], { ...g.options, depthMultiplier: dm });
  b.io([x], [y]);
  const inputs = Array.from({ length: invokes }, () => [bytes(randInt16(r, g.batches * g.h * g.w * ic))]);
  return { model: b.finish(), inputs, what: `dwconv ${g.what} ic${ic} x${dm}, ${perChannel ? 'per-channel' : 'per-tensor'}, bias ${biasKind}` };
}

/** ADD, SUB or MUL over int16: random ranks 1-4, one operand broadcast (lower rank or ones), sometimes constant. */
export function binaryS16Case(r: Rng, type: 'ADD' | 'SUB' | 'MUL', invokes: number): OpCase {
  const shape = Array.from({ length: randInt(r, 1, 4) }, () => randInt(r, 1, 5));
  let bShape = shape.map((d) => (r() < 0.3 ? 1 : d));
  if (r() < 0.3) bShape = bShape.slice(randInt(r, 0, bShape.length - 1));
  const swap = r() < 0.3, constB = r() < 0.25;
  const as = f32(0.00005 + r() * 0.002), bs = f32(0.00005 + r() * 0.002);
  const ys = type === 'MUL' ? f32(as * bs * 32768 * (0.2 + r() * 2)) : f32(Math.max(as, bs) * (0.5 + r() * 2));
  const act = ACTIVATIONS[randInt(r, 0, ACTIVATIONS.length - 1)];
  const b = new TfliteBuilder();
  const a = b.tensor('a', shape, 'int16', q16(as));
  const bt = constB ? b.constant('b', bShape, 'int16', randInt16(r, elems(bShape)), q16(bs)) : b.tensor('b', bShape, 'int16', q16(bs));
  const y = b.tensor('y', shape, 'int16', q16(ys));
  b.op(type, swap ? [bt, a] : [a, bt], [y], { activation: act });
  b.io(constB ? [a] : [a, bt], [y]);
  const inputs = Array.from({ length: invokes }, () => (constB ? [randInt16(r, elems(shape))] : [randInt16(r, elems(shape)), randInt16(r, elems(bShape))]).map(bytes));
  return { model: b.finish(), inputs, what: `${type.toLowerCase()} ${JSON.stringify(shape)} ${JSON.stringify(bShape)}${constB ? ' const' : ''}${swap ? ' swapped' : ''} ${act}` };
}

const wq = (scale: number): QuantSpec => ({ scale: [scale], zeroPoint: [0] });

export const QUANT_KINDS = ['f32->s16', 's8->s16', 's16->s8', 's16->s16', 's16->f32'] as const;

/** One QUANTIZE / DEQUANTIZE with an int16 side: float32 -> int16, int8 -> int16, int16 -> int8, int16 -> int16, int16 -> float32 (DEQUANTIZE). */
export function quantS16Case(r: Rng, kind: (typeof QUANT_KINDS)[number], invokes: number): OpCase {
  const shape = Array.from({ length: randInt(r, 1, 4) }, () => randInt(r, 1, 6));
  const n = elems(shape);
  const [from, to] = kind.split('->');
  const dtype = (k: string) => (k === 'f32' ? 'float32' : k === 's8' ? 'int8' : 'int16') as 'float32' | 'int8' | 'int16';
  const s16 = f32(0.00002 + r() * 0.002);
  const quant = (k: string, base: number): QuantSpec | undefined => (k === 'f32' ? undefined : k === 's16' ? q16(base) : { scale: [f32(base * 256 * (0.3 + r() * 2))], zeroPoint: [randInt(r, -128, 127)] });
  const xq = quant(from, s16), yq = quant(to, to === from ? f32(s16 * (0.2 + r() * 3)) : s16 * (0.5 + r()));
  const b = new TfliteBuilder();
  const x = b.tensor('x', shape, dtype(from), xq);
  const y = b.tensor('y', shape, dtype(to), yq);
  b.op(to === 'f32' ? 'DEQUANTIZE' : 'QUANTIZE', [x], [y]);
  b.io([x], [y]);
  const input = (): Uint8Array => {
    if (from === 's16') return bytes(randInt16(r, n));
    if (from === 's8') return new Uint8Array(randInt8(r, n).buffer);
    const v = Float32Array.from({ length: n }, () => (r() * 2 - 1) * 40000 * yq!.scale[0]); // some beyond int16
    return new Uint8Array(v.buffer);
  };
  return { model: b.finish(), inputs: Array.from({ length: invokes }, () => [input()]), what: `${kind} ${JSON.stringify(shape)}` };
}

/** A whole 16x8 model with float I/O: QUANTIZE float32 -> int16, RESHAPE, FULLY_CONNECTED, DEQUANTIZE. */
export function floatIoS16Case(r: Rng, invokes: number): OpCase {
  const rows = randInt(r, 1, 3), depth = randInt(r, 2, 12), oc = randInt(r, 1, 6);
  const xs = f32(0.0001 + r() * 0.001), ws = f32(0.005 + r() * 0.02);
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, rows * depth], 'float32');
  const q = b.tensor('q', [1, rows * depth], 'int16', q16(xs));
  const s = b.tensor('s', [rows, depth], 'int16', q16(xs));
  const w = b.constant('w', [oc, depth], 'int8', randInt8(r, oc * depth), { scale: [ws], zeroPoint: [0] });
  const h = b.tensor('h', [rows, oc], 'int16', q16(outputScale(r, xs, ws, depth)));
  const y = b.tensor('y', [rows, oc], 'float32');
  b.op('QUANTIZE', [x], [q]);
  b.op('RESHAPE', [q, b.constant('shape', [2], 'int32', [rows, depth])], [s], { newShape: [rows, depth] });
  b.op('FULLY_CONNECTED', [s, w, addBias(b, r, oc, 'int64', 2 ** 24)], [h]);
  b.op('DEQUANTIZE', [h], [y]);
  b.io([x], [y]);
  const input = () => new Uint8Array(Float32Array.from({ length: rows * depth }, () => (r() * 2 - 1) * 30000 * xs).buffer);
  return { model: b.finish(), inputs: Array.from({ length: invokes }, () => [input()]), what: `float io ${rows}x${depth} -> ${oc}` };
}

/** CONCATENATION of 1-3 int16 tensors (one sometimes constant) on a random axis, rank 1-4. */
export function concatS16Case(r: Rng, invokes: number): OpCase {
  const rank = randInt(r, 1, 4), axis = randInt(r, 0, rank - 1), n = randInt(r, 1, 3);
  const base = Array.from({ length: rank }, () => randInt(r, 1, 4));
  const shapes = Array.from({ length: n }, () => base.map((d, k) => (k === axis ? randInt(r, 1, 4) : d)));
  const out = base.map((d, k) => (k === axis ? shapes.reduce((a, s) => a + s[axis], 0) : d));
  const scale = f32(0.0001 + r() * 0.001), constK = n > 1 && r() < 0.3 ? randInt(r, 0, n - 1) : -1;
  const b = new TfliteBuilder();
  const xs = shapes.map((s, k) => (k === constK ? b.constant(`c${k}`, s, 'int16', randInt16(r, elems(s)), q16(scale)) : b.tensor(`x${k}`, s, 'int16', q16(scale))));
  const y = b.tensor('y', out, 'int16', q16(scale));
  b.op('CONCATENATION', xs, [y], { axis: axis - (r() < 0.3 ? rank : 0) });
  b.io(xs.filter((_, k) => k !== constK), [y]);
  const inputs = Array.from({ length: invokes }, () => shapes.filter((_, k) => k !== constK).map((s) => bytes(randInt16(r, elems(s)))));
  return { model: b.finish(), inputs, what: `concat ${JSON.stringify(shapes)} axis ${axis}` };
}

type MoveKind = 'PAD' | 'PADV2' | 'TRANSPOSE' | 'STRIDED_SLICE';
export const MOVE_KINDS: MoveKind[] = ['PAD', 'PADV2', 'TRANSPOSE', 'STRIDED_SLICE'];

/** PAD / PADV2 (int16 constant value) / TRANSPOSE / STRIDED_SLICE (negative strides, end mask) on int16, rank 1-4 (TRANSPOSE 2-4). */
export function moveS16Case(r: Rng, kind: MoveKind, invokes: number): OpCase {
  const rank = randInt(r, kind === 'TRANSPOSE' ? 2 : 1, 4);
  const s = Array.from({ length: rank }, () => randInt(r, 1, 5));
  const q = q16(0.0001 + r() * 0.001);
  const b = new TfliteBuilder();
  const x = b.tensor('x', s, 'int16', q);
  const i32 = (name: string, v: number[], shape = [v.length]) => b.constant(name, shape, 'int32', v);
  let what: string, y: number;
  if (kind === 'PAD' || kind === 'PADV2') {
    const pads = s.flatMap(() => [randInt(r, 0, 2), randInt(r, 0, 2)]);
    const value = randInt(r, -32768, 32767);
    y = b.tensor('y', s.map((d, i) => d + pads[2 * i] + pads[2 * i + 1]), 'int16', q);
    const ins = [x, i32('pads', pads, [rank, 2])];
    if (kind === 'PADV2') ins.push(b.constant('value', [1], 'int16', [value], q));
    b.op(kind, ins, [y]);
    what = `${kind} ${JSON.stringify(s)} pads ${JSON.stringify(pads)}${kind === 'PADV2' ? ` value ${value}` : ''}`;
  } else if (kind === 'TRANSPOSE') {
    const perm = s.map((_, i) => i).sort(() => r() - 0.5);
    y = b.tensor('y', perm.map((p) => s[p]), 'int16', q);
    b.op('TRANSPOSE', [x, i32('perm', perm)], [y]);
    what = `TRANSPOSE ${JSON.stringify(s)} perm ${JSON.stringify(perm)}`;
  } else {
    const strides = s.map(() => [1, 1, 2, -1][randInt(r, 0, 3)]);
    const begin = s.map((d) => randInt(r, 0, d - 1));
    const end = s.map((d, i) => (strides[i] > 0 ? randInt(r, begin[i] + 1, d) : randInt(r, -1, begin[i] - 1)));
    const count = s.map((_, i) => Math.ceil(Math.abs(end[i] - begin[i]) / Math.abs(strides[i])));
    const endMask = end.reduce((m, e, i) => (e < 0 ? m | (1 << i) : m), 0); // a negative end: past the start
    y = b.tensor('y', count, 'int16', q);
    b.op('STRIDED_SLICE', [x, i32('begin', begin), i32('end', end.map((e) => (e < 0 ? 0 : e))), i32('strides', strides)], [y], { endMask });
    what = `STRIDED_SLICE ${JSON.stringify(s)} ${JSON.stringify(begin)}:${JSON.stringify(end)}:${JSON.stringify(strides)}`;
  }
  b.io([x], [y]);
  return { model: b.finish(), inputs: Array.from({ length: invokes }, () => [bytes(randInt16(r, elems(s)))]), what };
}

/** LEAKY_RELU on int16, rank 1-4: alpha in [0, 2), output scale above or below the input's (some outputs saturate). */
export function leakyReluS16Case(r: Rng, invokes: number): OpCase {
  const s = Array.from({ length: randInt(r, 1, 4) }, () => randInt(r, 1, 5));
  const alpha = f32([0, 0.01, 0.1, 0.2, 0.5, 1, 1.5][randInt(r, 0, 6)] + (r() < 0.5 ? r() * 0.1 : 0));
  const xs = f32(0.0001 + r() * 0.001), ys = f32(xs * (0.2 + r() * 3));
  const b = new TfliteBuilder();
  const x = b.tensor('x', s, 'int16', q16(xs));
  const y = b.tensor('y', s, 'int16', q16(ys));
  b.op('LEAKY_RELU', [x], [y], { alpha });
  b.io([x], [y]);
  const inputs = Array.from({ length: invokes }, () => [bytes(randInt16(r, elems(s)))]);
  return { model: b.finish(), inputs, what: `LEAKY_RELU ${JSON.stringify(s)} alpha ${alpha} scales ${xs} -> ${ys}` };
}

/** TRANSPOSE_CONV 16x8: SAME (out = in * stride) or VALID (out = (in - 1) * stride + k), per-tensor/per-channel, int64 or no bias, activations. */
export function transposeConvS16Case(r: Rng, invokes: number): OpCase {
  const n = randInt(r, 1, 2), h = randInt(r, 1, 4), w = randInt(r, 1, 4), ic = randInt(r, 1, 5), oc = randInt(r, 1, 5);
  const kh = randInt(r, 1, 3), kw = randInt(r, 1, 3), strideH = randInt(r, 1, 3), strideW = randInt(r, 1, 3);
  const padding = r() < 0.5 ? 'SAME' : 'VALID';
  const outH = padding === 'SAME' ? h * strideH : (h - 1) * strideH + kh, outW = padding === 'SAME' ? w * strideW : (w - 1) * strideW + kw;
  const perChannel = r() < 0.5, biasKind = r() < 0.7 ? 'int64' : 'none';
  const activation = ACTIVATIONS[randInt(r, 0, ACTIVATIONS.length - 1)];
  const xs = f32(0.0005 + r() * 0.01);
  const wq = weightQuant(r, oc, 0, perChannel);
  const taps = Math.ceil(kh / strideH) * Math.ceil(kw / strideW) * ic;
  const b = new TfliteBuilder();
  const x = b.tensor('x', [n, h, w, ic], 'int16', q16(xs));
  const wt = b.constant('w', [oc, kh, kw, ic], 'int8', randInt8(r, oc * kh * kw * ic), wq);
  const bias = addBias(b, r, oc, biasKind, 2 ** 20 * taps);
  const y = b.tensor('y', [n, outH, outW, oc], 'int16', q16(outputScale(r, xs, wq.scale[0], taps)));
  const shape = b.constant('shape', [4], 'int32', [n, outH, outW, oc]);
  b.op('TRANSPOSE_CONV', bias >= 0 ? [shape, wt, x, bias] : [shape, wt, x], [y], { padding, strideH, strideW, activation });
  b.io([x], [y]);
  const inputs = Array.from({ length: invokes }, () => [bytes(randInt16(r, n * h * w * ic))]);
  return { model: b.finish(), inputs, what: `tconv ${n}x${h}x${w}x${ic} k${kh}x${kw} s${strideH}${strideW} ${padding} -> ${oc}, ${perChannel ? 'per-channel' : 'per-tensor'}, bias ${biasKind}, ${activation}` };
}

/** x [1,3,3,2] -> CONV_2D -> c; DEPTHWISE_CONV_2D(c) -> d; ADD(c, d) -> e; MUL(e, e) -> m; SUB(m, e) -> s; FULLY_CONNECTED(s) -> y [1, 4]. */
export function buildInt16Net(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 3, 3, 2], 'int16', q16(0.002));
  const cw = b.constant('cw', [3, 3, 3, 2], 'int8', Array.from({ length: 54 }, (_, i) => ((i * 37) % 255) - 127), wq(0.01));
  const c = b.tensor('c', [1, 3, 3, 3], 'int16', q16(0.05));
  b.op('CONV_2D', [x, cw, b.constant('cb', [3], 'int64', [1000, -200000, 30])], [c], { padding: 'SAME' });
  const dw = b.constant('dw', [1, 2, 2, 3], 'int8', Array.from({ length: 12 }, (_, i) => (i * 23) % 100 - 50), wq(0.02));
  const d = b.tensor('d', [1, 3, 3, 3], 'int16', q16(0.04));
  b.op('DEPTHWISE_CONV_2D', [c, dw, b.constant('db', [3], 'int64', [5, -5, 50])], [d], { padding: 'SAME' });
  const e = b.tensor('e', [1, 3, 3, 3], 'int16', q16(0.07));
  b.op('ADD', [c, d], [e]);
  const m = b.tensor('m', [1, 3, 3, 3], 'int16', q16(5));
  b.op('MUL', [e, e], [m]);
  const s = b.tensor('s', [1, 3, 3, 3], 'int16', q16(5));
  b.op('SUB', [m, e], [s]);
  const fw = b.constant('fw', [4, 27], 'int8', Array.from({ length: 108 }, (_, i) => (i * 11) % 200 - 100), wq(0.01));
  const y = b.tensor('y', [1, 4], 'int16', q16(2));
  b.op('FULLY_CONNECTED', [s, fw, b.constant('fb', [4], 'int32', [7, 0, -7, 70000])], [y]);
  b.io([x], [y]);
  return b.finish();
}

/** x [1,3,3,2] -> TRANSPOSE_CONV (stride 2) -> u [1,6,6,2]; LEAKY_RELU; PADV2; TRANSPOSE; STRIDED_SLICE -> y: a fuzz seed through the newer int16 ops. */
export function buildInt16MoveNet(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 3, 3, 2], 'int16', q16(0.002));
  const w = b.constant('w', [2, 2, 2, 2], 'int8', Array.from({ length: 16 }, (_, i) => ((i * 41) % 255) - 127), wq(0.01));
  const u = b.tensor('u', [1, 6, 6, 2], 'int16', q16(0.05));
  b.op('TRANSPOSE_CONV', [b.constant('shape', [4], 'int32', [1, 6, 6, 2]), w, x, b.constant('ub', [2], 'int64', [3000, -70000])], [u], { padding: 'SAME', strideH: 2, strideW: 2 });
  const l = b.tensor('l', [1, 6, 6, 2], 'int16', q16(0.04));
  b.op('LEAKY_RELU', [u], [l], { alpha: 0.2 });
  const p = b.tensor('p', [1, 7, 6, 3], 'int16', q16(0.04));
  b.op('PADV2', [l, b.constant('pads', [4, 2], 'int32', [0, 0, 1, 0, 0, 0, 0, 1]), b.constant('v', [1], 'int16', [-5], q16(0.04))], [p]);
  const t = b.tensor('t', [1, 3, 7, 6], 'int16', q16(0.04));
  b.op('TRANSPOSE', [p, b.constant('perm', [4], 'int32', [0, 3, 1, 2])], [t]);
  const y = b.tensor('y', [1, 1, 7, 3], 'int16', q16(0.04));
  b.op('STRIDED_SLICE', [t, b.constant('begin', [4], 'int32', [0, 2, 0, 5]), b.constant('end', [4], 'int32', [1, 0, 7, 0]), b.constant('strides', [4], 'int32', [1, -2, 1, -2])], [y]);
  b.io([x], [y]);
  return b.finish();
}

export { elems };
