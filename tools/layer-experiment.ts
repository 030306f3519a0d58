// Per-layer compression error in and out of sample, ic_resnet8_int8: statistics on the 200
// calibration images (i % 5 == PHASE of the shared CIFAR-10 dev set) and, separately, on the
// other 800; every filter compressed on the calibration statistics at several widths
// (compensate-weights, as the size budget does), then its relative output error (bias
// correction included) printed on both sets. A change of the compression that lowers the
// held-out column lowers the error per byte for real; the calibration column alone flatters.
// --gain: each row also scaled by its least-squares gain on the calibration statistics (what a
// per-channel multiplier refit would give; measured, not built: docs/compression.md "Sixth round").
// --rate MU: the entropy-constrained assignment (compensate.ts `rate`) at rate weight MU.
// Usage: node dist/tools/layer-experiment.js [--phase P] [--levels 16,8,6,4,3] [--gain] [--rate MU]

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { preparedGraph } from '../src/compress/calibrated.js';
import { LayerStats, collectLayerStats, statsForRow } from '../src/compress/layer-stats.js';
import { quadForm } from '../src/compress/linalg.js';
import { Compressed, LayerOutcome, compensateWeights } from '../src/passes/compensate-weights.js';
import { weightRefs } from '../src/passes/weights.js';

const SHARED = join(process.cwd(), '..', 'shared');
const read = (p: string) => new Uint8Array(readFileSync(join(SHARED, p)));
const arg = (name: string, d: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : d);
const phase = Number(arg('--phase', '0'));
const levelsList = arg('--levels', '16,8,6,4,3').split(',').map(Number);
const rate = Number(arg('--rate', '0'));

const bin = read('data/cifar10/cifar10_test_dev1000_u8_rgb_hwc.bin');
const image = (i: number) => Uint8Array.from(bin.subarray(i * 3072, (i + 1) * 3072), (v) => (v - 128) & 0xff);
const idx = Array.from({ length: 1000 }, (_, i) => i);
const calib = idx.filter((i) => i % 5 === phase).map((i) => [image(i)]);
const held = idx.filter((i) => i % 5 !== phase).map((i) => [image(i)]);

const src = read('models/ic_resnet8_int8.tflite');
const g = preparedGraph(src, 'r8', {});
const cs = await collectLayerStats(g, calib);
const hs = await collectLayerStats(g, held);

/** Relative output error of q against w on stats s, the bias taking back d . (calibration mean). */
function relError(w: Int8Array, q: Int8Array, ref: ReturnType<typeof weightRefs>[number], s: LayerStats, c: LayerStats, gain = false): number {
  const { rows, rowElems: k, channelLast } = ref.layout;
  const sc = ref.tensor.quant!.scale;
  const at = channelLast ? (r: number, i: number) => i * rows + r : (r: number, i: number) => r * k + i;
  let e = 0, sig = 0;
  const d = new Float64Array(k), wr = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    const { gram, mean } = statsForRow(s, r), cm = statsForRow(c, r).mean;
    let alpha = 1;
    if (gain) {
      // per-row gain fitted on the calibration statistics, centred (the bias takes the mean)
      const cg = statsForRow(c, r).gram, qr = new Float64Array(k);
      for (let i = 0; i < k; i++) (qr[i] = q[at(r, i)]), (wr[i] = w[at(r, i)]);
      let qm = 0, wm = 0;
      for (let i = 0; i < k; i++) (qm += qr[i] * cm[i]), (wm += wr[i] * cm[i]);
      let qhw = 0;
      for (let i = 0; i < k; i++) { let t = 0; for (let j = 0; j < k; j++) t += cg[i * k + j] * wr[j]; qhw += qr[i] * t; }
      const num = qhw - c.patches * qm * wm, den = quadForm(cg, qr, k) - c.patches * qm * qm;
      if (den > 0) alpha = num / den;
    }
    for (let i = 0; i < k; i++) (d[i] = alpha * q[at(r, i)] - w[at(r, i)]), (wr[i] = w[at(r, i)]);
    let dm = 0, dc = 0;
    for (let i = 0; i < k; i++) (dm += d[i] * mean[i]), (dc += d[i] * cm[i]);
    const b = Math.round(dc), n = s.patches;
    const s2 = sc[sc.length > 1 ? r : 0] ** 2;
    e += s2 * (quadForm(gram, d, k) - 2 * b * n * dm + n * b * b);
    sig += s2 * quadForm(gram, wr, k);
  }
  return e / sig;
}

const db = (x: number) => (-10 * Math.log10(x)).toFixed(2);
const refs = weightRefs(g);
let sumC = 0, sumH = 0, n = 0;
for (const levels of levelsList) {
  const bits = Math.ceil(Math.log2(levels));
  const layers = Object.fromEntries(refs.map((r) => [r.op.sourceIndex, bits]));
  const levelsLayers = Object.fromEntries(refs.map((r) => [r.op.sourceIndex, levels]));
  const ratesLayers = Object.fromEntries(refs.map((r) => [r.op.sourceIndex, rate]));
  const outcome = new Map<number, LayerOutcome>();
  const cache = new Map<string, Compressed>();
  const out = compensateWeights({ stats: cs, layers, levelsLayers, ratesLayers, outcome, cache })(g);
  const conv = convertModel(src, 'r8', { log: () => {}, compress: { huffman: true, codebookLayers: layers, levelsLayers, ratesLayers, calibration: { stats: cs, cache } } });
  const stored = new Map(weightRefs(conv.graph).map((r) => [r.op.sourceIndex, r.tensor.packed ? r.tensor.packed.blob.length : (r.tensor.data as Int8Array).length]));
  const line: string[] = [];
  for (const ref of refs) {
    const s = cs.get(ref.t), h = hs.get(ref.t);
    if (!s || !h) continue;
    const w = ref.tensor.data as Int8Array, t = out.tensors[ref.t], q = t.data as Int8Array;
    const bytes = ` ${stored.get(ref.op.sourceIndex)}B`;
    const gain = process.argv.includes('--gain');
    const ec = relError(w, q, ref, s, s, gain), eh = relError(w, q, ref, h, s, gain);
    sumC += Math.log10(ec);
    sumH += Math.log10(eh);
    n++;
    line.push(`op${ref.op.sourceIndex} ${db(ec)}/${db(eh)}${outcome.get(ref.op.sourceIndex)?.method === 'data-free' ? '*' : ''}${bytes}`);
  }
  console.log(`${levels} levels (${conv.epk.length} B): ${line.join('  ')}`);
}
console.log(`mean layer SQNR dB: calibration ${(-10 * sumC / n).toFixed(3)}, held-out ${(-10 * sumH / n).toFixed(3)}`);
