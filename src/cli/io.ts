// File helpers for the CLI: clear errors naming the file, inputs opened read-only, an
// output never the same file as an input (by device and inode), and atomic writes: a
// per-process temporary file in the same directory, renamed over the output when complete,
// removed on error, on exit and on SIGINT/SIGTERM.

import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function readInput(path: string, what = 'file'): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${what} ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/**
 * Refuses `output` when it names the same file as one of `sources` (path, what): same device
 * and inode after following symlinks, so another name, a symlink or a hard link to the model
 * is caught too. An output that does not exist yet cannot be any input.
 */
export function refuseSameFile(output: string, sources: [path: string, what: string][]): void {
  const id = (p: string) => {
    try {
      const s = statSync(p, { bigint: true });
      return `${s.dev}:${s.ino}`;
    } catch {
      return undefined; // missing (or a dangling link): nothing it could overwrite
    }
  };
  const out = id(output);
  if (out === undefined) return;
  for (const [path, what] of sources) {
    if (id(path) === out) {
      throw new UsageError(`output ${output} is the same file as the ${what} ${path}; refusing to replace it (inputs are never modified)`);
    }
  }
}

// Temporary files this process has open, removed if it ends before renaming them.
const pending = new Set<string>();
let hooked = false;

function removePending(): void {
  for (const tmp of pending) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
  }
  pending.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removePending();
  // Die of the same signal (exit status 128 + n), now that our handler is out of the way.
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.kill(process.pid, signal);
}

function track(tmp: string): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', removePending);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  pending.add(tmp);
}

/** An output file written in pieces, visible under its name only once complete. */
export class AtomicOutput {
  readonly tmp: string;
  private fd: number;

  constructor(readonly path: string) {
    // Unique per process and per call: concurrent writers never share a temporary file.
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    track(this.tmp);
    try {
      this.fd = openSync(this.tmp, 'wx', 0o644);
    } catch (e) {
      pending.delete(this.tmp);
      throw new UsageError(`cannot write ${path}: ${(e as Error).message}`);
    }
  }

  write(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    try {
      for (let at = 0; at < bytes.length;) at += writeSync(this.fd, bytes, at, bytes.length - at);
    } catch (e) {
      this.abort();
      throw new UsageError(`cannot write ${this.path}: ${(e as Error).message}`);
    }
  }

  commit(): void {
    try {
      closeSync(this.fd);
      renameSync(this.tmp, this.path);
      pending.delete(this.tmp);
    } catch (e) {
      this.abort();
      throw new UsageError(`cannot write ${this.path}: ${(e as Error).message}`);
    }
  }

  /** Removes the temporary file; the output is left as it was. */
  abort(): void {
    try { closeSync(this.fd); } catch { /* already closed */ }
    try { unlinkSync(this.tmp); } catch { /* nothing to clean */ }
    pending.delete(this.tmp);
  }
}

/** --max-memory BYTES (a positive integer, optional K/M/G suffix for KiB/MiB/GiB); undefined: the default. */
export function maxMemoryFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+)([KMG]?)$/i.exec(v.trim());
  const n = m ? Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase()) : NaN;
  if (!(Number.isSafeInteger(n) && n > 0)) throw new UsageError(`--max-memory must be a positive number of bytes (suffix K, M or G allowed), not "${v}"`);
  return n;
}

export function writeAtomic(path: string, data: Uint8Array | string): void {
  const out = new AtomicOutput(path);
  out.write(data);
  out.commit();
}
