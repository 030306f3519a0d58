// CLI: convert's compression flags write a packed .epk; bad values are usage errors (exit 2).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/index.js';
import { readEpk } from '../src/format/reader.js';
import { buildSmallModel } from './compression-model.js';

const dir = mkdtempSync(join(tmpdir(), 'edgepack-compress-'));
const model = join(dir, 'small.tflite');
writeFileSync(model, buildSmallModel());

async function quietly(argv: string[]): Promise<number> {
  const out = process.stdout.write, err = process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    return await main(argv);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

test('convert --codebook 4 --codebook-layer 1=3 --huffman --report writes packed filters', async () => {
  const out = join(dir, 'small.epk');
  assert.is(await quietly(['convert', model, '-o', out, '--codebook', '4', '--codebook-layer', '1=3', '--huffman', '--report']), 0);
  const e = readEpk(new Uint8Array(readFileSync(out)));
  const dw = e.tensors[e.ops.find((o) => o.sourceIndex === 1)!.inputs[1]]; // op 1 is the depthwise
  assert.ok(dw.packed, 'dw/w packed');
  assert.is(dw.name, '', 'compressed builds keep only I/O names');
  assert.ok(e.tensors.filter((t) => t.packed).length >= 3);
});

test('--names all keeps every tensor name in a compressed build', async () => {
  const out = join(dir, 'named.epk');
  assert.is(await quietly(['convert', model, '-o', out, '--codebook', '4', '--huffman', '--names', 'all']), 0);
  const e = readEpk(new Uint8Array(readFileSync(out)));
  assert.is(e.tensors[e.ops.find((o) => o.sourceIndex === 1)!.inputs[1]].name, 'dw/w');
});

test('bad compression flags are usage errors and write nothing', async () => {
  for (const bad of [['--codebook', '9'], ['--codebook', '1'], ['--prune', '1.5'], ['--codebook-layer', 'x=4'], ['--pack', 'zip'], ['--structured-prune', '-0.1'], ['--names', 'some']]) {
    const out = join(dir, `bad${bad.join('')}.epk`);
    assert.is(await quietly(['convert', model, '-o', out, ...bad]), 2, bad.join(' '));
    assert.not.ok(existsSync(out), bad.join(' '));
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
