import { parseArgs } from 'node:util';
import { basename } from 'node:path';
import { FitError, best, fitModel, formatFit, loadBoard } from '../fit.js';
import { UsageError, readInput, refuseSameFile, writeAtomic } from './io.js';
import { importModel } from '../convert.js';
import { loadInt8Calibration } from '../io/calibration.js';
import { int8Inputs, positiveInt } from './convert.js';

export const usage = 'edgepack fit MODEL.tflite --board NAME|BOARD.json [-o OUT.epk] [--json] [--calibrate FILE [--calibrate-count N] [--calibrate-raw int8|u8|f32]] [--quiet]';

/** Prints the per-layer table and budget; writes the .epk only when it fits. */
export async function fitCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      board: { type: 'string', short: 'b' },
      output: { type: 'string', short: 'o' },
      json: { type: 'boolean' },
      calibrate: { type: 'string' },
      'calibrate-count': { type: 'string' },
      'calibrate-raw': { type: 'string' },
      quiet: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1 || !values.board) throw new UsageError(`usage: ${usage}`);
  const input = positionals[0];
  const sources: [string, string][] = [[input, 'model'], [values.board, 'board file'], ...(values.calibrate ? [[values.calibrate, 'calibration data'] as [string, string]] : [])];
  if (values.output) refuseSameFile(values.output, sources); // before the (long) fit
  const board = loadBoard(values.board);
  const bytes = readInput(input, 'model');
  let calibration: Uint8Array[][] | undefined;
  if (values.calibrate) {
    // int8 models: the size budget's calibrated codebooks when the flash (or RAM) is the limit
    const raw = values['calibrate-raw'];
    if (raw !== undefined && raw !== 'int8' && raw !== 'u8' && raw !== 'f32') throw new UsageError(`--calibrate-raw must be int8, u8 or f32, not ${raw}`);
    const limit = values['calibrate-count'] === undefined ? undefined : positiveInt(values['calibrate-count'], '--calibrate-count');
    calibration = loadInt8Calibration(values.calibrate, { inputs: int8Inputs(importModel(bytes, basename(input)), input), limit, raw });
  }
  const log = values.quiet || values.json ? undefined : (l: string) => process.stderr.write(l + '\n');
  const result = await fitModel(bytes, basename(input), board, { calibration, log });
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
