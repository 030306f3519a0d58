// Coordinated edits of valid .epk files: changes that need two fields to agree, which the random
// mutator of tools/fuzz.ts rarely makes (its epk target edits a few bytes at a time). Each class
// is swept in full over five small models built in code, and every edited file must get one
// answer from every build: all refuse it, or all load it and give the same bytes. Sweeping op
// rewires this way finds the fuzz finding of docs/FUZZ.md (a blocked conv rewired to an input
// of fewer channels) on the builds before d29ca34; the classes and counts are in docs/FUZZ.md.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { H, Section, T, TensorKind } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk, type Epk } from '../src/format/reader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { buildTinyCnn } from '../src/testing/models.js';
import { buildSmallModel, randomBytes } from './compression-model.js';
import { convertCalibrated } from '../src/compress/calibrated.js';

const quiet = { log: () => {} };
const MODELS: [string, Uint8Array][] = [
  ['tiny CNN', convertModel(buildTinyCnn(), 'tiny', quiet).epk],
  ['small', convertModel(buildSmallModel(), 'small', quiet).epk],
  ['small, 4-bit codebook', convertModel(buildSmallModel(), 'small', { ...quiet, compress: { codebook: 4 } }).epk],
  ['small, codebook + Huffman', convertModel(buildSmallModel(), 'small', { ...quiet, compress: { codebook: 4, huffman: true } }).epk],
  // int8 multipliers and int16 biases beside compressed filters (calibrated compression)
  ['small, calibrated codebook + Huffman', (await convertCalibrated(buildSmallModel(), 'small', { ...quiet, compress: { codebook: 3, pack: 'codebook+huffman' } },
    Array.from({ length: 16 }, (_, i) => [randomBytes(12 * 12 * 8, 100 + i)]))).result.epk],
];

interface Runner { run(...x: Uint8Array[]): Uint8Array[]; inputCount: number; inputBytes(i: number): number }
const BUILDS: [string, (b: Uint8Array) => Promise<Runner>][] = [
  ['simd', (b) => loadModelNode(b, 'simd')],
  ['scalar (widened)', (b) => loadModelNode(b, 'scalar')],
  ['scalar (blocked)', (b) => loadModelNode(b, 'scalar', undefined, false)],
  ['streamed', (b) => loadModelStreamed(b)],
  ['streamed, smallest stage', async (b) => loadModelStreamed(b, (await loadModelStreamed(b)).memory().stageMinBytes)],
];

type Edit = (v: DataView) => void;

/** `file` with `edit` applied and its CRC resealed. */
function edited(file: Uint8Array, edit: Edit): Uint8Array {
  const b = file.slice();
  const v = new DataView(b.buffer);
  edit(v);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

/** One answer per build: the outputs' bytes, or "refused". */
async function answers(file: Uint8Array): Promise<string[]> {
  const out: string[] = [];
  for (const [, load] of BUILDS) {
    let m: Runner;
    try {
      m = await load(file);
    } catch {
      out.push('refused');
      continue;
    }
    const x = Array.from({ length: m.inputCount }, (_, i) => Uint8Array.from({ length: m.inputBytes(i) }, (_, k) => (k * 37 + i * 11 + 5) & 0xff));
    out.push(m.run(...x).map((y) => Array.from(y).join(',')).join('|'));
  }
  return out;
}

/** Every edit `editsOf` gives for each model gets one answer from every build; returns how many edits, and how many loaded. */
async function sweep(editsOf: (e: Epk) => [string, Edit][]): Promise<{ n: number; loaded: number }> {
  let n = 0, loaded = 0;
  for (const [what, file] of MODELS) {
    for (const [name, edit] of editsOf(readEpk(file))) {
      const a = await answers(edited(file, edit));
      if (new Set(a).size !== 1) assert.unreachable(`${what}, ${name}: ${BUILDS.map(([b], i) => `${b} ${a[i] === 'refused' ? 'refused' : 'loaded'}`).join(', ')}${a.includes('refused') ? '' : ' (different bytes)'}`);
      n++;
      if (a[0] !== 'refused') loaded++;
    }
  }
  return { n, loaded };
}

const tensorsAt = (e: Epk) => e.sections.find((s) => s.kind === Section.Tensors)!.offset;

test('every op input and output rewired to every other tensor', async () => {
  const { n, loaded } = await sweep((e) => {
    const edits: [string, Edit][] = [];
    e.ops.forEach((op, i) => [...op.inputs, ...op.outputs].forEach((t0, k) => {
      for (let t = 0; t < e.tensors.length; t++) if (t !== t0) edits.push([`op ${i} tensor slot ${k} -> ${t}`, (v) => v.setUint16(op.at + 8 + 2 * k, t, true)]);
    }));
    return edits;
  });
  assert.ok(n > 2000 && loaded > 50, `${n} edits, ${loaded} loaded`);
});

test('every constant input of an op moved into the arena (offset 0 or 16)', async () => {
  const { n } = await sweep((e) => {
    const rec = (t: number) => tensorsAt(e) + 48 * t, edits: [string, Edit][] = [];
    e.ops.forEach((op, i) => op.inputs.forEach((t, k) => {
      if (k === 0 || t === 0xffff || e.tensors[t].kind !== TensorKind.Const) return;
      for (const off of [0, 16]) {
        edits.push([`op ${i} input ${k} (tensor ${t}) in the arena at ${off}`, (v) => {
          v.setUint8(rec(t) + T.kind, TensorKind.Arena);
          v.setUint8(rec(t) + T.encoding, 0);
          v.setUint32(rec(t) + T.offset, off, true);
        }]);
      }
    }));
    return edits;
  });
  assert.ok(n > 100, `${n} edits`);
});

test('every tensor\'s dims swapped in pairs, or a factor 2 or 3 moved between two of them', async () => {
  const { n } = await sweep((e) => {
    const edits: [string, Edit][] = [];
    e.tensors.forEach((tt, t) => {
      const r = tt.shape.length, seen = new Set([tt.shape.join('x')]);
      for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) {
        if (i === j) continue;
        const swapped = tt.shape.slice();
        [swapped[i], swapped[j]] = [swapped[j], swapped[i]];
        const shapes = [swapped];
        for (const f of [2, 3]) if (tt.shape[i] % f === 0) { const d = tt.shape.slice(); d[i] /= f; d[j] *= f; shapes.push(d); }
        for (const d of shapes) {
          if (seen.has(d.join('x'))) continue;
          seen.add(d.join('x'));
          edits.push([`tensor ${t} dims ${d.join('x')}`, (v) => d.forEach((x, k) => v.setInt32(tensorsAt(e) + 48 * t + T.dims + 4 * k, x, true))]);
        }
      }
    });
    return edits;
  });
  assert.ok(n > 300, `${n} edits`);
});

test('every pair of unequal params of an op swapped', async () => {
  const { n } = await sweep((e) => {
    const edits: [string, Edit][] = [];
    for (const [i, op] of e.ops.entries()) {
      const at = (k: number) => op.at + 8 + ((2 * (op.inputs.length + op.outputs.length) + 3) & ~3) + 4 * k;
      for (let a = 0; a < op.params.length; a++) for (let b = a + 1; b < op.params.length; b++) {
        if (op.params[a] === op.params[b]) continue;
        edits.push([`op ${i} params ${a} <-> ${b}`, (v) => { v.setInt32(at(a), op.params[b], true); v.setInt32(at(b), op.params[a], true); }]);
      }
    }
    return edits;
  });
  assert.ok(n > 500, `${n} edits`);
});

test('every I/O entry pointed at every other arena tensor', async () => {
  const { n, loaded } = await sweep((e) => {
    const io = e.sections.find((s) => s.kind === Section.IO)!.offset, edits: [string, Edit][] = [];
    const entries = e.inputs.length + e.outputs.length;
    for (let i = 0; i < entries; i++) {
      const t0 = i < e.inputs.length ? e.inputs[i] : e.outputs[i - e.inputs.length];
      for (let t = 0; t < e.tensors.length; t++) {
        if (t !== t0 && e.tensors[t].kind === TensorKind.Arena) edits.push([`I/O entry ${i} -> tensor ${t}`, (v) => v.setUint32(io + 8 + 4 * i, t, true)]);
      }
    }
    return edits;
  });
  assert.ok(n > 30 && loaded > 0, `${n} edits, ${loaded} loaded`);
});

test.run();
