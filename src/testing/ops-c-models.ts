// Random single-op int8 models of group c's ops (issue 10), built in code for the tflm-run
// tests (test/ops-c-tflm.test.ts) and the load checks (test/ops-c-load-checks.test.ts).

import { TfliteBuilder } from './tflite-builder.js';

export type Rng = () => number;
export interface OpCase { model: Uint8Array; inputs: Uint8Array[][]; what: string }

const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const int8s = (r: Rng, n: number) => Int8Array.from({ length: n }, () => int(r, -128, 127));
const elems = (s: number[]) => s.reduce((a, d) => a * d, 1);
const bytes = (v: Int8Array) => new Uint8Array(v.buffer);

/** y = LOG_SOFTMAX(x) on int8 with the given shape and quantization (output 16/256, zero point 127 unless given). */
export function logSoftmaxModel(shape: number[], inScale: number, inZeroPoint: number, out = q(16 / 256, 127)): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', shape, 'int8', q(inScale, inZeroPoint));
  const y = b.tensor('y', shape, 'int8', out);
  b.op('LOG_SOFTMAX', [x], [y]);
  b.io([x], [y]);
  return b.finish();
}

/**
 * LOG_SOFTMAX along the last axis of a random rank 1-4 shape; the input scale spans 2^-12 to 2^7
 * (log-uniform), so diff_min goes from beyond the int8 range down to 0 (above 32 the scaled
 * multiplier saturates at 2^31 - 1). The first invoke has
 * rows near one value (small differences), the others random bytes.
 */
export function logSoftmaxCase(r: Rng, invokes: number): OpCase {
  const shape = Array.from({ length: int(r, 1, 4) }, () => int(r, 1, 5));
  shape[shape.length - 1] = int(r, 1, 48);
  const inScale = Math.fround(2 ** (-12 + r() * 19));
  const zp = int(r, -128, 127);
  const n = elems(shape);
  const base = int(r, -120, 120);
  const inputs = Array.from({ length: invokes }, (_, i) => [bytes(i === 0 ? Int8Array.from({ length: n }, () => base + int(r, -3, 3)) : int8s(r, n))]);
  return { model: logSoftmaxModel(shape, inScale, zp), inputs, what: `${JSON.stringify(shape)} in ${inScale}/${zp}` };
}
