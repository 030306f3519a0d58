// Structure-aware fuzzing (issue 13): `npm run fuzz -- --seconds N [--target epk|tflite|onnx|all]
// [--out DIR] [--seed S]`. Mutants of seed models built in code (plus ../shared models when
// present): for .epk, field-aware edits of header, section, tensor, op and I/O records with the
// CRC recomputed; for .tflite, field-aware edits of op codes, tensor shapes/types/buffers/
// quantization, op indices and options, graph I/O; for .onnx, decoded edits of attributes,
// dims, raw_data lengths, node inputs and graph I/O shapes; for all, a quarter byte, 32-bit
// and truncation edits. Each mutant runs in a worker: .epk -> inspect (summarize), load + one inference in simd,
// scalar and streamed; .tflite/.onnx -> convert (a float model calibrated for half the mutants,
// by a hash of their bytes, and run as float32 for the other half), then the same as .epk.
// Classes: ok, clean (a documented error), raw (any other JS exception), trap (a wasm trap),
// hang (> 5 s: the worker is killed), disagree (builds that all load give different bytes).
// Reproducers of every class but ok/clean go to OUT/<class>/ with a .txt saying what happened.

import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DType, H, HEADER_BYTES, OP_HEADER_BYTES, SECTION_ENTRY_BYTES, Section, T, TENSOR_RECORD_BYTES } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk } from '../src/format/reader.js';
import { onnx } from '../src/import/onnx/proto.js';
import { FbFile, Table } from '../src/import/tflite/flatbuffer.js';
import { ModelF, OperatorCodeF, OperatorF, QuantF, SubGraphF, TensorF } from '../src/import/tflite/schema.js';

export type Target = 'epk' | 'tflite' | 'onnx';
/**
 * unloadable: a .tflite/.onnx mutant converts, but no build loads the .epk (convert should have refused).
 * big: a valid float model whose float reference costs more than BIG_WORK per sample (neither
 * calibrated nor run here: kept float, each build would run that work), or a valid model every
 * build refuses by name as above the host's memory limit.
 */
export type Outcome = 'ok' | 'clean' | 'raw' | 'trap' | 'hang' | 'slow' | 'disagree' | 'unloadable' | 'big';
export const OUTCOMES: Outcome[] = ['ok', 'clean', 'raw', 'trap', 'hang', 'slow', 'disagree', 'unloadable', 'big'];
/** 2^26 multiply-adds: ~1 s of float reference, so a calibrated conversion stays well inside HANG_MS. */
export const BIG_WORK = 2 ** 26;
export const HANG_MS = 5000;
/** A mutant that misses HANG_MS is run again with this budget: only a second miss is a hang. */
export const HANG_CONFIRM_MS = 4 * HANG_MS;

export interface FuzzOptions {
  seconds: number;
  targets?: Target[];
  out?: string;
  seed?: number;
  log?: (line: string) => void;
}

export interface FuzzReport {
  mutants: number;
  seconds: number;
  perSecond: number;
  counts: Record<Target, Record<Outcome, number>>;
  /** First message of each (target, class, message) seen, with its reproducer path. */
  findings: { target: Target; outcome: Outcome; message: string; file: string }[];
}

// --- seeds ------------------------------------------------------------------------------

const SHARED_MODELS = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'shared', 'models');

async function seeds(target: Target): Promise<Uint8Array[]> {
  const { buildTinyCnn } = await import('../src/testing/models.js');
  const { mobileNetStyle, resNetStyle } = await import('../src/testing/onnx-builder.js');
  const shared = (names: string[]) => names.map((n) => join(SHARED_MODELS, n)).filter(existsSync).map((p) => new Uint8Array(readFileSync(p)));
  const { buildOpsNet } = await import('../src/testing/op-models.js');
  const { buildSvdfNet } = await import('../src/testing/svdf-model.js');
  const { buildF32Net } = await import('../src/testing/f32-models.js'); // group f32
  const { buildF32BNet } = await import('../src/testing/f32b-models.js'); // float32 forms of groups a, b, c
  const { buildOpsBNet } = await import('../src/testing/ops-b-models.js');
  const { buildLstmNet } = await import('../src/testing/lstm-model.js');
  const { buildLstmF32Net, buildLstmS16Net } = await import('../src/testing/lstm-typed-models.js');
  const { buildOpsANet } = await import('../src/testing/ops-a-models.js');
  const { buildInt16Net, buildInt16MoveNet } = await import('../src/testing/int16-models.js');
  const { buildRank5Net } = await import('../src/testing/rank5-model.js');
  if (target === 'tflite') return [buildTinyCnn(), buildTinyCnn(3), buildOpsNet(), buildSvdfNet(), buildF32Net(), buildOpsBNet(), buildLstmNet(), buildOpsANet(), buildInt16Net(), buildInt16MoveNet(), buildRank5Net(), buildLstmF32Net(), buildLstmS16Net(), buildF32BNet(), ...shared(['hello_world_int8.tflite', 'hello_world_float32.tflite', 'kws_dscnn_int8.tflite'])];
  const { onnxLstmNet } = await import('../src/testing/onnx-recurrent.js');
  if (target === 'onnx') return [mobileNetStyle(1, 8, 4), resNetStyle(2, 8, 4), onnxLstmNet()];
  const { convertModel } = await import('../src/convert.js');
  const { convertCalibrated } = await import('../src/compress/calibrated.js');
  const tiny = buildTinyCnn();
  // calibrated compression: int8 multipliers and int16 biases beside the compressed filters
  const calib = Array.from({ length: 8 }, (_, i) => [Uint8Array.from({ length: 16 * 16 * 3 }, (_, k) => (k * 37 + i * 101 + 13) & 0xff)]);
  const calibrated = (await convertCalibrated(tiny, 'tiny', { log: () => {}, compress: { codebook: 3, pack: 'codebook+huffman' } }, calib, () => {})).result.epk;
  const out = [
    calibrated,
    convertModel(tiny, 'tiny').epk,
    convertModel(tiny, 'tiny', { compress: { huffman: true } }).epk,
    convertModel(tiny, 'tiny', { compress: { codebook: 4 } }).epk,
    convertModel(tiny, 'tiny', { weightLayouts: false }).epk,
    convertModel(buildOpsNet(), 'ops').epk,
    convertModel(buildSvdfNet(), 'svdf').epk,
    convertModel(buildF32Net(), 'f32').epk, // group f32: float32 kernels and their load checks
    convertModel(buildOpsBNet(), 'ops-b').epk,
    convertModel(buildLstmNet(), 'lstm').epk,
    convertModel(buildOpsANet(), 'ops-a').epk,
    convertModel(buildInt16Net(), 'int16').epk,
    convertModel(buildInt16MoveNet(), 'int16 move').epk,
    convertModel(buildLstmF32Net(), 'lstm f32').epk,
    convertModel(buildLstmS16Net(), 'lstm s16').epk,
    convertModel(buildF32BNet(), 'f32b').epk, // MISC_F32, MOVE_F32 and their load checks
  ];
  for (const m of shared(['hello_world_int8.tflite', 'kws_dscnn_int8.tflite', 'hello_world_float32.tflite'])) out.push(convertModel(m, 'shared').epk);
  return out;
}

// --- mutators ---------------------------------------------------------------------------

const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff];

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

function pick<T>(r: () => number, xs: T[]): T {
  return xs[r() % xs.length];
}

/** A new value for a field of `bytes` width holding `old`. */
function value(r: () => number, old: number, bytes: number): number {
  const max = 2 ** (8 * bytes);
  switch (r() % 4) {
    case 0: return pick(r, INTERESTING) % max;
    case 1: return (old + (r() % 2 ? 1 : -1) * (1 + (r() % 16)) + max) % max;
    case 2: return r() % max;
    default: return (old ^ (1 << (r() % (8 * bytes)))) >>> 0;
  }
}

function put(v: DataView, at: number, bytes: number, x: number): void {
  if (at + bytes > v.byteLength) return;
  if (bytes === 1) v.setUint8(at, x);
  else if (bytes === 2) v.setUint16(at, x, true);
  else v.setUint32(at, x >>> 0, true);
}

function get(v: DataView, at: number, bytes: number): number {
  if (at + bytes > v.byteLength) return 0;
  return bytes === 1 ? v.getUint8(at) : bytes === 2 ? v.getUint16(at, true) : v.getUint32(at, true);
}

/** The fields of an .epk, as (offset, width): header, section table, tensors, ops, I/O. */
function epkFields(epk: Uint8Array): [number, number][] {
  const f: [number, number][] = [[H.version, 2], [H.headerBytes, 2], [H.fileBytes, 4], [H.sectionCount, 2], [H.flags, 2], [H.arenaBytes, 4], [H.scratchBytes, 4], [H.reserved, 4]];
  const e = readEpk(epk);
  e.sections.forEach((_, i) => { for (const k of [0, 4, 8, 12]) f.push([HEADER_BYTES + i * SECTION_ENTRY_BYTES + k, 4]); });
  const ts = e.sections.find((s) => s.kind === Section.Tensors)!;
  for (let i = 0; i < e.tensors.length; i++) {
    const at = ts.offset + i * TENSOR_RECORD_BYTES;
    f.push([at + T.dtype, 1], [at + T.rank, 1], [at + T.kind, 1], [at + T.flags, 1], [at + T.offset, 4], [at + T.bytes, 4], [at + T.scale, 4], [at + T.zeroPoint, 4], [at + T.nameOffset, 4], [at + T.nameBytes, 4], [at + T.encoding, 1]);
    for (let d = 0; d < 4; d++) f.push([at + T.dims + 4 * d, 4]);
  }
  for (const op of e.ops) {
    f.push([op.at, 2], [op.at + 2, 1], [op.at + 3, 1], [op.at + 4, 2], [op.at + 6, 2]);
    for (let k = 0; k < op.inputs.length + op.outputs.length; k++) f.push([op.at + OP_HEADER_BYTES + 2 * k, 2]);
    const paramsAt = op.at + OP_HEADER_BYTES + ((2 * (op.inputs.length + op.outputs.length) + 3) & ~3);
    op.params.forEach((_, k) => f.push([paramsAt + 4 * k, 4]));
  }
  const io = e.sections.find((s) => s.kind === Section.IO)!;
  for (let k = 0; k < 2 + e.inputs.length + e.outputs.length; k++) f.push([io.offset + 4 * k, 4]);
  // packed blob headers in the data section
  const data = e.sections.find((s) => s.kind === Section.Data)!;
  for (const t of e.tensors) if (t.packed) for (let k = 0; k < 32; k += 4) f.push([data.offset + t.offset + k, 4]);
  return f;
}

function reseal(b: Uint8Array): void {
  if (b.length >= HEADER_BYTES) new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(H.crc32, crc32(b, 16), true);
}

function byteMutant(r: () => number, seed: Uint8Array): Uint8Array {
  const kind = r() % 10;
  if (kind === 0) return seed.slice(0, r() % seed.length); // truncation
  const b = seed.slice();
  const v = new DataView(b.buffer);
  const edits = 1 + (r() % 4);
  for (let i = 0; i < edits; i++) {
    const at = r() % b.length;
    if (kind < 5) b[at] ^= 1 << (r() % 8);
    else if (kind < 8) put(v, at & ~3, 4, value(r, get(v, at & ~3, 4), 4)); // a 32-bit field (flatbuffer offsets, counts, dims, options)
    else b[at] = pick(r, INTERESTING) & 0xff;
  }
  return b;
}

const INTERESTING_SIGNED = [0, 1, -1, 2, 3, -2, 7, 8, 255, 65535, 1 << 20, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32, 2 ** 40];

/** ONNX, structure-aware: decode, edit one attribute, dim, raw_data length, input name or op type, re-encode. */
function onnxMutant(r: () => number, seed: Uint8Array): Uint8Array {
  const m = onnx.ModelProto.decode(seed);
  const g = m.graph!;
  const nodes = g.node ?? [];
  const num = (old: number) => (r() % 2 ? pick(r, INTERESTING_SIGNED) : old + (r() % 5) - 2);
  const edits = 1 + (r() % 2);
  for (let e = 0; e < edits; e++) {
    const kind = r() % 6;
    if (kind <= 1 && nodes.length) {
      const a = pick(r, nodes).attribute ?? [];
      if (!a.length) continue;
      const at = pick(r, a);
      if (at.ints?.length) { const k = r() % at.ints.length; at.ints[k] = num(Number(at.ints[k])); } else if (at.i != null) at.i = num(Number(at.i));
      else if (at.f != null) at.f = pick(r, [0, -1, NaN, Infinity, 1e30, 1e-30]);
    } else if (kind === 2) {
      const t = pick(r, [...(g.initializer ?? [])]);
      if (t?.dims?.length) { const k = r() % t.dims.length; t.dims[k] = num(Number(t.dims[k])); }
    } else if (kind === 3) {
      const t = pick(r, [...(g.initializer ?? [])]);
      if (t?.rawData?.length) t.rawData = t.rawData.subarray(0, r() % (t.rawData.length + 1));
    } else if (kind === 4 && nodes.length) {
      const n = pick(r, nodes);
      if (n.input?.length) {
        const k = r() % n.input.length;
        n.input[k] = r() % 3 === 0 ? '' : pick(r, [...nodes.flatMap((x) => x.output ?? []), ...(g.initializer ?? []).map((t) => t.name ?? '')]);
      }
    } else if (kind === 5) {
      const vi = pick(r, [...(g.input ?? []), ...(g.output ?? [])]);
      const d = vi?.type?.tensorType?.shape?.dim;
      if (d?.length) d[r() % d.length].dimValue = num(Number(d[r() % d.length].dimValue ?? 1));
    }
  }
  return new Uint8Array(onnx.ModelProto.encode(m).finish()); // a copy, never a pooled Buffer view
}

/** The scalar fields of a .tflite, as (offset, width): op codes, tensors (shape, type, buffer, quantization), ops (indices, options), graph I/O. */
function tfliteFields(bytes: Uint8Array): [number, number][] {
  const f: [number, number][] = [];
  const file = new FbFile(bytes, 'seed');
  const model = file.root();
  const scalar = (t: Table, id: number, width: number) => { const o = t.field(id); if (o) f.push([o, width]); };
  const vec = (t: Table, id: number, elem: number, width = elem) => {
    const v = t.vector(id, elem, 'v');
    if (v) { f.push([v.start - 4, 4]); for (let i = 0; i < v.length; i++) f.push([v.start + elem * i, width]); }
  };
  for (const c of model.tables(ModelF.operatorCodes, 'codes')) { scalar(c, OperatorCodeF.deprecatedBuiltinCode, 1); scalar(c, OperatorCodeF.builtinCode, 4); }
  const sg = model.tables(ModelF.subgraphs, 'subgraphs')[0];
  vec(sg, SubGraphF.inputs, 4);
  vec(sg, SubGraphF.outputs, 4);
  for (const t of sg.tables(SubGraphF.tensors, 'tensors')) {
    vec(t, TensorF.shape, 4);
    scalar(t, TensorF.type, 1);
    scalar(t, TensorF.buffer, 4);
    const q = t.table(TensorF.quantization, 'q');
    if (q) { vec(q, QuantF.scale, 4); vec(q, QuantF.zeroPoint, 8, 4); scalar(q, QuantF.quantizedDimension, 4); }
  }
  for (const o of sg.tables(SubGraphF.operators, 'ops')) {
    scalar(o, OperatorF.opcodeIndex, 4);
    vec(o, OperatorF.inputs, 4);
    vec(o, OperatorF.outputs, 4);
    const opts = o.table(OperatorF.builtinOptions, 'options');
    if (opts) for (let id = 0; id < 8; id++) { const at = opts.field(id); if (at) f.push([at, at % 4 === 0 ? 4 : 1]); }
  }
  return f;
}

const fieldCache = new WeakMap<Uint8Array, [number, number][]>();

function fieldMutant(r: () => number, seed: Uint8Array, fields: [number, number][]): Uint8Array {
  const b = seed.slice();
  const v = new DataView(b.buffer);
  const edits = 1 + (r() % 3);
  for (let i = 0; i < edits; i++) {
    const [at, bytes] = pick(r, fields);
    put(v, at, bytes, value(r, get(v, at, bytes), bytes));
  }
  return b;
}

export function mutate(target: Target, seed: Uint8Array, r: () => number): Uint8Array {
  if (target === 'onnx' && r() % 4 !== 0) return onnxMutant(r, seed);
  if (target === 'tflite' && r() % 4 !== 0) {
    let fields = fieldCache.get(seed);
    if (!fields) fieldCache.set(seed, (fields = tfliteFields(seed)));
    return fieldMutant(r, seed, fields);
  }
  if (target !== 'epk' || r() % 4 === 0) {
    const b = byteMutant(r, seed);
    if (target === 'epk' && r() % 2) reseal(b);
    return b;
  }
  let fields = fieldCache.get(seed);
  if (!fields) fieldCache.set(seed, (fields = epkFields(seed)));
  const b = fieldMutant(r, seed, fields);
  reseal(b);
  return b;
}

// --- worker: one mutant through every path --------------------------------------------------

interface Job { target: Target; bytes: Uint8Array }

/**
 * A float model is calibrated to int8 for half the mutants and runs as float32 for the other
 * half, chosen by the mutant's own bytes (so --replay repeats the choice).
 */
export function calibrateFloat(bytes: Uint8Array): boolean {
  return createHash('sha1').update(bytes).digest()[0] % 2 === 0;
}
interface Result { outcome: Outcome; message: string }

async function runJob(job: Job): Promise<Result> {
  const { convertModel, importModel } = await import('../src/convert.js');
  const { summarize } = await import('../src/inspect.js');
  const { loadModelNode } = await import('../src/runtime/node.js');
  const { loadModelStreamed } = await import('../src/runtime/streamed.js');
  const { RuntimeError } = await import('../src/runtime/loader.js');
  const { EpkError } = await import('../src/format/reader.js');
  const { ConvertError } = await import('../src/ir/graph.js');
  const { floatWork } = await import('../src/float/calibrate.js');
  const { isFloatGraph } = await import('../src/passes/quantize-int8.js');
  const clean = (e: unknown) => e instanceof ConvertError || e instanceof EpkError || e instanceof RuntimeError;
  const classify = (e: unknown, where: string): Result => {
    if (e instanceof WebAssembly.RuntimeError) return { outcome: 'trap', message: `${where}: ${e.message}` };
    if (clean(e)) return { outcome: 'clean', message: `${where}: ${(e as Error).message}` };
    return { outcome: 'raw', message: `${where}: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}` };
  };
  let epk = job.bytes;
  if (job.target !== 'epk') {
    try {
      const g = importModel(job.bytes, `mutant.${job.target}`);
      let samples: Float32Array[][] | undefined;
      // a float model costs its float work per sample to calibrate, and to run when kept float
      if (isFloatGraph(g) && floatWork(g) > BIG_WORK) return { outcome: 'big', message: `float reference ${floatWork(g)} multiply-adds per sample` };
      if (isFloatGraph(g) && calibrateFloat(job.bytes)) {
        samples = [g.inputs.map((t) => new Float32Array(g.tensors[t].shape.reduce((a, d) => a * d, 1)).fill(0.25))];
      }
      epk = convertModel(job.bytes, `mutant.${job.target}`, { quantize: { samples } }).epk;
    } catch (e) {
      return classify(e, 'convert');
    }
  }
  try {
    summarize(epk);
  } catch (e) {
    const r = classify(e, 'inspect');
    if (r.outcome !== 'clean') return r;
  }
  const outputs: [string, Uint8Array[] | null][] = [];
  let lastClean: Result | undefined;
  const refusals: string[] = [];
  for (const build of ['simd', 'scalar', 'streamed'] as const) {
    try {
      const m = build === 'streamed' ? await loadModelStreamed(epk) : await loadModelNode(epk, build);
      const inputs = Array.from({ length: m.inputCount }, (_, i) => m.inputBytes(i));
      if (inputs.some((n) => n > 1 << 24)) { outputs.push([build, null]); continue; }
      const x = inputs.map((n, i) => Uint8Array.from({ length: n }, (_, k) => (k * 37 + i * 11) & 0xff));
      outputs.push([build, m.run(...x)]);
    } catch (e) {
      const r = classify(e, build);
      if (r.outcome !== 'clean') return r;
      lastClean = r;
      refusals.push(r.message);
      outputs.push([build, null]);
    }
  }
  const loaded = outputs.filter(([, o]) => o !== null) as [string, Uint8Array[]][];
  const accepted = new Set(outputs.map(([, o]) => o !== null));
  // a valid model larger than this host's memory limit: every build says so by name (a host may raise the limit)
  if (loaded.length === 0 && refusals.length && refusals.every((m) => /OUT_OF_MEMORY: .* above the host memory limit/.test(m))) return { outcome: 'big', message: refusals[0] };
  if (job.target !== 'epk' && loaded.length === 0 && lastClean) return { outcome: 'unloadable', message: lastClean.message };
  if (accepted.size > 1) return { outcome: 'disagree', message: `builds disagree on loading: ${outputs.map(([b, o]) => `${b} ${o ? 'loads' : 'refuses'}`).join(', ')}${lastClean ? ` (${lastClean.message})` : ''}` };
  const float = floatOutputs(epk);
  for (const [b, o] of loaded.slice(1)) {
    const same = o.length === loaded[0][1].length && o.every((y, i) => sameOutput(y, loaded[0][1][i], float[i] ?? false));
    if (!same) return { outcome: 'disagree', message: `${b} output differs from ${loaded[0][0]}` };
  }
  return lastClean ?? { outcome: 'ok', message: '' };
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  port.on('message', async (job: Job) => port.postMessage(await runJob(job).catch((e) => ({ outcome: 'raw', message: `harness: ${String(e)}` }))));
}

// --- main: schedule, time out, record ----------------------------------------------------------

class Runner {
  private worker!: Worker;
  constructor() { this.spawn(); }
  private spawn(): void {
    this.worker = new Worker(new URL(import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 2048 } });
    this.worker.unref();
  }
  run(job: Job, budgetMs = HANG_MS): Promise<Result> {
    return new Promise((resolve) => {
      const w = this.worker;
      const done = (r: Result) => {
        clearTimeout(timer);
        w.removeAllListeners('message');
        w.removeAllListeners('error');
        w.removeAllListeners('exit');
        resolve(r);
      };
      const timer = setTimeout(() => {
        void w.terminate();
        this.spawn();
        done({ outcome: 'hang', message: `no answer in ${budgetMs} ms` });
      }, budgetMs);
      w.once('message', (r: Result) => done(r));
      w.once('error', (e) => { this.spawn(); done({ outcome: e instanceof WebAssembly.RuntimeError ? 'trap' : 'raw', message: `worker died: ${String(e)}` }); });
      w.once('exit', (code) => { this.spawn(); done({ outcome: 'raw', message: `worker exited with ${code} (out of memory?)` }); });
      w.postMessage(job);
    });
  }
  close(): Promise<number> { return this.worker.terminate(); }
}

/**
 * A mutant that missed HANG_MS once (often a legitimate conversion on a loaded machine) is run
 * again with HANG_CONFIRM_MS. A second miss is a hang; an answer that is itself a finding is
 * that finding; otherwise it is counted as slow.
 */
async function confirmHang(runner: Runner, job: Job): Promise<Result> {
  const again = await runner.run(job, HANG_CONFIRM_MS);
  if (again.outcome === 'hang') return again;
  if (again.outcome === 'ok' || again.outcome === 'clean' || again.outcome === 'big') return { outcome: 'slow', message: `answered (${again.outcome}) within ${HANG_CONFIRM_MS} ms only` };
  return again;
}

export async function fuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const targets = opts.targets ?? ['epk', 'tflite', 'onnx'];
  const out = opts.out ?? 'fuzz-out';
  const log = opts.log ?? (() => {});
  const r = rng(opts.seed ?? Date.now());
  const pool = new Map<Target, Uint8Array[]>();
  // plain copies: a Buffer's .slice() is a view, and mutants must never edit their seed
  for (const t of targets) pool.set(t, (await seeds(t)).map((s) => new Uint8Array(s)));
  const counts = Object.fromEntries(targets.map((t) => [t, Object.fromEntries(OUTCOMES.map((o) => [o, 0]))])) as FuzzReport['counts'];
  const findings: FuzzReport['findings'] = [];
  const seen = new Set<string>();
  const runner = new Runner();
  const start = Date.now();
  let mutants = 0;
  try {
    while (Date.now() - start < opts.seconds * 1000) {
      const target = targets[mutants % targets.length];
      const bytes = mutate(target, pick(r, pool.get(target)!), r);
      let res = await runner.run({ target, bytes });
      if (res.outcome === 'hang') res = await confirmHang(runner, { target, bytes });
      mutants++;
      counts[target][res.outcome]++;
      if (res.outcome === 'ok' || res.outcome === 'clean' || res.outcome === 'big') continue;
      const hash = createHash('sha1').update(bytes).digest('hex').slice(0, 12);
      const dir = join(out, res.outcome);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${target}-${hash}.${target}`);
      writeFileSync(file, bytes);
      writeFileSync(`${file}.txt`, `${res.message}\n`);
      if (res.outcome === 'slow') continue; // kept for a look, not a finding
      const key = `${target} ${res.outcome} ${res.message.split('\n')[0].replace(/\d+/g, 'N')}`;
      if (!seen.has(key)) {
        seen.add(key);
        findings.push({ target, outcome: res.outcome, message: res.message.split('\n')[0], file });
        log(`${res.outcome} (${target}): ${res.message.split('\n')[0]} -> ${file}`);
      }
    }
  } finally {
    await runner.close();
  }
  const seconds = (Date.now() - start) / 1000;
  return { mutants, seconds, perSecond: mutants / seconds, counts, findings };
}

export function formatReport(rep: FuzzReport): string {
  const lines = [`${rep.mutants} mutants in ${rep.seconds.toFixed(0)} s (${rep.perSecond.toFixed(1)}/s)`];
  for (const [t, c] of Object.entries(rep.counts)) lines.push(`  ${t.padEnd(7)} ${OUTCOMES.map((o) => `${o} ${c[o]}`).join(', ')}`);
  lines.push(`${rep.findings.length} distinct findings`);
  return lines.join('\n');
}

/** Which outputs are float32 (false where the file cannot be read: compare bytes). */
function floatOutputs(epk: Uint8Array): boolean[] {
  try {
    const e = readEpk(epk);
    return e.outputs.map((t) => e.tensors[t].dtype === DType.Float32);
  } catch {
    return [];
  }
}

/**
 * Two builds' bytes of one output agree: equal bytes, or for a float32 output equal values
 * where any NaN equals any NaN (WebAssembly leaves a NaN result's sign and payload open, and V8's
 * tiers and its SIMD and scalar instructions may pick differently).
 */
export function sameOutput(a: Uint8Array, b: Uint8Array, float: boolean): boolean {
  if (Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0) return true;
  if (!float || a.length !== b.length || a.length % 4 !== 0) return false;
  const x = new Float32Array(Uint8Array.from(a).buffer), y = new Float32Array(Uint8Array.from(b).buffer);
  return x.every((v, i) => Object.is(v, y[i]) || (Number.isNaN(v) && Number.isNaN(y[i])));
}

/** `--replay FILE`: one saved mutant through the same path, in this thread, timed. */
async function replay(file: string): Promise<never> {
  const { readFileSync } = await import('node:fs');
  const target = file.replace(/.*\./, '') as Target;
  if (!['epk', 'tflite', 'onnx'].includes(target)) {
    process.stderr.write(`fuzz: --replay needs a .epk, .tflite or .onnx file, not ${file}\n`);
    process.exit(2);
  }
  const t0 = performance.now();
  const res = await runJob({ target, bytes: new Uint8Array(readFileSync(file)) });
  process.stdout.write(`${res.outcome} in ${(performance.now() - t0).toFixed(0)} ms${res.message ? `: ${res.message.split('\n')[0]}` : ''}\n`);
  process.exit(res.outcome === 'ok' || res.outcome === 'clean' || res.outcome === 'big' ? 0 : 1);
}

if (isMainThread && process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, target: { type: 'string', default: 'all' }, out: { type: 'string', default: 'fuzz-out' }, seed: { type: 'string' }, replay: { type: 'string' } } });
  const all: Target[] = ['epk', 'tflite', 'onnx'];
  if (values.replay) await replay(values.replay);
  const targets = values.target === 'all' ? all : [values.target as Target];
  if (!targets.every((t) => all.includes(t))) {
    process.stderr.write(`fuzz: --target must be epk, tflite, onnx or all, not ${values.target}\n`);
    process.exit(2);
  }
  const rep = await fuzz({ seconds: Number(values.seconds), targets, out: values.out, seed: values.seed ? Number(values.seed) : undefined, log: (l) => process.stdout.write(l + '\n') });
  process.stdout.write(formatReport(rep) + '\n');
}
