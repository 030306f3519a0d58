// The CLI contract other tools rely on: convert, run (N inputs back to back), inspect
// --json, exit codes and one-line errors; outputs written atomically.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelNode } from '../src/runtime/node.js';
import { buildTinyCnn, randomInt8 } from '../src/testing/models.js';
import { REPO } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'edgepack-cli-'));
const bin = join(REPO, 'bin', 'edgepack.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

const modelPath = join(dir, 'tiny.tflite');
const epkPath = join(dir, 'tiny.epk');
writeFileSync(modelPath, buildTinyCnn());

test('convert writes an .epk and prints the summary; the source is untouched', () => {
  const before = readFileSync(modelPath);
  const r = cli('convert', modelPath, '-o', epkPath);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /CONV_2D/);
  assert.match(r.stdout, /wrote .*tiny\.epk \(\d+ bytes/);
  assert.ok(readFileSync(modelPath).equals(before));
});

test('run: a file of N inputs gives N outputs, each equal to a single run', async () => {
  const n = 5;
  const inputs = Array.from({ length: n }, (_, k) => new Uint8Array(randomInt8(768, k).buffer));
  const batch = Buffer.concat(inputs);
  writeFileSync(join(dir, 'in.bin'), batch);
  for (const target of ['scalar', 'simd']) {
    const out = join(dir, `out-${target}.bin`);
    const r = cli('run', epkPath, '--input', join(dir, 'in.bin'), '--output', out, '--target', target);
    assert.is(r.status, 0, r.stderr);
    const got = readFileSync(out);
    assert.is(got.length, 10 * n);
    const model = await loadModelNode(new Uint8Array(readFileSync(epkPath)), 'scalar');
    inputs.forEach((x, k) => assert.ok(Buffer.from(model.run(x)[0]).equals(got.subarray(10 * k, 10 * k + 10)), `${target} sample ${k}`));
  }
});

test('run --target streamed [--stage-bytes N]: same outputs as the resident build; a stage below the minimum is refused', async () => {
  const x = new Uint8Array(randomInt8(768, 9).buffer);
  writeFileSync(join(dir, 'in1.bin'), x);
  const want = (await loadModelNode(new Uint8Array(readFileSync(epkPath)), 'scalar')).run(x)[0];
  for (const extra of [[], ['--stage-bytes', '4096']]) {
    const out = join(dir, 'out-streamed.bin');
    const r = cli('run', epkPath, '--input', join(dir, 'in1.bin'), '--output', out, '--target', 'streamed', ...extra);
    assert.is(r.status, 0, r.stderr);
    assert.ok(readFileSync(out).equals(want), extra.join(' '));
  }
  const small = cli('run', epkPath, '--input', join(dir, 'in1.bin'), '--output', join(dir, 'o.bin'), '--target', 'streamed', '--stage-bytes', '16');
  assert.is.not(small.status, 0);
  assert.match(small.stderr, /needs at least \d+/);
  const misuse = cli('run', epkPath, '--input', join(dir, 'in1.bin'), '--output', join(dir, 'o.bin'), '--stage-bytes', '4096');
  assert.match(misuse.stderr, /--stage-bytes needs --target streamed/);
});

test('inspect --json reports the contract fields', () => {
  const r = cli('inspect', epkPath, '--json');
  assert.is(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.is(s.modelBytes, readFileSync(epkPath).length);
  assert.is(s.arenaBytes, 2080); // 2560 with no output over its input (test/plan.test.ts)
  assert.is(s.macs, 47776);
  assert.is(s.peakRamResidentBytes, s.staticsBytes + s.modelBytes + s.arenaBytes + s.scratchBytes);
  assert.is(s.wasmPages, Math.ceil(s.peakRamResidentBytes / 65536));
  assert.equal(s.inputs[0], { name: 'image', shape: [1, 16, 16, 3], dtype: 'int8', bytes: 768, scale: 0.015625, zeroPoint: 0 });
  assert.equal(s.outputs[0].shape, [1, 10]);
  assert.equal(s.layers.map((l: { op: string }) => l.op), ['CONV_2D', 'DEPTHWISE_CONV_2D', 'CONV_2D', 'CONV_2D', 'ADD', 'AVERAGE_POOL_2D', 'FULLY_CONNECTED', 'SOFTMAX']);
  // the kernel set a model-specific firmware links, and that firmware's RAM to the byte (streamed)
  assert.ok(s.kernels.names.includes('add_same') && s.kernels.names.includes('softmax'));
  const f = s.firmware;
  assert.is(f.ramBytes, f.linearMemoryBytes + f.stackBytes + f.hostRamBytes);
  assert.ok(f.linearMemoryBytes >= f.staticsBytes + f.metadataBytes + f.arenaBytes + f.scratchBytes + f.stageBytes);
  assert.ok(f.linearMemoryBytes < f.staticsBytes + f.metadataBytes + f.arenaBytes + f.scratchBytes + f.stageBytes + 64, 'only alignment besides the regions');
});

test('errors: one line, non-zero exit, no partial output', () => {
  const bad = join(dir, 'bad.tflite');
  writeFileSync(bad, readFileSync(modelPath).subarray(0, 1000));
  const out = join(dir, 'never.epk');
  const r = cli('convert', bad, '-o', out);
  assert.is(r.status, 1);
  assert.match(r.stderr, /^edgepack convert: error: bad\.tflite: .*byte offset \d+\n$/);
  assert.not.ok(existsSync(out));

  writeFileSync(join(dir, 'short.bin'), Buffer.alloc(700));
  const r2 = cli('run', epkPath, '--input', join(dir, 'short.bin'), '--output', join(dir, 'o.bin'));
  assert.is(r2.status, 2);
  assert.match(r2.stderr, /700 bytes is not a whole number of 768-byte input tensors/);

  const broken = join(dir, 'broken.epk');
  const b = readFileSync(epkPath);
  b[b.length - 1] ^= 1;
  writeFileSync(broken, b);
  const r3 = cli('inspect', broken);
  assert.is(r3.status, 1);
  assert.match(r3.stderr, /BAD_CRC: CRC-32 mismatch/);
  const r4 = cli('run', broken, '--input', join(dir, 'in.bin'), '--output', join(dir, 'o.bin'));
  assert.is(r4.status, 1);
  assert.match(r4.stderr, /BAD_CRC/);

  assert.is(cli('frobnicate').status, 2);
  assert.is(cli('convert', modelPath).status, 2);
});

test.run();
