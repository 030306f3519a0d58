// The memory planner: exact offsets on a hand-made chain, aliases share bytes, and on
// every model no two tensors that are live at the same op overlap, except an op's output
// over its dying input where overlap-rule.ts proves it safe (test/overlap.test.ts: offsets
// and bytes of such plans).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { importModel } from '../src/convert.js';
import { Graph, byteSize } from '../src/ir/graph.js';
import { prepareKernels } from '../src/passes/prepare-kernels.js';
import { MemoryPlan, planMemory } from '../src/passes/plan-memory.js';
import { buildTinyCnn } from '../src/testing/models.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { goldenModels, readBytes } from './helpers.js';

function chain(): Graph {
  // x[1,100] -FC-> a[1,40] -FC-> b[1,30] -reshape-> c[1,1,30] ... sizes in bytes = element counts
  const b = new TfliteBuilder();
  const q = { scale: [1], zeroPoint: [0] };
  const x = b.tensor('x', [1, 100], 'int8', q);
  const w1 = b.constant('w1', [40, 100], 'int8', new Array(4000).fill(1), q);
  const a = b.tensor('a', [1, 40], 'int8', q);
  const w2 = b.constant('w2', [30, 40], 'int8', new Array(1200).fill(1), q);
  const bt = b.tensor('b', [1, 30], 'int8', q);
  const s = b.constant('shape', [3], 'int32', [1, 1, 30]);
  const c = b.tensor('c', [1, 1, 30], 'int8', q);
  const w3 = b.constant('w3', [20, 30], 'int8', new Array(600).fill(1), q);
  const d = b.tensor('d', [1, 20], 'int8', q);
  b.op('FULLY_CONNECTED', [x, w1], [a]);
  b.op('FULLY_CONNECTED', [a, w2], [bt]);
  b.op('RESHAPE', [bt, s], [c]);
  b.op('FULLY_CONNECTED', [c, w3], [d]);
  b.io([x], [d]);
  return prepareKernels(importModel(b.finish(), 'chain.tflite'));
}

test('chain: largest first, first fit, 16-byte aligned, reshape aliases its input', () => {
  const g = chain();
  const plan = planMemory(g);
  const at = (name: string) => plan.offsets[g.tensors.findIndex((t) => t.name === name)];
  // x (100 B, ops -1..0) at 0; a (40 B, 0..1) after x at 112; b (30 B, 1..3) overlaps a -> 0;
  // d (20 B, 3..4) overlaps b -> 32; c aliases b.
  assert.equal([at('x'), at('a'), at('b'), at('c'), at('d')], [0, 112, 0, 0, 32]);
  assert.is(plan.arenaBytes, 160);
});

test('in place: ADD writes over the input that dies there, never over one still needed', () => {
  const g = prepareKernels(importModel(buildTinyCnn(), 'tiny_cnn.tflite'));
  const plan = planMemory(g, { overlap: false });
  const id = (name: string) => g.tensors.findIndex((t) => t.name === name);
  // residual = project + shortcut: both die at the ADD; the output takes the first one's bytes
  assert.is(plan.root[id('residual')], id('project'));
  assert.is(plan.offsets[id('residual')], plan.offsets[id('project')]);
  assert.is.not(plan.offsets[id('residual')], plan.offsets[id('shortcut')]);
  assert.is(plan.arenaBytes, 2560);
});

/** True if output `y` sits over input `x` as an allowed pair of the plan: O - I <= maxShift. */
function provenSafe(plan: MemoryPlan, y: number, x: number): boolean {
  return plan.overlaps.some((o) => o.output === y && o.input === x && plan.offsets[y] - plan.offsets[x] <= o.maxShift);
}

function assertNoOverlap(g: Graph, plan: MemoryPlan, name: string): void {
  const owners = [...plan.lifetimes.keys()];
  for (const t of owners) assert.ok(plan.offsets[t] % 16 === 0, `${name}: ${g.tensors[t].name} misaligned`);
  for (let i = 0; i < owners.length; i++)
    for (let j = i + 1; j < owners.length; j++) {
      const [a, b] = [owners[i], owners[j]];
      const [af, al] = plan.lifetimes.get(a)!, [bf, bl] = plan.lifetimes.get(b)!;
      if (af > bl || bf > al) continue;
      const a0 = plan.offsets[a], a1 = a0 + byteSize(g.tensors[a]);
      const b0 = plan.offsets[b], b1 = b0 + byteSize(g.tensors[b]);
      if (provenSafe(plan, a, b) || provenSafe(plan, b, a)) continue;
      assert.ok(a1 <= b0 || b1 <= a0, `${name}: "${g.tensors[a].name}" and "${g.tensors[b].name}" overlap while both live`);
    }
  const end = Math.max(...owners.map((t) => plan.offsets[t] + byteSize(g.tensors[t])));
  assert.ok(plan.arenaBytes >= end && plan.arenaBytes - end < 16, `${name}: arena ${plan.arenaBytes} vs highest end ${end}`);
}

test('no two live tensors share a byte but proven-safe pairs: tiny_cnn and every shared model', () => {
  const models: [string, Uint8Array][] = [['tiny_cnn', buildTinyCnn()], ...goldenModels().map((m) => [m.name, readBytes(m.modelPath)] as [string, Uint8Array])];
  for (const [name, bytes] of models) {
    const g = prepareKernels(importModel(bytes, name));
    const plan = planMemory(g), plain = planMemory(g, { overlap: false });
    assertNoOverlap(g, plan, name);
    assertNoOverlap(g, plain, `${name} (plain)`);
    assert.is(plain.overlaps.length, 0);
    assert.ok(plan.arenaBytes <= plain.arenaBytes, `${name}: overlap plan ${plan.arenaBytes} > plain ${plain.arenaBytes}`);
  }
});

test.run();
