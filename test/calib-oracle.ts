// The calibration oracle (issue 10): a float model (.tflite or .onnx, or a QDQ .onnx) is
// converted with calibration data; the graph right after quantize-int8 -- int8 tensors with
// the scales and zero points edgepack chose, QUANTIZE after each float input, DEQUANTIZE
// before each float output -- is written back as an int8 .tflite and run by tflm-run. The
// .epk's output bytes in simd, scalar and streamed must equal tflm-run's: so the quantization
// parameters are ones TFLM's int8 kernels accept and edgepack's kernels are TFLM's on them.

import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { Graph } from '../src/ir/graph.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { hasTflm, runTflm } from './tflm-oracle.js';

type BuilderDType = Parameters<TfliteBuilder['tensor']>[2];

/** The graph as a .tflite: every tensor an op or the model reads or writes, with its dtype, data and quantization. */
export function tfliteOf(g: Graph): Uint8Array {
  const b = new TfliteBuilder();
  const index = new Map<number, number>();
  const add = (t: number): number => {
    if (t < 0) return -1;
    const have = index.get(t);
    if (have !== undefined) return have;
    const x = g.tensors[t];
    const quant = x.quant ? { scale: [...x.quant.scale], zeroPoint: [...x.quant.zeroPoint], axis: x.quant.axis } : undefined;
    const dtype = x.dtype as BuilderDType;
    const i = x.data ? b.constant(x.name, x.shape, dtype, x.data as ArrayLike<number>, quant) : x.variable ? b.variable(x.name, x.shape, dtype, quant) : b.tensor(x.name, x.shape, dtype, quant);
    index.set(t, i);
    return i;
  };
  g.inputs.forEach(add);
  for (const op of g.ops) b.op(op.type, op.inputs.map(add), op.outputs.map(add), op.options);
  b.io(g.inputs.map(add), g.outputs.map(add));
  return b.finish();
}

export interface CalibratedRun {
  /** The graph after quantize-int8 (the int8 model tflm-run runs). */
  quantized: Graph;
  /** The .epk's output bytes (simd; scalar and streamed asserted equal). */
  out: Uint8Array;
  /** Whether tflm-run was there to compare with. */
  compared: boolean;
}

/**
 * Converts `model` with `samples` (or none: QDQ), runs `inputs` (one invoke, float32 bytes
 * per model input) in the three builds and tflm-run on the quantized graph; asserts equal bytes.
 */
export async function calibratedMatchesTflm(name: string, model: Uint8Array, samples: Float32Array[][] | undefined, inputs: Uint8Array[]): Promise<CalibratedRun> {
  const { epk, after } = convertModel(model, name, { quantize: samples ? { samples } : undefined, log: () => {} });
  const quantized = after['quantize-int8'];
  const builds = [await loadModelNode(epk, 'simd'), await loadModelNode(epk, 'scalar'), await loadModelStreamed(epk)];
  const outs = builds.map((m) => Buffer.concat(m.run(...inputs)));
  assert.equal(Array.from(outs[1]), Array.from(outs[0]), `${name}: scalar differs from simd`);
  assert.equal(Array.from(outs[2]), Array.from(outs[0]), `${name}: streamed differs from simd`);
  if (!hasTflm) return { quantized, out: outs[0], compared: false };
  const [want] = runTflm(tfliteOf(quantized), [inputs]);
  assert.equal(Array.from(outs[0]), Array.from(want), `${name}: differs from tflm-run on the int8 tflite`);
  return { quantized, out: outs[0], compared: true };
}

/** Op types of a graph, boundary QUANTIZE / DEQUANTIZE left out. */
export function coreOps(g: Graph): string[] {
  return g.ops.map((o) => o.type).filter((t) => t !== 'QUANTIZE' && t !== 'DEQUANTIZE');
}
