// Narrow per-channel constants beside compressed filters (src/passes/narrow-shifts.ts,
// assembly/packed.ts `constantsFor`): the converter stores a compressed
// filter's per-channel shifts in 1 byte, its biases in 2 when they fit, and its multipliers in 1
// when calibrated compression has put them on the 7-bit grid (src/compress/row-gain.ts); every
// build widens them per call into scratch after the decoded tile, and the outputs equal the same
// file with int32 constants, in the SIMD, scalar, streamed and WASI builds. Files that break the
// rules (narrow constants beside a raw filter, a shift outside [-31, 31], an int8 multiplier
// outside {0} u [64, 127], scratch without room for the widened constants) are refused at load
// by every build.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WASI } from 'node:wasi';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressOptions, ConvertResult, convertModel, emit } from '../src/convert.js';
import { Graph } from '../src/ir/graph.js';
import { readEpk } from '../src/format/reader.js';
import { crc32 } from '../src/format/crc32.js';
import { DType, ErrorCode, H, Section } from '../src/format/constants.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { SCRATCH_ALLOWANCE, multsFitInt8, narrowShiftScratch, narrowShifts, wideShifts } from '../src/passes/narrow-shifts.js';
import { convertCalibrated } from '../src/compress/calibrated.js';
import { gridMultiplier, realMultiplier, rowGains } from '../src/compress/row-gain.js';
import { filterError } from '../src/compress/compensate.js';
import { buildSmallModel, randomBytes } from './compression-model.js';
import { REPO } from './helpers.js';

const all = (bits: number) => ({ 0: bits, 1: bits, 2: bits, 3: bits });
const VARIANTS: [string, CompressOptions][] = [
  ['Huffman', { huffman: true, pack: 'huffman' }],
  ['codebook', { codebookLayers: all(4), pack: 'codebook' }],
  ['codebook + Huffman', { codebookLayers: all(3), pack: 'codebook+huffman' }],
];
const convert = (o: CompressOptions): ConvertResult => convertModel(buildSmallModel(), 'small', { log: () => {}, compress: o });
const inputs = [1, 2, 3].map((s) => randomBytes(12 * 12 * 8, s)); // the small model's input: 1x12x12x8 int8

/** The op records' shift, multiplier and bias tensors (inputs 4, 3 and 2 of 5-input conv / depthwise / FC). */
function shiftTensors(epk: Uint8Array) {
  const e = readEpk(epk);
  return e.ops.filter((o) => o.inputs.length === 5 && o.inputs[4] !== 0xffff).map((o) => ({
    shift: e.tensors[o.inputs[4]], mult: e.tensors[o.inputs[3]], bias: o.inputs[2] === 0xffff ? null : e.tensors[o.inputs[2]], filter: e.tensors[o.inputs[1]],
  }));
}

/** Bytes the narrow constants of these ops save against int32: 3 per int8 shift or multiplier, 2 per int16 bias. */
function narrowSaving(pairs: ReturnType<typeof shiftTensors>): number {
  const saved = (t: { dtype: number; shape: number[] } | null, dt: number, bytes: number) => (t && t.dtype === dt ? bytes * t.shape[0] : 0);
  return pairs.reduce((a, p) => a + saved(p.shift, DType.Int8, 3) + saved(p.mult, DType.Int8, 3) + saved(p.bias, DType.Int16, 2), 0);
}

test('converter: a compressed filter\'s shifts are int8 and its biases int16 when they fit, a raw filter\'s stay int32', () => {
  let int16Biases = 0;
  for (const [what, o] of VARIANTS) {
    const r = convert(o);
    const wide = emit(wideShifts(r.graph), 'io').epk;
    const pairs = shiftTensors(r.epk);
    assert.ok(pairs.some((p) => p.filter.packed), what);
    for (const p of pairs) {
      assert.is(p.shift.dtype, p.filter.packed ? DType.Int8 : DType.Int32, `${what} ${p.shift.name}`);
      assert.is(p.mult.dtype, DType.Int32, `${what}: data-free multipliers are not on the 7-bit grid`);
      if (!p.bias) continue;
      if (!p.filter.packed) assert.is(p.bias.dtype, DType.Int32, `${what} ${p.bias.name}`);
      else int16Biases += p.bias.dtype === DType.Int16 ? 1 : 0;
    }
    assert.ok(shiftTensors(wide).every((p) => p.shift.dtype === DType.Int32 && p.mult.dtype === DType.Int32 && (!p.bias || p.bias.dtype === DType.Int32)), `${what}: wideShifts`);
    const saved = wide.length - r.epk.length, expect = narrowSaving(pairs);
    // 3 bytes per int8 shift, 2 per int16 bias, give or take the 16-byte alignment of each constant
    assert.ok(expect > 0 && saved >= expect - 32 * pairs.length && saved <= expect + 32 * pairs.length, `${what}: saved ${saved} B, narrow constants ${expect} B`);
  }
  assert.ok(int16Biases > 0, 'no bias was narrowed: the case does not test int16 biases');
  // a plain conversion is untouched
  for (const p of shiftTensors(convertModel(buildSmallModel(), 'small', { log: () => {} }).epk)) assert.is(p.shift.dtype, DType.Int32);
});

async function runWasi(epk: Uint8Array, input: Uint8Array): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'narrow-'));
  try {
    writeFileSync(join(dir, 'm.epk'), epk);
    writeFileSync(join(dir, 'in.bin'), input);
    const errFd = openSync(join(dir, 'err'), 'w');
    const wasi = new WASI({ version: 'preview1', args: ['edgepack-run', 'm.epk', 'in.bin', 'out.bin'], preopens: { '.': dir }, stderr: errFd, returnOnExit: true });
    const wasm = new WebAssembly.Module(readFileSync(join(REPO, 'build', 'edgepack-run.wasm')));
    const code = wasi.start(await WebAssembly.instantiate(wasm, wasi.getImportObject() as WebAssembly.Imports));
    closeSync(errFd);
    assert.is(code, 0, readFileSync(join(dir, 'err'), 'utf8'));
    return new Uint8Array(readFileSync(join(dir, 'out.bin')));
  } finally {
    rmSync(dir, { recursive: true });
  }
}

/** The file's outputs in the simd, scalar, streamed (default and smallest stage) and WASI builds equal `wide`'s in the simd build. */
async function assertSameOutputs(epk: Uint8Array, wide: Uint8Array, what: string): Promise<void> {
  const expect = await loadModelNode(wide, 'simd');
  const want = inputs.map((x) => Array.from(expect.run(x)[0]));
  for (const target of ['simd', 'scalar'] as const) {
    const m = await loadModelNode(epk, target);
    inputs.forEach((x, i) => assert.equal(Array.from(m.run(x)[0]), want[i], `${what} ${target} input ${i}`));
  }
  const s = await loadModelStreamed(epk);
  const smallest = await loadModelStreamed(epk, s.memory().stageMinBytes); // Huffman: by tiles
  inputs.forEach((x, i) => {
    assert.equal(Array.from(s.run(x)[0]), want[i], `${what} streamed input ${i}`);
    assert.equal(Array.from(smallest.run(x)[0]), want[i], `${what} streamed, smallest stage, input ${i}`);
  });
  assert.equal(Array.from(await runWasi(epk, inputs[0])), want[0], `${what} wasi`);
}

test('runtime: int8 shifts and int16 biases give the outputs of int32 ones in the simd, scalar, streamed and WASI builds', async () => {
  for (const [what, o] of VARIANTS) {
    const r = convert(o);
    await assertSameOutputs(r.epk, emit(wideShifts(r.graph)).epk, what);
  }
});

/** Every build refuses the file; returns the simd build's error. */
async function loadError(epk: Uint8Array): Promise<RuntimeError> {
  let simd: RuntimeError | null = null;
  for (const target of ['simd', 'scalar', 'streamed'] as const) {
    try {
      if (target === 'streamed') await loadModelStreamed(epk);
      else await loadModelNode(epk, target);
    } catch (err) {
      if (target === 'simd') simd = err as RuntimeError;
      continue;
    }
    assert.unreachable(`${target} loaded a file it must refuse`);
  }
  return simd!;
}

function recrc(out: Uint8Array): Uint8Array {
  new DataView(out.buffer).setUint32(H.crc32, crc32(out, 16), true);
  return out;
}

test('load checks: int8 shifts beside a raw filter, a shift outside [-31, 31], scratch without the widened shifts', async () => {
  const r = convert({ huffman: true, pack: 'huffman' });
  const rawFilters: Graph = { ...r.graph, tensors: r.graph.tensors.map((t) => ({ ...t, packed: undefined })) };
  const e = readEpk(r.epk);
  const data = e.sections.find((s) => s.kind === Section.Data)!.offset;
  const shift = shiftTensors(r.epk).find((p) => p.filter.packed)!.shift;
  const outOfRange = r.epk.slice();
  outOfRange[data + shift.offset] = 32;
  const noRoom = r.epk.slice();
  new DataView(noRoom.buffer).setUint32(H.scratchBytes, Math.max(...e.tensors.filter((t) => t.packed).map((t) => t.packed!.tileBytes)), true);
  const cases: [string, Uint8Array, ErrorCode, RegExp][] = [
    ['int8 shifts beside a raw filter', emit(rawFilters).epk, ErrorCode.BadShape, /bias, multiplier and shift must be int32/],
    ['shift 32', recrc(outOfRange), ErrorCode.BadOp, /shift is not in \[-31, 31\]/],
    ['scratch = the tile only', recrc(noRoom), ErrorCode.BadOp, /widened narrow shifts/],
  ];
  for (const [what, file, code, message] of cases) {
    const err = await loadError(file);
    assert.instance(err, RuntimeError, what);
    assert.is(err.code, code, `${what}: ${err.message}`);
    assert.match(err.message, message, what);
  }
});

/**
 * The compressed graph with every multiplier of an op beside a packed filter moved to the
 * nearest 7-bit grid value and stored as int8, and every bias that fits as int16 -- by hand, on
 * every such op (the converter narrows only where the scratch allows), so the runtime's widening
 * runs on the op with the largest tile too.
 */
function gridGraph(g: Graph): Graph {
  const h: Graph = { ...g, tensors: g.tensors.slice() };
  for (const op of h.ops) {
    if (op.inputs.length !== 5 || !h.tensors[op.inputs[1]]?.packed) continue;
    const m = h.tensors[op.inputs[3]], s = h.tensors[op.inputs[4]];
    const mult = new Int8Array(m.data!.length), shift = Int8Array.from(s.data as Int8Array);
    Array.from(m.data as Int32Array).forEach((v, c) => {
      const q = gridMultiplier(realMultiplier({ multiplier: v, shift: shift[c] }))!;
      mult[c] = q.multiplier / 2 ** 24;
      shift[c] = q.shift;
    });
    h.tensors[op.inputs[3]] = { ...m, dtype: 'int8', data: mult };
    h.tensors[op.inputs[4]] = { ...s, data: shift };
    const b = op.inputs[2], bias = b >= 0 ? h.tensors[b] : null;
    if (bias && bias.dtype === 'int32' && (bias.data as Int32Array).every((v) => Math.abs(v) < 32768)) h.tensors[b] = { ...bias, dtype: 'int16', data: Int16Array.from(bias.data as Int32Array) };
  }
  return h;
}

test('rowGains: the least-squares gain per row, clamped to [1/2, 2], and the filter error with the gains as signal less the reduction', () => {
  // H = diag(2, 1); rows w = (2, 1) and (3, 1) against q = (1, 1): q^T H w = 5 and 7, q^T H q = 3
  const stats = { k: 2, grams: [Float64Array.from([2, 0, 0, 1])], means: [new Float64Array(2)], rowsPerGram: 0, patches: 10 };
  const f = { rows: 3, k: 2, index: (r: number, i: number) => r * 2 + i, scales: [1, 0.5, 2] };
  const w = [Float64Array.from([2, 1]), Float64Array.from([3, 1]), Float64Array.from([1, 0])];
  const q = [[1, 1], [1, 1], [0, 0]]; // the last row vanished: no gain (1)
  const { gains, reduction } = rowGains(w, q, f, stats);
  assert.equal(gains, [5 / 3, 2, 1], '7/3 clamped to 2');
  const scaled = q.map((row, r) => row.map((v) => v * gains[r]));
  const signal = filterError(w, q.map((row) => row.map(() => 0)), f, stats); // sum s^2 w^T H w
  const direct = filterError(w, scaled, f, stats);
  assert.ok(Math.abs(direct - (signal - reduction)) < 1e-12, `${direct} against ${signal} - ${reduction}`);
  assert.ok(direct < filterError(w, q, f, stats), 'the gains lower the error');
});

test('int8 multipliers: the 7-bit grid, narrowed beside packed filters only, the outputs of int32 multipliers in every build', async () => {
  assert.equal(gridMultiplier(0.75), { multiplier: 96 * 2 ** 24, shift: 0 });
  assert.equal(gridMultiplier(0.999), { multiplier: 64 * 2 ** 24, shift: 1 }, 'v = 128 carries into the shift');
  assert.equal(gridMultiplier(2 ** -40), { multiplier: 0, shift: 0 }, 'below 2^-32: flushed, as quantizeMultiplier');
  assert.is(gridMultiplier(2 ** 31), null);
  assert.ok(multsFitInt8([0, 64 * 2 ** 24, 127 * 2 ** 24]));
  assert.not.ok(multsFitInt8([63 * 2 ** 24]));
  assert.not.ok(multsFitInt8([64 * 2 ** 24 + 1]));
  for (const [what, o] of VARIANTS) {
    const r = convert(o);
    assert.ok(shiftTensors(r.epk).every((p) => p.mult.dtype === DType.Int32), `${what}: data-free multipliers are not on the grid`);
    const g = gridGraph(narrowShifts(wideShifts(r.graph)));
    const epk = emit(g).epk, wide = emit(wideShifts(g)).epk;
    const pairs = shiftTensors(epk), packed = pairs.filter((p) => p.filter.packed);
    assert.ok(packed.length > 0 && packed.every((p) => p.mult.dtype === DType.Int8), what);
    assert.ok(pairs.filter((p) => !p.filter.packed).every((p) => p.mult.dtype === DType.Int32), what);
    const saved = wide.length - epk.length, expect = narrowSaving(pairs);
    assert.ok(saved >= expect - 32 * pairs.length && saved <= expect + 32 * pairs.length, `${what}: saved ${saved} B, narrow constants ${expect} B`);
    await assertSameOutputs(epk, wide, `${what}, int8 multipliers`);
  }
});

test('calibrated compression: each row\'s gain in its multiplier, stored as int8, exact against the decoded file', async () => {
  const calib = Array.from({ length: 16 }, (_, i) => [randomBytes(12 * 12 * 8, 100 + i)]);
  const cal = await convertCalibrated(buildSmallModel(), 'small', { log: () => {}, compress: { codebook: 3, codebookLayers: all(3), pack: 'codebook+huffman' } }, calib);
  const pairs = shiftTensors(cal.result.epk).filter((p) => p.filter.packed);
  assert.ok(pairs.length > 0 && pairs.every((p) => p.shift.dtype === DType.Int8) && pairs.some((p) => p.mult.dtype === DType.Int8));
  // narrowing the multipliers and biases raised the scratch by at most an eighth of what the shifts alone need
  const shiftsOnly = wideShifts(cal.result.graph);
  for (const op of shiftsOnly.ops) if (op.inputs.length === 5 && shiftsOnly.tensors[op.inputs[1]].packed) shiftsOnly.tensors[op.inputs[4]] = cal.result.graph.tensors[op.inputs[4]];
  const base = narrowShiftScratch(shiftsOnly), scratch = readEpk(cal.result.epk).scratchBytes;
  assert.ok(scratch >= base && scratch <= base + Math.floor(base / SCRATCH_ALLOWANCE), `scratch ${scratch}, shifts alone ${base}`);
  // and not past it: a LUT-only conversion whose widest op sets the scratch narrows no multiplier of that op
  const lut = await convertCalibrated(buildSmallModel(), 'small', { log: () => {}, compress: { codebook: 3, codebookLayers: all(3), pack: 'codebook' } }, calib);
  const lutPairs = shiftTensors(lut.result.epk), widest = Math.max(...lutPairs.map((p) => p.mult.shape[0]));
  assert.ok(lutPairs.filter((p) => p.mult.shape[0] === widest).every((p) => p.mult.dtype === DType.Int32 && p.bias?.dtype !== DType.Int16));
  assert.is(readEpk(lut.result.epk).scratchBytes, 4 * widest);
  // the gains moved multipliers off the data-free ones
  const plain = convertModel(buildSmallModel(), 'small', { log: () => {} }).graph;
  const moved = cal.result.graph.ops.some((op, i) => op.inputs.length === 5 && Array.from(cal.result.graph.tensors[op.inputs[3]].data as Int8Array, (v) => v * 2 ** 24).some((v, c) => v !== (plain.tensors[plain.ops[i].inputs[3]].data as Int32Array)[c]));
  assert.ok(moved);
  await assertSameOutputs(cal.result.epk, emit(wideShifts(cal.result.graph)).epk, 'calibrated');
});

test('load checks: int8 multipliers or int16 biases beside a raw filter, multipliers outside {0} u [64, 127], scratch without the widened constants', async () => {
  const g = gridGraph(convert({ huffman: true, pack: 'huffman' }).graph);
  const big = g.ops.find((op) => g.tensors[op.inputs[1]].packed?.blob && op.inputs.length === 5)!;
  assert.is(g.tensors[big.inputs[3]].dtype, 'int8');
  const epk = emit(g).epk;
  const rawFilters: Graph = { ...g, tensors: g.tensors.map((t) => ({ ...t, packed: undefined })) };
  const e = readEpk(epk);
  const data = e.sections.find((s) => s.kind === Section.Data)!.offset;
  const mult = shiftTensors(epk).find((p) => p.filter.packed && p.mult.dtype === DType.Int8)!.mult;
  const at = (v: number) => {
    const out = epk.slice();
    out[data + mult.offset] = v & 0xff;
    return recrc(out);
  };
  const slots = (n: number) => { // room for the tile and the first n widened slots only
    const out = epk.slice();
    const need = Math.max(...e.tensors.filter((t) => t.packed).map((t) => ((t.packed!.tileBytes + 15) & ~15) + 4 * n * t.packed!.rowsPerTile));
    new DataView(out.buffer).setUint32(H.scratchBytes, need, true);
    return recrc(out);
  };
  assert.ok(shiftTensors(epk).some((p) => p.filter.packed && p.bias?.dtype === DType.Int16), 'an int16 bias beside a packed filter');
  const onlyBiases: Graph = { ...rawFilters, tensors: wideShifts(rawFilters).tensors.map((t, i) => (rawFilters.tensors[i].dtype === 'int16' ? rawFilters.tensors[i] : t)) };
  const cases: [string, Uint8Array, ErrorCode, RegExp][] = [
    ['int8 multipliers beside a raw filter', emit(narrowShifts(rawFilters)).epk, ErrorCode.BadShape, /bias, multiplier and shift must be int32/],
    ['multiplier 63', at(63), ErrorCode.BadOp, /int8 requantization multiplier is not 0 nor in \[64, 127\]/],
    ['multiplier -1', at(-1), ErrorCode.BadOp, /int8 requantization multiplier/],
    ['int16 biases beside a raw filter', emit(onlyBiases).epk, ErrorCode.BadShape, /bias, multiplier and shift must be int32/],
    ['scratch = the tile and the shifts', slots(1), ErrorCode.BadOp, /widened narrow shifts, multipliers and biases/],
    ['scratch = the tile, the shifts and the multipliers', slots(2), ErrorCode.BadOp, /widened narrow shifts, multipliers and biases/],
  ];
  for (const [what, file, code, message] of cases) {
    const err = await loadError(file);
    assert.instance(err, RuntimeError, what);
    assert.is(err.code, code, `${what}: ${err.message}`);
    assert.match(err.message, message, what);
  }
  // 0 and 64..127 load
  for (const v of [0, 64, 127]) await loadModelNode(at(v), 'simd');
});

test.run();
