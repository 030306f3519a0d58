// The firmware's 32-bit bounds checks (tools/firmware/build.ts tuneMemoryAccess): a small
// module translated by wasm2c and rewritten as the runtime is, run natively against
// wasm-rt-bare.c with 1,000 backed bytes. Every access ending at the last backed byte runs;
// one byte further traps (exit 3, "wasm trap 1" = OOB), as does a base that would wrap 32 bits.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, toolAvailable, tuneMemoryAccess, funcTypeCount } from '../tools/firmware/build.js';

const haveTools = toolAvailable('wasm2c') && toolAvailable('wat2wasm') && toolAvailable('gcc');
if (!haveTools) console.log('  (skipped: needs wasm2c, wat2wasm and gcc)');
const DIR = join(REPO, 'build', 'firmware', 'bounds-probe');
const SRC = join(REPO, 'tools', 'firmware');
const BACKED = 1000;

const WAT = `(module
  (memory (export "memory") 1)
  (func (export "ld8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "ld32") (param i32) (result i32) (i32.load offset=12 (local.get 0)))
  (func (export "ld64") (param i32) (result i64) (i64.load offset=300 (local.get 0)))
  (func (export "st8") (param i32) (i32.store8 offset=5 (local.get 0) (i32.const 7))))`;

const MAIN = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe.h"
static Z_probe_instance_t m;
int main(int argc, char** argv) {
  (void)argc;
  wasm_rt_init();
  Z_probe_init_module();
  Z_probe_instantiate(&m);
  uint32_t base = (uint32_t)strtoul(argv[2], 0, 0);
  if (!strcmp(argv[1], "ld8")) printf("%u\\n", Z_probeZ_ld8(&m, base));
  else if (!strcmp(argv[1], "ld32")) printf("%u\\n", Z_probeZ_ld32(&m, base));
  else if (!strcmp(argv[1], "ld64")) printf("%llu\\n", (unsigned long long)Z_probeZ_ld64(&m, base));
  else { Z_probeZ_st8(&m, base); printf("%u\\n", m.w2c_memory.data[base + 5]); }
  return 0;
}
`;

let accessEnd = 0;
function build(memoryBytes: number, out: string): void {
  execFileSync('gcc', [
    '-O2', '-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0', `-DEP_MEMORY_BYTES=${memoryBytes}`, '-I', DIR, '-I', SRC,
    join(DIR, 'probe.c'), join(DIR, 'main.c'), join(SRC, 'wasm-rt-bare.c'), join(SRC, 'platform-native.c'), '-o', out, '-lm',
  ], { stdio: 'pipe' });
}

function setup(): string {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(join(DIR, 'probe.wat'), WAT);
  execFileSync('wat2wasm', [join(DIR, 'probe.wat'), '-o', join(DIR, 'probe.wasm')]);
  execFileSync('wasm2c', [join(DIR, 'probe.wasm'), '-n', 'probe', '-o', join(DIR, 'probe.c')]);
  const tuned = tuneMemoryAccess(readFileSync(join(DIR, 'probe.c'), 'utf8'));
  accessEnd = tuned.accessEnd;
  writeFileSync(join(DIR, 'probe.c'), tuned.c);
  writeFileSync(join(DIR, 'edgepack-access.h'), `#define EP_ACCESS_END ${tuned.accessEnd}u\n#define EP_FUNC_TYPES ${funcTypeCount(tuned.c)}\n`);
  const header = ['/usr/include/wasm-rt.h', '/usr/src/wasm2c/wasm-rt.h'].find((h) => existsSync(h));
  if (header) copyFileSync(header, join(DIR, 'wasm-rt.h'));
  writeFileSync(join(DIR, 'main.c'), MAIN);
  const exe = join(DIR, 'probe');
  build(BACKED, exe);
  return exe;
}

function run(exe: string, fn: string, base: number): { status: number | null; out: string; err: string } {
  const r = spawnSync(exe, [fn, String(base)], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

test('firmware bounds checks: last backed byte accessible, one further traps (OOB)', () => {
  if (!haveTools) return;
  const exe = setup();
  assert.is(accessEnd, 308, 'furthest offset 300 + 8');
  const probe = readFileSync(join(DIR, 'probe.c'), 'utf8');
  assert.not.match(probe, /w2c_memory, \(u64\)/, 'every access rewritten');
  // [function, last base that fits, its width + offset]
  const cases: [string, number][] = [['ld8', BACKED - 1], ['ld32', BACKED - 16], ['ld64', BACKED - 308], ['st8', BACKED - 6]];
  for (const [fn, last] of cases) {
    const ok = run(exe, fn, last);
    assert.is(ok.status, 0, `${fn}(${last}) runs: ${ok.err}`);
    assert.is(ok.out, fn === 'st8' ? '7' : '0', `${fn}(${last}) result`);
    for (const base of [last + 1, 0xffffffff, 0xffffffff - 7]) {
      const bad = run(exe, fn, base);
      assert.is(bad.status, 3, `${fn}(${base}) traps`);
      assert.is(bad.err, 'wasm trap 1', `${fn}(${base}) OOB`);
    }
  }
});

test('firmware bounds checks: a memory below the furthest offset does not build', () => {
  if (!haveTools) return;
  if (!existsSync(join(DIR, 'probe.c'))) setup();
  assert.throws(() => build(accessEnd - 1, join(DIR, 'probe-small')), /below the furthest constant offset/);
});

test.run();
