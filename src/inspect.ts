// inspect: a per-layer summary of an .epk (op, shapes, MACs, weight bytes, arena
// placement) and totals; the same figures as JSON for other tools.

import { DTYPE_NAMES, NO_TENSOR, OP_NAMES, OP_PACKED_PARAM_COUNT, OpCode, TensorKind } from './format/constants.js';
import { Epk, EpkOp, EpkTensor, readEpk } from './format/reader.js';
import { kernelMask, kernelNames } from './format/kernels.js';
import { Bytes, toBytes } from './io/bytes.js';

export interface TensorInfo {
  name: string;
  shape: number[];
  dtype: string;
  bytes: number;
  scale: number;
  zeroPoint: number;
}

export interface LayerInfo {
  index: number;
  op: string;
  sourceIndex: number;
  inputShapes: number[][];
  outputShape: number[];
  macs: number;
  weightBytes: number;
  /** Bytes the weights occupy in the file (smaller than weightBytes when packed). */
  storedWeightBytes: number;
  /** How the filter is stored: raw, codebook Nb, huffman, codebook Nb+huffman. */
  weightEncoding: string;
  arenaOffset: number;
  arenaBytes: number;
}

export interface Summary {
  modelBytes: number;
  arenaBytes: number;
  scratchBytes: number;
  weightBytes: number;
  macs: number;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  layers: LayerInfo[];
  /** Variable tensors: state kept in the arena across invokes (reset at load and by reset()). */
  variables: TensorInfo[];
  /** Kernel variants the ops run (src/format/kernels.ts): the set a model-specific firmware links. */
  kernels: { mask: string; names: string[] }; // mask: hex, bit i = KERNEL_VARIANTS[i]
}

/** Multiply-accumulates of one op, from its shapes. */
export function opMacs(op: EpkOp, tensors: EpkTensor[]): number {
  const elems = (t: EpkTensor) => t.shape.reduce((a, d) => a * d, 1);
  const y = tensors[op.outputs[0]];
  switch (op.opcode) {
    case OpCode.Conv2D: {
      const w = tensors[op.inputs[1]];
      // packed layout (w [oc4, K8]): params 11, 12 hold kh, kw; K = kh * kw * input channels
      if (op.params.length === OP_PACKED_PARAM_COUNT[OpCode.Conv2D]) return elems(y) * op.params[11] * op.params[12] * tensors[op.inputs[0]].shape[3];
      return elems(y) * w.shape[1] * w.shape[2] * w.shape[3];
    }
    case OpCode.DepthwiseConv2D: {
      const w = tensors[op.inputs[1]];
      return elems(y) * w.shape[1] * w.shape[2];
    }
    case OpCode.FullyConnected:
      if (op.params.length === OP_PACKED_PARAM_COUNT[OpCode.FullyConnected]) return elems(y) * op.params[5]; // packed: depth
      return elems(y) * tensors[op.inputs[1]].shape[1];
    case OpCode.TransposeConv: { // TFLM's count: every input value times every filter tap of every output channel
      const w = tensors[op.inputs[1]];
      return elems(tensors[op.inputs[0]]) * w.shape[0] * w.shape[1] * w.shape[2];
    }
    case OpCode.Svdf: { // feature dot products, then time dot products: x [batch, nIn], time weights [nFilter, nMemory]
      const [batch, nIn] = tensors[op.inputs[0]].shape, [nFilter, nMemory] = tensors[op.inputs[2]].shape;
      return batch * nFilter * (nIn + nMemory);
    }
    case OpCode.UnidirectionalSequenceLstm: { // four gates' input and recurrent products per step, y [., ., nCell]
      const nIn = tensors[op.inputs[0]].shape[2], nCell = tensors[op.inputs[1]].shape[0];
      return (elems(y) / nCell) * 4 * nCell * (nIn + nCell);
    }
    case OpCode.ResizeBilinear: // group a: four weighted taps per output value
      return elems(y) * 4;
    default:
      return 0;
  }
}

function encodingName(t: EpkTensor | undefined): string {
  if (!t?.packed) return '';
  const p = t.packed;
  const kind = p.bits ? `codebook ${p.bits}b${p.tables > 1 ? '/ch' : ''}${p.huffman ? '+huffman' : ''}` : 'huffman';
  return `${kind} ${((8 * p.blobBytes) / (p.rows * p.rowElems)).toFixed(2)} b/w`;
}

function tensorInfo(t: EpkTensor): TensorInfo {
  return { name: t.name, shape: t.shape, dtype: DTYPE_NAMES[t.dtype], bytes: t.bytes, scale: t.scale, zeroPoint: t.zeroPoint };
}

export function summarize(input: Bytes): Summary {
  const bytes = toBytes(input, '.epk bytes');
  const epk: Epk = readEpk(bytes);
  const T = epk.tensors;
  const layers = epk.ops.map((op): LayerInfo => {
    const y = T[op.outputs[0]];
    const present = op.inputs.filter((i) => i !== NO_TENSOR).map((i) => T[i]);
    return {
      index: op.index,
      op: OP_NAMES[op.opcode],
      sourceIndex: op.sourceIndex,
      inputShapes: present.filter((t) => t.kind === TensorKind.Arena).map((t) => t.shape),
      outputShape: y.shape,
      macs: opMacs(op, T),
      weightBytes: present.filter((t) => t.kind === TensorKind.Const).reduce((a, t) => a + t.bytes, 0),
      storedWeightBytes: present.filter((t) => t.kind === TensorKind.Const).reduce((a, t) => a + t.storedBytes, 0),
      weightEncoding: encodingName(present.find((t) => t.packed)),
      arenaOffset: y.offset,
      arenaBytes: y.bytes,
    };
  });
  return {
    modelBytes: bytes.length,
    arenaBytes: epk.arenaBytes,
    scratchBytes: epk.scratchBytes,
    weightBytes: epk.data.length,
    macs: layers.reduce((a, l) => a + l.macs, 0),
    inputs: epk.inputs.map((i) => tensorInfo(T[i])),
    outputs: epk.outputs.map((i) => tensorInfo(T[i])),
    layers,
    variables: T.filter((t) => t.kind === TensorKind.Variable).map(tensorInfo),
    kernels: { mask: `0x${kernelMask(epk).toString(16)}`, names: kernelNames(kernelMask(epk)) },
  };
}

export function formatSummary(s: Summary): string {
  const rows = [['#', 'op', 'input', 'output', 'MACs', 'weights', 'stored', 'arena off', 'arena size', 'packed']];
  for (const l of s.layers) {
    rows.push([
      String(l.index), l.op, l.inputShapes.map((x) => x.join('x')).join(' + '), l.outputShape.join('x'),
      String(l.macs), String(l.weightBytes), String(l.storedWeightBytes), String(l.arenaOffset), String(l.arenaBytes), l.weightEncoding,
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => (c >= 4 && c <= 8 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  '));
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const io = (label: string, list: TensorInfo[]) =>
    list.map((t) => `${label} ${t.name}: ${t.dtype}[${t.shape.join('x')}] ${t.bytes} B, scale ${t.scale}, zero point ${t.zeroPoint}`);
  lines.push(
    '',
    ...io('input ', s.inputs),
    ...io('output', s.outputs),
    ...io('state ', s.variables ?? []),
    `layers ${s.layers.length}, MACs ${s.macs}, weights ${s.weightBytes} B, model ${s.modelBytes} B, arena ${s.arenaBytes} B, scratch ${s.scratchBytes} B`,
    `kernels ${s.kernels.names.join(', ')} (mask ${s.kernels.mask})`,
  );
  return lines.join('\n');
}
