import { parseArgs } from 'node:util';
import { basename } from 'node:path';
import { CompressOptions, convertModel } from '../convert.js';
import { formatSummary, summarize } from '../inspect.js';
import { REPRS } from '../passes/pack-huffman.js';
import { Repr } from '../format/packed.js';
import { formatFidelity, fidelityReport } from '../compress/report.js';
import { UsageError, readInput, writeAtomic } from './io.js';

export const usage =
  'edgepack convert MODEL.tflite -o OUT.epk [--prune F] [--structured-prune F] [--codebook B] [--codebook-layer OP=B]... ' +
  '[--per-channel-codebook] [--huffman] [--pack raw|codebook|huffman|codebook+huffman] [--report] [--dump-after PASS]... [--quiet]';

function fraction(flag: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const v = Number(s);
  if (!(v >= 0 && v < 1)) throw new UsageError(`--${flag} must be a fraction in [0, 1), got "${s}"`);
  return v;
}

function bits(flag: string, s: string): number {
  const v = Number(s);
  if (!(Number.isInteger(v) && ((v >= 2 && v <= 8) || (flag === 'codebook-layer' && v === 0)))) {
    throw new UsageError(`--${flag} bits must be an integer 2..8${flag === 'codebook-layer' ? ' (or 0: none)' : ''}, got "${s}"`);
  }
  return v;
}

export function compressOptions(values: Record<string, string | boolean | string[] | undefined>): CompressOptions {
  const layers: Record<number, number> = {};
  for (const spec of (values['codebook-layer'] as string[] | undefined) ?? []) {
    const m = /^(\d+)=(\d+)$/.exec(spec);
    if (!m) throw new UsageError(`--codebook-layer expects OP=BITS (source op index), got "${spec}"`);
    layers[Number(m[1])] = bits('codebook-layer', m[2]);
  }
  const packAs = values.pack as string | undefined;
  if (packAs !== undefined && !REPRS.includes(packAs as Repr)) throw new UsageError(`--pack must be one of ${REPRS.join(', ')}, got "${packAs}"`);
  return {
    prune: fraction('prune', values.prune as string | undefined),
    structuredPrune: fraction('structured-prune', values['structured-prune'] as string | undefined),
    codebook: values.codebook === undefined ? undefined : bits('codebook', values.codebook as string),
    codebookLayers: Object.keys(layers).length ? layers : undefined,
    perChannelCodebook: !!values['per-channel-codebook'],
    huffman: !!values.huffman,
    pack: packAs as Repr | undefined,
  };
}

export const COMPRESS_FLAGS = {
  prune: { type: 'string' },
  'structured-prune': { type: 'string' },
  codebook: { type: 'string' },
  'codebook-layer': { type: 'string', multiple: true },
  'per-channel-codebook': { type: 'boolean' },
  huffman: { type: 'boolean' },
  pack: { type: 'string' },
} as const;

export async function convertCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      'dump-after': { type: 'string', multiple: true },
      quiet: { type: 'boolean', short: 'q' },
      report: { type: 'boolean' },
      ...COMPRESS_FLAGS,
    },
  });
  if (positionals.length !== 1 || !values.output) throw new UsageError(`usage: ${usage}`);
  const input = positionals[0];
  const bytes = readInput(input, 'model');
  const compress = compressOptions(values);
  const result = convertModel(bytes, basename(input), { dumpAfter: values['dump-after'], compress });
  writeAtomic(values.output, result.epk);
  if (!values.quiet) {
    const s = summarize(result.epk);
    process.stdout.write(`${formatSummary(s)}\nwrote ${values.output} (${result.epk.length} bytes; source ${bytes.length} bytes)\n`);
  }
  if (values.report) {
    const report = await fidelityReport(bytes, basename(input), result.epk, {});
    process.stdout.write(formatFidelity(report) + '\n');
  }
}
