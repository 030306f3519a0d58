// Size budget (--size-budget): per layer, the representation (int8 + Huffman, lossless, or a
// calibrated codebook of 256..3 centroids + Huffman) so the .epk fits the budget with the least
// measured output error. Every layer is compressed at every width once (compensate-weights
// on the calibration statistics) to learn its stored bytes and its output error energy on
// the calibration data (relative to the layer's output energy); each layer's sensitivity
// is measured by running the model with that layer alone at 3 bits on the first
// SENSITIVITY_INPUTS calibration inputs (model output mean squared difference in output
// steps per unit of relative layer error). Greedy: take the step (any layer, any smaller
// width) with the least added weighted error per byte saved until the estimate fits. With at
// least SPLIT_MIN_SAMPLES inputs the allocation is cross-validated instead (seventh round):
// the inputs split into FOLDS folds, each fold's inputs are scored (softmax total variation
// against the int8 model, output-error.ts) on layers compressed on the statistics of the other
// folds only, so every input is out of sample; the sensitivities come from that error with one
// layer alone at PROBE_LEVELS, and the allocation is the exact knapsack on them
// (allocateExact), which spends the bytes the greedy's last step leaves over. A local search
// on the cross-validated error (refineAllocation) is there on request only: it lowered that
// error and raised the held-out one. The options and the chosen widths are compressed on all
// the inputs. Then convert and check the real .epk size, tightening the target by any excess
// until it fits; the widths that fit are compressed again on sequential statistics
// (calibrated.ts), kept when that result fits too.

import { ConvertOptions, ConvertResult, convertModel } from '../convert.js';
import { ConvertError, Graph } from '../ir/graph.js';
import { Compressed, LayerOutcome, compensateWeights } from '../passes/compensate-weights.js';
import { BIAS_INPUT, MULT_INPUT, SHIFT_INPUT } from '../passes/narrow-shifts.js';
import { weightRefs } from '../passes/weights.js';
import { load } from '../runtime/loader.js';
import { Calibrated, SEQUENTIAL_DEFAULT, filterMacs, preparedGraph, sequentialStats } from './calibrated.js';
import { LayerStats, collectLayerStats } from './layer-stats.js';
import { meanError, outputErrorMeasure } from './output-error.js';

/**
 * Rate weights (compensate.ts `rate`: one index bit worth mu x the filter's mean error per
 * weight) offered beside the nearest-centroid assignment at every codebook of at most
 * RATE_MAX_LEVELS centroids (`gridWith`). None by default: per layer the entropy-constrained
 * options cost less held-out error per byte (op 9 at 4 levels: 552 B fewer for 0.19 dB), but
 * with [1.5, 3] the knapsack re-drew the allocation and the held-out result was no better on
 * average and worse on the official split (docs/compression.md "Eighth round").
 */
export const RATES: number[] = [];
export const RATE_MAX_LEVELS = 32;
/** Widths tried per layer: 0 = int8 (+ Huffman), lossless. */
export const WIDTHS = [0, 8, 7, 6, 5, 4, 3, 2];
/**
 * The options tried per layer, wide to narrow: codebooks of `levels` centroids in a table of
 * 2^bits entries. With Huffman the stored bits follow the index entropy, not the table width,
 * so 24, 12, 6, 5 and 3 levels fill the gaps between the powers of two (op 9 of ic_resnet8:
 * 13054 B at 8 levels, 9163 B at 4).
 */
export const GRID = gridWith(RATES);

/** The options of GRID, each codebook of at most RATE_MAX_LEVELS centroids also at each rate weight (after it). */
export function gridWith(rates: number[]): { bits: number; levels: number; rate: number }[] {
  return [
    { bits: 0, levels: 0, rate: 0 }, ...WIDTHS.slice(1).flatMap((bits) => {
      const half = 3 << (bits - 2); // 1.5 x 2^(bits-1): 24 for 5 bits, 12 for 4, 6 for 3, 3 for 2
      const counts = bits <= 5 ? [1 << bits, half, ...(bits === 3 ? [5] : [])] : [1 << bits];
      return counts.flatMap((levels) => [0, ...(levels <= RATE_MAX_LEVELS ? rates : [])].map((rate) => ({ bits, levels, rate })));
    }),
  ];
}
/** Calibration inputs from which the allocation is cross-validated (FOLDS folds) and refined. */
export const SPLIT_MIN_SAMPLES = 40;
/** Calibration inputs run per layer to measure its sensitivity. */
export const SENSITIVITY_INPUTS = 64;
/** Final conversions tried while tightening the target. */
const MAX_FIT_ROUNDS = 6;
/** Sequential compressions tried (each runs the calibration set again per pass). */
const MAX_SEQUENTIAL_ROUNDS = 2;

export class BudgetError extends ConvertError {}

export interface LayerOption {
  bits: number;
  /** Centroids in the table (<= 2^bits; 0 for int8). */
  levels: number;
  /** Rate weight of the assignment (0 or absent: nearest centroid). */
  rate?: number;
  bytes: number;
  /** Layer output error energy / layer output energy on the calibration data. */
  relError: number;
}

export interface LayerPlan {
  op: number;
  options: LayerOption[];
  /** Model output mean squared difference (output steps^2) per unit of relError. */
  sensitivity: number;
  chosen: number;
}

export interface BudgetResult extends Calibrated {
  budget: number;
  layers: LayerPlan[];
}

/** Parses --size-budget: a fraction in (0, 1) of the source bytes, NNNk (x 1024 bytes) or NNN bytes. */
export function parseBudget(spec: string, sourceBytes: number): number | null {
  const k = /^(\d+(?:\.\d+)?)k$/i.exec(spec);
  if (k) return Math.floor(Number(k[1]) * 1024);
  const v = Number(spec);
  if (!Number.isFinite(v) || spec.trim() === '') return null;
  if (v > 0 && v < 1) return Math.floor(v * sourceBytes);
  if (Number.isInteger(v) && v >= 1) return v;
  return null;
}

const allAt = (ops: number[], bits: number) => Object.fromEntries(ops.map((o) => [o, bits]));

/** Per-layer bits, levels and rate weights of the plans' chosen options, by source op index. */
export function chosenWidths(plans: LayerPlan[]): { layers: Record<number, number>; levelsLayers: Record<number, number>; ratesLayers: Record<number, number> } {
  const of = (key: 'bits' | 'levels' | 'rate') => Object.fromEntries(plans.map((p) => [p.op, p.options[p.chosen][key] ?? 0]));
  return { layers: of('bits'), levelsLayers: of('levels'), ratesLayers: of('rate') };
}

/** An option as the logs print it: levels (0 = int8), and the rate weight when there is one. */
export const optionName = (o: LayerOption) => `${o.levels}${o.rate ? `r${o.rate}` : ''}`;

/** Everything the allocation chooses from: every layer's options, measured once. */
export interface BudgetSearch {
  prepared: Graph;
  stats: Map<number, LayerStats>;
  ops: number[];
  plans: LayerPlan[];
  /** .epk bytes with every filter lossless (int8 + Huffman). */
  lossless: number;
  /** About the smallest .epk reachable (every filter at its smallest option). */
  floor: number;
  cache: Map<string, Compressed>;
  /** Converts with per-layer bits and levels on the plain statistics. */
  convert: (layers: Record<number, number>, outcome?: Map<number, LayerOutcome>, levels?: Record<number, number>, rates?: Record<number, number>) => ConvertResult;
}

/** Compresses every filter at every option of GRID (with `rates`: gridWith's) once, to learn its stored bytes and relative error. */
export async function budgetSearch(bytes: Uint8Array, name: string, opts: ConvertOptions, samples: Uint8Array[][], log: (l: string) => void, rates = RATES): Promise<BudgetSearch> {
  const prepared = preparedGraph(bytes, name, opts);
  const stats = await collectLayerStats(prepared, samples, log);
  const ops = weightRefs(prepared).map((r) => r.op.sourceIndex);
  const cache = new Map<string, Compressed>(); // every (filter, width) is compressed once
  const convert = (layers: Record<number, number>, outcome?: Map<number, LayerOutcome>, levels?: Record<number, number>, rates?: Record<number, number>) =>
    convertModel(bytes, name, { ...opts, log: () => {}, compress: { ...opts.compress, huffman: true, codebookLayers: layers, levelsLayers: levels, ratesLayers: rates, calibration: { stats, outcome, cache } } });
  const plans: LayerPlan[] = ops.map((op) => ({ op, options: [], sensitivity: 0, chosen: 0 }));
  for (const { bits, levels, rate } of gridWith(rates)) {
    const outcome = new Map<number, LayerOutcome>();
    const r = convert(allAt(ops, bits), outcome, allAt(ops, levels), allAt(ops, rate));
    const stored = storedBytes(r);
    for (const p of plans) {
      const o = outcome.get(p.op);
      p.options.push({ bits, levels, rate, bytes: stored.get(p.op)!, relError: o && o.signal > 0 ? o.error / o.signal : 0 });
    }
    log(`size budget: every layer at ${bits ? `${levels} levels (${bits}-bit codebook${rate ? `, rate weight ${rate}` : ''})` : 'int8'}: ${r.epk.length} B`);
  }
  const lossless = convert(allAt(ops, 0)).epk.length;
  const floor = lossless - plans.reduce((s, p) => s + p.options[0].bytes - Math.min(...p.options.map((o) => o.bytes)), 0);
  return { prepared, stats, ops, plans, lossless, floor, cache, convert };
}

/** The prepared graph with each layer at its chosen option (what the .epk decodes to, before packing). */
export function compressedGraph(s: BudgetSearch, plans: LayerPlan[] = s.plans): Graph {
  return compensateWeights({ stats: s.stats, ...chosenWidths(plans), cache: s.cache })(s.prepared);
}

/**
 * What the allocation of any budget needs, measured once: every layer's options (bytes and
 * relative error on all the calibration inputs), the sensitivities and, with at least
 * SPLIT_MIN_SAMPLES inputs, the cross-validated output error the refinement minimises.
 */
export interface BudgetPlanner {
  search: BudgetSearch;
  samples: Uint8Array[][];
  /** Cross-validation over FOLDS folds of the inputs; null with fewer than SPLIT_MIN_SAMPLES inputs. */
  cv: CrossValidation | null;
  /** Measurements the refinement may spend. */
  refineEvals: number;
}

/**
 * Options on all the inputs; then, with at least SPLIT_MIN_SAMPLES inputs, sensitivities and
 * the refinement's error from FOLDS-fold cross-validation (every input scored on layers
 * compressed without it), else the 3-bit probe on the first SENSITIVITY_INPUTS inputs.
 */
export async function budgetPlanner(search: BudgetSearch, samples: Uint8Array[][], log: (l: string) => void): Promise<BudgetPlanner> {
  const { prepared, plans, ops } = search;
  if (samples.length < SPLIT_MIN_SAMPLES) {
    await measureSensitivity(plans, samples.slice(0, SENSITIVITY_INPUTS), search.convert, ops, log);
    return { search, samples, cv: null, refineEvals: 0 };
  }
  const cv = await crossValidation(prepared, samples, log);
  await crossValidatedSensitivity(plans, cv, log);
  const refineEvals = Math.max(1, Math.min(REFINE_EVALS, Math.floor(REFINE_MACS / Math.max(1, filterMacs(prepared) * samples.length))));
  return { search, samples, cv, refineEvals };
}

export async function convertToBudget(
  bytes: Uint8Array, name: string, opts: ConvertOptions, samples: Uint8Array[][], budget: number, log: (l: string) => void = () => {},
  { sequential = SEQUENTIAL_DEFAULT } = {},
): Promise<BudgetResult> {
  const search = await budgetSearch(bytes, name, opts, samples, log);
  if (budget < search.floor) throw impossibleBudget(name, budget, search.floor);
  return fitBudget(await budgetPlanner(search, samples, log), bytes, name, opts, budget, log, { sequential });
}

const impossibleBudget = (name: string, budget: number, floor: number) =>
  new BudgetError(`${name}: --size-budget ${budget} B cannot be met: the smallest .epk reachable (every filter at its smallest, 2 bits + Huffman) is about ${floor} B`);

/**
 * Allocates the budget, converts, and tightens the target by any excess until the .epk fits.
 * With the planner's cross-validation (at least SPLIT_MIN_SAMPLES inputs) the allocation is
 * the exact knapsack on the cross-validated sensitivities (`allocateExact`); without it, the
 * greedy on the probe's. `refine`: then the local search on the cross-validated error
 * (measured in the seventh round: it lowers that error and raises the held-out one, so it is
 * off unless asked for).
 */
export async function fitBudget(
  planner: BudgetPlanner, bytes: Uint8Array, name: string, opts: ConvertOptions, budget: number, log: (l: string) => void = () => {},
  { sequential = SEQUENTIAL_DEFAULT, refine = false, exact = planner.cv !== null } = {},
): Promise<BudgetResult> {
  const { search, samples, cv } = planner;
  const { prepared, plans, lossless, floor, stats, convert } = search;
  if (budget < floor) throw impossibleBudget(name, budget, floor);
  let target = budget, lastChoice = '';
  for (let round = 0, sequentialRounds = 0; round < MAX_FIT_ROUNDS; round++) {
    let estimate = exact ? allocateExact(plans, lossless, target) : allocate(plans, lossless, target);
    if (cv && refine) estimate = await refineAllocation(plans, lossless, target, cv.measure, log, planner.refineEvals);
    const { layers, levelsLayers: levels, ratesLayers: rates } = chosenWidths(plans);
    const plannedOutcome = new Map<number, LayerOutcome>();
    const planned = convert(layers, plannedOutcome, levels, rates);
    log(`size budget: widths ${plans.map((p) => `${p.op}:${optionName(p.options[p.chosen])}`).join(' ')} (op: levels, 0 = int8, rN: rate weight N; ${exact ? 'knapsack' : 'greedy'}${cv && refine ? ', refined' : ''})`);
    log(`size budget: target ${target} B, estimate ${estimate} B, .epk ${planned.epk.length} B (budget ${budget} B)`);
    if (planned.epk.length <= budget && !sequential) return { result: planned, stats, outcome: plannedOutcome, budget, layers: plans };
    if (planned.epk.length > budget) {
      if (estimate > target) break;
      // Tighten by the excess; when that left the widths as they were (the knapsack moves in
      // steps of 8 B, and the .epk runs 30-80 B above the estimate: each constant is 16-aligned),
      // aim under the budget by the estimate's whole miss, or the rounds run out 1 B at a time.
      const choice = plans.map((p) => p.chosen).join(',');
      target = choice === lastChoice ? Math.min(target - (planned.epk.length - budget), budget - (planned.epk.length - estimate)) : target - (planned.epk.length - budget);
      lastChoice = choice;
      continue;
    }
    // the chosen widths, compressed again on sequential statistics (each layer on the inputs
    // the already-compressed earlier layers give); kept when it still fits
    const seqCache = new Map<string, Compressed>();
    const seqStats = await sequentialStats(prepared, samples, { layers, levelsLayers: levels, ratesLayers: rates }, seqCache, log);
    const outcome = new Map<number, LayerOutcome>();
    const result = convertModel(bytes, name, { ...opts, log: () => {}, compress: { ...opts.compress, huffman: true, codebookLayers: layers, levelsLayers: levels, ratesLayers: rates, calibration: { stats: seqStats, outcome, cache: seqCache } } });
    log(`size budget: sequential statistics at those widths: .epk ${result.epk.length} B (budget ${budget} B)`);
    if (result.epk.length <= budget) return { result, stats: seqStats, outcome, budget, layers: plans };
    if (++sequentialRounds >= MAX_SEQUENTIAL_ROUNDS) {
      log('size budget: the sequential result does not fit; keeping the plain-statistics one');
      const plainOutcome = new Map<number, LayerOutcome>();
      return { result: convert(layers, plainOutcome, levels, rates), stats, outcome: plainOutcome, budget, layers: plans };
    }
    target -= result.epk.length - budget;
  }
  throw impossibleBudget(name, budget, floor);
}

/** Folds of the calibration inputs the allocation is cross-validated on: input i is in fold i % FOLDS. */
export const FOLDS = 4;
/** Options (centroids) each layer is probed at, alone, for its sensitivity. */
export const PROBE_LEVELS = [8, 4];

export interface CrossValidation {
  /**
   * Whole-model output error (softmax total variation against the int8 model) per calibration
   * input, in input order, of the plans' chosen options: each fold's inputs run on the model
   * whose layers were compressed on the statistics of the other folds only.
   */
  measure: AllocationError;
}

/** Per fold, the statistics of the inputs outside it and the output error on the inputs in it. */
export async function crossValidation(prepared: Graph, samples: Uint8Array[][], log: (l: string) => void = () => {}): Promise<CrossValidation> {
  const folds: { stats: Map<number, LayerStats>; cache: Map<string, Compressed>; error: (g: Graph) => Promise<Float64Array> }[] = [];
  for (let f = 0; f < FOLDS; f++) {
    const stats = await collectLayerStats(prepared, samples.filter((_, i) => i % FOLDS !== f));
    folds.push({ stats, cache: new Map(), error: await outputErrorMeasure(prepared, samples.filter((_, i) => i % FOLDS === f), 'tv') });
    log(`size budget: cross-validation fold ${f + 1}/${FOLDS}: statistics of the inputs outside it`);
  }
  const measure: AllocationError = async (plans) => {
    const out = new Float64Array(samples.length);
    for (let f = 0; f < FOLDS; f++) {
      const e = await folds[f].error(compensateWeights({ stats: folds[f].stats, ...chosenWidths(plans), cache: folds[f].cache })(prepared));
      e.forEach((v, j) => (out[f + j * FOLDS] = v));
    }
    return out;
  };
  return { measure };
}

/**
 * Sensitivity of each layer from the cross-validated output error: that layer alone at each of
 * PROBE_LEVELS (the others int8), the mean error over every calibration input (each scored on
 * the layer compressed without it) summed over the probes, per unit of the options' relative
 * error summed likewise.
 */
export async function crossValidatedSensitivity(plans: LayerPlan[], cv: CrossValidation, log: (l: string) => void = () => {}): Promise<void> {
  for (const p of plans) {
    const cols = PROBE_LEVELS.map((levels) => p.options.findIndex((o) => o.levels === levels && !o.rate));
    let err = 0, rel = 0;
    for (const col of cols) {
      if (p.options[col].relError === 0) continue;
      const probe = plans.map((q) => ({ ...q, chosen: q === p ? col : 0 }));
      err += meanError(await cv.measure(probe));
      rel += p.options[col].relError;
    }
    // a floor keeps layers whose probed error does not show on these inputs from looking free
    p.sensitivity = rel > 0 ? Math.max(err, 1e-6) / rel : 0;
  }
  log(`size budget: sensitivity (cross-validated output error per unit of relative layer error, ${FOLDS} folds, probes at ${PROBE_LEVELS.join(' and ')} levels): ${plans.map((p) => `op ${p.op} ${p.sensitivity.toPrecision(3)}`).join(', ')}`);
}

/**
 * Bytes each layer stores at an option: its filter (the blob, or raw int8), its bias, multipliers
 * and shifts. The shifts are int8 beside a packed filter and int32 beside a raw one, and so are
 * the multipliers of a filter compressed with calibration (row-gain.ts) and, int16, the biases
 * that fit (narrow-shifts.ts), so an option that packs a filter the lossless .epk keeps raw
 * also saves 3 to 8 bytes per channel.
 */
function storedBytes(r: ConvertResult): Map<number, number> {
  const m = new Map<number, number>();
  const inputBytes = (op: { inputs: number[] }, k: number) => {
    const t = op.inputs.length === 5 && op.inputs[k] >= 0 ? r.graph.tensors[op.inputs[k]] : null;
    return t ? (t.data as Int8Array | Int16Array | Int32Array).byteLength : 0;
  };
  for (const ref of weightRefs(r.graph)) {
    m.set(ref.op.sourceIndex, (ref.tensor.packed ? ref.tensor.packed.blob.length : (ref.tensor.data as Int8Array).length) + inputBytes(ref.op, BIAS_INPUT) + inputBytes(ref.op, MULT_INPUT) + inputBytes(ref.op, SHIFT_INPUT));
  }
  return m;
}

/** Sensitivity of each layer: model output MSE with that layer alone at 3 bits (64 inputs; 4 bits on 32 measured 0.9 points worse at 0.35 on ic_resnet8), per unit of its relative error. */
export async function measureSensitivity(
  plans: LayerPlan[], inputs: Uint8Array[][],
  convert: (layers: Record<number, number>) => ConvertResult, ops: number[], log: (l: string) => void,
): Promise<void> {
  const plain = await load(convert(allAt(ops, 0)).epk);
  const reference = inputs.map((x) => plain.run(...x).map((o) => new Int8Array(o.buffer, o.byteOffset, o.length)));
  const probeBits = 3;
  for (const p of plans) {
    const col = p.options.findIndex((o) => o.bits === probeBits && o.levels === 1 << probeBits && !o.rate);
    const rel = p.options[col].relError;
    if (rel === 0) continue;
    const model = await load(convert({ ...allAt(ops, 0), [p.op]: probeBits }).epk);
    let sq = 0, n = 0;
    inputs.forEach((x, i) => {
      model.run(...x).forEach((o, k) => {
        const y = new Int8Array(o.buffer, o.byteOffset, o.length), ref = reference[i][k];
        for (let j = 0; j < y.length; j++) sq += (y[j] - ref[j]) ** 2;
        n += y.length;
      });
    });
    // a floor keeps layers whose 4-bit error does not show on these inputs from looking free
    p.sensitivity = Math.max(sq / n, 1e-3) / rel;
  }
  log(`size budget: sensitivity (output MSE per unit of relative layer error) on ${inputs.length} calibration inputs: ${plans.map((p) => `op ${p.op} ${p.sensitivity.toFixed(0)}`).join(', ')}`);
}

/**
 * Greedy allocation: from every layer lossless, repeatedly take the move (a layer to its
 * next smaller option) with the least added weighted error per byte saved, until the estimated
 * size (lossless .epk minus bytes saved) is within the target. Returns the estimate.
 */
export function allocate(plans: LayerPlan[], lossless: number, target: number): number {
  for (const p of plans) p.chosen = 0;
  let size = lossless;
  const cost = (p: LayerPlan, o: LayerOption) => p.sensitivity * o.relError;
  while (size > target) {
    let best: { p: LayerPlan; j: number; ratio: number } | null = null;
    for (const p of plans) {
      // the next smaller option of this layer (options are ordered by width, wide to narrow)
      const cur = p.options[p.chosen];
      const j = p.options.findIndex((o, k) => k > p.chosen && o.bytes < cur.bytes);
      if (j < 0) continue;
      const ratio = Math.max(0, cost(p, p.options[j]) - cost(p, cur)) / (cur.bytes - p.options[j].bytes);
      if (!best || ratio < best.ratio) best = { p, j, ratio };
    }
    if (!best) break;
    const b: { p: LayerPlan; j: number } = best;
    size -= b.p.options[b.p.chosen].bytes - b.p.options[b.j].bytes;
    b.p.chosen = b.j;
  }
  return size;
}

/**
 * Exact allocation under the same additive model as `allocate` (the sum over layers of
 * sensitivity x relative error, least within the target): a multiple-choice knapsack solved by
 * dynamic programming over the bytes, in steps of `step` bytes (each option's bytes rounded
 * up, so the estimate never exceeds the target). Unlike the greedy it spends the bytes its
 * last step would leave over. Ties keep the wider option. Returns the estimate, or the
 * greedy's when no allocation fits.
 */
export function allocateExact(plans: LayerPlan[], lossless: number, target: number): number {
  const fixed = lossless - plans.reduce((s, p) => s + p.options[0].bytes, 0); // bytes that are not filters
  const room = target - fixed;
  const step = Math.max(8, Math.ceil(room / 20000));
  const cap = Math.floor(room / step);
  if (cap < 0) return allocate(plans, lossless, target);
  const cost = (p: LayerPlan, j: number) => p.sensitivity * p.options[j].relError;
  let best = new Float64Array(cap + 1); // least cost of the layers so far within c steps
  const choice = plans.map(() => new Int16Array(cap + 1).fill(-1));
  plans.forEach((p, n) => {
    const next = new Float64Array(cap + 1).fill(Infinity);
    p.options.forEach((o, j) => {
      const w = Math.ceil(o.bytes / step), c0 = cost(p, j);
      for (let c = w; c <= cap; c++) {
        const v = best[c - w] + c0;
        if (v < next[c]) { next[c] = v; choice[n][c] = j; }
      }
    });
    best = next;
  });
  if (!Number.isFinite(best[cap])) return allocate(plans, lossless, target);
  for (let n = plans.length - 1, c = cap; n >= 0; n--) {
    const j = choice[n][c];
    plans[n].chosen = j;
    c -= Math.ceil(plans[n].options[j].bytes / step);
  }
  return lossless - plans.reduce((s, p) => s + p.options[0].bytes - p.options[p.chosen].bytes, 0);
}

/** Measurements the local search may spend at most (each ~0.1 s for ic_resnet8 on 50 inputs). */
export const REFINE_EVALS = 400;
/**
 * Filter multiply-adds x measured inputs the local search may spend in all: ic_resnet8 (12.5 M
 * MACs, 50 inputs) keeps REFINE_EVALS; mobilenet_v2 (300 M) gets 17 measurements.
 */
export const REFINE_MACS = 2.6e11;
/** Relative drop in output error a refinement move must bring on each half of the inputs. */
export const REFINE_GAIN = 0.002;

/** Whole-model output error of an allocation (the plans' chosen options), per calibration input. */
export type AllocationError = (plans: LayerPlan[]) => Promise<Float64Array>;

/** Options of a layer no other option beats in both bytes and error, by index, fewest bytes last. */
function efficientOptions(p: LayerPlan): number[] {
  const idx = p.options.map((_, j) => j).sort((a, b) => p.options[b].bytes - p.options[a].bytes || a - b);
  return idx.filter((j) => !idx.some((k) => k !== j && p.options[k].bytes <= p.options[j].bytes && p.options[k].relError < p.options[j].relError));
}

/**
 * Refinement (fitBudget's `refine`, off by default since the seventh round: on the
 * cross-validated error it lowered that error and raised the held-out one): local search on
 * the measured output error, from the given allocation; each round
 * measures every move that keeps the estimate within the target -- one layer to a larger
 * option with the bytes the greedy left over, or one layer one option larger and another
 * smaller by as little as pays for it -- and takes the one of least error while it lowers
 * the error by more than REFINE_GAIN. At most maxEvals measurements. Returns the estimate.
 */
export async function refineAllocation(plans: LayerPlan[], lossless: number, target: number, measure: AllocationError, log: (l: string) => void = () => {}, maxEvals = REFINE_EVALS): Promise<number> {
  const eff = plans.map(efficientOptions);
  // a chosen option the efficient list lacks (the greedy walks GRID order) stays where it is until moved
  const size = () => lossless - plans.reduce((s, p) => s + p.options[0].bytes - p.options[p.chosen].bytes, 0);
  // a move must lower the error on both halves of the inputs (even, odd): one that helps
  // only through a few inputs is noise of this calibration set, not a better allocation
  const halves = (e: Float64Array) => [meanError(e, 2, 0), meanError(e, 2, 1)];
  let best = halves(await measure(plans)), evals = 1;
  const start = best;
  for (let round = 0; evals < maxEvals; round++) {
    const free = target - size();
    const moves: [number, number][][] = [];
    plans.forEach((a, i) => {
      const cur = a.options[a.chosen].bytes;
      const wider = eff[i].filter((j) => a.options[j].bytes > cur);
      for (const j of wider) if (a.options[j].bytes - cur <= free) moves.push([[i, j]]);
      const up = wider[wider.length - 1]; // the next larger efficient option
      if (up === undefined) return;
      const need = a.options[up].bytes - cur - free;
      if (need <= 0) return;
      plans.forEach((b, k) => {
        if (k === i) return;
        const curB = b.options[b.chosen].bytes;
        const down = eff[k].find((j) => curB - b.options[j].bytes >= need);
        if (down !== undefined) moves.push([[i, up], [k, down]]);
      });
    });
    let pick: { move: [number, number][]; err: number[] } | null = null;
    for (const move of moves) {
      if (evals >= maxEvals) break;
      const saved = move.map(([i]) => plans[i].chosen);
      for (const [i, j] of move) plans[i].chosen = j;
      const err = halves(await measure(plans));
      evals++;
      move.forEach(([i], n) => (plans[i].chosen = saved[n]));
      if (err.every((e, h) => e < best[h] * (1 - REFINE_GAIN)) && (!pick || err[0] + err[1] < pick.err[0] + pick.err[1])) pick = { move, err };
    }
    if (!pick) break;
    for (const [i, j] of pick.move) plans[i].chosen = j;
    best = pick.err;
    log(`size budget: refine round ${round + 1}: ${pick.move.map(([i, j]) => `op ${plans[i].op} -> ${optionName(plans[i].options[j]) || 'int8'}`).join(', ')}: output error ${best.map((e) => e.toFixed(4)).join(' / ')}`);
  }
  log(`size budget: output error on the calibration inputs (even / odd) ${start.map((e) => e.toFixed(4)).join(' / ')} -> ${best.map((e) => e.toFixed(4)).join(' / ')} (${evals} allocations measured)`);
  return size();
}
