// Size-budget allocation rules measured on ic_resnet8_int8 (docs/compression.md "Fifth
// round"): every layer's options are measured once (budgetSearch: statistics and GRID on the
// 200 calibration images, i % 5 == 0 of the shared CIFAR-10 dev set), then each rule allocates
// at each budget; a line per result gives the widths, the .epk bytes, the whole-model output
// error against the int8 model (output-error.ts: softmax KL, or total variation with --tv) on
// the calibration images and, for the record only, on the 800 held-out ones, and top-1
// accuracy, agreement and SQNR on those 800.
// Usage: node dist/tools/budget-experiment.js [FRACTIONS, default 0.35,0.3; above 1: bytes] [--kl: also the
// sensitivity probed by KL at 4 levels on all calibration inputs] [--fill: fill-back after the
// greedy] [--no-refine | --no-plain: only without / with the refinement on measured error]
// [--tv] [--options-only: print every layer's options (bytes, layer SQNR) and stop] [--split:
// options and statistics from 150 calibration images, allocations measured on the other 50,
// the chosen widths compressed on all 200] [--probe-from N: the sensitivity probe on calibration
// images N..N+63 instead of 0..63] [--probe-count N: on N images instead of 64] [--phase P:
// calibrate on the images i % 5 == P] [--widths "OP:LEVELS ...": no allocation, those widths]
// [--cv: the size budget's own path (budgetPlanner + fitBudget: options on all the calibration
// images, sensitivities and refinement on the cross-validated error), the greedy alone and refined;
// with --exact also the knapsack allocation (allocateExact) alone and refined] [--rates 1.5,3:
// with --cv, the options also at those rate weights of the entropy-constrained assignment]

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { GRID, LayerPlan, allocate, optionName, budgetPlanner, budgetSearch, compressedGraph, fitBudget, measureSensitivity, refineAllocation } from '../src/compress/budget.js';
import { meanError, outputErrorMeasure } from '../src/compress/output-error.js';
import { EvalAccumulator, realOutput } from '../src/compress/evaluate.js';
import { loadModelNode } from '../src/runtime/node.js';
import { collectLayerStats } from '../src/compress/layer-stats.js';
import { compensateWeights } from '../src/passes/compensate-weights.js';
import { preparedGraph } from '../src/compress/calibrated.js';

const SHARED = join(process.cwd(), '..', 'shared');
const read = (p: string) => new Uint8Array(readFileSync(join(SHARED, p)));
const log = (l: string) => process.stderr.write(l + '\n');
const fractions = (process.argv[2] ?? '0.35,0.3').split(',').map(Number);
// a budget above 1 is a byte count (e.g. 0.35 of the .tflite plus the bytes a compact format would free)
const budgetBytes = (f: number) => (f > 1 ? f : Math.floor(f * src.length));

const bin = read('data/cifar10/cifar10_test_dev1000_u8_rgb_hwc.bin');
const labelsAll = new TextDecoder().decode(read('data/cifar10/labels.csv')).trim().split('\n').slice(1).map((l) => Number(l.split(',')[2]));
const image = (i: number) => Uint8Array.from(bin.subarray(i * 3072, (i + 1) * 3072), (v) => (v - 128) & 0xff);
const idx = Array.from({ length: 1000 }, (_, i) => i);
// --phase P: calibrate on the images i % 5 == P (default 0, the official split), evaluate on the rest
const phase = process.argv.includes('--phase') ? Number(process.argv[process.argv.indexOf('--phase') + 1]) : 0;
const calib = idx.filter((i) => i % 5 === phase).map((i) => [image(i)]);
const evalInputs = idx.filter((i) => i % 5 !== phase).map(image);
const labels = idx.filter((i) => i % 5 !== phase).map((i) => labelsAll[i]);

const src = read('models/ic_resnet8_int8.tflite');
const plain = convertModel(src, 'r8').epk;
const plainModel = await loadModelNode(plain);
const rp = realOutput(plain);
const plainOut = evalInputs.map((x) => rp(plainModel.run(x)[0]));

async function heldOut(epk: Uint8Array): Promise<string> {
  const m = await loadModelNode(epk);
  const ry = realOutput(epk);
  const a = new EvalAccumulator(labels, true);
  evalInputs.forEach((x, i) => a.add(ry(m.run(x)[0]), plainOut[i]));
  const r = a.result();
  return `top-1 ${(100 * r.correct! / r.inputs).toFixed(2)}% agree ${(100 * r.reference!.agree / r.inputs).toFixed(2)}% sqnr ${r.reference!.sqnrDb.toFixed(1)}`;
}

/**
 * Fill-back (not kept): the greedy's last step may overshoot the target by a big layer's step
 * (op 9: ~2 KB); spend those bytes on the wider options that fit, most weighted error removed first.
 */
function fillBack(plans: LayerPlan[], size: number, target: number): number {
  const cost = (p: LayerPlan, o: LayerPlan['options'][number]) => p.sensitivity * o.relError;
  for (;;) {
    let best: { p: LayerPlan; j: number; gain: number } | null = null;
    for (const p of plans) {
      const cur = p.options[p.chosen];
      p.options.forEach((o, j) => {
        const gain = cost(p, cur) - cost(p, o);
        if (o.bytes > cur.bytes && size + o.bytes - cur.bytes <= target && gain > 0 && (!best || gain > best.gain)) best = { p, j, gain };
      });
    }
    if (!best) return size;
    const b: { p: LayerPlan; j: number } = best;
    size += b.p.options[b.j].bytes - b.p.options[b.p.chosen].bytes;
    b.p.chosen = b.j;
  }
}

// --widths "0:0 1:24 ...": no allocation; the given widths (op:levels, 0 = int8) compressed on the
// calibration images, and the result measured on the held-out ones (compression changes judged
// at a fixed allocation, free of the allocation's own noise)
if (process.argv.includes('--widths')) {
  const spec = process.argv[process.argv.indexOf('--widths') + 1].trim().split(/\s+/).map((w) => w.split(':').map(Number));
  const layers = Object.fromEntries(spec.map(([op, l]) => [op, l ? Math.ceil(Math.log2(l)) : 0]));
  const levelsLayers = Object.fromEntries(spec.map(([op, l]) => [op, l]));
  const prepared = preparedGraph(src, 'r8', {});
  const stats = await collectLayerStats(prepared, calib);
  const epk = convertModel(src, 'r8', { log: () => {}, compress: { huffman: true, codebookLayers: layers, levelsLayers, calibration: { stats } } }).epk;
  const g = compensateWeights({ stats, layers, levelsLayers })(prepared);
  const held = evalInputs.map((x) => [x]);
  const tv = meanError(await (await outputErrorMeasure(prepared, held, 'tv'))(g));
  const kl = meanError(await (await outputErrorMeasure(prepared, held, 'kl'))(g));
  console.log(`widths ${process.argv[process.argv.indexOf('--widths') + 1]} phase ${phase}: epk ${epk.length} held-out tv ${tv.toFixed(4)} kl ${kl.toFixed(4)} | ${await heldOut(epk)}`);
  process.exit(0);
}

// --cv: the size budget exactly as convertToBudget runs it (the greedy alone, then refined);
// "cv" is the cross-validated error on the calibration images it minimises
if (process.argv.includes('--cv')) {
  let t = Date.now();
  const rates = process.argv.includes('--rates') ? process.argv[process.argv.indexOf('--rates') + 1].split(',').map(Number) : undefined;
  const s = await budgetSearch(src, 'r8', {}, calib, log, rates);
  const planner = await budgetPlanner(s, calib, log);
  log(`options, cross-validation and sensitivities ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const held = evalInputs.map((x) => [x]);
  const heldTv = await outputErrorMeasure(s.prepared, held, 'tv'), heldKl = await outputErrorMeasure(s.prepared, held, 'kl');
  for (const f of fractions) {
    for (const [exact, refine] of [[false, false], [false, true], ...(process.argv.includes('--exact') ? [[true, false], [true, true]] : [])]) {
      if (refine && process.argv.includes('--no-refine')) continue;
      t = Date.now();
      const r = await fitBudget(planner, src, 'r8', {}, budgetBytes(f), log, { refine, exact });
      const dt = (Date.now() - t) / 1000;
      const g = compressedGraph(s, r.layers);
      const cv = meanError(await planner.cv!.measure(r.layers));
      console.log(`${f} cv${exact ? '+exact' : ''}${refine ? '+refine' : ''} phase ${phase} (${dt.toFixed(1)} s): ${r.layers.map((p) => `${p.op}:${optionName(p.options[p.chosen])}`).join(' ')} epk ${r.result.epk.length} cv tv ${cv.toFixed(4)} held-out tv ${meanError(await heldTv(g)).toFixed(4)} kl ${meanError(await heldKl(g)).toFixed(4)} | ${await heldOut(r.result.epk)}`);
    }
  }
  process.exit(0);
}

let t = Date.now();
// --split: options and statistics from 150 of the calibration images, allocations measured on
// the other 50 (out of sample for every compensated layer), the chosen widths compressed on all 200
const split = process.argv.includes('--split');
const fitSet = split ? calib.filter((_, i) => i % 4 !== 3) : calib, scoreSet = split ? calib.filter((_, i) => i % 4 === 3) : calib;
const s = await budgetSearch(src, 'r8', {}, fitSet, log);
const statsAll = split ? await collectLayerStats(s.prepared, calib) : null;
const widths = (ps: LayerPlan[]) => ({
  layers: Object.fromEntries(ps.map((p) => [p.op, p.options[p.chosen].bits])),
  levelsLayers: Object.fromEntries(ps.map((p) => [p.op, p.options[p.chosen].levels])),
});
const finalGraph = (ps: LayerPlan[]) => (statsAll ? compensateWeights({ stats: statsAll, ...widths(ps) })(s.prepared) : compressedGraph(s, ps));
const finalEpk = (ps: LayerPlan[]) => {
  const w = widths(ps);
  return statsAll ? convertModel(src, 'r8', { log: () => {}, compress: { huffman: true, codebookLayers: w.layers, levelsLayers: w.levelsLayers, calibration: { stats: statsAll } } }).epk : s.convert(w.layers, undefined, w.levelsLayers).epk;
};
for (const p of s.plans) log(`op ${p.op}: ${p.options.map((o) => `${optionName(o)}:${o.bytes}B/${(-10 * Math.log10(o.relError || 1e-30)).toFixed(1)}dB`).join(' ')}`);
log(`options measured in ${((Date.now() - t) / 1000).toFixed(1)} s`);
if (process.argv.includes('--options-only')) process.exit(0);
t = Date.now();
const divergence = process.argv.includes('--tv') ? 'tv' : 'kl';
const measureAll = await outputErrorMeasure(s.prepared, scoreSet, divergence);
const measure = async (g: Parameters<typeof measureAll>[0]) => meanError(await measureAll(g));
const heldAll = await outputErrorMeasure(s.prepared, evalInputs.map((x) => [x]), divergence); // the record only
const heldMeasure = async (g: Parameters<typeof heldAll>[0]) => meanError(await heldAll(g));
log(`reference run ${((Date.now() - t) / 1000).toFixed(1)} s`);
const clone = (ps: LayerPlan[]) => ps.map((p) => ({ ...p }));

// sensitivities
const sens: Record<string, number[]> = {};
t = Date.now();
const probeAt = Number(process.argv[process.argv.indexOf('--probe-from') + 1] ?? 0) || 0; // --probe-from N: probe images N..N+63
const probeCount = Number(process.argv[process.argv.indexOf('--probe-count') + 1] ?? 0) || 64; // --probe-count N
await measureSensitivity(s.plans, fitSet.slice(probeAt, probeAt + probeCount), s.convert, s.ops, log);
sens.probe3 = s.plans.map((p) => p.sensitivity);
log(`probe3 ${((Date.now() - t) / 1000).toFixed(1)} s`);
for (const levels of process.argv.includes('--kl') ? [4] : []) {
  t = Date.now();
  const col = GRID.findIndex((o) => o.levels === levels);
  const v: number[] = [];
  for (const p of s.plans) {
    const ps = clone(s.plans).map((q) => ({ ...q, chosen: q.op === p.op ? col : 0 }));
    const kl = await measure(compressedGraph(s, ps));
    v.push(Math.max(kl, 1e-6) / Math.max(p.options[col].relError, 1e-12));
  }
  sens[`kl${levels}`] = v;
  log(`kl probe ${levels} levels: ${v.map((x) => x.toFixed(2)).join(' ')} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}

for (const f of fractions) {
  const budget = budgetBytes(f);
  for (const [name, v] of Object.entries(sens)) for (const refine of process.argv.includes('--no-plain') ? [true] : process.argv.includes('--no-refine') ? [false] : [false, true]) {
    const ps = clone(s.plans).map((p, i) => ({ ...p, sensitivity: v[i] }));
    let target = budget;
    for (let round = 0; round < 6; round++) {
      let est = allocate(ps, s.lossless, target);
      if (process.argv.includes('--fill')) est = fillBack(ps, est, target);
      const greedyKl = await measure(compressedGraph(s, ps));
      const greedyHeld = await heldMeasure(finalGraph(ps));
      const t0 = Date.now();
      if (refine) est = await refineAllocation(ps, s.lossless, target, (q) => measureAll(compressedGraph(s, q)), log);
      const refineS = (Date.now() - t0) / 1000;
      const epk = finalEpk(ps);
      if (epk.length > budget) { target -= epk.length - budget; continue; }
      t = Date.now();
      const kl = await measure(compressedGraph(s, ps));
      const dt = (Date.now() - t) / 1000;
      console.log(`${f} ${name}${refine ? '+refine' : ''} (greedy ${greedyKl.toFixed(4)}, refine ${refineS.toFixed(1)} s): ${ps.map((p) => `${p.op}:${p.options[p.chosen].levels}`).join(' ')} est ${est} epk ${epk.length} calib ${divergence} ${kl.toFixed(4)} held-out ${divergence} ${(await heldMeasure(finalGraph(ps))).toFixed(4)} (greedy ${greedyHeld.toFixed(4)}) (${dt.toFixed(1)} s) | ${await heldOut(epk)}`);
      break;
    }
  }
}
