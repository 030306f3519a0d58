// WASI command (build/edgepack-run.wasm): `edgepack-run MODEL.epk IN.bin [IN2.bin ...] OUT.bin`,
// e.g. `wasmtime run --dir . edgepack-run.wasm model.epk in.bin out.bin`. One input file per
// model input; each holds N whole input tensors back to back and OUT gets the N results
// back to back (outputs of one inference in model order), as `edgepack run` does.
// OUT is written to a per-process OUT.<16 random hex>.edgepack-tmp (created exclusively) and
// renamed into place, so concurrent runs never share a temp file; inputs are opened read-only.
// The N invokes share one loaded model, so variable tensors (SVDF state) carry from one
// inference to the next, as `edgepack run` and TFLM do; ep_reset is exported as in every build.
// Exit codes: 0 ok, 1 model/file/runtime error, 2 usage. Errors go to stderr, one line.

import * as F from './format';
import { ep_model_buffer, ep_load, ep_invoke, ep_input_count, ep_output_count, ep_input_ptr, ep_input_bytes, ep_output_ptr, ep_output_bytes, ep_error_ptr, ep_error_len } from './index';

export { ep_reset } from './index';

// --- wasi_snapshot_preview1 (only what this command uses) ------------------------------
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'args_sizes_get') declare function args_sizes_get(argc: usize, bufSize: usize): u32;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'args_get') declare function args_get(argv: usize, buf: usize): u32;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'fd_prestat_get') declare function fd_prestat_get(fd: u32, out: usize): u32;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'fd_prestat_dir_name') declare function fd_prestat_dir_name(fd: u32, path: usize, len: u32): u32;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'path_open') declare function path_open(dir: u32, dirflags: u32, path: usize, len: u32, oflags: u32, rights: u64, inheriting: u64, fdflags: u32, fd: usize): u32;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'fd_filestat_get') declare function fd_filestat_get(fd: u32, out: usize): u32;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'fd_read') declare function fd_read(fd: u32, iovs: usize, n: u32, nread: usize): u32;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'fd_write') declare function fd_write(fd: u32, iovs: usize, n: u32, nwritten: usize): u32;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'fd_close') declare function fd_close(fd: u32): u32;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'path_rename') declare function path_rename(dir: u32, old: usize, oldLen: u32, newDir: u32, path: usize, len: u32): u32;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'path_unlink_file') declare function path_unlink_file(dir: u32, path: usize, len: u32): u32;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'proc_exit') declare function proc_exit(code: u32): void;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'random_get') declare function random_get(buf: usize, len: u32): u32;
// @ts-ignore: decorator
@external('wasi_snapshot_preview1', 'clock_time_get') declare function clock_time_get(id: u32, precision: u64, out: usize): u32;

const O_CREAT: u32 = 1;
const O_EXCL: u32 = 4;
const O_TRUNC: u32 = 8;
const RIGHTS_READ: u64 = (1 << 1) | (1 << 21); // fd_read | fd_filestat_get
const RIGHTS_WRITE: u64 = 1 << 6; // fd_write
const MAX_FILES: i32 = 18; // model + up to 16 inputs + output
const ARGS_BYTES: i32 = 8192; // all argument strings together
const TMP_SUFFIX = '.XXXXXXXXXXXXXXXX.edgepack-tmp'; // the X's become 16 random hex digits

const argvPtrs = memory.data(4 * 64);
const argBuf = memory.data(ARGS_BYTES);
const scratch = memory.data(64); // iovecs, counts, stat buffers
const stat = memory.data(64);
const pathBuf = memory.data(4200); // a relative path (+ tmp suffix)
const line = memory.data(1024); // stderr line
let lineLen: i32 = 0;
const fds = memory.data(4 * MAX_FILES);
let preopen: u32 = 0xffffffff;
let preopenName: usize = 0;
let preopenNameLen: u32 = 0;
const preopenBuf = memory.data(1024);

function say(s: string): void {
  for (let i = 0; i < s.length && lineLen < 1000; i++) store<u8>(line + lineLen++, <u8>s.charCodeAt(i));
}
function sayBytes(p: usize, n: u32): void {
  for (let i: u32 = 0; i < n && lineLen < 1000; i++) store<u8>(line + lineLen++, load<u8>(p + i));
}
function sayNum(v: u64): void {
  const d = memory.data(24);
  let n = 0;
  do { store<u8>(d + n++, <u8>(48 + <i32>(v % 10))); v /= 10; } while (v > 0);
  while (n > 0 && lineLen < 1000) store<u8>(line + lineLen++, load<u8>(d + --n));
}
function argPtr(i: i32): usize { return load<u32>(argvPtrs + (<usize>i << 2)); }
function argLen(i: i32): u32 {
  const p = argPtr(i);
  let n: u32 = 0;
  while (load<u8>(p + n) != 0) n++;
  return n;
}
function sayArg(i: i32): void { sayBytes(argPtr(i), argLen(i)); }

/** Prints the line to stderr, then exits. */
function die(code: u32): void {
  store<u8>(line + lineLen++, 10);
  store<u32>(scratch, <u32>line);
  store<u32>(scratch + 4, <u32>lineLen);
  fd_write(2, scratch, 1, scratch + 8);
  proc_exit(code);
}

function findPreopen(): bool {
  for (let fd: u32 = 3; fd < 64; fd++) {
    if (fd_prestat_get(fd, scratch) != 0) break;
    if (load<u8>(scratch) != 0) continue;
    const len = min<u32>(load<u32>(scratch + 4), 1000);
    if (fd_prestat_dir_name(fd, preopenBuf, len) != 0) continue;
    preopen = fd;
    preopenName = preopenBuf;
    preopenNameLen = len;
    return true;
  }
  return false;
}

/** Copies arg i (plus `suffix`) into pathBuf relative to the preopened dir; returns its length. */
function relativePath(i: i32, suffix: string): u32 {
  let p = argPtr(i), n = argLen(i);
  if (n > 0 && load<u8>(p) == 47) { // absolute: strip the preopen's name
    let prefix = true;
    for (let k: u32 = 0; k < preopenNameLen && prefix; k++) prefix = k < n && load<u8>(p + k) == load<u8>(preopenName + k);
    if (!prefix) { say('edgepack-run: '); sayArg(i); say(' lies outside the preopened directory '); sayBytes(preopenName, preopenNameLen); die(2); }
    p += preopenNameLen;
    n -= preopenNameLen;
    while (n > 0 && load<u8>(p) == 47) { p++; n--; }
  }
  if (n + <u32>suffix.length > 4096) { say('edgepack-run: path too long: '); sayArg(i); die(2); }
  memory.copy(pathBuf, p, n);
  for (let k = 0; k < suffix.length; k++) store<u8>(pathBuf + n + k, <u8>suffix.charCodeAt(k));
  return n + <u32>suffix.length;
}

function openRead(i: i32, what: string): u32 {
  const n = relativePath(i, '');
  const err = path_open(preopen, 1, pathBuf, n, 0, RIGHTS_READ, 0, 0, scratch);
  if (err != 0) { say('edgepack-run: cannot read '); say(what); say(' '); sayArg(i); say(err == 44 ? ': no such file' : ': open failed (WASI errno '); if (err != 44) { sayNum(err); say(')'); } die(1); }
  return load<u32>(scratch);
}

function fileSize(fd: u32): u64 {
  if (fd_filestat_get(fd, stat) != 0) return 0;
  return load<u64>(stat + 32);
}

/** Reads exactly n bytes into dst; false on a short read. */
function readExact(fd: u32, dst: usize, n: u32): bool {
  while (n > 0) {
    store<u32>(scratch, <u32>dst);
    store<u32>(scratch + 4, n);
    if (fd_read(fd, scratch, 1, scratch + 8) != 0) return false;
    const got = load<u32>(scratch + 8);
    if (got == 0) return false;
    dst += got;
    n -= got;
  }
  return true;
}

function writeAll(fd: u32, src: usize, n: u32): bool {
  while (n > 0) {
    store<u32>(scratch, <u32>src);
    store<u32>(scratch + 4, n);
    if (fd_write(fd, scratch, 1, scratch + 8) != 0) return false;
    const put = load<u32>(scratch + 8);
    src += put;
    n -= put;
  }
  return true;
}

function runtimeError(code: i32, what: string): void {
  say('edgepack-run: ');
  say(what);
  say(': error ');
  sayNum(<u64>code);
  say(': ');
  sayBytes(ep_error_ptr(), <u32>ep_error_len());
  die(1);
}

function readArgs(): i32 {
  if (args_sizes_get(scratch, scratch + 4) != 0) return 0;
  const argc = <i32>load<u32>(scratch), bytes = load<u32>(scratch + 4);
  if (argc > 64 || bytes > <u32>ARGS_BYTES) { say('edgepack-run: too many or too long arguments'); die(2); }
  args_get(argvPtrs, argBuf);
  return argc;
}

export function _start(): void {
  const argc = readArgs();
  if (argc < 4 || argc > MAX_FILES + 1) { say('usage: edgepack-run MODEL.epk IN.bin [IN2.bin ...] OUT.bin'); die(2); }
  if (!findPreopen()) { say('edgepack-run: no preopened directory (run with --dir .)'); die(2); }
  const inputs = argc - 3;

  // model: size from stat, bytes straight into the runtime's model buffer
  const mfd = openRead(1, 'model');
  const size = fileSize(mfd);
  if (size == 0 || size > 0x7fffffff) { say('edgepack-run: model '); sayArg(1); say(' is empty or too large'); die(1); }
  const buf = ep_model_buffer(<u32>size);
  if (buf == 0) runtimeError(F.E_OUT_OF_MEMORY, 'cannot hold the model');
  if (!readExact(mfd, buf, <u32>size)) { say('edgepack-run: short read on '); sayArg(1); die(1); }
  fd_close(mfd);
  const err = ep_load(buf, <u32>size);
  if (err != F.E_OK) { say('edgepack-run: '); sayArg(1); say(': error '); sayNum(<u64>err); say(': '); sayBytes(ep_error_ptr(), <u32>ep_error_len()); die(1); }
  if (<u32>inputs != ep_input_count()) { say('edgepack-run: model has '); sayNum(ep_input_count()); say(' input(s); '); sayNum(<u64>inputs); say(' input file(s) given'); die(2); }

  // inputs: every file must hold the same whole number of tensors
  let batches: u64 = 0;
  for (let i = 0; i < inputs; i++) {
    const fd = openRead(2 + i, 'input');
    store<u32>(fds + (<usize>i << 2), fd);
    const per = <u64>ep_input_bytes(<u32>i), bytes = fileSize(fd);
    if (bytes == 0 || bytes % per != 0) { say('edgepack-run: '); sayArg(2 + i); say(': '); sayNum(bytes); say(' bytes is not a whole number of '); sayNum(per); say('-byte input tensors (input '); sayNum(<u64>i); say(')'); die(2); }
    if (i > 0 && bytes / per != batches) { say('edgepack-run: '); sayArg(2 + i); say(' holds '); sayNum(bytes / per); say(' inputs, but the first input file holds '); sayNum(batches); die(2); }
    batches = bytes / per;
  }

  // output: a temp file in the same directory, renamed over OUT at the end
  const outArg = argc - 1;
  const tmpLen = relativePath(outArg, TMP_SUFFIX);
  uniqueSuffix(pathBuf + tmpLen - <u32>TMP_SUFFIX.length + 1);
  if (path_open(preopen, 1, pathBuf, tmpLen, O_CREAT | O_EXCL | O_TRUNC, RIGHTS_WRITE, 0, 0, scratch) != 0) { say('edgepack-run: cannot write '); sayArg(outArg); die(1); }
  const ofd = load<u32>(scratch);
  for (let b: u64 = 0; b < batches; b++) {
    for (let i = 0; i < inputs; i++) {
      if (!readExact(load<u32>(fds + (<usize>i << 2)), ep_input_ptr(<u32>i), ep_input_bytes(<u32>i))) { say('edgepack-run: short read on '); sayArg(2 + i); abandon(ofd, tmpLen); }
    }
    const code = ep_invoke();
    if (code != F.E_OK) { fd_close(ofd); path_unlink_file(preopen, pathBuf, tmpLen); runtimeError(code, 'invoke failed'); }
    for (let o: u32 = 0; o < ep_output_count(); o++) {
      if (!writeAll(ofd, ep_output_ptr(o), ep_output_bytes(o))) { say('edgepack-run: cannot write '); sayArg(outArg); abandon(ofd, tmpLen); }
    }
  }
  fd_close(ofd);
  const tmpCopy = memory.data(4200);
  memory.copy(tmpCopy, pathBuf, tmpLen);
  const outLen = relativePath(outArg, '');
  if (path_rename(preopen, tmpCopy, tmpLen, preopen, pathBuf, outLen) != 0) { path_unlink_file(preopen, tmpCopy, tmpLen); say('edgepack-run: cannot rename into '); sayArg(outArg); die(1); }
}

/** 16 hex digits at `at` from 8 bytes of random_get (the realtime clock's nanoseconds if it fails). */
function uniqueSuffix(at: usize): void {
  if (random_get(scratch, 8) != 0 && clock_time_get(0, 1, scratch) != 0) store<u64>(scratch, 0);
  const r = load<u64>(scratch);
  for (let k: u32 = 0; k < 16; k++) {
    const d = <u32>((r >> (<u64>k << 2)) & 15);
    store<u8>(at + k, <u8>(d < 10 ? 48 + d : 87 + d));
  }
}

function abandon(ofd: u32, tmpLen: u32): void {
  fd_close(ofd);
  path_unlink_file(preopen, pathBuf, tmpLen);
  die(1);
}
