// Speed of edgepack beside onnxruntime-web (wasm, one thread) on the same ONNX models,
// built in code: the MobileNet-style and ResNet-style nets, and single conv layers of
// each architecture shape (plain 3x3, grouped, 3x1, 1x3, depthwise x1 and x2).
// Reports medians and the ratio onnxruntime / edgepack measured in the same run.
// Usage: node dist/tools/bench-onnx.js [RUNS=50]

import { performance } from 'node:perf_hooks';
import { convertModel, importModel } from '../src/convert.js';
import { randomInputs } from '../src/float/calibrate.js';
import { f32Bytes } from '../src/float/sqnr.js';
import { elementCount } from '../src/ir/graph.js';
import { loadModelNode } from '../src/runtime/node.js';
import { summarize } from '../src/inspect.js';
import { NetBuilder, mobileNetStyle, resNetStyle } from '../src/testing/onnx-builder.js';

interface Case {
  name: string;
  onnx: Uint8Array;
}

function convLayer(name: string, k: [number, number], group: number, cin = 32, cout = 32, size = 32): Case {
  const b = new NetBuilder(7);
  const y = b.conv(b.input('x', [1, cin, size, size]), cin, cout, k, { group });
  b.output(y, [1, cout, size, size]);
  return { name, onnx: b.build() };
}

const CASES: Case[] = [
  { name: 'mobilenet-style 32x32', onnx: mobileNetStyle(1, 32) },
  { name: 'resnet-style 32x32', onnx: resNetStyle(2, 32) },
  convLayer('conv 3x3 32->32 @32x32', [3, 3], 1),
  convLayer('grouped 3x3 (4 groups)', [3, 3], 4),
  convLayer('conv 3x1', [3, 1], 1),
  convLayer('conv 1x3', [1, 3], 1),
  convLayer('depthwise 3x3 x1', [3, 3], 32),
  convLayer('depthwise 3x3 x2', [3, 3], 32, 32, 64),
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time(runs: number, f: () => unknown): number {
  for (let i = 0; i < 3; i++) f();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    t.push(performance.now() - t0);
  }
  return median(t);
}

async function timeAsync(runs: number, f: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await f();
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    t.push(performance.now() - t0);
  }
  return median(t);
}

type Ort = typeof import('onnxruntime-web');

async function loadOrt(): Promise<Ort | null> {
  try {
    const ort = (await import('onnxruntime-web')) as Ort;
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.simd = true;
    return ort;
  } catch (e) {
    console.log(`onnxruntime-web not available (${(e as Error).message.split('\n')[0]}); edgepack figures only`);
    return null;
  }
}

const runs = Number(process.argv[2] ?? 50);
const ort = await loadOrt();
console.log(`median ms per inference over ${runs} runs; ratio = onnxruntime-web / edgepack simd (above 1: edgepack faster)`);
console.log('model                          MACs   edgepack simd  scalar   ort-web   ratio');
for (const c of CASES) {
  const g = importModel(c.onnx, c.name);
  const { epk } = convertModel(c.onnx, c.name, { quantize: { samples: randomInputs(g, 8, 1, 0, 1) } });
  const macs = summarize(epk).macs;
  const [x] = randomInputs(g, 1, 2, 0, 1)[0];
  const simd = await loadModelNode(epk, 'simd'), scalar = await loadModelNode(epk, 'scalar');
  const bytes = f32Bytes(x);
  const tSimd = time(runs, () => simd.run(bytes));
  const tScalar = time(runs, () => scalar.run(bytes));
  let tOrt = NaN;
  if (ort) {
    const session = await ort.InferenceSession.create(c.onnx, { executionProviders: ['wasm'] });
    // onnxruntime takes NCHW: our NHWC input, transposed back.
    const s = g.tensors[g.inputs[0]].shape;
    const nchw = new Float32Array(elementCount(s));
    const [n, h, w, ch] = s;
    for (let i = 0; i < h * w * ch; i++) nchw[(i % ch) * h * w + Math.floor(i / ch)] = x[i];
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', nchw, [n, ch, h, w]) };
    tOrt = await timeAsync(runs, () => session.run(feeds));
  }
  console.log(`${c.name.padEnd(26)} ${(macs / 1e6).toFixed(2).padStart(6)}M ${tSimd.toFixed(3).padStart(10)} ${tScalar.toFixed(3).padStart(8)} ${tOrt.toFixed(3).padStart(9)} ${(tOrt / tSimd).toFixed(2).padStart(7)}`);
}
