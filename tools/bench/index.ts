// npm run bench [-- --models a,b] [--time MS] [--rounds N] [--json FILE] [--profile MODEL] [--svg FILE] [--no-peer] [--smoke]
//                 [--baseline-wasm FILE]  (an older runtime build, timed beside simd: before/after in one run)
// Latency of edgepack simd and scalar (packed kernels; the scalar build both with its GEMM weights
// widened, as a JIT host loads it, and on the blocked weights, as a firmware runs it) and of the
// _ref kernels (the "before"),
// side by side with TFLite's own wasm runtime (@tensorflow/tfjs-tflite, one thread) and LiteRT.js
// (@litertjs/core, one thread) on the same .tflite and the same input, in one process; MAC/s; a
// per-layer profile with an SVG chart;
// and the roofline of i32x4.dot_i16x8_s. Timings are reported, never asserted.

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Bench } from 'tinybench';
import { Model, loadModel } from '../../src/runtime/loader.js';
import { SHARED_MODELS } from './paths.js';
import { convert, emittedOps, load, modelMacs, opLabel, opMacs, profileOps, quantile } from './edgepack.js';
import { loadPeerModel } from './peer-tflite.js';
import { loadLitertModel } from './peer-litert.js';
import { loadModelNode } from '../../src/runtime/node.js';
import { measureRoofline } from './roofline.js';
import { OpProfileRow, profileSvg } from './chart.js';

const DEFAULT_MODELS = ['person_detect', 'ic_resnet8_int8', 'kws_dscnn_int8', 'sww_dscnn_int8', 'mobilenet_v2_224_nchw_int8'];

interface Args {
  models: string[];
  timeMs: number;
  json?: string;
  profile: string;
  svg?: string;
  peer: boolean;
  smoke: boolean;
  rounds: number;
  /** Another build of the runtime (e.g. before an optimisation), timed beside simd on the same .epk. */
  baseline?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { models: DEFAULT_MODELS, timeMs: 2000, profile: 'mobilenet_v2_224_nchw_int8', peer: true, smoke: false, rounds: 20 };
  for (let i = 0; i < argv.length; i++) {
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    switch (argv[i]) {
      case '--models': a.models = v().split(','); break;
      case '--time': a.timeMs = Number(v()); break;
      case '--json': a.json = v(); break;
      case '--profile': a.profile = v(); break;
      case '--svg': a.svg = v(); break;
      case '--no-peer': a.peer = false; break;
      case '--rounds': a.rounds = Math.max(1, Number(v())); break;
      case '--baseline-wasm': a.baseline = v(); break;
      case '--smoke': a.smoke = true; break;
      default: throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (a.smoke) {
    a.timeMs = 30;
    a.rounds = 1;
    if (!argv.includes('--models')) a.models = ['kws_dscnn_int8'];
    a.profile = a.models[0];
  }
  return a;
}

/** Deterministic input bytes (LCG), the same for every runtime. */
function inputBytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

interface Timing {
  medianMs: number;
  p90Ms: number;
  samples: number;
}

interface ModelResult {
  model: string;
  macs: number;
  scratchBytes: number;
  arenaBytes: number;
  edgepackSimd: Timing;
  /** The scalar build with its GEMM weights widened at load (a JIT host's default, docs/ABI.md). */
  edgepackScalar: Timing;
  /** The same build on the blocked weights: the kernels a firmware runs. */
  edgepackScalarBlocked: Timing;
  edgepackRef: Timing;
  peer: Timing | null;
  /** LiteRT.js (peer-litert.ts). */
  litert: Timing | null;
  baseline?: Timing;
  peerError?: string;
  litertError?: string;
  litertOutputBytesDiffering?: number;
  peerPatchedTensors?: number;
  peerOutputBytesDiffering?: number;
  outputBytes: number;
}

function machine(): string {
  try {
    const l = execFileSync('lscpu', { encoding: 'utf8' });
    const name = /Model name:\s*(.*)/.exec(l)?.[1] ?? cpus()[0]?.model;
    return `${name}, ${cpus().length} cores, Node ${process.version}`;
  } catch {
    return `${cpus()[0]?.model}, ${cpus().length} cores, Node ${process.version}`;
  }
}

/**
 * Runs the tasks in `rounds` interleaved tinybench runs of timeMs / rounds each and pools the
 * samples, so load from other processes on a shared machine falls on every task alike. The
 * order (reversed every other round) keeps 'edgepack simd' next to the peer, the baseline build
 * and the scalar build, whose ratios to it the report gives: this 2-vCPU machine switches
 * between speed levels about 1.6x apart every 0.5-3 s (tools/bench/levels.ts), so samples taken
 * seconds apart can fall on different levels. Hence also 20 rounds by default (100 ms slices at
 * the default 2000 ms): with 5, two runs minutes apart gave person_detect's scalar / simd 5.05 and
 * 4.39 where an interleaved A/B gives 3.7; with 20, 3.74 and 3.87.
 */
async function timeTasks(tasks: [string, () => void][], timeMs: number, rounds: number): Promise<Map<string, Timing>> {
  const pooled = new Map<string, number[]>(tasks.map(([n]) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const slice = timeMs / rounds;
    // at least 3 samples per round (tinybench's default minimum of 64 would take minutes for
    // the slowest task, the _ref kernels on mobilenet_v2 at ~2 s per inference)
    const bench = new Bench({ time: slice, iterations: 3, warmupTime: r === 0 ? Math.min(300, timeMs) : 20, warmupIterations: r === 0 ? 2 : 1, retainSamples: true });
    for (const [name, fn] of r % 2 ? [...tasks].reverse() : tasks) bench.add(name, fn);
    await bench.run();
    for (const t of bench.tasks) {
      const res = t.result as { state: string; latency?: { p50: number; samples?: number[] }; error?: Error };
      if (!res.latency) throw new Error(`${t.name}: ${res.state} ${res.error?.message ?? ''}`);
      pooled.get(t.name)!.push(...(res.latency.samples ?? [res.latency.p50]));
    }
  }
  const out = new Map<string, Timing>();
  for (const [name, s] of pooled) out.set(name, { medianMs: quantile(s, 0.5), p90Ms: quantile(s, 0.9), samples: s.length });
  return out;
}

async function benchModel(name: string, args: Args): Promise<{ result: ModelResult; simd: Model; scalar: Model; input: Uint8Array; macs: number[]; labels: string[] }> {
  const tflite = new Uint8Array(readFileSync(join(SHARED_MODELS, `${name}.tflite`)));
  const packed = convert(tflite, `${name}.tflite`);
  const ref = convert(tflite, `${name}.tflite`, true);
  const simd = await load(packed.epk, 'simd');
  const scalar = await load(packed.epk, 'scalar');
  const blocked = await loadModelNode(packed.epk, 'scalar', undefined, false);
  const refModel = await load(ref.epk, 'scalar');
  const input = inputBytes(simd.inputBytes(0), 0x5eed);
  const a = simd.run(input)[0], b = scalar.run(input)[0], c = refModel.run(input)[0];
  if (!equal(a, b) || !equal(a, c) || !equal(a, blocked.run(input)[0])) throw new Error(`${name}: simd, scalar (widened, blocked) and reference outputs differ`);

  const tasks: [string, () => void][] = [
    ['edgepack simd', () => void simd.run(input)],
    ['edgepack scalar', () => void scalar.run(input)],
    ['edgepack scalar blocked', () => void blocked.run(input)],
    ['edgepack ref', () => void refModel.run(input)],
  ];
  const result: ModelResult = {
    model: name, outputBytes: a.length, macs: modelMacs(packed.graph), scratchBytes: packed.scratchBytes, arenaBytes: packed.arenaBytes,
    edgepackSimd: null!, edgepackScalar: null!, edgepackScalarBlocked: null!, edgepackRef: null!, peer: null, litert: null,
  };
  if (args.baseline) {
    const base = await loadModel(new WebAssembly.Module(readFileSync(args.baseline)), packed.epk);
    if (!equal(base.run(input)[0], a)) throw new Error(`${name}: the baseline build's output differs`);
    tasks.unshift(['baseline', () => void base.run(input)]); // next to simd: see timeTasks
  }
  if (args.peer) {
    try {
      const lite = await loadLitertModel(tflite, input.length);
      const p = lite.run(input);
      result.litertOutputBytesDiffering = p.length === a.length ? p.reduce((n, v, i) => n + (v !== a[i] ? 1 : 0), 0) : -1;
      tasks.unshift(['litert-wasm', () => void lite.run(input)]); // next to simd: see timeTasks
      if (!litertBuild) litertBuild = lite.build;
    } catch (e) {
      result.litertError = (e as Error).message.split('\n')[0];
    }
    try {
      const peer = await loadPeerModel(tflite);
      const p = peer.run(input);
      result.peerPatchedTensors = peer.patched;
      result.peerOutputBytesDiffering = p.length === a.length ? p.reduce((n, v, i) => n + (v !== a[i] ? 1 : 0), 0) : -1;
      tasks.unshift(['tflite-wasm', () => void peer.run(input)]); // next to simd: see timeTasks
      if (!peerBuild) peerBuild = peer.build;
    } catch (e) {
      result.peerError = (e as Error).message;
    }
  }
  const t = await timeTasks(tasks, args.timeMs, args.rounds);
  result.edgepackSimd = t.get('edgepack simd')!;
  result.edgepackScalar = t.get('edgepack scalar')!;
  result.edgepackScalarBlocked = t.get('edgepack scalar blocked')!;
  result.edgepackRef = t.get('edgepack ref')!;
  result.peer = t.get('tflite-wasm') ?? null;
  result.litert = t.get('litert-wasm') ?? null;
  result.baseline = t.get('baseline');
  const ops = emittedOps(packed.graph);
  return { result, simd, scalar, input, macs: ops.map((o) => opMacs(packed.graph, o)), labels: ops.map(opLabel) };
}

let peerBuild = '', litertBuild = '';

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const f2 = (n: number) => n.toFixed(n < 1 ? 3 : 2);
const gmacs = (macs: number, ms: number) => (macs / (ms / 1000) / 1e9).toFixed(2);

function printTable(rows: ModelResult[]): void {
  const head = ['model', 'MMAC', 'simd med', 'simd p90', 'scalar med', 'scalar p90', 'blocked med', 'ref med', 'tflite med', 'tflite p90', 'litert med', 'simd/tflite', 'simd/litert', 'scalar/simd', 'blocked/simd', 'ref/simd', 'simd GMAC/s', 'scalar GMAC/s', 'tflite GMAC/s'];
  const lines = rows.map((r) => [
    r.model, (r.macs / 1e6).toFixed(2),
    f2(r.edgepackSimd.medianMs), f2(r.edgepackSimd.p90Ms), f2(r.edgepackScalar.medianMs), f2(r.edgepackScalar.p90Ms), f2(r.edgepackScalarBlocked.medianMs), f2(r.edgepackRef.medianMs),
    r.peer ? f2(r.peer.medianMs) : 'n/a', r.peer ? f2(r.peer.p90Ms) : 'n/a', r.litert ? f2(r.litert.medianMs) : 'n/a',
    r.peer ? (r.edgepackSimd.medianMs / r.peer.medianMs).toFixed(2) : 'n/a',
    r.litert ? (r.edgepackSimd.medianMs / r.litert.medianMs).toFixed(2) : 'n/a',
    (r.edgepackScalar.medianMs / r.edgepackSimd.medianMs).toFixed(2),
    (r.edgepackScalarBlocked.medianMs / r.edgepackSimd.medianMs).toFixed(2),
    (r.edgepackRef.medianMs / r.edgepackSimd.medianMs).toFixed(2),
    gmacs(r.macs, r.edgepackSimd.medianMs), gmacs(r.macs, r.edgepackScalar.medianMs), r.peer ? gmacs(r.macs, r.peer.medianMs) : 'n/a',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  console.log(fmt(head));
  console.log('|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|');
  for (const l of lines) console.log(fmt(l));
  console.log('latencies in ms (median and p90 of tinybench samples); ratios are of medians; scalar = scalar build with GEMM weights widened at load (a JIT host), blocked = the same build on the blocked weights (the firmware kernels); ref = _ref kernels, scalar build');
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const env = machine();
  console.log(`edgepack bench -- ${env}; ${args.timeMs} ms per task in ${args.rounds} interleaved rounds`);
  console.log('note: a shared machine; figures vary from run to run, compare ratios measured in the same run');

  const roof = measureRoofline(args.smoke ? 100_000 : 500_000, args.smoke ? 2 : 40);
  console.log(`roofline: i32x4.dot_i16x8_s + i32x4.add, 8 independent chains: ${(roof.dotsPerSecond / 1e9).toFixed(2)} G dot/s = ${(roof.macsPerSecond / 1e9).toFixed(2)} GMAC/s (int8 MACs, one core)`);

  const missing = args.models.filter((m) => !existsSync(join(SHARED_MODELS, `${m}.tflite`)));
  if (missing.length) throw new Error(`model file(s) not found in ${SHARED_MODELS}: ${missing.map((m) => `${m}.tflite`).join(', ')} (set EDGEPACK_SHARED_MODELS to their folder)`);
  const rows: ModelResult[] = [];
  let profileRows: OpProfileRow[] | null = null;
  for (const name of args.models) {
    const r = await benchModel(name, args);
    rows.push(r.result);
    if (r.result.peerError) console.log(`${name}: the peer (tfjs-tflite) could not run: ${r.result.peerError}`);
    if (r.result.litertError) console.log(`${name}: the peer LiteRT.js could not run: ${r.result.litertError}`);
    if (name === args.profile) {
      const rounds = args.smoke ? 2 : 30;
      const ms = profileOps(r.simd, r.input, rounds), scalarMs = profileOps(r.scalar, r.input, rounds);
      profileRows = ms.map((t, i) => ({ index: i, op: r.labels[i], ms: t, scalarMs: scalarMs[i], macs: r.macs[i] }));
    }
  }
  if (args.peer && peerBuild) console.log(`peer: @tensorflow/tfjs-tflite, one thread, scripts: ${peerBuild}`);
  if (args.peer && litertBuild) console.log(`peer: @litertjs/core, one thread, 'wasm' accelerator, script: ${litertBuild}`);
  if (!args.peer) console.log('peer: skipped (--no-peer)');
  printTable(rows);
  for (const r of rows) {
    if (r.peerPatchedTensors) console.log(`${r.model}: peer copy has quantized_dimension set to 0 on ${r.peerPatchedTensors} bias tensors`);
    if (r.peerOutputBytesDiffering) console.log(`${r.model}: tflite-wasm output differs from edgepack (= TFLM) in ${r.peerOutputBytesDiffering} of ${r.outputBytes} bytes`);
    if (r.litertOutputBytesDiffering) console.log(`${r.model}: litert-wasm output differs from edgepack (= TFLM) in ${r.litertOutputBytesDiffering} of ${r.outputBytes} bytes`);
  }
  if (args.baseline) {
    console.log(`\nbefore/after in this run: baseline ${args.baseline} vs current simd build (medians, ms)`);
    for (const r of rows) console.log(`  ${r.model}: baseline ${f2(r.baseline!.medianMs)}, simd ${f2(r.edgepackSimd.medianMs)}, simd/baseline ${(r.edgepackSimd.medianMs / r.baseline!.medianMs).toFixed(3)}`);
  }
  const maxScratch = Math.max(...rows.map((r) => r.scratchBytes));
  console.log(`scratch bytes per model: ${rows.map((r) => `${r.model} ${r.scratchBytes}`).join(', ')} (max ${maxScratch})`);

  if (profileRows) {
    const total = profileRows.reduce((a, r) => a + r.ms, 0);
    const scalarTotal = profileRows.reduce((a, r) => a + (r.scalarMs ?? 0), 0);
    console.log(`\nper-layer profile, ${args.profile} (median of per-op times; sums: simd ${total.toFixed(3)} ms, scalar ${scalarTotal.toFixed(3)} ms, ratio ${(scalarTotal / total).toFixed(2)}):`);
    console.log('| # | op | simd ms | share | MMAC | simd GMAC/s | scalar ms | scalar GMAC/s |\n|--:|----|--:|--:|--:|--:|--:|--:|');
    for (const r of profileRows) {
      const sc = r.scalarMs ?? 0;
      console.log(`| ${r.index} | ${r.op} | ${r.ms.toFixed(3)} | ${((100 * r.ms) / total).toFixed(1)}% | ${(r.macs / 1e6).toFixed(2)} | ${r.macs ? gmacs(r.macs, r.ms) : '-'} | ${sc.toFixed(3)} | ${r.macs ? gmacs(r.macs, sc) : '-'} |`);
    }
    if (args.svg) {
      writeAtomic(args.svg, profileSvg(`${args.profile}: edgepack simd, per-op median time (${env})`, profileRows, total));
      console.log(`wrote ${args.svg}`);
    }
  }
  if (args.json) {
    writeAtomic(args.json, JSON.stringify({ machine: env, timeMsPerTask: args.timeMs, roofline: roof, peerBuild, litertBuild, models: rows, profile: profileRows && { model: args.profile, ops: profileRows } }, null, 2) + '\n');
    console.log(`wrote ${args.json}`);
  }
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
