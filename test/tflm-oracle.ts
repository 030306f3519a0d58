// Bit-exactness against TFLM's reference kernels (../shared/tools/tflm-run, its README): a
// model built in code runs N invokes in tflm-run and in every edgepack build (simd, scalar,
// streamed), and the bytes must be equal. Where tflm-run is absent the caller skips.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { SHARED } from './helpers.js';

export const TFLM_RUN = join(SHARED, 'tools', 'tflm-run', 'tflm-run');
export const hasTflm = existsSync(TFLM_RUN);

/** Deterministic PRNG (mulberry32): the same cases on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export const randInt = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
/** A float32 scale in [lo, hi). */
export const randScale = (r: () => number, lo = 0.004, hi = 0.2) => Math.fround(lo + r() * (hi - lo));
export const randInt8 = (r: () => number, n: number) => Int8Array.from({ length: n }, () => randInt(r, -128, 127));

/**
 * The output bytes of each invoke in tflm-run: inputs[invoke][input] -> bytes[invoke] (every output, in model order).
 * One interpreter serves the invokes (variable tensors carry state), unless `fresh` gives each its own.
 */
export function runTflm(model: Uint8Array, inputs: Uint8Array[][], fresh = false): Uint8Array[] {
  const dir = mkdtempSync(join(tmpdir(), 'edgepack-tflm-'));
  try {
    const modelPath = join(dir, 'model.tflite');
    writeFileSync(modelPath, model);
    const args = [modelPath];
    for (let k = 0; k < inputs[0].length; k++) {
      const path = join(dir, `in${k}.bin`);
      writeFileSync(path, Buffer.concat(inputs.map((inv) => inv[k])));
      args.push('--input', path);
    }
    const out = join(dir, 'out.bin');
    args.push('--output', out);
    if (fresh) args.push('--fresh');
    execFileSync(TFLM_RUN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const all = new Uint8Array(readFileSync(out));
    const per = all.length / inputs.length;
    return inputs.map((_, i) => all.subarray(i * per, (i + 1) * per));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Converts `model`, runs every invoke in simd, scalar and streamed, and compares each with tflm-run's bytes. */
export async function assertMatchesTflm(name: string, model: Uint8Array, inputs: Uint8Array[][]): Promise<void> {
  const want = runTflm(model, inputs);
  const { epk } = convertModel(model, name, { log: () => {} });
  const builds = [
    ['simd', await loadModelNode(epk, 'simd')],
    ['scalar', await loadModelNode(epk, 'scalar')],
    ['streamed', await loadModelStreamed(epk)],
  ] as const;
  for (const [build, m] of builds) {
    inputs.forEach((inv, i) => {
      const got = Buffer.concat(m.run(...inv)); // every output, in model order, as tflm-run writes them
      assert.equal(Array.from(got), Array.from(want[i]), `${name}, ${build}, invoke ${i}: differs from tflm-run`);
    });
  }
}
