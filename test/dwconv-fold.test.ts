// The SIMD depthwise kernel's folded 3x3 interior (assembly/kernels/dwconv-simd.ts): raw int8
// products summed two at a time in i16 and widened as t - 256, in_offset folded into the bias.
// Checked through the compiled kernel (assembly/probes/dwconv-probe.ts) against the reference
// sum of (x + in_offset) * w and gemmlowp's requantization, on the values that stress it: every
// input and weight -128 (a pair sums to 32768, one past i16), every mix of -128 and 127, and
// random values over the whole int8 range, with padding: border pixels sum their padding taps as
// the input zero point (DW_ZP), and a wrong zero point there fails every case.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mbqmRef } from './gemmlowp.js';
import { REPO } from '../tools/firmware/build.js';

interface Probe { memory: WebAssembly.Memory; heapBase(): number; dwconv3x3(x: number, inH: number, inW: number, c: number, w: number, bias: number, rq: number, y: number, outH: number, outW: number, p: number): void }

function buildProbe(): Probe {
  const dir = join(REPO, 'build', 'probes');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, 'dwconv-probe.wasm');
  execFileSync(join(REPO, 'node_modules', '.bin', 'asc'), ['assembly/probes/dwconv-probe.ts', '--enable', 'simd', '-O3', '--runtime', 'stub', '--use', 'abort=', '--outFile', out], { cwd: REPO });
  return new WebAssembly.Instance(new WebAssembly.Module(readFileSync(out)), {}).exports as unknown as Probe;
}

const probe = buildProbe();

interface Case { h: number; w: number; c: number; x: number[]; wt: number[]; bias: number[]; m: number[]; shift: number[]; inOff: number; outOff: number; pad: number }

/** Reference: valid taps only, (x + inOff) * w summed in exact integers, gemmlowp requantization. */
function reference(k: Case): number[] {
  const outH = k.h + 2 * k.pad - 2, outW = k.w + 2 * k.pad - 2, y: number[] = [];
  for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) for (let ch = 0; ch < k.c; ch++) {
    let acc = k.bias[ch];
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const iy = oy - k.pad + ky, ix = ox - k.pad + kx;
      if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w) continue;
      acc += (k.x[(iy * k.w + ix) * k.c + ch] + k.inOff) * k.wt[(ky * 3 + kx) * k.c + ch];
    }
    y.push(Math.min(127, Math.max(-128, mbqmRef(acc, k.m[ch], k.shift[ch]) + k.outOff)));
  }
  return y;
}

function run(k: Case): number[] {
  const outH = k.h + 2 * k.pad - 2, outW = k.w + 2 * k.pad - 2;
  const base = probe.heapBase();
  const X = base, W = X + 4096, B = W + 1024, RQ = B + 1024, Y = RQ + 1024, P = Y + 4096;
  const i8 = new Int8Array(probe.memory.buffer), i32 = new Int32Array(probe.memory.buffer);
  i8.set(k.x, X); i8.set(k.wt, W); i32.set(k.bias, B / 4);
  for (let ch = 0; ch < k.c; ch++) {
    const q = RQ / 4 + (ch >> 2) * 12 + (ch & 3), s = k.shift[ch];
    i32[q] = k.m[ch]; i32[q + 4] = 2 ** Math.max(s, 0); i32[q + 8] = 1023 - Math.max(-s, 0);
  }
  i32.set([1, 1, 1, 1, k.pad, k.pad, k.inOff, k.outOff, -128, 127, 1], P / 4);
  probe.dwconv3x3(X, k.h, k.w, k.c, W, B, RQ, Y, outH, outW, P);
  return Array.from(new Int8Array(probe.memory.buffer, Y, outH * outW * k.c));
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s; };
}

function makeCase(r: () => number, c: number, pick: (i: number) => number, pickW: (i: number) => number, inOff: number): Case {
  const h = 6, w = 5;
  return {
    h, w, c, pad: 1, inOff, outOff: (r() % 21) - 10,
    x: Array.from({ length: h * w * c }, (_, i) => pick(i)),
    wt: Array.from({ length: 9 * c }, (_, i) => pickW(i)),
    bias: Array.from({ length: c }, () => (r() % 20001) - 10000),
    m: Array.from({ length: c }, () => 2 ** 30 + (r() >>> 2)),
    shift: Array.from({ length: c }, () => -(9 + (r() % 5))),
  };
}

test('all inputs and weights -128 (pair sums of 32768), every in_offset sign', () => {
  const r = rng(7);
  for (const inOff of [0, 128, -127, 5]) {
    const k = makeCase(r, 16, () => -128, () => -128, inOff);
    assert.equal(run(k), reference(k), `in_offset ${inOff}`);
  }
});

test('-128 and 127 mixed, random over the int8 range, channel counts 8 to 40 with a tail', () => {
  const r = rng(14);
  for (let t = 0; t < 200; t++) {
    const c = 8 * (1 + (t % 5)) + (t % 3 === 0 ? 3 : 0);
    const v = (i: number) => (t % 2 === 0 ? ((r() >> 7) & 1 ? 127 : -128) : (r() % 256) - 128);
    const k = makeCase(r, c, v, v, (r() % 256) - 127);
    assert.equal(run(k), reference(k), `case ${t}`);
  }
});

test('a bias near the f64 path\'s bound: the interior sweep with its range check, some quads on requant4', () => {
  // One channel's bias of ~2^21 keeps the folded bias plus 9 * 128^2 above rqfBias (2^21 for
  // these right shifts), so the sweep checks every group's range; the others' accumulators stay
  // inside it. Biases of +-2^21 +- 2^18 put some quads outside (requant4).
  const r = rng(21);
  for (let t = 0; t < 60; t++) {
    const c = 8 * (1 + (t % 4)) + (t % 3 === 0 ? 5 : 0);
    const v = () => (r() % 256) - 128;
    const k = makeCase(r, c, v, v, (r() % 256) - 127);
    k.bias[t % c] = (t % 2 ? 1 : -1) * (2 ** 21 - (t % 4 === 0 ? 2 ** 17 : -(2 ** 18)));
    assert.equal(run(k), reference(k), `case ${t}`);
  }
});

test.run();
