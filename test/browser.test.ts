// The loader in a real browser: headless Chromium loads dist/src/runtime/loader.js and
// build/edgepack-*.wasm over HTTP, runs the tiny model, and must print the bytes Node gets.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { AddressInfo } from 'node:net';
import { convertModel, load } from '../src/index.js';
import { buildTinyCnn, randomInt8 } from '../src/testing/models.js';
import { REPO } from './helpers.js';

const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync('which', [c]).status === 0);

const PAGE = `<!doctype html><html><body>pending<script type="module">
import { load } from '/dist/src/runtime/loader.js';
const out = {};
try {
  const epk = new Uint8Array(await (await fetch('/model.epk')).arrayBuffer());
  const input = new Uint8Array(await (await fetch('/input.bin')).arrayBuffer());
  for (const target of ['scalar', 'simd']) {
    const model = await load(epk, { target, wasm: '/build/edgepack-' + target + '.wasm' });
    out[target] = Array.from(model.run(input)[0]);
  }
} catch (e) { out.error = String(e); }
await fetch('/result', { method: 'POST', body: JSON.stringify(out) });
</script></body></html>`;

test('headless Chromium runs the model through the loader, same bytes as Node', async () => {
  if (!chromium) {
    console.log('  (skipped: no chromium on this machine; .ci/run installs it)');
    return;
  }
  const { epk } = convertModel(buildTinyCnn(), 'tiny.tflite');
  const input = new Uint8Array(randomInt8(768, 3).buffer);
  let deliver: (body: string) => void = () => {};
  const posted = new Promise<string>((resolve) => (deliver = resolve));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x').pathname;
    if (url === '/result' && req.method === 'POST') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => { res.writeHead(204).end(); deliver(body); });
      return;
    }
    const types: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
    let body: Uint8Array | string;
    if (url === '/') body = PAGE;
    else if (url === '/model.epk') body = epk;
    else if (url === '/input.bin') body = input;
    else if (url.startsWith('/dist/') || url.startsWith('/build/')) {
      try { body = readFileSync(join(REPO, normalize(url))); } catch { res.writeHead(404).end(); return; }
    } else { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': types[url === '/' ? '.html' : extname(url)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const profile = mkdtempSync(join(tmpdir(), 'edgepack-chromium-'));
  // The page POSTs its result; the test waits for it (no race with page load), then closes Chromium.
  const browser = spawn(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  browser.stderr.on('data', (c) => (stderr += c));
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<string>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no result from the page in 120 s; chromium said: ${stderr.slice(-500)}`)), 120000);
    });
    const got = JSON.parse(await Promise.race([posted, timeout]));
    assert.not.ok(got.error, got.error);
    const want = Array.from((await load(epk, { target: 'scalar' })).run(input)[0]);
    assert.equal(got.scalar, want);
    assert.equal(got.simd, want);
  } finally {
    clearTimeout(timer);
    browser.kill('SIGKILL');
    server.close();
  }
});

test.run();
