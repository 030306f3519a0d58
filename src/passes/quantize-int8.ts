// quantize-int8: matches a graph whose activations are float32 and emits TFLite's int8
// scheme: weights symmetric per output channel (q in [-127, 127]), activations
// asymmetric per tensor from calibration ranges, bias int32 at scale in*w[c], a QUANTIZE
// op after each float input and a DEQUANTIZE before each float output (or int8 inputs and
// outputs with `int8Io`). Standalone
// activations (RELU, LOGISTIC, TANH, LEAKY_RELU, HARD_SWISH, ...) become a 256-entry LUT
// computed here. Ops that move or compare bytes keep one scale (SAME_AS_INPUT,
// SAME_SCALE_INPUTS); fixed-range outputs take TFLM's (FIXED_OUTPUT); docs/quantization.md.
// Guarantees: no float activation is left between the boundary ops, so prepare-kernels runs
// the same int8 kernels as for an int8 .tflite. Int8 graphs pass through.

import { calibrate, Range } from '../float/calibrate.js';
import { constValue } from '../float/interpret.js';
import { ConvertError, Graph, Op, Quant, Tensor, cloneGraph, describeOp, isConst } from '../ir/graph.js';
import { roundHalfAway } from './quant-math.js';
import { quantizeLstm, quantizeSvdf } from './quantize-recurrent.js';
import { replaceUses } from './rewrite.js';

export interface QuantizeOptions {
  /** Calibration inputs: one array per sample, one Float32Array per graph input. */
  samples?: Float32Array[][];
  /** Activation range percentile in (50, 100]; 100 = min/max. */
  percentile?: number;
  /** Keep graph inputs and outputs int8 (no QUANTIZE / DEQUANTIZE at the boundary). */
  int8Io?: boolean;
  /** Most multiply-adds one float inference may take to be calibrated (`--max-float-work`; default MAX_FLOAT_WORK). */
  maxFloatWork?: number;
}

/**
 * Ops whose int8 output must carry its input's scale and zero point (bytes move, values don't;
 * TFLM's int8 kernels copy or compare stored bytes, and TFLite's converter gives them one scale).
 */
const SAME_AS_INPUT = new Set([
  'MAX_POOL_2D', 'AVERAGE_POOL_2D', 'RESHAPE', 'SQUEEZE', 'EXPAND_DIMS', 'PAD', 'PADV2', 'TRANSPOSE',
  'STRIDED_SLICE', 'RESIZE_NEAREST_NEIGHBOR', 'RESIZE_BILINEAR', 'GATHER', 'MIRROR_PAD', 'DEPTH_TO_SPACE',
  'SPACE_TO_DEPTH', 'SPACE_TO_BATCH_ND', 'BATCH_TO_SPACE_ND', 'REDUCE_MAX',
]);

/** Binary ops whose constant operand is quantized on its own range (TFLite's converter does the same). */
const CONST_OPERAND_OPS = new Set(['ADD', 'SUB', 'MUL', 'PRELU', 'DIV', 'SQUARED_DIFFERENCE']);

/** Ops that compare stored bytes of two inputs: every input is brought to the output's scale first. */
const SAME_SCALE_INPUTS = new Set(['MAXIMUM', 'MINIMUM']);

/** Ops with no int8 kernel in TFLM (so none here): a calibrated model using one is refused naming it. */
const FLOAT_ONLY: Record<string, string> = {
  EXP: 'TFLM runs EXP on float32 only, so there is no int8 EXP to match; convert without --calibrate to keep the model float32',
};

/** Standalone activations lowered to a LUT, with their float function. */
export const LUT_FUNCTIONS: Record<string, (x: number, o: Record<string, unknown>) => number> = {
  RELU: (x) => Math.max(0, x),
  RELU6: (x) => Math.min(6, Math.max(0, x)),
  RELU_N1_TO_1: (x) => Math.min(1, Math.max(-1, x)),
  LOGISTIC: (x) => 1 / (1 + Math.exp(-x)),
  TANH: (x) => Math.tanh(x),
  LEAKY_RELU: (x, o) => (x >= 0 ? x : x * (o.alpha as number)),
  HARD_SWISH: (x) => (x * Math.min(6, Math.max(0, x + 3))) / 6,
  CLIP: (x, o) => Math.min(o.max as number, Math.max(o.min as number, x)),
};

/** Output quantization fixed by the int8 kernels or by the function's range. */
const FIXED_OUTPUT: Record<string, Quant> = {
  SOFTMAX: { scale: [1 / 256], zeroPoint: [-128], axis: 0 },
  LOG_SOFTMAX: { scale: [16 / 256], zeroPoint: [127], axis: 0 }, // TFLM's int8 log softmax: [-255/16, 0]
  LOGISTIC: { scale: [1 / 256], zeroPoint: [-128], axis: 0 },
  TANH: { scale: [1 / 128], zeroPoint: [0], axis: 0 },
  L2_NORMALIZATION: { scale: [1 / 128], zeroPoint: [0], axis: 0 }, // TFLM writes 1/128 steps whatever the tensor says
};

/** A float activation is read or written by an op other than the int8 boundary ops (ARG_MAX of a float input writes int32). */
export function isFloatGraph(g: Graph): boolean {
  const floatActivation = (t: number) => t >= 0 && g.tensors[t].dtype === 'float32' && !isConst(g.tensors[t]);
  return g.ops.some((op) => op.type !== 'DEQUANTIZE' && (op.outputs.some(floatActivation) || (op.type !== 'QUANTIZE' && op.inputs.some(floatActivation))));
}

/** Asymmetric int8 from a range widened to hold 0: real = scale * (q - zp), q in [-128, 127]. */
export function activationQuant([lo, hi]: Range): Quant {
  lo = Math.min(0, lo);
  hi = Math.max(0, hi);
  const scale = hi - lo > 1e-9 ? (hi - lo) / 255 : 1e-6;
  const zp = Math.max(-128, Math.min(127, roundHalfAway(-128 - lo / scale)));
  return { scale: [scale], zeroPoint: [zp], axis: 0 };
}

/** Symmetric per-channel int8 along `axis`: scale[c] = max|w_c| / 127. */
export function quantizeWeights(w: Float32Array, shape: number[], axis: number): { data: Int8Array; quant: Quant } {
  const channels = shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const maxAbs = new Array<number>(channels).fill(0);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % channels;
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(w[i]));
  }
  const scale = maxAbs.map((m) => (m > 0 ? m / 127 : 1));
  const data = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const c = Math.floor(i / inner) % channels;
    data[i] = Math.max(-127, Math.min(127, roundHalfAway(w[i] / scale[c])));
  }
  return { data, quant: { scale, zeroPoint: scale.map(() => 0), axis } };
}

function quantizeValue(v: number, q: Quant): number {
  return Math.max(-128, Math.min(127, roundHalfAway(v / q.scale[0]) + q.zeroPoint[0]));
}

/** 256-entry table: table[q + 128] = quantize(f(dequantize(q))). Exact by construction. */
export function lutTable(f: (x: number) => number, xq: Quant, yq: Quant): Int8Array {
  const t = new Int8Array(256);
  for (let q = -128; q <= 127; q++) t[q + 128] = quantizeValue(f(xq.scale[0] * (q - xq.zeroPoint[0])), yq);
  return t;
}

class Quantizer {
  readonly g: Graph;
  readonly quant = new Map<number, Quant>();
  /** Scales given by the model itself (ONNX QDQ pairs, as FAKE_QUANT ops). */
  readonly hints = new Map<number, Quant>();

  constructor(readonly src: Graph, readonly ranges: Map<number, Range>, readonly int8Io = false) {
    this.g = cloneGraph(src);
    for (const op of this.g.ops.filter((o) => o.type === 'FAKE_QUANT')) {
      const x = op.inputs[0];
      this.hints.set(x, { scale: [op.options.scale as number], zeroPoint: [op.options.zeroPoint as number], axis: 0 });
      replaceUses(this.g, op.outputs[0], x);
      this.g.ops = this.g.ops.filter((o) => o !== op);
    }
    this.hintsThroughMoves();
  }

  /**
   * A QDQ model's importer may put a layout move (RESHAPE, TRANSPOSE) between an op and its
   * QDQ pair (ReduceSum keepdims 0 over H of NCHW): the pair's scale is the op output's too.
   */
  hintsThroughMoves(): void {
    for (const op of [...this.g.ops].reverse()) {
      const x = op.inputs[0], y = op.outputs[0];
      if ((op.type === 'RESHAPE' || op.type === 'TRANSPOSE') && x >= 0 && !isConst(this.g.tensors[x]) && !this.hints.has(x) && this.hints.has(y)) this.hints.set(x, this.hints.get(y)!);
    }
  }

  fail(op: Op, msg: string): never {
    throw new ConvertError(`${this.g.source}: quantize-int8, ${describeOp(op)}: ${msg}`);
  }

  addTensor(t: Tensor): number {
    this.g.tensors.push(t);
    return this.g.tensors.length - 1;
  }

  rangeQuant(t: number, op: Op): Quant {
    const hint = this.hints.get(t);
    if (hint) return hint;
    const r = this.ranges.get(t);
    if (!r) this.fail(op, `no range for "${this.g.tensors[t].name}": it has no QuantizeLinear/DequantizeLinear pair and no calibration data was given (--calibrate DIR_OR_FILE)`);
    return this.float32Scale(activationQuant(r), op, `"${this.g.tensors[t].name}" (calibrated range [${r[0]}, ${r[1]}])`);
  }

  /** A scale the `.epk` stores as float32 must stay finite and > 0 there. */
  float32Scale(q: Quant, op: Op, what: string): Quant {
    const f = Math.fround(q.scale[0]);
    if (!(f > 0) || !Number.isFinite(f)) this.fail(op, `the int8 scale of ${what} is ${q.scale[0]}, which float32 cannot hold`);
    return q;
  }

  /** Decides every float activation's quantization, in op order so constraints propagate. */
  assignActivations(): void {
    for (const t of this.g.inputs) if (this.g.tensors[t].dtype === 'float32') this.quant.set(t, this.rangeQuant(t, { type: 'INPUT', inputs: [], outputs: [t], options: {}, sourceIndex: -1 }));
    for (const op of this.g.ops) {
      const y = op.outputs[0];
      if (this.g.tensors[y].dtype !== 'float32') continue;
      const x = op.inputs[0];
      if (FLOAT_ONLY[op.type]) this.fail(op, FLOAT_ONLY[op.type]);
      if (SAME_AS_INPUT.has(op.type) && this.quant.has(x)) this.quant.set(y, this.quant.get(x)!);
      else this.quant.set(y, FIXED_OUTPUT[op.type] ?? this.rangeQuant(y, op));
    }
  }

  /** int8 twin of each float graph input (after a QUANTIZE op) and output (before a DEQUANTIZE). */
  boundaries(): { front: Op[]; back: Op[] } {
    const front: Op[] = [], back: Op[] = [];
    const g = this.g;
    const rename = new Map<number, number>();
    for (const t of g.inputs) {
      const q = this.quant.get(t);
      if (!q) continue;
      const twin = this.addTensor({ name: `${g.tensors[t].name}/int8`, shape: [...g.tensors[t].shape], dtype: 'int8', quant: q });
      front.push({ type: 'QUANTIZE', inputs: [t], outputs: [twin], options: {}, sourceIndex: -1 });
      this.quant.set(twin, q);
      rename.set(t, twin);
    }
    for (const op of g.ops) op.inputs = op.inputs.map((i) => rename.get(i) ?? i);
    for (const t of g.outputs) {
      const q = this.quant.get(t);
      if (!q || g.inputs.includes(t)) continue;
      const twin = this.addTensor({ name: `${g.tensors[t].name}/int8`, shape: [...g.tensors[t].shape], dtype: 'int8', quant: q });
      for (const op of g.ops) {
        op.outputs = op.outputs.map((o) => (o === t ? twin : o));
        op.inputs = op.inputs.map((i) => (i === t ? twin : i));
      }
      back.push({ type: 'DEQUANTIZE', inputs: [twin], outputs: [t], options: {}, sourceIndex: -1 });
      this.quant.set(twin, q);
    }
    return { front, back };
  }

  /**
   * Weight-bearing op: int8 per-channel weights and int32 bias, new tensors (sources untouched).
   * Slots: activation, weights, bias (CONV_2D ...: 0, 1, 2; TRANSPOSE_CONV: 2, 1, 3).
   */
  weights(op: Op, axis: number, [xi, wi, bi]: [number, number, number] = [0, 1, 2]): void {
    const w = this.g.tensors[op.inputs[wi]];
    const wv = constValue(w);
    if (!wv || w.dtype !== 'float32') return; // already int8
    const xq = this.quant.get(op.inputs[xi]);
    if (!xq) this.fail(op, 'input is not a quantized activation');
    const qw = quantizeWeights(wv, w.shape, axis);
    op.inputs[wi] = this.addTensor({ name: `${w.name}/int8`, shape: [...w.shape], dtype: 'int8', data: qw.data, quant: qw.quant });
    const channels = w.shape[axis];
    const b = op.inputs[bi] ?? -1;
    const bv = b >= 0 ? constValue(this.g.tensors[b]) : undefined;
    if (b >= 0 && !bv) this.fail(op, 'bias must be a constant');
    if (bv) {
      const scale = qw.quant.scale.map((s) => xq.scale[0] * s);
      const data = Int32Array.from({ length: channels }, (_, c) => roundHalfAway(bv[c] / scale[c]));
      op.inputs[bi] = this.addTensor({ name: `${this.g.tensors[b].name}/int32`, shape: [channels], dtype: 'int32', data, quant: { scale, zeroPoint: scale.map(() => 0), axis: 0 } });
    }
  }

  /** Constant float operand of ADD/MUL/PRELU/DIV/CONCATENATION: per-tensor asymmetric int8. */
  constOperand(op: Op, k: number): void {
    const t = this.g.tensors[op.inputs[k]];
    const v = constValue(t);
    if (!v || t.dtype !== 'float32') return;
    let lo = 0, hi = 0;
    for (const x of v) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
    const quant = this.float32Scale(activationQuant([lo, hi]), op, `constant "${t.name}" (range [${lo}, ${hi}])`);
    op.inputs[k] = this.addTensor({ name: `${t.name}/int8`, shape: [...t.shape], dtype: 'int8', data: Int8Array.from(v, (x) => quantizeValue(x, quant)), quant });
    this.quant.set(op.inputs[k], quant);
  }

  /** Constant float operand of MAXIMUM/MINIMUM: int8 at the output's scale and zero point (the kernel compares bytes). */
  constAtOutputScale(op: Op, k: number): void {
    const t = this.g.tensors[op.inputs[k]];
    const v = constValue(t);
    if (!v || t.dtype !== 'float32') return;
    const quant = this.quant.get(op.outputs[0])!;
    op.inputs[k] = this.addTensor({ name: `${t.name}/int8`, shape: [...t.shape], dtype: 'int8', data: Int8Array.from(v, (x) => quantizeValue(x, quant)), quant });
    this.quant.set(op.inputs[k], quant);
  }

  /** Concatenation (and MAXIMUM/MINIMUM) read bytes: inputs quantized differently from the output are requantized first. */
  concatInputs(op: Op, extra: Op[]): void {
    const yq = this.quant.get(op.outputs[0])!;
    op.inputs = op.inputs.map((i) => {
      const xq = this.quant.get(i);
      if (!xq || (xq.scale[0] === yq.scale[0] && xq.zeroPoint[0] === yq.zeroPoint[0])) return i;
      const x = this.g.tensors[i];
      const twin = this.addTensor({ name: `${x.name}/requant`, shape: [...x.shape], dtype: 'int8', quant: yq });
      extra.push({ type: 'QUANTIZE', inputs: [i], outputs: [twin], options: {}, sourceIndex: op.sourceIndex });
      return twin;
    });
  }

  lut(op: Op): void {
    const f = LUT_FUNCTIONS[op.type];
    const xq = this.quant.get(op.inputs[0]), yq = this.quant.get(op.outputs[0]);
    if (!xq || !yq) this.fail(op, 'input or output is not quantized');
    const table = this.addTensor({ name: `${this.g.tensors[op.outputs[0]].name}/lut`, shape: [256], dtype: 'int8', data: lutTable((x) => f(x, op.options), xq, yq) });
    op.options = { function: op.type, ...op.options };
    op.type = 'LUT';
    op.inputs = [op.inputs[0], table];
  }

  run(): Graph {
    this.assignActivations();
    const { front, back } = this.int8Io ? { front: [], back: [] } : this.boundaries();
    const ops: Op[] = [...front];
    for (const op of this.g.ops) {
      const extra: Op[] = [];
      if (op.type === 'CONV_2D' || op.type === 'FULLY_CONNECTED') this.weights(op, 0);
      else if (op.type === 'DEPTHWISE_CONV_2D') this.weights(op, 3);
      else if (op.type === 'TRANSPOSE_CONV') this.weights(op, 0, [2, 1, 3]);
      else if (CONST_OPERAND_OPS.has(op.type)) op.inputs.forEach((_, k) => this.constOperand(op, k));
      else if (SAME_SCALE_INPUTS.has(op.type)) {
        op.inputs.forEach((_, k) => this.constAtOutputScale(op, k));
        this.concatInputs(op, extra);
      } else if (op.type === 'CONCATENATION') {
        op.inputs.forEach((_, k) => this.constOperand(op, k));
        this.concatInputs(op, extra);
      } else if (LUT_FUNCTIONS[op.type]) this.lut(op);
      else if (op.type === 'UNIDIRECTIONAL_SEQUENCE_LSTM') quantizeLstm(this, op);
      else if (op.type === 'SVDF') quantizeSvdf(this, op);
      ops.push(...extra, op);
    }
    ops.push(...back);
    this.g.ops = ops;
    for (const [t, q] of this.quant) {
      const tensor = this.g.tensors[t];
      const boundary = this.g.inputs.includes(t) || this.g.outputs.includes(t);
      if (tensor.dtype === 'float32' && !isConst(tensor) && (this.int8Io || !boundary)) {
        this.g.tensors[t] = { ...tensor, dtype: 'int8', quant: q };
      }
    }
    return this.g;
  }
}

/** The pass: float graphs with calibration samples (or QDQ ranges) become int8; without, and int8 graphs, come back unchanged. */
export function quantizeInt8(g: Graph, opts: QuantizeOptions = {}): Graph {
  if (!isFloatGraph(g)) return g;
  const qdq = g.ops.some((o) => o.type === 'FAKE_QUANT');
  if ((!opts.samples || opts.samples.length === 0) && !qdq) return g; // no calibration: the model runs as float32 (prepare/float.ts)
  const ranges = opts.samples?.length ? calibrate(g, opts.samples, { percentile: opts.percentile, maxWork: opts.maxFloatWork }) : new Map<number, Range>();
  return new Quantizer(g, ranges, opts.int8Io).run();
}
