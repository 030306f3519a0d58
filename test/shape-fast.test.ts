// MEAN's per-pixel fast path (axes 1 and 2: 16 channels in i16 lanes on SIMD, a strided loop
// otherwise) and TRANSPOSE's column order (y's last axis shorter than its third) against the
// general loops they bypass (assembly/kernels/shape.ts meanAxes, transposeRows), in both builds'
// code (assembly/probes/shape-probe.ts compiled with and without SIMD), on random shapes:
// channel counts past and below 16, more than 256 pixels (the i16 lanes widened), extreme
// values, every permutation.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from '../tools/firmware/build.js';

interface Probe {
  memory: WebAssembly.Memory; heapBase(): number;
  mean(fast: number, x: number, xs: number, y: number, mask: number, inZp: number, outZp: number, mult: number, shift: number): void;
  transpose(fast: number, x: number, xs: number, y: number, ys: number, perm: number): void;
}

function buildProbe(simd: boolean): Probe {
  const dir = join(REPO, 'build', 'probes');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `shape-probe-${simd ? 'simd' : 'scalar'}.wasm`);
  execFileSync(join(REPO, 'node_modules', '.bin', 'asc'), ['assembly/probes/shape-probe.ts', ...(simd ? ['--enable', 'simd'] : []), '-O3', '--runtime', 'stub', '--use', 'abort=', '--outFile', out], { cwd: REPO });
  return new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), {}).exports as unknown as Probe;
}

const PROBES: [string, Probe][] = [['simd', buildProbe(true)], ['scalar', buildProbe(false)]];

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s % n; };
}

/** Lays out x, the dims and y in the probe's memory; returns their addresses. */
function place(probe: Probe, x: Int8Array, yBytes: number) {
  const base = probe.heapBase(), X = base + 64, Y = X + x.length + 64;
  const need = Y + 2 * yBytes + 64 - probe.memory.buffer.byteLength;
  if (need > 0) probe.memory.grow(Math.ceil(need / 65536));
  new Int8Array(probe.memory.buffer).set(x, X);
  return { D: base, X, Y, Y2: Y + yBytes };
}

test('MEAN over axes 1 and 2: the per-pixel path == the general loop', () => {
  const r = rng(606);
  for (const [name, probe] of PROBES) {
    for (let t = 0; t < 60; t++) {
      const d = t % 7 < 2 ? [1 + r(2), 16 + r(25), 16 + r(25), 16 + r(40)] : [1 + r(2), 1 + r(t % 3 === 0 ? 40 : 9), 1 + r(t % 3 === 0 ? 20 : 9), 1 + r(t % 2 ? 70 : 18)];
      const n = d[0] * d[1] * d[2] * d[3];
      // every input -128 or 127 in some cases: the i16 lanes at their bound (256 pixels of -128 = i16.MIN)
      const fill = t % 7 === 0 ? -128 : t % 7 === 1 ? 127 : null;
      const x = Int8Array.from({ length: n }, () => fill ?? (t % 5 === 0 ? (r(2) ? 127 : -128) : r(256) - 128));
      const yBytes = d[0] * d[3];
      const { D, X, Y, Y2 } = place(probe, x, yBytes);
      new Int32Array(probe.memory.buffer).set(d, D / 4);
      const inZp = r(256) - 128, outZp = r(256) - 128, mult = 2 ** 30 + r(2 ** 30), shift = -r(16);
      probe.mean(1, X, D, Y, 6, inZp, outZp, mult, shift);
      probe.mean(0, X, D, Y2, 6, inZp, outZp, mult, shift);
      const mem = new Int8Array(probe.memory.buffer);
      assert.equal(Array.from(mem.subarray(Y, Y + yBytes)), Array.from(mem.subarray(Y2, Y2 + yBytes)), `${name} case ${t} dims ${d}`);
    }
  }
});

test('TRANSPOSE: the column order == the row order, every permutation', () => {
  const r = rng(707);
  const perms: number[][] = [];
  for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) for (let c = 0; c < 4; c++) for (let e = 0; e < 4; e++) {
    if (new Set([a, b, c, e]).size === 4) perms.push([a, b, c, e]);
  }
  for (const [name, probe] of PROBES) {
    for (const perm of perms) {
      for (let t = 0; t < 4; t++) {
        const xd = [1 + r(3), 1 + r(6), 1 + r(12), 1 + r(12)];
        const yd = perm.map((p) => xd[p]);
        const n = xd.reduce((p, v) => p * v, 1);
        const x = Int8Array.from({ length: n }, () => r(256) - 128);
        const { D, X, Y, Y2 } = place(probe, x, n);
        new Int32Array(probe.memory.buffer).set([...xd, ...yd, ...perm], D / 4);
        probe.transpose(1, X, D, Y, D + 16, D + 32);
        probe.transpose(0, X, D, Y2, D + 16, D + 32);
        const mem = new Int8Array(probe.memory.buffer);
        assert.equal(Array.from(mem.subarray(Y, Y + n)), Array.from(mem.subarray(Y2, Y2 + n)), `${name} perm ${perm} dims ${xd}`);
      }
    }
  }
});

test.run();
