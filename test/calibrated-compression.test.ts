// Calibrated compression (compensate-weights), the size budget and `edgepack eval`, on the
// project-built model of test/compression-model.ts with random int8 calibration inputs:
// calibrated output error below data-free at the same bits on held-out inputs, exactness
// (compressed == decoded weights and corrected biases converted plainly, both builds),
// determinism, the budget honoured to the byte, eval numbers checked by hand, clear errors.

import { wideShifts } from '../src/passes/narrow-shifts.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressOptions, ConvertResult, convertModel, emit } from '../src/convert.js';
import { Graph } from '../src/ir/graph.js';
import { loadModelNode } from '../src/runtime/node.js';
import { convertCalibrated, preparedGraph, sequentialStats } from '../src/compress/calibrated.js';
import { collectLayerStats } from '../src/compress/layer-stats.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { BudgetError, FOLDS, LayerPlan, SPLIT_MIN_SAMPLES, allocate, allocateExact, budgetSearch, convertToBudget, crossValidation, parseBudget } from '../src/compress/budget.js';
import { outputErrorMeasure } from '../src/compress/output-error.js';
import { compensateWeights } from '../src/passes/compensate-weights.js';
import { EvalAccumulator, formatEval, parseLabels } from '../src/compress/evaluate.js';
import { cholesky, inverseFromCholesky, solveSpd } from '../src/compress/linalg.js';
import { compensateFilter, descendRow, DESCENT_MIN_PATCHES_PER_WEIGHT, sweepRow, targetRows } from '../src/compress/compensate.js';
import { loadInt8Calibration } from '../src/io/calibration.js';
import { codeLengths as huffmanLengths } from '../src/compress/huffman.js';
import { weightRefs } from '../src/passes/weights.js';
import { main } from '../src/cli/index.js';
import { buildSmallModel, randomBytes } from './compression-model.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { xorshift32 } from '../src/testing/models.js';

const INPUT_BYTES = 12 * 12 * 8;
const src = buildSmallModel();
const calib = Array.from({ length: 24 }, (_, i) => [randomBytes(INPUT_BYTES, 100 + i)]);
const heldOut = Array.from({ length: 12 }, (_, i) => randomBytes(INPUT_BYTES, 500 + i));
// calibrated against data-free codebooks is judged on 48 (the first 12 are heldOut): on 12 the 3-bit
// comparison turned on a few outputs (5% either way as the descent moved)
const heldOutMany = Array.from({ length: 48 }, (_, i) => randomBytes(INPUT_BYTES, 500 + i));

async function outputError(epk: Uint8Array, plain: Uint8Array, inputs: Uint8Array[]): Promise<number> {
  const a = await loadModelNode(epk), b = await loadModelNode(plain);
  let e = 0;
  for (const x of inputs) {
    const ya = new Int8Array(a.run(x)[0].buffer), yb = new Int8Array(b.run(x)[0].buffer);
    ya.forEach((v, i) => (e += (v - yb[i]) ** 2));
  }
  return e;
}

test('linalg: Cholesky, inverse and solve on a hand-checked 2x2', () => {
  const a = Float64Array.from([4, 2, 2, 3]);
  assert.equal(Array.from(cholesky(a, 2)), [2, 0, 1, Math.SQRT2]);
  const inv = inverseFromCholesky(cholesky(a, 2), 2); // 1/8 * [3 -2; -2 4]
  [0.375, -0.25, -0.25, 0.5].forEach((v, i) => assert.ok(Math.abs(inv[i] - v) < 1e-12, `inv[${i}]`));
  const x = solveSpd(a, Float64Array.from([2, 1]), 2); // [0.5, 0]
  assert.ok(Math.abs(x[0] - 0.5) < 1e-12 && Math.abs(x[1]) < 1e-12);
});

test('sweepRow: the rounding error of column 0 moves to column 1 through U', () => {
  // U = [[1, 0.5], [0, 1]]: w = [0.4, 0.4]; q0 = 0, e = 0.4, w1 = 0.4 - 0.4 * 0.5 = 0.2 -> 0
  assert.equal(Array.from(sweepRow(Float64Array.from([0.4, 0.4]), Float64Array.from([1, 0.5, 0, 1]), 2, null, Math.round)), [0, 0]);
  // with U_01 = -2: w1 = 0.4 + 0.8 = 1.2 -> 1 (the compensation pushes the next weight up)
  assert.equal(Array.from(sweepRow(Float64Array.from([0.4, 0.4]), Float64Array.from([1, -2, 0, 1]), 2, null, Math.round)), [0, 1]);
  // a pruned column is 0 whatever its value
  assert.equal(Array.from(sweepRow(Float64Array.from([5, 0]), Float64Array.from([1, 0, 0, 1]), 2, Uint8Array.from([1, 0]), Math.round)), [0, 0]);
});

test('descendRow: each weight moves to its 1-D minimiser while that lowers (q - w)^T Hd (q - w); returns the undamped error', () => {
  const h = Float64Array.from([1, 0.9, 0.9, 1]);
  // w = [0.6, -0.6], q = [1, 0]: d = [0.4, 0.6], g = H d = [0.94, 0.96]; weight 0's minimiser
  // 1 - 0.94 = 0.06 rounds to 0 (error 0.952 -> 0.072 = d^T H d at d = [-0.6, 0.6]); then nothing moves
  const q = Int8Array.from([1, 0]);
  const e = descendRow(Float64Array.from([0.6, -0.6]), q, h, h, 2, null, Math.round, 8);
  assert.equal(Array.from(q), [0, 0]);
  assert.ok(Math.abs(e - 0.072) < 1e-12, `error ${e}`);
  // damped Hd = H + 0.1 I: the same moves, and the error returned is still d^T H d
  const qd = Int8Array.from([1, 0]);
  const ed = descendRow(Float64Array.from([0.6, -0.6]), qd, h, Float64Array.from([1.1, 0.9, 0.9, 1.1]), 2, null, Math.round, 8);
  assert.equal(Array.from(qd), [0, 0]);
  assert.ok(Math.abs(ed - 0.072) < 1e-12, `damped: error ${ed}`);
  // w = [1.4, 0.1] from q = [0, 0]: free, weight 0 takes 1; with weight 0 pruned, weight 1 takes 1 instead (its correlated neighbour's loss)
  const free = Int8Array.from([0, 0]), pruned = Int8Array.from([0, 0]);
  descendRow(Float64Array.from([1.4, 0.1]), free, h, h, 2, null, Math.round, 8);
  descendRow(Float64Array.from([1.4, 0.1]), pruned, h, h, 2, Uint8Array.from([1, 0]), Math.round, 8);
  assert.equal([Array.from(free), Array.from(pruned)], [[1, 0], [0, 1]]);
  // no passes: q unchanged, its error returned
  const q0 = Int8Array.from([1, 0]);
  assert.ok(Math.abs(descendRow(Float64Array.from([0.6, -0.6]), q0, h, h, 2, null, Math.round, 0) - 0.952) < 1e-12);
  assert.equal(Array.from(q0), [1, 0]);
});

test('the descent runs only with at least DESCENT_MIN_PATCHES_PER_WEIGHT patches per row weight (a singular Gram matrix keeps the sweep)', () => {
  const k = 16, rows = 8, n = 40;
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
  const gram = new Float64Array(k * k); // X^T X of n random patches: full rank
  for (let p = 0; p < n; p++) {
    const x = Array.from({ length: k }, () => 40 * rand());
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) gram[i * k + j] += x[i] * x[j];
  }
  const data = Int8Array.from({ length: rows * k }, () => Math.round(250 * rand()));
  const f = { rows, k, index: (r: number, i: number) => r * k + i, scales: Array.from({ length: rows }, () => 0.01) };
  const run = (patches: number) => compensateFilter(data, f, { k, grams: [gram], means: [new Float64Array(k)], rowsPerGram: 0, patches }, { bits: 2, prune: 0 });
  const enough = run(DESCENT_MIN_PATCHES_PER_WEIGHT * k), few = run(DESCENT_MIN_PATCHES_PER_WEIGHT * k - 1);
  assert.not.equal(Array.from(few.values), Array.from(enough.values), 'the descent moved no weight: the case does not test the threshold');
  assert.ok(enough.error <= few.error, `the descent raised the calibration error: ${enough.error} > ${few.error}`);
});

test('calibrated 3-bit and 2-bit codebooks: lower output error than data-free on held-out inputs; every layer compensated', async () => {
  const plain = convertModel(src, 'small').epk;
  for (const bits of [2, 3]) {
    const c: CompressOptions = { codebook: bits, codebookLayers: { 0: bits, 1: bits, 2: bits, 3: bits }, huffman: true };
    const free = convertModel(src, 'small', { compress: c }).epk;
    const cal = await convertCalibrated(src, 'small', { compress: c }, calib);
    const eFree = await outputError(free, plain, heldOutMany), eCal = await outputError(cal.result.epk, plain, heldOutMany);
    assert.ok(eCal < eFree, `${bits} bits: calibrated ${eCal} < data-free ${eFree}`);
    assert.equal([...cal.outcome.keys()].sort(), [0, 1, 2, 3]);
    for (const [op, o] of cal.outcome) assert.ok(o.error < o.signal, `${bits} bits op ${op}: error below signal`);
  }
});

/** The same graph with every packed tensor stored as its decoded int8 values (biases as corrected). */
function decodedPlain(r: ConvertResult): Uint8Array {
  const g: Graph = { ...r.graph, tensors: r.graph.tensors.map((t) => ({ ...t, packed: undefined, codebook: undefined })) };
  return emit(wideShifts(g)).epk; // a raw filter's op reads int32 shifts
}

test('calibrated compression is exact (== decoded weights, corrected biases) in both builds, and deterministic', async () => {
  const c: CompressOptions = { prune: 0.3, codebook: 4, codebookLayers: { 1: 3 }, huffman: true };
  const a = await convertCalibrated(src, 'small', { compress: c }, calib);
  const b = await convertCalibrated(src, 'small', { compress: c }, calib);
  assert.equal(a.result.epk, b.result.epk, 'same bytes twice');
  const plain = decodedPlain(a.result);
  const biasChanged = a.result.graph.tensors.some((t, i) => (t.dtype === 'int32' || t.dtype === 'int16') && t.name.endsWith('/b') && convertModel(src, 'small').graph.tensors[i]?.data?.some((v, j) => v !== t.data![j]));
  assert.ok(biasChanged, 'bias correction changed a bias');
  const builds: [string, (epk: Uint8Array) => Promise<{ run(...x: Uint8Array[]): Uint8Array[] }>][] = [
    ['scalar', (e) => loadModelNode(e, 'scalar')], ['simd', (e) => loadModelNode(e, 'simd')], ['streamed', (e) => loadModelStreamed(e)],
  ];
  for (const [target, load] of builds) {
    const m = await load(a.result.epk), p = await load(plain);
    for (const x of heldOut.slice(0, 4)) assert.equal(Array.from(m.run(x)[0]), Array.from(p.run(x)[0]), target);
  }
  // OBS pruning: exactly floor(0.3 n) zeros at least, per filter of more than 2^bits weights per row
  const w = a.result.graph.tensors.find((t) => t.name === 'fc/w')!.data as Int8Array;
  assert.ok(w.filter((v) => v === 0).length >= Math.floor(0.3 * w.length));
});

test('fewer centroids than 2^bits (the size budget\'s finer grid): at most that many values per filter, exact in every build, fewer bytes', async () => {
  const ops = weightRefs(preparedGraph(src, 'small', {})).map((r) => r.op.sourceIndex);
  const at = (levels: number) => convertCalibrated(src, 'small', { compress: { codebook: 3, codebookLayers: Object.fromEntries(ops.map((o) => [o, 3])), levelsLayers: Object.fromEntries(ops.map((o) => [o, levels])), huffman: true } }, calib);
  const eight = await at(8), five = await at(5);
  // a filter whose data-free result (2^bits centroids) has the lower error keeps that one
  const compensated = weightRefs(five.result.graph).filter((ref) => five.outcome.get(ref.op.sourceIndex)?.method === 'compensated');
  assert.ok(compensated.length > 0, 'some filter compensated');
  for (const ref of compensated) assert.ok(new Set(ref.tensor.data as Int8Array).size <= 5, ref.tensor.name);
  assert.ok(five.result.epk.length < eight.result.epk.length, `${five.result.epk.length} < ${eight.result.epk.length}`);
  const plain = decodedPlain(five.result);
  const builds: [string, (epk: Uint8Array) => Promise<{ run(...x: Uint8Array[]): Uint8Array[] }>][] = [
    ['scalar', (e) => loadModelNode(e, 'scalar')], ['simd', (e) => loadModelNode(e, 'simd')], ['streamed', (e) => loadModelStreamed(e)],
  ];
  for (const [target, load] of builds) {
    const m = await load(five.result.epk), p = await load(plain);
    for (const x of heldOut.slice(0, 4)) assert.equal(Array.from(m.run(x)[0]), Array.from(p.run(x)[0]), target);
  }
});

test('entropy-constrained assignment of one filter: rate 0 is the nearest-centroid result; rate > 0 a smaller Huffman payload at the same codebook, more error', () => {
  const k = 24, rows = 16, n = 96;
  let seed = 777;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) - 0.5;
  const gram = new Float64Array(k * k);
  for (let p = 0; p < n; p++) {
    const x = Array.from({ length: k }, () => 40 * rand());
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) gram[i * k + j] += x[i] * x[j];
  }
  // bell-shaped weights (sum of three uniforms), as trained filters are: the middle indices are common
  const data = Int8Array.from({ length: rows * k }, () => Math.round(120 * (rand() + rand() + rand())));
  const f = { rows, k, index: (r: number, i: number) => r * k + i, scales: Array.from({ length: rows }, () => 0.01) };
  const stats = { k, grams: [gram], means: [new Float64Array(k)], rowsPerGram: 0, patches: n };
  const run = (rate?: number) => compensateFilter(data, f, stats, { bits: 3, prune: 0, levels: 8, rate });
  const payload = (idx: Uint8Array) => {
    const freq = new Array(256).fill(0);
    idx.forEach((v) => freq[v]++);
    return huffmanLengths(freq).reduce((s, l, j) => s + l * freq[j], 0);
  };
  const base = run(), zero = run(0), rated = run(1.5);
  assert.equal([Array.from(zero.values), zero.error], [Array.from(base.values), base.error], 'rate 0: the same values and error');
  const bits0 = payload(base.codebook!.indices), bits1 = payload(rated.codebook!.indices);
  assert.ok(bits1 < bits0, `Huffman payload ${bits1} < ${bits0} bits`);
  // the error may even drop: the rate passes refit the centroids again
  assert.ok(rated.error < 1.25 * base.error, `error ${rated.error} against ${base.error}`);
  assert.ok(new Set(rated.values).size <= 8);
});

test('entropy-constrained assignment in a conversion: rate weight 0 gives the same .epk to the byte; > 0 is exact (== decoded weights) in every build', async () => {
  const ops = weightRefs(preparedGraph(src, 'small', {})).map((r) => r.op.sourceIndex);
  const all = (v: number) => Object.fromEntries(ops.map((o) => [o, v]));
  const at = (ratesLayers?: Record<number, number>) => convertCalibrated(src, 'small', { compress: { codebook: 3, codebookLayers: all(3), levelsLayers: all(6), ratesLayers, huffman: true } }, calib);
  // only the FC keeps its compensated result here (the others' data-free one has less error), and its
  // random weights are about uniform: a large rate weight is needed to move indices
  const base = await at(), zero = await at(all(0)), rated = await at(all(20));
  assert.equal(zero.result.epk, base.result.epk, 'rate weight 0: the same bytes');
  assert.ok(rated.result.epk.length < base.result.epk.length, `${rated.result.epk.length} < ${base.result.epk.length}`);
  assert.not.equal(rated.result.epk, base.result.epk, 'rate weight 20 changed nothing: the case does not test exactness');
  const plain = decodedPlain(rated.result);
  const builds: [string, (epk: Uint8Array) => Promise<{ run(...x: Uint8Array[]): Uint8Array[] }>][] = [
    ['scalar', (e) => loadModelNode(e, 'scalar')], ['simd', (e) => loadModelNode(e, 'simd')], ['streamed', (e) => loadModelStreamed(e)],
  ];
  for (const [target, load] of builds) {
    const m = await load(rated.result.epk), p = await load(plain);
    for (const x of heldOut.slice(0, 4)) assert.equal(Array.from(m.run(x)[0]), Array.from(p.run(x)[0]), target);
  }
});

test('targetRows: the int8 weights when the compressed inputs equal the int8 ones (cross = H); else w + (H + damping)^-1 (C - H) w', () => {
  const h = Float64Array.from([4, 1, 1, 3]);
  const f = { rows: 2, k: 2, index: (r: number, i: number) => r * 2 + i, scales: [1, 1] };
  const data = Int8Array.from([10, -20, 7, 3]);
  const same = targetRows(data, f, { k: 2, grams: [h], means: [new Float64Array(2)], rowsPerGram: 0, patches: 100, cross: [Float64Array.from(h)] });
  assert.equal(same.map((r) => Array.from(r)), [[10, -20], [7, 3]]);
  // inputs halved (x~ = x / 2): H~ = H / 4, C = H / 2, so w* = 2 w up to the damping's pull toward w
  const quarter = Float64Array.from(h, (v) => v / 4), halfC = Float64Array.from(h, (v) => v / 2);
  const scaled = targetRows(data, f, { k: 2, grams: [quarter], means: [new Float64Array(2)], rowsPerGram: 0, patches: 100, cross: [halfC] });
  scaled.forEach((row, r) => row.forEach((v, i) => assert.ok(Math.abs(v - 2 * data[r * 2 + i]) < 0.05 * Math.abs(data[r * 2 + i]) + 0.5, `w*[${r}][${i}] = ${v}`)));
});

test("sequential statistics: the first filter's are the int8 model's; later ones come from the compressed model, with cross moments where patches allow", async () => {
  const prepared = preparedGraph(src, 'small', {});
  const plain = await collectLayerStats(prepared, calib);
  const seq = await sequentialStats(prepared, calib, { bits: 2, layers: { 0: 2, 1: 2, 2: 2, 3: 2 } }, new Map());
  const [first, ...later] = [...plain.keys()];
  assert.equal(Array.from(seq.get(first)!.grams[0]), Array.from(plain.get(first)!.grams[0]), 'first pass: int8 statistics');
  assert.is(seq.get(first)!.cross, undefined);
  for (const t of later) {
    const a = seq.get(t)!, b = plain.get(t)!;
    assert.ok(a.grams.some((g, i) => g.some((v, j) => v !== b.grams[i][j])), `filter ${t}: the compressed model's inputs differ`);
    // cross moments and int8 means only with at least 8 patches per row weight: not the FC (24 patches of 864)
    assert.is(a.cross !== undefined, a.patches >= 8 * a.k, `filter ${t}: cross moments iff ${a.patches} >= 8 x ${a.k}`);
    assert.is(a.refMeans !== undefined, a.cross !== undefined, `filter ${t}: int8 means with the cross moments`);
  }
  assert.ok(later.some((t) => seq.get(t)!.cross), 'some filter has cross moments');
});

test('size budget with SPLIT_MIN_SAMPLES inputs: cross-validated sensitivities, the knapsack, no refinement; the .epk fits', async () => {
  const many = Array.from({ length: SPLIT_MIN_SAMPLES }, (_, i) => [randomBytes(INPUT_BYTES, 300 + i)]);
  const budget = Math.floor(convertModel(src, 'small', { compress: { huffman: true } }).epk.length * 0.55);
  const lines: string[] = [];
  const r = await convertToBudget(src, 'small', {}, many, budget, (l) => lines.push(l));
  assert.ok(r.result.epk.length <= budget, `${r.result.epk.length} <= ${budget}`);
  assert.ok(lines.some((l) => l.includes(`cross-validation fold ${FOLDS}/${FOLDS}`)), 'cross-validated');
  assert.ok(lines.some((l) => /sensitivity \(cross-validated output error/.test(l)), 'sensitivities from the cross-validated error');
  assert.ok(lines.some((l) => /^size budget: widths .*; knapsack\)$/.test(l)), 'the knapsack allocation');
  assert.not.ok(lines.some((l) => /allocations measured|refine round/.test(l)), 'no refinement unless asked');
  const again = await convertToBudget(src, 'small', {}, many, budget);
  assert.equal(again.result.epk, r.result.epk, 'deterministic');
});

test('cross-validation: each fold\'s inputs are scored on layers compressed on the other folds\' statistics only', async () => {
  const many = Array.from({ length: SPLIT_MIN_SAMPLES }, (_, i) => [randomBytes(INPUT_BYTES, 300 + i)]);
  const s = await budgetSearch(src, 'small', {}, many, () => {});
  const cv = await crossValidation(s.prepared, many);
  // every layer lossless: the int8 model itself, no error on any input
  assert.ok((await cv.measure(s.plans.map((p) => ({ ...p, chosen: 0 })))).every((e) => e === 0), 'lossless: zero error');
  const col = s.plans[0].options.findIndex((o) => o.levels === 4);
  const narrow = s.plans.map((p) => ({ ...p, chosen: col }));
  const e = await cv.measure(narrow);
  assert.ok(e.every((v) => v > 0), '4 levels everywhere: error on every input');
  // fold 1 by hand: statistics of the inputs i % FOLDS != 1, scored on the inputs i % FOLDS == 1
  const layers = Object.fromEntries(narrow.map((p) => [p.op, p.options[col].bits]));
  const levelsLayers = Object.fromEntries(narrow.map((p) => [p.op, p.options[col].levels]));
  const outside = await collectLayerStats(s.prepared, many.filter((_, i) => i % FOLDS !== 1));
  const inside = many.filter((_, i) => i % FOLDS === 1);
  const byHand = await (await outputErrorMeasure(s.prepared, inside, 'tv'))(compensateWeights({ stats: outside, layers, levelsLayers })(s.prepared));
  assert.equal(Array.from(byHand), Array.from(e.filter((_, i) => i % FOLDS === 1)));
  // in sample (statistics of all the inputs) the same inputs score differently
  const inSample = await (await outputErrorMeasure(s.prepared, inside, 'tv'))(compensateWeights({ stats: s.stats, layers, levelsLayers })(s.prepared));
  assert.not.equal(Array.from(inSample), Array.from(byHand), 'out of sample differs from in sample');
});

test('allocateExact: the least summed cost within the target where the greedy overshoots; never over the target', () => {
  const plans = (): LayerPlan[] => [
    { op: 1, sensitivity: 1, chosen: 0, options: [{ bits: 0, levels: 0, bytes: 96, relError: 0 }, { bits: 3, levels: 8, bytes: 56, relError: 1 }, { bits: 2, levels: 4, bytes: 16, relError: 10 }] },
    { op: 2, sensitivity: 1, chosen: 0, options: [{ bits: 0, levels: 0, bytes: 96, relError: 0 }, { bits: 3, levels: 8, bytes: 48, relError: 3 }] },
  ];
  const cost = (ps: LayerPlan[]) => ps.reduce((s, p) => s + p.sensitivity * p.options[p.chosen].relError, 0);
  // lossless 192 B (no other bytes), target 144: the greedy takes layer 1's cheap step first, then must take layer 2's too
  const g = plans(), e = plans();
  assert.is(allocate(g, 192, 144), 104);
  assert.equal([g.map((p) => p.chosen), cost(g)], [[1, 1], 4]);
  assert.is(allocateExact(e, 192, 144), 144);
  assert.equal([e.map((p) => p.chosen), cost(e)], [[0, 1], 3]);
  // 200 B of other bytes: the same choice at a target 200 B higher; a target below every option falls back to the greedy's answer
  const f = plans();
  assert.is(allocateExact(f, 392, 344), 344);
  assert.equal(f.map((p) => p.chosen), [0, 1]);
  for (const target of [100, 150, 170, 191, 192, 300]) {
    const x = plans();
    const est = allocateExact(x, 192, target);
    assert.ok(est <= Math.max(target, 64), `target ${target}: estimate ${est}`);
    assert.is(est, 192 - x.reduce((s, p) => s + p.options[0].bytes - p.options[p.chosen].bytes, 0));
  }
});

test('--size-budget parsing: fraction of the source, NNNk, bytes; refusals', () => {
  assert.is(parseBudget('0.35', 1000), 350);
  assert.is(parseBudget('12k', 1000), 12288);
  assert.is(parseBudget('5000', 1000), 5000);
  for (const bad of ['0', '1.5', 'abc', '-3', '', 'k']) assert.is(parseBudget(bad, 1000), null, bad);
});

test('size budget: the .epk fits to the byte, at most the error of a looser budget; impossible budgets are refused', async () => {
  const lossless = convertModel(src, 'small', { compress: { huffman: true } }).epk.length;
  const budget = Math.floor(lossless * 0.55);
  const r = await convertToBudget(src, 'small', {}, calib, budget);
  assert.ok(r.result.epk.length <= budget, `${r.result.epk.length} <= ${budget}`);
  assert.ok(r.result.epk.length > budget * 0.8, 'uses most of the budget');
  const loose = await convertToBudget(src, 'small', {}, calib, Math.floor(lossless * 0.8));
  const plain = convertModel(src, 'small').epk;
  assert.ok(await outputError(loose.result.epk, plain, heldOut) <= await outputError(r.result.epk, plain, heldOut), 'looser budget, no more error');
  try {
    await convertToBudget(src, 'small', {}, calib, 2000);
    assert.unreachable('2000 B cannot hold the model');
  } catch (e) {
    assert.instance(e, BudgetError);
    assert.match((e as Error).message, /--size-budget 2000 B cannot be met: the smallest \.epk reachable .* is about \d+ B/);
  }
});

test('eval measures: accuracy, agreement and SQNR equal the hand computation', () => {
  const acc = new EvalAccumulator([0, 1, 2], true);
  const f = (...v: number[]) => Float64Array.from(v);
  acc.add(f(1, 0, 0), f(1, 0, 0)); // right, agrees, no noise
  acc.add(f(0, 0, 1), f(0, 1, 0)); // wrong (2), reference right (1), disagree, noise 2
  acc.add(f(0, 0, 3), f(0, 0, 2)); // right, agrees, noise 1
  const r = acc.result();
  assert.equal(r, { inputs: 3, correct: 2, reference: { agree: 2, sqnrDb: 10 * Math.log10(6 / 3), correct: 3 } });
  assert.is(formatEval(r), 'inputs: 3\ntop-1 accuracy: 66.67% (2/3)\nreference top-1 accuracy: 100.00% (3/3)\ntop-1 agreement with the reference: 66.67% (2/3)\noutput SQNR vs the reference: 3.01 dB');
});

test('labels: one integer per line, or a CSV with a label column; errors name the line', () => {
  assert.equal(parseLabels('3\n0\n\n# note\n9\n', 'l.txt'), [3, 0, 9]);
  assert.equal(parseLabels('index,name,label,class\n0,a.png,3,cat\n1,b.png,8,ship\n', 'labels.csv'), [3, 8]);
  assert.throws(() => parseLabels('1\ncat\n', 'l.txt'), /l\.txt line 2: expected a class index .* got "cat"/);
  assert.throws(() => parseLabels('index,name\n0,a\n', 'x.csv'), /x\.csv: a CSV labels file needs a "label" column/);
});

const dir = mkdtempSync(join(tmpdir(), 'edgepack-calib-'));

test('int8 calibration files: run batches as bytes, u8 / float values quantized, bad sizes named', () => {
  const inputs = [{ bytes: 4, scale: 2, zeroPoint: -128 }];
  const raw = join(dir, 'batch.bin');
  writeFileSync(raw, Uint8Array.from([1, 2, 3, 4, 0xff, 0x80, 0, 7]));
  assert.equal(loadInt8Calibration(raw, { inputs }).map((s) => Array.from(s[0])), [[1, 2, 3, 4], [255, 128, 0, 7]]);
  const u8 = join(dir, 'images_u8.bin'); // real 0..255 / scale 2 + zp -128
  writeFileSync(u8, Uint8Array.from([0, 2, 255, 7]));
  assert.equal(Array.from(new Int8Array(loadInt8Calibration(u8, { inputs })[0][0].buffer)), [-128, -127, -128 + 128, -124]);
  writeFileSync(join(dir, 'odd.bin'), new Uint8Array(6));
  assert.throws(() => loadInt8Calibration(join(dir, 'odd.bin'), { inputs }), /odd\.bin: 6 bytes is not a whole number of 4-byte input tensors/);
  const f32 = join(dir, 'nan.f32');
  writeFileSync(f32, new Uint8Array(Float32Array.from([1, NaN, 0, 0]).buffer));
  assert.throws(() => loadInt8Calibration(f32, { inputs, raw: 'f32' }), /nan\.f32: value 1 is NaN, not a finite number/);
});

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = process.stdout.write, err = process.stderr.write;
  let o = '', e = '';
  process.stdout.write = ((s: string) => ((o += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((e += s), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), out: o, err: e };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

test('CLI: convert --calibrate (int8 model) + --size-budget --report, then eval against the plain model', async () => {
  const model = join(dir, 'small.tflite'), batch = join(dir, 'calib.bin'), held = join(dir, 'held.bin');
  writeFileSync(model, src);
  writeFileSync(batch, Buffer.concat(calib.map((s) => s[0])));
  writeFileSync(held, Buffer.concat(heldOut));
  const plain = join(dir, 'plain.epk'), small = join(dir, 'budget.epk');
  assert.is((await cli(['convert', model, '-o', plain, '-q'])).code, 0);
  const budget = Math.floor(0.6 * readFileSync(model).length);
  const r = await cli(['convert', model, '-o', small, '--calibrate', batch, '--size-budget', String(budget), '--report']);
  assert.is(r.code, 0, r.err);
  assert.ok(readFileSync(small).length <= budget);
  assert.match(r.out, /calib\. layer SQNR dB/);
  assert.match(r.out, /vs uncompressed int8 over 24 calibration inputs: top-1 agreement/);
  const labels = join(dir, 'labels.txt');
  const plainModel = await loadModelNode(readFileSync(plain)), testModel = await loadModelNode(readFileSync(small));
  const top = (y: Uint8Array) => { const v = new Int8Array(y.buffer); return v.indexOf(Math.max(...v)); };
  const truth = heldOut.map((x) => top(plainModel.run(x)[0]));
  writeFileSync(labels, truth.join('\n') + '\n');
  const agree = heldOut.filter((x, i) => top(testModel.run(x)[0]) === truth[i]).length;
  const e = await cli(['eval', small, '--input', held, '--labels', labels, '--reference', plain]);
  assert.is(e.code, 0, e.err);
  const pct = (k: number) => `${((100 * k) / 12).toFixed(2)}% (${k}/12)`;
  assert.ok(e.out.includes(`top-1 accuracy: ${pct(agree)}`), e.out);
  assert.ok(e.out.includes(`reference top-1 accuracy: ${pct(12)}`), e.out);
  assert.ok(e.out.includes(`top-1 agreement with the reference: ${pct(agree)}`), e.out);
});

test('CLI: bad --calibrate / --size-budget / eval inputs are usage errors naming the problem, nothing written', async () => {
  const model = join(dir, 'small.tflite'), batch = join(dir, 'calib.bin'), out = join(dir, 'bad.epk');
  const cases: [string[], RegExp][] = [
    [['convert', model, '-o', out, '--size-budget', '0.5'], /--size-budget needs --calibrate FILE/],
    [['convert', model, '-o', out, '--size-budget', 'lots', '--calibrate', batch], /--size-budget must be a fraction in \(0, 1\).*not "lots"/],
    [['convert', model, '-o', out, '--size-budget', '0.5', '--calibrate', batch, '--codebook', '4'], /cannot be combined with --codebook/],
    [['convert', model, '-o', out, '--codebook', '4', '--calibrate', join(dir, 'odd.bin')], /odd\.bin: 6 bytes is not a whole number of 1152-byte input tensors/],
    [['convert', model, '-o', out, '--codebook', '4', '--calibrate', batch, '--calibrate-raw', 'f16'], /--calibrate-raw must be int8, u8 or f32, not f16/],
    [['convert', model, '-o', out, '--codebook', '4', '--calibrate', join(dir, 'missing.bin')], /cannot read calibration data .*missing\.bin/],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(argv);
    assert.ok(r.code !== 0, argv.join(' '));
    assert.match(r.err, message);
    assert.not.ok(existsSync(out), argv.join(' '));
  }
  const plain = join(dir, 'plain.epk'), held = join(dir, 'held.bin');
  writeFileSync(join(dir, 'three.txt'), '1\n2\n3\n');
  const evalCases: [string[], RegExp][] = [
    [['eval', plain, '--input', held], /eval needs --labels LABELS and\/or --reference/],
    [['eval', plain, '--input', held, '--labels', join(dir, 'three.txt')], /three\.txt: 3 labels for 12 inputs/],
    [['eval', plain, '--input', join(dir, 'odd.bin'), '--reference', plain], /odd\.bin: 6 bytes is not a whole number of 1152-byte input tensors/],
  ];
  for (const [argv, message] of evalCases) {
    const r = await cli(argv);
    assert.is(r.code, 2, argv.join(' '));
    assert.match(r.err, message);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a filter reading a reshape of the graph input, beside a filter kept data-free (rows over MAX_ROW), calibrates', async () => {
  // micro_speech's shape: input [1, 2048] -> RESHAPE [1, 32, 64, 1] -> CONV_2D (4 channels) -> FC over 8192 -> 2
  const b = new TfliteBuilder();
  const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint] });
  const r = xorshift32(77);
  const ints = (n: number) => Array.from({ length: n }, () => (r() % 255) - 127);
  const x = b.tensor('x', [1, 2048], 'int8', q(0.1, -128));
  const img = b.tensor('img', [1, 32, 64, 1], 'int8', q(0.1, -128));
  b.op('RESHAPE', [x, b.constant('shape', [4], 'int32', [1, 32, 64, 1])], [img]);
  const c = b.tensor('c', [1, 32, 64, 4], 'int8', q(0.05, -128));
  b.op('CONV_2D', [img, b.constant('w', [4, 3, 3, 1], 'int8', ints(36), { scale: [0.01, 0.02, 0.015, 0.01], zeroPoint: [0, 0, 0, 0], axis: 0 }), b.constant('bias', [4], 'int32', [5, -5, 10, 0])], [c], { padding: 'SAME', strideH: 1, strideW: 1, activation: 'RELU' });
  const y = b.tensor('y', [1, 2], 'int8', q(0.2, 3));
  b.op('FULLY_CONNECTED', [c, b.constant('fc', [2, 8192], 'int8', ints(16384), q(0.002, 0)), b.constant('fcb', [2], 'int32', [100, -100])], [y]);
  b.io([x], [y]);
  const src = b.finish();
  const calib = [0, 1, 2, 3].map(() => [Uint8Array.from({ length: 2048 }, () => r() & 0xff)]);
  const cal = await convertCalibrated(src, 'reshaped', { compress: { codebook: 4, huffman: true } }, calib);
  assert.ok(cal.stats.size >= 1, 'the conv filter behind the reshape has statistics');
  const m = await loadModelNode(cal.result.epk);
  assert.is(m.run(calib[0][0])[0].length, 2);
});

test.run();
