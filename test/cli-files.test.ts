// The CLI never replaces an input: an output that is the same file as the model, an input,
// the calibration data or the board file (by device and inode: other names, symlinks, hard
// links) is refused with exit 2 before anything is written; a killed `run` leaves no
// temporary file; --max-memory refuses a model declaring more (exit 1).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertModel } from '../src/convert.js';
import { H } from '../src/format/constants.js';
import { crc32 } from '../src/format/crc32.js';
import { buildTinyCnn } from '../src/testing/models.js';
import { REPO } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'edgepack-files-'));
const bin = join(REPO, 'bin', 'edgepack.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

const tflite = buildTinyCnn();
const epk = convertModel(tflite, 'tiny.tflite').epk;
const modelPath = join(dir, 'tiny.tflite');
const boardJson = readFileSync(join(REPO, 'boards', 'nrf52840.json'));
const epkPath = join(dir, 'tiny.epk');
const inPath = join(dir, 'in.bin');
writeFileSync(modelPath, tflite);
writeFileSync(epkPath, epk);
writeFileSync(inPath, new Uint8Array(768 * 3).fill(7));

/** Runs the CLI, expects exit 2 and the same-file message, and the file unchanged. */
function refused(file: string, args: string[]): void {
  const before = readFileSync(file);
  const r = cli(...args);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /is the same file as the (model|input|calibration data|board file) .*refusing to replace it/);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.ok(readFileSync(file).equals(before), `${file} was modified`);
}

test('convert -o the model itself, another name of it, a symlink and a hard link: refused, exit 2', () => {
  refused(modelPath, ['convert', modelPath, '-o', modelPath]);
  refused(modelPath, ['convert', modelPath, '-o', join(dir, '.', 'sub', '..', 'tiny.tflite').replace('/sub/..', '')]);
  const link = join(dir, 'link.tflite'), hard = join(dir, 'hard.tflite');
  symlinkSync(modelPath, link);
  linkSync(modelPath, hard);
  refused(modelPath, ['convert', modelPath, '-o', link]);
  refused(modelPath, ['convert', link, '-o', modelPath]);
  refused(modelPath, ['convert', modelPath, '-o', hard]);
});

test('convert -o the calibration file: refused, exit 2', () => {
  const calib = join(dir, 'calib.bin');
  writeFileSync(calib, new Uint8Array(16));
  refused(calib, ['convert', modelPath, '-o', calib, '--calibrate', calib]);
});

test('run --output the model or an input (directly, by symlink, by hard link): refused, exit 2', () => {
  refused(epkPath, ['run', epkPath, '--input', inPath, '--output', epkPath]);
  refused(inPath, ['run', epkPath, '--input', inPath, '--output', inPath]);
  const link = join(dir, 'in-link.bin'), hard = join(dir, 'in-hard.bin');
  symlinkSync(inPath, link);
  linkSync(inPath, hard);
  refused(inPath, ['run', epkPath, '--input', inPath, '--output', link]);
  refused(inPath, ['run', epkPath, '--input', inPath, '--output', hard]);
});

test('fit -o the model or the board file: refused, exit 2', () => {
  refused(modelPath, ['fit', modelPath, '--board', 'nrf52840', '-o', modelPath]);
  const board = join(dir, 'board.json');
  writeFileSync(board, boardJson);
  refused(board, ['fit', modelPath, '--board', board, '-o', board]);
});

test('an output that does not exist yet, or a different file, is written (exit 0)', () => {
  const out = join(dir, 'fresh', 'out.bin');
  mkdirSync(join(dir, 'fresh'));
  assert.is(cli('run', epkPath, '--input', inPath, '--output', out).status, 0);
  assert.is(readFileSync(out).length, 30);
  assert.is(cli('run', epkPath, '--input', inPath, '--output', out).status, 0, 'replacing a previous output is fine');
  assert.equal(readdirSync(join(dir, 'fresh')), ['out.bin']);
});

test('SIGTERM and SIGINT during a long run leave no temporary file and no output', async () => {
  const n = 20000; // 20,000 inferences: a second or more of work, far longer than the poll below
  const big = join(dir, 'many.bin');
  writeFileSync(big, new Uint8Array(768 * n).fill(3));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const outDir = join(dir, `killed-${signal}`);
    mkdirSync(outDir);
    const child = spawn(process.execPath, [bin, 'run', epkPath, '--input', big, '--output', join(outDir, 'out.bin'), '--target', 'scalar'], { stdio: 'ignore' });
    const exited = new Promise<[number | null, string | null]>((r) => child.on('exit', (code, sig) => r([code, sig])));
    // Wait until the temporary file exists: the run is then inside its loop.
    const start = Date.now();
    while (readdirSync(outDir).length === 0 && Date.now() - start < 20000) await new Promise((r) => setTimeout(r, 20));
    assert.is(readdirSync(outDir).length, 1, 'the temporary file appeared');
    assert.match(readdirSync(outDir)[0], /^\.out\.bin\.\d+\.[0-9a-f]+\.tmp$/);
    child.kill(signal);
    const [code, sig] = await exited;
    assert.is(sig, signal, `exit code ${code}`);
    assert.equal(readdirSync(outDir), [], `${signal} left files behind`);
  }
});

test('--max-memory: a model declaring more than the limit is refused (exit 1), a usable limit runs', () => {
  const huge = epk.slice();
  const v = new DataView(huge.buffer);
  v.setUint32(H.arenaBytes, 0xfffffff0, true);
  v.setUint32(H.crc32, crc32(huge, 16), true);
  const hugePath = join(dir, 'huge.epk');
  writeFileSync(hugePath, huge);
  const out = join(dir, 'huge-out.bin');
  let r = cli('run', hugePath, '--input', inPath, '--output', out);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /OUT_OF_MEMORY: the model needs \d+ bytes .*above the host memory limit of 1073741824 bytes/);
  assert.not.ok(existsSync(out));
  r = cli('inspect', hugePath);
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /host memory limit/);
  r = cli('run', epkPath, '--input', inPath, '--output', out, '--max-memory', '4K');
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /above the host memory limit of 4096 bytes/);
  assert.is(cli('run', epkPath, '--input', inPath, '--output', out, '--max-memory', '64K').status, 0);
  r = cli('run', epkPath, '--input', inPath, '--output', out, '--max-memory', 'lots');
  assert.is(r.status, 2);
  assert.match(r.stderr, /--max-memory must be a positive number of bytes/);
});

test.after(() => rmSync(dir, { recursive: true, force: true })); // the batch input is 15 MB

test.run();
