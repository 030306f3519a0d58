// Random single-op float32 models of issue 10's groups a, b, c built in code, for
// test/ops-f32b-tflm.test.ts (tflm-run as the oracle) and a fuzz seed: the data-movement ops
// (TABLE_COPY and run-time GATHER), RESIZE_BILINEAR, ARG_MAX/ARG_MIN, REDUCE_MAX, SUM, PRELU,
// SQUARED_DIFFERENCE, DIV, RSQRT, EXP, L2_NORMALIZATION, LOG_SOFTMAX on float32 tensors.

import { TfliteBuilder } from './tflite-builder.js';
import type { F32Case, Rand } from './f32-models.js';

const ACTS = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const elems = (s: number[]) => s.reduce((a, d) => a * d, 1);
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: T[]) => xs[int(r, 0, xs.length - 1)];
const floats = (r: Rand, n: number, scale = 2) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
const bytes = (a: Float32Array | Int32Array) => new Uint8Array(a.buffer);
const shape = (r: Rand, rank: number, max = 5) => Array.from({ length: rank }, () => int(r, 1, max));
const INVOKES = 2;

/** x (float32, random values from `values`) -> op(x, int32 constants) -> y. */
function unary(r: Rand, what: string, type: string, xs: number[], ys: number[], consts: [number[], number[]][], options: Record<string, unknown>,
  yDtype: 'float32' | 'int32' = 'float32', values: (n: number) => Float32Array = (n) => floats(r, n)): F32Case {
  const b = new TfliteBuilder();
  const x = b.tensor('x', xs, 'float32');
  const cs = consts.map(([s, v], k) => b.constant(`c${k}`, s, 'int32', Int32Array.from(v)));
  const y = b.tensor('y', ys, yDtype);
  b.op(type, [x, ...cs], [y], options);
  b.io([x], [y]);
  return { model: b.finish(), inputs: Array.from({ length: INVOKES }, () => [bytes(values(elems(xs)))]), what: `${type} ${what}` };
}

export function resizeCase(r: Rand, type: 'RESIZE_NEAREST_NEIGHBOR' | 'RESIZE_BILINEAR'): F32Case {
  const xs = [int(r, 1, 2), int(r, 1, 7), int(r, 1, 7), int(r, 1, 4)];
  const oh = int(r, 1, 15), ow = int(r, 1, 15), mode = int(r, 0, 2); // plain, align_corners, half_pixel_centers
  return unary(r, `${JSON.stringify(xs)} -> ${oh}x${ow} ${['plain', 'align_corners', 'half_pixel_centers'][mode]}`, type, xs, [xs[0], oh, ow, xs[3]],
    [[[2], [oh, ow]]], { alignCorners: mode === 1, halfPixelCenters: mode === 2 });
}

export function mirrorPadCase(r: Rand): F32Case {
  const xs = shape(r, int(r, 1, 4)), mode = int(r, 0, 1), offset = mode === 0 ? 1 : 0;
  const pads = xs.flatMap((d) => [int(r, 0, d - offset), int(r, 0, d - offset)]);
  return unary(r, `${JSON.stringify(xs)} pads ${JSON.stringify(pads)} ${mode ? 'SYMMETRIC' : 'REFLECT'}`, 'MIRROR_PAD', xs,
    xs.map((d, k) => d + pads[2 * k] + pads[2 * k + 1]), [[[xs.length, 2], pads]], { mode });
}

export function depthSpaceCase(r: Rand, type: 'DEPTH_TO_SPACE' | 'SPACE_TO_DEPTH'): F32Case {
  const bs = int(r, 1, 3), n = int(r, 1, 2), h = int(r, 1, 4), w = int(r, 1, 4), c = int(r, 1, 3);
  const [xs, ys] = type === 'DEPTH_TO_SPACE' ? [[n, h, w, c * bs * bs], [n, h * bs, w * bs, c]] : [[n, h * bs, w * bs, c], [n, h, w, c * bs * bs]];
  return unary(r, `${JSON.stringify(xs)} block ${bs}`, type, xs, ys, [], { blockSize: bs });
}

/** SPACE_TO_BATCH_ND (paddings: a PADV2 of 0.0 before it) and BATCH_TO_SPACE_ND (crops), rank 3 or 4. */
export function batchSpaceCase(r: Rand, type: 'SPACE_TO_BATCH_ND' | 'BATCH_TO_SPACE_ND'): F32Case {
  const rank = int(r, 3, 4), bh = int(r, 1, 3), bw = rank === 4 ? int(r, 1, 3) : 1;
  const n = int(r, 1, 2), h = int(r, 1, 3), w = int(r, 1, 3), c = int(r, 1, 3);
  const block = rank === 4 ? [bh, bw] : [bh];
  const four = (b: number, hh: number, ww: number) => (rank === 4 ? [b, hh, ww, c] : [b, hh, c]);
  if (type === 'SPACE_TO_BATCH_ND') {
    const pads = block.flatMap(() => (r() < 0.4 ? [0, 0] : [int(r, 0, 2), int(r, 0, 2)]));
    pads[1] += (bh - ((h * bh + pads[0] + pads[1]) % bh)) % bh;
    if (rank === 4) pads[3] += (bw - ((w * bw + pads[2] + pads[3]) % bw)) % bw;
    const oh = (h * bh + pads[0] + pads[1]) / bh, ow = rank === 4 ? (w * bw + pads[2] + pads[3]) / bw : 1;
    return unary(r, `${JSON.stringify(four(n, h * bh, w * bw))} block ${JSON.stringify(block)} pads ${JSON.stringify(pads)}`, type,
      four(n, h * bh, w * bw), four(n * bh * bw, oh, ow), [[[block.length], block], [[block.length, 2], pads]], {});
  }
  const ct = int(r, 0, bh - 1), cb = int(r, 0, Math.min(bh - 1, h * bh - ct - 1));
  const cl = rank === 4 ? int(r, 0, bw - 1) : 0, cr = rank === 4 ? int(r, 0, Math.min(bw - 1, w * bw - cl - 1)) : 0;
  const crops = rank === 4 ? [ct, cb, cl, cr] : [ct, cb];
  return unary(r, `${JSON.stringify(four(n * bh * bw, h, w))} block ${JSON.stringify(block)} crops ${JSON.stringify(crops)}`, type,
    four(n * bh * bw, h, w), four(n, h * bh - ct - cb, w * bw - cl - cr), [[[block.length], block], [[block.length, 2], crops]], {});
}

/** GATHER with constant indices: one TABLE_COPY; `batched`: batch_dims 1 (indices varying over the batch), the GATHER kernel. */
export function gatherCase(r: Rand, batched = false): F32Case {
  const rank = int(r, batched ? 2 : 1, 3), xs = shape(r, rank, 6), axis = int(r, batched ? 1 : 0, rank - 1);
  const batchDims = batched ? 1 : 0;
  const is = batchDims ? [xs[0], int(r, 1, 4)] : shape(r, int(r, 1, 4 - rank), 4);
  const idx = Array.from({ length: elems(is) }, () => int(r, 0, xs[axis] - 1));
  const ys = [...xs.slice(0, axis), ...is.slice(batchDims), ...xs.slice(axis + 1)];
  const axisOpt = r() < 0.3 ? axis - rank : axis;
  return unary(r, `${JSON.stringify(xs)} axis ${axisOpt} batch_dims ${batchDims} indices ${JSON.stringify(is)}`, 'GATHER', xs, ys, [[is, idx]], { axis: axisOpt, batchDims });
}

/** GATHER with int32 indices as a model input (read at run time), batch_dims 0 or 1; `bad` puts one index outside the axis. */
export function gatherDynamicCase(r: Rand, bad = false): F32Case {
  const rank = int(r, 1, 4), xs = shape(r, rank), axis = int(r, 0, rank - 1);
  const batchDims = int(r, 0, Math.min(axis, 1));
  const is = [...xs.slice(0, batchDims), ...shape(r, int(r, 1, Math.max(1, 4 - rank)), 4)].slice(0, Math.max(batchDims + 1, 4 - rank + batchDims));
  const ys = [...xs.slice(0, axis), ...is.slice(batchDims), ...xs.slice(axis + 1)];
  const b = new TfliteBuilder();
  const x = b.tensor('x', xs, 'float32'), idx = b.tensor('indices', is, 'int32'), y = b.tensor('y', ys, 'float32');
  b.op('GATHER', [x, idx], [y], { axis: r() < 0.3 ? axis - rank : axis, batchDims });
  b.io([x, idx], [y]);
  const inputs = Array.from({ length: INVOKES }, () => {
    const v = Int32Array.from({ length: elems(is) }, () => int(r, 0, xs[axis] - 1));
    if (bad) v[int(r, 0, v.length - 1)] = r() < 0.5 ? -1 : xs[axis];
    return [bytes(floats(r, elems(xs))), bytes(v)];
  });
  return { model: b.finish(), inputs, what: `GATHER ${JSON.stringify(xs)} axis ${axis} batch_dims ${batchDims} indices ${JSON.stringify(is)} (run time)` };
}

/** ARG_MAX / ARG_MIN: float32 in, int32 out; few distinct values (ties), sometimes NaNs. */
export function argCase(r: Rand, type: 'ARG_MAX' | 'ARG_MIN'): F32Case {
  const rank = int(r, 1, 4), xs = shape(r, rank, 6), axis = int(r, 0, rank - 1);
  const axisValue = r() < 0.3 ? axis - rank : axis, nan = r() < 0.3;
  const values = (n: number) => Float32Array.from({ length: n }, () => (nan && r() < 0.2 ? NaN : int(r, -2, 2) * 0.75));
  return unary(r, `${JSON.stringify(xs)} axis ${axisValue}${nan ? ' with NaNs' : ''}`, type, xs, xs.filter((_, k) => k !== axis),
    [[[1], [axisValue]]], { outputType: 2 }, 'int32', values);
}

/** REDUCE_MAX, SUM: random axes (negative, repeated), keep_dims or not. */
export function reduceCase(r: Rand, type: 'REDUCE_MAX' | 'SUM'): F32Case {
  const rank = int(r, 1, 4), xs = shape(r, rank, 6);
  const axes = Array.from({ length: int(r, 1, rank) }, () => int(r, 0, rank - 1)).map((a) => (r() < 0.3 ? a - rank : a));
  const keepDims = r() < 0.5, reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const ys = keepDims ? xs.map((d, k) => (reduced.has(k) ? 1 : d)) : xs.filter((_, k) => !reduced.has(k));
  return unary(r, `${JSON.stringify(xs)} axes ${JSON.stringify(axes)}${keepDims ? ' keep_dims' : ''}`, type, xs, ys.length ? ys : [1],
    [[[axes.length], axes]], { keepDims });
}

/** PRELU, SQUARED_DIFFERENCE, DIV: the second operand broadcast along random axes, maybe constant, maybe shorter. */
export function binaryCase(r: Rand, type: 'PRELU' | 'SQUARED_DIFFERENCE' | 'DIV'): F32Case {
  const s = shape(r, int(r, 1, 4));
  let bs = s.map((d) => (r() < 0.3 ? 1 : d));
  if (r() < 0.3) bs = bs.slice(int(r, 0, bs.length - 1));
  const constB = r() < 0.4, act = type === 'DIV' ? pick(r, ACTS) : 'NONE';
  const b = new TfliteBuilder();
  const x = b.tensor('x0', s, 'float32');
  const operand = () => floats(r, elems(bs)).map((v) => (type === 'DIV' && r() < 0.05 ? 0 : v)); // DIV: some zero divisors
  const bt = constB ? b.constant('b', bs, 'float32', operand()) : b.tensor('x1', bs, 'float32');
  const y = b.tensor('y', s, 'float32');
  b.op(type, [x, bt], [y], act === 'NONE' ? {} : { activation: act });
  b.io(constB ? [x] : [x, bt], [y]);
  const inputs = Array.from({ length: INVOKES }, () => (constB ? [bytes(floats(r, elems(s)))] : [bytes(floats(r, elems(s))), bytes(operand())]));
  return { model: b.finish(), inputs, what: `${type} ${JSON.stringify(s)} ${JSON.stringify(bs)}${constB ? ' const' : ''} ${act}` };
}

/** RSQRT (positive inputs, a few zeros and negatives), EXP (inputs in [-10, 10]). */
export function unaryMathCase(r: Rand, type: 'RSQRT' | 'EXP'): F32Case {
  const s = shape(r, int(r, 1, 4), 6);
  const values = (n: number) => Float32Array.from({ length: n }, () => (type === 'EXP' ? (r() * 2 - 1) * 10 : r() < 0.05 ? -r() : r() < 0.05 ? 0 : r() * 50));
  return unary(r, JSON.stringify(s), type, s, s, [], {}, 'float32', values);
}

/** L2_NORMALIZATION (rows of tiny values too: the 1e-6 floor), LOG_SOFTMAX: along the last axis. */
export function rowsCase(r: Rand, type: 'L2_NORMALIZATION' | 'LOG_SOFTMAX'): F32Case {
  const s = shape(r, int(r, 1, 4), 7), tiny = type === 'L2_NORMALIZATION' && r() < 0.3;
  return unary(r, `${JSON.stringify(s)}${tiny ? ' tiny' : ''}`, type, s, s, [], {}, 'float32', (n) => floats(r, n, tiny ? 1e-7 : 4));
}

/** A float32 model through the MISC_F32 and MOVE_F32 kernels: the fuzz seed of these ops (tools/fuzz.ts). */
export function buildF32BNet(): Uint8Array {
  let seed = 11;
  const r: Rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4, 4, 2], 'float32');
  const i32 = (name: string, s: number[], v: number[]) => b.constant(name, s, 'int32', Int32Array.from(v));
  const t = (name: string, s: number[]) => b.tensor(name, s, 'float32');
  const m = t('m', [1, 6, 6, 2]);
  b.op('MIRROR_PAD', [x, i32('pads', [4, 2], [0, 0, 1, 1, 1, 1, 0, 0])], [m], { mode: 0 });
  const rb = t('rb', [1, 8, 8, 2]);
  b.op('RESIZE_BILINEAR', [m, i32('size', [2], [8, 8])], [rb], { halfPixelCenters: true });
  const sd = t('sd', [1, 4, 4, 8]);
  b.op('SPACE_TO_DEPTH', [rb], [sd], { blockSize: 2 });
  const p = t('p', [1, 4, 4, 8]);
  b.op('PRELU', [sd, b.constant('alpha', [8], 'float32', floats(r, 8, 0.5))], [p]);
  const dv = t('dv', [1, 4, 4, 8]);
  b.op('DIV', [p, b.constant('k', [8], 'float32', floats(r, 8).map((v) => v + 3))], [dv], { activation: 'RELU6' });
  const sq = t('sq', [1, 4, 4, 8]);
  b.op('SQUARED_DIFFERENCE', [dv, p], [sq]);
  const l2 = t('l2', [1, 4, 4, 8]);
  b.op('L2_NORMALIZATION', [sq], [l2]);
  const mx = t('mx', [1, 4, 8]);
  b.op('REDUCE_MAX', [l2, i32('ax', [1], [2])], [mx], { keepDims: false });
  const g = t('g', [1, 3, 8]);
  b.op('GATHER', [mx, i32('idx', [3], [3, 0, 2])], [g], { axis: 1 });
  const ls = t('ls', [1, 3, 8]);
  b.op('LOG_SOFTMAX', [g], [ls]);
  const am = b.tensor('am', [1, 3], 'int32');
  b.op('ARG_MAX', [ls, i32('axis', [1], [2])], [am], { outputType: 2 });
  b.io([x], [ls, am]);
  return b.finish();
}
