// The ONNX float path (group f32): float ONNX models (Conv + BatchNorm folded, Relu/Relu6,
// residual Add, pooling, Gemm, Softmax) convert WITHOUT --calibrate to float32 kernels and
// run in every build; outputs agree with the converter's float reference
// (src/float/interpret.ts, f64 arithmetic on the same imported graph) and across builds
// bit for bit.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel, importModel } from '../src/convert.js';
import { runFloat } from '../src/float/interpret.js';
import { DType } from '../src/format/constants.js';
import { readEpk } from '../src/format/reader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { mobileNetStyle, resNetStyle } from '../src/testing/onnx-builder.js';
import { rng } from './tflm-oracle.js';

const REL = 1e-4; // f32 kernels vs the f64 reference: summation rounding only

for (const [name, bytes] of [['mobilenet-style', mobileNetStyle(1, 16, 10)], ['resnet-style', resNetStyle(2, 16, 10)]] as const) {
  test(`${name}.onnx: float32 end to end, close to the float reference, equal across builds`, async () => {
    const { epk } = convertModel(bytes, `${name}.onnx`, { log: () => {} });
    const e = readEpk(epk);
    assert.ok(e.ops.every((op) => e.tensors[op.outputs[0]].dtype === DType.Float32), 'every op writes float32');
    const g = importModel(bytes, `${name}.onnx`);
    const n = g.tensors[g.inputs[0]].shape.reduce((a, d) => a * d, 1);
    const r = rng(17);
    const builds = [await loadModelNode(epk, 'simd'), await loadModelNode(epk, 'scalar'), await loadModelStreamed(epk)];
    for (let i = 0; i < 3; i++) {
      const x = Float32Array.from({ length: n }, () => r() * 2 - 1);
      const [want] = runFloat(g, [x]);
      const outs = builds.map((m) => new Float32Array(Uint8Array.from(m.run(new Uint8Array(x.buffer))[0]).buffer));
      assert.equal(Array.from(outs[1]), Array.from(outs[0]), 'scalar = simd');
      assert.equal(Array.from(outs[2]), Array.from(outs[0]), 'streamed = simd');
      const scale = Math.max(...Array.from(want, Math.abs), 1e-6);
      outs[0].forEach((v, k) => assert.ok(Math.abs(v - want[k]) <= REL * scale, `${name} input ${i} element ${k}: ${v} vs reference ${want[k]}`));
    }
  });
}

test.run();
