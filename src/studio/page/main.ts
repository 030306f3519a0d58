// The studio page: opens a model (the one the server was started with, a chosen or a
// dropped file), converts it in the worker, and shows the figures, layer table, memory
// plan, compression, fit, run and export panels.

import type { CompressOptions } from '../../convert.js';
import type { Summary } from '../../inspect.js';
import type { Board } from '../../fit.js';
import type { Calibration, FidelityResult, FitResult, OpenResult, Reply, Request, RunResult } from './protocol.js';
import { drawMemoryPlan } from './memory-plan.js';
import { convertCommandLine, epkName } from './command-line.js';
import { PixelRange, imageInput, outputReals, rawInput, topK } from './tensor-input.js';
import { renderFit } from './fit-panel.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

interface State {
  source?: { name: string; bytes: Uint8Array };
  calibration?: Calibration;
  opened?: OpenResult;
}
const state: State = {};

// --- the worker and the progress indicator -----------------------------------------

const waiting = new Map<number, (r: Reply) => void>();
let nextId = 1, busy = 0;
let worker = startWorker();

/**
 * The worker; if it dies (a module that fails to load, memory exhausted), every request
 * waiting on it gets an error instead of waiting forever, and a fresh worker takes over.
 */
function startWorker(): Worker {
  const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  w.onmessage = (e: MessageEvent<Reply>) => {
    waiting.get(e.data.id)?.(e.data);
    waiting.delete(e.data.id);
  };
  w.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    const error = `edgepack studio: internal error: the worker stopped (${e.message || 'no message'})`;
    for (const [id, reply] of waiting) reply({ id, error });
    waiting.clear();
    w.terminate();
    worker = startWorker();
  };
  return w;
}

/** Work longer than half a second shows the progress bar; the status line says what runs. */
async function task<T>(label: string, work: () => Promise<T>): Promise<T> {
  busy++;
  $('status-text').textContent = `${label}…`;
  document.body.dataset.state = 'busy';
  const timer = setTimeout(() => ($('progress').hidden = false), 500);
  try {
    return await work();
  } finally {
    clearTimeout(timer);
    if (--busy === 0) {
      $('progress').hidden = true;
      $('status-text').textContent = 'ready';
      document.body.dataset.state = state.opened ? 'ready' : 'empty';
    }
  }
}

function call<T>(req: Request, transfer: Transferable[] = []): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    waiting.set(id, (r) => (r.error !== undefined ? reject(new Error(r.error)) : resolve(r.result as T)));
    worker.postMessage({ id, ...req }, transfer);
  });
}

function showError(message: string | null): void {
  $('error').hidden = message === null;
  $('error').textContent = message ?? '';
}

// --- opening and converting ---------------------------------------------------------

/** The prune fraction, refused in the CLI's words (src/cli/convert.ts) outside [0, 1). */
function pruneFraction(): number {
  const text = $<HTMLInputElement>('prune').value, v = Number(text);
  if (!(v >= 0 && v < 1)) throw new Error(`edgepack convert: error: --prune must be a fraction in [0, 1), got "${text}"`);
  return v;
}

function compressOptions(): CompressOptions {
  const prune = pruneFraction();
  const codebook = Number($<HTMLSelectElement>('codebook').value);
  return {
    prune: prune > 0 ? prune : undefined,
    codebook: codebook || undefined,
    perChannelCodebook: codebook ? $<HTMLInputElement>('per-channel').checked : undefined,
    huffman: $<HTMLInputElement>('huffman').checked || undefined,
  };
}

async function openSource(name: string, bytes: Uint8Array): Promise<void> {
  state.source = { name, bytes };
  state.opened = undefined;
  state.calibration = undefined; // calibration samples belong to one model
  $<HTMLInputElement>('calibration-file').value = '';
  $('model-name').textContent = name;
  $('source-bytes').textContent = String(bytes.length);
  await convert();
}

/** (Re)converts the source with the compression options and redraws every panel. */
async function convert(): Promise<void> {
  const src = state.source;
  if (!src) return;
  showError(null);
  try {
    const compress = compressOptions();
    const calibration = state.calibration;
    const opened = await task(`converting ${src.name}`, () => call<OpenResult>({ kind: 'open', name: src.name, bytes: src.bytes, compress, calibration }));
    if (state.source !== src) return; // another model was opened meanwhile
    state.opened = opened;
    render(opened, compress);
    const compressing = Object.values(compress).some((v) => v);
    $('fidelity').textContent = '';
    if (opened.converted && compressing) await fidelity(src, opened);
  } catch (e) {
    showError((e as Error).message);
  } finally {
    document.body.dataset.state = busy ? 'busy' : state.opened ? 'ready' : 'empty';
  }
}

async function fidelity(src: NonNullable<State['source']>, opened: OpenResult): Promise<void> {
  const f = await task('measuring fidelity', () =>
    call<FidelityResult>({ kind: 'fidelity', name: src.name, source: src.bytes, epk: opened.epk, calibration: state.calibration }));
  // the whole-model lines (size, top-1 agreement, output SQNR) first, then the per-layer table
  const [table, totals] = f.text.split('\n\n');
  if (state.opened === opened) $('fidelity').textContent = `${totals}\n\n${table}`;
}

/**
 * The least lossy setting whose .epk fits `budget` bytes, keeping the prune fraction: no
 * compression, then lossless Huffman, then codebooks of 8 down to 2 bits with Huffman.
 */
const BUDGET_STEPS: { codebook: number; huffman: boolean }[] = [
  { codebook: 0, huffman: false }, { codebook: 0, huffman: true }, ...[8, 7, 6, 5, 4, 3, 2].map((codebook) => ({ codebook, huffman: true })),
];

async function meetBudget(): Promise<void> {
  const src = state.source, budget = Number($<HTMLInputElement>('size-budget').value);
  if (!src || !state.opened?.converted) return showError('open a .tflite or .onnx model first: the budget re-converts it');
  if (!(Number.isInteger(budget) && budget > 0)) return showError(`the size budget must be a whole number of bytes, not "${$<HTMLInputElement>('size-budget').value}"`);
  showError(null);
  let smallest = Infinity;
  try {
    const prune = compressOptions().prune, perChannelCodebook = $<HTMLInputElement>('per-channel').checked;
    for (const step of BUDGET_STEPS) {
      const compress: CompressOptions = {
        prune, codebook: step.codebook || undefined, perChannelCodebook: step.codebook ? perChannelCodebook : undefined, huffman: step.huffman || undefined,
      };
      const r = await task(`trying ${step.codebook ? `${step.codebook}-bit codebook` : step.huffman ? 'Huffman' : 'no compression'}`, () =>
        call<OpenResult>({ kind: 'open', name: src.name, bytes: src.bytes, compress, calibration: state.calibration }));
      smallest = Math.min(smallest, r.summary.modelBytes);
      if (r.summary.modelBytes <= budget) {
        $<HTMLSelectElement>('codebook').value = String(step.codebook);
        $<HTMLInputElement>('huffman').checked = step.huffman;
        return await convert();
      }
    }
    showError(`${src.name}: no setting reaches ${budget} bytes (smallest: ${smallest} bytes, 2-bit codebook with Huffman${prune ? `, prune ${prune}` : ''})`);
  } catch (e) {
    showError((e as Error).message);
  }
}

// --- rendering ----------------------------------------------------------------------

function render(o: OpenResult, compress: CompressOptions): void {
  const s = o.summary;
  $('layer-count').textContent = String(s.layers.length);
  $('macs').textContent = String(s.macs);
  $('model-bytes').textContent = String(s.modelBytes);
  $('arena-bytes').textContent = String(s.arenaBytes);
  $('scratch-bytes').textContent = String(s.scratchBytes);
  renderLayers(s);
  renderPlan();
  const src = state.source!;
  $('size-line').textContent = o.converted
    ? `.epk ${s.modelBytes} B = ${(s.modelBytes / src.bytes.length).toFixed(3)}x the source (${src.bytes.length} B); converted in ${o.ms.toFixed(0)} ms`
    : `an .epk opened as is (${s.modelBytes} B); compression applies to .tflite and .onnx sources`;
  for (const id of ['prune', 'codebook', 'per-channel', 'huffman', 'calibration-file', 'size-budget', 'budget-button']) $<HTMLInputElement>(id).disabled = !o.converted;
  $<HTMLButtonElement>('export-button').disabled = false;
  $<HTMLInputElement>('command-line').value = o.converted ? convertCommandLine(src.name, compress, state.calibration?.name) : `npx edgepack inspect ${src.name}`;
  void fitBoards(o);
}

function cell(text: string | number, numeric = false): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = String(text);
  if (numeric) td.className = 'num';
  return td;
}

function renderLayers(s: Summary): void {
  const body = $('layer-table').querySelector('tbody')!;
  body.replaceChildren(...s.layers.map((l) => {
    const tr = document.createElement('tr');
    tr.append(
      cell(l.index, true), cell(l.op), cell(l.inputShapes.map((x) => x.join('x')).join(' + ')), cell(l.outputShape.join('x')),
      cell(l.macs, true), cell(l.weightBytes, true), cell(l.storedWeightBytes, true),
      cell(l.weightEncoding || (l.weightBytes ? 'raw' : '-')), cell(l.arenaOffset, true), cell(l.arenaBytes, true),
    );
    return tr;
  }));
}

function renderPlan(): void {
  const o = state.opened;
  if (!o) return;
  const tflm = Number($<HTMLInputElement>('tflm-bytes').value);
  $('memory-plan').replaceChildren(drawMemoryPlan({
    intervals: o.intervals, ops: o.summary.layers.length, arenaBytes: o.summary.arenaBytes, tflmBytes: tflm > 0 ? tflm : undefined,
  }));
}

let boards: Promise<Board[]> | undefined;

/** The custom budget as a board: the wasm2c firmware's figures (exact linear memory, its runtime flash). */
function customBoard(): Board {
  const bytes = (id: string) => Math.max(0, Math.floor(Number($<HTMLInputElement>(id).value) || 0));
  return {
    name: 'custom', description: 'custom budget: wasm2c firmware (exact linear memory), no reserve', core: '-', clockMHz: 0,
    ramBytes: bytes('custom-ram'), flashBytes: bytes('custom-flash'), wasmRuntime: 'wasm2c', simd: false,
    reserveRamBytes: 0, runtimeFlashBytes: bytes('custom-runtime-flash'), linearMemory: 'exact',
  };
}

async function fitBoards(o: OpenResult): Promise<void> {
  try {
    boards ??= fetch('/boards.json').then((r) => r.json() as Promise<Board[]>);
    const list = [...(await boards), customBoard()];
    const r = await task('fitting boards', () => call<FitResult>({ kind: 'fit', epk: o.epk, boards: list }));
    if (state.opened === o) renderFit($('fit-boards'), r.fits);
  } catch (e) {
    showError((e as Error).message);
  }
}

// --- run ----------------------------------------------------------------------------

const fileBytes = async (f: File) => new Uint8Array(await f.arrayBuffer());
const hex = (b: Uint8Array) => Array.from(b, (v) => v.toString(16).padStart(2, '0')).join(' ');

async function modelInput(s: Summary): Promise<Uint8Array> {
  if (s.inputs.length !== 1) throw new Error(`the model has ${s.inputs.length} inputs; the studio runs single-input models (use edgepack run)`);
  const image = $<HTMLInputElement>('image-file').files?.[0];
  const bin = $<HTMLInputElement>('bin-file').files?.[0];
  if (bin) return rawInput(bin.name, await fileBytes(bin), s.inputs[0]);
  if (image) return imageInput(image, s.inputs[0], $<HTMLSelectElement>('pixel-range').value as PixelRange);
  throw new Error('choose an image or a raw .bin input first');
}

async function runModel(): Promise<void> {
  const o = state.opened;
  if (!o) return showError('open a model first');
  showError(null);
  try {
    const input = await modelInput(o.summary);
    const r = await task('running', () => call<RunResult>({ kind: 'run', epk: o.epk, input }));
    const labelsFile = $<HTMLInputElement>('labels-file').files?.[0];
    const labels = labelsFile ? (await labelsFile.text()).split(/\r?\n/) : [];
    renderRun(o.summary, r, labels);
  } catch (e) {
    const m = (e as Error).message;
    showError(m.startsWith('edgepack ') ? m : `edgepack run: error: ${m}`);
  }
}

function renderRun(s: Summary, r: RunResult, labels: string[]): void {
  const simd = r.builds[0];
  const same = r.builds.every((b) => hex(b.bytes) === hex(simd.bytes));
  const top = topK(outputReals(simd.first[0], s.outputs[0]), 5);
  const list = document.createElement('ol');
  list.id = 'top-k';
  list.append(...top.map((t) => {
    const li = document.createElement('li');
    li.textContent = `${labels[t.index]?.trim() || `class ${t.index}`}: ${t.value.toPrecision(4)}`;
    return li;
  }));
  const latency = document.createElement('p');
  latency.id = 'latency';
  latency.textContent = r.builds.map((b) => `${b.target} ${b.medianMs.toFixed(3)} ms (median of ${b.runs})`).join(' · ') +
    ` · outputs of the three builds ${same ? 'identical' : 'DIFFER'}` + (simd.inferences > 1 ? ` over ${simd.inferences} inputs; top-5 of the first` : '');
  $('run-result').replaceChildren(list, latency);
  $('output-hex').textContent = hex(simd.bytes);
  document.body.dataset.ran = String(Number(document.body.dataset.ran ?? 0) + 1);
}

// --- export -------------------------------------------------------------------------

function exportEpk(): void {
  const o = state.opened, src = state.source;
  if (!o || !src) return;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([o.epk.slice().buffer as ArrayBuffer], { type: 'application/octet-stream' }));
  a.download = o.converted ? epkName(src.name) : src.name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// --- wiring -------------------------------------------------------------------------

async function openFile(f: File): Promise<void> {
  await openSource(f.name, await fileBytes(f));
}

function wire(): void {
  $<HTMLInputElement>('model-file').addEventListener('change', (e) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (f) void openFile(f);
  });
  document.addEventListener('dragover', (e) => { e.preventDefault(); document.body.classList.add('dragging'); });
  document.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    const f = e.dataTransfer?.files[0];
    if (f) void openFile(f);
  });
  $('compress-form').addEventListener('change', (e) => {
    if (!['calibration-file', 'size-budget'].includes((e.target as HTMLElement).id)) void convert();
  });
  $('calibration-file').addEventListener('change', async () => {
    const f = $<HTMLInputElement>('calibration-file').files?.[0];
    state.calibration = f ? { name: f.name, bytes: await fileBytes(f) } : undefined;
    await convert();
  });
  $('compress-form').addEventListener('submit', (e) => e.preventDefault());
  $('tflm-bytes').addEventListener('input', renderPlan);
  $('budget-button').addEventListener('click', () => void meetBudget());
  $('custom-board').addEventListener('change', () => state.opened && void fitBoards(state.opened));
  $('custom-board').addEventListener('submit', (e) => e.preventDefault());
  // the input chosen last is the one that runs: choosing one clears the other
  $('image-file').addEventListener('change', () => ($<HTMLInputElement>('bin-file').value = ''));
  $('bin-file').addEventListener('change', () => ($<HTMLInputElement>('image-file').value = ''));
  $('run-form').addEventListener('submit', (e) => { e.preventDefault(); void runModel(); });
  $('export-button').addEventListener('click', exportEpk);
}

async function start(): Promise<void> {
  wire();
  const start = await (await fetch('/start.json')).json() as { model: string | null };
  if (start.model) {
    const bytes = new Uint8Array(await (await fetch('/model')).arrayBuffer());
    await openSource(start.model, bytes);
  } else {
    document.body.dataset.state = 'empty';
  }
}

void start();
