// Random single-op int8 models of group b's ops (issue 10, int8 arithmetic), built in code
// for the tflm-run tests (test/ops-b-tflm.test.ts) and a fuzz seed (tools/fuzz.ts).

import { TfliteBuilder } from './tflite-builder.js';

export type Rng = () => number;
export interface OpCase { model: Uint8Array; inputs: Uint8Array[][]; what: string }

const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const scale = (r: Rng, lo = 0.004, hi = 0.2) => Math.fround(lo + r() * (hi - lo));
const int8s = (r: Rng, n: number) => Int8Array.from({ length: n }, () => int(r, -128, 127));
const elems = (s: number[]) => s.reduce((a, d) => a * d, 1);
const bytes = (v: Int8Array) => new Uint8Array(v.buffer);

/** A shape of rank 1-4 and a second one that broadcasts to it (ones, or fewer leading axes). */
function broadcastPair(r: Rng): [number[], number[]] {
  const shape = Array.from({ length: int(r, 1, 4) }, () => int(r, 1, 6));
  let other = shape.map((d) => (r() < 0.3 ? 1 : d));
  if (r() < 0.3) other = other.slice(int(r, 0, other.length - 1)); // lower rank, right-aligned
  return [shape, other];
}

/**
 * y = op(a, b) for a broadcasting binary op (PRELU: b is alpha), b a graph input or a constant;
 * `swap` puts the broadcast operand first where the op allows it. Quantization random.
 */
export function binaryCase(r: Rng, type: string, invokes: number, opts: { swap?: boolean; options?: Record<string, unknown>; outScale?: [number, number] } = {}): OpCase {
  const [shape, bShape] = broadcastPair(r);
  const swap = opts.swap === true && r() < 0.3;
  const constB = r() < 0.4;
  const b = new TfliteBuilder();
  const a = b.tensor('a', shape, 'int8', q(scale(r), int(r, -128, 127)));
  const bq = q(scale(r), int(r, -128, 127));
  const bt = constB ? b.constant('b', bShape, 'int8', int8s(r, elems(bShape)), bq) : b.tensor('b', bShape, 'int8', bq);
  const [lo, hi] = opts.outScale ?? [0.004, 0.2];
  const y = b.tensor('y', shape, 'int8', q(scale(r, lo, hi), int(r, -128, 127)));
  b.op(type, swap ? [bt, a] : [a, bt], [y], opts.options ?? {});
  b.io(constB ? [a] : [a, bt], [y]);
  const inputs = Array.from({ length: invokes }, () => (constB ? [int8s(r, elems(shape))] : [int8s(r, elems(shape)), int8s(r, elems(bShape))]).map(bytes));
  return { model: b.finish(), inputs, what: `${JSON.stringify(shape)} ${type} ${JSON.stringify(bShape)}${constB ? ' const' : ''}${swap ? ' swapped' : ''}` };
}

/**
 * y = op(x) for an elementwise unary int8 op over a [n] tensor; the first invoke holds every
 * int8 value from `lowest` up (repeated to fill), the others random values from `lowest` up.
 */
export function unaryCase(r: Rng, type: string, invokes: number, opts: { lowestFromZeroPoint?: boolean; outScale?: [number, number] } = {}): OpCase {
  const xq = q(scale(r, 0.002, 0.2), int(r, -128, 100));
  const [lo, hi] = opts.outScale ?? [0.004, 0.2];
  const yq = q(scale(r, lo, hi), int(r, -128, 127));
  const n = int(r, 1, 300);
  const lowest = opts.lowestFromZeroPoint ? xq.zeroPoint[0] : -128;
  const span = 128 - lowest;
  const b = new TfliteBuilder();
  const x = b.tensor('x', [n], 'int8', xq);
  const y = b.tensor('y', [n], 'int8', yq);
  b.op(type, [x], [y]);
  b.io([x], [y]);
  const every = Int8Array.from({ length: Math.max(n, 1) }, (_, k) => lowest + (k % span));
  const inputs = Array.from({ length: invokes }, (_, i) => [bytes(i === 0 ? every : Int8Array.from({ length: n }, () => int(r, lowest, 127)))]);
  return { model: b.finish(), inputs, what: `[${n}] in ${xq.scale[0]}/${xq.zeroPoint[0]} out ${yq.scale[0]}/${yq.zeroPoint[0]}` };
}

/**
 * x [2, 3, 4] -> PRELU(x, alpha [4]) -> SQUARED_DIFFERENCE(., c [3, 1]) -> DIV(., d [4])
 * -> RSQRT -> L2_NORMALIZATION -> y: a fixed model through every group-b op, for load checks and a fuzz seed.
 */
export function buildOpsBNet(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [2, 3, 4], 'int8', q(0.05, 4));
  const p = b.tensor('p', [2, 3, 4], 'int8', q(0.04, -10));
  b.op('PRELU', [x, b.constant('alpha', [4], 'int8', [25, -50, 100, 3], q(0.01, 0))], [p]);
  const s = b.tensor('s', [2, 3, 4], 'int8', q(0.2, -128));
  b.op('SQUARED_DIFFERENCE', [p, b.constant('c', [3, 1], 'int8', [-20, 0, 30], q(0.03, 2))], [s]);
  const d = b.tensor('d', [2, 3, 4], 'int8', q(0.1, -100));
  b.op('DIV', [s, b.constant('den', [4], 'int8', [60, 90, 120, 127], q(0.02, 1))], [d], { activation: 'RELU' });
  const rs = b.tensor('rs', [2, 3, 4], 'int8', q(0.05, -128));
  b.op('RSQRT', [d], [rs]);
  const y = b.tensor('y', [2, 3, 4], 'int8', q(1 / 128, 0));
  b.op('L2_NORMALIZATION', [rs], [y]);
  b.io([x], [y]);
  return b.finish();
}

/** y = L2_NORMALIZATION(x) along the last axis of a random rank 1-4 shape (output 1/128, zero point 0 as TFLite's convention). */
export function l2normCase(r: Rng, invokes: number): OpCase {
  const shape = Array.from({ length: int(r, 1, 4) }, () => int(r, 1, 6));
  shape[shape.length - 1] = int(r, 1, 40);
  const xq = q(scale(r), int(r, -128, 127));
  const b = new TfliteBuilder();
  const x = b.tensor('x', shape, 'int8', xq);
  const y = b.tensor('y', shape, 'int8', q(1 / 128, 0));
  b.op('L2_NORMALIZATION', [x], [y]);
  b.io([x], [y]);
  const n = elems(shape);
  const inputs = Array.from({ length: invokes }, (_, i) => [bytes(i === 0 ? Int8Array.from({ length: n }, () => xq.zeroPoint[0] + int(r, -2, 2)) : int8s(r, n))]);
  return { model: b.finish(), inputs, what: `${JSON.stringify(shape)} in ${xq.scale[0]}/${xq.zeroPoint[0]}` };
}
