// The studio's Web Worker: conversion, inspection, fidelity and inference run here so the
// page never freezes. The same converter and runtime as the CLI; the runtime modules are
// fetched from the studio server once and compiled once.

import { ConvertOptions, convertModel, importModel } from '../../convert.js';
import { elementCount } from '../../ir/graph.js';
import { rawSamples } from '../../io/raw-samples.js';
import { summarize } from '../../inspect.js';
import { readEpk, EpkError } from '../../format/reader.js';
import { ConvertError } from '../../ir/graph.js';
import { Model, RuntimeError, Target, loadModel, setRuntimeModules } from '../../runtime/loader.js';
import { fidelityReport, formatFidelity } from '../../compress/report.js';
import { MAGIC } from '../../format/constants.js';
import { planIntervals } from './memory-plan.js';
import { loadStreamed, measureBoard } from './board-fit.js';
import type { BuildRun, Calibration, FidelityRequest, FitRequest, FitResult, OpenRequest, OpenResult, Reply, Request, RunRequest } from './protocol.js';

const scope = self as unknown as { postMessage(m: Reply, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<Request & { id: number }>) => void) | null };

const modules = new Map<Target | 'streamed', Promise<WebAssembly.Module>>();

/** The runtime build, fetched from the studio server and compiled once. */
function runtimeModule(target: Target | 'streamed'): Promise<WebAssembly.Module> {
  let m = modules.get(target);
  if (!m) {
    m = WebAssembly.compileStreaming(fetch(`/wasm/edgepack-${target}.wasm`));
    modules.set(target, m);
  }
  return m;
}

const openModel = async (epk: Uint8Array, target: Target): Promise<Model> => loadModel(await runtimeModule(target), epk);

// converter passes that run the model (calibrated compression) find the same builds
setRuntimeModules(runtimeModule);

/** An .epk by its name or its magic; anything else goes to the converter (which names what it is not). */
function isEpk(name: string, bytes: Uint8Array): boolean {
  if (name.toLowerCase().endsWith('.epk')) return true;
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === MAGIC;
}

/** The conversion options without compression: calibration samples for float models, as `convert --calibrate FILE`. */
function plainOptions(name: string, bytes: Uint8Array, calibration?: Calibration): ConvertOptions {
  if (!calibration) return { log: () => {} };
  const g = importModel(bytes, name);
  const samples = rawSamples(calibration.name, calibration.bytes, g.inputs.map((t) => elementCount(g.tensors[t].shape)));
  return { log: () => {}, quantize: { samples } };
}

function open(req: OpenRequest): OpenResult {
  const t0 = performance.now();
  const converted = !isEpk(req.name, req.bytes);
  const epk = converted ? convertModel(req.bytes, req.name, { ...plainOptions(req.name, req.bytes, req.calibration), compress: req.compress }).epk : req.bytes.slice();
  const summary = summarize(epk);
  return { epk, summary, intervals: planIntervals(readEpk(epk)), converted, ms: performance.now() - t0 };
}

async function fidelity(req: FidelityRequest) {
  const report = await fidelityReport(req.source, req.name, req.epk, { open: openModel, baseline: plainOptions(req.name, req.source, req.calibration) });
  return { report, text: formatFidelity(report) };
}

/** Every inference's outputs back to back, as `edgepack run` writes them. */
function runAll(model: Model, input: Uint8Array): { bytes: Uint8Array; first: Uint8Array[]; inferences: number } {
  const per = model.inputBytes(0), n = input.length / per;
  const outputs: Uint8Array[][] = [];
  for (let b = 0; b < n; b++) outputs.push(model.run(input.subarray(b * per, (b + 1) * per)));
  const flat = outputs.flat();
  const bytes = new Uint8Array(flat.reduce((a, o) => a + o.length, 0));
  flat.reduce((at, o) => (bytes.set(o, at), at + o.length), 0);
  return { bytes, first: outputs[0], inferences: n };
}

/** Runs every input once, then repeats the first for about 300 ms (at least 3 runs) for a median latency. */
async function runBuild(epk: Uint8Array, input: Uint8Array, target: Target | 'streamed'): Promise<BuildRun> {
  const model = target === 'streamed' ? (await loadStreamed(await runtimeModule('streamed'), epk)).model : await openModel(epk, target);
  const all = runAll(model, input);
  const first = input.subarray(0, model.inputBytes(0));
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < 300 && times.length < 200)) {
    const t = performance.now();
    model.run(first);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { target, ...all, medianMs: times[times.length >> 1], runs: times.length };
}

async function run(req: RunRequest) {
  const builds: BuildRun[] = [];
  for (const target of ['simd', 'scalar', 'streamed'] as const) builds.push(await runBuild(req.epk, req.input, target));
  return { builds };
}

async function fit(req: FitRequest): Promise<FitResult> {
  const fits = [];
  for (const board of req.boards) fits.push(await measureBoard(req.epk, board, { module: runtimeModule }));
  return { fits };
}

/** The command a CLI user would have run for the same work. */
const COMMAND: Record<Request['kind'], string> = { open: 'convert', fidelity: 'convert', run: 'run', fit: 'fit' };

/** An error as the CLI prints it (src/cli/index.ts): known errors by message, others as internal errors. */
export function cliWording(kind: Request['kind'], e: unknown, epkInput = false): string {
  const cmd = `edgepack ${epkInput ? 'inspect' : COMMAND[kind]}`;
  const known = e instanceof ConvertError || e instanceof EpkError || e instanceof RuntimeError;
  if (!known) return `${cmd}: internal error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  return `${cmd}: error: ${(e as Error).message}`;
}

scope.onmessage = async (event) => {
  const { id, ...req } = event.data;
  try {
    const result = req.kind === 'open' ? open(req) : req.kind === 'fidelity' ? await fidelity(req) : req.kind === 'fit' ? await fit(req) : await run(req);
    scope.postMessage({ id, result });
  } catch (e) {
    scope.postMessage({ id, error: cliWording(req.kind, e, req.kind === 'open' && isEpk(req.name, req.bytes)) });
  }
};
