// Int8 shifts beside compressed filters (src/passes/narrow-shifts.ts, assembly/packed.ts
// `shiftsFor`): the converter stores a compressed filter's per-channel shifts in 1 byte, every
// build widens them per call into scratch after the decoded tile, and the outputs equal the
// same file with int32 shifts, in the SIMD, scalar, streamed and WASI builds. Files that break
// the rules (int8 shifts beside a raw filter, a shift outside [-31, 31], scratch without room
// for the widened shifts) are refused at load by every build.

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
import { wideShifts } from '../src/passes/narrow-shifts.js';
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

/** The op records' shift tensors (input 4 of 5-input conv / depthwise / FC). */
function shiftTensors(epk: Uint8Array) {
  const e = readEpk(epk);
  return e.ops.filter((o) => o.inputs.length === 5 && o.inputs[4] !== 0xffff).map((o) => ({ shift: e.tensors[o.inputs[4]], filter: e.tensors[o.inputs[1]] }));
}

test('converter: a compressed filter\'s shifts are int8 (3 bytes fewer per channel), a raw filter\'s stay int32', () => {
  for (const [what, o] of VARIANTS) {
    const r = convert(o);
    const wide = emit(wideShifts(r.graph), 'io').epk;
    const pairs = shiftTensors(r.epk);
    assert.ok(pairs.some((p) => p.filter.packed), what);
    for (const p of pairs) assert.is(p.shift.dtype, p.filter.packed ? DType.Int8 : DType.Int32, `${what} ${p.shift.name}`);
    const channels = pairs.filter((p) => p.filter.packed).reduce((a, p) => a + p.shift.shape[0], 0);
    const saved = wide.length - r.epk.length;
    // 3 bytes per channel, give or take the 16-byte alignment of each constant
    assert.ok(saved >= 3 * channels - 16 * pairs.length && saved <= 3 * channels + 16 * pairs.length, `${what}: saved ${saved} B for ${channels} channels`);
  }
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

test('runtime: int8 shifts give the outputs of int32 shifts in the simd, scalar, streamed and WASI builds', async () => {
  for (const [what, o] of VARIANTS) {
    const r = convert(o);
    const wide = emit(wideShifts(r.graph)).epk;
    const expect = await loadModelNode(wide, 'simd');
    const want = inputs.map((x) => Array.from(expect.run(x)[0]));
    for (const target of ['simd', 'scalar'] as const) {
      const m = await loadModelNode(r.epk, target);
      inputs.forEach((x, i) => assert.equal(Array.from(m.run(x)[0]), want[i], `${what} ${target} input ${i}`));
    }
    const s = await loadModelStreamed(r.epk);
    const smallest = await loadModelStreamed(r.epk, s.memory().stageMinBytes); // Huffman: by tiles
    inputs.forEach((x, i) => {
      assert.equal(Array.from(s.run(x)[0]), want[i], `${what} streamed input ${i}`);
      assert.equal(Array.from(smallest.run(x)[0]), want[i], `${what} streamed, smallest stage, input ${i}`);
    });
    assert.equal(Array.from(await runWasi(r.epk, inputs[0])), want[0], `${what} wasi`);
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
    ['scratch = the tile only', recrc(noRoom), ErrorCode.BadOp, /widened int8 shifts/],
  ];
  for (const [what, file, code, message] of cases) {
    const err = await loadError(file);
    assert.instance(err, RuntimeError, what);
    assert.is(err.code, code, `${what}: ${err.message}`);
    assert.match(err.message, message, what);
  }
});

test.run();
