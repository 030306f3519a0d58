import { parseArgs } from 'node:util';
import { formatSummary, summarize } from '../inspect.js';
import { UsageError, readInput } from './io.js';

export const usage = 'edgepack inspect MODEL.epk [--json]';

export async function inspectCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length !== 1) throw new UsageError(`usage: ${usage}`);
  const s = summarize(readInput(positionals[0], 'model'));
  process.stdout.write(values.json ? JSON.stringify(s, null, 2) + '\n' : formatSummary(s) + '\n');
}
