// narrow-shifts: matches CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED ops whose filter the
// pack pass stored as a blob (int8 activations, inputs [x, w, bias?, mult, shift]); emits
// their per-channel shift tensor as int8 (1 byte per channel instead of 4: about 1 KB of
// ic_resnet8's 34 KB at the 0.35 size budget), their multiplier tensor as int8 when every
// multiplier is v << 24 with v in {0} u [64, 127] (calibrated compression rounds its refit
// multipliers so: src/compress/row-gain.ts), and their bias tensor as int16 when every bias
// fits. Guarantees: the same values; the runtime widens them into scratch before the op's
// kernels run (assembly/packed.ts `constantsFor`), so every output is
// unchanged. A tensor another op also reads stays int32.

import { Graph, Op, cloneGraph, consumers } from '../ir/graph.js';
import { blobInfo } from '../format/packed.js';
import { WEIGHT_OPS } from './weights.js';

/** Inputs of a conv / depthwise / FC after prepare-kernels: [x, w, bias (or -1), mult, shift]. */
export const BIAS_INPUT = 2, MULT_INPUT = 3, SHIFT_INPUT = 4;
/** Narrow biases and multipliers may raise the scratch the narrow shifts need by at most 1 / SCRATCH_ALLOWANCE. */
export const SCRATCH_ALLOWANCE = 8;

/** True when every multiplier is v << 24 with v in {0} u [64, 127]: exactly what an int8 multiplier tensor holds. */
export function multsFitInt8(m: ArrayLike<number>): boolean {
  for (let i = 0; i < m.length; i++) {
    const v = m[i] / 2 ** 24;
    if (!(Number.isInteger(v) && (v === 0 || (v >= 64 && v <= 127)))) return false;
  }
  return true;
}

/** True when op reads a packed filter and an int8 shift: the runtime widens that shift per call. */
export function hasNarrowShift(g: Graph, op: Op): boolean {
  const s = op.inputs[SHIFT_INPUT];
  return WEIGHT_OPS.includes(op.type) && op.inputs.length === 5 && !!g.tensors[op.inputs[1]]?.packed && s >= 0 && g.tensors[s].dtype === 'int8';
}

export function narrowShifts(input: Graph): Graph {
  const g = cloneGraph(input);
  const readers = consumers(g);
  const narrowed: Op[] = [];
  for (const op of g.ops) {
    if (!WEIGHT_OPS.includes(op.type) || op.inputs.length !== 5 || !g.tensors[op.inputs[1]]?.packed) continue;
    if (g.tensors[op.inputs[0]]?.dtype !== 'int8') continue;
    const s = op.inputs[SHIFT_INPUT], shift = g.tensors[s];
    if (s < 0 || shift.dtype !== 'int32' || !(shift.data instanceof Int32Array) || readers[s].length !== 1) continue;
    if (shift.data.some((v) => v < -31 || v > 31)) continue; // the loader refuses such a file whatever its width
    g.tensors[s] = { ...shift, dtype: 'int8', data: Int8Array.from(shift.data) };
    narrowed.push(op);
  }
  // biases and multipliers only where their widened slots keep the op within the scratch the
  // shifts alone need (the model's largest tile and its shifts) plus an eighth: narrowing costs
  // at most that much RAM. (Without the eighth, every op whose tile is the largest kept its
  // int32 constants: on ic_resnet8 the 4032-byte tiles of ops 4, 5, 8 and 9, 192 of its 346
  // channels and 89% of its weights.)
  const shiftsOnly = narrowShiftScratch(g), room = shiftsOnly + Math.floor(shiftsOnly / SCRATCH_ALLOWANCE);
  for (const op of narrowed) {
    const b = op.inputs[BIAS_INPUT], bias = b >= 0 ? g.tensors[b] : null;
    if (bias && bias.dtype === 'int32' && bias.data instanceof Int32Array && readers[b].length === 1 && bias.data.every((v) => v >= -32768 && v <= 32767) && opScratch(g, op, 2) <= room) {
      g.tensors[b] = { ...bias, dtype: 'int16', data: Int16Array.from(bias.data) };
    }
    const m = op.inputs[MULT_INPUT], mult = g.tensors[m];
    if (m >= 0 && mult.dtype === 'int32' && mult.data instanceof Int32Array && readers[m].length === 1 && multsFitInt8(mult.data) && opScratch(g, op, 3) <= room) {
      g.tensors[m] = { ...mult, dtype: 'int8', data: Int8Array.from(mult.data, (v) => v / 2 ** 24) };
    }
  }
  return g;
}

/** A decoded tile rounded up to 16 bytes, as the runtime places the widened shifts after it. */
const align16 = (n: number) => (n + 15) & ~15;

/** Widened slots an op with narrow constants uses in scratch: shift, then bias (int16), then mult (int8) -- up to the last narrow one. */
function narrowSlots(g: Graph, op: Op): number {
  const dtypeOf = (k: number) => (op.inputs[k] >= 0 ? g.tensors[op.inputs[k]].dtype : undefined);
  return dtypeOf(MULT_INPUT) === 'int8' ? 3 : dtypeOf(BIAS_INPUT) === 'int16' ? 2 : 1;
}

/** Scratch op (with a narrow shift) needs with `slots` widened slots: its tile (16-aligned), then 4 bytes per slot and channel of a call. */
function opScratch(g: Graph, op: Op, slots: number): number {
  const info = blobInfo(g.tensors[op.inputs[1]].packed!.blob);
  return info.huffman ? align16(info.rowsPerTile * info.rowElems) + 4 * slots * info.rowsPerTile : 4 * slots * info.rows;
}

/**
 * Scratch an op with narrow constants needs (assembly/packed.ts
 * `constantsFor`): after that call's decoded Huffman tile (16-aligned), the widened int32 shifts
 * of one call, then its biases, then its multipliers, up to the last narrow one -- a call
 * covers a tile's rows (Huffman) or every output channel (codebook indices, no tile).
 */
export function narrowShiftScratch(g: Graph): number {
  let need = 0;
  for (const op of g.ops) if (hasNarrowShift(g, op)) need = Math.max(need, opScratch(g, op, narrowSlots(g, op)));
  return need;
}

/**
 * The inverse: every op's int8 shift and multiplier and int16 bias tensors back to int32, as an
 * op whose filter is stored raw must read them (the loader refuses narrow ones beside a raw filter). For
 * emitting a compressed graph with its filters decoded (tests compare the two files' outputs).
 */
export function wideShifts(input: Graph): Graph {
  const g = cloneGraph(input);
  for (const op of g.ops) {
    if (!WEIGHT_OPS.includes(op.type) || op.inputs.length !== 5) continue;
    const s = op.inputs[SHIFT_INPUT], m = op.inputs[MULT_INPUT];
    if (s >= 0 && g.tensors[s].dtype === 'int8') g.tensors[s] = { ...g.tensors[s], dtype: 'int32', data: Int32Array.from(g.tensors[s].data as Int8Array) };
    if (m >= 0 && g.tensors[m].dtype === 'int8') g.tensors[m] = { ...g.tensors[m], dtype: 'int32', data: Int32Array.from(g.tensors[m].data as Int8Array, (v) => v * 2 ** 24) };
    const b = op.inputs[BIAS_INPUT];
    if (b >= 0 && g.tensors[b].dtype === 'int16') g.tensors[b] = { ...g.tensors[b], dtype: 'int32', data: Int32Array.from(g.tensors[b].data as Int16Array) };
  }
  return g;
}
