import { parseArgs } from 'node:util';
import { basename } from 'node:path';
import { FitError, best, fitModel, formatFit, loadBoard } from '../fit.js';
import { UsageError, readInput, refuseSameFile, writeAtomic } from './io.js';

export const usage = 'edgepack fit MODEL.tflite --board NAME|BOARD.json [-o OUT.epk] [--json]';

/** Prints the per-layer table and budget; writes the .epk only when it fits. */
export async function fitCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      board: { type: 'string', short: 'b' },
      output: { type: 'string', short: 'o' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1 || !values.board) throw new UsageError(`usage: ${usage}`);
  const input = positionals[0];
  const sources: [string, string][] = [[input, 'model'], [values.board, 'board file']];
  if (values.output) refuseSameFile(values.output, sources); // before the (long) fit
  const board = loadBoard(values.board);
  const result = await fitModel(readInput(input, 'model'), basename(input), board);
  if (values.json) {
    const { epk, ...rest } = result;
    process.stdout.write(JSON.stringify({ ...rest, epkBytes: epk.length }, null, 1) + '\n');
  } else {
    process.stdout.write(formatFit(result) + '\n');
  }
  if (!result.chosen) {
    const n = best(result.options, board);
    throw new FitError(`${basename(input)} does not fit ${board.name} (closest: ${n.mode}, RAM ${n.ramBytes} of ${board.ramBytes} B, flash ${n.flashBytes} of ${board.flashBytes} B); nothing written`);
  }
  const out = values.output ?? `${basename(input).replace(/\.[^.]*$/, '')}.${board.name}.epk`;
  refuseSameFile(out, sources);
  writeAtomic(out, result.epk);
  if (!values.json) process.stdout.write(`wrote ${out} (${result.epk.length} bytes, ${result.chosen.mode} mode)\n`);
}
