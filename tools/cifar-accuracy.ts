// CIFAR-10 top-1 of ic_resnet8: the float model quantized by edgepack (calibrated on
// the first CALIB images, u8 pixel values as floats) vs MLPerf's own int8 model run by
// edgepack (input u8 - 128), vs the float reference, on the 1000 shared test images.
// Usage: node dist/tools/cifar-accuracy.js [CALIB=300] [COUNT=1000]

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertModel, importModel } from '../src/convert.js';
import { runFloat } from '../src/float/interpret.js';
import { SqnrAccumulator, argmax, f32, f32Bytes } from '../src/float/sqnr.js';
import { loadModelNode } from '../src/runtime/node.js';

const SHARED = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared');
const PIXELS = 32 * 32 * 3;

export interface CifarResult {
  images: number;
  calibration: number;
  floatTop1: number;
  edgepackInt8Top1: number;
  mlperfInt8Top1: number;
  outputSqnrDb: number;
}

export function cifarImages(count: number): { pixels: Uint8Array[]; labels: number[] } {
  const bin = readFileSync(join(SHARED, 'data/cifar10/cifar10_test_dev1000_u8_rgb_hwc.bin'));
  const labels = readFileSync(join(SHARED, 'data/cifar10/labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
  const pixels = Array.from({ length: count }, (_, i) => new Uint8Array(bin.buffer, bin.byteOffset + i * PIXELS, PIXELS));
  return { pixels, labels: labels.slice(0, count) };
}

export async function cifarAccuracy(calib: number, count: number): Promise<CifarResult> {
  const { pixels, labels } = cifarImages(Math.max(calib, count));
  const floatBytes = new Uint8Array(readFileSync(join(SHARED, 'models/ic_resnet8_float32.tflite')));
  const samples = pixels.slice(0, calib).map((p) => [Float32Array.from(p)]);
  const ours = await loadModelNode(convertModel(floatBytes, 'ic_resnet8_float32', { quantize: { samples } }).epk);
  const mlperf = await loadModelNode(convertModel(new Uint8Array(readFileSync(join(SHARED, 'models/ic_resnet8_int8.tflite'))), 'ic_resnet8_int8').epk);
  const floatGraph = importModel(floatBytes, 'ic_resnet8_float32');
  let fTop = 0, oTop = 0, mTop = 0;
  const sqnr = new SqnrAccumulator();
  for (let i = 0; i < count; i++) {
    const x = Float32Array.from(pixels[i]);
    const ref = runFloat(floatGraph, [x])[0];
    const got = f32(ours.run(f32Bytes(x))[0]);
    const m = mlperf.run(Uint8Array.from(pixels[i], (v) => (v - 128) & 0xff))[0];
    sqnr.add(ref, got);
    if (argmax(ref) === labels[i]) fTop++;
    if (argmax(got) === labels[i]) oTop++;
    if (argmax(new Int8Array(m.buffer, m.byteOffset, m.length)) === labels[i]) mTop++;
  }
  return { images: count, calibration: calib, floatTop1: fTop / count, edgepackInt8Top1: oTop / count, mlperfInt8Top1: mTop / count, outputSqnrDb: sqnr.db };
}

if (process.argv[1]?.endsWith('cifar-accuracy.js')) {
  const calib = Number(process.argv[2] ?? 300), count = Number(process.argv[3] ?? 1000);
  const r = await cifarAccuracy(calib, count);
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  console.log(`ic_resnet8 on ${r.images} CIFAR-10 images (calibration: first ${r.calibration}):`);
  console.log(`  float reference          top-1 ${pct(r.floatTop1)}`);
  console.log(`  edgepack PTQ int8        top-1 ${pct(r.edgepackInt8Top1)}  (output SQNR vs float ${r.outputSqnrDb.toFixed(1)} dB)`);
  console.log(`  MLPerf int8 via edgepack top-1 ${pct(r.mlperfInt8Top1)}`);
  console.log(`  difference ${(100 * (r.edgepackInt8Top1 - r.mlperfInt8Top1)).toFixed(1)} points`);
}
