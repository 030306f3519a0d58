import { parseArgs } from 'node:util';
import { basename } from 'node:path';
import { CompressOptions, ConvertOptions, convertModel, importModel } from '../convert.js';
import { formatSummary, summarize } from '../inspect.js';
import { Graph, elementCount } from '../ir/graph.js';
import { Int8Input, loadCalibration, loadInt8Calibration } from '../io/calibration.js';
import { SEQUENTIAL_DEFAULT, convertCalibrated, inputBytes, preparedGraph } from '../compress/calibrated.js';
import { convertToBudget, parseBudget } from '../compress/budget.js';
import { LayerOutcome } from '../passes/compensate-weights.js';
import { isFloatGraph } from '../passes/quantize-int8.js';
import { formatSqnr, measureSqnr } from '../float/sqnr.js';
import { REPRS } from '../passes/pack-huffman.js';
import { Repr } from '../format/packed.js';
import { NameMode } from '../format/writer.js';
import { formatFidelity, fidelityReport } from '../compress/report.js';
import { UsageError, readInput, refuseSameFile, writeAtomic } from './io.js';

export const usage =
  'edgepack convert MODEL.(tflite|onnx) -o OUT.epk [--calibrate DIR_OR_FILE [--calibrate-count N] [--calibrate-raw int8|u8|f32] [--percentile P] [--max-float-work N] [--int8-io]] ' +
  '[--prune F] [--structured-prune F] [--codebook B] [--codebook-layer OP=B]... [--per-channel-codebook] [--huffman] ' +
  '[--pack raw|codebook|huffman|codebook+huffman] [--size-budget FRACTION|NNNk|BYTES] [--sequential] [--names all|io] [--stage-bytes N] [--report] [--dump-after PASS]... [--quiet]';

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
    names: nameMode(values.names as string | undefined),
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
  names: { type: 'string' },
} as const;

function nameMode(v: string | undefined): NameMode | undefined {
  if (v !== undefined && v !== 'all' && v !== 'io') throw new UsageError(`--names must be all or io, got "${v}"`);
  return v as NameMode | undefined;
}

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
      'max-float-work': { type: 'string' },
      'int8-io': { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      report: { type: 'boolean' },
      'stage-bytes': { type: 'string' },
      'size-budget': { type: 'string' },
      sequential: { type: 'boolean' },
      ...COMPRESS_FLAGS,
    },
  });
  if (positionals.length !== 1 || !values.output) throw new UsageError(`usage: ${usage}`);
  const input = positionals[0];
  refuseSameFile(values.output, [[input, 'model'], ...(values.calibrate ? [[values.calibrate, 'calibration data'] as [string, string]] : [])]);
  const bytes = readInput(input, 'model');
  const name = basename(input);
  const compress = compressOptions(values);
  const imported = importModel(bytes, name);
  const float = isFloatGraph(imported);
  let samples: Float32Array[][] | undefined;
  let int8Samples: Uint8Array[][] | undefined;
  if (values.calibrate) {
    const limit = values['calibrate-count'] === undefined ? undefined : positiveInt(values['calibrate-count'], '--calibrate-count');
    const raw = values['calibrate-raw'];
    if (raw !== undefined && raw !== 'u8' && raw !== 'f32' && (float || raw !== 'int8')) {
      throw new UsageError(`--calibrate-raw must be ${float ? 'u8 or f32 for a float model' : 'int8, u8 or f32'}, not ${raw}`);
    }
    if (float) samples = loadCalibration(values.calibrate, { inputSizes: imported.inputs.map((t) => elementCount(imported.tensors[t].shape)), limit, raw: raw as 'u8' | 'f32' | undefined });
    else int8Samples = loadInt8Calibration(values.calibrate, { inputs: int8Inputs(imported, input), limit, raw: raw as 'int8' | 'u8' | 'f32' | undefined });
  }
  const percentile = values.percentile === undefined ? undefined : Number(values.percentile);
  if (percentile !== undefined && !(percentile > 50 && percentile <= 100)) throw new UsageError(`--percentile must lie in (50, 100], not ${values.percentile}`);
  // the streamed stage the model is planned for: ops whose constants fit it may write over their input
  const stageBytes = values['stage-bytes'] === undefined ? undefined : positiveInt(values['stage-bytes'], '--stage-bytes');
  const maxFloatWork = values['max-float-work'] === undefined ? undefined : positiveInt(values['max-float-work'], '--max-float-work');
  const plainOptions: ConvertOptions = { quantize: { samples, percentile, int8Io: values['int8-io'], maxFloatWork }, stageBytes };
  const options: ConvertOptions = { ...plainOptions, dumpAfter: values['dump-after'], compress };
  const log = values.quiet ? undefined : (l: string) => process.stderr.write(l + '\n');
  const budget = sizeBudget(values, bytes.length);
  const calibrated = (samples || int8Samples) && (budget !== undefined || compress.codebook || compress.codebookLayers || compress.prune) && !compress.perChannelCodebook;
  let result;
  let outcome: Map<number, LayerOutcome> | undefined;
  let calibrationInputs: Uint8Array[][] | undefined;
  if (calibrated) {
    const prepared = int8Samples ? null : preparedGraph(bytes, name, plainOptions);
    calibrationInputs = int8Samples ?? samples!.map((x) => inputBytes(prepared!, x));
    const mode = { sequential: values.sequential ?? SEQUENTIAL_DEFAULT };
    const c = budget !== undefined
      ? await convertToBudget(bytes, name, options, calibrationInputs, budget, log, mode)
      : await convertCalibrated(bytes, name, options, calibrationInputs, log, mode);
    result = c.result;
    outcome = c.outcome;
  } else {
    if (int8Samples && log) log(`note: calibration data of an int8 model is used by --codebook, --codebook-layer, --prune and --size-budget${compress.perChannelCodebook ? ' (not with --per-channel-codebook, which stays data-free)' : ''}; this conversion does not use it`);
    result = convertModel(bytes, name, options);
  }
  writeAtomic(values.output, result.epk);
  if (values.quiet) return;
  const s = summarize(result.epk);
  process.stdout.write(`${formatSummary(s)}\nwrote ${values.output} (${result.epk.length} bytes; source ${bytes.length} bytes)\n`);
  const floatGraph = result.after['fuse-pad'];
  if (samples && isFloatGraph(floatGraph) && !values['int8-io']) {
    const report = await measureSqnr(floatGraph, result.graph, samples.slice(0, 100));
    process.stdout.write(formatSqnr(report) + '\n');
  }
  if (values.report) {
    // with calibration data, the whole model is compared on it (single-input models)
    const inputs = calibrationInputs && calibrationInputs[0].length === 1 ? calibrationInputs.map((x) => x[0]) : undefined;
    const report = await fidelityReport(bytes, name, result.epk, { baseline: plainOptions, inputs, outcome });
    process.stdout.write(formatFidelity(report) + '\n');
  }
}

/** --size-budget: needs calibration data, and leaves the per-layer choices to the budget. */
function sizeBudget(values: Record<string, unknown>, sourceBytes: number): number | undefined {
  const spec = values['size-budget'] as string | undefined;
  if (spec === undefined) return undefined;
  const budget = parseBudget(spec, sourceBytes);
  if (budget === null) throw new UsageError(`--size-budget must be a fraction in (0, 1) of the model's bytes, NNNk (x 1024 bytes) or a whole number of bytes, not "${spec}"`);
  if (!values.calibrate) throw new UsageError('--size-budget needs --calibrate FILE: the error of each choice is measured on calibration data');
  for (const flag of ['codebook', 'codebook-layer', 'pack', 'per-channel-codebook', 'prune']) {
    if (values[flag] !== undefined && values[flag] !== false) throw new UsageError(`--size-budget chooses each layer's representation itself; it cannot be combined with --${flag}`);
  }
  return budget;
}

/** The int8 inputs of an int8 model, with their quantization (calibration values may be real). */
export function int8Inputs(g: Graph, file: string): Int8Input[] {
  return g.inputs.map((t) => {
    const x = g.tensors[t];
    if (x.dtype !== 'int8') throw new UsageError(`${file}: input "${x.name}" is ${x.dtype}; --calibrate needs int8 or float32 inputs`);
    return { bytes: elementCount(x.shape), scale: x.quant?.scale[0] ?? 1, zeroPoint: x.quant?.zeroPoint[0] ?? 0 };
  });
}

export function positiveInt(v: string, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a positive integer, not ${v}`);
  return n;
}
