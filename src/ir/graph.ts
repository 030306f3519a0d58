// The one graph representation every importer produces and every pass consumes.
// Layout is NHWC. Quantization follows TFLite: real = scale * (q - zeroPoint), with
// per-channel scales along `axis` for weights.

import type { Codebook, Repr } from '../format/packed.js';

export type DTypeName = 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'float32' | 'bool';

export interface Quant {
  scale: number[];
  zeroPoint: number[];
  /** Channel axis of per-channel quantization; ignored when scale has one entry. */
  axis: number;
}

export type TensorData = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | BigInt64Array;

export interface Tensor {
  name: string;
  shape: number[];
  dtype: DTypeName;
  /** Present for constants. */
  data?: TensorData;
  /** A TFLite variable tensor: state an op keeps across invokes (LSTM, SVDF). */
  variable?: boolean;
  quant?: Quant;
  /** Set by share-weights: the codebook `data` decodes from (docs/compression.md). */
  codebook?: Codebook;
  /** Set by pack: the stored form of `data`, when smaller than raw int8. */
  packed?: { blob: Uint8Array; repr: Repr };
}

export interface Op {
  /** Operator name in TFLite's spelling (CONV_2D, ADD, ...). */
  type: string;
  /** Tensor indices; -1 marks an absent optional input. */
  inputs: number[];
  outputs: number[];
  options: Record<string, unknown>;
  /** Index of the operator in the source model, for error messages. */
  sourceIndex: number;
  /** Set by the prepare-kernels pass: the runtime opcode and its i32 params. */
  kernel?: { opcode: number; params: number[] };
  /** Set by prepare-kernels for RESHAPE-like ops: the output aliases input 0. */
  alias?: boolean;
}

export interface Graph {
  tensors: Tensor[];
  ops: Op[];
  inputs: number[];
  outputs: number[];
  /** Where the graph came from, for error messages. */
  source: string;
}

export class ConvertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvertError';
  }
}

export const DTYPE_SIZE: Record<DTypeName, number> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  float32: 4,
  bool: 1,
};

/**
 * Largest element count the importers accept for one tensor: 2^31 - 1, so byte sizes of
 * int8 tensors and element indices fit the format's and the runtimes' 32-bit fields.
 */
export const MAX_ELEMENTS = 0x7fffffff;

/** Most tensors a model may have: the .epk's 16-bit tensor indices, 0xFFFF meaning "absent". */
export const MAX_TENSORS = 0xfffe;

/**
 * Most ops the importers accept. Real models have tens to a few thousand (mobilenet_v2: 65);
 * the cap keeps hostile files (a 65,535-op .tflite took 18 s to be refused) fast to refuse.
 */
export const MAX_OPS = 16384;

export function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function byteSize(t: Tensor): number {
  return elementCount(t.shape) * DTYPE_SIZE[t.dtype];
}

export function isConst(t: Tensor): boolean {
  return t.data !== undefined;
}

/** Human-readable name of an op for error messages: `op 3 (CONV_2D)`. */
export function describeOp(op: Op): string {
  return `op ${op.sourceIndex} (${op.type})`;
}

export function cloneGraph(g: Graph): Graph {
  return {
    tensors: g.tensors.map((t) => ({ ...t, shape: [...t.shape] })),
    ops: g.ops.map((o) => ({
      ...o, inputs: [...o.inputs], outputs: [...o.outputs], options: { ...o.options },
      kernel: o.kernel && { ...o.kernel, params: [...o.kernel.params] },
    })),
    inputs: [...g.inputs],
    outputs: [...g.outputs],
    source: g.source,
  };
}

/** Index of the op producing each tensor (or -1). */
export function producers(g: Graph): number[] {
  const p = new Array<number>(g.tensors.length).fill(-1);
  g.ops.forEach((op, i) => op.outputs.forEach((t) => (p[t] = i)));
  return p;
}

/** For each tensor, the ops that read it. */
export function consumers(g: Graph): number[][] {
  const c: number[][] = g.tensors.map(() => []);
  g.ops.forEach((op, i) => op.inputs.forEach((t) => t >= 0 && c[t].push(i)));
  return c;
}

export function formatGraph(g: Graph): string {
  const lines: string[] = [];
  const tname = (i: number) => (i < 0 ? '-' : `%${i}:${g.tensors[i].name}${JSON.stringify(g.tensors[i].shape)}`);
  lines.push(`graph ${g.source}: inputs ${g.inputs.map(tname).join(', ')}`);
  g.ops.forEach((op, i) => {
    const opts = Object.keys(op.options).length ? ' ' + JSON.stringify(op.options) : '';
    lines.push(`  ${i}: ${op.type}(${op.inputs.map(tname).join(', ')}) -> ${op.outputs.map(tname).join(', ')}${opts}`);
  });
  lines.push(`  outputs ${g.outputs.map(tname).join(', ')}`);
  return lines.join('\n');
}
