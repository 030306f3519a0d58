// layout-weights: matches prepared CONV_2D (groups 1), DEPTHWISE_CONV_2D (depth multiplier 1)
// and FULLY_CONNECTED ops; emits their weights in the layout the fast kernels read, a folded
// bias and a requant table that replaces the multiplier and shift tensors (inputs become
// [x, w, bias, requant]), and marks the op with layout param 1 (assembly/ops.ts lists them).
// Filters stored packed by the pack pass (codebook/Huffman blobs) are left alone.
// Guarantees: the packed op computes exactly what the original one did (same int32 sums,
// same requantization), so the runtime never repacks and stays bit-exact.
//
// GEMM layout (conv, FC): K = kh*kw*inC (or depth), K8 = K rounded up to 8, oc4 = oc rounded
// up to 4; w'[oc4/4][K8/8][4 oc][8 k], zero where k >= K or o >= oc: one 32-byte slice feeds
// 4 channels x 8 taps. bias'[o] = bias[o] + in_offset * sum_k w[o,k], which equals the
// reference sum of (x + in_offset) * w because the im2col patch fills padding taps with the
// input zero point (x + in_offset == 0 there). |in_offset * sum| <= 255 * 128 * K: exact in
// double and in i32 for K < 65793.

import { LAYOUT_PACKED, OP_PACKED_PARAM_COUNT, OpCode, RQ_QUAD_BYTES, SCRATCH_SLACK } from '../format/constants.js';
import { Graph, Op, Tensor, cloneGraph } from '../ir/graph.js';

export { LAYOUT_PACKED, SCRATCH_SLACK }; // src/format/constants.ts
/** Requant table: 12 i32 (48 bytes) per quad of channels, see assembly/kernels/requant-simd.ts. */
export const RQ_I32_PER_QUAD = RQ_QUAD_BYTES / 4;

const round4 = (n: number) => Math.ceil(n / 4) * 4;
const round8 = (n: number) => Math.ceil(n / 8) * 8;

function int8Data(t: Tensor): Int8Array {
  const d = t.data!;
  return new Int8Array(d.buffer, d.byteOffset, d.byteLength);
}

function int32Data(t: Tensor): Int32Array {
  const d = t.data!;
  return new Int32Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
}

function addConst(g: Graph, name: string, shape: number[], data: Int8Array | Int32Array): number {
  g.tensors.push({ name, shape, dtype: data instanceof Int8Array ? 'int8' : 'int32', data });
  return g.tensors.length - 1;
}

/** rows [oc][K] (row-major) -> [oc4/4][K8/8][4][8], zero padded. */
export function packGemmWeights(w: Int8Array, oc: number, k: number): Int8Array {
  const oc4 = round4(oc), k8 = round8(k);
  const out = new Int8Array(oc4 * k8);
  for (let o = 0; o < oc; o++) {
    const blk = (o >> 2) * k8 * 4, lane = (o & 3) * 8;
    for (let j = 0; j < k; j++) out[blk + (j >> 3) * 32 + lane + (j & 7)] = w[o * k + j];
  }
  return out;
}

/** bias'[o] = bias[o] + inOffset * sum_k w[o,k], padded to oc4 with zeros. */
export function foldBias(w: Int8Array, oc: number, k: number, bias: Int32Array | null, inOffset: number): Int32Array {
  const out = new Int32Array(round4(oc));
  for (let o = 0; o < oc; o++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += w[o * k + j];
    out[o] = ((bias ? bias[o] : 0) + inOffset * s) | 0;
  }
  return out;
}

/** The 48-byte-per-quad requant table of assembly/kernels/requant-simd.ts: m, 2^left, 1023 - e. */
export function requantTable(mult: Int32Array, shift: Int32Array, channels: number): Int32Array {
  const quads = Math.ceil(channels / 4);
  const t = new Int32Array(quads * RQ_I32_PER_QUAD);
  for (let c = 0; c < quads * 4; c++) {
    const q = c >> 2, l = c & 3;
    const m = c < channels ? mult[c] : 0, s = c < channels ? shift[c] : 0;
    const left = Math.max(s, 0), e = Math.max(-s, 0);
    if (m < 0 || left > 31 || e > 31) throw new Error(`multiplier ${m} / shift ${s} out of range`);
    const base = q * RQ_I32_PER_QUAD;
    t[base + l] = m;
    t[base + 4 + l] = left === 31 ? -(2 ** 31) : 2 ** left; // 2^left mod 2^32
    t[base + 8 + l] = 1023 - e; // exponent field of the f64 2^-e
  }
  return t;
}

/** Common tail: folded bias and requant table become inputs 2, 3 (mult/shift are in the table). */
function attachGemm(g: Graph, op: Op, w: Int8Array, oc: number, k: number, inOffset: number): void {
  const wt = g.tensors[op.inputs[1]];
  const bias = op.inputs[2] >= 0 ? int32Data(g.tensors[op.inputs[2]]) : null;
  const mult = int32Data(g.tensors[op.inputs[3]]), shift = int32Data(g.tensors[op.inputs[4]]);
  const oc4 = round4(oc), k8 = round8(k);
  op.inputs = [
    op.inputs[0],
    addConst(g, `${wt.name}/packed`, [oc4, k8], packGemmWeights(w, oc, k)),
    addConst(g, `${wt.name}/bias_folded`, [oc4], foldBias(w, oc, k, bias, inOffset)),
    addConst(g, `${wt.name}/requant`, [oc4 * 3], requantTable(mult, shift, oc)),
  ];
}

function packConv(g: Graph, op: Op): void {
  const x = g.tensors[op.inputs[0]], wt = g.tensors[op.inputs[1]];
  const [oc, kh, kw, icg] = wt.shape;
  if (icg !== x.shape[3]) return; // grouped conv: keeps the reference kernel
  const p = op.kernel!.params;
  attachGemm(g, op, int8Data(wt), oc, kh * kw * icg, p[6]);
  op.kernel = { opcode: OpCode.Conv2D, params: [...p, LAYOUT_PACKED, kh, kw] };
}

/**
 * A depthwise conv over a 1-channel input (depth multiplier = oc) is the conv with filter
 * w'[o, ky, kx, 0] = w[0, ky, kx, o]: same taps, same sums, same per-channel requantization.
 */
function depthwiseAsConv(g: Graph, op: Op): void {
  const wt = g.tensors[op.inputs[1]];
  const [, kh, kw, oc] = wt.shape;
  const w = int8Data(wt);
  const rows = new Int8Array(oc * kh * kw);
  for (let o = 0; o < oc; o++) for (let t = 0; t < kh * kw; t++) rows[o * kh * kw + t] = w[t * oc + o];
  attachGemm(g, op, rows, oc, kh * kw, op.kernel!.params[6]);
  op.kernel = { opcode: OpCode.Conv2D, params: [...op.kernel!.params.slice(0, 10), LAYOUT_PACKED, kh, kw] };
}

function packDepthwise(g: Graph, op: Op): void {
  const p = op.kernel!.params;
  if (g.tensors[op.inputs[0]].shape[3] === 1 && p[10] > 1) return depthwiseAsConv(g, op);
  if (p[10] !== 1) return; // depth multiplier > 1 over several channels: keeps the reference kernel
  const wt = g.tensors[op.inputs[1]];
  const oc = wt.shape[3];
  const bias = op.inputs[2] >= 0 ? op.inputs[2] : addConst(g, `${wt.name}/bias_zero`, [oc], new Int32Array(oc));
  const mult = int32Data(g.tensors[op.inputs[3]]), shift = int32Data(g.tensors[op.inputs[4]]);
  const rq = addConst(g, `${wt.name}/requant`, [round4(oc) * 3], requantTable(mult, shift, oc));
  op.inputs = [op.inputs[0], op.inputs[1], bias, rq];
  op.kernel = { opcode: OpCode.DepthwiseConv2D, params: [...p, LAYOUT_PACKED] };
}

function packFullyConnected(g: Graph, op: Op): void {
  const wt = g.tensors[op.inputs[1]];
  const [oc, depth] = wt.shape;
  const p = op.kernel!.params;
  attachGemm(g, op, int8Data(wt), oc, depth, p[0]);
  op.kernel = { opcode: OpCode.FullyConnected, params: [...p, LAYOUT_PACKED, depth] };
}

export function layoutWeights(input: Graph): Graph {
  const g = cloneGraph(input);
  for (const op of g.ops) {
    const code = op.kernel?.opcode;
    // Filters the pack pass stored as codebook/Huffman blobs stay with the LUT kernels.
    if (op.inputs[1] >= 0 && g.tensors[op.inputs[1]]?.packed) continue;
    if (g.tensors[op.outputs[0]]?.dtype === 'float32') continue; // group f32: float kernels read the plain layout
    if (g.tensors[op.inputs[0]]?.dtype === 'int16') continue; // 16x8 ops: the plain layout (their _S16 kernels)
    if (code === OpCode.Conv2D) packConv(g, op);
    else if (code === OpCode.DepthwiseConv2D) packDepthwise(g, op);
    else if (code === OpCode.FullyConnected) packFullyConnected(g, op);
  }
  return g;
}

/** Scratch the runtime reserves after the arena: two im2col patches of the largest packed conv. */
export function scratchBytes(g: Graph): number {
  let need = 0;
  for (const op of g.ops) {
    const k = op.kernel;
    if (!k) continue;
    if (k.opcode === OpCode.Conv2D && k.params.length === OP_PACKED_PARAM_COUNT[OpCode.Conv2D]) need = Math.max(need, 2 * g.tensors[op.inputs[1]].shape[1] + SCRATCH_SLACK);
    if (k.opcode === OpCode.FullyConnected && k.params.length === OP_PACKED_PARAM_COUNT[OpCode.FullyConnected]) need = Math.max(need, SCRATCH_SLACK);
  }
  return need;
}
