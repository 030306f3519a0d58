// node dist/tools/bench-f32.js [--rounds N]: float32 vs int8 speed on ic_resnet8 (group f32).
// Per round, each configuration runs INVOKES invokes (interleaved, so load drifts hit all
// alike); prints the median ms per invoke and ratios against int8 simd, measured in the same run.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertModel } from '../src/convert.js';
import { loadModelNode } from '../src/runtime/node.js';

const SHARED = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'shared');
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 7);
const INVOKES = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const image = readFileSync(join(SHARED, 'data', 'cifar10', 'cifar10_test_dev1000_u8_rgb_hwc.bin')).subarray(0, 3072);
const configs: [string, { run(...i: Uint8Array[]): Uint8Array[] }, Uint8Array][] = [];
for (const [kind, file, input] of [
  ['int8', 'ic_resnet8_int8.tflite', Uint8Array.from(image, (v) => (v - 128) & 0xff)],
  ['float32', 'ic_resnet8_float32.tflite', new Uint8Array(Float32Array.from(image).buffer)],
] as const) {
  const { epk } = convertModel(readFileSync(join(SHARED, 'models', file)), file, { log: () => {} });
  for (const build of ['simd', 'scalar'] as const) configs.push([`${kind} ${build}`, await loadModelNode(epk, build), input]);
}
const times = configs.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  configs.forEach(([, m, x], i) => {
    const t0 = performance.now();
    for (let k = 0; k < INVOKES; k++) m.run(x);
    times[i].push((performance.now() - t0) / INVOKES);
  });
}
const base = median(times[0]);
configs.forEach(([name], i) => console.log(`${name.padEnd(16)} ${median(times[i]).toFixed(2).padStart(8)} ms/invoke  ${(median(times[i]) / base).toFixed(2)}x int8 simd`));
