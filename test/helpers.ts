// Shared test helpers: where ../shared is, and the golden cases it holds.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = join(REPO, '..', 'shared');
export const GOLDEN = join(SHARED, 'golden');
export const hasShared = existsSync(join(GOLDEN, 'summary.json'));

export interface GoldenCase {
  input: string;
  output: string;
  input_kind: string;
}

export interface GoldenModel {
  name: string;
  dir: string;
  modelPath: string;
  manifest: {
    input: { bytes: number; shape: number[] };
    output: { bytes: number; shape: number[] };
    cases: GoldenCase[];
    cortex_m4_qemu?: { ref?: { arena_used_bytes_m4: number; invoke_instructions: number }; cmsis?: { invoke_instructions: number } };
    arena_used_bytes_x86_64: number;
    model_bytes: number;
  };
}

export function goldenModels(): GoldenModel[] {
  if (!hasShared) return [];
  return readdirSync(GOLDEN)
    .filter((d) => existsSync(join(GOLDEN, d, 'manifest.json')))
    .sort()
    .map((name) => {
      const dir = join(GOLDEN, name);
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      return { name, dir, modelPath: join(dir, manifest.model_file), manifest };
    });
}

export function readBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export function skipNotice(what: string): void {
  if (!hasShared) console.log(`  (skipped: ${what} needs ../shared, which is absent)`);
}

/** Small deterministic PRNG (mulberry32), so a failure names a reproducible case. */
export function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)],
    real: (lo: number, hi: number) => lo + next() * (hi - lo),
  };
}
export type Rng = ReturnType<typeof rng>;
