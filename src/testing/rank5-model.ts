// A small int8 model on rank-5 tensors (broadcast ADD, TRANSPOSE, PAD, MEAN, CONCATENATION,
// SPLIT), built in code: a fuzz seed (tools/fuzz.ts) so mutants reach collapse-rank
// (src/passes/collapse-rank.ts) and the 4-D views it makes.

import { TfliteBuilder } from './tflite-builder.js';
import { randomInt8 } from './models.js';

const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });

export function buildRank5Net(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 2, 3, 4, 2], 'int8', q(0.05, 2));
  const a = b.tensor('a', [1, 2, 3, 4, 2], 'int8', q(0.08, -3));
  b.op('ADD', [x, b.constant('c', [1, 1, 1, 4, 2], 'int8', randomInt8(8, 7), q(0.04, 0))], [a]);
  const t = b.tensor('t', [1, 3, 2, 2, 4], 'int8', q(0.08, -3));
  b.op('TRANSPOSE', [a, b.constant('perm', [5], 'int32', [0, 2, 1, 4, 3])], [t]);
  const p = b.tensor('p', [1, 3, 4, 2, 4], 'int8', q(0.08, -3));
  b.op('PAD', [t, b.constant('pads', [5, 2], 'int32', [0, 0, 0, 0, 1, 1, 0, 0, 0, 0])], [p]);
  const m = b.tensor('m', [1, 3, 1, 2, 4], 'int8', q(0.06, 1));
  b.op('MEAN', [p, b.constant('axes', [1], 'int32', [2])], [m], { keepDims: true });
  const s0 = b.tensor('s0', [1, 3, 1, 1, 4], 'int8', q(0.06, 1));
  const s1 = b.tensor('s1', [1, 3, 1, 1, 4], 'int8', q(0.06, 1));
  b.op('SPLIT', [b.constant('axis', [], 'int32', [3]), m], [s0, s1], { numSplits: 2 });
  const y = b.tensor('y', [1, 3, 1, 2, 4], 'int8', q(0.06, 1));
  b.op('CONCATENATION', [s1, s0], [y], { axis: 3 });
  b.io([x], [y]);
  return b.finish();
}
