// npm run report:compression -- the compression table of docs/compression.md, measured.
// For each model: .epk bytes / .tflite bytes for (a) int8 + Huffman, (b) 4-bit codebook
// + Huffman, (c) 50% magnitude pruning + 4-bit codebook + Huffman, with top-1 agreement and
// output SQNR against the uncompressed model on the golden inputs and on the real inputs
// in ../shared/data; then sww_dscnn_int8 accuracy on its 45 labelled samples under (b).
// Flags: --cifar N (CIFAR-10 images for ic_resnet8, default 200), --models a,b, --only abcde.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { CompressOptions, convertModel, importModel } from '../src/convert.js';
import { ModelFidelity, argmax, compareModels } from '../src/compress/report.js';
import { readEpk } from '../src/format/reader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { parseNpz } from '../src/io/npy.js';

const SHARED = join(process.cwd(), '..', 'shared');
const read = (p: string) => new Uint8Array(readFileSync(p));
const arg = (flag: string) => { const i = process.argv.indexOf(flag); return i > 0 ? process.argv[i + 1] : undefined; };
const CIFAR = Number(arg('--cifar') ?? 200);

export const VARIANTS: [string, CompressOptions][] = [
  ['(a) int8+Huffman', { huffman: true }],
  ['(b) 4-bit codebook+Huffman', { codebook: 4, huffman: true }],
  ['(c) 50% prune+4-bit codebook+Huffman', { prune: 0.5, codebook: 4, huffman: true }],
  ['(d) 4-bit per-channel codebook+Huffman', { codebook: 4, perChannelCodebook: true, huffman: true }],
  ['(e) 4-bit codebook+Huffman on every filter', { codebook: 4, huffman: true }],
];

/** Options of a variant for one model: (e) names every filter, so small-row ones are shared too. */
function optionsFor(label: string, opts: CompressOptions, src: Uint8Array, model: string): CompressOptions {
  if (!label.startsWith('(e)')) return opts;
  const kinds = ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'];
  const layers = Object.fromEntries(importModel(src, model).ops.filter((o) => kinds.includes(o.type)).map((o) => [o.sourceIndex, 4]));
  return { ...opts, codebookLayers: layers };
}

/** --only be: the variants whose letters are listed (default all). */
function selected(): [string, CompressOptions][] {
  const only = arg('--only');
  return VARIANTS.filter(([label]) => !only || only.includes(label[1]));
}

function goldenInputs(model: string): Uint8Array[] {
  const dir = join(SHARED, 'golden', model);
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  return m.cases.map((c: { input: string }) => read(join(dir, c.input)));
}

/** Real inputs from ../shared/data, and labels where they exist. */
function realInputs(model: string): { inputs: Uint8Array[]; labels?: number[]; what: string } {
  const d = join(SHARED, 'data');
  if (model === 'person_detect') return { inputs: ['person', 'no_person'].map((n) => read(join(d, 'person_detect', `${n}_input_int8.bin`))), labels: [1, 0], what: 'person/no_person' };
  if (model === 'kws_dscnn_int8') return { inputs: [read(join(d, 'kws', 'kws_sample_input_int8_49x10.bin'))], what: 'kws sample' };
  if (model === 'mobilenet_v2_224_nchw_int8') return { inputs: [read(join(d, 'mobilenet_v2_224', 'dog_input_int8_nchw.bin'))], what: 'dog' };
  if (model === 'ic_resnet8_int8') {
    const all = read(join(d, 'cifar10', 'cifar10_test_dev1000_u8_rgb_hwc.bin'));
    const labels = readFileSync(join(d, 'cifar10', 'labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
    const step = Math.max(1, Math.floor(1000 / CIFAR));
    const picks = Array.from({ length: Math.min(CIFAR, 1000) }, (_, i) => i * step).filter((i) => i < 1000);
    return { inputs: picks.map((i) => all.slice(i * 3072, (i + 1) * 3072).map((u) => (u - 128) & 0xff)), labels: picks.map((i) => labels[i]), what: `${picks.length} CIFAR-10 images` };
  }
  return { inputs: [], what: '-' };
}

async function accuracy(epk: Uint8Array, inputs: Uint8Array[], labels: number[]): Promise<number> {
  const m = await loadModelNode(epk, 'simd');
  let ok = 0;
  inputs.forEach((x, i) => { if (argmax(new Int8Array(m.run(x)[0].buffer)) === labels[i]) ok++; });
  return ok / inputs.length;
}

/** sww: specs float64 (45,30,1,40) quantized with the model's input scale / zero point. */
function swwSamples(epk: Uint8Array): { inputs: Uint8Array[]; labels: number[] } {
  const z = parseNpz(read(join(SHARED, 'data', 'sww', 'calibration_samples.npz')), 'calibration_samples.npz');
  const specs = z.get('specs')!, labels = z.get('labels')!;
  const e = readEpk(epk);
  const inT = e.tensors[e.inputs[0]];
  const per = inT.bytes;
  const inputs = Array.from({ length: specs.shape[0] }, (_, s) => {
    const x = new Uint8Array(per);
    for (let i = 0; i < per; i++) x[i] = Math.max(-128, Math.min(127, Math.round(Number(specs.data[s * per + i]) / inT.scale) + inT.zeroPoint)) & 0xff;
    return x;
  });
  return { inputs, labels: Array.from(labels.data as Float64Array, Number) };
}

const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
const db = (v: number) => (v === Infinity ? 'exact' : `${v.toFixed(1)}`);
const fid = (f: ModelFidelity) => `${pct(f.top1Agreement)} / ${db(f.outputSqnrDb)}`;

async function main(): Promise<void> {
  if (!existsSync(join(SHARED, 'models'))) throw new Error(`${SHARED}/models is absent`);
  const models = ['person_detect', 'ic_resnet8_int8', 'kws_dscnn_int8', 'mobilenet_v2_224_nchw_int8'].filter((m) => !arg('--models') || arg('--models')!.split(',').includes(m));
  const lines = [
    '| model | variant | .epk bytes | / .tflite | golden: top-1 agree / SQNR dB | real: top-1 agree / SQNR dB | real inputs | accuracy (labelled) |',
    '|---|---|---:|---:|---|---|---|---|',
  ];
  for (const model of models) {
    const src = read(join(SHARED, 'models', `${model}.tflite`));
    const plain = convertModel(src, model).epk;
    const golden = goldenInputs(model);
    const real = realInputs(model);
    const accBase = real.labels ? await accuracy(plain, real.inputs, real.labels) : undefined;
    lines.push(`| ${model} | uncompressed int8 | ${plain.length} | ${(plain.length / src.length).toFixed(3)} | - | - | ${real.what} | ${accBase === undefined ? '-' : pct(accBase)} |`);
    for (const [label, opts] of selected()) {
      const epk = convertModel(src, model, { compress: optionsFor(label, opts, src, model) }).epk;
      const g = await compareModels(plain, epk, golden);
      const r = await compareModels(plain, epk, real.inputs);
      const acc = real.labels ? await accuracy(epk, real.inputs, real.labels) : undefined;
      lines.push(`| ${model} | ${label} | ${epk.length} | ${(epk.length / src.length).toFixed(3)} | ${fid(g)} | ${fid(r)} | ${real.what} | ${acc === undefined ? '-' : pct(acc)} |`);
      process.stderr.write(`${model} ${label} done\n`);
    }
  }
  const swwSrc = read(join(SHARED, 'models', 'sww_dscnn_int8.tflite'));
  const swwPlain = convertModel(swwSrc, 'sww_dscnn_int8').epk;
  const sww = swwSamples(swwPlain);
  lines.push('', '| sww_dscnn_int8 (45 labelled samples) | .epk / .tflite | accuracy | top-1 agree / SQNR dB |', '|---|---:|---:|---|');
  lines.push(`| uncompressed int8 | ${(swwPlain.length / swwSrc.length).toFixed(3)} | ${pct(await accuracy(swwPlain, sww.inputs, sww.labels))} | - |`);
  for (const [label, opts] of selected().filter(([l]) => !l.startsWith('(a)'))) {
    const epk = convertModel(swwSrc, 'sww_dscnn_int8', { compress: optionsFor(label, opts, swwSrc, 'sww_dscnn_int8') }).epk;
    lines.push(`| ${label} | ${(epk.length / swwSrc.length).toFixed(3)} | ${pct(await accuracy(epk, sww.inputs, sww.labels))} | ${fid(await compareModels(swwPlain, epk, sww.inputs))} |`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => {
  process.stderr.write(`compression-report: ${(e as Error).message}\n`);
  process.exit(1);
});
