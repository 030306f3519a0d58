// ONNX GRU (forward, reverse, bidirectional; layout 0, default activations, linear_before_reset 0 and 1) -> float32
// ops unrolled over the sequence (src/import/onnx/gru.ts). Compared with a plain TypeScript
// reference of ONNX's GRU equations in float64 on the same f32 weights and inputs, in the simd,
// scalar and streamed builds, within GRU_BUDGET; the imported (unrolled) graph written back as a
// .tflite runs in tflm-run within GRU_BUDGET too (most outputs bit-equal: the float LOGISTIC and
// TANH differ from glibc's by an ulp at times, as in test/ops-f32-tflm.test.ts). Also Y_h, initial_h (constant or a graph
// input), calibration to int8, and the refusals by name.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { convertModel } from '../src/convert.js';
import { ConvertError } from '../src/ir/graph.js';
import { loadModelNode } from '../src/runtime/node.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { Attr, OnnxBuilder } from '../src/testing/onnx-builder.js';
import { importOnnx } from '../src/import/onnx/index.js';
import { Graph } from '../src/ir/graph.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { hasTflm, randInt, rng, runTflm } from './tflm-oracle.js';

/**
 * Largest |edgepack - reference| allowed: f32 sums of up to 8 products (FULLY_CONNECTED) and
 * f32 Sigmoid/Tanh against float64, up to 5 steps deep; GRU states stay in (-1, 1), so 1e-6 is
 * ~8 f32 ulps at 1 (seen: 1.5e-7) and far below any gate-order or bias mistake (1e-2 and more).
 */
const GRU_BUDGET = 1e-6;

interface Spec { steps: number; batch: number; nIn: number; hidden: number; withBias: boolean; lbr: 0 | 1; init: 'absent' | 'constant' | 'input'; yh: boolean }

interface Gru { model: Uint8Array; spec: Spec; W: Float32Array; R: Float32Array; B: Float32Array; h0?: Float32Array }

function build(r: () => number, spec: Spec, attrs: Record<string, Attr> = {}): Gru {
  const { steps, batch, nIn, hidden: H } = spec;
  const u = (n: number, s: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
  const W = u(3 * H * nIn, 1.5 / Math.sqrt(nIn)), R = u(3 * H * H, 1.5 / Math.sqrt(H));
  const B = spec.withBias ? u(6 * H, 0.5) : new Float32Array(6 * H);
  const o = new OnnxBuilder();
  const x = o.input('x', [steps, batch, nIn]);
  const ins = [x, o.init([1, 3 * H, nIn], W), o.init([1, 3 * H, H], R), spec.withBias || spec.init !== 'absent' ? o.init([1, 6 * H], B) : ''];
  let h0: Float32Array | undefined;
  if (spec.init === 'constant') { h0 = u(batch * H, 0.9); ins.push('', o.init([1, batch, H], h0)); }
  if (spec.init === 'input') ins.push('', o.input('h0', [1, batch, H]));
  const y = o.node('GRU', ins, { hidden_size: H, linear_before_reset: spec.lbr, ...attrs }, spec.yh ? 2 : 1);
  o.output(y, [steps, 1, batch, H]);
  if (spec.yh) o.output(`gru_${Number(y.split('_')[1]) + 1}`, [1, batch, H]);
  return { model: o.build(), spec, W, R, B, h0 };
}

/** ONNX GRU, forward, gates z, r, h, in float64: Y [T, 1, B, H] as T*B*H values. */
function reference(g: Gru, X: Float32Array, h0: Float32Array | undefined): number[] {
  const { steps, batch, nIn, hidden: H, lbr } = g.spec;
  const { W, R, B } = g;
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const Y: number[] = [];
  let h = Array.from({ length: batch * H }, (_, i) => (h0 ? h0[i] : 0));
  for (let t = 0; t < steps; t++) {
    const next: number[] = [];
    for (let b = 0; b < batch; b++) {
      const xt = (i: number) => X[(t * batch + b) * nIn + i];
      const hp = (k: number) => h[b * H + k];
      const xw = (gate: number, j: number) => { let s = 0; for (let i = 0; i < nIn; i++) s += xt(i) * W[(gate * H + j) * nIn + i]; return s + B[gate * H + j]; };
      const hr = (gate: number, j: number, v: (k: number) => number) => { let s = 0; for (let k = 0; k < H; k++) s += v(k) * R[(gate * H + j) * H + k]; return s; };
      const z = Array.from({ length: H }, (_, j) => sig(xw(0, j) + hr(0, j, hp) + B[(3 + 0) * H + j]));
      const rr = Array.from({ length: H }, (_, j) => sig(xw(1, j) + hr(1, j, hp) + B[(3 + 1) * H + j]));
      for (let j = 0; j < H; j++) {
        const cand = Math.tanh(lbr
          ? xw(2, j) + rr[j] * (hr(2, j, hp) + B[5 * H + j])
          : xw(2, j) + hr(2, j, (k) => rr[k] * hp(k)) + B[5 * H + j]);
        next.push((1 - z[j]) * cand + z[j] * hp(j));
      }
    }
    h = next;
    Y.push(...h);
  }
  return Y;
}

function randomSpec(r: () => number): Spec {
  return {
    steps: randInt(r, 1, 5), batch: randInt(r, 1, 3), nIn: randInt(r, 1, 8), hidden: randInt(r, 1, 8), withBias: r() < 0.8,
    lbr: r() < 0.5 ? 0 : 1, init: (['absent', 'constant', 'input'] as const)[randInt(r, 0, 2)], yh: r() < 0.5,
  };
}

const f32 = (b: Uint8Array) => new Float32Array(Uint8Array.from(b).buffer);
const bytes = (v: Float32Array) => new Uint8Array(v.buffer);

test('ONNX GRU (linear_before_reset 0 and 1, initial_h absent/constant/input, Y and Y_h) matches the float64 equations within GRU_BUDGET in simd, scalar, streamed', async () => {
  const r = rng(1010);
  let worst = 0;
  for (let c = 0; c < 24; c++) {
    const spec = randomSpec(r);
    const g = build(r, spec);
    const what = JSON.stringify(spec);
    const { epk } = convertModel(g.model, 'gru.onnx', { log: () => {} });
    const { steps, batch, nIn, hidden: H } = spec;
    const X = Float32Array.from({ length: steps * batch * nIn }, () => (r() * 2 - 1) * 2);
    const h0 = spec.init === 'input' ? Float32Array.from({ length: batch * H }, () => r() * 2 - 1) : g.h0;
    const want = reference(g, X, h0);
    const inputs = spec.init === 'input' ? [bytes(X), bytes(h0!)] : [bytes(X)];
    for (const [build, m] of [['simd', await loadModelNode(epk, 'simd')], ['scalar', await loadModelNode(epk, 'scalar')], ['streamed', await loadModelStreamed(epk)]] as const) {
      for (let invoke = 0; invoke < 2; invoke++) { // no state carries over between invokes
        const outs = m.run(...inputs);
        assert.is(outs.length, spec.yh ? 2 : 1, what);
        const y = f32(outs[0]);
        assert.is(y.length, steps * batch * H, what);
        y.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(v - want[i]));
          assert.ok(Math.abs(v - want[i]) <= GRU_BUDGET, `${what} ${build} invoke ${invoke} Y[${i}]: ${v} vs ${want[i]}`);
        });
        if (spec.yh) assert.equal(Array.from(f32(outs[1])), Array.from(y.slice((steps - 1) * batch * H)), `${what} ${build}: Y_h is Y's last step`);
      }
    }
  }
  console.log(`  largest |edgepack - float64 reference| over 24 GRUs: ${worst.toExponential(2)} (budget ${GRU_BUDGET})`);
});

/** The imported graph (before any pass) as a .tflite: the unrolled GRU as TFLite ops, for tflm-run. */
function toTflite(g: Graph): Uint8Array {
  const b = new TfliteBuilder();
  const ids = g.tensors.map((t) => (t.data ? b.constant(t.name, t.shape, t.dtype as 'float32' | 'int32', t.data as Float32Array | Int32Array) : b.tensor(t.name, t.shape, t.dtype as 'float32')));
  for (const op of g.ops) b.op(op.type, op.inputs.map((t) => (t < 0 ? -1 : ids[t])), op.outputs.map((t) => ids[t]), op.options);
  b.io(g.inputs.map((t) => ids[t]), g.outputs.map((t) => ids[t]));
  return b.finish();
}

test('the unrolled ONNX GRU, written as a .tflite, runs in tflm-run within GRU_BUDGET of the .epk in simd, scalar, streamed (LOGISTIC, TANH: Mathf vs glibc, the rest bit-equal)', async () => {
  if (!hasTflm) { console.log('  (skipped: needs ../shared/tools/tflm-run/tflm-run, which is absent)'); return; }
  const r = rng(1013);
  let worst = 0, equal = 0, compared = 0;
  for (let c = 0; c < 12; c++) {
    const spec = randomSpec(r);
    const g = build(r, spec);
    const what = JSON.stringify(spec);
    const tflite = toTflite(importOnnx(g.model, 'gru.onnx'));
    const { epk } = convertModel(g.model, 'gru.onnx', { log: () => {} });
    const X = Float32Array.from({ length: spec.steps * spec.batch * spec.nIn }, () => (r() * 2 - 1) * 2);
    const inputs = spec.init === 'input' ? [bytes(X), bytes(Float32Array.from({ length: spec.batch * spec.hidden }, () => r() * 2 - 1))] : [bytes(X)];
    const want = runTflm(tflite, [inputs])[0];
    for (const [build, m] of [['simd', await loadModelNode(epk, 'simd')], ['scalar', await loadModelNode(epk, 'scalar')], ['streamed', await loadModelStreamed(epk)]] as const) {
      const got = f32(Buffer.concat(m.run(...inputs))), w = f32(want);
      assert.is(got.length, w.length, what);
      got.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - w[i]));
        assert.ok(Math.abs(v - w[i]) <= GRU_BUDGET, `${what} ${build} [${i}]: ${v} vs tflm-run ${w[i]}`);
        if (v === w[i]) equal++;
        compared++;
      });
    }
  }
  console.log(`  vs tflm-run: ${equal} of ${compared} outputs bit-equal, largest difference ${worst.toExponential(2)}`);
});

/** Largest |int8 GRU - float64 reference| allowed after --calibrate: ~19 int8 requantizations a step (outputs in (-1, 1), steps of ~1/128), 4 steps deep (seen: 0.019). */
const GRU_INT8_BUDGET = 0.05;

test('ONNX GRU calibrates to int8 (every op has an int8 kernel) and stays within GRU_INT8_BUDGET of the equations', async () => {
  const r = rng(1012);
  let worst = 0;
  for (let c = 0; c < 6; c++) {
    const spec: Spec = { steps: 4, batch: randInt(r, 1, 2), nIn: randInt(r, 2, 6), hidden: randInt(r, 2, 6), withBias: true, lbr: c % 2 === 0 ? 0 : 1, init: 'absent', yh: false };
    const g = build(r, spec);
    const n = spec.steps * spec.batch * spec.nIn;
    const samples = Array.from({ length: 32 }, () => [Float32Array.from({ length: n }, () => (r() * 2 - 1) * 2)]);
    const { epk } = convertModel(g.model, 'gru.onnx', { log: () => {}, quantize: { samples } });
    const m = await loadModelNode(epk, 'scalar');
    for (const [X] of samples.slice(0, 4)) {
      const want = reference(g, X, undefined);
      f32(m.run(bytes(X))[0]).forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - want[i]));
        assert.ok(Math.abs(v - want[i]) <= GRU_INT8_BUDGET, `${JSON.stringify(spec)} Y[${i}]: ${v} vs ${want[i]}`);
      });
    }
  }
  console.log(`  largest |int8 - float64 reference| over 6 calibrated GRUs: ${worst.toFixed(4)} (budget ${GRU_INT8_BUDGET})`);
});

interface DirGru { model: Uint8Array; D: number; W: Float32Array; R: Float32Array; B: Float32Array; h0?: Float32Array }

/** An ONNX GRU of `direction` with Y and Y_h; initial_h [D, B, H] absent, constant or a graph input. */
function buildDirection(r: () => number, spec: Spec, direction: 'reverse' | 'bidirectional'): DirGru {
  const { steps, batch, nIn, hidden: H } = spec;
  const D = direction === 'bidirectional' ? 2 : 1;
  const u = (n: number, s: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * s);
  const W = u(D * 3 * H * nIn, 1.5 / Math.sqrt(nIn)), R = u(D * 3 * H * H, 1.5 / Math.sqrt(H)), B = u(D * 6 * H, 0.5);
  const o = new OnnxBuilder();
  const x = o.input('x', [steps, batch, nIn]);
  const ins = [x, o.init([D, 3 * H, nIn], W), o.init([D, 3 * H, H], R), o.init([D, 6 * H], B)];
  let h0: Float32Array | undefined;
  if (spec.init === 'constant') { h0 = u(D * batch * H, 0.9); ins.push('', o.init([D, batch, H], h0)); }
  if (spec.init === 'input') ins.push('', o.input('h0', [D, batch, H]));
  const y = o.node('GRU', ins, { hidden_size: H, linear_before_reset: spec.lbr, direction }, 2);
  o.output(y, [steps, D, batch, H]);
  o.output(`gru_${Number(y.split('_')[1]) + 1}`, [D, batch, H]);
  return { model: o.build(), D, W, R, B, h0 };
}

/** ONNX GRU of any direction in float64: Y [T, D, B, H] and Y_h [D, B, H] (direction 1 runs T-1 down to 0). */
function referenceDirections(g: DirGru, spec: Spec, X: Float32Array, h0: Float32Array | undefined): { y: Float64Array; yh: Float64Array } {
  const { steps: T, batch: Bn, nIn: I, hidden: H, lbr } = spec;
  const { D, W, R, B } = g;
  const reverseOf = (d: number) => D === 1 || d === 1;
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const y = new Float64Array(T * D * Bn * H), yh = new Float64Array(D * Bn * H);
  for (let d = 0; d < D; d++) {
    for (let b = 0; b < Bn; b++) {
      let h = Array.from({ length: H }, (_, k) => (h0 ? h0[(d * Bn + b) * H + k] : 0));
      for (let k = 0; k < T; k++) {
        const t = reverseOf(d) ? T - 1 - k : k;
        const xw = (gate: number, j: number) => { let v = B[(d * 6 + gate) * H + j]; for (let i = 0; i < I; i++) v += X[(t * Bn + b) * I + i] * W[((d * 3 + gate) * H + j) * I + i]; return v; };
        const hr = (gate: number, j: number, v: (q: number) => number) => { let a = 0; for (let q = 0; q < H; q++) a += v(q) * R[((d * 3 + gate) * H + j) * H + q]; return a; };
        const rb = (gate: number, j: number) => B[(d * 6 + 3 + gate) * H + j];
        const z = Array.from({ length: H }, (_, j) => sig(xw(0, j) + hr(0, j, (q) => h[q]) + rb(0, j)));
        const rr = Array.from({ length: H }, (_, j) => sig(xw(1, j) + hr(1, j, (q) => h[q]) + rb(1, j)));
        h = Array.from({ length: H }, (_, j) => {
          const cand = Math.tanh(lbr ? xw(2, j) + rr[j] * (hr(2, j, (q) => h[q]) + rb(2, j)) : xw(2, j) + hr(2, j, (q) => rr[q] * h[q]) + rb(2, j));
          return (1 - z[j]) * cand + z[j] * h[j];
        });
        h.forEach((v, j) => (y[((t * D + d) * Bn + b) * H + j] = v));
      }
      h.forEach((v, j) => (yh[(d * Bn + b) * H + j] = v));
    }
  }
  return { y, yh };
}

test('ONNX GRU reverse and bidirectional (linear_before_reset 0 and 1, initial_h absent/constant/input) match the float64 equations within GRU_BUDGET in simd, scalar, streamed', async () => {
  const r = rng(1014);
  let worst = 0;
  for (let c = 0; c < 16; c++) {
    const spec = { ...randomSpec(r), yh: true, withBias: true };
    const direction = c % 2 === 0 ? 'bidirectional' : 'reverse';
    const g = buildDirection(r, spec, direction);
    const what = `${direction} ${JSON.stringify(spec)}`;
    const { epk } = convertModel(g.model, 'gru.onnx', { log: () => {} });
    const { steps: T, batch: Bn, nIn, hidden: H } = spec;
    const X = Float32Array.from({ length: T * Bn * nIn }, () => (r() * 2 - 1) * 2);
    const h0 = spec.init === 'input' ? Float32Array.from({ length: g.D * Bn * H }, () => r() * 2 - 1) : g.h0;
    const want = referenceDirections(g, spec, X, h0);
    const inputs = spec.init === 'input' ? [bytes(X), bytes(h0!)] : [bytes(X)];
    for (const [build, m] of [['simd', await loadModelNode(epk, 'simd')], ['scalar', await loadModelNode(epk, 'scalar')], ['streamed', await loadModelStreamed(epk)]] as const) {
      const [yOut, yhOut] = m.run(...inputs).map(f32);
      // Y comes out NHWC [T, B, H, D]; the reference is ONNX's [T, D, B, H]
      for (let t = 0; t < T; t++) for (let d = 0; d < g.D; d++) for (let b = 0; b < Bn; b++) for (let j = 0; j < H; j++) {
        const v = yOut[((t * Bn + b) * H + j) * g.D + d], w = want.y[((t * g.D + d) * Bn + b) * H + j];
        worst = Math.max(worst, Math.abs(v - w));
        assert.ok(Math.abs(v - w) <= GRU_BUDGET, `${what} ${build} Y[${t}, ${d}, ${b}, ${j}]: ${v} vs ${w}`);
      }
      yhOut.forEach((v, k) => assert.ok(Math.abs(v - want.yh[k]) <= GRU_BUDGET, `${what} ${build} Y_h[${k}]: ${v} vs ${want.yh[k]}`));
    }
  }
  console.log(`  largest |edgepack - float64 reference| over 16 reverse/bidirectional GRUs: ${worst.toExponential(2)} (budget ${GRU_BUDGET})`);
});

test('ONNX GRU: an unknown direction, weights of the wrong direction count, layout 1, clip, sequence_lens: refused by name', () => {
  const r = rng(1011);
  const spec: Spec = { steps: 2, batch: 1, nIn: 3, hidden: 2, withBias: true, lbr: 0, init: 'absent', yh: false };
  const refused = (attrs: Record<string, Attr>, re: RegExp) => assert.throws(() => convertModel(build(r, spec, attrs).model, 'gru.onnx', { log: () => {} }),
    (e: unknown) => (e instanceof ConvertError && re.test(e.message)) || (console.log(String(e)), false));
  const head = 'gru\\.onnx: node 0 "GRU_0" \\(GRU\\): ';
  refused({ direction: 'sideways' }, new RegExp(head + 'direction "sideways" is not supported \\(forward, reverse, bidirectional\\)$'));
  refused({ direction: 'bidirectional' }, new RegExp(head + 'W "w_\\d+" has shape \\[1,6,3\\]; expected \\[2, 6, 3\\] \\(direction bidirectional\\)$'));
  refused({ layout: 1 }, new RegExp(head + 'layout 1 \\(batch first\\) is not supported'));
  refused({ clip: 3 }, new RegExp(head + 'clip'));
  const o = new OnnxBuilder();
  const x = o.input('x', [2, 1, 3]);
  const y = o.node('GRU', [x, o.init([1, 6, 3], new Array(18).fill(0.1)), o.init([1, 6, 2], new Array(12).fill(0.1)), '', o.input('lens', [1])], { hidden_size: 2 });
  o.output(y, [2, 1, 1, 2]);
  assert.throws(() => convertModel(o.build(), 'gru.onnx', { log: () => {} }), /gru\.onnx: node 0 "GRU_0" \(GRU\): sequence_lens \(input 4\) is not supported/);
});

test.run();
