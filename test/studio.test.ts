// The studio page in headless Chromium, driven over the DevTools protocol: it opens a model
// the project builds and person_detect (when ../shared is there), and every figure, run
// output, compressed size and error it shows must equal what the CLI prints for the same
// file. Also: the browser path imports no Node module, and the screenshot shows the page.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { buildTinyCnn, randomInt8 } from '../src/testing/models.js';
import { mobileNetStyle } from '../src/testing/onnx-builder.js';
import { Browser, Page, chromium } from './cdp.js';
import { colours, decodePng, solidPng } from './png.js';
import { startStudio as startServer } from '../src/studio/server.js';
import { peakOf, planIntervals } from '../src/studio/page/memory-plan.js';
import { encodeReals, pixelsToReals, topK } from '../src/studio/page/tensor-input.js';
import { convertModel } from '../src/convert.js';
import { readEpk } from '../src/format/reader.js';
import { REPO, SHARED, hasShared } from './helpers.js';

/** How long a page state may take to appear: the page converts in a worker, and under a loaded machine (a full suite beside other jobs) 20 s was once too short. Only a bound on waiting; every check is unchanged. */
const PAGE_WAIT_MS = 60000;

const BIN = join(REPO, 'bin', 'edgepack.js');
const tmp = mkdtempSync(join(tmpdir(), 'edgepack-studio-'));

/** The CLI, run in the test's temporary directory (so file names read as the page shows them). */
function cli(...args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: tmp });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function inspectJson(epk: string): { arenaBytes: number; modelBytes: number; macs: number; layers: unknown[]; inputs: { dtype: string }[] } {
  const r = cli('inspect', epk, '--json');
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The CLI's output bytes for one input, as the page prints them (hex). */
function cliRunHex(epk: string, input: string): string {
  const out = join(tmp, 'out.bin');
  const r = cli('run', epk, '--input', input, '--output', out);
  assert.is(r.status, 0, r.stderr);
  return Array.from(readFileSync(out), (v) => v.toString(16).padStart(2, '0')).join(' ');
}

/** `edgepack studio MODEL --port 0` as a user runs it; resolves with the URL it prints. */
function startStudio(model: string): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [BIN, 'studio', model, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((ok, fail) => {
    let out = '';
    proc.stdout!.on('data', (c) => {
      out += c;
      const m = /edgepack studio: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) ok({ proc, url: m[1] });
    });
    proc.on('exit', (code) => fail(new Error(`studio exited with ${code} before printing its URL: ${out}`)));
  });
}

async function figures(page: Page): Promise<Record<string, number>> {
  return page.evaluate(`Object.fromEntries(['arena-bytes', 'model-bytes', 'macs', 'layer-count'].map((id) => [id, Number(document.getElementById(id).textContent)]))`);
}

function expectFigures(got: Record<string, number>, want: ReturnType<typeof inspectJson>, what: string): void {
  assert.equal(got, { 'arena-bytes': want.arenaBytes, 'model-bytes': want.modelBytes, macs: want.macs, 'layer-count': want.layers.length }, what);
}

const ready = (name: string) => `document.body.dataset.state === 'ready' && document.getElementById('model-name').textContent === ${JSON.stringify(name)} && document.getElementById('layer-count').textContent !== '-'`;
const readyAgain = `document.body.dataset.state === 'ready'`;

async function runInput(page: Page, input: string, field = '#bin-file'): Promise<string> {
  const before = await page.evaluate<string | undefined>('document.body.dataset.ran');
  await page.setFiles(field, [input]);
  await page.evaluate(`document.getElementById('run-button').click()`);
  await page.waitFor(`document.body.dataset.ran !== ${JSON.stringify(before)}`, PAGE_WAIT_MS, `document.getElementById('error').textContent`);
  assert.match(await page.evaluate<string>(`document.getElementById('latency').textContent`), /simd [\d.]+ ms .* scalar [\d.]+ ms .* streamed [\d.]+ ms .* three builds identical/);
  return page.evaluate<string>(`document.getElementById('output-hex').textContent`);
}

test('the browser path (page and worker) imports no Node module', () => {
  const seen = new Set<string>(), bare: string[] = [];
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    // static imports only: dynamic import() of Node helpers runs only in Node (loader.ts, report.ts)
    for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s[^;]*?from\s*['"]([^'"]+)['"]/gm)) {
      if (m[1].startsWith('.')) walk(resolve(dirname(file), m[1]));
      else bare.push(m[1]);
    }
  };
  for (const f of ['main.js', 'worker.js']) walk(join(REPO, 'dist', 'src', 'studio', 'page', f));
  assert.ok(seen.has(join(REPO, 'dist', 'src', 'convert.js')), 'the worker imports the converter');
  assert.equal([...new Set(bare)].sort(), ['flatbuffers', 'onnx-proto'], `bare imports: ${bare.join(', ')}`);
});

test('memory plan: lifetimes from the op list, inside the arena; the peak reaches its end', () => {
  const epk = readEpk(convertModel(buildTinyCnn(), 'tiny.tflite').epk);
  const iv = planIntervals(epk);
  const input = iv.find((i) => i.tensor === epk.inputs[0])!, output = iv.find((i) => i.tensor === epk.outputs[0])!;
  assert.is(input.first, 0);
  assert.is(output.last, epk.ops.length - 1);
  for (const i of iv) assert.ok(i.first <= i.last && i.offset + i.bytes <= epk.arenaBytes, `${i.name} inside the arena`);
  // an op's output lives from that op on
  epk.ops.forEach((op, k) => assert.ok(iv.find((i) => i.tensor === op.outputs[0])!.first <= k));
  const peak = peakOf(iv, epk.ops.length);
  assert.is(peak.extent, Math.max(...iv.map((i) => i.offset + i.bytes)));
});

test('image input: q = round(real / scale) + zero point, clamped; grey by luma', () => {
  const t = { name: 'x', shape: [1, 1, 4, 1], dtype: 'int8', bytes: 4, scale: 0.5, zeroPoint: -1 };
  assert.equal(Array.from(new Int8Array(encodeReals(new Float32Array([0, 1, -100, 100]), t).buffer)), [-1, 1, -128, 127]);
  assert.equal(Array.from(new Uint8Array(encodeReals(new Float32Array([0, 200]), { ...t, dtype: 'uint8', zeroPoint: 3 }))), [3, 255]);
  const grey = pixelsToReals(new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 255, 255]), 1, '0..255');
  assert.ok(Math.abs(grey[0] - 0.299 * 255) < 1e-3 && Math.abs(grey[1] - 0.114 * 255) < 1e-3);
  assert.equal(Array.from(pixelsToReals(new Uint8ClampedArray([255, 0, 51, 9]), 3, '-1..1')), [1, -1, 51 / 127.5 - 1].map(Math.fround));
  assert.equal(topK(new Float32Array([0.1, 0.7, 0.2, 0.7]), 3).map((e) => e.index), [1, 3, 2]);
});

test('studio: figures, memory plan, fit, run, compression, errors and a screenshot match the CLI', async () => {
  if (!chromium) {
    console.log('  (skipped: no chromium on this machine; .ci/run installs it)');
    return;
  }
  const tiny = join(tmp, 'tiny_cnn.tflite'), tinyEpk = join(tmp, 'tiny_cnn.epk'), tinyIn = join(tmp, 'tiny-in.bin');
  writeFileSync(tiny, buildTinyCnn());
  writeFileSync(tinyIn, new Uint8Array(randomInt8(768, 3).buffer));
  assert.is(cli('convert', tiny, '-o', tinyEpk, '--quiet').status, 0);
  const studio = await startStudio(tiny);
  const browser = Browser.launch(1280, 800);
  try {
    const page = await browser.page();
    // every request the page and its worker make, to check none leaves the studio server
    const requested: string[] = [];
    browser.on('Network.requestWillBeSent', (p) => requested.push((p.request as { url: string }).url));
    // the worker starts paused until its network events are enabled, so none is missed
    browser.on('Target.attachedToTarget', (p) => {
      const session = p.sessionId as string;
      void browser.send('Network.enable', {}, session).then(() => browser.send('Runtime.runIfWaitingForDebugger', {}, session)).catch(() => {});
    });
    await page.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
    await page.send('Network.enable');
    await page.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 800, deviceScaleFactor: 1, mobile: false });
    await page.send('Page.navigate', { url: studio.url });
    await page.waitFor(ready('tiny_cnn.tflite'), PAGE_WAIT_MS, `[document.body.dataset.state, document.getElementById('error').textContent]`);

    // the four figures, as inspect --json gives them for the CLI's conversion
    const want = inspectJson(tinyEpk);
    expectFigures(await figures(page), want, 'tiny_cnn figures');
    assert.is(await page.evaluate<number>(`document.querySelectorAll('#layer-table tbody tr').length`), want.layers.length);
    assert.ok(await page.evaluate<number>(`document.querySelectorAll('#memory-plan svg rect.tensor').length`) >= 5, 'memory plan rectangles');
    // every control has a label (a screen reader names it; the keyboard reaches it: no tabindex -1)
    assert.equal(await page.evaluate<string[]>(`[...document.querySelectorAll('input, select, button')]
      .filter((e) => !(e.labels?.length || e.getAttribute('aria-label') || (e.tagName === 'BUTTON' && e.textContent.trim())) || e.tabIndex < 0)
      .map((e) => e.id)`), [], 'controls without a label');

    // fit: the page's nrf52832 figures are edgepack fit's (the model fits raw, so fit measures this .epk)
    await page.waitFor(`document.getElementById('fit-boards').dataset.fits`, PAGE_WAIT_MS);
    const fits = JSON.parse(await page.evaluate<string>(`document.getElementById('fit-boards').dataset.fits`)) as { board: string; chosen: string; ram: number[]; flash: number }[];
    const fit = JSON.parse(cli('fit', tiny, '--board', 'nrf52832', '--json', '-o', join(tmp, 'fit.epk')).stdout);
    const nrf = fits.find((f) => f.board === 'nrf52832')!;
    assert.equal(nrf.ram, fit.options.map((o: { ramBytes: number }) => o.ramBytes), 'nrf52832 RAM, resident and streamed');
    assert.is(nrf.flash, fit.options[0].flashBytes);
    assert.is(nrf.chosen, fit.chosen.mode);
    assert.is(fits.length, 8, 'seven boards and the custom budget');

    // run: the same output bytes as edgepack run, for one input and for two back to back
    assert.is(await runInput(page, tinyIn), cliRunHex(tinyEpk, tinyIn));
    const twoIn = join(tmp, 'two.bin');
    writeFileSync(twoIn, Buffer.concat([readFileSync(tinyIn), Buffer.from(new Uint8Array(randomInt8(768, 4).buffer))]));
    assert.is(await runInput(page, twoIn), cliRunHex(tinyEpk, twoIn));
    // a wrong size: the CLI's words
    writeFileSync(join(tmp, 'short.bin'), new Uint8Array(100));
    await page.setFiles('#bin-file', [join(tmp, 'short.bin')]);
    await page.evaluate(`document.getElementById('run-button').click()`);
    await page.waitFor(`!document.getElementById('error').hidden`, 10000);
    const short = cli('run', 'tiny_cnn.epk', '--input', 'short.bin', '--output', 'short-out.bin');
    assert.is(short.status, 2);
    assert.is(await page.evaluate<string>(`document.getElementById('error').textContent`), short.stderr.trim());

    // an image: a uniform colour stays uniform when resized, so the quantized tensor is known:
    // q = round(v / 255 / scale) + zero point (input scale 1/64, zero point 0, pixels as 0..1)
    const rgb: [number, number, number] = [200, 100, 50];
    const image = join(tmp, 'orange.png'), labels = join(tmp, 'labels.txt'), fromImage = join(tmp, 'from-image.bin');
    writeFileSync(image, solidPng(40, 30, rgb));
    writeFileSync(fromImage, new Int8Array(Array.from({ length: 256 }, () => rgb.map((v) => Math.round((v / 255) * 64))).flat()));
    const names = Array.from({ length: 10 }, (_, i) => `label-${'abcdefghij'[i]}`);
    writeFileSync(labels, names.join('\n') + '\n');
    await page.setFiles('#labels-file', [labels]);
    const imageHex = await runInput(page, image, '#image-file');
    assert.is(imageHex, cliRunHex(tinyEpk, fromImage), 'image input quantized as the model input');
    const probs = imageHex.split(' ').map((h) => (parseInt(h, 16) << 24) >> 24);
    const best = probs.indexOf(Math.max(...probs));
    assert.match(await page.evaluate<string>(`document.querySelector('#top-k li').textContent`), new RegExp(`^${names[best]}: `));

    // compression: 4-bit codebook + Huffman re-converts; size equals the CLI's, fidelity reported
    const plainBytes = want.modelBytes;
    await page.evaluate(`(() => { document.getElementById('codebook').value = '4'; document.getElementById('huffman').checked = true;
      document.getElementById('compress-form').dispatchEvent(new Event('change')); })()`);
    await page.waitFor(`${readyAgain} && document.getElementById('model-bytes').textContent !== '${plainBytes}' && document.getElementById('fidelity').textContent.includes('top-1 agreement')`, PAGE_WAIT_MS);
    const packedEpk = join(tmp, 'tiny_cnn.cb4.epk');
    assert.is(cli('convert', tiny, '-o', packedEpk, '--codebook', '4', '--huffman', '--quiet').status, 0);
    expectFigures(await figures(page), inspectJson(packedEpk), 'tiny_cnn 4-bit codebook + Huffman');
    assert.ok(inspectJson(packedEpk).modelBytes < plainBytes, 'compressed is smaller');
    assert.is(await page.evaluate<string>(`document.getElementById('command-line').value`), `npx edgepack convert tiny_cnn.tflite -o tiny_cnn.epk --codebook 4 --huffman`);
    await page.evaluate(`(() => { document.getElementById('codebook').value = '0'; document.getElementById('huffman').checked = false;
      document.getElementById('compress-form').dispatchEvent(new Event('change')); })()`);
    await page.waitFor(`${readyAgain} && document.getElementById('model-bytes').textContent === '${plainBytes}'`, PAGE_WAIT_MS);

    // a size budget the plain .epk misses: the least lossy setting that meets it, as the CLI converts it
    const budget = plainBytes - 1;
    await page.evaluate(`(() => { document.getElementById('size-budget').value = '${budget}'; document.getElementById('budget-button').click(); })()`);
    await page.waitFor(`${readyAgain} && Number(document.getElementById('model-bytes').textContent) <= ${budget}`, 30000, `document.getElementById('error').textContent`);
    const chosen = await page.evaluate<string>(`document.getElementById('command-line').value`);
    const flags = chosen.split(' -o tiny_cnn.epk')[1].trim().split(' ').filter(Boolean);
    const budgetEpk = join(tmp, 'tiny_cnn.budget.epk');
    assert.is(cli('convert', tiny, '-o', budgetEpk, ...flags, '--quiet').status, 0);
    expectFigures(await figures(page), inspectJson(budgetEpk), `budget ${budget}: ${chosen}`);
    await page.evaluate(`(() => { document.getElementById('codebook').value = '0'; document.getElementById('huffman').checked = false;
      document.getElementById('compress-form').dispatchEvent(new Event('change')); })()`);
    await page.waitFor(`${readyAgain} && document.getElementById('model-bytes').textContent === '${plainBytes}'`, PAGE_WAIT_MS);

    // a prune fraction out of range: the CLI's refusal, then back to plain
    await page.evaluate(`(() => { document.getElementById('prune').value = '1.5'; document.getElementById('compress-form').dispatchEvent(new Event('change')); })()`);
    await page.waitFor(`!document.getElementById('error').hidden`, 10000);
    const badPrune = cli('convert', tiny, '-o', join(tmp, 'never.epk'), '--prune', '1.5');
    assert.is(badPrune.status, 2);
    assert.is(await page.evaluate<string>(`document.getElementById('error').textContent`), badPrune.stderr.trim());
    await page.evaluate(`(() => { document.getElementById('prune').value = '0'; document.getElementById('compress-form').dispatchEvent(new Event('change')); })()`);
    await page.waitFor(`${readyAgain} && document.getElementById('error').hidden && document.getElementById('model-bytes').textContent === '${plainBytes}'`, PAGE_WAIT_MS);

    // export: the download is the .epk the CLI writes, byte for byte
    const downloads = join(tmp, 'downloads');
    await page.send('Page.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.evaluate(`document.getElementById('export-button').click()`);
    const downloaded = join(downloads, 'tiny_cnn.epk');
    for (let i = 0; i < 100 && !existsSync(downloaded); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(readFileSync(downloaded).equals(readFileSync(tinyEpk)), 'exported .epk equals the CLI conversion');

    // an .epk opened as is: the same figures, compression off
    await page.setFiles('#model-file', [tinyEpk]);
    await page.waitFor(ready('tiny_cnn.epk'), PAGE_WAIT_MS);
    expectFigures(await figures(page), want, 'tiny_cnn.epk figures');
    assert.ok(await page.evaluate<boolean>(`document.getElementById('codebook').disabled`), 'compression applies to sources only');

    // an unreadable model: the page shows the CLI's own error line
    const bad = join(tmp, 'bad.tflite');
    writeFileSync(bad, 'this is not a model');
    await page.setFiles('#model-file', [bad]);
    await page.waitFor(`!document.getElementById('error').hidden`, PAGE_WAIT_MS);
    const cliError = cli('convert', bad, '-o', join(tmp, 'bad.epk'));
    assert.is(cliError.status, 1);
    assert.is(await page.evaluate<string>(`document.getElementById('error').textContent`), cliError.stderr.trim());

    // a float ONNX model: without calibration it runs as float32, as the CLI converts it;
    // with raw float32 samples it is quantized to the CLI's int8 .epk; each run to the CLI's output bytes
    const onnx = join(tmp, 'mobilenet_style.onnx'), calib = join(tmp, 'calib.bin');
    const floatEpk = join(tmp, 'mobilenet_style.f32.epk'), onnxEpk = join(tmp, 'mobilenet_style.epk');
    const onnxIn = join(tmp, 'onnx-in.bin');
    writeFileSync(onnx, mobileNetStyle());
    writeFileSync(calib, new Float32Array(Array.from({ length: 4 * 768 }, (_, i) => ((i * 7919) % 1000) / 1000)));
    writeFileSync(onnxIn, new Float32Array(Array.from({ length: 768 }, (_, i) => ((i * 104729) % 997) / 997)));
    await page.setFiles('#model-file', [onnx]);
    // state 'ready' needs the new conversion: opening a model clears the last one
    await page.waitFor(`${ready('mobilenet_style.onnx')} && document.getElementById('error').hidden`, PAGE_WAIT_MS, `document.getElementById('error').textContent`);
    assert.is(cli('convert', onnx, '-o', floatEpk, '--quiet').status, 0);
    const floatWant = inspectJson(floatEpk);
    assert.ok(floatWant.inputs.every((t: { dtype: string }) => t.dtype === 'float32'), 'float32 without calibration');
    expectFigures(await figures(page), floatWant, 'mobilenet_style.onnx float32 figures');
    assert.is(await page.evaluate<string>(`document.getElementById('command-line').value`), 'npx edgepack convert mobilenet_style.onnx -o mobilenet_style.epk');
    assert.is(await runInput(page, onnxIn), cliRunHex(floatEpk, onnxIn));
    await page.setFiles('#calibration-file', [calib]);
    await page.waitFor(`${ready('mobilenet_style.onnx')} && document.getElementById('error').hidden && document.getElementById('command-line').value.includes('--calibrate')`, PAGE_WAIT_MS, `document.getElementById('error').textContent`);
    assert.is(cli('convert', onnx, '-o', onnxEpk, '--calibrate', calib, '--quiet').status, 0);
    expectFigures(await figures(page), inspectJson(onnxEpk), 'mobilenet_style.onnx figures');
    assert.is(await page.evaluate<string>(`document.getElementById('command-line').value`), 'npx edgepack convert mobilenet_style.onnx -o mobilenet_style.epk --calibrate calib.bin');
    assert.is(await runInput(page, onnxIn), cliRunHex(onnxEpk, onnxIn));

    // person_detect, opened as a user would (file chooser); its golden input run against the CLI's
    const person = join(SHARED, 'models', 'person_detect.tflite');
    if (!hasShared || !existsSync(person)) {
      console.log('  (person_detect part skipped: ../shared is absent)');
    } else {
      const personEpk = join(tmp, 'person_detect.epk');
      assert.is(cli('convert', person, '-o', personEpk, '--quiet').status, 0);
      await page.setFiles('#model-file', [person]);
      await page.waitFor(ready('person_detect.tflite'), 30000, `[document.body.dataset.state, document.getElementById('error').textContent]`);
      expectFigures(await figures(page), inspectJson(personEpk), 'person_detect figures');
      const manifest = JSON.parse(readFileSync(join(SHARED, 'golden', 'person_detect', 'manifest.json'), 'utf8'));
      const input = join(SHARED, 'golden', 'person_detect', manifest.cases[0].input);
      assert.is(await runInput(page, input), cliRunHex(personEpk, input));
      // the TFLM figure comes from the user (here: the shared golden summary), never from the product
      const tflm = manifest.cortex_m4_qemu?.ref?.arena_used_bytes_m4;
      if (tflm) await page.evaluate(`(() => { const e = document.getElementById('tflm-bytes'); e.value = '${tflm}'; e.dispatchEvent(new Event('input')); })()`);
      await page.waitFor(`document.getElementById('fit-boards').dataset.fits && ${readyAgain}`, 30000);
    }

    // nothing loaded from anywhere but the studio server (blob: is the export's download)
    assert.ok(requested.some((u) => u.endsWith('/app/studio/page/worker.js')), 'requests seen');
    assert.ok(requested.some((u) => u.endsWith('/wasm/edgepack-simd.wasm')), `the worker's requests seen: ${requested.filter((u) => !u.includes('/app/')).join(' ')}`);
    assert.equal(requested.filter((u) => !u.startsWith(studio.url) && !u.startsWith('blob:')), [], 'external requests');

    // the screenshot: not blank, and the memory plan is drawn where its SVG sits
    const png = await page.screenshot();
    writeFileSync(join(tmp, 'studio.png'), png);
    if (process.env.STUDIO_SCREENSHOT) writeFileSync(process.env.STUDIO_SCREENSHOT, png);
    const img = decodePng(png);
    assert.equal([img.width, img.height], [1280, 800]);
    assert.ok(colours(img) > 50, `screenshot has ${colours(img)} colours`);
    const box = await page.evaluate<{ x: number; y: number; w: number; h: number }>(`(() => { const r = document.querySelector('#memory-plan svg').getBoundingClientRect(); return { x: r.x, y: r.y, w: r.width, h: r.height }; })()`);
    assert.ok(box.w > 600 && box.h > 200 && box.y + box.h <= 800, `memory plan on screen: ${JSON.stringify(box)}`);
    assert.ok(colours(img, box.x, box.y, box.x + box.w, box.y + box.h) >= 8, 'the memory-plan region holds the coloured rectangles');
  } finally {
    browser.close();
    studio.proc.kill('SIGTERM');
  }
});

test('studio server: package files only, bare imports rewritten, onnx-proto as an ES module', async () => {
  const studio = await startServer();
  try {
    const get = async (path: string) => { const r = await fetch(studio.url + path.slice(1)); return { status: r.status, text: await r.text() }; };
    assert.is((await get('/app/%2e%2e/%2e%2e/package.json')).status, 404, 'no path out of dist/src');
    assert.is((await get('/static/..%2f..%2fpackage.json')).status, 404);
    assert.is((await get('/model')).status, 404, 'no model given');
    assert.equal(JSON.parse((await get('/start.json')).text), { model: null });
    const rebound = await new Promise<number>((ok, fail) => {
      request(studio.url, { headers: { host: 'attacker.example' } }, (r) => { r.resume(); ok(r.statusCode!); }).on('error', fail).end();
    });
    assert.is(rebound, 403, 'a request for another host name is refused');
    const fb = await get('/app/import/tflite/flatbuffer.js');
    assert.ok(fb.text.includes(`from '/vendor/flatbuffers/flatbuffers.js'`) && !/from ['"]flatbuffers['"]/.test(fb.text));
    assert.is((await get('/vendor/flatbuffers/flatbuffers.js')).status, 200);
    const boards = JSON.parse((await get('/boards.json')).text) as { name: string }[];
    assert.equal(boards.map((b) => b.name), ['esp32s3', 'linux-gateway', 'nrf52832', 'nrf52840', 'rp2040', 'stm32h743', 'stm32l4r5']);
    const onnx = join(tmp, 'onnx-proto.mjs');
    writeFileSync(onnx, (await get('/vendor/onnx-proto.js')).text);
    const mod = (await import(onnx)).default;
    assert.type(mod.onnx.ModelProto.decode, 'function');
  } finally {
    await studio.close();
  }
});

test('studio CLI: bad usage is refused with exit 2', () => {
  const r = cli('studio', join(tmp, 'notes.txt'));
  assert.is(r.status, 2);
  assert.match(r.stderr, /edgepack studio: error: .*notes\.txt: the studio opens \.tflite, \.onnx or \.epk files/);
  const p = cli('studio', '--port', '70000');
  assert.is(p.status, 2);
  assert.match(p.stderr, /--port must be a whole number 0\.\.65535/);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test.run();
