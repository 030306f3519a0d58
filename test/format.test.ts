// Writer and reader agree on every field, and the runtime's constants are the converter's:
// assembly/format.ts is generated from src/format/constants.ts, holds every constant of it
// under its AS name, and no other runtime file keeps its own copy.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { AS_RULES, asConstants, formatSource } from '../src/format/assembly-format.js';
import * as C from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk } from '../src/format/reader.js';
import { buildTinyCnn } from '../src/testing/models.js';
import { REPO } from './helpers.js';

test('writer and reader agree: tensors, constant bytes, ops, params, I/O', () => {
  const { graph: g, plan, epk } = convertModel(buildTinyCnn(), 'tiny.tflite');
  const e = readEpk(epk);
  assert.is(e.fileBytes, epk.length);
  assert.is(e.arenaBytes, plan.arenaBytes);
  assert.is(new DataView(epk.buffer).getUint32(C.H.crc32, true), crc32(epk, 16));
  for (const s of e.sections) assert.is(s.offset % C.SECTION_ALIGN, 0);
  const byName = new Map(g.tensors.map((t, i) => [t.name, i]));
  for (const t of e.tensors) {
    const i = byName.get(t.name)!;
    const src = g.tensors[i];
    assert.equal(t.shape, src.shape, t.name);
    if (src.data) {
      assert.is(t.kind, C.TensorKind.Const);
      assert.equal(Array.from(e.data.subarray(t.offset, t.offset + t.bytes)), Array.from(new Uint8Array(src.data.buffer, src.data.byteOffset, src.data.byteLength)), t.name);
    } else {
      assert.is(t.kind, C.TensorKind.Arena);
      assert.is(t.offset, plan.offsets[i], t.name);
    }
  }
  const kernels = g.ops.filter((o) => o.kernel);
  assert.is(e.ops.length, kernels.length);
  e.ops.forEach((op, k) => {
    assert.is(op.opcode, kernels[k].kernel!.opcode);
    assert.equal(op.params, kernels[k].kernel!.params);
    assert.equal(op.inputs.map((t) => (t === C.NO_TENSOR ? -1 : byName.get(e.tensors[t].name))), kernels[k].inputs);
    assert.is(op.sourceIndex, kernels[k].sourceIndex);
  });
  assert.equal(e.inputs.map((t) => e.tensors[t].name), g.inputs.map((t) => g.tensors[t].name));
  assert.equal(e.outputs.map((t) => e.tensors[t].name), g.outputs.map((t) => g.tensors[t].name));
});

test('the file holds every record field where constants.ts puts it (section table, IO, op records, CRC range)', () => {
  const { epk } = convertModel(buildTinyCnn(), 'tiny.tflite');
  const e = readEpk(epk);
  const v = new DataView(epk.buffer, epk.byteOffset, epk.byteLength);
  assert.is(v.getUint16(C.H.sectionCount, true), e.sections.length);
  e.sections.forEach((s, i) => {
    const at = C.HEADER_BYTES + i * C.SECTION_ENTRY_BYTES;
    assert.equal([v.getUint32(at + C.SE.kind, true), v.getUint32(at + C.SE.offset, true), v.getUint32(at + C.SE.bytes, true), v.getUint32(at + C.SE.reserved, true)], [s.kind, s.offset, s.size, 0]);
  });
  const sec = (k: C.Section) => e.sections.find((s) => s.kind === k)!;
  const io = sec(C.Section.IO).offset;
  assert.is(v.getUint32(io + C.IO.inputCount, true), e.inputs.length);
  assert.is(v.getUint32(io + C.IO.outputCount, true), e.outputs.length);
  [...e.inputs, ...e.outputs].forEach((t, i) => assert.is(v.getUint32(io + C.IO.tensors + 4 * i, true), t));
  const ops = sec(C.Section.Ops);
  assert.is(v.getUint32(ops.offset + C.OPS.count, true), e.ops.length);
  let r = ops.offset + C.OPS.records;
  for (const op of e.ops) {
    const nIn = v.getUint8(r + C.OPR.nIn), nOut = v.getUint8(r + C.OPR.nOut), nParams = v.getUint16(r + C.OPR.nParams, true);
    assert.equal([v.getUint16(r + C.OPR.opcode, true), nIn, nOut, nParams], [op.opcode, op.inputs.length, op.outputs.length, op.params.length]);
    assert.is(v.getUint16(r + C.OPR.source, true), op.sourceIndex < 0 ? C.NO_SOURCE : op.sourceIndex);
    r += C.OP_HEADER_BYTES + C.align(2 * (nIn + nOut), 4) + 4 * nParams;
  }
  assert.is(r, ops.offset + ops.size);
  assert.is(v.getUint32(C.H.crc32, true), crc32(epk, C.CRC_START));
});

const asFile = () => readFileSync(join(REPO, 'assembly', 'format.ts'), 'utf8');

/** name -> value of every `export const NAME: type = number;` in the runtime's format.ts. */
function asNumbers(): Map<string, number> {
  const as = new Map<string, number>();
  for (const m of asFile().matchAll(/^export const (\w+): \w+ = (0x[0-9a-f]+|-?\d+);/gim)) as.set(m[1], Number(m[2]));
  return as;
}

/** The numbers an export holds: itself, or its members' (an enum's forward mapping only). */
function leaves(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (typeof v !== 'object' || v === null) return [];
  return Object.values(v).filter((x): x is number => typeof x === 'number');
}

test('assembly/format.ts is generated from src/format/constants.ts (node dist/tools/gen-format.js)', () => {
  assert.is(asFile(), formatSource());
  assert.ok(asFile().startsWith('// GENERATED'));
});

test('every constant of src/format/constants.ts is in assembly/format.ts, by name and value', () => {
  const as = asNumbers();
  const exported = Object.keys(C).sort();
  assert.equal(exported, Object.keys(AS_RULES).sort(), 'each export of constants.ts has a rule in src/format/assembly-format.ts');
  let checked = 0;
  for (const key of exported as (keyof typeof C)[]) {
    const value: unknown = C[key];
    if (AS_RULES[key] === null) {
      assert.ok(typeof value === 'function' || Object.values(value as object).every((x) => typeof x === 'string'), `${key}: only functions and name tables have no AS form`);
      continue;
    }
    const consts = asConstants(key);
    assert.equal(consts.map(([, v]) => v).sort(), leaves(value).sort(), `${key}: every number has an AS name`);
    for (const [name, v] of consts) {
      assert.is(as.get(name), v, `${key} -> ${name}`);
      checked++;
    }
  }
  assert.ok(checked > 100, `${checked} constants checked`);
  const names = asConstants('OpCode').map(([n]) => n);
  assert.ok(names.includes('OP_CONV_2D') && names.includes('OP_LUT'));
  assert.is(as.get('E_BAD_OP'), C.ErrorCode.BadOp);
  assert.is(as.get('T_OFFSET'), C.T.offset);
  assert.is(as.get('S_COUNT'), Object.keys(C.Section).length / 2);
  assert.is(as.get('OP_LAST'), Math.max(...Object.keys(C.OP_NAMES).map(Number)));
});

test('assembly/format.ts tables: param counts per opcode (plain and packed layout), dtype sizes', () => {
  const src = asFile();
  const table = (name: string) => JSON.parse(new RegExp(`export const ${name}: StaticArray<\\w+> = (\\[[^\\]]*\\]);`).exec(src)![1]) as number[];
  const params = table('PARAM_COUNTS');
  for (const [code, n] of Object.entries(C.OP_PARAM_COUNT)) assert.is(params[Number(code)], n, C.OP_NAMES[Number(code) as C.OpCode]);
  assert.is(params.length, Math.max(...Object.keys(C.OP_NAMES).map(Number)) + 1);
  const sizes = table('DTYPE_SIZES');
  for (const [dt, n] of Object.entries(C.DTYPE_BYTES)) assert.is(sizes[Number(dt)], n);
  const packed = [...src.matchAll(/if \(code == OP_(\w+)\) return PACKED_PARAMS_(\w+);/g)];
  assert.equal(packed.map((m) => m[1]), Object.keys(C.OP_PACKED_PARAM_COUNT).map((c) => C.OP_NAMES[Number(c) as C.OpCode]));
  for (const m of packed) assert.is(m[1], m[2]);
});

test('record layouts: offsets follow from field sizes, sizes from the records', () => {
  assert.is(C.HEADER_BYTES, 32);
  assert.is(C.SECTION_ENTRY_BYTES, 16);
  assert.is(C.TENSOR_RECORD_BYTES, 48);
  assert.is(C.OP_HEADER_BYTES, 8);
  assert.is(C.P.headerBytes, 32);
  assert.is(C.RQ_QUAD_BYTES, 48);
  assert.is(C.T.dims + 4 * C.MAX_RANK, C.T.offset);
  assert.is(C.CRC_START, 16);
});

test('the runtime keeps no copy of a format constant outside assembly/format.ts', () => {
  const generated = new Set(asNumbers().keys());
  generated.add('PARAM_COUNTS');
  const dir = join(REPO, 'assembly');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && f !== 'format.ts');
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    assert.not.match(text, /case F\.OP_\w+: return '/, `assembly/${f}: op names come from F.opName`);
    for (const m of text.matchAll(/^(?:export )?const (\w+)\s*:[^=]*=\s*([^;]*);/gm)) {
      if (generated.has(m[1])) assert.ok(/\bF\./.test(m[2]), `assembly/${f}: ${m[1]} = ${m[2]} (use F.${m[1]})`);
    }
  }
  // Copies in files another branch owns, kept until it takes the generated names:
  const kernel = (f: string, name: string) => Number(new RegExp(`const ${name}: \\w+ = (\\d+);`).exec(readFileSync(join(dir, 'kernels', f), 'utf8'))![1]);
  assert.is(kernel('requant-simd.ts', 'RQ_RECORD_BYTES'), C.RQ_QUAD_BYTES);
  assert.is(kernel('huffman.ts', 'MAX_CODE_BITS'), C.HUF.maxCodeBits);
});

test.run();
