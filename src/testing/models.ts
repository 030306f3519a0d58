// Small int8 models built in code for the demo and the tests: deterministic weights
// from a seeded generator, scales chosen so activations use the int8 range.

import { TfliteBuilder } from './tflite-builder.js';

/** xorshift32, the generator the golden random inputs use. */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** n int8 values from the golden inputs' rule: state 0x9E3779B9 ^ (k+1), one step per byte. */
export function randomInt8(n: number, k = 0): Int8Array {
  const next = xorshift32(0x9e3779b9 ^ (k + 1));
  return Int8Array.from({ length: n }, () => (next() & 0xff) << 24 >> 24);
}

interface Layer {
  b: TfliteBuilder;
  rand: () => number;
}

function int8Weights(rand: () => number, n: number, range = 127): number[] {
  return Array.from({ length: n }, () => (rand() % (2 * range + 1)) - range);
}

/** Per-output-channel weight scales that keep each layer's output in range. */
function weightScales(rand: () => number, channels: number, fanIn: number, inScale: number, outScale: number): number[] {
  // real out ~ sqrt(fanIn) * (64 * inScale) * (73 * wScale); aim for ~40 output steps
  const base = (40 * outScale) / (Math.sqrt(fanIn) * 64 * inScale * 73);
  return Array.from({ length: channels }, () => base * (0.75 + (rand() % 1000) / 2000));
}

function conv(l: Layer, name: string, x: number, inShape: number[], outC: number, k: number, stride: number, inScale: number, outScale: number, act: string): { t: number; shape: number[] } {
  const [, h, w, c] = inShape;
  const oh = Math.ceil(h / stride), ow = Math.ceil(w / stride);
  const scales = weightScales(l.rand, outC, k * k * c, inScale, outScale);
  const wt = l.b.constant(`${name}/weights`, [outC, k, k, c], 'int8', int8Weights(l.rand, outC * k * k * c), { scale: scales, zeroPoint: scales.map(() => 0), axis: 0 });
  const bias = l.b.constant(`${name}/bias`, [outC], 'int32', Array.from({ length: outC }, (_, i) => Math.round(((l.rand() % 200) - 100) * (outScale / (inScale * scales[i])) / 20)), {
    scale: scales.map((s) => s * inScale), zeroPoint: scales.map(() => 0),
  });
  const shape = [1, oh, ow, outC];
  const t = l.b.tensor(name, shape, 'int8', { scale: [outScale], zeroPoint: [act === 'NONE' ? 0 : -128] });
  l.b.op('CONV_2D', [x, wt, bias], [t], { padding: 'SAME', strideH: stride, strideW: stride, activation: act });
  return { t, shape };
}

function depthwise(l: Layer, name: string, x: number, inShape: number[], mult: number, inScale: number, outScale: number, act: string): { t: number; shape: number[] } {
  const [, h, w, c] = inShape;
  const outC = c * mult;
  const scales = weightScales(l.rand, outC, 9, inScale, outScale);
  const wt = l.b.constant(`${name}/weights`, [1, 3, 3, outC], 'int8', int8Weights(l.rand, 9 * outC), { scale: scales, zeroPoint: scales.map(() => 0), axis: 3 });
  const shape = [1, h, w, outC];
  const t = l.b.tensor(name, shape, 'int8', { scale: [outScale], zeroPoint: [-128] });
  l.b.op('DEPTHWISE_CONV_2D', [x, wt, -1], [t], { padding: 'SAME', strideH: 1, strideW: 1, depthMultiplier: mult, activation: act });
  return { t, shape };
}

/**
 * tiny_cnn: 16x16x3 int8 image -> conv3x3/2 RELU6 -> depthwise x2 RELU -> conv1x1 ->
 * ADD (residual with a 1x1 projection) -> average pool -> reshape -> FC(10) -> softmax.
 * 9 ops of 8 kinds (the reshape becomes an alias); 47,776 MACs.
 */
export function buildTinyCnn(seed = 7): Uint8Array {
  const b = new TfliteBuilder();
  const l: Layer = { b, rand: xorshift32(seed) };
  const inScale = 1 / 64;
  const x = b.tensor('image', [1, 16, 16, 3], 'int8', { scale: [inScale], zeroPoint: [0] });
  const c1 = conv(l, 'stem', x, [1, 16, 16, 3], 8, 3, 2, inScale, 0.05, 'RELU6');
  const d1 = depthwise(l, 'dw', c1.t, c1.shape, 2, 0.05, 0.05, 'RELU');
  const p1 = conv(l, 'project', d1.t, d1.shape, 16, 1, 1, 0.05, 0.08, 'NONE');
  const s1 = conv(l, 'shortcut', c1.t, c1.shape, 16, 1, 1, 0.05, 0.08, 'NONE');
  const sum = b.tensor('residual', [1, 8, 8, 16], 'int8', { scale: [0.1], zeroPoint: [-20] });
  b.op('ADD', [p1.t, s1.t], [sum], { activation: 'RELU' });
  const pooled = b.tensor('pooled', [1, 1, 1, 16], 'int8', { scale: [0.1], zeroPoint: [-20] });
  b.op('AVERAGE_POOL_2D', [sum], [pooled], { padding: 'VALID', strideH: 8, strideW: 8, filterH: 8, filterW: 8 });
  const shapeT = b.constant('flatten/shape', [2], 'int32', [1, 16]);
  const flat = b.tensor('flatten', [1, 16], 'int8', { scale: [0.1], zeroPoint: [-20] });
  b.op('RESHAPE', [pooled, shapeT], [flat]);
  const fcScale = 0.004;
  const fw = b.constant('logits/weights', [10, 16], 'int8', int8Weights(l.rand, 160), { scale: [fcScale], zeroPoint: [0] });
  const fb = b.constant('logits/bias', [10], 'int32', Array.from({ length: 10 }, () => (l.rand() % 2000) - 1000), { scale: [0.1 * fcScale], zeroPoint: [0] });
  const logits = b.tensor('logits', [1, 10], 'int8', { scale: [0.15], zeroPoint: [3] });
  b.op('FULLY_CONNECTED', [flat, fw, fb], [logits]);
  const probs = b.tensor('probabilities', [1, 10], 'int8', { scale: [1 / 256], zeroPoint: [-128] });
  b.op('SOFTMAX', [logits], [probs], { beta: 1 });
  b.io([x], [probs]);
  return b.finish();
}

/** One layer of buildRowNet: a conv, depthwise or pool with its geometry. */
export interface RowLayer {
  op: 'CONV_2D' | 'DEPTHWISE_CONV_2D' | 'MAX_POOL_2D' | 'AVERAGE_POOL_2D';
  k: number;
  stride: number;
  padding: 'SAME' | 'VALID';
  /** Output channels (conv); depthwise and pools keep the input's. */
  outC?: number;
  dilation?: number;
}

function outSide(side: number, k: number, stride: number, dilation: number, padding: 'SAME' | 'VALID'): number {
  return padding === 'SAME' ? Math.ceil(side / stride) : Math.floor((side - (k - 1) * dilation - 1) / stride) + 1;
}

/**
 * A chain of convs, depthwise convs and pools over a [1, h, w, c] int8 image, each layer
 * reading only the previous one's output (so each input dies at its consumer: the shapes
 * the memory planner may overlap, test/overlap.test.ts). Activations RELU, scales 0.05.
 */
export function buildRowNet(layers: RowLayer[], inShape = [1, 12, 12, 4], seed = 11): Uint8Array {
  const b = new TfliteBuilder();
  const l: Layer = { b, rand: xorshift32(seed) };
  const scale = 0.05;
  let shape = inShape;
  const image = b.tensor('image', shape, 'int8', { scale: [scale], zeroPoint: [-128] });
  let x = image;
  layers.forEach((layer, i) => {
    const [, h, w, c] = shape;
    const d = layer.dilation ?? 1;
    const outC = layer.op === 'CONV_2D' ? layer.outC ?? c : c;
    const next = [1, outSide(h, layer.k, layer.stride, d, layer.padding), outSide(w, layer.k, layer.stride, d, layer.padding), outC];
    const y = b.tensor(`layer${i}`, next, 'int8', { scale: [scale], zeroPoint: [-128] });
    const geometry = { padding: layer.padding, strideH: layer.stride, strideW: layer.stride, activation: 'RELU' };
    if (layer.op === 'MAX_POOL_2D' || layer.op === 'AVERAGE_POOL_2D') {
      b.op(layer.op, [x], [y], { ...geometry, filterH: layer.k, filterW: layer.k });
    } else {
      const fanIn = layer.op === 'CONV_2D' ? layer.k * layer.k * c : layer.k * layer.k;
      const scales = weightScales(l.rand, outC, fanIn, scale, scale);
      const wShape = layer.op === 'CONV_2D' ? [outC, layer.k, layer.k, c] : [1, layer.k, layer.k, outC];
      const wt = b.constant(`layer${i}/weights`, wShape, 'int8', int8Weights(l.rand, outC * fanIn), { scale: scales, zeroPoint: scales.map(() => 0), axis: layer.op === 'CONV_2D' ? 0 : 3 });
      const bias = b.constant(`layer${i}/bias`, [outC], 'int32', Array.from({ length: outC }, () => (l.rand() % 2001) - 1000), { scale: scales.map((s) => s * scale), zeroPoint: scales.map(() => 0) });
      b.op(layer.op, [x, wt, bias], [y], { ...geometry, dilationH: d, dilationW: d, depthMultiplier: 1 });
    }
    x = y;
    shape = next;
  });
  b.io([image], [x]);
  return b.finish();
}

/**
 * x [1, 6, 6, 8] -> 3x3 depthwise (SAME, depth multiplier 1) -> y: the converter gives it the
 * packed layout (bias + requant table), what the load-check and widening tests edit.
 */
export function buildDepthwise8(): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, 6, 6, 8], 'int8', { scale: [0.02], zeroPoint: [-3] });
  const w = b.constant('w', [1, 3, 3, 8], 'int8', Array.from({ length: 72 }, (_, i) => ((i * 29) % 201) - 100), { scale: Array(8).fill(0.01), zeroPoint: Array(8).fill(0), axis: 3 });
  const y = b.tensor('y', [1, 6, 6, 8], 'int8', { scale: [0.05], zeroPoint: [3] });
  b.op('DEPTHWISE_CONV_2D', [x, w], [y], { padding: 'SAME', strideH: 1, strideW: 1, depthMultiplier: 1, activation: 'NONE' });
  b.io([x], [y]);
  return b.finish();
}
