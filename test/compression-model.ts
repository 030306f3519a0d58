// A small conv -> depthwise -> 1x1 conv -> FC model built in code, with deterministic
// pseudo-random int8 weights, for the compression tests.

import { TfliteBuilder } from '../src/testing/tflite-builder.js';

export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

/** Weights roughly bell-shaped in [-127, 127], as trained filters are. */
function weights(n: number, rnd: () => number): number[] {
  return Array.from({ length: n }, () => {
    const v = ((rnd() & 0xff) + (rnd() & 0xff) + (rnd() & 0xff) - 382) / 1.5;
    return Math.max(-127, Math.min(127, Math.round(v)));
  });
}

export function buildSmallModel(seed = 1): Uint8Array {
  const r = lcg(seed);
  const b = new TfliteBuilder();
  const q = (scale: number, zp: number) => ({ scale: [scale], zeroPoint: [zp] });
  const perCh = (n: number, axis: number) => ({ scale: Array.from({ length: n }, (_, i) => 0.002 + 0.0005 * (i % 5)), zeroPoint: new Array(n).fill(0), axis });
  const x = b.tensor('input', [1, 12, 12, 8], 'int8', q(0.05, -3));
  const w1 = b.constant('conv1/w', [16, 3, 3, 8], 'int8', weights(16 * 72, r), perCh(16, 0));
  const b1 = b.constant('conv1/b', [16], 'int32', Array.from({ length: 16 }, (_, i) => (i - 8) * 50));
  const y1 = b.tensor('conv1/out', [1, 12, 12, 16], 'int8', q(0.08, -128));
  b.op('CONV_2D', [x, w1, b1], [y1], { padding: 'SAME', strideH: 1, strideW: 1, activation: 'RELU' });
  const w2 = b.constant('dw/w', [1, 3, 3, 16], 'int8', weights(9 * 16, r), perCh(16, 3));
  const b2 = b.constant('dw/b', [16], 'int32', Array.from({ length: 16 }, (_, i) => i * 20));
  const y2 = b.tensor('dw/out', [1, 6, 6, 16], 'int8', q(0.06, -128));
  b.op('DEPTHWISE_CONV_2D', [y1, w2, b2], [y2], { padding: 'SAME', strideH: 2, strideW: 2, depthMultiplier: 1, activation: 'RELU6' });
  const w3 = b.constant('pw/w', [24, 1, 1, 16], 'int8', weights(24 * 16, r), perCh(24, 0));
  const y3 = b.tensor('pw/out', [1, 6, 6, 24], 'int8', q(0.1, 5));
  b.op('CONV_2D', [y2, w3], [y3], { padding: 'VALID', activation: 'NONE' });
  const w4 = b.constant('fc/w', [10, 864], 'int8', weights(10 * 864, r), q(0.003, 0));
  const b4 = b.constant('fc/b', [10], 'int32', Array.from({ length: 10 }, (_, i) => i * 100 - 500));
  const y4 = b.tensor('fc/out', [1, 10], 'int8', q(0.2, -10));
  b.op('FULLY_CONNECTED', [y3, w4, b4], [y4], { activation: 'NONE' });
  b.io([x], [y4]);
  return b.finish();
}

export function randomBytes(n: number, seed: number): Uint8Array {
  const r = lcg(seed);
  return Uint8Array.from({ length: n }, () => r() >>> 24);
}
