// The cleanup passes one by one: what each removes or rewrites, and that the float
// function is unchanged (checked with the float reference).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { randomInputs } from '../src/float/calibrate.js';
import { runFloat } from '../src/float/interpret.js';
import { importOnnx } from '../src/import/onnx/index.js';
import { Graph } from '../src/ir/graph.js';
import { foldBatchNorm } from '../src/passes/fold-batchnorm.js';
import { foldConstants } from '../src/passes/fold-constants.js';
import { fuseActivation } from '../src/passes/fuse-activation.js';
import { fusePad } from '../src/passes/fuse-pad.js';
import { strip } from '../src/passes/strip.js';
import { verifyGraph } from '../src/passes/verify.js';
import { NetBuilder, OnnxBuilder } from '../src/testing/onnx-builder.js';

const types = (g: Graph) => g.ops.map((o) => o.type);

function maxRelDiff(a: Graph, b: Graph, n = 5): number {
  let worst = 0;
  for (const x of randomInputs(a, n, 3)) {
    const ya = runFloat(a, x)[0], yb = runFloat(b, x)[0];
    const scale = Math.max(...Array.from(ya, Math.abs), 1e-6);
    for (let i = 0; i < ya.length; i++) worst = Math.max(worst, Math.abs(ya[i] - yb[i]) / scale);
  }
  return worst;
}

test('strip drops Identity, Dropout, same-shape Reshape and dead ops; values unchanged', () => {
  const b = new NetBuilder(1);
  const x = b.input('x', [1, 6]);
  const dead = b.node('Relu', [x]); // read by nobody
  void dead;
  let y = b.node('Identity', [x]);
  y = b.node('Dropout', [y]);
  y = b.node('Reshape', [y, b.ints([1, 6])]);
  y = b.node('Relu', [y]);
  b.output(y, [1, 6]);
  const g = importOnnx(b.build(), 'strip.onnx');
  assert.equal(types(g), ['RELU', 'IDENTITY', 'DROPOUT', 'RESHAPE', 'RELU']);
  const s = strip(g);
  verifyGraph(s, 'strip');
  assert.equal(types(s), ['RELU']);
  assert.is(maxRelDiff(g, s), 0);
  assert.is(strip(s), s, 'nothing to strip: same graph back');
});

test('fold-batchnorm folds BN into the conv before it, and lowers a BN on a graph input to MUL + ADD', () => {
  const b = new NetBuilder(2);
  let x = b.input('x', [1, 3, 6, 6]);
  x = b.batchNorm(x, 3); // on the input: nothing to fold into
  x = b.batchNorm(b.conv(x, 3, 4, 3), 4);
  x = b.batchNorm(b.conv(x, 4, 8, 3, { group: 4 }), 8); // depthwise x2
  b.output(x, [1, 8, 6, 6]);
  const g = importOnnx(b.build(), 'bn.onnx');
  const f = foldBatchNorm(g);
  verifyGraph(f, 'fold-batchnorm');
  assert.equal(types(f), ['MUL', 'ADD', 'CONV_2D', 'DEPTHWISE_CONV_2D']);
  assert.ok(maxRelDiff(g, f) < 1e-5, `diff ${maxRelDiff(g, f)}`);
});

test('fold-constants computes ops on constants offline', () => {
  const b = new OnnxBuilder();
  const k = b.node('Relu', [b.init([1, 4], [-1, 2, -3, 4])]);
  b.output(b.node('Add', [b.input('x', [1, 4]), k]), [1, 4]);
  const g = importOnnx(b.build(), 'const.onnx');
  const f = foldConstants(g);
  assert.equal(types(f), ['ADD']);
  assert.equal(Array.from(f.tensors[f.ops[0].inputs[1]].data as Float32Array), [0, 2, 0, 4]);
  assert.is(maxRelDiff(g, f), 0);
});

test('fuse-activation puts ReLU / ReLU6 into the producer, not when the producer output has another reader', () => {
  const b = new NetBuilder(3);
  const x = b.input('x', [1, 2, 5, 5]);
  const c1 = b.conv(x, 2, 4, 3);
  const r1 = b.relu6(c1);
  const c2 = b.conv(r1, 4, 4, 1);
  const r2 = b.node('Relu', [c2]);
  b.output(b.node('Add', [r2, c2]), [1, 4, 5, 5]); // c2 is read twice: its Relu stays
  const g = importOnnx(b.build(), 'fuse.onnx');
  const f = fuseActivation(g);
  verifyGraph(f, 'fuse-activation');
  assert.equal(types(f), ['CONV_2D', 'CONV_2D', 'RELU', 'ADD']);
  assert.is(f.ops[0].options.activation, 'RELU6');
  assert.ok(maxRelDiff(g, f) < 1e-6);
});

function padThenConv(explicitPad: boolean): Uint8Array {
  const b = new NetBuilder(4);
  let x = b.input('x', [1, 3, 7, 7]);
  const w = b.init([4, 3, 3, 3], b.randn(108, 0.3));
  if (explicitPad) {
    x = b.node('Pad', [x, b.ints([0, 0, 2, 1, 0, 0, 0, 1])]);
    x = b.node('Conv', [x, w], { kernel_shape: [3, 3], strides: [2, 2] });
  } else {
    x = b.node('Conv', [x, w], { kernel_shape: [3, 3], strides: [2, 2], pads: [2, 1, 0, 1] });
  }
  b.output(x, [1, 4, 4, 4]);
  return b.build();
}

test('fuse-pad: Pad + Conv becomes one conv with explicit padding; int8 result identical to a padded conv', () => {
  const g = importOnnx(padThenConv(true), 'pad.onnx');
  const f = fusePad(g);
  verifyGraph(f, 'fuse-pad');
  assert.equal(types(f), ['CONV_2D']);
  assert.equal([f.ops[0].options.padTop, f.ops[0].options.padBottom, f.ops[0].options.padLeft, f.ops[0].options.padRight], [2, 0, 1, 1]);
  assert.ok(maxRelDiff(g, f) < 1e-6);
  const samples = randomInputs(g, 8, 5);
  const a = convertModel(padThenConv(true), 'm.onnx', { quantize: { samples } });
  const b = convertModel(padThenConv(false), 'm.onnx', { quantize: { samples } });
  assert.equal(a.graph.ops.map((o) => o.kernel), b.graph.ops.map((o) => o.kernel));
});

test('--dump-after shows the graph after a named pass', () => {
  const lines: string[] = [];
  const g = importOnnx(padThenConv(true), 'pad.onnx');
  convertModel(padThenConv(true), 'pad.onnx', { dumpAfter: ['import', 'fuse-pad'], log: (l) => lines.push(l), quantize: { samples: randomInputs(g, 2, 1) } });
  assert.is(lines.length, 2);
  assert.match(lines[0], /--- after import\n.*\n  0: PAD/);
  assert.match(lines[1], /--- after fuse-pad\n.*\n  0: CONV_2D.*"padding":"EXPLICIT"/);
});

test.run();
