// The float reference: runs a float32 IR graph (NHWC, TFLite op spelling) in plain
// TypeScript, f64 accumulation, one Float32Array per tensor. A measuring instrument for
// calibration and SQNR, not a product path: clarity over speed.

import { ConvertError, Graph, Op, Tensor, describeOp, elementCount } from '../ir/graph.js';
import { geometry } from '../ir/geometry.js';
import { MOVEMENT_KERNELS, pad4, strides4 } from './movement.js';
import { REDUCE_KERNELS } from './reduce.js';
import { transposeConv } from './transpose-conv.js';
import { lstm, svdf } from './recurrent.js';

/** Called with every tensor value as it is produced (graph inputs included). */
export type Observer = (tensor: number, value: Float32Array) => void;

type Kernel = (ctx: FloatOp) => Float32Array;

/** One op being run: its inputs' values and shapes, its options. */
export class FloatOp {
  constructor(readonly g: Graph, readonly op: Op, readonly values: (Float32Array | undefined)[], readonly observe?: Observer) {}

  fail(msg: string): never {
    throw new ConvertError(`${this.g.source}: float reference, ${describeOp(this.op)}: ${msg}`);
  }
  t(k: number): Tensor { return this.g.tensors[this.op.inputs[k]]; }
  has(k: number): boolean { return this.op.inputs[k] !== undefined && this.op.inputs[k] >= 0; }
  x(k: number): Float32Array {
    const v = this.values[this.op.inputs[k]];
    if (!v) this.fail(`input ${k} "${this.t(k).name}" has no value`);
    return v;
  }
  shape(k: number): number[] { return this.t(k).shape; }
  get y(): Tensor { return this.g.tensors[this.op.outputs[0]]; }
  get o(): Record<string, unknown> { return this.op.options; }
  ints(k: number): number[] { return Array.from(this.x(k), (v) => Math.round(v)); }
}

/** Value of a constant tensor as float32 (int tensors converted, int8 dequantized if quantized). */
export function constValue(t: Tensor): Float32Array | undefined {
  const d = t.data;
  if (!d) return undefined;
  if (d instanceof Float32Array) return d;
  if (d instanceof BigInt64Array) return Float32Array.from(d, Number);
  if (t.quant && (d instanceof Int8Array || d instanceof Uint8Array)) {
    const q = t.quant, n = d.length, out = new Float32Array(n);
    const inner = q.scale.length > 1 ? t.shape.slice(q.axis + 1).reduce((a, b) => a * b, 1) : 1;
    for (let i = 0; i < n; i++) {
      const c = q.scale.length > 1 ? Math.floor(i / inner) % q.scale.length : 0;
      out[i] = q.scale[c] * (d[i] - q.zeroPoint[c]);
    }
    return out;
  }
  return Float32Array.from(d as ArrayLike<number>);
}

export function applyActivation(name: string | undefined, v: number): number {
  switch (name ?? 'NONE') {
    case 'NONE': return v;
    case 'RELU': return v < 0 ? 0 : v;
    case 'RELU6': return v < 0 ? 0 : v > 6 ? 6 : v;
    case 'RELU_N1_TO_1': return v < -1 ? -1 : v > 1 ? 1 : v;
    default: throw new Error(`fused activation ${name} is not supported`);
  }
}

function activate(ctx: FloatOp, out: Float32Array): Float32Array {
  const a = ctx.o.activation as string | undefined;
  if (a && a !== 'NONE') for (let i = 0; i < out.length; i++) out[i] = applyActivation(a, out[i]);
  return out;
}

function conv(ctx: FloatOp, depthwise: boolean): Float32Array {
  const [n, inH, inW, inC] = ctx.shape(0);
  const wShape = ctx.shape(1);
  const x = ctx.x(0), w = ctx.x(1), bias = ctx.has(2) ? ctx.x(2) : undefined;
  const [, kh, kw] = wShape;
  const outC = depthwise ? wShape[3] : wShape[0];
  const groupC = depthwise ? 1 : wShape[3];
  const perGroup = depthwise ? outC / inC : outC / (inC / groupC);
  const geo = geometry(ctx.o, inH, inW, kh, kw);
  const [, outH, outW] = ctx.y.shape;
  if (outH !== geo.outH || outW !== geo.outW) ctx.fail(`output ${outH}x${outW} does not match geometry ${geo.outH}x${geo.outW}`);
  const out = new Float32Array(n * outH * outW * outC);
  let p = 0;
  for (let b = 0; b < n; b++) for (let oy = 0; oy < outH; oy++) for (let ox = 0; ox < outW; ox++) {
    for (let o = 0; o < outC; o++) {
      const ic0 = Math.floor(o / perGroup) * groupC;
      let acc = bias ? bias[o] : 0;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * geo.strideH - geo.padTop + ky * geo.dilH;
        if (iy < 0 || iy >= inH) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * geo.strideW - geo.padLeft + kx * geo.dilW;
          if (ix < 0 || ix >= inW) continue;
          const xb = ((b * inH + iy) * inW + ix) * inC + ic0;
          if (depthwise) acc += x[xb] * w[(ky * kw + kx) * outC + o];
          else {
            const wb = ((o * kh + ky) * kw + kx) * groupC;
            for (let c = 0; c < groupC; c++) acc += x[xb + c] * w[wb + c];
          }
        }
      }
      out[p++] = acc;
    }
  }
  return activate(ctx, out);
}

function fullyConnected(ctx: FloatOp): Float32Array {
  const x = ctx.x(0), w = ctx.x(1), bias = ctx.has(2) ? ctx.x(2) : undefined;
  const [oc, depth] = ctx.shape(1);
  const batches = x.length / depth;
  // checked before the loops: a mismatched input would otherwise be multiplied out in full first
  if (batches * oc !== elementCount(ctx.y.shape)) ctx.fail(`produces ${batches * oc} values for output shape ${JSON.stringify(ctx.y.shape)}`);
  const out = new Float32Array(batches * oc);
  for (let b = 0; b < batches; b++) for (let o = 0; o < oc; o++) {
    let acc = bias ? bias[o] : 0;
    for (let k = 0; k < depth; k++) acc += x[b * depth + k] * w[o * depth + k];
    out[b * oc + o] = acc;
  }
  return activate(ctx, out);
}

function pool(ctx: FloatOp, max: boolean): Float32Array {
  const [n, inH, inW, c] = ctx.shape(0);
  const x = ctx.x(0);
  const fh = ctx.o.filterH as number, fw = ctx.o.filterW as number;
  const geo = geometry(ctx.o, inH, inW, fh, fw);
  const out = new Float32Array(n * geo.outH * geo.outW * c);
  let p = 0;
  for (let b = 0; b < n; b++) for (let oy = 0; oy < geo.outH; oy++) for (let ox = 0; ox < geo.outW; ox++) {
    for (let ch = 0; ch < c; ch++) {
      let acc = max ? -Infinity : 0, count = 0;
      for (let ky = 0; ky < fh; ky++) {
        const iy = oy * geo.strideH - geo.padTop + ky;
        if (iy < 0 || iy >= inH) continue;
        for (let kx = 0; kx < fw; kx++) {
          const ix = ox * geo.strideW - geo.padLeft + kx;
          if (ix < 0 || ix >= inW) continue;
          const v = x[((b * inH + iy) * inW + ix) * c + ch];
          acc = max ? Math.max(acc, v) : acc + v;
          count++;
        }
      }
      out[p++] = max ? acc : acc / Math.max(count, 1);
    }
  }
  return activate(ctx, out);
}

/** Right-aligned broadcast of two tensors of rank <= 4 onto the output shape. */
function binary(ctx: FloatOp, f: (a: number, b: number) => number): Float32Array {
  const y4 = pad4(ctx.y.shape), a4 = pad4(ctx.shape(0)), b4 = pad4(ctx.shape(1));
  const a = ctx.x(0), b = ctx.x(1);
  const sa = strides4(a4), sb = strides4(b4);
  const out = new Float32Array(elementCount(y4));
  let p = 0;
  for (let i0 = 0; i0 < y4[0]; i0++) for (let i1 = 0; i1 < y4[1]; i1++) for (let i2 = 0; i2 < y4[2]; i2++) for (let i3 = 0; i3 < y4[3]; i3++) {
    const idx = [i0, i1, i2, i3];
    let ia = 0, ib = 0;
    for (let k = 0; k < 4; k++) {
      if (a4[k] !== 1) ia += idx[k] * sa[k];
      if (b4[k] !== 1) ib += idx[k] * sb[k];
    }
    out[p++] = f(a[ia], b[ib]);
  }
  return activate(ctx, out);
}


function softmax(ctx: FloatOp): Float32Array {
  const x = ctx.x(0), shape = ctx.shape(0), depth = shape[shape.length - 1];
  const beta = (ctx.o.beta as number) || 1;
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += depth) {
    let m = -Infinity;
    for (let k = 0; k < depth; k++) m = Math.max(m, x[r + k]);
    let s = 0;
    for (let k = 0; k < depth; k++) s += (out[r + k] = Math.exp(beta * (x[r + k] - m)));
    for (let k = 0; k < depth; k++) out[r + k] /= s;
  }
  return out;
}

function logSoftmax(ctx: FloatOp): Float32Array {
  const x = ctx.x(0), shape = ctx.shape(0), depth = shape[shape.length - 1];
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += depth) {
    let m = -Infinity;
    for (let k = 0; k < depth; k++) m = Math.max(m, x[r + k]);
    let s = 0;
    for (let k = 0; k < depth; k++) s += Math.exp(x[r + k] - m);
    const log = Math.log(s);
    for (let k = 0; k < depth; k++) out[r + k] = x[r + k] - m - log;
  }
  return out;
}

function padOp(ctx: FloatOp): Float32Array {
  const pads = ctx.ints(1), xs = pad4(ctx.shape(0)), ys = pad4(ctx.y.shape), lead = 4 - ctx.shape(0).length;
  const before = [0, 0, 0, 0];
  for (let i = 0; i < ctx.shape(0).length; i++) before[lead + i] = pads[2 * i];
  const value = ctx.has(2) ? ctx.x(2)[0] : 0;
  const out = new Float32Array(elementCount(ys)).fill(value);
  const x = ctx.x(0), sy = strides4(ys);
  let p = 0;
  for (let i0 = 0; i0 < xs[0]; i0++) for (let i1 = 0; i1 < xs[1]; i1++) for (let i2 = 0; i2 < xs[2]; i2++) for (let i3 = 0; i3 < xs[3]; i3++) {
    out[(i0 + before[0]) * sy[0] + (i1 + before[1]) * sy[1] + (i2 + before[2]) * sy[2] + i3 + before[3]] = x[p++];
  }
  return out;
}

function mean(ctx: FloatOp): Float32Array {
  const rank = ctx.shape(0).length, lead = 4 - rank;
  const axes = new Set(ctx.ints(1).map((a) => lead + (a < 0 ? a + rank : a)));
  const xs = pad4(ctx.shape(0)), sx = strides4(xs), x = ctx.x(0);
  const ys = xs.map((d, k) => (axes.has(k) ? 1 : d)), sy = strides4(ys);
  const out = new Float32Array(elementCount(ys));
  const n = xs.filter((_, k) => axes.has(k)).reduce((a, b) => a * b, 1);
  for (let i0 = 0; i0 < xs[0]; i0++) for (let i1 = 0; i1 < xs[1]; i1++) for (let i2 = 0; i2 < xs[2]; i2++) for (let i3 = 0; i3 < xs[3]; i3++) {
    const idx = [i0, i1, i2, i3];
    let o = 0;
    for (let k = 0; k < 4; k++) if (!axes.has(k)) o += idx[k] * sy[k];
    out[o] += x[i0 * sx[0] + i1 * sx[1] + i2 * sx[2] + i3] / n;
  }
  return out;
}

function transpose(ctx: FloatOp): Float32Array {
  const perm = ctx.ints(1), rank = perm.length, lead = 4 - rank;
  const perm4 = [0, 1, 2, 3].map((i) => (i < lead ? i : lead + perm[i - lead]));
  const xs = pad4(ctx.shape(0)), sx = strides4(xs), x = ctx.x(0);
  const ys = perm4.map((p) => xs[p]);
  const out = new Float32Array(x.length);
  let p = 0;
  for (let i0 = 0; i0 < ys[0]; i0++) for (let i1 = 0; i1 < ys[1]; i1++) for (let i2 = 0; i2 < ys[2]; i2++) for (let i3 = 0; i3 < ys[3]; i3++) {
    const idx = [i0, i1, i2, i3];
    let src = 0;
    for (let k = 0; k < 4; k++) src += idx[k] * sx[perm4[k]];
    out[p++] = x[src];
  }
  return out;
}

function concat(ctx: FloatOp): Float32Array {
  const ys = ctx.y.shape, rank = ys.length;
  let axis = ctx.o.axis as number;
  if (axis < 0) axis += rank;
  const outer = ys.slice(0, axis).reduce((a, b) => a * b, 1);
  const after = ys.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(elementCount(ys));
  let offset = 0;
  ctx.op.inputs.forEach((_, k) => {
    const x = ctx.x(k), inner = ctx.shape(k)[axis] * after;
    for (let o = 0; o < outer; o++) out.set(x.subarray(o * inner, (o + 1) * inner), o * ys[axis] * after + offset);
    offset += inner;
  });
  return activate(ctx, out);
}

/** Inference batch-norm, channels on the last axis: (x - mean) * scale / sqrt(var + eps) + bias. */
function batchNorm(ctx: FloatOp): Float32Array {
  const x = ctx.x(0), [scale, bias, mean, variance] = [1, 2, 3, 4].map((k) => ctx.x(k));
  const c = scale.length, eps = (ctx.o.epsilon as number) ?? 1e-5;
  return x.map((v, i) => ((v - mean[i % c]) * scale[i % c]) / Math.sqrt(variance[i % c] + eps) + bias[i % c]);
}

/** An elementwise op's input size must be its output's: checked before any value is computed. */
function sameCount(ctx: FloatOp): Float32Array {
  const x = ctx.x(0);
  if (x.length !== elementCount(ctx.y.shape)) ctx.fail(`produces ${x.length} values for output shape ${JSON.stringify(ctx.y.shape)}`);
  return x;
}

function unary(f: (v: number, o: Record<string, unknown>) => number): Kernel {
  return (ctx) => sameCount(ctx).map((v) => f(v, ctx.o));
}

const copy: Kernel = (ctx) => sameCount(ctx).slice();

/** Float kernels by IR op type. */
export const FLOAT_KERNELS: Record<string, Kernel> = {
  CONV_2D: (c) => conv(c, false),
  DEPTHWISE_CONV_2D: (c) => conv(c, true),
  FULLY_CONNECTED: fullyConnected,
  AVERAGE_POOL_2D: (c) => pool(c, false),
  MAX_POOL_2D: (c) => pool(c, true),
  ADD: (c) => binary(c, (a, b) => a + b),
  SUB: (c) => binary(c, (a, b) => a - b),
  MUL: (c) => binary(c, (a, b) => a * b),
  DIV: (c) => binary(c, (a, b) => a / b),
  PRELU: (c) => binary(c, (a, b) => (a >= 0 ? a : a * b)),
  MAXIMUM: (c) => binary(c, (a, b) => Math.max(a, b)),
  MINIMUM: (c) => binary(c, (a, b) => Math.min(a, b)),
  SQUARED_DIFFERENCE: (c) => binary(c, (a, b) => (a - b) * (a - b)),
  TRANSPOSE_CONV: transposeConv,
  UNIDIRECTIONAL_SEQUENCE_LSTM: lstm,
  SVDF: svdf,
  ...MOVEMENT_KERNELS,
  ...REDUCE_KERNELS,
  SOFTMAX: softmax,
  LOG_SOFTMAX: logSoftmax,
  BATCH_NORM: batchNorm,
  PAD: padOp,
  PADV2: padOp,
  MEAN: mean,
  TRANSPOSE: transpose,
  CONCATENATION: concat,
  RESHAPE: copy,
  SQUEEZE: copy,
  EXPAND_DIMS: copy,
  IDENTITY: copy,
  DROPOUT: copy,
  RELU: unary((v) => Math.max(0, v)),
  RELU6: unary((v) => Math.min(6, Math.max(0, v))),
  RELU_N1_TO_1: unary((v) => Math.min(1, Math.max(-1, v))),
  LOGISTIC: unary((v) => 1 / (1 + Math.exp(-v))),
  TANH: unary((v) => Math.tanh(v)),
  LEAKY_RELU: unary((v, o) => (v >= 0 ? v : v * (o.alpha as number))),
  HARD_SWISH: unary((v) => (v * Math.min(6, Math.max(0, v + 3))) / 6),
  RSQRT: unary((v) => 1 / Math.sqrt(v)),
  EXP: unary((v) => Math.exp(v)),
  CLIP: unary((v, o) => Math.min(o.max as number, Math.max(o.min as number, v))),
  // QDQ pair from an ONNX model: round to the int8 grid and back.
  FAKE_QUANT: unary((v, o) => {
    const s = o.scale as number, zp = o.zeroPoint as number;
    return s * (Math.max(-128, Math.min(127, Math.round(v / s) + zp)) - zp);
  }),
};

/**
 * Runs the float graph on one set of inputs (graph-input order) and returns the
 * outputs. `observe` sees every activation tensor, for calibration and SQNR. `state` holds
 * the variable tensors (recurrent states) from one run to the next: absent, each run starts
 * from zero state, as a freshly loaded model.
 */
export function runFloat(g: Graph, inputs: Float32Array[], observe?: Observer, state?: Map<number, Float32Array>): Float32Array[] {
  const values: (Float32Array | undefined)[] = g.tensors.map(constValue);
  if (state) for (const [t, v] of state) values[t] = v;
  if (inputs.length !== g.inputs.length) throw new ConvertError(`${g.source}: float reference needs ${g.inputs.length} inputs, got ${inputs.length}`);
  g.inputs.forEach((t, k) => {
    const want = elementCount(g.tensors[t].shape);
    if (inputs[k].length !== want) throw new ConvertError(`${g.source}: input ${k} "${g.tensors[t].name}" needs ${want} values, got ${inputs[k].length}`);
    values[t] = inputs[k];
    observe?.(t, inputs[k]);
  });
  for (const op of g.ops) {
    const kernel = FLOAT_KERNELS[op.type];
    const ctx = new FloatOp(g, op, values, observe);
    if (!kernel) ctx.fail(`the float reference has no kernel for ${op.type}`);
    const out = kernel(ctx);
    if (out.length !== elementCount(ctx.y.shape)) ctx.fail(`produced ${out.length} values for output shape ${JSON.stringify(ctx.y.shape)}`);
    values[op.outputs[0]] = out;
    observe?.(op.outputs[0], out);
  }
  if (state) g.tensors.forEach((t, k) => t.variable && values[k] && state.set(k, values[k]!));
  return g.outputs.map((t) => values[t] as Float32Array);
}
