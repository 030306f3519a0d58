// npm run bench:lut -- latency cost of packed weights against plain int8, same process,
// same inputs: each model converted plainly, with 4-bit codebook indices read through the
// LUT kernels (--pack codebook), and Huffman-coded (decoded tile by tile into scratch,
// --pack huffman). The machine is shared, so variants run interleaved, one inference each
// per round (load drift hits all alike); prints per-variant medians and the ratio to plain
// int8, per build. Flags: --models a,b (default kws_dscnn_int8,person_detect), --rounds N.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { CompressOptions, convertModel, importModel } from '../src/convert.js';
import { loadModelNode } from '../src/runtime/node.js';

const SHARED = join(process.cwd(), '..', 'shared');
const arg = (f: string) => { const i = process.argv.indexOf(f); return i > 0 ? process.argv[i + 1] : undefined; };
const MODELS = (arg('--models') ?? 'kws_dscnn_int8,person_detect').split(',');
const ROUNDS = Number(arg('--rounds') ?? 40);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Every filter named, so each conv / depthwise / FC runs packed. */
function variants(src: Uint8Array, model: string): [string, CompressOptions][] {
  const kinds = ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'];
  const all = Object.fromEntries(importModel(src, model).ops.filter((o) => kinds.includes(o.type)).map((o) => [o.sourceIndex, 4]));
  return [
    ['plain int8', {}],
    ['codebook 4b (LUT)', { codebookLayers: all, pack: 'codebook' }],
    ['codebook 4b per-channel (LUT)', { codebookLayers: all, perChannelCodebook: true, pack: 'codebook' }],
    ['int8+Huffman (tiles)', { huffman: true, pack: 'huffman' }],
    ['codebook 4b+Huffman (tiles)', { codebookLayers: all, pack: 'codebook+huffman' }],
  ];
}

async function main(): Promise<void> {
  process.stdout.write(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, node ${process.version}; median of ${ROUNDS} interleaved rounds\n\n`);
  process.stdout.write('| model | build | variant | median ms | vs plain int8 |\n|---|---|---|---:|---:|\n');
  for (const model of MODELS) {
    const src = new Uint8Array(readFileSync(join(SHARED, 'models', `${model}.tflite`)));
    const manifest = JSON.parse(readFileSync(join(SHARED, 'golden', model, 'manifest.json'), 'utf8'));
    const input = new Uint8Array(readFileSync(join(SHARED, 'golden', model, manifest.cases[0].input)));
    for (const target of ['simd', 'scalar'] as const) {
      const runs = [];
      for (const [name, opts] of variants(src, model)) {
        const m = await loadModelNode(convertModel(src, model, { compress: opts }).epk, target);
        m.run(input); // warm-up
        runs.push({ name, run: () => m.run(input), ms: [] as number[] });
      }
      for (let r = 0; r < ROUNDS; r++) {
        for (const v of runs) {
          const t0 = performance.now();
          v.run();
          v.ms.push(performance.now() - t0);
        }
      }
      const base = median(runs[0].ms);
      for (const v of runs) {
        const p50 = median(v.ms);
        process.stdout.write(`| ${model} | ${target} | ${v.name} | ${p50.toFixed(2)} | ${(p50 / base).toFixed(2)}x |\n`);
      }
    }
  }
}

main().catch((e) => {
  process.stderr.write(`bench-lut: ${(e as Error).message}\n`);
  process.exit(1);
});
