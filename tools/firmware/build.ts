// Builds and runs the C firmware: the scalar (or streamed) runtime translated by wasm2c,
// a small C host, and one model with its test inputs as const arrays. Two targets:
// `native` (gcc, Linux) and `m4` (arm-none-eabi-gcc, Cortex-M4F, run under QEMU mps2-an386).

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type FirmwareTarget = 'native' | 'm4';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SRC = join(REPO, 'tools', 'firmware');
// Debian wabt installs wasm-rt.h in /usr/include; it is copied next to the generated C so the
// cross compiler never sees the host's /usr/include.
const WASM_RT_HEADERS = ['/usr/include/wasm-rt.h', '/usr/src/wasm2c/wasm-rt.h'];
// C stack reserved on the M4 (peak use is printed as `stack`): peaks measured 968-1,288 B
// (kws, ic_resnet8, person_detect; resident, streamed, codebook and Huffman filters), so
// 2 KiB keeps >= 760 B of margin (src/runtime/firmware.ts). runFirmware fails above 3/4 of it.
export { FIRMWARE_STACK_BYTES as STACK_BYTES } from '../../src/runtime/firmware.js';
import { FIRMWARE_STACK_BYTES as STACK_BYTES, firmwareRam } from '../../src/runtime/firmware.js';
import { maskFlags } from '../../src/format/kernels.js';

/** The C compiler flags, reported beside every figure. */
export const FLAGS = {
  // -ffp-contract=off: wasm rounds every f32 mul and add (float32 models); a fused
  // multiply-add (Cortex-M4 VFMA) would round once and differ from every other build
  // WASM_RT_USE_STACK_DEPTH_COUNT=0: no call-depth counter in every function's prologue and
  // epilogue. The runtime's call graph has no cycle and no call_indirect, so its depth is
  // bounded by the module itself (test/firmware-stack.test.ts checks both and the bound); the
  // counter's 500 frames could not catch an overflow of the 2 KiB C stack anyway, which the
  // stack peak check guards (runFirmware, test/firmware-m4.test.ts). kws: -1.9% instructions.
  // -fno-tree-reassoc: wasm2c's i32 arithmetic is unsigned C, which gcc may reassociate; it
  // rebuilt each GEMM accumulator's chain of 8 multiply-adds (gemm.ts mac8w) into a tree of
  // products (a MUL, 7 MLAs and an ADD per accumulator) and spilled more of the 8 sums
  // (kws 14.26 M -> 13.44 M instructions, docs/NOTES.md "Firmware").
  common: [...(process.env.EP_FW_OPT ?? '-O2').split(' '), '-fno-tree-reassoc', '-ffp-contract=off', '-DNDEBUG', '-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0', '-DWASM_RT_USE_STACK_DEPTH_COUNT=0', '-ffunction-sections', '-fdata-sections'],
  m4: ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16'],
};

export interface FirmwareSpec {
  name: string; // build directory name
  target: FirmwareTarget;
  wasm: string; // runtime module to translate
  epk: Uint8Array;
  cases: Uint8Array[]; // all inputs of one inference, back to back, per case
  measureCase: number;
  memoryBytes: number; // linear memory backed in RAM: exact bytes (wasm-rt-bare.c)
  streamScratch?: number; // streamed build: scratch bytes the host grants
  profile?: boolean; // streamed build: count instructions per op (prints `op <i> <n>`)
}

export interface FirmwareRun {
  outputs: string[]; // hex per case
  instructions: number;
  opInstructions: number[]; // with profile: per op
  calibration: number; // counter around a loop of exactly 100,000,000 instructions (+ call overhead)
  memoryBytes: number; // linear memory backed (exact bytes)
  memoryUsedBytes: number; // the runtime's high-water mark in it
  stackBytes: number;
}

export function toolAvailable(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/**
 * wasm2c + compile of the runtime module, once per (module bytes, target): the translated
 * runtime does not depend on the model. Returns the directory holding edgepack.{h,o}.
 */
function compileRuntime(wasm: string, target: FirmwareTarget, outRoot: string): string {
  const bytes = readFileSync(wasm);
  const key = createHash('sha256').update(bytes).update(JSON.stringify(FLAGS)).update(mergeDataSegments.toString()).update(tuneMemoryAccess.toString()).update(funcTypeCount.toString()).update(TUNED_LOAD).digest('hex').slice(0, 16);
  const dir = join(outRoot, `runtime-${target}-${basename(wasm, '.wasm')}`);
  const stamp = join(dir, 'key');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return dir;
  mkdirSync(dir, { recursive: true });
  const merged = join(dir, 'edgepack.wasm');
  writeFileSync(merged, mergeDataSegments(new Uint8Array(bytes)));
  execFileSync('wasm2c', [merged, '-n', 'edgepack', '-o', join(dir, 'edgepack.c')]);
  const tuned = tuneMemoryAccess(readFileSync(join(dir, 'edgepack.c'), 'utf8'));
  writeFileSync(join(dir, 'edgepack.c'), tuned.c);
  writeFileSync(join(dir, 'edgepack-access.h'), [
    '/* generated by tools/firmware/build.ts */',
    `#define EP_ACCESS_END ${tuned.accessEnd}u /* the end of the furthest access at address 0 */`,
    `#define EP_FUNC_TYPES ${funcTypeCount(tuned.c)} /* function types the translated module registers */`,
    '',
  ].join('\n'));
  const header = WASM_RT_HEADERS.find((h) => existsSync(h));
  if (!header) throw new Error('wasm-rt.h not found: install Debian wabt');
  copyFileSync(header, join(dir, 'wasm-rt.h'));
  const cc = target === 'native' ? ['gcc'] : ['arm-none-eabi-gcc', ...FLAGS.m4];
  execFileSync(cc[0], [...cc.slice(1), ...FLAGS.common, '-I', dir, '-c', join(dir, 'edgepack.c'), '-o', join(dir, 'edgepack.o')]);
  writeFileSync(stamp, key);
  return dir;
}

// wabt 1.0.32's little-endian load and store helpers, as wasm2c writes them.
const WASM2C_LOAD = `#define DEFINE_LOAD(name, t1, t2, t3)                      \\
  static inline t3 name(wasm_rt_memory_t* mem, u64 addr) { \\
    MEMCHECK(mem, addr, t1);                               \\
    t1 result;                                             \\
    wasm_rt_memcpy(&result, &mem->data[addr], sizeof(t1)); \\
    wasm_asm("" ::"r"(result));                            \\
    return (t3)(t2)result;                                 \\
  }

#define DEFINE_STORE(name, t1, t2)                                     \\
  static inline void name(wasm_rt_memory_t* mem, u64 addr, t2 value) { \\
    MEMCHECK(mem, addr, t1);                                           \\
    t1 wrapped = (t1)value;                                            \\
    wasm_rt_memcpy(&mem->data[addr], &wrapped, sizeof(t1));            \\
  }
#endif`;

// The same helpers taking the address as its two wasm parts, base (an i32 value) and the
// instruction's constant offset, and checking in 32 bits: base > size - (offset + width)
// traps exactly when base + offset + width > size, provided size >= offset + width, which
// wasm-rt-bare.c makes sure of once (linear memory never shrinks: EP_ACCESS_END). No
// register barrier after a load (wasm2c's empty asm): on the Cortex-M4 it pinned each i64
// to a register pair, and gcc spilled the GEMM's operands around it.
const TUNED_LOAD = `#define EP_MEMCHECK(mem, base, off, t) \\
  if (UNLIKELY((base) > (mem)->size - ((off) + (u32)sizeof(t)))) TRAP(OOB);
#define DEFINE_LOAD(name, t1, t2, t3)                                       \\
  static inline t3 name(wasm_rt_memory_t* mem, u32 base, u32 off) {         \\
    EP_MEMCHECK(mem, base, off, t1);                                        \\
    t1 result;                                                              \\
    wasm_rt_memcpy(&result, &mem->data[(size_t)base + off], sizeof(t1));    \\
    return (t3)(t2)result;                                                  \\
  }

#define DEFINE_STORE(name, t1, t2)                                          \\
  static inline void name(wasm_rt_memory_t* mem, u32 base, u32 off, t2 value) { \\
    EP_MEMCHECK(mem, base, off, t1);                                        \\
    t1 wrapped = (t1)value;                                                 \\
    wasm_rt_memcpy(&mem->data[(size_t)base + off], &wrapped, sizeof(t1));   \\
  }
#endif`;

/**
 * Rewrites wasm2c's loads and stores to TUNED_LOAD's form: every call
 * `NAME(&instance->w2c_memory, (u64)(VAR) + O[u]` becomes `NAME(&instance->w2c_memory, VAR, Ou`.
 * Throws when the translation holds any other form (a wabt that writes it differently), so
 * no access is left with a helper of the wrong signature. Returns the C and the end of the
 * furthest access at base 0 (largest offset + 8), which linear memory must never be below.
 * Cortex-M4 code per access: 3 instructions of check (was 5 with a 64-bit compare, and a
 * register held at zero for it).
 */
export function tuneMemoryAccess(c: string): { c: string; accessEnd: number } {
  if (!c.includes(WASM2C_LOAD)) throw new Error('wasm2c output: load/store helpers not as expected (wabt 1.0.32)');
  let out = c.replace(WASM2C_LOAD, TUNED_LOAD);
  let maxOffset = 0;
  const call = /\b([if](?:32|64)_(?:load|store)[0-9a-z_]*)\(&instance->w2c_memory, \(u64\)\((w2c_[a-z0-9]+)\)(?: \+ (\d+)u?)?([,)])/g;
  out = out.replace(call, (_m, name: string, base: string, off: string | undefined, next: string) => {
    const o = Number(off ?? 0);
    maxOffset = Math.max(maxOffset, o);
    return `${name}(&instance->w2c_memory, ${base}, ${o}u${next}`;
  });
  const left = out.match(/\b[if](?:32|64)_(?:load|store)[0-9a-z_]*\(&instance->w2c_memory, \(u64\)/);
  if (left) throw new Error(`wasm2c output: a memory access not rewritten: ${left[0]}`);
  if (maxOffset + 8 > 0x7fffffff) throw new Error(`wasm2c output: memory offset ${maxOffset} too large`);
  return { c: out, accessEnd: maxOffset + 8 };
}

/**
 * The number of function types wasm2c's translation registers (its `func_types[N]` array):
 * wasm-rt-bare.c sizes its signature table to exactly that, so a runtime with more kernels
 * (more signatures) gets a larger table and a model-specific one no more than it needs.
 */
export function funcTypeCount(c: string): number {
  const m = /\bstatic u32 func_types\[(\d+)\];/.exec(c);
  if (!m) throw new Error('wasm2c output: no func_types array (wabt 1.0.32 form expected)');
  return Number(m[1]);
}

/** The model and test vectors as const arrays, placed with .incbin (no multi-MB C source). */
function writeModelData(spec: FirmwareSpec, dir: string): void {
  writeFileSync(join(dir, 'model.epk'), spec.epk);
  const caseBytes = spec.cases[0]?.length ?? 0;
  const cases = new Uint8Array(caseBytes * spec.cases.length);
  spec.cases.forEach((c, i) => cases.set(c, i * caseBytes));
  writeFileSync(join(dir, 'cases.bin'), cases);
  const asm = [
    '  .section .rodata.ep_model, "a"',
    '  .balign 16',
    '  .global ep_model',
    'ep_model:',
    '  .incbin "model.epk"',
    'ep_model_end:',
    '  .balign 4',
    '  .global ep_model_len',
    'ep_model_len: .long ep_model_end - ep_model',
    '  .global ep_case_count',
    `ep_case_count: .long ${spec.cases.length}`,
    '  .global ep_case_bytes',
    `ep_case_bytes: .long ${caseBytes}`,
    '  .global ep_measure_case',
    `ep_measure_case: .long ${spec.measureCase}`,
    '  .section .testvec, "a"',
    '  .balign 16',
    '  .global ep_cases',
    'ep_cases:',
    '  .incbin "cases.bin"',
    '',
  ];
  if (spec.target === 'native') asm.push('  .section .note.GNU-stack, "", @progbits', '');
  writeFileSync(join(dir, 'model-data.S'), asm.join('\n'));
}

export function buildFirmware(spec: FirmwareSpec, outRoot = join(REPO, 'build', 'firmware')): string {
  const dir = join(outRoot, spec.name);
  mkdirSync(dir, { recursive: true });
  const rt = compileRuntime(spec.wasm, spec.target, outRoot);
  writeModelData(spec, dir);
  const defs = [`-DEP_MEMORY_BYTES=${spec.memoryBytes}`];
  if (spec.streamScratch !== undefined) defs.push('-DEP_STREAMED', `-DEP_STREAM_SCRATCH=${spec.streamScratch}`);
  if (spec.profile) defs.push('-DEP_PROFILE');
  const sources = [join(rt, 'edgepack.o'), join(SRC, 'wasm-rt-bare.c'), join(SRC, 'host.c'), join(dir, 'model-data.S')];
  const includes = ['-I', rt, '-I', SRC];
  const elf = join(dir, spec.target === 'native' ? 'firmware' : 'firmware.elf');
  if (spec.target === 'native') {
    execFileSync('gcc', [...FLAGS.common, ...defs, ...includes, ...sources, join(SRC, 'platform-native.c'), '-o', elf, '-lm'], { cwd: dir });
  } else {
    execFileSync('arm-none-eabi-gcc', [
      ...FLAGS.m4, ...FLAGS.common, ...defs, ...includes, ...sources,
      join(SRC, 'platform-m4.c'), join(SRC, 'startup-m4.c'),
      '-nostartfiles', '--specs=nano.specs', '-Wl,--gc-sections', `-Wl,--defsym=EP_STACK_BYTES=${STACK_BYTES}`,
      '-T', join(SRC, 'mps2-an386.ld'), '-o', elf, '-lm',
    ], { cwd: dir });
  }
  return elf;
}

export function runFirmware(elf: string, target: FirmwareTarget, timeoutMs = 600_000): FirmwareRun {
  const cmd = target === 'native' ? elf : 'qemu-system-arm';
  const args = target === 'native' ? [] : [
    '-M', 'mps2-an386', '-cpu', 'cortex-m4', '-nographic', '-monitor', 'none', '-serial', 'none',
    '-semihosting-config', 'enable=on,target=native', '-icount', 'shift=3', '-kernel', elf,
  ];
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${elf} exited with ${r.status}: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ')}`);
  const run = parseRun(r.stdout + r.stderr); // QEMU writes semihosting output to stderr
  if (target === 'm4' && run.stackBytes > STACK_BYTES * 0.75) throw new Error(`${elf}: stack peak ${run.stackBytes} B is close to the ${STACK_BYTES} B reserved`);
  return run;
}

function parseRun(text: string): FirmwareRun {
  const run: FirmwareRun = { outputs: [], instructions: 0, opInstructions: [], calibration: 0, memoryBytes: 0, memoryUsedBytes: 0, stackBytes: 0 };
  for (const line of text.split('\n')) {
    const [key, a, b] = line.trim().split(' ');
    if (key === 'out') run.outputs[Number(a)] = b ?? '';
    else if (key === 'op') run.opInstructions[Number(a)] = Number(b);
    else if (key === 'instructions') run.instructions = Number(a);
    else if (key === 'calibration') run.calibration = Number(a);
    else if (key === 'memory') run.memoryBytes = Number(a);
    else if (key === 'memory_used') run.memoryUsedBytes = Number(a);
    else if (key === 'stack') run.stackBytes = Number(a);
  }
  return run;
}

export interface SectionSizes {
  flashBytes: number; // .vectors + .text + .rodata + .ARM.exidx + .data image (test vectors excluded)
  modelBytes: number; // the .epk inside .rodata
  codeBytes: number; // flashBytes - modelBytes
  ramBytes: number; // .data + .bss (incl. linear memory) + reserved stack
  linearMemoryBytes: number; // size of the linear_memory symbol (wasm-rt-bare.c)
  hostRamBytes: number; // .data + .bss besides the linear memory
  stackBytes: number; // reserved
  testVectorBytes: number;
}

/** Section sizes of an M4 image from `arm-none-eabi-size -A`, the linear memory from `nm -S`. */
export function sectionSizes(elf: string, modelBytes: number): SectionSizes {
  const text = execFileSync('arm-none-eabi-size', ['-A', elf], { encoding: 'utf8' });
  const sym = /^[0-9a-f]+ ([0-9a-f]+) [bBdD] linear_memory$/m.exec(execFileSync('arm-none-eabi-nm', ['-S', elf], { encoding: 'utf8' }));
  const linearMemoryBytes = sym ? parseInt(sym[1], 16) : 0;
  const size: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\.\S+)\s+(\d+)/.exec(line.trim());
    if (m) size[m[1]] = Number(m[2]);
  }
  const s = (k: string) => size[k] ?? 0;
  const flashBytes = s('.vectors') + s('.text') + s('.rodata') + s('.ARM.exidx') + s('.data');
  return {
    flashBytes,
    modelBytes,
    codeBytes: flashBytes - modelBytes,
    ramBytes: s('.data') + s('.bss') + s('.stack'),
    linearMemoryBytes,
    hostRamBytes: s('.data') + s('.bss') - linearMemoryBytes,
    stackBytes: s('.stack'),
    testVectorBytes: s('.testvec'),
  };
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export type Mode = 'resident' | 'streamed';

export interface ModelFirmware {
  elf: string;
  mode: Mode;
  linearMemoryBytes: number; // exact bytes the Node loader's high-water mark gave for the same module and model
  stageBytes: number; // streamed: stage granted
  plannedRamBytes: number; // src/runtime/firmware.ts firmwareRam: linear memory + stack + host RAM
  kernelMask: bigint; // kernel variants linked (src/format/kernels.ts); ALL_KERNELS for the default build
}

/**
 * Linear memory for a mode, exact to the byte: the high-water mark of loading the model in
 * Node with the same module (src/runtime/firmware.ts), which the firmware then backs.
 */
export async function planMemory(epk: Uint8Array, mode: Mode, wasm?: string): Promise<{ memoryBytes: number; stageBytes: number; ramBytes: number }> {
  const ram = await firmwareRam(epk, mode, wasm);
  return { memoryBytes: ram.linearMemoryBytes, stageBytes: ram.stageBytes, ramBytes: ram.ramBytes };
}

/**
 * The runtime module for one kernel set: the default build for every kernel, else
 * `asc --use EP_KERNELS=<w0> --use EP_KERNELS_HI=<w1> --use EP_KERNELS_W2=<w2>` (maskFlags) of the same terse entry and options as `npm run build:wasm`, cached
 * by mask in build/firmware/runtimes/.
 */
export function runtimeForKernels(mode: Mode, mask: bigint, outRoot = join(REPO, 'build', 'firmware')): string {
  const target = mode === 'resident' ? 'scalar' : 'streamed';
  // the terse copy (tools/terse-messages.mjs, made by npm run build:wasm): message ids, no texts in RAM
  const entry = mode === 'resident' ? 'build/terse/assembly/index.ts' : 'build/terse/assembly/streamed.ts';
  const dir = join(outRoot, 'runtimes');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${target}-k${mask.toString(16)}.wasm`);
  const sources = execFileSync('sh', ['-c', 'cat build/terse/assembly/*.ts build/terse/assembly/kernels/*.ts asconfig.json tools/asc-low-memory.mjs build/edgepack-messages.json'], { cwd: REPO });
  const key = createHash('sha256').update(sources).update(String(mask)).digest('hex').slice(0, 16);
  if (existsSync(out) && existsSync(`${out}.key`) && readFileSync(`${out}.key`, 'utf8') === key) return out;
  execFileSync(join(REPO, 'node_modules', '.bin', 'asc'), [
    entry, '--target', target, ...maskFlags(mask), '--outFile', out, '--textFile', '',
    '--memoryBase', '16', '--transform', './tools/asc-low-memory.mjs', // as npm run build:wasm builds the terse targets
  ], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 }); // an empty --textFile prints the text format to stdout: not wanted
  execFileSync('node', [join(REPO, 'tools', 'terse-messages.mjs'), 'embed', out], { cwd: REPO });
  writeFileSync(`${out}.key`, key);
  return out;
}

export async function buildModelFirmware(
  name: string, target: FirmwareTarget, mode: Mode, epk: Uint8Array, cases: Uint8Array[], measureCase = 0, profile = false,
  modelSpecific = false,
): Promise<ModelFirmware> {
  const { runtimePath } = await import('../../src/runtime/node.js');
  const { streamedPath } = await import('../../src/runtime/streamed.js');
  const { ALL_KERNELS, kernelMask } = await import('../../src/format/kernels.js');
  const { readEpk } = await import('../../src/format/reader.js');
  const kernels = modelSpecific ? kernelMask(readEpk(epk)) : ALL_KERNELS;
  const wasm = modelSpecific ? runtimeForKernels(mode, kernels) : mode === 'resident' ? runtimePath('scalar') : streamedPath;
  const { memoryBytes, stageBytes, ramBytes } = await planMemory(epk, mode, wasm);
  const elf = buildFirmware({
    name: `${name}-${target}-${mode}${modelSpecific ? '-specific' : ''}${profile ? '-profile' : ''}`,
    target, epk, cases, measureCase, memoryBytes, profile, wasm,
    streamScratch: mode === 'streamed' ? stageBytes : undefined,
  });
  return { elf, mode, linearMemoryBytes: memoryBytes, stageBytes, plannedRamBytes: ramBytes, kernelMask: kernels };
}

// --- data segments ----------------------------------------------------------------------

const uleb = (b: Uint8Array, at: number): [number, number] => {
  let v = 0, shift = 0, n = 0;
  for (;;) {
    const byte = b[at + n++];
    v += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(byte & 0x80)) return [v, n];
  }
};
const sleb = (b: Uint8Array, at: number): [number, number] => {
  let v = 0, shift = 0, n = 0, byte = 0;
  do {
    byte = b[at + n++];
    v += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  if (byte & 0x40) v -= 2 ** shift;
  return [v, n];
};
const encU = (v: number): number[] => {
  const out: number[] = [];
  do {
    let byte = v & 0x7f;
    v = Math.floor(v / 128);
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
};
const encS = (v: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v = Math.floor(v / 128);
    if ((v === 0 && !(byte & 0x40)) || (v === -1 && byte & 0x40)) { out.push(byte); return out; }
    out.push(byte | 0x80);
  }
};

/**
 * Merges active data segments lying at most `maxGap` bytes apart into one (the gap filled
 * with zeros, which linear memory holds there anyway). AssemblyScript emits one segment per
 * static (274 in the streamed build); wasm2c initialises each with its own bounds-checked
 * copy, about 36 B of Cortex-M4 code apiece, so gaps under that are cheaper stored than
 * coded. Returns the module unchanged when it holds anything but active segments of memory 0
 * at i32.const offsets (passive segments are addressed by index: no merging then).
 */
export function mergeDataSegments(wasm: Uint8Array, maxGap = 32): Uint8Array {
  const sections: { id: number; start: number; end: number }[] = [];
  for (let at = 8; at < wasm.length;) {
    const id = wasm[at];
    const [size, n] = uleb(wasm, at + 1);
    sections.push({ id, start: at + 1 + n, end: at + 1 + n + size });
    at += 1 + n + size;
  }
  const data = sections.find((s) => s.id === 11);
  if (!data) return wasm;
  let at = data.start;
  const [count, cn] = uleb(wasm, at);
  at += cn;
  const segs: { offset: number; bytes: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) {
    if (wasm[at] !== 0 || wasm[at + 1] !== 0x41) return wasm; // active, memory 0, i32.const
    const [offset, on] = sleb(wasm, at + 2);
    if (wasm[at + 2 + on] !== 0x0b) return wasm;
    at += 3 + on;
    const [size, sn] = uleb(wasm, at);
    at += sn;
    segs.push({ offset, bytes: wasm.subarray(at, at + size) });
    at += size;
  }
  segs.sort((a, b) => a.offset - b.offset);
  const merged: { offset: number; parts: { offset: number; bytes: Uint8Array }[]; end: number }[] = [];
  for (const s of segs) {
    const last = merged[merged.length - 1];
    if (last && s.offset >= last.end - 0 && s.offset - last.end <= maxGap) {
      last.parts.push(s);
      last.end = Math.max(last.end, s.offset + s.bytes.length);
    } else if (last && s.offset < last.end) {
      return wasm; // overlapping segments: leave the module as it is
    } else {
      merged.push({ offset: s.offset, parts: [s], end: s.offset + s.bytes.length });
    }
  }
  // parts joined as Uint8Arrays: a section spread into push() arguments overflows the call
  // stack once it is large (a code section past ~120 KiB)
  const body: Uint8Array[] = [Uint8Array.from(encU(merged.length))];
  for (const m of merged) {
    const bytes = new Uint8Array(m.end - m.offset);
    for (const p of m.parts) bytes.set(p.bytes, p.offset - m.offset);
    body.push(Uint8Array.from([0, 0x41, ...encS(m.offset), 0x0b, ...encU(bytes.length)]), bytes);
  }
  const out: Uint8Array[] = [wasm.subarray(0, 8)];
  for (const s of sections) {
    const payload = s.id === 11 ? concat(body) : s.id === 12 ? Uint8Array.from(encU(merged.length)) : wasm.subarray(s.start, s.end);
    out.push(Uint8Array.from([s.id, ...encU(payload.length)]), payload);
  }
  return concat(out);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}
