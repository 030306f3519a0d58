import { parseArgs } from 'node:util';
import { basename } from 'node:path';
import { convertModel, importModel } from '../convert.js';
import { formatSummary, summarize } from '../inspect.js';
import { elementCount } from '../ir/graph.js';
import { loadCalibration } from '../io/calibration.js';
import { isFloatGraph } from '../passes/quantize-int8.js';
import { formatSqnr, measureSqnr } from '../float/sqnr.js';
import { UsageError, readInput, writeAtomic } from './io.js';

export const usage =
  'edgepack convert MODEL.(tflite|onnx) -o OUT.epk [--calibrate DIR_OR_FILE [--calibrate-count N] [--calibrate-raw u8|f32] [--percentile P] [--int8-io]] [--dump-after PASS]... [--quiet]';

export async function convertCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      'dump-after': { type: 'string', multiple: true },
      calibrate: { type: 'string' },
      'calibrate-count': { type: 'string' },
      'calibrate-raw': { type: 'string' },
      percentile: { type: 'string' },
      'int8-io': { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
    },
  });
  if (positionals.length !== 1 || !values.output) throw new UsageError(`usage: ${usage}`);
  const input = positionals[0];
  const bytes = readInput(input, 'model');
  const name = basename(input);
  const imported = importModel(bytes, name);
  let samples: Float32Array[][] | undefined;
  if (values.calibrate) {
    const limit = values['calibrate-count'] === undefined ? undefined : positiveInt(values['calibrate-count'], '--calibrate-count');
    const raw = values['calibrate-raw'];
    if (raw !== undefined && raw !== 'u8' && raw !== 'f32') throw new UsageError(`--calibrate-raw must be u8 or f32, not ${raw}`);
    samples = loadCalibration(values.calibrate, { inputSizes: imported.inputs.map((t) => elementCount(imported.tensors[t].shape)), limit, raw });
  }
  const percentile = values.percentile === undefined ? undefined : Number(values.percentile);
  if (percentile !== undefined && !(percentile > 50 && percentile <= 100)) throw new UsageError(`--percentile must lie in (50, 100], not ${values.percentile}`);
  const result = convertModel(bytes, name, { dumpAfter: values['dump-after'], quantize: { samples, percentile, int8Io: values['int8-io'] } });
  writeAtomic(values.output, result.epk);
  if (values.quiet) return;
  const s = summarize(result.epk);
  process.stdout.write(`${formatSummary(s)}\nwrote ${values.output} (${result.epk.length} bytes; source ${bytes.length} bytes)\n`);
  const floatGraph = result.after['fuse-pad'];
  if (samples && isFloatGraph(floatGraph) && !values['int8-io']) {
    const report = await measureSqnr(floatGraph, result.graph, samples.slice(0, 100));
    process.stdout.write(formatSqnr(report) + '\n');
  }
}

function positiveInt(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a positive integer, not ${v}`);
  return n;
}
