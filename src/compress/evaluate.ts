// What compression cost on the user's own data (`edgepack eval`): top-1 accuracy against
// labels, and top-1 agreement and output SQNR against a reference model, over a batch of
// inputs. Outputs are compared as real values (scale * (q - zero point); float32 as is), so
// two models with different output quantization compare fairly. Top-1 is the arg max of the
// first output (the first index on a tie).

import { DType } from '../format/constants.js';
import { readEpk } from '../format/reader.js';

export class LabelsError extends Error {}

/**
 * Labels, one per input: one integer per line (blank lines and lines starting with # skipped),
 * or a CSV whose header has a `label` column (the shared CIFAR-10 labels.csv:
 * index,name,label,class).
 */
export function parseLabels(text: string, file: string): number[] {
  const lines = text.split(/\r?\n/);
  const header = lines[0].split(',').map((h) => h.trim().toLowerCase());
  const column = header.length > 1 ? header.indexOf('label') : -1;
  if (header.length > 1 && column < 0) throw new LabelsError(`${file}: a CSV labels file needs a "label" column in its header line, got "${lines[0]}"`);
  const labels: number[] = [];
  lines.forEach((line, i) => {
    if (column >= 0 && i === 0) return;
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const cell = column >= 0 ? line.split(',')[column]?.trim() : t;
    if (cell === undefined || !/^\d+$/.test(cell)) throw new LabelsError(`${file} line ${i + 1}: expected a class index (a whole number >= 0), got "${cell ?? ''}"`);
    labels.push(Number(cell));
  });
  return labels;
}

/** Reads a model's first output bytes as real values. */
export function realOutput(epkBytes: Uint8Array): (out: Uint8Array) => Float64Array {
  const e = readEpk(epkBytes);
  const t = e.tensors[e.outputs[0]];
  if (t.dtype === DType.Float32) return (out) => Float64Array.from(new Float32Array(out.slice().buffer));
  if (t.dtype === DType.Int8) return (out) => Float64Array.from(new Int8Array(out.buffer, out.byteOffset, out.length), (q) => t.scale * (q - t.zeroPoint));
  if (t.dtype === DType.UInt8) return (out) => Float64Array.from(out, (q) => t.scale * (q - t.zeroPoint));
  throw new LabelsError(`output "${t.name}" has a dtype eval cannot compare (${DType[t.dtype]})`);
}

export function top1(y: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < y.length; i++) if (y[i] > y[best]) best = i;
  return best;
}

export interface EvalResult {
  inputs: number;
  /** Correct top-1 answers (labels given). */
  correct?: number;
  reference?: {
    correct?: number;
    /** Inputs where both models give the same top-1 class. */
    agree: number;
    /** 10 log10(sum ref^2 / sum (ref - y)^2) over every output value of every input (Infinity when equal). */
    sqnrDb: number;
  };
}

/** Accumulates the measures input by input. */
export class EvalAccumulator {
  private n = 0;
  private correct = 0;
  private refCorrect = 0;
  private agree = 0;
  private signal = 0;
  private noise = 0;
  constructor(private labels?: number[], private hasReference = false) {}

  add(y: Float64Array, ref?: Float64Array): void {
    const c = top1(y);
    if (this.labels && c === this.labels[this.n]) this.correct++;
    if (ref) {
      const r = top1(ref);
      if (this.labels && r === this.labels[this.n]) this.refCorrect++;
      if (r === c) this.agree++;
      ref.forEach((v, i) => {
        this.signal += v * v;
        this.noise += (v - y[i]) ** 2;
      });
    }
    this.n++;
  }

  result(): EvalResult {
    const r: EvalResult = { inputs: this.n };
    if (this.labels) r.correct = this.correct;
    if (this.hasReference) {
      r.reference = { agree: this.agree, sqnrDb: this.noise === 0 ? Infinity : 10 * Math.log10(this.signal / this.noise) };
      if (this.labels) r.reference.correct = this.refCorrect;
    }
    return r;
  }
}

const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(2)}% (${k}/${n})`;

export function formatEval(r: EvalResult): string {
  const lines = [`inputs: ${r.inputs}`];
  if (r.correct !== undefined) lines.push(`top-1 accuracy: ${pct(r.correct, r.inputs)}`);
  if (r.reference) {
    if (r.reference.correct !== undefined) lines.push(`reference top-1 accuracy: ${pct(r.reference.correct, r.inputs)}`);
    lines.push(`top-1 agreement with the reference: ${pct(r.reference.agree, r.inputs)}`);
    lines.push(`output SQNR vs the reference: ${r.reference.sqnrDb === Infinity ? 'exact' : `${r.reference.sqnrDb.toFixed(2)} dB`}`);
  }
  return lines.join('\n');
}
