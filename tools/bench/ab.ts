// Interleaved A/B of runtime builds on the shared models: the before/after measure of a kernel
// change, stricter than `npm run bench --baseline-wasm` on a shared machine (short samples,
// the builds alternating sample by sample, their order rotating each round).
//
//   node dist/tools/bench/ab.js [--models a,b] [--rounds N] [--ops] [--unchecked] [--wide] BASE.wasm NEW.wasm [MORE.wasm ...]
//
// Whole inferences: per model and build the median and 10th percentile of ~2 ms samples, and
// each build's ratio to the first. --ops: each op alone instead (ep_invoke_op, as the bench's
// profile), per op the medians of BASE and NEW and their ratio, then the sums. Every build must
// give the first one's outputs (checked before timing; --unchecked skips that, for stand-in
// builds that measure what a part of a kernel costs and give wrong outputs). --wide loads with
// the widened weights (wide.ts), as Node's loader does for a scalar build. Prints ratios only from one process:
// this machine's level moves by tens of percent between processes.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, Model } from '../../src/runtime/loader.js';
import { SHARED_MODELS } from './paths.js';
import { convert, emittedOps, opLabel, quantile } from './edgepack.js';

const DEFAULT_MODELS = ['person_detect', 'ic_resnet8_int8', 'kws_dscnn_int8', 'sww_dscnn_int8', 'mobilenet_v2_224_nchw_int8'];

interface Args { models: string[]; rounds: number; ops: boolean; unchecked: boolean; wide: boolean; wasms: string[] }

function parse(argv: string[]): Args {
  const a: Args = { models: DEFAULT_MODELS, rounds: 80, ops: false, unchecked: false, wide: false, wasms: [] };
  for (let i = 0; i < argv.length; i++) {
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    if (argv[i] === '--models') a.models = v().split(',');
    else if (argv[i] === '--rounds') a.rounds = Math.max(3, Number(v()));
    else if (argv[i] === '--ops') a.ops = true;
    else if (argv[i] === '--unchecked') a.unchecked = true;
    else if (argv[i] === '--wide') a.wide = true;
    else if (argv[i].startsWith('--')) throw new Error(`unknown option ${argv[i]}`);
    else a.wasms.push(argv[i]);
  }
  if (a.wasms.length < 2) throw new Error('usage: ab.js [--models a,b] [--rounds N] [--ops] [--unchecked] [--wide] BASE.wasm NEW.wasm [MORE.wasm ...]');
  return a;
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Deterministic input bytes, the same for every build. */
function inputFor(m: Model): Uint8Array {
  const x = new Uint8Array(m.inputBytes(0));
  for (let i = 0; i < x.length; i++) x[i] = (Math.imul(i + 1, 2654435761) >>> 24) & 255;
  return x;
}

function wholeModel(name: string, builds: Model[], labels: string[], rounds: number): void {
  const input = inputFor(builds[0]);
  let t0 = performance.now(), k = 0;
  while (performance.now() - t0 < 50) { builds[0].run(input); k++; }
  const reps = Math.max(1, Math.round(k / 25)); // ~2 ms per sample
  const samples = builds.map((): number[] => []);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < builds.length; j++) {
      const b = (r + j) % builds.length;
      t0 = performance.now();
      for (let i = 0; i < reps; i++) builds[b].run(input);
      samples[b].push((performance.now() - t0) / reps);
    }
  }
  const med = samples.map((s) => quantile(s, 0.5)), p10 = samples.map((s) => quantile(s, 0.1));
  const cells = labels.map((l, j) => `${l} ${med[j].toFixed(4)} ms`).join('  ');
  console.log(`${name}: ${cells}; median ratios ${med.map((v) => (v / med[0]).toFixed(3)).join(' ')}; p10 ratios ${p10.map((v) => (v / p10[0]).toFixed(3)).join(' ')}`);
}

function perOp(name: string, builds: Model[], labels: string[], rounds: number, ops: string[]): void {
  const [a, b] = builds;
  const ea = a.exports as unknown as { ep_op_count(): number; ep_invoke_op(i: number): void };
  const eb = b.exports as unknown as { ep_invoke_op(i: number): void };
  const input = inputFor(a);
  a.run(input); b.run(input); // every op's input in place
  const n = ea.ep_op_count();
  const ta = Array.from({ length: n }, (): number[] => []), tb = Array.from({ length: n }, (): number[] => []);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < n; i++) {
      const order: [typeof ea, number[]][] = r & 1 ? [[eb as typeof ea, tb[i]], [ea, ta[i]]] : [[ea, ta[i]], [eb as typeof ea, tb[i]]];
      for (const [e, t] of order) {
        const t0 = performance.now();
        e.ep_invoke_op(i);
        t.push(performance.now() - t0);
      }
    }
  }
  let sa = 0, sb = 0;
  console.log(`${name}, each op alone (${labels[0]} -> ${labels[1]}, medians of ${rounds}):`);
  for (let i = 0; i < n; i++) {
    const ma = quantile(ta[i], 0.5), mb = quantile(tb[i], 0.5);
    sa += ma; sb += mb;
    console.log(`  ${String(i).padStart(3)} ${(ops[i] ?? '?').padEnd(36)} ${(ma * 1000).toFixed(1).padStart(8)} us ${(mb * 1000).toFixed(1).padStart(8)} us  ${(mb / ma).toFixed(3)}`);
  }
  console.log(`  sum ${sa.toFixed(3)} ms -> ${sb.toFixed(3)} ms, ratio ${(sb / sa).toFixed(3)}`);
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const modules = args.wasms.map((w) => new WebAssembly.Module(readFileSync(w)));
  const labels = args.wasms.map((w, j) => `${j}:${w.split('/').pop()}`);
  for (const name of args.models) {
    const packed = convert(new Uint8Array(readFileSync(join(SHARED_MODELS, `${name}.tflite`))), `${name}.tflite`);
    const builds = await Promise.all(modules.map((m) => loadModel(m, packed.epk, undefined, args.wide)));
    const input = inputFor(builds[0]);
    const want = builds[0].run(input)[0];
    for (const b of builds) { const t0 = performance.now(); while (performance.now() - t0 < 200) b.run(input); } // past V8's tier-up
    builds.forEach((b, j) => { if (!args.unchecked && !same(b.run(input)[0], want)) throw new Error(`${name}: ${labels[j]} gives other outputs than ${labels[0]}`); });
    if (args.ops) perOp(name, builds, labels, args.rounds, emittedOps(packed.graph).map(opLabel));
    else wholeModel(name, builds, labels, args.rounds);
  }
}

main().catch((e) => { console.error((e as Error).message); process.exit(1); });
