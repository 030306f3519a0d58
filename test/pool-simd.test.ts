// The SIMD build's pooling (assembly/kernels/pool.ts poolGroups16: 16 channels per step, max in
// i8x16 lanes, average summed in i16 lanes), the full scalar build's (poolGroups4: 4 channels per
// i32 load) and the streamed build's per-channel loop (which the firmware runtimes run) against a
// JavaScript reference of TFLite's int8 pooling (windows clipped to the image, the average
// rounded half away from zero over the clipped count), on random shapes, paddings, strides and
// activations, and on the values that stress the i16 sums: 256 pixels of -128 (i16's minimum)
// and a 17x17 window (289 pixels, past the i16 bound: the scalar loop takes it).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';

interface PoolCase { type: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D'; h: number; w: number; c: number; fh: number; fw: number; sh: number; sw: number; padding: 'SAME' | 'VALID'; activation: string; x: Int8Array }

function outSize(n: number, f: number, s: number, padding: string): number {
  return padding === 'SAME' ? Math.ceil(n / s) : Math.floor((n - f) / s) + 1;
}

/** TFLite's reference int8 pooling with scale 1, zero point 0 (activation bounds: NONE -128..127, RELU 0..127, RELU6 0..6). */
function reference(k: PoolCase): number[] {
  const oh = outSize(k.h, k.fh, k.sh, k.padding), ow = outSize(k.w, k.fw, k.sw, k.padding);
  const padT = k.padding === 'SAME' ? Math.max(0, Math.floor(((oh - 1) * k.sh + k.fh - k.h) / 2)) : 0;
  const padL = k.padding === 'SAME' ? Math.max(0, Math.floor(((ow - 1) * k.sw + k.fw - k.w) / 2)) : 0;
  const [lo, hi] = k.activation === 'RELU' ? [0, 127] : k.activation === 'RELU6' ? [0, 6] : [-128, 127];
  const y: number[] = [];
  for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < k.c; ch++) {
    let acc = k.type === 'MAX_POOL_2D' ? -128 : 0, count = 0;
    for (let fy = 0; fy < k.fh; fy++) for (let fx = 0; fx < k.fw; fx++) {
      const iy = oy * k.sh - padT + fy, ix = ox * k.sw - padL + fx;
      if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w) continue;
      const v = k.x[(iy * k.w + ix) * k.c + ch];
      acc = k.type === 'MAX_POOL_2D' ? Math.max(acc, v) : acc + v;
      count++;
    }
    if (k.type === 'AVERAGE_POOL_2D') acc = count === 0 ? 0 : acc > 0 ? Math.trunc((acc + Math.trunc(count / 2)) / count) : Math.trunc((acc - Math.trunc(count / 2)) / count);
    y.push(Math.min(hi, Math.max(lo, acc)));
  }
  return y;
}

function model(k: PoolCase): Uint8Array {
  const b = new TfliteBuilder();
  const q = { scale: [1], zeroPoint: [0] };
  const x = b.tensor('x', [1, k.h, k.w, k.c], 'int8', q);
  const y = b.tensor('y', [1, outSize(k.h, k.fh, k.sh, k.padding), outSize(k.w, k.fw, k.sw, k.padding), k.c], 'int8', q);
  b.op(k.type, [x], [y], { padding: k.padding, strideH: k.sh, strideW: k.sw, filterH: k.fh, filterW: k.fw, activation: k.activation });
  b.io([x], [y]);
  return b.finish();
}

async function check(k: PoolCase, name: string): Promise<void> {
  const { epk } = convertModel(model(k), 'pool.tflite');
  const want = reference(k);
  for (const target of ['scalar', 'simd'] as const) {
    const m = await loadModelNode(epk, target);
    const [y] = m.run(new Uint8Array(k.x.buffer));
    assert.equal(Array.from(new Int8Array(y.buffer, y.byteOffset, y.length)), want, `${name} (${target})`);
  }
  const [y] = (await loadModelStreamed(epk)).run(new Uint8Array(k.x.buffer));
  assert.equal(Array.from(new Int8Array(y.buffer, y.byteOffset, y.length)), want, `${name} (streamed: the per-channel loop)`);
}

/** Small deterministic PRNG (mulberry32), so a failure names a reproducible case. */
function rng(seed: number): (lo: number, hi: number) => number {
  let s = seed >>> 0;
  return (lo, hi) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return lo + Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * (hi - lo + 1));
  };
}

test('pooling: SIMD groups of 16 channels == scalar groups of 4 == per-channel loop == reference, 60 random cases', async () => {
  const r = rng(1234);
  for (let i = 0; i < 60; i++) {
    const [h, w] = [r(1, 12), r(1, 12)];
    const c = [1, 8, 15, 16, 17, 31, 32, 33, 48, 64][r(0, 9)];
    let [fh, fw] = [r(1, 5), r(1, 5)];
    const padding = r(0, 1) ? 'SAME' : 'VALID';
    if (padding === 'VALID') { fh = Math.min(fh, h); fw = Math.min(fw, w); }
    const x = Int8Array.from({ length: h * w * c }, () => (r(0, 7) === 0 ? [-128, 127][r(0, 1)] : r(-128, 127)));
    const k: PoolCase = { type: r(0, 1) ? 'MAX_POOL_2D' : 'AVERAGE_POOL_2D', h, w, c, fh, fw, sh: r(1, 3), sw: r(1, 3), padding, activation: ['NONE', 'RELU', 'RELU6'][r(0, 2)], x };
    await check(k, `case ${i}: ${JSON.stringify({ ...k, x: undefined })}`);
  }
});

test('pooling at the extremes: 256 pixels of -128 and of 127 (the SIMD i16 sums), 289 pixels (the scalar loop), max over -128 only', async () => {
  for (const type of ['AVERAGE_POOL_2D', 'MAX_POOL_2D'] as const) {
    for (const [side, v] of [[16, -128], [16, 127], [17, -128], [17, 127]] as const) {
      for (const c of [16, 20]) {
        const x = new Int8Array(side * side * c).fill(v);
        x[c + 3] = v === -128 ? -127 : 126; // one value off the extreme in channel 3: a sum that is not a multiple of the count
        await check({ type, h: side, w: side, c, fh: side, fw: side, sh: 1, sw: 1, padding: 'VALID', activation: 'NONE', x }, `${type} global ${side}x${side} of ${v}, ${c} channels`);
      }
    }
  }
});

test.run();
