import { parseArgs } from 'node:util';
import { formatSummary, summarize } from '../inspect.js';
import { load } from '../runtime/loader.js';
import { FirmwareRam, firmwareRam } from '../runtime/firmware.js';
import { UsageError, maxMemoryFlag, readInput } from './io.js';

export const usage = 'edgepack inspect MODEL.epk [--json] [--max-memory BYTES]';

export async function inspectCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, 'max-memory': { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError(`usage: ${usage}`);
  const bytes = readInput(positionals[0], 'model');
  const summary = summarize(bytes);
  // Load it once in the scalar build to state the memory a device would need (as a device
  // loads it: without the widened GEMM weights of a JIT host, docs/ABI.md).
  const model = await load(bytes, { target: 'scalar', maxMemory: maxMemoryFlag(values['max-memory']), wideGemm: false });
  const memory = {
    staticsBytes: model.staticsBytes,
    peakRamResidentBytes: model.staticsBytes + summary.modelBytes + summary.arenaBytes + summary.scratchBytes,
    wasmPages: model.wasmPages,
  };
  // The wasm2c firmware's RAM in streamed mode, to the byte (src/runtime/firmware.ts):
  // loaded with the streamed module; null when that build refuses the file.
  let fw: FirmwareRam | null = null;
  try {
    fw = await firmwareRam(bytes, 'streamed');
  } catch {
    fw = null;
  }
  const firmware = fw && {
    mode: fw.mode, ramBytes: fw.ramBytes, linearMemoryBytes: fw.linearMemoryBytes, staticsBytes: fw.staticsBytes,
    metadataBytes: fw.modelInRamBytes, arenaBytes: fw.arenaBytes, scratchBytes: fw.scratchBytes, stageBytes: fw.stageBytes,
    stackBytes: fw.stackBytes, hostRamBytes: fw.hostRamBytes,
  };
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...summary, ...memory, firmware }, null, 2) + '\n');
  } else {
    const fwLine = firmware
      ? `firmware (wasm2c, streamed) RAM ${firmware.ramBytes} B = linear memory ${firmware.linearMemoryBytes} (statics ${firmware.staticsBytes} + metadata ${firmware.metadataBytes} + arena ${firmware.arenaBytes} + scratch ${firmware.scratchBytes} + stage ${firmware.stageBytes}, 16-aligned) + C stack ${firmware.stackBytes} + host ${firmware.hostRamBytes}`
      : 'firmware (wasm2c, streamed): the streamed build refuses this file';
    process.stdout.write(`${formatSummary(summary)}\nruntime statics ${memory.staticsBytes} B; resident peak RAM ${memory.peakRamResidentBytes} B (statics + model + arena + scratch); ${memory.wasmPages} wasm pages\n${fwLine}\n`);
  }
}
