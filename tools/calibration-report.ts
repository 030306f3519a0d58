// The calibrated-compression tables of docs/compression.md, measured.
// ic_resnet8_int8: calibration = every fifth image of the shared CIFAR-10 dev set (index % 5
// == 0: 200 images, 20 per class), evaluation = the other 800 with their labels; variants:
// plain int8, 4-bit codebook + Huffman data-free and calibrated, --size-budget 0.35 and 0.30.
// sww_dscnn_int8: its 45 labelled samples, calibration = index % 3 != 0 (30), evaluation = the
// other 15. The other shared models have at most two real inputs: calibration = their real
// input(s) named below + golden random inputs 0..7, evaluation = the held-back real input (if
// any) + golden random inputs 8..15 (xorshift bytes: far from real data; agreement on them is
// a weak measure, said so in the docs).
// Usage: node dist/tools/calibration-report.js [--models a,b] [--sequential] (calibrated rows on
// sequential statistics, convert --sequential)

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompressOptions, convertModel, importModel } from '../src/convert.js';
import { convertCalibrated } from '../src/compress/calibrated.js';
import { convertToBudget } from '../src/compress/budget.js';
import { EvalAccumulator, realOutput } from '../src/compress/evaluate.js';
import { loadModelNode } from '../src/runtime/node.js';
import { parseNpz } from '../src/io/npy.js';

const SHARED = join(process.cwd(), '..', 'shared');
const read = (p: string) => new Uint8Array(readFileSync(join(SHARED, p)));
const arg = (flag: string) => { const i = process.argv.indexOf(flag); return i > 0 ? process.argv[i + 1] : undefined; };
const log = (l: string) => process.stderr.write(l + '\n');

interface DataSplit {
  calib: Uint8Array[];
  evalInputs: Uint8Array[];
  labels?: number[];
  note: string;
}

function cifar(): DataSplit {
  const bin = read('data/cifar10/cifar10_test_dev1000_u8_rgb_hwc.bin');
  const labels = new TextDecoder().decode(read('data/cifar10/labels.csv')).trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
  const image = (i: number) => Uint8Array.from(bin.subarray(i * 3072, (i + 1) * 3072), (v) => (v - 128) & 0xff);
  const idx = Array.from({ length: 1000 }, (_, i) => i);
  return {
    calib: idx.filter((i) => i % 5 === 0).map(image),
    evalInputs: idx.filter((i) => i % 5 !== 0).map(image),
    labels: idx.filter((i) => i % 5 !== 0).map((i) => labels[i]),
    note: 'calibration: CIFAR-10 dev images i % 5 == 0 (200); evaluation: the other 800, labelled',
  };
}

function sww(src: Uint8Array): DataSplit {
  const npz = parseNpz(read('data/sww/calibration_samples.npz'));
  const specs = npz.get('specs')!.data as Float64Array, labels = Array.from(npz.get('labels')!.data as Float64Array);
  const g = importModel(src, 'sww');
  const q = g.tensors[g.inputs[0]].quant!;
  const n = 30 * 40;
  const sample = (i: number) => Uint8Array.from(specs.subarray(i * n, (i + 1) * n), (x) => Math.max(-128, Math.min(127, Math.round(x / q.scale[0]) + q.zeroPoint[0])) & 0xff);
  const idx = labels.map((_, i) => i);
  return {
    calib: idx.filter((i) => i % 3 !== 0).map(sample),
    evalInputs: idx.filter((i) => i % 3 === 0).map(sample),
    labels: idx.filter((i) => i % 3 === 0).map((i) => labels[i]),
    note: 'calibration: samples i % 3 != 0 (30); evaluation: the other 15, labelled',
  };
}

function golden(model: string, calibReal: string[], evalReal: string[], calibRandom = 8): DataSplit {
  const g = (f: string) => read(`golden/${model}/${f}`);
  const rand = (k: number) => g(`input_rand_${k}.bin`);
  return {
    calib: [...calibReal.map(g), ...Array.from({ length: calibRandom }, (_, k) => rand(k))],
    evalInputs: [...evalReal.map(g), ...Array.from({ length: 8 }, (_, k) => rand(8 + k))],
    note: `calibration: ${[...calibReal, `golden random 0..${calibRandom - 1}`].join(' + ')}; evaluation: ${[...evalReal, 'golden random 8..15'].join(' + ')}`,
  };
}

const MODELS: Record<string, (src: Uint8Array) => DataSplit> = {
  ic_resnet8_int8: cifar,
  sww_dscnn_int8: sww,
  kws_dscnn_int8: () => golden('kws_dscnn_int8', ['input_kws_sample_int8_49x10.bin'], []),
  person_detect: () => golden('person_detect', ['input_person_input_int8.bin'], ['input_no_person_input_int8.bin']),
  hello_world_int8: () => golden('hello_world_int8', [], []),
  micro_speech_int8: () => golden('micro_speech_int8', [], []),
  mobilenet_v2_224_nchw_int8: () => golden('mobilenet_v2_224_nchw_int8', [], [], 4),
};

async function measure(epk: Uint8Array, plain: Uint8Array, d: DataSplit): Promise<{ acc?: number; agree: number; sqnr: number }> {
  const m = await loadModelNode(epk), p = await loadModelNode(plain);
  const ry = realOutput(epk), rp = realOutput(plain);
  const a = new EvalAccumulator(d.labels, true);
  for (const x of d.evalInputs) a.add(ry(m.run(x)[0]), rp(p.run(x)[0]));
  const r = a.result();
  return { acc: r.correct === undefined ? undefined : r.correct / r.inputs, agree: r.reference!.agree / r.inputs, sqnr: r.reference!.sqnrDb };
}

const B4: CompressOptions = { codebook: 4, huffman: true };
const SEQ = process.argv.includes('--sequential');

async function report(model: string): Promise<void> {
  const src = read(`models/${model}.tflite`);
  const d = MODELS[model](src);
  const plain = convertModel(src, model).epk;
  const rows: [string, Uint8Array, number][] = [['uncompressed int8', plain, 0]];
  let t = Date.now();
  rows.push(['4-bit codebook+Huffman, data-free', convertModel(src, model, { compress: B4 }).epk, (Date.now() - t) / 1000]);
  t = Date.now();
  rows.push([`4-bit codebook+Huffman, calibrated${SEQ ? ', sequential' : ''}`, (await convertCalibrated(src, model, { compress: B4 }, d.calib.map((x) => [x]), log, { sequential: SEQ })).result.epk, (Date.now() - t) / 1000]);
  if (model === 'ic_resnet8_int8') {
    for (const f of [0.35, 0.3]) {
      t = Date.now();
      try {
        const r = await convertToBudget(src, model, {}, d.calib.map((x) => [x]), Math.floor(f * src.length), log, { sequential: SEQ });
        rows.push([`--size-budget ${f}${SEQ ? ' --sequential' : ''}`, r.result.epk, (Date.now() - t) / 1000]);
      } catch (e) {
        console.log(`| ${model} | --size-budget ${f} | ${(e as Error).message} |`);
      }
    }
  }
  console.log(`\n${model}: ${d.note}`);
  console.log('| model | variant | .epk bytes | / .tflite | top-1 accuracy | top-1 agreement with int8 | output SQNR dB | convert s |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const [label, epk, secs] of rows) {
    const m = await measure(epk, plain, d);
    const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
    console.log(`| ${model} | ${label} | ${epk.length} | ${(epk.length / src.length).toFixed(3)} | ${m.acc === undefined ? '-' : pct(m.acc)} | ${pct(m.agree)} | ${m.sqnr === Infinity ? 'exact' : m.sqnr.toFixed(1)} | ${secs ? secs.toFixed(1) : '-'} |`);
  }
}

const only = arg('--models')?.split(',');
for (const model of Object.keys(MODELS)) if (!only || only.includes(model)) await report(model);
