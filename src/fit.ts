// fit: a model and a board profile (boards/*.json) -> the .epk that fits the board's flash
// and RAM with the least fidelity loss, and the figures that show it. Per filter it picks
// a representation from REPRESENTATIONS (raw, lossless Huffman, codebooks of 6..2 bits);
// then the mode: resident if the whole model fits in RAM beside the arena, else streamed
// (which decodes packed filters on the way). RAM and flash are measured by loading
// the emitted .epk in the runtime builds, never estimated.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Graph, byteSize } from './ir/graph.js';
import { CompressOptions, ConvertResult, convertGraph, importModel } from './convert.js';
import { WEIGHT_OPS, weightRefs } from './passes/weights.js';
import { shareTensor } from './passes/share-weights.js';
import { encodeBlob } from './format/packed.js';
import { readEpk } from './format/reader.js';
import { compareModels, randomInput } from './compress/report.js';
import { BudgetError, convertToBudget } from './compress/budget.js';
import { preparedGraph } from './compress/calibrated.js';
import { loadModelNode } from './runtime/node.js';
import { firmwareRam } from './runtime/firmware.js';

export interface Board {
  name: string;
  description: string;
  core: string;
  clockMHz: number;
  ramBytes: number;
  flashBytes: number;
  wasmRuntime: string;
  simd: boolean;
  /** RAM the rest of the firmware keeps (C stack, drivers, the wasm engine's own state). */
  reserveRamBytes: number;
  /** Flash of the runtime's code and the host, without the model. */
  runtimeFlashBytes: number;
  /**
   * How the board's wasm runtime backs linear memory: "exact" (the wasm2c firmware of
   * tools/firmware backs the bytes the model needs, and its C stack and host RAM are
   * counted with them, src/runtime/firmware.ts) or "pages" (WAMR, wasm3, wasmtime, V8
   * allocate whole 64 KiB pages). Default "pages".
   */
  linearMemory?: 'exact' | 'pages';
  notes?: string;
}

const BOARDS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'boards');

export function boardNames(): string[] {
  return ['esp32s3', 'linux-gateway', 'nrf52832', 'nrf52840', 'rp2040', 'stm32h743', 'stm32l4r5'];
}

/** A board by name (boards/NAME.json) or by path to a JSON file of the same shape. */
export function loadBoard(nameOrPath: string): Board {
  const path = nameOrPath.endsWith('.json') ? nameOrPath : join(BOARDS_DIR, `${nameOrPath}.json`);
  if (!existsSync(path)) throw new FitError(`unknown board "${nameOrPath}"; known: ${boardNames().join(', ')} (or a path to a .json profile)`);
  const b = JSON.parse(readFileSync(path, 'utf8')) as Board;
  for (const k of ['ramBytes', 'flashBytes', 'reserveRamBytes', 'runtimeFlashBytes'] as const) {
    if (!(Number.isInteger(b[k]) && b[k] >= 0)) throw new FitError(`${path}: "${k}" must be a whole number of bytes`);
  }
  b.linearMemory ??= 'pages';
  if (b.linearMemory !== 'exact' && b.linearMemory !== 'pages') throw new FitError(`${path}: "linearMemory" must be "exact" or "pages"`);
  return b;
}

export class FitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FitError';
  }
}

// --- representations: the one place compressed encodings plug in -------------------

/**
 * One way to store a conv / depthwise / FC filter, lossless first. bits = codebook index
 * bits (0: none); huffman = Huffman coding allowed (the pack pass keeps whichever of
 * raw / codebook / Huffman / codebook+Huffman is smallest, so bytes never exceed raw).
 * Every representation decodes to int8 weights: the arithmetic stays exact int8.
 */
export interface Representation {
  name: string;
  bits: number;
  huffman: boolean;
}

export const REPRESENTATIONS: Representation[] = [
  { name: 'raw', bits: 0, huffman: false },
  { name: 'int8+huffman', bits: 0, huffman: true },
  ...[6, 5, 4, 3, 2].map((bits) => ({ name: `codebook ${bits}b`, bits, huffman: true })),
];

/** A filter's cost in each representation: stored bytes and weight noise-to-signal (0 = exact). */
export interface LayerOptions {
  op: number; // source op index
  t: number;
  name: string;
  bytes: number[]; // by REPRESENTATIONS index
  loss: number[]; // sum (w - w')^2 / sum w^2, by REPRESENTATIONS index
}

/** Encodes every filter in every representation (the passes' own code: shareTensor, encodeBlob). */
export function layerOptions(g: Graph): LayerOptions[] {
  return weightRefs(g).map((ref) => {
    const w = ref.tensor.data as Int8Array;
    const bytes: number[] = [], loss: number[] = [];
    for (const rep of REPRESENTATIONS) {
      if (rep.bits === 0) {
        bytes.push(rep.huffman ? Math.min(w.length, encodeBlob(ref.layout, w, null, true).length) : w.length);
        loss.push(0);
        continue;
      }
      const { values, codebook } = shareTensor(ref, rep.bits, false, false);
      const sizes = [w.length, encodeBlob(ref.layout, values, codebook, false).length, encodeBlob(ref.layout, values, codebook, true).length,
        encodeBlob(ref.layout, values, null, true).length];
      bytes.push(Math.min(...sizes));
      loss.push(noiseToSignal(w, values));
    }
    return { op: ref.op.sourceIndex, t: ref.t, name: ref.tensor.name, bytes, loss };
  });
}

function noiseToSignal(w: Int8Array, v: Int8Array): number {
  let s = 0, e = 0;
  for (let i = 0; i < w.length; i++) {
    s += w[i] * w[i];
    e += (w[i] - v[i]) ** 2;
  }
  return s === 0 ? 0 : e / s;
}

/** The compression options that store each layer as chosen (choice: source op -> REPRESENTATIONS index). */
export function compressFor(choice: Map<number, number>): CompressOptions {
  const reps = [...choice.values()].map((r) => REPRESENTATIONS[r]);
  if (!reps.some((r) => r.huffman || r.bits)) return {};
  const layers: Record<number, number> = {};
  for (const [op, r] of choice) layers[op] = REPRESENTATIONS[r].bits;
  return { huffman: reps.some((r) => r.huffman), codebookLayers: layers };
}

// --- the fit --------------------------------------------------------------------------

export type Mode = 'resident' | 'streamed';

/** One op that reads constants: its largest constant (the weights) and the rest. */
export interface LayerRow {
  op: number;
  type: string;
  weights: string;
  representation: string;
  weightBytes: number;
  weightSqnrDb: number | null; // null: exact
  otherBytes: number; // bias, requantization multipliers and shifts (raw int32)
  otherRepresentation: string;
}

export interface Need {
  mode: Mode;
  flashBytes: number; // .epk + runtime code
  /** linear memory + reserve; "exact" boards: linear memory to the byte + C stack + C host RAM + reserve */
  ramBytes: number;
  linearMemoryBytes: number; // "exact": the bytes the runtime asks for; "pages": whole 64 KiB pages
  firmwareBytes: number; // "exact": C stack + C host .data/.bss (src/runtime/firmware.ts); else 0
  arenaBytes: number;
  stageBytes: number; // streamed: constants stage
  modelInRamBytes: number; // resident: the .epk in linear memory
}

export interface FitResult {
  board: Board;
  layers: LayerRow[];
  epk: Uint8Array;
  options: Need[]; // resident and streamed, measured
  chosen?: Need;
  fidelity: string;
  /** Whole model against the uncompressed int8 conversion on 8 random inputs; absent when exact. */
  outputSqnrDb?: number;
  top1Agreement?: number;
}

async function measure(epk: Uint8Array, board: Board): Promise<Need[]> {
  const flash = epk.length + board.runtimeFlashBytes;
  const streamed = await firmwareRam(epk, 'streamed');
  if (board.linearMemory === 'exact') {
    const resident = await firmwareRam(epk, 'resident');
    return [resident, streamed].map((f) => ({
      mode: f.mode, flashBytes: flash, ramBytes: f.ramBytes + board.reserveRamBytes, linearMemoryBytes: f.linearMemoryBytes,
      firmwareBytes: f.stackBytes + f.hostRamBytes, arenaBytes: f.arenaBytes, stageBytes: f.stageBytes,
      modelInRamBytes: f.mode === 'resident' ? epk.length : 0,
    }));
  }
  // whole pages: what WAMR, wasm3 and the JS engines allocate for the memory the runtime grows
  const pages = (n: number) => Math.ceil(n / 65536) * 65536;
  // as the board's wasm runtime loads it: no widened GEMM weights (a JIT host's cache, docs/ABI.md)
  const resident = await loadModelNode(epk, board.simd ? 'simd' : 'scalar', undefined, false);
  return [
    {
      mode: 'resident', flashBytes: flash, ramBytes: resident.memoryBytes + board.reserveRamBytes, firmwareBytes: 0,
      linearMemoryBytes: resident.memoryBytes, arenaBytes: resident.arenaBytes, stageBytes: 0, modelInRamBytes: epk.length,
    },
    {
      mode: 'streamed', flashBytes: flash, ramBytes: pages(streamed.linearMemoryBytes) + board.reserveRamBytes, firmwareBytes: 0,
      linearMemoryBytes: pages(streamed.linearMemoryBytes), arenaBytes: streamed.arenaBytes, stageBytes: streamed.stageBytes, modelInRamBytes: 0,
    },
  ];
}

const fits = (n: Need, b: Board) => n.flashBytes <= b.flashBytes && n.ramBytes <= b.ramBytes;

/**
 * Bytes the filters must shrink by for the closest mode to fit (flash; RAM too, since the
 * model (resident) or the stage (streamed) holds filters), or 0 when no mode can fit by
 * compression: RAM without the model / the stage (arena, statics, metadata) already over.
 */
function deficit(options: Need[], b: Board): number {
  const need = options
    .filter((n) => n.ramBytes - n.stageBytes - n.modelInRamBytes <= b.ramBytes)
    .map((n) => Math.max(n.flashBytes - b.flashBytes, n.ramBytes - b.ramBytes, 1));
  return need.length ? Math.min(...need) : 0;
}

/**
 * Picks representations and mode. Starts with every filter raw (bit-exact, fastest);
 * while nothing fits, switches filters, each time the one whose next representation
 * saves the most bytes per unit of added weight noise (lossless Huffman first, then
 * codebooks of 6..2 bits), until the estimated saving covers the shortfall; then
 * converts and measures again (RAM and flash are measured by loading the .epk in the
 * runtime builds, streamed and resident). Stops with an honest "does not fit" when
 * every filter is at 2 bits.
 */
export interface FitOptions {
  /** Calibration inputs (bytes as `run` takes them): the size budget replaces the data-free choice. */
  calibration?: Uint8Array[][];
  /** Progress lines (the size budget's). */
  log?: (line: string) => void;
}

/** Size-budget rounds: each shrinks the .epk target by what the measured fit still lacks. */
const CALIBRATED_ROUNDS = 3;

export async function fitModel(modelBytes: Uint8Array, modelName: string, board: Board, fitOpts: FitOptions = {}): Promise<FitResult> {
  const fresh = () => importModel(modelBytes, modelName); // passes may annotate ops: import anew per try
  const plain = convertGraph(fresh(), { log: () => {} });
  if (fitOpts.calibration) {
    const options = await measure(plain.epk, board);
    if (!options.some((n) => fits(n, board))) return fitCalibrated(modelBytes, modelName, board, plain, options, fitOpts.calibration, fitOpts.log);
  }
  const refs = weightRefs(plain.graph);
  let layers: LayerOptions[] | undefined; // encoded in every representation only when raw does not fit
  const choice = new Map<number, number>(refs.map((r) => [r.op.sourceIndex, 0]));
  for (;;) {
    const compress = compressFor(choice);
    const result: ConvertResult = Object.keys(compress).length ? convertGraph(fresh(), { log: () => {}, compress }) : plain;
    const options = await measure(result.epk, board);
    const chosen = options.find((n) => fits(n, board));
    const need = chosen ? 0 : deficit(options, board);
    if (need > 0) layers ??= layerOptions(plain.graph);
    const swapped = need > 0 ? swapUntil(layers!, choice, need) : 0;
    if (chosen || swapped === 0) {
      const rows = layerRows(result.graph, layers ?? [], choice);
      const exact = [...choice.values()].every((r) => REPRESENTATIONS[r].bits === 0);
      if (exact) return { board, layers: rows, epk: result.epk, options, chosen, fidelity: exactNote(choice) };
      const inputs = randomInputs(plain.epk, 8);
      const f = await compareModels(plain.epk, result.epk, inputs, board.simd ? 'simd' : 'scalar');
      const fidelity = `approximate: output SQNR ${f.outputSqnrDb.toFixed(1)} dB, top-1 agreement ${(100 * f.top1Agreement).toFixed(1)}%, ` +
        `max |diff| ${f.maxAbsDiff} against the uncompressed int8 model on ${f.inputs} random inputs`;
      return { board, layers: rows, epk: result.epk, options, chosen, fidelity, outputSqnrDb: f.outputSqnrDb, top1Agreement: f.top1Agreement };
    }
  }
}

/**
 * The calibrated fit: the size budget at the .epk bytes the closest mode can take (its
 * deficit below the plain .epk), measured again, tightened by what is still missing.
 */
async function fitCalibrated(
  modelBytes: Uint8Array, modelName: string, board: Board, plain: ConvertResult, plainOptions: Need[], samples: Uint8Array[][], log?: (l: string) => void,
): Promise<FitResult> {
  let options = plainOptions, epk = plain.epk, graph = plain.graph, target = plain.epk.length, refused = '';
  for (let round = 0; round < CALIBRATED_ROUNDS; round++) {
    const need = deficit(options, board);
    if (need === 0) break;
    target -= need;
    let r;
    try {
      r = await convertToBudget(modelBytes, modelName, {}, samples, target, log);
    } catch (e) {
      if (!(e instanceof BudgetError)) throw e;
      refused = e.message;
      break;
    }
    epk = r.result.epk;
    graph = r.result.graph;
    options = await measure(epk, board);
    if (options.some((n) => fits(n, board))) break;
  }
  const chosen = options.find((n) => fits(n, board));
  if (epk === plain.epk) return { board, layers: layerRows(graph, [], new Map()), epk, options, chosen, fidelity: `bit-exact (every tensor raw int8); the size budget: ${refused}` };
  const rows = layerRows(graph, weightLoss(preparedGraph(modelBytes, modelName, {}), graph), new Map());
  const inputs = samples.length && samples[0].length === 1 ? samples.map((x) => x[0]) : randomInputs(plain.epk, 8);
  const f = await compareModels(plain.epk, epk, inputs, board.simd ? 'simd' : 'scalar');
  const on = samples.length && samples[0].length === 1 ? 'calibration' : 'random';
  const fidelity = f.outputSqnrDb === Infinity ? 'bit-exact on the calibration inputs' : `approximate (calibrated size budget): output SQNR ${f.outputSqnrDb.toFixed(1)} dB, top-1 agreement ${(100 * f.top1Agreement).toFixed(1)}%, ` +
    `max |diff| ${f.maxAbsDiff} against the uncompressed int8 model on ${f.inputs} ${on} inputs`;
  return { board, layers: rows, epk, options, chosen, fidelity, outputSqnrDb: f.outputSqnrDb, top1Agreement: f.top1Agreement };
}

/** Per filter, the weight noise-to-signal of the compressed graph against the prepared int8 one (same weight layout), as layerRows reads it (one representation each). */
function weightLoss(plain: Graph, compressed: Graph): LayerOptions[] {
  const before = new Map(weightRefs(plain).map((r) => [r.op.sourceIndex, r.tensor.data as Int8Array]));
  return weightRefs(compressed).map((r) => {
    const w = before.get(r.op.sourceIndex), v = r.tensor.data as Int8Array;
    return { op: r.op.sourceIndex, t: r.t, name: r.tensor.name, bytes: [], loss: [w && w.length === v.length ? noiseToSignal(w, v) : 0] };
  });
}

function exactNote(choice: Map<number, number>): string {
  return [...choice.values()].some((r) => r > 0)
    ? 'bit-exact (lossless Huffman: same outputs as the int8 model)'
    : 'bit-exact (every tensor raw int8: same outputs as the int8 model)';
}

function randomInputs(epk: Uint8Array, n: number): Uint8Array[] {
  const e = readEpk(epk);
  return Array.from({ length: n }, (_, k) => randomInput(e.tensors[e.inputs[0]].bytes, k));
}

/** Greedy switches until `need` bytes are (estimated) saved; returns how many were made. */
function swapUntil(layers: LayerOptions[], choice: Map<number, number>, need: number): number {
  let saved = 0, made = 0;
  while (saved < need) {
    const s = bestSwap(layers, choice);
    if (!s) break;
    choice.set(s.layer.op, s.rep);
    saved += s.saved;
    made++;
  }
  return made;
}

function bestSwap(layers: LayerOptions[], choice: Map<number, number>): { layer: LayerOptions; rep: number; saved: number } | undefined {
  let best: { layer: LayerOptions; rep: number; saved: number; score: number } | undefined;
  for (const l of layers) {
    const now = choice.get(l.op)!;
    for (let r = now + 1; r < REPRESENTATIONS.length; r++) {
      const saved = l.bytes[now] - l.bytes[r];
      if (saved <= 0) continue;
      const score = saved / (l.loss[r] - l.loss[now] + 1e-9);
      if (!best || score > best.score) best = { layer: l, rep: r, saved, score };
    }
  }
  return best;
}

function layerRows(g: Graph, options: LayerOptions[], choice: Map<number, number>): LayerRow[] {
  const byOp = new Map(options.map((l) => [l.op, l]));
  const rows: LayerRow[] = [];
  for (const o of g.ops) {
    if (!o.kernel) continue;
    const consts = o.inputs.filter((t) => t >= 0 && g.tensors[t].data);
    if (!consts.length) continue;
    const w = WEIGHT_OPS.includes(o.type) ? o.inputs[1] : consts.reduce((a, t) => (byteSize(g.tensors[t]) > byteSize(g.tensors[a]) ? t : a));
    const tw = g.tensors[w];
    const l = byOp.get(o.sourceIndex);
    const stored = tw.packed ? (tw.codebook ? `codebook ${tw.codebook.bits}b, stored ${tw.packed.repr}` : tw.packed.repr) : 'raw';
    const loss = l ? l.loss[choice.get(o.sourceIndex) ?? 0] : 0; // no options computed: every filter raw
    rows.push({
      op: o.sourceIndex, type: o.type, weights: tw.name, representation: stored,
      weightBytes: tw.packed ? tw.packed.blob.length : byteSize(tw),
      weightSqnrDb: loss > 0 ? -10 * Math.log10(loss) : null,
      otherBytes: consts.filter((t) => t !== w).reduce((a, t) => a + byteSize(g.tensors[t]), 0),
      otherRepresentation: consts.length > 1 ? 'raw' : '',
    });
  }
  return rows;
}

// --- report ---------------------------------------------------------------------------

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

export function formatFit(r: FitResult): string {
  const rows = [['op', 'type', 'weights', 'repr', 'bytes', 'weight SQNR', 'bias+requant', 'repr']];
  for (const l of r.layers) {
    const sqnr = l.weightSqnrDb === null ? 'exact' : `${l.weightSqnrDb.toFixed(1)} dB`;
    rows.push([String(l.op), l.type, l.weights, l.representation, String(l.weightBytes), sqnr, String(l.otherBytes), l.otherRepresentation || '-']);
  }
  const w = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const right = new Set([0, 4, 5, 6]);
  const lines = rows.map((row) => row.map((cell, c) => (right.has(c) ? cell.padStart(w[c]) : cell.padEnd(w[c]))).join('  '));
  lines.splice(1, 0, w.map((n) => '-'.repeat(n)).join('  '));
  const b = r.board;
  lines.push('', `board ${b.name}: ${b.core} ${b.clockMHz} MHz, RAM ${kib(b.ramBytes)}, flash ${kib(b.flashBytes)}, ${b.wasmRuntime}${b.simd ? ', SIMD' : ''}`);
  lines.push(`constants ${r.layers.reduce((a, l) => a + l.weightBytes + l.otherBytes, 0)} B in ${r.layers.length} layers; .epk ${r.epk.length} B`);
  for (const n of r.options) {
    const lin = b.linearMemory === 'exact' ? `linear memory ${n.linearMemoryBytes} B` : `linear memory ${n.linearMemoryBytes / 65536} pages`;
    const ram = `RAM ${n.ramBytes} / ${b.ramBytes} B (${lin} = arena ${n.arenaBytes}` +
      (n.mode === 'resident' ? ` + model ${n.modelInRamBytes}` : ` + stage ${n.stageBytes}`) + ' + statics/metadata' +
      (n.firmwareBytes ? `; C stack + host ${n.firmwareBytes}` : '') + `; reserve ${b.reserveRamBytes})`;
    const flash = `flash ${n.flashBytes} / ${b.flashBytes} B (.epk ${r.epk.length} + runtime ${b.runtimeFlashBytes})`;
    const verdict = fits(n, b) ? 'fits' : shortfall(n, b);
    lines.push(`${n === r.chosen ? '*' : ' '} ${n.mode.padEnd(8)} ${ram}; ${flash}: ${verdict}`);
  }
  lines.push(`fidelity: ${r.fidelity}`);
  if (r.chosen) lines.push(`fits ${b.name} in ${r.chosen.mode} mode`);
  else {
    const n = best(r.options, b);
    lines.push(`does not fit ${b.name}: the closest option (${n.mode}) is ${shortfall(n, b)}`);
  }
  return lines.join('\n');
}

function shortfall(n: Need, b: Board): string {
  const parts: string[] = [];
  if (n.ramBytes > b.ramBytes) parts.push(`over RAM by ${n.ramBytes - b.ramBytes} B (${kib(n.ramBytes - b.ramBytes)})`);
  if (n.flashBytes > b.flashBytes) parts.push(`over flash by ${n.flashBytes - b.flashBytes} B (${kib(n.flashBytes - b.flashBytes)})`);
  return parts.join(' and ');
}

/** The option closest to fitting: least total overshoot. */
export function best(options: Need[], b: Board): Need {
  const over = (n: Need) => Math.max(0, n.ramBytes - b.ramBytes) + Math.max(0, n.flashBytes - b.flashBytes);
  return options.reduce((a, n) => (over(n) < over(a) ? n : a));
}
