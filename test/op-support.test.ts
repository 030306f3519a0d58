// What edgepack refuses and how it says so (src/passes/check-ops.ts): a custom op, a builtin
// without a kernel (recurrent ops naming their variable tensors), int16 activations, an SVDF
// state type edgepack does not run. Each
// model is built in code; each error is one line naming the op, its index and the tensor.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { ConvertError } from '../src/ir/graph.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';

const q = (scale: number, zeroPoint = 0) => ({ scale: [scale], zeroPoint: [zeroPoint] });

function refused(model: Uint8Array, name: string, pattern: RegExp): string {
  try {
    convertModel(model, name, { log: () => {} });
  } catch (e) {
    assert.instance(e, ConvertError, String(e));
    const m = (e as Error).message;
    assert.match(m, pattern);
    assert.not.match(m, /before it is produced|graph invalid/, m);
    assert.not.match(m, /\n/, 'one line');
    return m;
  }
  assert.unreachable(`${name} converted`);
  return '';
}

test('a custom op is named, with its code, as outside edgepack', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 8], 'int8', q(0.1));
  const y = b.tensor('y', [1, 8], 'int8', q(0.1));
  const z = b.tensor('z', [1, 8], 'int8', q(0.1));
  b.op('ADD', [x, x], [y]);
  b.op('CUSTOM:ethos-u', [y], [z]);
  b.io([x], [z]);
  refused(b.finish(), 'npu.tflite', /^npu\.tflite: op 1 \(CUSTOM:ethos-u\) is the custom op "ethos-u", which is outside edgepack: it runs TFLite builtin ops only/);
  const s = new TfliteBuilder();
  const a = s.tensor('audio', [1, 480], 'int16');
  const f = s.tensor('features', [1, 40], 'uint8');
  s.op('CUSTOM:SignalWindow', [a], [f]);
  s.io([a], [f]);
  refused(s.finish(), 'frontend.tflite', /op 0 \(CUSTOM:SignalWindow\) is the custom op "SignalWindow", which is outside edgepack/);
});

test('SVDF: converts with its state as a variable tensor; a state edgepack does not run (int8) is named', () => {
  const svdf = (stateType: 'int16' | 'int8', stateIo?: 'input' | 'output') => {
    const b = new TfliteBuilder();
    const x = b.tensor('x', [1, 16], 'int8', q(0.05));
    const wf = b.constant('tfl.pseudo_qconst', [8, 16], 'int8', new Array(128).fill(3), q(0.01));
    const wt = b.constant('tfl.pseudo_qconst1', [8, 10], 'int16', new Array(80).fill(5), q(0.001));
    const bias = b.constant('bias', [4], 'int32', [1, 2, 3, 4], q(Math.fround(0.002 * 0.001)));
    const state = b.variable('svdf_state', [1, 80], stateType, q(0.002));
    const y = b.tensor('y', [1, 4], 'int8', q(0.1));
    b.op('SVDF', [x, wf, wt, bias, state], [y], { rank: 2 });
    b.io(stateIo === 'input' ? [x, state] : [x], stateIo === 'output' ? [y, state] : [y]);
    return b.finish();
  };
  const { epk } = convertModel(svdf('int16'), 'kws.tflite', { log: () => {} });
  assert.ok(epk.length > 0);
  refused(svdf('int8'), 'kws.tflite', /^kws\.tflite: op 0 \(SVDF\): state "svdf_state" is int8; supported: int16/);
  // a state listed as a model output or input (found by npm run fuzz: converted, then no build loaded it)
  refused(svdf('int16', 'output'), 'kws.tflite', /^kws\.tflite: tensor 4 "svdf_state" is a model output and a variable \(state\) tensor; edgepack keeps state inside the model only$/);
  refused(svdf('int16', 'input'), 'kws.tflite', /^kws\.tflite: tensor 4 "svdf_state" is a model input and a variable \(state\) tensor/);
});

test('a variable tensor used other than as an SVDF\'s state is named (edgepack keeps no other state)', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4], 'int8', q(0.1));
  const acc = b.variable('accumulator', [1, 4], 'int8', q(0.1));
  const y = b.tensor('y', [1, 4], 'int8', q(0.1));
  b.op('ADD', [x, acc], [y]);
  b.io([x], [y]);
  refused(b.finish(), 'acc.tflite', /^acc\.tflite: op 0 \(ADD\): uses variable tensor 1 "accumulator" other than as an SVDF's state \(input 4\) or an LSTM's hidden and cell state \(inputs 18, 19\); edgepack keeps state for those only/);
});

test('UNIDIRECTIONAL_SEQUENCE_LSTM: a state tensor without the variable flag is named (was: reads "cell_state" before it is produced)', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 5, 4], 'int8', q(0.05));
  const w = (name: string, shape: number[]) => b.constant(name, shape, 'int8', new Array(shape[0] * shape[1]).fill(1), q(0.01));
  const inputs = [x];
  for (let k = 0; k < 4; k++) inputs.push(w(`input_to_gate_${k}`, [3, 4]));
  for (let k = 0; k < 4; k++) inputs.push(w(`recurrent_to_gate_${k}`, [3, 3]));
  inputs.push(-1, -1, -1); // no peepholes
  for (let k = 0; k < 4; k++) inputs.push(b.constant(`gate_bias_${k}`, [3], 'int32', [0, 0, 0]));
  inputs.push(-1, -1); // no projection
  const outState = b.variable('tfl.pseudo_qconst', [1, 3], 'int8', q(0.05));
  const cellState = b.tensor('cell_state', [1, 3], 'int16', q(2 ** -11)); // state without the variable flag: never produced
  inputs.push(outState, cellState, -1, -1, -1, -1);
  const y = b.tensor('y', [1, 5, 3], 'int8', q(0.05));
  b.op('UNIDIRECTIONAL_SEQUENCE_LSTM', inputs, [y]);
  b.io([x], [y]);
  refused(b.finish(), 'lstm.tflite',
    /^lstm\.tflite: op 0 \(UNIDIRECTIONAL_SEQUENCE_LSTM\): state "cell_state" must be a variable tensor \(is_variable, no buffer; input 19\)$/);
});

test('any other builtin without a kernel: "op N (NAME) is not supported" and the supported list', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 4], 'int8', q(0.1));
  const y = b.tensor('y', [1, 4], 'int8', q(0.1));
  const z = b.tensor('z', [1, 4], 'int8', q(0.1));
  b.op('ADD', [x, x], [y]);
  b.op('NEG', [y], [z]);
  b.io([x], [z]);
  const m = refused(b.finish(), 'neg.tflite', /^neg\.tflite: op 1 \(NEG\) is not supported; supported ops: CONV_2D, /);
  assert.not.match(m, /variable/);
});

test('int16 activations (16x8): named with op, tensor index and name', () => {
  const b = new TfliteBuilder();
  const x = b.tensor('x16', [1, 8], 'int16', q(0.001));
  const w = b.constant('w', [4, 8], 'int8', new Array(32).fill(2), q(0.01));
  const bias = b.constant('bias', [4], 'int64', [0, 0, 0, 0], q(0.00001));
  const y = b.tensor('y16', [1, 4], 'int16', q(0.002));
  b.op('FULLY_CONNECTED', [x, w, bias], [y]);
  b.io([x], [y]);
  const fc16 = convertModel(b.finish(), 'fc16.tflite', { log: () => {} }); // 16x8 FULLY_CONNECTED converts
  assert.ok(fc16.epk.length > 0);
  // an op without an int16 kernel: refused by name, listing the 16x8 ops
  const sm = new TfliteBuilder();
  const sx = sm.tensor('s16', [1, 8], 'int16', q(0.001));
  const sy = sm.tensor('p16', [1, 8], 'int16', q(1 / 32768));
  sm.op('LOGISTIC', [sx], [sy]);
  sm.io([sx], [sy]);
  refused(sm.finish(), 'sm16.tflite', /^sm16\.tflite: op 0 \(LOGISTIC\): tensor 0 "s16" holds int16 activations; int16 \(16x8\) activations are supported as the input of [A-Z_0-9, ]+ only$/);
  // int8 in, int16 out of an op edgepack runs in int8: the output is named
  const c = new TfliteBuilder();
  const a = c.tensor('a', [1, 8], 'int8', q(0.1));
  const o = c.tensor('o', [1, 8], 'int16', q(0.001));
  c.op('LOGISTIC', [a], [o]);
  c.io([a], [o]);
  refused(c.finish(), 'q16.tflite', /op 0 \(LOGISTIC\): tensor 1 "o" holds int16 activations/);
});

test.run();
