// The `edgepack convert` command line that reproduces the studio's .epk (src/cli/convert.ts flags).

import type { CompressOptions } from '../../convert.js';

/** A file name as one shell word (single-quoted when it holds anything but safe characters). */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9._\/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The .epk name a source gets: its base name with .epk. */
export function epkName(source: string): string {
  return source.replace(/\.[^./]*$/, '') + '.epk';
}

export function convertCommandLine(source: string, c: CompressOptions, calibration?: string): string {
  const flags: string[] = calibration ? [`--calibrate ${shellWord(calibration)}`] : [];
  if (c.prune) flags.push(`--prune ${c.prune}`);
  if (c.codebook) flags.push(`--codebook ${c.codebook}`);
  if (c.perChannelCodebook) flags.push('--per-channel-codebook');
  if (c.huffman) flags.push('--huffman');
  return ['npx edgepack convert', shellWord(source), '-o', shellWord(epkName(source)), ...flags].join(' ');
}
