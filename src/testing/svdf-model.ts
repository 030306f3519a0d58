// A small stateful model built in code: x int8 [2, 6] -> SVDF (rank 2, 3 units, memory 4) ->
// SVDF (rank 1, 3 units, memory 2) -> y int8 [2, 3], each with an int16 variable state.
// A fuzz seed (tools/fuzz.ts) through variable tensors and the SVDF load checks.

import { TfliteBuilder } from './tflite-builder.js';

const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });

export function buildSvdfNet(): Uint8Array {
  const b = new TfliteBuilder();
  const batch = 2;
  let x = b.tensor('x', [batch, 6], 'int8', q(0.05, 3));
  let inputs = 6, inScale = 0.05;
  for (const [layer, rank, units, memory] of [[1, 2, 3, 4], [2, 1, 3, 2]]) {
    const filters = rank * units, stateScale = 0.02 * layer, timeScale = 0.0005;
    const wf = b.constant(`svdf${layer}/feature`, [filters, inputs], 'int8', Array.from({ length: filters * inputs }, (_, i) => ((i * 37 + layer) % 255) - 127), q(0.01, 0));
    const wt = b.constant(`svdf${layer}/time`, [filters, memory], 'int16', Array.from({ length: filters * memory }, (_, i) => ((i * 5003 + layer) % 60000) - 30000), q(timeScale, 0));
    const bias = b.constant(`svdf${layer}/bias`, [units], 'int32', Array.from({ length: units }, (_, i) => (i - 1) * 300), q(Math.fround(stateScale * timeScale), 0));
    const state = b.variable(`svdf${layer}/state`, [batch, filters * memory], 'int16', q(stateScale, 0));
    const y = b.tensor(`svdf${layer}/y`, [batch, units], 'int8', q(inScale * 2, -5));
    b.op('SVDF', [x, wf, wt, bias, state], [y], { rank });
    x = y;
    inputs = units;
    inScale *= 2;
  }
  b.io([0], [x]);
  return b.finish();
}
