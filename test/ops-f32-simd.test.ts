// Float32 f32x4 kernels (simd build) against the scalar build on the same models: CONV_2D
// (1x1, groups, strides, dilation, padding), DEPTHWISE_CONV_2D (depth multipliers 1, 2, 4, 8),
// FULLY_CONNECTED (batches), the pools, and the clamp activations and LEAKY_RELU (edge values:
// -0, NaN, infinities), with channel counts on and off multiples of 4 so
// every quad, tail and repeated-pixel tile runs. The simd, scalar and streamed builds must
// give the same bytes, and those bytes must equal a JS sum in TFLM's reference order (each
// product and partial sum rounded to f32 by Math.fround), so neither build can drift alone.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { rng, randInt } from './tflm-oracle.js';

type R = () => number;
const fr = Math.fround;
const floats = (r: R, n: number, scale = 2) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
const pick = <T>(r: R, xs: T[]) => xs[randInt(r, 0, xs.length - 1)];
const ACTS: Record<string, [number, number]> = { NONE: [-Infinity, Infinity], RELU: [0, Infinity], RELU6: [0, 6] };

interface Case { what: string; model: Uint8Array; x: Float32Array; want: Float32Array }

const clamp = (v: number, [lo, hi]: [number, number]) => Math.min(Math.max(v, lo), hi);

/** Output side and leading pad of SAME/VALID (TFLite). */
function geometry(padding: string, n: number, k: number, s: number, d: number): [number, number] {
  const eff = (k - 1) * d + 1;
  const out = padding === 'SAME' ? Math.ceil(n / s) : Math.floor((n - eff) / s) + 1;
  return [out, padding === 'SAME' ? Math.max(0, Math.floor(((out - 1) * s + eff - n) / 2)) : 0];
}

function convCase(r: R, depthwise: boolean): Case {
  const n = randInt(r, 1, 2), h = randInt(r, 1, 9), w = randInt(r, 1, 9);
  const kh = pick(r, [1, 1, 2, 3]), kw = pick(r, [1, 1, 3]), sh = randInt(r, 1, 2), sw = randInt(r, 1, 2), dil = r() < 0.25 ? 2 : 1;
  const padding = r() < 0.5 ? 'SAME' : 'VALID', act = pick(r, Object.keys(ACTS)), hasBias = r() < 0.7;
  const groups = depthwise ? 1 : pick(r, [1, 1, 1, 2, 3]);
  const icg = pick(r, [1, 3, 4, 5, 8, 13]), c = depthwise ? pick(r, [1, 3, 4, 5, 8, 11]) : icg * groups;
  const dm = depthwise ? pick(r, [1, 1, 2, 4, 8]) : 1;
  const oc = depthwise ? c * dm : groups * pick(r, [1, 3, 4, 7, 8, 12, 19].filter((v) => groups === 1 || v % 4 === 0 || v < 4));
  const [oh, pt] = geometry(padding, h, kh, sh, dil), [ow, pl] = geometry(padding, w, kw, sw, dil);
  if (oh < 1 || ow < 1) return convCase(r, depthwise);
  const wShape = depthwise ? [1, kh, kw, oc] : [oc, kh, kw, icg];
  const wt = floats(r, wShape.reduce((a, d) => a * d, 1), 1), bias = floats(r, oc), x = floats(r, n * h * w * c);
  const b = new TfliteBuilder();
  const xt = b.tensor('x', [n, h, w, c], 'float32'), yt = b.tensor('y', [n, oh, ow, oc], 'float32');
  b.op(depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D', [xt, b.constant('w', wShape, 'float32', wt), hasBias ? b.constant('b', [oc], 'float32', bias) : -1], [yt],
    { padding, strideH: sh, strideW: sw, dilationH: dil, dilationW: dil, depthMultiplier: dm, activation: act });
  b.io([xt], [yt]);
  const want = new Float32Array(n * oh * ow * oc);
  let o = 0;
  for (let bi = 0; bi < n; bi++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let k = 0; k < oc; k++) {
          let t = 0;
          for (let fy = 0; fy < kh; fy++)
            for (let fx = 0; fx < kw; fx++) {
              const iy = oy * sh - pt + fy * dil, ix = ox * sw - pl + fx * dil;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const xb = ((bi * h + iy) * w + ix) * c;
              if (depthwise) t = fr(t + fr(x[xb + Math.floor(k / dm)] * wt[(fy * kw + fx) * oc + k]));
              else {
                const g = Math.floor(k / (oc / groups));
                for (let ci = 0; ci < icg; ci++) t = fr(t + fr(x[xb + g * icg + ci] * wt[((k * kh + fy) * kw + fx) * icg + ci]));
              }
            }
          want[o++] = clamp(fr(t + (hasBias ? bias[k] : 0)), ACTS[act]);
        }
  const what = `${depthwise ? `DEPTHWISE_CONV_2D dm${dm}` : `CONV_2D groups ${groups}`} [${n},${h},${w},${c}] k${kh}x${kw} s${sh}x${sw} d${dil} ${padding} oc${oc} ${act}${hasBias ? '' : ' no bias'}`;
  return { what, model: b.finish(), x, want };
}

function fcCase(r: R): Case {
  const batches = randInt(r, 1, 3), depth = pick(r, [1, 3, 4, 7, 16, 33]), oc = pick(r, [1, 2, 4, 5, 10, 16, 19]);
  const act = pick(r, Object.keys(ACTS)), hasBias = r() < 0.7;
  const wt = floats(r, oc * depth, 1), bias = floats(r, oc), x = floats(r, batches * depth);
  const b = new TfliteBuilder();
  const xt = b.tensor('x', [batches, depth], 'float32'), yt = b.tensor('y', [batches, oc], 'float32');
  b.op('FULLY_CONNECTED', [xt, b.constant('w', [oc, depth], 'float32', wt), hasBias ? b.constant('b', [oc], 'float32', bias) : -1], [yt], { activation: act });
  b.io([xt], [yt]);
  const want = new Float32Array(batches * oc);
  for (let bi = 0; bi < batches; bi++)
    for (let k = 0; k < oc; k++) {
      let t = 0;
      for (let d = 0; d < depth; d++) t = fr(t + fr(x[bi * depth + d] * wt[k * depth + d]));
      want[bi * oc + k] = clamp(fr(t + (hasBias ? bias[k] : 0)), ACTS[act]);
    }
  return { what: `FULLY_CONNECTED [${batches},${depth}] oc${oc} ${act}${hasBias ? '' : ' no bias'}`, model: b.finish(), x, want };
}

function poolCase(r: R, isMax: boolean): Case {
  const n = randInt(r, 1, 2), h = randInt(r, 1, 9), w = randInt(r, 1, 9), c = pick(r, [1, 3, 4, 5, 8, 13]);
  const fh = randInt(r, 1, 3), fw = randInt(r, 1, 3), sh = randInt(r, 1, 2), sw = randInt(r, 1, 2);
  const padding = r() < 0.5 ? 'SAME' : 'VALID', act = pick(r, Object.keys(ACTS));
  const [oh, pt] = geometry(padding, h, fh, sh, 1), [ow, pl] = geometry(padding, w, fw, sw, 1);
  if (oh < 1 || ow < 1) return poolCase(r, isMax);
  const x = floats(r, n * h * w * c, 4);
  const b = new TfliteBuilder();
  const xt = b.tensor('x', [n, h, w, c], 'float32'), yt = b.tensor('y', [n, oh, ow, c], 'float32');
  b.op(isMax ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D', [xt], [yt], { padding, strideH: sh, strideW: sw, filterH: fh, filterW: fw, activation: act });
  b.io([xt], [yt]);
  const want = new Float32Array(n * oh * ow * c);
  let o = 0;
  for (let bi = 0; bi < n; bi++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++)
        for (let ch = 0; ch < c; ch++) {
          let acc = isMax ? -3.4028234663852886e38 : 0, count = 0;
          for (let fy = 0; fy < fh; fy++)
            for (let fx = 0; fx < fw; fx++) {
              const iy = oy * sh - pt + fy, ix = ox * sw - pl + fx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const v = x[((bi * h + iy) * w + ix) * c + ch];
              acc = isMax ? (acc < v ? v : acc) : fr(acc + v);
              count++;
            }
          want[o++] = clamp(isMax ? acc : count ? fr(acc / count) : 0, ACTS[act]);
        }
  return { what: `${isMax ? 'MAX' : 'AVERAGE'}_POOL_2D [${n},${h},${w},${c}] f${fh}x${fw} s${sh}x${sw} ${padding} ${act}`, model: b.finish(), x, want };
}

/** Standalone RELU / RELU6 / RELU_N1_TO_1 / LEAKY_RELU over n elements with the edge values (-0, NaN, +-Inf, the bounds) among random ones. */
function activationCase(r: R): Case {
  const kind = pick(r, ['RELU', 'RELU6', 'RELU_N1_TO_1', 'LEAKY_RELU']);
  const n = randInt(r, 1, 41), alpha = fr(r() * 0.5);
  const edges = [-0, 0, NaN, Infinity, -Infinity, 6, -1, 1, 6.000001, -1.000001];
  const x = Float32Array.from({ length: n }, () => (r() < 0.3 ? pick(r, edges) : (r() * 2 - 1) * 8));
  // TFLM's float RELU clamps above at FLT_MAX (the converter's ACTIVATION bounds)
  const [lo, hi] = ({ RELU: [0, 3.4028234663852886e38], RELU6: [0, 6], RELU_N1_TO_1: [-1, 1] } as Record<string, [number, number]>)[kind] ?? [0, 0];
  const f = (v: number) => (kind === 'LEAKY_RELU' ? (v > 0 ? v : fr(v * alpha)) : v > hi ? hi : v < lo ? lo : v);
  const b = new TfliteBuilder();
  const xt = b.tensor('x', [1, n], 'float32'), yt = b.tensor('y', [1, n], 'float32');
  b.op(kind, [xt], [yt], kind === 'LEAKY_RELU' ? { alpha } : {});
  b.io([xt], [yt]);
  return { what: `${kind} over ${n} elements`, model: b.finish(), x, want: Float32Array.from(x, f) };
}

/** Runs a case in the simd, scalar and streamed builds; every output byte equal, and equal to the JS sum. */
async function check(c: Case): Promise<void> {
  const { epk } = convertModel(c.model, 'f32simd.tflite', { log: () => {} });
  const input = new Uint8Array(c.x.buffer);
  const want = new Uint8Array(c.want.buffer);
  const outs: [string, Uint8Array][] = [];
  for (const [build, m] of [['simd', await loadModelNode(epk, 'simd')], ['scalar', await loadModelNode(epk, 'scalar')], ['streamed', await loadModelStreamed(epk)]] as const) {
    outs.push([build, Uint8Array.from(Buffer.concat(m.run(input)))]);
  }
  for (const [build, got] of outs) {
    assert.is(got.length, want.length, `${c.what}: ${build} output size`);
    const gf = new Float32Array(got.buffer);
    for (let k = 0; k < gf.length; k++) {
      if (!Object.is(gf[k], c.want[k])) assert.unreachable(`${c.what}, ${build}, element ${k}: ${gf[k]} vs ${c.want[k]} in TFLM's summation order`);
    }
  }
}

const CASES = 24;

test('CONV_2D float32 (1x1, groups, tails of 1-3 channels): simd f32x4 == scalar == streamed == the ordered f32 sum', async () => {
  const r = rng(1001);
  for (let k = 0; k < CASES; k++) await check(convCase(r, false));
});

test('DEPTHWISE_CONV_2D float32 (depth multipliers 1, 2, 4, 8): simd == scalar == streamed == the ordered sum', async () => {
  const r = rng(1002);
  for (let k = 0; k < CASES; k++) await check(convCase(r, true));
});

test('FULLY_CONNECTED float32 (batches, depth and outputs off multiples of 4): simd == scalar == streamed == the ordered sum', async () => {
  const r = rng(1003);
  for (let k = 0; k < CASES; k++) await check(fcCase(r));
});

test('AVERAGE_POOL_2D, MAX_POOL_2D float32: simd == scalar == streamed == the ordered sum', async () => {
  const r = rng(1004);
  for (let k = 0; k < CASES; k++) await check(poolCase(r, k % 2 === 1));
});

test('RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU float32 (-0, NaN, infinities, the bounds; tails of 1-3): simd f32x4 == scalar == streamed == the scalar form', async () => {
  const r = rng(1005);
  for (let k = 0; k < 2 * CASES; k++) await check(activationCase(r));
});

test.run();
