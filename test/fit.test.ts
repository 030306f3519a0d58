// fit: person_detect goes onto an nrf52840 (256 KiB RAM, 1 MiB flash) in streamed mode and
// the written .epk runs golden-exact there; a model built here that cannot fit a small
// board is refused with the exact shortfall, and nothing is written.

import { test } from 'uvu';
import { firmwareRam } from '../src/runtime/firmware.js';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FitError, fitModel, formatFit, loadBoard } from '../src/fit.js';
import { loadModelStreamed } from '../src/runtime/streamed.js';
import { loadModelNode } from '../src/runtime/node.js';
import { convertModel } from '../src/convert.js';
import { readEpk } from '../src/format/reader.js';
import { randomInput, tensorValues } from '../src/compress/report.js';
import { TfliteBuilder } from '../src/testing/tflite-builder.js';
import { REPO, goldenModels, readBytes, skipNotice } from './helpers.js';

skipNotice('fit on person_detect');
const CLI = join(REPO, 'bin', 'edgepack.js');

/** int8 fully connected, `depth` inputs -> `units` outputs: depth * units weight bytes. */
function fcModel(depth: number, units: number): Uint8Array {
  return fcModelWith(depth, units, Array.from({ length: units * depth }, (_, i) => ((i * 37) % 255) - 127));
}

function fcModelWith(depth: number, units: number, weights: ArrayLike<number>): Uint8Array {
  const b = new TfliteBuilder();
  const x = b.tensor('x', [1, depth], 'int8', { scale: [0.05], zeroPoint: [3] });
  const w = b.constant('w', [units, depth], 'int8', Array.from(weights), { scale: [0.01], zeroPoint: [0] });
  const bias = b.constant('bias', [units], 'int32', Array.from({ length: units }, (_, i) => i * 10 - 50), { scale: [0.0005], zeroPoint: [0] });
  const y = b.tensor('y', [1, units], 'int8', { scale: [0.2], zeroPoint: [-5] });
  b.op('FULLY_CONNECTED', [x, w, bias], [y], { activation: 'NONE' });
  b.io([x], [y]);
  return b.finish();
}

test('boards: every profile loads with whole-byte budgets; unknown names are refused', () => {
  for (const name of ['nrf52832', 'nrf52840', 'stm32l4r5', 'stm32h743', 'rp2040', 'esp32s3', 'linux-gateway']) {
    const b = loadBoard(name);
    assert.is(b.name, name);
    assert.ok(b.ramBytes > 0 && b.flashBytes > 0 && typeof b.simd === 'boolean' && b.core && b.wasmRuntime);
  }
  assert.ok(loadBoard('linux-gateway').simd);
  assert.is(loadBoard('nrf52832').ramBytes, 65536);
  assert.is(loadBoard('nrf52832').linearMemory, 'exact');
  assert.is(loadBoard('rp2040').linearMemory, 'pages', 'default: the runtime allocates whole pages');
  assert.throws(() => loadBoard('nope'), (e: Error) => e instanceof FitError && /unknown board "nope"/.test(e.message));
});

const pd = goldenModels().find((g) => g.name === 'person_detect');
if (pd) {
  test('fit person_detect --board nrf52840: streamed, within 256 KiB RAM and 1 MiB flash, golden-exact', async () => {
    const board = loadBoard('nrf52840');
    const r = await fitModel(readBytes(pd.modelPath), 'person_detect', board);
    assert.ok(r.chosen, 'should fit');
    assert.is(r.chosen!.mode, 'streamed');
    assert.ok(r.chosen!.ramBytes <= 262144 && r.chosen!.flashBytes <= 1048576);
    const resident = r.options.find((o) => o.mode === 'resident')!;
    assert.ok(resident.ramBytes > 262144, 'resident does not fit: the reason streamed was chosen');
    assert.is(r.layers.reduce((a, l) => a + l.weightBytes + l.otherBytes, 0) <= r.epk.length, true);
    const model = await loadModelStreamed(r.epk, r.chosen!.stageBytes);
    assert.ok(model.memory().usedBytes <= r.chosen!.linearMemoryBytes);
    for (const c of pd.manifest.cases.slice(0, 4)) {
      const [out] = model.run(readBytes(join(pd.dir, c.input)));
      assert.equal(Buffer.from(out), Buffer.from(readBytes(join(pd.dir, c.output))), c.input);
    }
  });
}

if (pd) {
  test('fit person_detect --board nrf52832: streamed RAM counted to the byte (linear memory + C stack + host)', async () => {
    const r = await fitModel(readBytes(pd.modelPath), 'person_detect', loadBoard('nrf52832'));
    const s = r.options.find((o) => o.mode === 'streamed')!;
    const f = await firmwareRam(r.epk, 'streamed');
    assert.is(s.ramBytes, f.ramBytes, 'fit uses the firmware figure, no whole pages');
    assert.is(s.linearMemoryBytes, f.linearMemoryBytes);
    assert.ok(s.linearMemoryBytes % 65536 !== 0);
    assert.is(s.firmwareBytes, f.stackBytes + f.hostRamBytes);
    if (!r.chosen) assert.match(formatFit(r), /does not fit nrf52832: the closest option \(streamed\) is over RAM by \d+ B/);
  });
}

test('fit CLI: a model that cannot fit says so with the exact shortfall and writes nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgepack-fit-'));
  try {
    writeFileSync(join(dir, 'fc.tflite'), fcModel(256, 512)); // 128 KiB of weights: 32 KiB even at 2 bits
    writeFileSync(join(dir, 'tiny.json'), JSON.stringify({
      name: 'tiny', description: 'test board', core: 'Cortex-M0+', clockMHz: 48, ramBytes: 1 << 20, flashBytes: 80000,
      wasmRuntime: 'wasm2c', simd: false, reserveRamBytes: 4096, runtimeFlashBytes: 60000,
    }));
    const r = spawnSync('node', [CLI, 'fit', join(dir, 'fc.tflite'), '--board', join(dir, 'tiny.json'), '-o', join(dir, 'out.epk')], { encoding: 'utf8' });
    assert.is(r.status, 1);
    const epkBytes = Number(/\.epk (\d+) B/.exec(r.stdout)![1]);
    assert.ok(epkBytes > 32768 && epkBytes < 40000, `${epkBytes}: every filter at 2 bits before giving up`);
    const over = epkBytes + 60000 - 80000;
    assert.match(r.stdout, `does not fit tiny: the closest option (resident) is over flash by ${over} B`);
    assert.match(r.stderr, 'does not fit tiny');
    assert.not.ok(existsSync(join(dir, 'out.epk')));
    const ok = execFileSync('node', [CLI, 'fit', join(dir, 'fc.tflite'), '--board', 'linux-gateway', '-o', join(dir, 'out.epk')], { encoding: 'utf8' });
    assert.match(ok, 'fits linux-gateway in resident mode');
    assert.ok(existsSync(join(dir, 'out.epk')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fit: a budget that needs compression gets codebook filters, runs exact vs its decoded weights in both modes', async () => {
  const src = fcModel(256, 512); // 131072 weight bytes raw; 6 bits ~ 98 KB, 5 bits ~ 82 KB, 4 bits ~ 66 KB
  const board = { ...loadBoard('nrf52840'), name: 'small', flashBytes: 60000 + 80000, ramBytes: 1 << 20, runtimeFlashBytes: 60000 };
  const r = await fitModel(src, 'fc.tflite', board);
  assert.ok(r.chosen, 'fits with compression');
  assert.is(r.layers.length, 1);
  assert.match(r.layers[0].representation, /codebook/);
  assert.ok(r.layers[0].weightBytes <= 80000 && r.layers[0].weightSqnrDb! > 0);
  assert.ok(r.epk.length + 60000 <= board.flashBytes);
  assert.ok(r.outputSqnrDb !== undefined && Number.isFinite(r.outputSqnrDb), r.fidelity);
  assert.match(r.fidelity, /output SQNR/);
  // the same fit, plain: does not fit raw (the reason to compress)
  assert.ok(131072 + 60000 > board.flashBytes);
  const e = readEpk(r.epk);
  const w = e.tensors[e.ops[0].inputs[1]];
  assert.ok(w.packed);
  const decoded = tensorValues(e, w, false);
  const plain = convertModel(fcModelWith(256, 512, decoded), 'fc.tflite', { log: () => {} }).epk;
  const streamed = await loadModelStreamed(r.epk);
  for (const target of ['scalar', 'simd'] as const) {
    const a = await loadModelNode(r.epk, target), b = await loadModelNode(plain, target);
    for (let k = 0; k < 3; k++) {
      const x = randomInput(256, k);
      assert.equal(Array.from(a.run(x)[0]), Array.from(b.run(x)[0]), `${target} ${k}`);
      assert.equal(Array.from(streamed.run(x)[0]), Array.from(b.run(x)[0]), `streamed ${k}`);
    }
  }
});

test('fit --calibrate: the size budget fills the flash with calibrated codebooks; less output error than the data-free fit on held-out inputs', async () => {
  const src = fcModel(256, 512);
  const board = { ...loadBoard('nrf52840'), name: 'small', flashBytes: 60000 + 80000, ramBytes: 1 << 20, runtimeFlashBytes: 60000 };
  // inputs that use the first 16 features only (the rest at the zero point, 3): the
  // calibrated codebooks may move the error onto the weights those features never meet.
  // An FC layer sees one patch per input: 64 inputs for 16 live features (with fewer
  // inputs than live features the fit follows the calibration inputs themselves)
  const sample = (k: number) => Uint8Array.from(randomInput(256, k), (v, i) => (i < 16 ? v : 3));
  const calibration = Array.from({ length: 64 }, (_, k) => [sample(k)]);
  const heldOut = Array.from({ length: 8 }, (_, k) => sample(100 + k));
  const r = await fitModel(src, 'fc.tflite', board, { calibration });
  assert.ok(r.chosen, 'fits');
  assert.ok(r.epk.length + 60000 <= board.flashBytes);
  assert.match(r.layers[0].representation, /codebook/);
  assert.match(r.fidelity, /calibrated size budget.*on 64 calibration inputs/);
  const free = await fitModel(src, 'fc.tflite', board);
  const plain = await loadModelNode(convertModel(src, 'fc.tflite', { log: () => {} }).epk);
  const error = async (epk: Uint8Array) => {
    const m = await loadModelNode(epk);
    let e = 0;
    for (const x of heldOut) {
      const y = new Int8Array(m.run(x)[0].buffer), ref = new Int8Array(plain.run(x)[0].buffer);
      y.forEach((v, i) => (e += (v - ref[i]) ** 2));
    }
    return e;
  };
  const [calibrated, dataFree] = [await error(r.epk), await error(free.epk)];
  assert.ok(calibrated < dataFree, `held-out output error: calibrated ${calibrated} < data-free ${dataFree}`);
});

test.run();
