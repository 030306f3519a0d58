// The loader in a real browser: headless Chromium loads dist/src/runtime/loader.js and
// build/edgepack-*.wasm over HTTP, runs the tiny model, and must print the bytes Node gets.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
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
document.body.textContent = 'RESULT' + JSON.stringify(out) + 'END';
</script></body></html>`;

test('headless Chromium runs the model through the loader, same bytes as Node', async () => {
  if (!chromium) {
    console.log('  (skipped: no chromium on this machine; .ci/run installs it)');
    return;
  }
  const { epk } = convertModel(buildTinyCnn(), 'tiny.tflite');
  const input = new Uint8Array(randomInt8(768, 3).buffer);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x').pathname;
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
  try {
    const profile = mkdtempSync(join(tmpdir(), 'edgepack-chromium-'));
    const r = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      import('node:child_process').then(({ execFile }) =>
        execFile(chromium, [
          '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--virtual-time-budget=20000',
          '--dump-dom', `http://127.0.0.1:${port}/`,
        ], { timeout: 120000 }, (_err, stdout, stderr) => resolve({ stdout, stderr })),
      );
    });
    const m = /RESULT(.*)END/.exec(r.stdout);
    assert.ok(m, `no result in the page; chromium said: ${r.stderr.slice(-500)}`);
    const got = JSON.parse(m![1]);
    assert.not.ok(got.error, got.error);
    const want = Array.from((await load(epk, { target: 'scalar' })).run(input)[0]);
    assert.equal(got.scalar, want);
    assert.equal(got.simd, want);
  } finally {
    server.close();
  }
});

test.run();
