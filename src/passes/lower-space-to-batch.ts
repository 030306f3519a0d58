// lower-space-to-batch: matches SPACE_TO_BATCH_ND on int8 or float32 with constant nonzero paddings and
// emits a PADV2 of its spatial axes (pad value 0: TFLM's int8 SpaceToBatchND pads with its
// params' output_offset, which its Prepare never sets, so 0 in a zeroed arena -- not the zero
// point; checked against tflm-run), then the SPACE_TO_BATCH_ND with zero paddings, which
// prepare-kernels turns into one TABLE_COPY. Guarantees: TFLM's bytes; ops it cannot read
// (non-constant operands, other ranks) pass through unchanged for prepare to refuse by name.

import { Graph, Op, cloneGraph } from '../ir/graph.js';

function constInts(g: Graph, t: number | undefined): number[] | null {
  const d = t === undefined || t < 0 ? undefined : g.tensors[t].data;
  if (d instanceof Int32Array) return Array.from(d);
  if (d instanceof BigInt64Array) return Array.from(d, Number);
  return null;
}

function needsPad(g: Graph, op: Op): boolean {
  if (op.type !== 'SPACE_TO_BATCH_ND' || op.inputs.length !== 3 || op.inputs[0] < 0) return false;
  const x = g.tensors[op.inputs[0]], pads = constInts(g, op.inputs[2]);
  const spatial = x.shape.length - 2;
  return (x.dtype === 'int8' || x.dtype === 'float32') && (spatial === 1 || spatial === 2) && pads !== null && pads.length === 2 * spatial && pads.every((p) => p >= 0) && pads.some((p) => p > 0);
}

export function lowerSpaceToBatch(input: Graph): Graph {
  if (!input.ops.some((o) => needsPad(input, o))) return input;
  const g = cloneGraph(input);
  g.ops = g.ops.flatMap((op) => (needsPad(g, op) ? padThenSpaceToBatch(g, op) : [op]));
  return g;
}

function addConst(g: Graph, name: string, shape: number[], data: Int32Array | Int8Array | Float32Array, quant?: Graph['tensors'][number]['quant']): number {
  g.tensors.push({ name, shape, dtype: data instanceof Int8Array ? 'int8' : data instanceof Float32Array ? 'float32' : 'int32', data, quant });
  return g.tensors.length - 1;
}

function padThenSpaceToBatch(g: Graph, op: Op): Op[] {
  const x = g.tensors[op.inputs[0]], pads = constInts(g, op.inputs[2])!;
  const spatial = x.shape.length - 2;
  const full = [0, 0, ...pads, 0, 0]; // batch, spatial axes, channels
  const shape = x.shape.map((d, k) => d + full[2 * k] + full[2 * k + 1]);
  g.tensors.push({ name: `${x.name}/space_to_batch_padded`, shape, dtype: x.dtype, quant: x.quant });
  const padded = g.tensors.length - 1;
  const paddings = addConst(g, `${x.name}/space_to_batch_paddings`, [x.shape.length, 2], Int32Array.from(full));
  const zero = addConst(g, `${x.name}/space_to_batch_pad_value`, [1], x.dtype === 'float32' ? Float32Array.of(0) : Int8Array.of(0), x.quant); // float32: TFLM pads with 0.0f too
  const noPads = addConst(g, `${x.name}/space_to_batch_no_paddings`, [spatial, 2], new Int32Array(2 * spatial));
  return [
    { type: 'PADV2', inputs: [op.inputs[0], paddings, zero], outputs: [padded], options: {}, sourceIndex: op.sourceIndex },
    { ...op, inputs: [padded, op.inputs[1], noPads] },
  ];
}
