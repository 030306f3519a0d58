// A 200-input calibration batch for mobilenet_v2_224_nchw_int8, from the shared CIFAR-10 dev
// set: images index % 5 == 0, each pixel repeated 7x7 (32 -> 224), ImageNet mean / std, then
// quantized with the model input's scale and zero point, NCHW -- the bytes `run` and
// `convert --calibrate` take (200 x 150528 B). docs/compression.md times the conversion on it:
//   node dist/tools/mobilenet-calibration.js mb_calib200.bin
//   time npx edgepack convert ../shared/models/mobilenet_v2_224_nchw_int8.tflite -o mb.epk \
//     --codebook 4 --huffman --calibrate mb_calib200.bin
// Usage: node dist/tools/mobilenet-calibration.js OUT.bin [--count N]

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { importModel } from '../src/convert.js';
import { writeAtomic } from '../src/cli/io.js';

const SHARED = join(process.cwd(), '..', 'shared');
const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];
const SIDE = 224, UP = 7, CIFAR = 32, IMAGE = CIFAR * CIFAR * 3;

/** One CIFAR-10 image (u8 RGB HWC) as the model's int8 NCHW input. */
function toInput(rgb: Uint8Array, scale: number, zeroPoint: number): Uint8Array {
  const out = new Uint8Array(3 * SIDE * SIDE);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const v = (rgb[(Math.floor(y / UP) * CIFAR + Math.floor(x / UP)) * 3 + c] / 255 - MEAN[c]) / STD[c];
        out[(c * SIDE + y) * SIDE + x] = Math.max(-128, Math.min(127, Math.round(v / scale) + zeroPoint)) & 0xff;
      }
    }
  }
  return out;
}

function main(): void {
  const { values, positionals } = parseArgs({ args: process.argv.slice(2), allowPositionals: true, options: { count: { type: 'string', default: '200' } } });
  const [outPath] = positionals, count = Number(values.count);
  if (!outPath || !(count >= 1)) throw new Error('usage: node dist/tools/mobilenet-calibration.js OUT.bin [--count N]');
  const model = importModel(readFileSync(join(SHARED, 'models', 'mobilenet_v2_224_nchw_int8.tflite')), 'mobilenet_v2_224_nchw_int8.tflite');
  const input = model.tensors[model.inputs[0]];
  const scale = input.quant!.scale[0], zeroPoint = input.quant!.zeroPoint[0];
  const cifar = readFileSync(join(SHARED, 'data', 'cifar10', 'cifar10_test_dev1000_u8_rgb_hwc.bin'));
  const picked = Array.from({ length: Math.floor(cifar.length / IMAGE) }, (_, i) => i).filter((i) => i % 5 === 0).slice(0, count);
  if (picked.length < count) throw new Error(`only ${picked.length} images with index % 5 == 0 in the dev set`);
  const batch = new Uint8Array(picked.length * 3 * SIDE * SIDE);
  picked.forEach((i, k) => batch.set(toInput(cifar.subarray(i * IMAGE, (i + 1) * IMAGE), scale, zeroPoint), k * 3 * SIDE * SIDE));
  writeAtomic(outPath, batch);
  console.log(`${outPath}: ${picked.length} inputs x ${3 * SIDE * SIDE} B (scale ${scale}, zero point ${zeroPoint})`);
}

main();
