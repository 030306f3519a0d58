// narrow-shifts: matches CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED ops whose filter the
// pack pass stored as a blob (int8 activations, inputs [x, w, bias?, mult, shift]); emits
// their per-channel shift tensor as int8 (1 byte per channel instead of 4: about 1 KB of
// ic_resnet8's 34 KB at the 0.35 size budget). Guarantees: the same values, all in [-31, 31];
// the runtime widens them into scratch before the op's kernels run (assembly/packed.ts
// `shiftsFor`), so every output is unchanged. A shift tensor another op also reads stays int32.

import { Graph, Op, cloneGraph, consumers } from '../ir/graph.js';
import { blobInfo } from '../format/packed.js';
import { WEIGHT_OPS } from './weights.js';

const SHIFT_INPUT = 4;

/** True when op reads a packed filter and an int8 shift: the runtime widens that shift per call. */
export function hasNarrowShift(g: Graph, op: Op): boolean {
  const s = op.inputs[SHIFT_INPUT];
  return WEIGHT_OPS.includes(op.type) && op.inputs.length === 5 && !!g.tensors[op.inputs[1]]?.packed && s >= 0 && g.tensors[s].dtype === 'int8';
}

export function narrowShifts(input: Graph): Graph {
  const g = cloneGraph(input);
  const readers = consumers(g);
  for (const op of g.ops) {
    if (!WEIGHT_OPS.includes(op.type) || op.inputs.length !== 5 || !g.tensors[op.inputs[1]]?.packed) continue;
    if (g.tensors[op.inputs[0]]?.dtype !== 'int8') continue;
    const s = op.inputs[SHIFT_INPUT], shift = g.tensors[s];
    if (s < 0 || shift.dtype !== 'int32' || !(shift.data instanceof Int32Array) || readers[s].length !== 1) continue;
    if (shift.data.some((v) => v < -31 || v > 31)) continue; // the loader refuses such a file whatever its width
    g.tensors[s] = { ...shift, dtype: 'int8', data: Int8Array.from(shift.data) };
  }
  return g;
}

/** A decoded tile rounded up to 16 bytes, as the runtime places the widened shifts after it. */
const align16 = (n: number) => (n + 15) & ~15;

/**
 * Scratch an op with a narrow shift needs (assembly/packed.ts `shiftsFor`): the widened
 * int32 shifts of one call after that call's decoded Huffman tile (16-aligned) -- a tile's
 * rows (Huffman) or every output channel (codebook indices, no tile).
 */
export function narrowShiftScratch(g: Graph): number {
  let need = 0;
  for (const op of g.ops) {
    if (!hasNarrowShift(g, op)) continue;
    const info = blobInfo(g.tensors[op.inputs[1]].packed!.blob);
    need = Math.max(need, info.huffman ? align16(info.rowsPerTile * info.rowElems) + 4 * info.rowsPerTile : 4 * info.rows);
  }
  return need;
}

/**
 * The inverse: every op's int8 shift tensor back to int32, as an op whose filter is stored raw
 * must read it (the loader refuses int8 shifts beside a raw filter). For emitting a compressed
 * graph with its filters decoded (tests compare the two files' outputs).
 */
export function wideShifts(input: Graph): Graph {
  const g = cloneGraph(input);
  for (const op of g.ops) {
    const s = op.inputs[SHIFT_INPUT];
    if (!WEIGHT_OPS.includes(op.type) || op.inputs.length !== 5 || s < 0 || g.tensors[s].dtype !== 'int8') continue;
    g.tensors[s] = { ...g.tensors[s], dtype: 'int32', data: Int32Array.from(g.tensors[s].data as Int8Array) };
  }
  return g;
}
