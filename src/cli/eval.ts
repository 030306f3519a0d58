import { parseArgs } from 'node:util';
import { Target } from '../runtime/loader.js';
import { loadModelNode } from '../runtime/node.js';
import { EvalAccumulator, LabelsError, formatEval, parseLabels, realOutput } from '../compress/evaluate.js';
import { UsageError, readInput } from './io.js';

export const usage = 'edgepack eval MODEL.epk --input BATCH.bin [--input BATCH2.bin]... [--labels LABELS] [--reference OTHER.epk] [--target simd|scalar]';

/**
 * Runs a batch (each --input file: N input tensors back to back, as `run` reads them) and
 * prints top-1 accuracy against --labels and/or top-1 agreement and output SQNR against
 * --reference (docs/compression.md, "Measuring what compression cost").
 */
export async function evalCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i', multiple: true },
      labels: { type: 'string' },
      reference: { type: 'string' },
      target: { type: 'string', default: 'simd' },
    },
  });
  if (positionals.length !== 1 || !values.input?.length) throw new UsageError(`usage: ${usage}`);
  if (!values.labels && !values.reference) throw new UsageError('eval needs --labels LABELS and/or --reference OTHER.epk: there is nothing to measure against');
  const target = values.target as Target;
  if (target !== 'simd' && target !== 'scalar') throw new UsageError(`--target must be simd or scalar, not ${values.target}`);
  const epk = readInput(positionals[0], 'model');
  const model = await loadModelNode(epk, target);
  const refEpk = values.reference ? readInput(values.reference, 'reference model') : undefined;
  const ref = refEpk ? await loadModelNode(refEpk, target) : undefined;
  if (values.input.length !== model.inputCount) throw new UsageError(`model has ${model.inputCount} input(s); ${values.input.length} --input file(s) given`);
  if (ref) {
    const same = ref.inputCount === model.inputCount && Array.from({ length: model.inputCount }, (_, i) => ref.inputBytes(i) === model.inputBytes(i)).every(Boolean);
    if (!same) throw new UsageError(`${values.reference}: its inputs differ from ${positionals[0]}'s; the reference must take the same input tensors`);
    if (ref.outputBytes(0) !== model.outputBytes(0)) throw new UsageError(`${values.reference}: its first output has ${ref.outputBytes(0)} bytes, ${positionals[0]}'s has ${model.outputBytes(0)}`);
  }
  const files = values.input.map((p) => readInput(p, 'input'));
  const count = batchCount(files, values.input, (i) => model.inputBytes(i));
  let labels: number[] | undefined;
  if (values.labels) {
    try {
      labels = parseLabels(new TextDecoder().decode(readInput(values.labels, 'labels')), values.labels);
    } catch (e) {
      throw e instanceof LabelsError ? new UsageError(e.message) : e;
    }
    if (labels.length !== count) throw new UsageError(`${values.labels}: ${labels.length} labels for ${count} inputs; give exactly one label per input`);
  }
  const acc = new EvalAccumulator(labels, !!ref);
  let readY, readRef;
  try {
    readY = realOutput(epk);
    readRef = refEpk ? realOutput(refEpk) : undefined;
  } catch (e) {
    throw e instanceof LabelsError ? new UsageError(e.message) : e;
  }
  for (let b = 0; b < count; b++) {
    const inputs = files.map((f, i) => f.subarray(b * model.inputBytes(i), (b + 1) * model.inputBytes(i)));
    acc.add(readY(model.run(...inputs)[0]), ref ? readRef!(ref.run(...inputs)[0]) : undefined);
  }
  process.stdout.write(formatEval(acc.result()) + '\n');
}

function batchCount(files: Uint8Array[], paths: string[], per: (i: number) => number): number {
  let n = -1;
  files.forEach((f, i) => {
    if (f.length === 0 || f.length % per(i) !== 0) throw new UsageError(`${paths[i]}: ${f.length} bytes is not a whole number of ${per(i)}-byte input tensors (input ${i})`);
    if (n >= 0 && f.length / per(i) !== n) throw new UsageError(`${paths[i]} holds ${f.length / per(i)} inputs, but the first input file holds ${n}`);
    n = f.length / per(i);
  });
  return n;
}
