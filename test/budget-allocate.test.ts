// The size budget's allocation on hand-made output-error curves: the greedy takes the move
// of least added model output error per byte saved (any smaller option, not only the next),
// stops once the estimate is within the target, and never takes an unmeasured option.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LayerPlan, allocate } from '../src/compress/budget.js';

const plan = (op: number, curve: [bits: number, bytes: number, outputError: number][]): LayerPlan => ({
  op, chosen: 0, options: curve.map(([bits, bytes, outputError]) => ({ bits, bytes, relError: outputError, outputError })),
});

test('allocate: least added output error per byte saved first', () => {
  // a: 1000 -> 600 B for +4 (0.01 per byte); b: 1000 -> 500 B for +20 (0.04 per byte)
  const a = plan(1, [[0, 1000, 0], [4, 600, 4], [2, 300, 100]]);
  const b = plan(2, [[0, 1000, 0], [4, 500, 20], [2, 250, 30]]);
  // lossless 2100 B (100 B besides the filters); target 1700: a to 4 bits (saves 400) is enough
  assert.is(allocate([a, b], 2100, 1700), 1700);
  assert.equal([a.options[a.chosen].bits, b.options[b.chosen].bits], [4, 0]);
  // target 1300: then b, whose 2-bit option (+30 for 750 B: 0.04 per byte) ties its 4-bit one
  // (+20 for 500 B) -- the first found wins -- before a's 2 bits (+96 for 300 B: 0.32 per byte)
  assert.is(allocate([a, b], 2100, 1300), 1200);
  assert.equal([a.options[a.chosen].bits, b.options[b.chosen].bits], [4, 4]);
  // skipping a width: b from lossless straight to 2 bits when that is cheaper per byte
  const c = plan(3, [[0, 1000, 0], [4, 900, 50], [2, 200, 60]]);
  assert.is(allocate([c], 1000, 500), 200);
  assert.is(c.options[c.chosen].bits, 2);
});

test('allocate: unmeasured (dominated) options are never taken; an unreachable target stops at the smallest', () => {
  const a = plan(1, [[0, 1000, 0], [4, 600, Infinity], [2, 300, 100]]);
  assert.is(allocate([a], 1000, 700), 300);
  assert.is(a.options[a.chosen].bits, 2);
  assert.is(allocate([a], 1000, 100), 300, 'the estimate at the smallest options');
});

test.run();
