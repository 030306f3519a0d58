// A headless Chromium driven through the Chrome DevTools protocol over a pipe
// (--remote-debugging-pipe: JSON messages separated by NUL on file descriptors 3 and 4),
// so no WebSocket client or browser download is needed. Flags as test/browser.test.ts.

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';

export const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync('which', [c]).status === 0);

interface Pending { resolve(v: unknown): void; reject(e: Error): void; method: string }

export class Browser {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private buffer = '';
  private listeners: { method: string; fn(params: Record<string, unknown>): void }[] = [];
  stderr = '';

  private constructor(private proc: ChildProcess, private profile: string) {
    const out = proc.stdio[4] as Readable, err = proc.stderr as Readable;
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => this.receive(chunk));
    err.on('data', (c) => (this.stderr = (this.stderr + c).slice(-4000)));
    proc.on('exit', () => this.pending.forEach((p) => p.reject(new Error(`chromium exited during ${p.method}: ${this.stderr.slice(-500)}`))));
  }

  static launch(width: number, height: number): Browser {
    const profile = mkdtempSync(join(tmpdir(), 'edgepack-cdp-'));
    const proc = spawn(chromium!, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--window-size=${width},${height}`,
      '--remote-debugging-pipe', `--user-data-dir=${profile}`, 'about:blank',
    ], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
    return new Browser(proc, profile);
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\0')) >= 0) {
      const msg = JSON.parse(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 1);
      if (msg.method) this.listeners.filter((l) => l.method === msg.method).forEach((l) => l.fn(msg.params));
      const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
      if (!p) continue;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
    }
  }

  /** Calls `fn` with the params of every `method` event (any session). */
  on(method: string, fn: (params: Record<string, unknown>) => void): void {
    this.listeners.push({ method, fn });
  }

  send<T = Record<string, unknown>>(method: string, params: object = {}, sessionId?: string): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, method });
      (this.proc.stdio[3] as Writable).write(JSON.stringify({ id, method, params, sessionId }) + '\0');
    });
  }

  /** The first page target, attached in flat mode: commands go to it by session id. */
  async page(): Promise<Page> {
    const { targetInfos } = await this.send<{ targetInfos: { targetId: string; type: string }[] }>('Target.getTargets');
    const target = targetInfos.find((t) => t.type === 'page');
    if (!target) throw new Error('chromium has no page target');
    const { sessionId } = await this.send<{ sessionId: string }>('Target.attachToTarget', { targetId: target.targetId, flatten: true });
    return new Page(this, sessionId);
  }

  close(): void {
    this.proc.kill('SIGKILL');
    try { rmSync(this.profile, { recursive: true, force: true }); } catch { /* chromium may still hold files */ }
  }
}

export class Page {
  constructor(private browser: Browser, private session: string) {}

  send<T = Record<string, unknown>>(method: string, params: object = {}): Promise<T> {
    return this.browser.send<T>(method, params, this.session);
  }

  /** Evaluates `expression` in the page (promises awaited) and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send<{ result: { value: T }; exceptionDetails?: { exception?: { description?: string }; text: string } }>(
      'Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value;
  }

  /** Polls `expression` until it is truthy; fails after `ms` with what `describe` shows then. */
  async waitFor(expression: string, ms: number, describe = 'document.body.dataset.state'): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      // false while the page is still loading (no body yet) rather than an error
      if (await this.evaluate<boolean>(`(() => { try { return !!(${expression}); } catch { return false; } })()`)) return;
      if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${expression}; ${describe} = ${JSON.stringify(await this.evaluate(describe))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Gives an <input type=file> the files at `paths` (Chromium fires its input and change events). */
  async setFiles(selector: string, paths: string[]): Promise<void> {
    const r = await this.send<{ result: { objectId?: string } }>('Runtime.evaluate', { expression: `document.querySelector(${JSON.stringify(selector)})` });
    if (!r.result.objectId) throw new Error(`no element ${selector}`);
    await this.send('DOM.setFileInputFiles', { files: paths, objectId: r.result.objectId });
  }

  async screenshot(): Promise<Buffer> {
    const { data } = await this.send<{ data: string }>('Page.captureScreenshot', { format: 'png' });
    return Buffer.from(data, 'base64');
  }
}
