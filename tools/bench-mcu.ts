// npm run bench:mcu [-- --json FILE] [--models a,b] [--cases N] [--mode streamed|resident|both] [--profile] [--all-kernels]
// Builds the Cortex-M4F firmware (wasm2c scalar runtime + C host) per shared model, runs it
// under QEMU mps2-an386 with -icount shift=3, and prints instructions per inference, flash
// and RAM beside TFLM's reference-kernel and CMSIS-NN figures from ../shared/golden/summary.json
// (measured the same way: SysTick around the 2nd invoke on input_rand_0, ticks x 5), then RAM
// and code flash beside TFLM's images with the ratios. The runtime links only the model's
// kernels (src/format/kernels.ts) unless --all-kernels.

import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { FLAGS, Mode, STACK_BYTES, toolAvailable } from './firmware/build.js';
import { McuFigures, TflmFigures, measureModel } from './firmware/measure.js';
import { readEpk } from '../src/format/reader.js';
import { opMacs } from '../src/inspect.js';
import { OP_NAMES } from '../src/format/constants.js';

// mobilenet_v2 takes minutes per inference under QEMU: opt in with --models.
const DEFAULT_MODELS = ['person_detect', 'ic_resnet8_int8', 'kws_dscnn_int8'];

const kb = (n: number) => `${(n / 1024).toFixed(1)}K`;
const ratio = (a: number, b?: number) => (b ? (a / b).toFixed(2) : '-');

function row(name: string, f: McuFigures): string {
  return [
    name.padEnd(16), f.mode.padEnd(9), String(f.instructions).padStart(11),
    String(f.tflmRefInstructions ?? '-').padStart(11), ratio(f.instructions, f.tflmRefInstructions).padStart(6),
    String(f.tflmCmsisInstructions ?? '-').padStart(10), ratio(f.instructions, f.tflmCmsisInstructions).padStart(6),
    kb(f.flashBytes).padStart(8), kb(f.codeBytes).padStart(7), kb(f.ramBytes).padStart(8), kb(f.linearMemoryBytes).padStart(7),
    kb(f.stageBytes).padStart(7), `${f.exact ? 'yes' : 'NO'} (${f.casesChecked})`.padEnd(13), String(f.calibration).padStart(9),
  ].join(' ');
}

/** RAM and code flash beside TFLM's reference and CMSIS-NN images, with the ratios. */
function footprintRow(name: string, f: McuFigures): string {
  const vs = (ours: number, t?: TflmFigures, k?: 'ramBytes' | 'codeBytes') =>
    t && k ? `${String(t[k]).padStart(8)} ${ratio(ours, t[k]).padStart(5)}` : `${'-'.padStart(8)} ${'-'.padStart(5)}`;
  return [
    name.padEnd(16), f.mode.padEnd(9), String(f.ramBytes).padStart(8), vs(f.ramBytes, f.tflmRef, 'ramBytes'), vs(f.ramBytes, f.tflmCmsis, 'ramBytes'),
    String(f.codeBytes).padStart(8), vs(f.codeBytes, f.tflmRef, 'codeBytes'), vs(f.codeBytes, f.tflmCmsis, 'codeBytes'),
    `lin ${f.linearMemoryBytes} + host ${f.hostRamBytes} + stack ${f.stackBytes} (peak ${f.stackPeakBytes})`,
    f.modelSpecific ? `kernels ${f.kernels.join(',')}` : 'all kernels',
  ].join(' ');
}

/** Per op of the measured invoke: MACs, instructions, instructions per MAC, share. */
function profileTable(epk: Uint8Array, counts: number[]): string {
  const e = readEpk(epk);
  const total = counts.reduce((a, n) => a + n, 0);
  const lines = ['    #  op                      MACs   instructions  instr/MAC  share'];
  e.ops.forEach((op, i) => {
    const macs = opMacs(op, e.tensors);
    const n = counts[i] ?? 0;
    lines.push(`  ${String(i).padStart(3)}  ${OP_NAMES[op.opcode].padEnd(18)} ${String(macs).padStart(9)} ${String(n).padStart(14)} ${(macs ? (n / macs).toFixed(2) : '-').padStart(10)} ${((100 * n) / total).toFixed(1).padStart(5)}%`);
  });
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      json: { type: 'string' },
      models: { type: 'string' },
      cases: { type: 'string' },
      mode: { type: 'string', default: 'both' },
      profile: { type: 'boolean' },
      'all-kernels': { type: 'boolean' },
    },
  });
  for (const tool of ['wasm2c', 'arm-none-eabi-gcc', 'qemu-system-arm']) {
    if (!toolAvailable(tool)) throw new Error(`bench:mcu needs ${tool} (Debian: wabt, gcc-arm-none-eabi, libnewlib-arm-none-eabi, qemu-system-arm)`);
  }
  const models = values.models?.split(',') ?? DEFAULT_MODELS;
  const modes: Mode[] = values.profile ? ['streamed'] : values.mode === 'both' ? ['streamed', 'resident'] : [values.mode as Mode];
  const limit = values.cases ? Number(values.cases) : Infinity;
  console.log(`Cortex-M4F firmware, QEMU 7.2 mps2-an386 -icount shift=3 (instructions = SysTick ticks x 5, +-5)`);
  console.log(`C flags: ${[...FLAGS.m4, ...FLAGS.common].join(' ')}; wasm2c (wabt) bounds checks included; stack reserved ${STACK_BYTES} B`);
  console.log('flash = text+rodata+data image (model included, test vectors excluded); code = flash - .epk;');
  console.log('RAM = data+bss+stack, bss holding the wasm linear memory (lin); stage = streamed constants buffer inside lin');
  console.log([
    'model'.padEnd(16), 'mode'.padEnd(9), 'instr'.padStart(11), 'TFLM ref'.padStart(11), 'x ref'.padStart(6),
    'TFLM cmsis'.padStart(10), 'x cmsis'.padStart(6), 'flash'.padStart(8), 'code'.padStart(7), 'RAM'.padStart(8),
    'lin'.padStart(7), 'stage'.padStart(7), 'exact (cases)', 'counter check (loop of 100000000)',
  ].join(' '));
  const json: Record<string, McuFigures & { resident?: McuFigures }> = {};
  const all: [string, McuFigures][] = [];
  for (const name of models) {
    for (const mode of modes) {
      const f = await measureModel(name, mode, limit, values.profile, !values['all-kernels']);
      console.log(row(name, f));
      if (f.opInstructions && f.epk) console.log(profileTable(f.epk, f.opInstructions));
      all.push([name, f]);
      if (!json[name]) json[name] = f;
      else if (mode === 'resident') json[name].resident = f;
    }
  }
  console.log('');
  console.log('RAM = data+bss+stack (TFLM: arena_used_bytes_m4 + size_data + size_bss_excluding_arena, its stack not counted);');
  console.log('code = flash - .epk (TFLM: text_excluding_model_data + size_data); x = edgepack / TFLM');
  console.log([
    'model'.padEnd(16), 'mode'.padEnd(9), 'RAM'.padStart(8), 'TFLM ref'.padStart(8), 'x'.padStart(5), 'cmsis'.padStart(8), 'x'.padStart(5),
    'code'.padStart(8), 'TFLM ref'.padStart(8), 'x'.padStart(5), 'cmsis'.padStart(8), 'x'.padStart(5), 'where the RAM goes',
  ].join(' '));
  for (const [name, f] of all) console.log(footprintRow(name, f));
  if (values.json) {
    writeFileSync(values.json, JSON.stringify(json, null, 1) + '\n');
    console.log(`wrote ${values.json}`);
  }
}

main().catch((e) => {
  console.error(`bench:mcu: ${(e as Error).message}`);
  process.exit(1);
});
