// npm run demo: builds a small CNN in code (no third-party file), converts it to .epk,
// prints the inspect summary, runs it in both runtime builds and prints the result.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { formatSummary, summarize } from '../src/inspect.js';
import { loadModelNode } from '../src/runtime/node.js';
import { buildTinyCnn, randomInt8 } from '../src/testing/models.js';

const outDir = join('build', 'demo');
mkdirSync(outDir, { recursive: true });
const tflite = buildTinyCnn();
writeFileSync(join(outDir, 'tiny_cnn.tflite'), tflite);
const { epk } = convertModel(tflite, 'tiny_cnn.tflite');
writeFileSync(join(outDir, 'tiny_cnn.epk'), epk);
console.log(`built tiny_cnn.tflite (${tflite.length} bytes) -> tiny_cnn.epk (${epk.length} bytes) in ${outDir}\n`);
console.log(formatSummary(summarize(epk)));

const input = new Uint8Array(randomInt8(16 * 16 * 3).buffer);
const results: Record<string, Uint8Array> = {};
for (const target of ['scalar', 'simd'] as const) {
  const model = await loadModelNode(epk, target);
  const [out] = model.run(input);
  results[target] = out;
  const probs = Array.from(new Int8Array(out.buffer), (q) => (q + 128) / 256);
  const top = probs.indexOf(Math.max(...probs));
  console.log(`\n${target}: class probabilities ${probs.map((p) => p.toFixed(3)).join(' ')}  -> top-1 class ${top}`);
}
const same = results.scalar.every((b, i) => b === results.simd[i]);
console.log(`\nscalar and simd outputs ${same ? 'are bit-identical' : 'DIFFER'}`);
if (!same) process.exitCode = 1;

// The same model with every filter on a 4-bit codebook, Huffman-packed where it pays.
const small = convertModel(tflite, 'tiny_cnn.tflite', { compress: { codebookLayers: { 0: 4, 1: 4, 2: 4, 3: 4, 7: 4 }, huffman: true } }).epk;
writeFileSync(join(outDir, 'tiny_cnn-4bit.epk'), small);
const [compressed] = (await loadModelNode(small, 'simd')).run(input);
const toProbs = (o: Uint8Array) => Array.from(new Int8Array(o.buffer, o.byteOffset, o.length), (q) => (q + 128) / 256);
const plainProbs = toProbs(results.simd), smallProbs = toProbs(compressed);
const top = (p: number[]) => p.indexOf(Math.max(...p));
const maxDiff = Math.max(...plainProbs.map((p, i) => Math.abs(p - smallProbs[i])));
console.log(`\n4-bit codebook + Huffman: ${small.length} bytes (${(small.length / epk.length).toFixed(2)}x the int8 .epk), ` +
  `top-1 class ${top(smallProbs)} (int8: ${top(plainProbs)}), largest probability change ${maxDiff.toFixed(3)}`);
