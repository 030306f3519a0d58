// Writer and reader agree on every field, and the runtime's constants mirror the
// converter's (assembly/format.ts vs src/format/constants.ts).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
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

test('assembly/format.ts mirrors src/format/constants.ts', () => {
  const src = readFileSync(join(REPO, 'assembly', 'format.ts'), 'utf8');
  const as = new Map<string, number>();
  for (const m of src.matchAll(/export const (\w+): \w+ = (0x[0-9a-f]+|\d+);/gi)) as.set(m[1], Number(m[2]));
  const expect: [string, number][] = [
    ['MAGIC', C.MAGIC], ['VERSION', C.VERSION], ['HEADER_BYTES', C.HEADER_BYTES], ['SECTION_ENTRY_BYTES', C.SECTION_ENTRY_BYTES],
    ['SECTION_ALIGN', C.SECTION_ALIGN], ['TENSOR_RECORD_BYTES', C.TENSOR_RECORD_BYTES], ['OP_HEADER_BYTES', C.OP_HEADER_BYTES],
    ['MAX_RANK', C.MAX_RANK], ['NO_TENSOR', C.NO_TENSOR],
    ['H_MAGIC', C.H.magic], ['H_VERSION', C.H.version], ['H_HEADER_BYTES', C.H.headerBytes], ['H_FILE_BYTES', C.H.fileBytes],
    ['H_CRC32', C.H.crc32], ['H_SECTION_COUNT', C.H.sectionCount], ['H_ARENA_BYTES', C.H.arenaBytes], ['H_SCRATCH_BYTES', C.H.scratchBytes],
    ['S_TENSORS', C.Section.Tensors], ['S_OPS', C.Section.Ops], ['S_IO', C.Section.IO], ['S_DATA', C.Section.Data], ['S_STRINGS', C.Section.Strings],
    ['T_DTYPE', C.T.dtype], ['T_RANK', C.T.rank], ['T_KIND', C.T.kind], ['T_DIMS', C.T.dims], ['T_OFFSET', C.T.offset], ['T_BYTES', C.T.bytes],
    ['T_SCALE', C.T.scale], ['T_ZERO_POINT', C.T.zeroPoint], ['T_NAME_OFFSET', C.T.nameOffset], ['T_NAME_BYTES', C.T.nameBytes],
    ['DT_INT8', C.DType.Int8], ['DT_UINT8', C.DType.UInt8], ['DT_INT16', C.DType.Int16], ['DT_INT32', C.DType.Int32], ['DT_FLOAT32', C.DType.Float32],
    ['KIND_ARENA', C.TensorKind.Arena], ['KIND_CONST', C.TensorKind.Const],
  ];
  for (const [name, value] of expect) assert.is(as.get(name), value, name);
  for (const [code, name] of Object.entries(C.OP_NAMES)) assert.is(as.get(`OP_${name}`), Number(code), name);
  for (const [code, name] of Object.entries(C.ERROR_NAMES)) assert.is(as.get(`E_${name}`), Number(code), name);
});

test.run();
