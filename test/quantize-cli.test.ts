// `edgepack convert` on a float ONNX model with --calibrate / --percentile: the .epk is
// written, the SQNR report printed; bad calibration input is a clear error, exit 1.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readEpk } from '../src/format/reader.js';
import { DType, OpCode } from '../src/format/constants.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/index.js';
import { resNetStyle } from '../src/testing/onnx-builder.js';

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const wo = process.stdout.write.bind(process.stdout), we = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(argv), out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = wo;
    process.stderr.write = we;
  }
}

test('convert --calibrate raw f32 file --percentile 99.9 writes the .epk and prints per-layer SQNR', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ep-cli-'));
  try {
    writeFileSync(join(dir, 'net.onnx'), resNetStyle(2, 8));
    const values = Float32Array.from({ length: 8 * 3 * 8 * 8 }, (_, i) => ((i * 7919) % 1000) / 1000);
    writeFileSync(join(dir, 'calib.f32'), new Uint8Array(values.buffer)); // 8 samples of 1x8x8x3
    const r = await capture(['convert', join(dir, 'net.onnx'), '-o', join(dir, 'net.epk'), '--calibrate', join(dir, 'calib.f32'), '--percentile', '99.9']);
    assert.is(r.code, 0, r.err);
    assert.ok(existsSync(join(dir, 'net.epk')));
    assert.match(r.out, /per-layer SQNR vs float reference:\n\s+[\d.]+ dB {2}CONV_2D/);
    assert.match(r.out, /output SQNR [\d.]+ dB, top-1 agreement [\d.]+% over 8 inputs/);

    const bad = await capture(['convert', join(dir, 'net.onnx'), '-o', join(dir, 'x.epk'), '--calibrate', join(dir, 'net.onnx'), '--calibrate-raw', 'u8']);
    assert.is(bad.code, 1);
    assert.match(bad.err, /net\.onnx: \d+ values is not a multiple of the input's 192/);
    assert.not.ok(existsSync(join(dir, 'x.epk')));

    // without --calibrate the float model runs as float32 (group f32): float32 tensors, no QUANTIZE
    const noCal = await capture(['convert', join(dir, 'net.onnx'), '-o', join(dir, 'y.epk')]);
    assert.is(noCal.code, 0, noCal.err);
    const f32 = readEpk(readFileSync(join(dir, 'y.epk')));
    assert.ok(f32.ops.length > 0 && f32.ops.every((op) => f32.tensors[op.outputs[0]].dtype === DType.Float32), 'every op writes float32');
    assert.not.ok(f32.ops.some((op) => op.opcode === OpCode.Quantize || op.opcode === OpCode.Dequantize));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('convert --max-float-work: the calibration limit named in the refusal, and raised or lowered by the flag', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ep-cli-'));
  try {
    writeFileSync(join(dir, 'net.onnx'), resNetStyle(2, 8));
    writeFileSync(join(dir, 'calib.f32'), new Uint8Array(new Float32Array(2 * 3 * 8 * 8).fill(0.5).buffer));
    const args = (n: string, out: string) => ['convert', join(dir, 'net.onnx'), '-o', join(dir, out), '--calibrate', join(dir, 'calib.f32'), '--max-float-work', n];
    const low = await capture(args('1000', 'low.epk'));
    assert.is(low.code, 1);
    assert.match(low.err, /calibration refused: one float inference would take ~.* multiply-adds, above the limit of 1000 .*--max-float-work N/);
    assert.not.ok(existsSync(join(dir, 'low.epk')));
    const high = await capture(args('10000000000', 'high.epk'));
    assert.is(high.code, 0, high.err);
    const plain = await capture(['convert', join(dir, 'net.onnx'), '-o', join(dir, 'plain.epk'), '--calibrate', join(dir, 'calib.f32')]);
    assert.is(plain.code, 0, plain.err);
    assert.equal(readFileSync(join(dir, 'high.epk')), readFileSync(join(dir, 'plain.epk')), 'the limit changes nothing else');
    const bad = await capture(args('0', 'zero.epk'));
    assert.is(bad.code, 2);
    assert.match(bad.err, /--max-float-work must be a positive integer, not 0/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test.run();
