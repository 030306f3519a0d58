// float32 SVDF models built in code (test/svdf-f32-tflm.test.ts, test/svdf-f32-firmware.test.ts):
// x [batch, nIn] float32 -> SVDF (random rank, units, memory, weights in [-1, 1], bias in [-2, 2])
// [-> a second SVDF] -> y, each with a float32 variable state; `inputs` is a stream of invokes.

import { TfliteBuilder } from './tflite-builder.js';

const INVOKES = 6;
const randInt = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

export interface SvdfF32Case { model: Uint8Array; inputs: Uint8Array[][]; what: string }

const uniform = (r: () => number, n: number, a: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * a);

/** x [batch, nIn] float32 -> SVDF(rank, memory, activation) [-> SVDF] -> y. */
export function svdfF32Model(r: () => number, opts: { activation?: string | number; second?: boolean; noBias?: boolean } = {}): SvdfF32Case {
  const batch = randInt(r, 1, 3), nIn = randInt(r, 1, 24), rank = randInt(r, 1, 3), nUnit = randInt(r, 1, 8), nMemory = randInt(r, 1, 6);
  const nFilter = rank * nUnit;
  const b = new TfliteBuilder();
  const x = b.tensor('x', [batch, nIn], 'float32');
  const activation = opts.activation ?? 'NONE';
  const layer = (name: string, input: number, inputs: number) => {
    const wf = b.constant(`${name}/feature`, [nFilter, inputs], 'float32', uniform(r, nFilter * inputs, 1));
    const wt = b.constant(`${name}/time`, [nFilter, nMemory], 'float32', uniform(r, nFilter * nMemory, 1));
    const bias = opts.noBias ? -1 : b.constant(`${name}/bias`, [nUnit], 'float32', uniform(r, nUnit, 2));
    const state = b.variable(`${name}/state`, [batch, nFilter * nMemory], 'float32');
    const y = b.tensor(`${name}/y`, [batch, nUnit], 'float32');
    b.op('SVDF', [input, wf, wt, bias, state], [y], { rank, activation });
    return y;
  };
  let y = layer('svdf1', x, nIn);
  if (opts.second) y = layer('svdf2', y, nUnit);
  b.io([x], [y]);
  const inputs = Array.from({ length: INVOKES }, () => [new Uint8Array(uniform(r, batch * nIn, 3).buffer)]);
  return { model: b.finish(), inputs, what: `batch ${batch}, in ${nIn}, rank ${rank}, units ${nUnit}, memory ${nMemory}, ${activation}${opts.second ? ', two layers' : ''}${opts.noBias ? ', no bias' : ''}` };
}

