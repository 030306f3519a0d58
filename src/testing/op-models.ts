// A small int8 model through TRANSPOSE_CONV, SUB, LEAKY_RELU, MAXIMUM and STRIDED_SLICE, built in
// code: a fuzz seed (tools/fuzz.ts) so mutants reach these ops' import, prepare and load checks.

import { TfliteBuilder } from './tflite-builder.js';
import { randomInt8 } from './models.js';

const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });

export function buildOpsNet(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 3, 3, 2], 'int8', q(0.05, 2));
  const w = b.constant('w', [4, 3, 3, 2], 'int8', randomInt8(72, 5), { scale: [0.01, 0.02, 0.015, 0.03], zeroPoint: [0, 0, 0, 0], axis: 0 });
  const up = b.tensor('up', [1, 6, 6, 4], 'int8', q(0.1, -5));
  b.op('TRANSPOSE_CONV', [b.constant('shape', [4], 'int32', [1, 6, 6, 4]), w, x, b.constant('bias', [4], 'int32', [10, -20, 30, -40])], [up], { padding: 'SAME', strideH: 2, strideW: 2 });
  const c = b.constant('c', [4], 'int8', [3, -7, 11, -2], q(0.04, 0));
  const d = b.tensor('d', [1, 6, 6, 4], 'int8', q(0.12, 1));
  b.op('SUB', [up, c], [d]);
  const l = b.tensor('l', [1, 6, 6, 4], 'int8', q(0.1, -30));
  b.op('LEAKY_RELU', [d], [l], { alpha: 0.1 });
  const e = b.tensor('e', [1, 6, 6, 4], 'int8', q(0.1, -30));
  b.op('MAXIMUM', [l, b.constant('floor', [1, 1, 4], 'int8', [-40, -20, -60, -128], q(0.1, -30))], [e]);
  const y = b.tensor('y', [6, 3, 4], 'int8', q(0.1, -30));
  const i32 = (name: string, v: number[]) => b.constant(name, [4], 'int32', v);
  b.op('STRIDED_SLICE', [e, i32('begin', [0, -1, 0, 0]), i32('end', [1, 0, 6, 4]), i32('strides', [1, -1, 2, 1])], [y], { endMask: 2, shrinkAxisMask: 1 });
  b.io([x], [y]);
  return b.finish();
}
