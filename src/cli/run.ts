import { parseArgs } from 'node:util';
import { Target } from '../runtime/loader.js';
import { loadModelNode } from '../runtime/node.js';
import { loadModelStreamed } from '../runtime/streamed.js';
import { AtomicOutput, UsageError, maxMemoryFlag, readInput, refuseSameFile } from './io.js';

export const usage = 'edgepack run MODEL.epk --input IN.bin [--input IN2.bin]... --output OUT.bin [--target simd|scalar|streamed [--stage-bytes N]] [--max-memory BYTES]';

/**
 * Runs N inferences when each input file holds N whole input tensors back to back,
 * and writes the N outputs back to back (outputs of one inference in model order).
 * The N inferences are a stream on one loaded model: variable tensors (SVDF state) carry
 * from one to the next, as in TFLM's interpreter (tflm-run without --fresh).
 */
export async function runCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      input: { type: 'string', short: 'i', multiple: true },
      output: { type: 'string', short: 'o' },
      target: { type: 'string', default: 'simd' },
      'stage-bytes': { type: 'string' },
      'max-memory': { type: 'string' },
    },
  });
  if (positionals.length !== 1 || !values.input?.length || !values.output) throw new UsageError(`usage: ${usage}`);
  const target = values.target as Target | 'streamed';
  if (target !== 'simd' && target !== 'scalar' && target !== 'streamed') throw new UsageError(`--target must be simd, scalar or streamed, not ${values.target}`);
  const stage = stageBytes(values['stage-bytes'], target);
  refuseSameFile(values.output, [[positionals[0], 'model'], ...values.input.map((p): [string, string] => [p, 'input'])]);
  const epk = readInput(positionals[0], 'model');
  const maxMemory = maxMemoryFlag(values['max-memory']);
  // streamed: the .epk stays in host memory, constants pass through a stage (0 = the runtime's default, <= 8 KiB)
  const model = target === 'streamed' ? await loadModelStreamed(epk, stage, undefined, { maxMemory }) : await loadModelNode(epk, target, maxMemory);
  if (values.input.length !== model.inputCount) {
    throw new UsageError(`model has ${model.inputCount} input(s); ${values.input.length} --input file(s) given`);
  }
  const files = values.input.map((p) => readInput(p, 'input'));
  let batches = -1;
  files.forEach((f, i) => {
    const per = model.inputBytes(i);
    if (f.length === 0 || f.length % per !== 0) {
      throw new UsageError(`${values.input![i]}: ${f.length} bytes is not a whole number of ${per}-byte input tensors (input ${i})`);
    }
    const n = f.length / per;
    if (batches >= 0 && n !== batches) throw new UsageError(`${values.input![i]} holds ${n} inputs, but the first input file holds ${batches}`);
    batches = n;
  });
  const outBytes = Array.from({ length: model.outputCount }, (_, i) => model.outputBytes(i)).reduce((a, b) => a + b, 0);
  // Outputs go to a temporary file as they are computed, renamed over OUT at the end; the
  // loop yields now and then so SIGINT/SIGTERM can remove the temporary file and stop.
  const file = new AtomicOutput(values.output);
  try {
    let yielded = Date.now();
    for (let b = 0; b < batches; b++) {
      const inputs = files.map((f, i) => f.subarray(b * model.inputBytes(i), (b + 1) * model.inputBytes(i)));
      const out = new Uint8Array(outBytes);
      let at = 0;
      for (const o of model.run(...inputs)) {
        out.set(o, at);
        at += o.length;
      }
      file.write(out);
      if (Date.now() - yielded > 50) {
        await new Promise((r) => setImmediate(r));
        yielded = Date.now();
      }
    }
    file.commit();
  } catch (e) {
    file.abort();
    throw e;
  }
}

/** --stage-bytes N: the streamed build's constants stage (1 .. 2^32 - 1 bytes); 0 when not given. */
function stageBytes(v: string | undefined, target: string): number {
  if (v === undefined) return 0;
  if (target !== 'streamed') throw new UsageError('--stage-bytes needs --target streamed');
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new UsageError(`--stage-bytes must be a whole number of bytes from 1, not ${v}`);
  return n;
}
