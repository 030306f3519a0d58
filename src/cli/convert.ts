import { parseArgs } from 'node:util';
import { basename } from 'node:path';
import { convertModel } from '../convert.js';
import { formatSummary, summarize } from '../inspect.js';
import { UsageError, readInput, writeAtomic } from './io.js';

export const usage = 'edgepack convert MODEL.tflite -o OUT.epk [--dump-after PASS]... [--quiet]';

export async function convertCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      'dump-after': { type: 'string', multiple: true },
      quiet: { type: 'boolean', short: 'q' },
    },
  });
  if (positionals.length !== 1 || !values.output) throw new UsageError(`usage: ${usage}`);
  const input = positionals[0];
  const bytes = readInput(input, 'model');
  const result = convertModel(bytes, basename(input), { dumpAfter: values['dump-after'] });
  writeAtomic(values.output, result.epk);
  if (!values.quiet) {
    const s = summarize(result.epk);
    process.stdout.write(`${formatSummary(s)}\nwrote ${values.output} (${result.epk.length} bytes; source ${bytes.length} bytes)\n`);
  }
}
