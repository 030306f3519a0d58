// Why the firmware may drop wasm2c's call-depth counter (tools/firmware/build.ts FLAGS,
// WASM_RT_USE_STACK_DEPTH_COUNT=0): the runtimes it translates call no function indirectly
// and their call graph has no cycle, so the deepest chain of wasm calls is fixed by the module
// (printed below, far under the counter's 500 frames). The C stack that chain needs is what
// the stack peak check measures on the Cortex-M4 (runFirmware, test/firmware-m4.test.ts).
// The checker itself is shown to find a recursion and an indirect call in small modules.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLAGS, REPO, toolAvailable } from '../tools/firmware/build.js';

const haveTools = toolAvailable('wasm-objdump') && toolAvailable('wat2wasm');
if (!haveTools) console.log('  (skipped: needs wasm-objdump and wat2wasm)');
const DIR = join(REPO, 'build', 'firmware', 'stack-probe');

interface CallGraph { calls: Map<number, Set<number>>; indirect: number }

/** Direct calls per defined function and the number of call_indirect, from wasm-objdump -d. */
function callGraph(wasm: string): CallGraph {
  const text = execFileSync('wasm-objdump', ['-d', wasm], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const calls = new Map<number, Set<number>>();
  let indirect = 0;
  let current = -1;
  for (const line of text.split('\n')) {
    const f = /^[0-9a-f]+ func\[(\d+)\]/.exec(line);
    if (f) { current = Number(f[1]); calls.set(current, new Set()); continue; }
    if (/\|\s*call_indirect\b/.test(line)) indirect++;
    const c = /\|\s*call (\d+)/.exec(line);
    if (c && current >= 0) calls.get(current)!.add(Number(c[1]));
  }
  return { calls, indirect };
}

/** The longest chain of calls from any function (frames), or -1 when the graph has a cycle. */
function deepestChain(g: CallGraph): number {
  const depth = new Map<number, number>();
  const onPath = new Set<number>();
  let cyclic = false;
  const visit = (fn: number): number => {
    if (onPath.has(fn)) { cyclic = true; return 0; }
    const known = depth.get(fn);
    if (known !== undefined) return known;
    onPath.add(fn);
    let d = 1;
    for (const callee of g.calls.get(fn) ?? []) d = Math.max(d, 1 + visit(callee)); // imports: no entry, depth 1
    onPath.delete(fn);
    depth.set(fn, d);
    return d;
  };
  let deepest = 0;
  for (const fn of g.calls.keys()) deepest = Math.max(deepest, visit(fn));
  return cyclic ? -1 : deepest;
}

function probe(name: string, wat: string): CallGraph {
  mkdirSync(DIR, { recursive: true });
  const src = join(DIR, `${name}.wat`), out = join(DIR, `${name}.wasm`);
  writeFileSync(src, wat);
  execFileSync('wat2wasm', [src, '-o', out]);
  return callGraph(out);
}

test('the firmware build turns the call-depth counter off', () => {
  assert.ok(FLAGS.common.includes('-DWASM_RT_USE_STACK_DEPTH_COUNT=0'));
});

test('the checker finds recursion and indirect calls', () => {
  if (!haveTools) return;
  const chain = probe('chain', '(module (func $a (call $b)) (func $b (call $c)) (func $c))');
  assert.is(deepestChain(chain), 3);
  assert.is(chain.indirect, 0);
  const mutual = probe('mutual', '(module (func $a (call $b)) (func $b (call $a)))');
  assert.is(deepestChain(mutual), -1);
  const self = probe('self', '(module (func $a (param i32) (if (local.get 0) (then (call $a (i32.const 0))))))');
  assert.is(deepestChain(self), -1);
  const indirect = probe('indirect', '(module (type $t (func)) (table 1 funcref) (func $a (call_indirect (type $t) (i32.const 0))))');
  assert.is(indirect.indirect, 1);
});

for (const target of ['streamed', 'scalar']) {
  test(`${target} runtime: no indirect call, no cycle, a short deepest chain`, () => {
    if (!haveTools) return;
    const wasm = join(REPO, 'build', `edgepack-${target}.wasm`);
    assert.ok(existsSync(wasm), `${wasm} (npm run build)`);
    const g = callGraph(wasm);
    assert.ok(g.calls.size > 20, `${g.calls.size} functions read`);
    assert.is(g.indirect, 0, 'call_indirect');
    const deepest = deepestChain(g);
    assert.ok(deepest > 0, 'a cycle in the call graph');
    assert.ok(deepest <= 32, `deepest chain ${deepest} frames`);
    console.log(`  ${target}: ${g.calls.size} functions, deepest call chain ${deepest} frames`);
  });
}

test.run();
