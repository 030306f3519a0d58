import { parseArgs } from 'node:util';
import { formatSummary, summarize } from '../inspect.js';
import { load } from '../runtime/loader.js';
import { UsageError, maxMemoryFlag, readInput } from './io.js';

export const usage = 'edgepack inspect MODEL.epk [--json] [--max-memory BYTES]';

export async function inspectCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, 'max-memory': { type: 'string' } } });
  if (positionals.length !== 1) throw new UsageError(`usage: ${usage}`);
  const bytes = readInput(positionals[0], 'model');
  const summary = summarize(bytes);
  // Load it once in the scalar build to state the memory a device would need.
  const model = await load(bytes, { target: 'scalar', maxMemory: maxMemoryFlag(values['max-memory']) });
  const memory = {
    staticsBytes: model.staticsBytes,
    peakRamResidentBytes: model.staticsBytes + summary.modelBytes + summary.arenaBytes + summary.scratchBytes,
    wasmPages: model.wasmPages,
  };
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...summary, ...memory }, null, 2) + '\n');
  } else {
    process.stdout.write(`${formatSummary(summary)}\nruntime statics ${memory.staticsBytes} B; resident peak RAM ${memory.peakRamResidentBytes} B (statics + model + arena + scratch); ${memory.wasmPages} wasm pages\n`);
  }
}
