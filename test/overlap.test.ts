// Output over input (src/passes/overlap-rule.ts, assembly/overlap.ts): the rule's numbers on
// hand-sized shapes, exact offsets of a small plan, the same bytes from the overlapping and
// the plain plan in every build and kernel variant, and a file whose offsets overlap
// unsafely refused at load.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConvertOptions, convertModel, emit, importModel } from '../src/convert.js';
import { ErrorCode, H, Section, T } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { readEpk } from '../src/format/reader.js';
import { byteSize } from '../src/ir/graph.js';
import { maxOutputShift } from '../src/passes/overlap-rule.js';
import { planMemory } from '../src/passes/plan-memory.js';
import { prepareKernels } from '../src/passes/prepare-kernels.js';
import { RuntimeError } from '../src/runtime/loader.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { RowLayer, buildRowNet, randomInt8, xorshift32 } from '../src/testing/models.js';

const geo = { inH: 4, inW: 4, inC: 8, outH: 4, outW: 4, outC: 8, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, kh: 1, kw: 1, pixelsPerStep: 1 };

test('maxOutputShift by hand: pointwise widening and narrowing, depthwise stride 1 and 2', () => {
  // 1x1 8 -> 16 channels, 16 pixels, GEMM pairs: min over pixels n of 8n - 16(n + 1) is at
  // n = 15 (120 - 256 = -136), minus one more pixel of the pair (16): -152.
  assert.is(maxOutputShift({ ...geo, outC: 16, pixelsPerStep: 2 }), -152);
  // 1x1 16 -> 8: min of 16n - 8(n + 1) is at n = 0 (-8), minus 8: -16 (the output starts a pair below).
  assert.is(maxOutputShift({ ...geo, inC: 16, pixelsPerStep: 2 }), -16);
  // 3x3 stride 1 pad 1, 32-byte rows: row 0 -> 0 - 32, row 1 -> 0 - 64, row 2 -> 32 - 96, row 3 -> 64 - 128.
  assert.is(maxOutputShift({ ...geo, kh: 3, kw: 3, padTop: 1, padLeft: 1 }), -64);
  // 3x3 stride 2 VALID over 8x8x4 -> 3x3x4 (rows 32 in, 12 out): -12, 64 - 24, 128 - 36.
  assert.is(maxOutputShift({ ...geo, inH: 8, inW: 8, inC: 4, outH: 3, outW: 3, outC: 4, kh: 3, kw: 3, strideH: 2, strideW: 2 }), -12);
});

test('plan: exact offsets of a 1x1 widening then a 2x2 max pool', () => {
  // image [1,4,4,8] (graph input) -1x1-> a [1,4,4,8] -1x1-> b [1,4,4,16] -pool 2x2/2-> c [1,2,2,16]
  const tflite = buildRowNet([
    { op: 'CONV_2D', k: 1, stride: 1, padding: 'VALID', outC: 8 },
    { op: 'CONV_2D', k: 1, stride: 1, padding: 'VALID', outC: 16 },
    { op: 'MAX_POOL_2D', k: 2, stride: 2, padding: 'VALID' },
  ], [1, 4, 4, 8]);
  const g = prepareKernels(importModel(tflite, 'row.tflite'));
  const id = (name: string) => g.tensors.findIndex((t) => t.name === name);
  const plain = planMemory(g, { overlap: false });
  const plan = planMemory(g);
  const at = (p: typeof plan, name: string) => p.offsets[id(name)];
  // plain: b (256 B) at 0, image at 0 (dead by op 1), a after image and b: 256; c after b: 256.
  assert.equal(['image', 'layer0', 'layer1', 'layer2'].map((n) => at(plain, n)), [0, 256, 0, 256]);
  assert.is(plain.arenaBytes, 384);
  // pairs: a -> b (conv 1x1, maxShift -152 as above), b -> c (pool: rows 64 in, 32 out: -32)
  assert.equal(plan.overlaps.map((o) => [g.tensors[o.input].name, g.tensors[o.output].name, o.maxShift]), [['layer0', 'layer1', -152], ['layer1', 'layer2', -32]]);
  // b (256 B) at 0; a at 0 + 152 rounded up to 160, over b's top (ends 288); c cannot start
  // 32 bytes below b, so it goes after b at 256. (Keeping 32 bytes under b for c instead --
  // b at 32, c at 0, a at 192 -- also ends at 320; the first strategy wins the tie.)
  assert.equal(['image', 'layer0', 'layer1', 'layer2'].map((n) => at(plan, n)), [0, 160, 0, 256]);
  assert.is(plan.arenaBytes, 320);
  for (const o of plan.overlaps) {
    const [y, x] = [plan.offsets[o.output], plan.offsets[o.input]];
    const disjoint = y + byteSize(g.tensors[o.output]) <= x || x + byteSize(g.tensors[o.input]) <= y;
    assert.ok(disjoint || y - x <= o.maxShift);
  }
});

/** Layers covering each kernel shape the rule admits; every input dies at its consumer. */
const NET: RowLayer[] = [
  { op: 'CONV_2D', k: 3, stride: 1, padding: 'SAME', outC: 8 }, // reads the graph input: never overlapped
  { op: 'CONV_2D', k: 1, stride: 1, padding: 'VALID', outC: 16 }, // widening 1x1
  { op: 'DEPTHWISE_CONV_2D', k: 3, stride: 1, padding: 'SAME' },
  { op: 'CONV_2D', k: 1, stride: 1, padding: 'VALID', outC: 12 }, // narrowing 1x1 (12: a channel tail)
  { op: 'DEPTHWISE_CONV_2D', k: 3, stride: 2, padding: 'SAME' },
  { op: 'CONV_2D', k: 3, stride: 1, padding: 'SAME', outC: 12 }, // 3x3 with padding (im2col)
  { op: 'DEPTHWISE_CONV_2D', k: 3, stride: 1, padding: 'SAME', dilation: 2 },
  { op: 'MAX_POOL_2D', k: 2, stride: 1, padding: 'SAME' },
  { op: 'CONV_2D', k: 1, stride: 1, padding: 'VALID', outC: 20 },
  { op: 'AVERAGE_POOL_2D', k: 3, stride: 2, padding: 'SAME' },
  { op: 'CONV_2D', k: 3, stride: 2, padding: 'VALID', outC: 8 },
];

const VARIANTS: [string, ConvertOptions][] = [
  ['packed layouts', {}],
  ['reference kernels', { weightLayouts: false }],
  ['codebook (LUT kernels)', { compress: { codebook: 4 } }],
  ['Huffman (never overlapped)', { compress: { pack: 'huffman' } }],
];

test('overlapping plan gives the plain plan\'s bytes: scalar, simd, streamed; every kernel variant', async () => {
  const tflite = buildRowNet(NET, [1, 12, 12, 4]);
  const inputs = [0, 1, 2].map((k) => new Uint8Array(randomInt8(12 * 12 * 4, k).buffer));
  for (const [name, opts] of VARIANTS) {
    const overlapped = convertModel(tflite, 'row.tflite', { ...opts, log: () => {} });
    const names = opts.compress ? 'io' : 'all';
    const plain = emit(overlapped.graph, names, { overlap: false });
    assert.ok(overlapped.plan.overlaps.length >= 2, `${name}: ${overlapped.plan.overlaps.length} overlap pairs`);
    const huffman = name.startsWith('Huffman'); // its convs decode in tiles of channels: only pools overlap
    if (!huffman) assert.ok(overlapped.plan.arenaBytes < plain.plan.arenaBytes, `${name}: arena ${overlapped.plan.arenaBytes} vs plain ${plain.plan.arenaBytes}`);
    const shared = overlapped.plan.overlaps.filter((o) => {
      const [y, x] = [overlapped.plan.offsets[o.output], overlapped.plan.offsets[o.input]];
      return y < x + byteSize(overlapped.graph.tensors[o.input]) && x < y + byteSize(overlapped.graph.tensors[o.output]);
    });
    if (!huffman) assert.ok(shared.length >= 1, `${name}: no pair actually shares bytes`);
    const want = await loadModelNode(plain.epk, 'scalar');
    const runs = [await loadModelNode(overlapped.epk, 'scalar'), await loadModelNode(overlapped.epk, 'simd'), await loadModelStreamed(overlapped.epk)];
    for (const input of inputs) {
      const [expected] = want.run(input);
      for (const [i, model] of runs.entries()) assert.equal(model.run(input)[0], expected, `${name}: build ${['scalar', 'simd', 'streamed'][i]}`);
    }
  }
});

test('streamed: an op writing over its input is never tiled -- the stage minimum holds all its constants', async () => {
  const { epk, plan, graph } = convertModel(buildRowNet(NET, [1, 12, 12, 4]), 'row.tflite', { weightLayouts: false, log: () => {} });
  const probe = await loadModelStreamed(epk);
  const overlapOps = new Set(plan.overlaps.filter((o) => plan.offsets[o.output] < plan.offsets[o.input] + byteSize(graph.tensors[o.input])).map((o) => o.op));
  assert.ok(overlapOps.size > 0);
  // widest conv of NET that overlaps: its constants are the floor of any stage
  const m = probe.memory();
  assert.ok(m.stageMinBytes > 0 && m.stageMinBytes <= m.stageWholeBytes);
  try {
    await loadModelStreamed(epk, m.stageMinBytes - 16);
    assert.unreachable('a stage below the minimum loaded');
  } catch (e) {
    assert.instance(e, RuntimeError, String(e));
  }
});

/** The .epk with the named tensors' arena offsets (and the arena size, if given) rewritten, CRC resealed. */
function withOffsets(epk: Uint8Array, offsets: Record<string, number>, arenaBytes?: number): Uint8Array {
  const b = epk.slice();
  const e = readEpk(epk);
  const table = e.sections.find((s) => s.kind === Section.Tensors)!.offset;
  const v = new DataView(b.buffer);
  for (const [name, offset] of Object.entries(offsets)) v.setUint32(table + e.tensors.find((x) => x.name === name)!.index * 48 + T.offset, offset, true);
  if (arenaBytes !== undefined) v.setUint32(H.arenaBytes, arenaBytes, true);
  v.setUint32(H.crc32, crc32(b, 16), true);
  return b;
}

function withOffset(epk: Uint8Array, name: string, offset: number): Uint8Array {
  return withOffsets(epk, { [name]: offset });
}

/** A random conv / depthwise / pool layer (kernel 1-3, stride 1-2, SAME or VALID, dilation 1-2). */
function randomLayer(rand: () => number): RowLayer {
  const ops = ['CONV_2D', 'DEPTHWISE_CONV_2D', 'MAX_POOL_2D', 'AVERAGE_POOL_2D'] as const;
  const op = ops[rand() % 4];
  const pool = op === 'MAX_POOL_2D' || op === 'AVERAGE_POOL_2D';
  return { op, k: 1 + (rand() % 3), stride: 1 + (rand() % 2), padding: rand() % 2 ? 'SAME' : 'VALID', outC: 1 + (rand() % 20), dilation: pool ? 1 : 1 + (rand() % 2) };
}

test('at the exact bound O = I + maxShift every admitted op gives the plain plan\'s bytes; one byte higher is refused', async () => {
  const rand = xorshift32(2024);
  const sharing = new Set<string>(); // op kinds whose output really lay over its input
  let cases = 0;
  while (cases < 32) {
    const shape = [1, 3 + (rand() % 8), 3 + (rand() % 8), 1 + (rand() % 12)];
    const layer = randomLayer(rand);
    // layer0 (an identity-sized 1x1 max pool) makes x, an arena tensor that dies at layer1
    const tflite = buildRowNet([{ op: 'MAX_POOL_2D', k: 1, stride: 1, padding: 'VALID' }, layer], shape, 100 + cases);
    let converted;
    try {
      // packed layouts (fast kernels), reference kernels, codebook (LUT kernels) in turn
      const kernels: ConvertOptions[] = [{}, { weightLayouts: false }, { compress: { codebook: 4, names: 'all' } }];
      converted = convertModel(tflite, 'edge.tflite', { ...kernels[cases % 3], log: () => {} });
    } catch {
      continue; // a VALID window larger than the image
    }
    const { epk, plan, graph } = converted;
    const pair = plan.overlaps.find((o) => o.op === 1);
    if (!pair) continue;
    cases++;
    const size = (t: number) => byteSize(graph.tensors[t]);
    const image = graph.inputs[0];
    const x = pair.input, y = pair.output, s = pair.maxShift;
    const base = Math.ceil(size(image) / 16) * 16 + Math.max(0, -s);
    const arena = Math.ceil(Math.max(base + size(x), base + s + size(y)) / 16) * 16;
    const at = (shift: number) => withOffsets(epk, { image: 0, [graph.tensors[x].name]: base, [graph.tensors[y].name]: base + shift }, arena);
    const plain = await loadModelNode(emit(graph, 'all', { overlap: false }).epk, 'scalar');
    const edge = at(s);
    const runs = [await loadModelNode(edge, 'scalar'), await loadModelNode(edge, 'simd'), await loadModelStreamed(edge)];
    const input = new Uint8Array(randomInt8(size(image), cases).buffer);
    const [want] = plain.run(input);
    for (const [i, model] of runs.entries()) assert.equal(model.run(input)[0], want, `${JSON.stringify(layer)} over ${shape}: ${['scalar', 'simd', 'streamed'][i]}`);
    if (s + size(y) > 0) sharing.add(layer.op);
    if (s + 1 + size(y) > 0) {
      try {
        await loadModelNode(at(s + 1), 'scalar');
        assert.unreachable(`${JSON.stringify(layer)}: one byte past the bound loaded`);
      } catch (err) {
        assert.match((err as Error).message, /output overlaps input/, String(err));
      }
    }
  }
  assert.equal([...sharing].sort(), ['AVERAGE_POOL_2D', 'CONV_2D', 'DEPTHWISE_CONV_2D', 'MAX_POOL_2D']);
});

test('hostile file: an output moved over its input beyond the proven bound is refused (E_BAD_OP, op index named)', async () => {
  const tflite = buildRowNet([
    { op: 'CONV_2D', k: 1, stride: 1, padding: 'VALID', outC: 8 },
    { op: 'CONV_2D', k: 1, stride: 1, padding: 'VALID', outC: 16 },
    { op: 'MAX_POOL_2D', k: 2, stride: 2, padding: 'VALID' },
  ], [1, 4, 4, 8]);
  const { epk, plan, graph } = convertModel(tflite, 'row.tflite', { log: () => {} });
  const pair = plan.overlaps.find((o) => graph.ops[o.op].type === 'CONV_2D')!; // maxShift -152
  const e = readEpk(epk);
  const tensor = (t: number) => e.tensors.find((x) => x.name === graph.tensors[t].name)!;
  const outAt = tensor(pair.output).offset; // 0, the input at 160 (the exact-offsets test)
  // the input 160 bytes above the output keeps O - I <= -152 and loads; 144 bytes would let the
  // GEMM overwrite a pixel pair it has yet to read
  await loadModelNode(withOffset(epk, graph.tensors[pair.input].name, outAt + 160), 'scalar');
  const bad = withOffset(epk, graph.tensors[pair.input].name, outAt + 144);
  for (const load of [(b: Uint8Array) => loadModelNode(b, 'scalar'), (b: Uint8Array) => loadModelNode(b, 'simd'), (b: Uint8Array) => loadModelStreamed(b)]) {
    try {
      await load(bad);
      assert.unreachable('accepted an unsafe overlap');
    } catch (err) {
      assert.instance(err, RuntimeError, String(err));
      assert.is((err as RuntimeError).code, ErrorCode.BadOp);
      assert.match((err as Error).message, /op 1 \(CONV_2D\).*output overlaps input/, (err as Error).message);
    }
  }
  // a pool writing over the rows it still has to read
  const pool = plan.overlaps.find((o) => graph.ops[o.op].type === 'MAX_POOL_2D')!;
  const samePlace = withOffset(epk, graph.tensors[pool.output].name, tensor(pool.input).offset);
  try {
    await loadModelNode(samePlace, 'simd');
    assert.unreachable('accepted a pool writing over its own rows');
  } catch (err) {
    assert.match((err as Error).message, /op 2 \(MAX_POOL_2D\).*output overlaps input/);
  }
});


test('3x3 depthwise over its input, c >= 8: channel-aligned shifts (the 8-channel-block kernel) and shifts across channels give the plain plan\'s bytes', async () => {
  const cases: [number[], RowLayer][] = [
    [[1, 7, 6, 8], { op: 'DEPTHWISE_CONV_2D', k: 3, stride: 1, padding: 'SAME' }],
    [[1, 6, 7, 19], { op: 'DEPTHWISE_CONV_2D', k: 3, stride: 1, padding: 'SAME' }],
    [[1, 9, 8, 16], { op: 'DEPTHWISE_CONV_2D', k: 3, stride: 2, padding: 'SAME' }],
    [[1, 8, 8, 12], { op: 'DEPTHWISE_CONV_2D', k: 3, stride: 1, padding: 'VALID', dilation: 2 }],
  ];
  let aligned = 0, across = 0;
  for (const [n, [shape, layer]] of cases.entries()) {
    const tflite = buildRowNet([{ op: 'MAX_POOL_2D', k: 1, stride: 1, padding: 'VALID' }, layer], shape, 300 + n);
    const { epk, plan, graph } = convertModel(tflite, 'dw.tflite', { log: () => {} });
    const pair = plan.overlaps.find((o) => o.op === 1);
    assert.ok(pair, `${JSON.stringify(layer)}: no overlap pair`);
    const size = (t: number) => byteSize(graph.tensors[t]);
    const image = graph.inputs[0], x = pair.input, y = pair.output, s = pair.maxShift, c = shape[3];
    const base = Math.ceil(size(image) / 16) * 16 + Math.max(0, -s) + 4 * c;
    const arena = Math.ceil(Math.max(base + size(x), base + s + size(y)) / 16) * 16;
    const plain = await loadModelNode(emit(graph, 'all', { overlap: false }).epk, 'scalar');
    const input = new Uint8Array(randomInt8(size(image), n).buffer);
    const [want] = plain.run(input);
    for (let shift = s; shift >= s - 3 * c && base + shift >= Math.ceil(size(image) / 16) * 16; shift--) {
      if (shift + size(y) <= 0) break;
      const edge = withOffsets(epk, { image: 0, [graph.tensors[x].name]: base, [graph.tensors[y].name]: base + shift }, arena);
      const runs = [await loadModelNode(edge, 'scalar'), await loadModelStreamed(edge)];
      for (const [i, model] of runs.entries()) assert.equal(model.run(input)[0], want, `${JSON.stringify(layer)} over ${shape}, shift ${shift}: ${['scalar', 'streamed'][i]}`);
      if (shift % c === 0) aligned++; else across++;
    }
  }
  assert.ok(aligned >= 4 && across >= 20, `aligned ${aligned}, across ${across}`);
});

test.run();
