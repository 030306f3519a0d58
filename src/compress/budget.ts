// Size budget (--size-budget): per layer, the representation (int8 + Huffman, lossless, or a
// calibrated codebook of 8..2 bits + Huffman) so the .epk fits the budget with the least
// model output error. Every layer is compressed at every width once (compensate-weights on
// the calibration statistics) to learn its stored bytes; its output-error curve is measured
// by running the model with that layer alone at each width on the first SENSITIVITY_INPUTS
// calibration inputs (model output mean squared difference against the int8 model). Greedy
// on those curves, taken as additive, to a looser target; then greedy steps that re-measure
// the model as allocated so far (interactions). Then convert and check the real .epk size,
// tightening the target by any excess until it fits; with --sequential the widths that fit
// are compressed again on sequential statistics (calibrated.ts), kept when that fits too.

import { ConvertOptions, ConvertResult, convertModel } from '../convert.js';
import { ConvertError } from '../ir/graph.js';
import { Compressed, LayerOutcome } from '../passes/compensate-weights.js';
import { weightRefs } from '../passes/weights.js';
import { load } from '../runtime/loader.js';
import { Calibrated, SEQUENTIAL_DEFAULT, preparedGraph, sequentialStats } from './calibrated.js';
import { collectLayerStats } from './layer-stats.js';

/** Widths tried per layer, lossless first: 0 = int8 (+ Huffman). */
export const WIDTHS = [0, 8, 7, 6, 5, 4, 3, 2];
/** Calibration inputs the model output error is measured on (each layer's curve, the refinement). */
export const SENSITIVITY_INPUTS = 64;
/** Share of (lossless - target) the additive allocation leaves to measured steps: more measures interactions over more of the way, at one model run per candidate per step. */
export const REFINE_SLACK = 0.3;
/** Moves measured per refinement step (the best by the additive curves). */
export const REFINE_CANDIDATES = 3;
/** Final conversions tried while tightening the target. */
const MAX_FIT_ROUNDS = 6;
/** Sequential compressions tried (each runs the calibration set again per pass). */
const MAX_SEQUENTIAL_ROUNDS = 2;

export class BudgetError extends ConvertError {}

export interface LayerOption {
  bits: number;
  bytes: number;
  /** Layer output error energy / layer output energy on the calibration data. */
  relError: number;
  /** Model output mean squared difference (output steps^2) with this layer alone at this option. */
  outputError?: number;
}

export interface LayerPlan {
  op: number;
  options: LayerOption[];
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

/** Codebook bits by source op (0: int8 + Huffman, lossless). */
type Choices = Record<number, number>;
const allAt = (ops: number[], bits: number): Choices => Object.fromEntries(ops.map((o) => [o, bits]));
const describe = (bits: number) => (bits ? `${bits}-bit codebook` : 'int8');

export async function convertToBudget(
  bytes: Uint8Array, name: string, opts: ConvertOptions, samples: Uint8Array[][], budget: number, log: (l: string) => void = () => {},
  { sequential = SEQUENTIAL_DEFAULT } = {},
): Promise<BudgetResult> {
  const prepared = preparedGraph(bytes, name, opts);
  const stats = await collectLayerStats(prepared, samples, log);
  const ops = weightRefs(prepared).map((r) => r.op.sourceIndex);
  const cache = new Map<string, Compressed>(); // every (filter, width) is compressed once
  // huffman: false only where the output is measured (the weights, and so the outputs, are the same)
  const convert = (layers: Choices, outcome?: Map<number, LayerOutcome>, huffman = true) =>
    convertModel(bytes, name, { ...opts, log: () => {}, compress: { ...opts.compress, huffman, codebookLayers: layers, calibration: { stats, outcome, cache } } });
  const plans: LayerPlan[] = ops.map((op) => ({ op, options: [], chosen: 0 }));
  for (const bits of WIDTHS) {
    const outcome = new Map<number, LayerOutcome>();
    const r = convert(allAt(ops, bits), outcome);
    const stored = storedBytes(r);
    for (const p of plans) {
      const o = outcome.get(p.op);
      p.options.push({ bits, bytes: stored.get(p.op)!, relError: o && o.signal > 0 ? o.error / o.signal : 0 });
    }
    log(`size budget: every layer at ${describe(bits)}: ${r.epk.length} B`);
  }
  const lossless = convert(allAt(ops, 0)).epk.length;
  const floor = lossless - plans.reduce((s, p) => s + p.options[0].bytes - Math.min(...p.options.map((o) => o.bytes)), 0);
  const impossible = () => new BudgetError(`${name}: --size-budget ${budget} B cannot be met: the smallest .epk reachable (every filter at its smallest, 2 bits + Huffman) is about ${floor} B`);
  if (budget < floor) throw impossible();
  const probe = samples.slice(0, SENSITIVITY_INPUTS);
  const measure = await outputErrorOn(probe, convert, ops);
  await measureCurves(plans, measure, ops, probe.length, log);
  let target = budget;
  for (let round = 0, sequentialRounds = 0; round < MAX_FIT_ROUNDS; round++) {
    const estimate = await refine(plans, lossless, target, measure, log);
    const layers: Choices = Object.fromEntries(plans.map((p) => [p.op, p.options[p.chosen].bits]));
    const plannedOutcome = new Map<number, LayerOutcome>();
    const planned = convert(layers, plannedOutcome);
    log(`size budget: target ${target} B, estimate ${estimate} B, .epk ${planned.epk.length} B (budget ${budget} B): ${plans.map((p) => `op ${p.op} ${describe(p.options[p.chosen].bits)}`).join(', ')}`);
    if (planned.epk.length <= budget && !sequential) return { result: planned, stats, outcome: plannedOutcome, budget, layers: plans };
    if (planned.epk.length > budget) {
      if (estimate > target) break;
      target -= planned.epk.length - budget;
      continue;
    }
    // the chosen widths, compressed again on sequential statistics (each layer on the inputs
    // the already-compressed earlier layers give); kept when it still fits
    const seqCache = new Map<string, Compressed>();
    const seqStats = await sequentialStats(prepared, samples, { layers }, seqCache, log);
    const outcome = new Map<number, LayerOutcome>();
    const result = convertModel(bytes, name, { ...opts, log: () => {}, compress: { ...opts.compress, huffman: true, codebookLayers: layers, calibration: { stats: seqStats, outcome, cache: seqCache } } });
    log(`size budget: sequential statistics at those widths: .epk ${result.epk.length} B (budget ${budget} B)`);
    if (result.epk.length <= budget) return { result, stats: seqStats, outcome, budget, layers: plans };
    if (++sequentialRounds >= MAX_SEQUENTIAL_ROUNDS) {
      log('size budget: the sequential result does not fit; keeping the plain-statistics one');
      const plainOutcome = new Map<number, LayerOutcome>();
      return { result: convert(layers, plainOutcome), stats, outcome: plainOutcome, budget, layers: plans };
    }
    target -= result.epk.length - budget;
  }
  throw impossible();
}

/** Stored bytes of every filter by source op (its packed blob, else its int8 bytes). */
function storedBytes(r: ConvertResult): Map<number, number> {
  const m = new Map<number, number>();
  for (const ref of weightRefs(r.graph)) m.set(ref.op.sourceIndex, ref.tensor.packed ? ref.tensor.packed.blob.length : (ref.tensor.data as Int8Array).length);
  return m;
}

/** Model output mean squared difference (output steps^2) of a conversion against the int8 model on the inputs. */
type OutputError = (choices: Choices) => Promise<number>;

async function outputErrorOn(inputs: Uint8Array[][], convert: (choices: Choices, outcome: undefined, huffman: boolean) => ConvertResult, ops: number[]): Promise<OutputError> {
  const plain = await load(convert(allAt(ops, 0), undefined, false).epk);
  const reference = inputs.map((x) => plain.run(...x).map((o) => Int8Array.from(new Int8Array(o.buffer, o.byteOffset, o.length))));
  return async (choices) => {
    const model = await load(convert(choices, undefined, false).epk);
    let sq = 0, n = 0;
    inputs.forEach((x, i) => {
      model.run(...x).forEach((o, k) => {
        const y = new Int8Array(o.buffer, o.byteOffset, o.length), ref = reference[i][k];
        for (let j = 0; j < y.length; j++) sq += (y[j] - ref[j]) ** 2;
        n += y.length;
      });
    });
    return sq / n;
  };
}

/**
 * Each layer's output-error curve: the model output MSE with that layer alone at each lossy
 * width, measured (not extrapolated from one width: a layer's 2-bit error is not 8x its
 * 5-bit error in the model output). Lossless options cost 0.
 */
async function measureCurves(plans: LayerPlan[], measure: OutputError, ops: number[], inputs: number, log: (l: string) => void): Promise<void> {
  const started = Date.now();
  for (const [n, p] of plans.entries()) {
    for (const o of p.options) {
      // an option with no fewer bytes and no less layer error than another is never worth a run
      const dominated = p.options.some((b) => b !== o && b.bytes <= o.bytes && b.relError <= o.relError && (b.bytes < o.bytes || b.relError < o.relError));
      o.outputError = o.relError === 0 ? 0 : dominated ? Infinity : await measure({ ...allAt(ops, 0), [p.op]: o.bits });
    }
    log(`size budget: output error of layer ${n + 1}/${plans.length} (op ${p.op}) alone: ${p.options.filter((o) => o.outputError! < Infinity).map((o) => `${describe(o.bits)} ${o.bytes} B ${o.outputError!.toFixed(2)}`).join(', ')} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  log(`size budget: output error curves (model output MSE in output steps^2 on ${inputs} calibration inputs, each layer alone)`);
}

/** The option j of plan p that saves the most bytes per unit of added output error from its current one, with that ratio. */
function bestMove(p: LayerPlan): { j: number; ratio: number } | null {
  const cur = p.options[p.chosen];
  let best: { j: number; ratio: number } | null = null;
  p.options.forEach((o, j) => {
    if (o.bytes >= cur.bytes || !Number.isFinite(o.outputError!)) return;
    const ratio = Math.max(0, o.outputError! - cur.outputError!) / (cur.bytes - o.bytes);
    if (!best || ratio < best.ratio) best = { j, ratio };
  });
  return best;
}

/**
 * Greedy allocation on the measured curves, taken as additive: from every layer lossless,
 * repeatedly take the move (a layer to any smaller option) with the least added output error
 * per byte saved, until the estimated size (lossless .epk minus bytes saved) is within the
 * target. Returns the estimate.
 */
export function allocate(plans: LayerPlan[], lossless: number, target: number): number {
  for (const p of plans) p.chosen = 0;
  let size = lossless;
  while (size > target) {
    let best: { p: LayerPlan; j: number; ratio: number } | null = null;
    for (const p of plans) {
      const m = bestMove(p);
      if (m && (!best || m.ratio < best.ratio)) best = { p, ...m };
    }
    if (!best) break;
    const b: { p: LayerPlan; j: number } = best;
    size -= b.p.options[b.p.chosen].bytes - b.p.options[b.j].bytes;
    b.p.chosen = b.j;
  }
  return size;
}

/**
 * Interactions: errors of layers compressed together do not add (they compound or cancel).
 * From the additive allocation at a looser target (REFINE_SLACK of the way back to lossless),
 * each further step measures the REFINE_CANDIDATES best additive moves on the model as
 * allocated so far and takes the one of least measured added error per byte saved, until the
 * estimate is within the target. Returns the estimate.
 */
export async function refine(plans: LayerPlan[], lossless: number, target: number, measure: OutputError, log: (l: string) => void): Promise<number> {
  let size = allocate(plans, lossless, target + REFINE_SLACK * (lossless - target));
  const layers = (): Choices => Object.fromEntries(plans.map((p) => [p.op, p.options[p.chosen].bits]));
  let error = await measure(layers()), steps = 0;
  while (size > target) {
    const moves = plans.flatMap((p) => {
      const m = bestMove(p);
      return m ? [{ p, ...m }] : [];
    }).sort((a, b) => a.ratio - b.ratio || a.p.op - b.p.op).slice(0, REFINE_CANDIDATES);
    if (!moves.length) break;
    let best: { p: LayerPlan; j: number; error: number; ratio: number } | null = null;
    for (const m of moves) {
      const saved = m.p.options[m.p.chosen].bytes - m.p.options[m.j].bytes;
      const e = await measure({ ...layers(), [m.p.op]: m.p.options[m.j].bits });
      const ratio = Math.max(0, e - error) / saved;
      if (!best || ratio < best.ratio) best = { p: m.p, j: m.j, error: e, ratio };
    }
    const b = best!;
    size -= b.p.options[b.p.chosen].bytes - b.p.options[b.j].bytes;
    b.p.chosen = b.j;
    error = b.error;
    steps++;
  }
  log(`size budget: ${steps} measured steps, model output MSE ${error.toFixed(3)} on the calibration inputs`);
  return size;
}
