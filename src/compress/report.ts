// Fidelity report of a compressed .epk against the same model converted plainly:
// per layer, stored bytes before/after, bits per weight and weight SQNR; for the whole
// model over a set of inputs, top-1 agreement, output SQNR (dB) and max |difference|
// (in output quantization steps). Everything is measured by running both models.

import { ConvertOptions, convertModel, importModel } from '../convert.js';
import { Encoding, OP_NAMES, TensorKind } from '../format/constants.js';
import { Epk, EpkTensor, readEpk } from '../format/reader.js';
import { decodeBlob } from '../format/packed.js';
import { Model, Target } from '../runtime/loader.js';
import { OpCode } from '../format/constants.js';
import { sqnrDb } from './kmeans.js';
import type { LayerOutcome } from '../passes/compensate-weights.js';

export interface LayerFidelity {
  op: number;
  type: string;
  weights: string;
  shape: number[];
  repr: string;
  bytesBefore: number;
  bytesAfter: number;
  bitsPerWeight: number;
  /** Weight SQNR (dB) against the source model's filter; null when the shape changed (structured pruning). */
  weightSqnrDb: number | null;
  /** With calibration data: the layer's output SQNR (dB) on it (output energy / error energy of its accumulators), and how it was compressed. */
  calibrated?: { sqnrDb: number; method: string; bits: number };
}

export interface ModelFidelity {
  inputs: number;
  top1Agreement: number;
  outputSqnrDb: number;
  maxAbsDiff: number;
}

export interface FidelityReport {
  sourceBytes: number;
  plainBytes: number;
  compressedBytes: number;
  layers: LayerFidelity[];
  model: ModelFidelity;
  /** The model comparison ran on calibration inputs (else on xorshift inputs). */
  calibrationInputs?: boolean;
}

/** The int8 weights an .epk tensor holds, decoded when packed. */
export function tensorValues(epk: Epk, t: EpkTensor, channelLast: boolean): Int8Array {
  if (t.encoding === Encoding.Packed) return decodeBlob(epk.data.subarray(t.offset, t.offset + t.storedBytes), channelLast);
  return new Int8Array(epk.data.buffer, epk.data.byteOffset + t.offset, t.bytes);
}

export function layerFidelity(source: Uint8Array, name: string, bytes: Uint8Array): LayerFidelity[] {
  const epk = readEpk(bytes);
  const imported = importModel(source, name);
  const original = new Map(imported.tensors.filter((t) => t.data instanceof Int8Array).map((t) => [t.name, t]));
  // compressed builds keep only I/O names: find the filter by its source op (input 1)
  const bySource = new Map(imported.ops.map((o) => [o.sourceIndex, o]));
  const sourceFilter = (op: number) => {
    const t = bySource.get(op)?.inputs[1];
    return t !== undefined && t >= 0 && imported.tensors[t].data instanceof Int8Array ? imported.tensors[t] : undefined;
  };
  const rows: LayerFidelity[] = [];
  for (const op of epk.ops) {
    if (op.opcode !== OpCode.Conv2D && op.opcode !== OpCode.DepthwiseConv2D && op.opcode !== OpCode.FullyConnected) continue;
    const w = epk.tensors[op.inputs[1]];
    if (w.kind !== TensorKind.Const) continue;
    const values = tensorValues(epk, w, op.opcode === OpCode.DepthwiseConv2D);
    const src = (w.name ? original.get(w.name) : undefined) ?? sourceFilter(op.sourceIndex);
    const same = src && src.shape.join() === w.shape.join();
    rows.push({
      op: op.sourceIndex, type: OP_NAMES[op.opcode], weights: w.name || src?.name || '-', shape: w.shape,
      repr: w.packed?.repr ?? 'raw', bytesBefore: src ? src.data!.length : w.bytes, bytesAfter: w.storedBytes,
      bitsPerWeight: (8 * w.storedBytes) / values.length,
      weightSqnrDb: same ? sqnrDb(src.data as Int8Array, values) : null,
    });
  }
  return rows;
}

/** xorshift32 inputs, the rule the shared golden inputs follow (k = 0, 1, ...). */
export function randomInput(bytes: number, k: number): Uint8Array {
  let s = (0x9e3779b9 ^ (k + 1)) >>> 0;
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = s & 0xff;
  }
  return out;
}

export function argmax(a: Int8Array): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** Loads an .epk in a runtime build: Node's built modules by default, fetched modules in a browser. */
export type OpenModel = (epk: Uint8Array, target: Target) => Promise<Model>;

/** Node's runtime modules, imported only when used (this file stays free of Node imports for the studio page). */
const openInNode: OpenModel = async (epk, target) => (await import('../runtime/node.js')).loadModelNode(epk, target);

/** Runs both models on every input (first output): top-1 agreement, SQNR, max |diff|. */
export async function compareModels(
  ref: Uint8Array, test: Uint8Array, inputs: Uint8Array[], target: Target = 'simd', open: OpenModel = openInNode,
): Promise<ModelFidelity> {
  const a = await open(ref, target), b = await open(test, target);
  const zp = readEpk(ref).tensors[readEpk(ref).outputs[0]].zeroPoint;
  let agree = 0, signal = 0, noise = 0, maxAbs = 0;
  for (const x of inputs) {
    const ya = new Int8Array(a.run(x)[0].buffer), yb = new Int8Array(b.run(x)[0].buffer);
    if (argmax(ya) === argmax(yb)) agree++;
    ya.forEach((v, i) => {
      signal += (v - zp) ** 2;
      noise += (v - yb[i]) ** 2;
      maxAbs = Math.max(maxAbs, Math.abs(v - yb[i]));
    });
  }
  return { inputs: inputs.length, top1Agreement: agree / inputs.length, outputSqnrDb: noise === 0 ? Infinity : 10 * Math.log10(signal / noise), maxAbsDiff: maxAbs };
}

export async function fidelityReport(
  source: Uint8Array, name: string, compressed: Uint8Array, opts: { inputs?: Uint8Array[]; baseline?: ConvertOptions; outcome?: Map<number, LayerOutcome>; open?: OpenModel },
): Promise<FidelityReport> {
  // The baseline is the same conversion without compression (same calibration for float models).
  const plain = convertModel(source, name, opts.baseline).epk;
  const inBytes = readEpk(plain).tensors[readEpk(plain).inputs[0]].bytes;
  const inputs = opts.inputs ?? Array.from({ length: 8 }, (_, k) => randomInput(inBytes, k));
  return {
    sourceBytes: source.length, plainBytes: plain.length, compressedBytes: compressed.length,
    layers: layerFidelity(source, name, compressed).map((l) => {
      const o = opts.outcome?.get(l.op);
      return o ? { ...l, calibrated: { sqnrDb: o.error === 0 ? Infinity : 10 * Math.log10(o.signal / o.error), method: o.method, bits: o.bits } } : l;
    }),
    model: await compareModels(plain, compressed, inputs, 'simd', opts.open),
    calibrationInputs: !!opts.inputs,
  };
}

const db = (v: number | null) => (v === null ? '-' : v === Infinity ? 'exact' : v.toFixed(1));

export function formatFidelity(r: FidelityReport): string {
  const cal = r.layers.some((l) => l.calibrated);
  const rows = [['op', 'type', 'shape', 'stored as', 'bytes before', 'bytes after', 'bits/weight', 'weight SQNR dB', ...(cal ? ['calib. layer SQNR dB', 'method'] : [])]];
  for (const l of r.layers) {
    const c = l.calibrated;
    const repr = c?.bits ? `${l.repr} ${c.bits}b` : l.repr;
    rows.push([String(l.op), l.type, l.shape.join('x'), repr, String(l.bytesBefore), String(l.bytesAfter), l.bitsPerWeight.toFixed(2), db(l.weightSqnrDb),
      ...(cal ? [c ? db(c.sqnrDb) : '-', c?.method ?? 'lossless'] : [])]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = rows.map((row) => row.map((cell, c) => (c >= 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const m = r.model;
  lines.push(
    '',
    `size: ${r.compressedBytes} B = ${(r.compressedBytes / r.sourceBytes).toFixed(3)}x the source (${r.sourceBytes} B); uncompressed .epk ${r.plainBytes} B`,
    `vs uncompressed int8 over ${m.inputs} ${r.calibrationInputs ? 'calibration' : 'xorshift'} inputs: top-1 agreement ${(100 * m.top1Agreement).toFixed(1)}%, output SQNR ${db(m.outputSqnrDb)} dB, max |diff| ${m.maxAbsDiff} steps`,
  );
  return lines.join('\n');
}
