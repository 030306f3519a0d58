// fit: a model and a board profile (boards/*.json) -> the .epk that fits the board's flash
// and RAM with the least fidelity loss, and the figures that show it. Per constant tensor
// it picks a representation from REPRESENTATIONS; then the mode: resident if the whole
// model fits in RAM beside the arena, else streamed. RAM and flash are measured by loading
// the emitted .epk in the runtime builds, never estimated.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Graph, byteSize } from './ir/graph.js';
import { ConvertResult, convertGraph, importModel } from './convert.js';
import { loadModelNode } from './runtime/node.js';
import { planStreamedMemory } from './runtime/streamed.js';

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
  notes?: string;
}

const BOARDS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'boards');

export function boardNames(): string[] {
  return ['esp32s3', 'linux-gateway', 'nrf52840', 'rp2040', 'stm32h743', 'stm32l4r5'];
}

/** A board by name (boards/NAME.json) or by path to a JSON file of the same shape. */
export function loadBoard(nameOrPath: string): Board {
  const path = nameOrPath.endsWith('.json') ? nameOrPath : join(BOARDS_DIR, `${nameOrPath}.json`);
  if (!existsSync(path)) throw new FitError(`unknown board "${nameOrPath}"; known: ${boardNames().join(', ')} (or a path to a .json profile)`);
  const b = JSON.parse(readFileSync(path, 'utf8')) as Board;
  for (const k of ['ramBytes', 'flashBytes', 'reserveRamBytes', 'runtimeFlashBytes'] as const) {
    if (!(Number.isInteger(b[k]) && b[k] >= 0)) throw new FitError(`${path}: "${k}" must be a whole number of bytes`);
  }
  return b;
}

export class FitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FitError';
  }
}

// --- representations: the one place compressed encodings plug in -------------------

/** One way to store a constant tensor; `loss` 0 means outputs stay bit-exact. */
export interface Representation {
  name: string;
  /** Bytes of tensor t stored this way, or undefined where it does not apply. */
  bytes(g: Graph, t: number): number | undefined;
  /** Fidelity cost of using it on t (0 = bit-exact); ranks choices when space is short. */
  loss(g: Graph, t: number): number;
  /** The graph with t stored this way (identity for raw). */
  apply(g: Graph, t: number): Graph;
}

export const RAW_INT8: Representation = {
  name: 'raw',
  bytes: (g, t) => byteSize(g.tensors[t]),
  loss: () => 0,
  apply: (g) => g,
};

/** Candidates, lossless first. Codebook / Huffman encodings are added here when they exist. */
export const REPRESENTATIONS: Representation[] = [RAW_INT8];

// --- the fit --------------------------------------------------------------------------

export type Mode = 'resident' | 'streamed';

/** One op that reads constants: its largest constant (the weights) and the rest. */
export interface LayerRow {
  op: number;
  type: string;
  weights: string;
  representation: string;
  weightBytes: number;
  otherBytes: number; // bias, requantization multipliers and shifts (raw int32)
  otherRepresentation: string;
}

export interface Need {
  mode: Mode;
  flashBytes: number; // .epk + runtime code
  ramBytes: number; // linear memory (whole pages) + reserve
  linearMemoryBytes: number;
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
}

/** Constant tensors the ops read, with the op that first reads each. */
function constTensors(g: Graph): { op: number; type: string; t: number }[] {
  const seen = new Set<number>();
  const out: { op: number; type: string; t: number }[] = [];
  g.ops.forEach((o, i) => {
    if (!o.kernel) return;
    for (const t of o.inputs) {
      if (t >= 0 && g.tensors[t].data && !seen.has(t)) {
        seen.add(t);
        out.push({ op: i, type: o.type, t });
      }
    }
  });
  return out;
}

async function measure(epk: Uint8Array, board: Board): Promise<Need[]> {
  const resident = await loadModelNode(epk, board.simd ? 'simd' : 'scalar');
  const streamed = await planStreamedMemory(epk);
  const flash = epk.length + board.runtimeFlashBytes;
  return [
    {
      mode: 'resident', flashBytes: flash, ramBytes: resident.memoryBytes + board.reserveRamBytes,
      linearMemoryBytes: resident.memoryBytes, arenaBytes: resident.arenaBytes, stageBytes: 0, modelInRamBytes: epk.length,
    },
    {
      mode: 'streamed', flashBytes: flash, ramBytes: streamed.memoryBytes + board.reserveRamBytes,
      linearMemoryBytes: streamed.memoryBytes, arenaBytes: streamed.memory.arenaBytes, stageBytes: streamed.stageBytes, modelInRamBytes: 0,
    },
  ];
}

const fits = (n: Need, b: Board) => n.flashBytes <= b.flashBytes && n.ramBytes <= b.ramBytes;

/**
 * Picks representations and mode. Starts from the least lossy representation of every
 * tensor; while nothing fits, switches the tensor whose next representation saves the
 * most bytes per unit of loss. With raw int8 as the only representation the loop has
 * nothing to switch and the answer is resident, streamed, or an honest "does not fit".
 */
export async function fitModel(modelBytes: Uint8Array, modelName: string, board: Board): Promise<FitResult> {
  const fresh = () => importModel(modelBytes, modelName); // passes may annotate ops: import anew per try
  const consts = constTensors(convertGraph(fresh(), { log: () => {} }).graph);
  const choice = new Map<number, number>(consts.map((c) => [c.t, 0]));
  let lossTotal = 0;
  for (;;) {
    const result: ConvertResult = convertGraph(applyChoices(fresh(), choice), { log: () => {} });
    const options = await measure(result.epk, board);
    const chosen = options.find((n) => fits(n, board));
    const swap = chosen ? undefined : bestSwap(result.graph, consts.map((c) => c.t), choice);
    if (chosen || !swap) {
      const layers = layerRows(result.graph, consts, choice);
      const fidelity = lossTotal === 0 ? 'bit-exact (every tensor raw int8: same outputs as the int8 model)' : `approximate (loss score ${lossTotal.toFixed(4)})`;
      return { board, layers, epk: result.epk, options, chosen, fidelity };
    }
    choice.set(swap.t, swap.rep);
    lossTotal += swap.loss;
  }
}

function layerRows(g: Graph, consts: { op: number; type: string; t: number }[], choice: Map<number, number>): LayerRow[] {
  const rows = new Map<number, LayerRow>();
  const sized = consts.map((c) => ({ ...c, rep: REPRESENTATIONS[choice.get(c.t)!], bytes: REPRESENTATIONS[choice.get(c.t)!].bytes(g, c.t)! }));
  for (const c of sized) {
    const row = rows.get(c.op) ?? { op: c.op, type: c.type, weights: '', representation: '', weightBytes: 0, otherBytes: 0, otherRepresentation: '' };
    rows.set(c.op, row);
    if (c.bytes > row.weightBytes) {
      if (row.weights) { row.otherBytes += row.weightBytes; row.otherRepresentation ||= row.representation; }
      Object.assign(row, { weights: g.tensors[c.t].name, representation: c.rep.name, weightBytes: c.bytes });
    } else {
      row.otherBytes += c.bytes;
      row.otherRepresentation ||= c.rep.name;
    }
  }
  return [...rows.values()];
}

function applyChoices(g: Graph, choice: Map<number, number>): Graph {
  let out = g;
  for (const [t, r] of choice) out = REPRESENTATIONS[r].apply(out, t);
  return out;
}

function bestSwap(g: Graph, tensors: number[], choice: Map<number, number>): { t: number; rep: number; loss: number } | undefined {
  let best: { t: number; rep: number; loss: number; score: number } | undefined;
  for (const t of tensors) {
    const now = REPRESENTATIONS[choice.get(t)!].bytes(g, t)!;
    for (let r = choice.get(t)! + 1; r < REPRESENTATIONS.length; r++) {
      const b = REPRESENTATIONS[r].bytes(g, t);
      if (b === undefined || b >= now) continue;
      const loss = REPRESENTATIONS[r].loss(g, t);
      const score = (now - b) / (loss + 1e-9);
      if (!best || score > best.score) best = { t, rep: r, loss, score };
    }
  }
  return best;
}

// --- report ---------------------------------------------------------------------------

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

export function formatFit(r: FitResult): string {
  const rows = [['op', 'type', 'weights', 'repr', 'bytes', 'bias+requant', 'repr']];
  for (const l of r.layers) {
    rows.push([String(l.op), l.type, l.weights, l.representation, String(l.weightBytes), String(l.otherBytes), l.otherRepresentation || '-']);
  }
  const w = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const right = new Set([0, 4, 5]);
  const lines = rows.map((row) => row.map((cell, c) => (right.has(c) ? cell.padStart(w[c]) : cell.padEnd(w[c]))).join('  '));
  lines.splice(1, 0, w.map((n) => '-'.repeat(n)).join('  '));
  const b = r.board;
  lines.push('', `board ${b.name}: ${b.core} ${b.clockMHz} MHz, RAM ${kib(b.ramBytes)}, flash ${kib(b.flashBytes)}, ${b.wasmRuntime}${b.simd ? ', SIMD' : ''}`);
  lines.push(`constants ${r.layers.reduce((a, l) => a + l.weightBytes + l.otherBytes, 0)} B in ${r.layers.length} layers; .epk ${r.epk.length} B`);
  for (const n of r.options) {
    const ram = `RAM ${n.ramBytes} / ${b.ramBytes} B (linear memory ${n.linearMemoryBytes / 65536} pages = arena ${n.arenaBytes}` +
      (n.mode === 'resident' ? ` + model ${n.modelInRamBytes}` : ` + stage ${n.stageBytes}`) + ` + statics/metadata; reserve ${b.reserveRamBytes})`;
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
