// Shared checks and helpers for the prepare step: each op's validation errors name
// the model, the op index, the op type and the tensor.

import { ConvertError, Graph, Op, Tensor } from '../../ir/graph.js';

export class PrepareContext {
  constructor(readonly g: Graph, readonly op: Op) {}

  fail(msg: string): never {
    throw new ConvertError(`${this.g.source}: op ${this.op.sourceIndex} (${this.op.type}): ${msg}`);
  }

  tensor(i: number): Tensor {
    return this.g.tensors[i];
  }

  input(k: number, what: string): Tensor {
    const i = this.op.inputs[k];
    if (i === undefined || i < 0) this.fail(`missing ${what} (input ${k})`);
    return this.g.tensors[i];
  }

  optionalInput(k: number): Tensor | null {
    const i = this.op.inputs[k];
    return i === undefined || i < 0 ? null : this.g.tensors[i];
  }

  output(k = 0): Tensor {
    const i = this.op.outputs[k];
    if (i === undefined) this.fail(`missing output ${k}`);
    return this.g.tensors[i];
  }

  expectCounts(minIn: number, maxIn: number, outs = 1): void {
    const n = this.op.inputs.length;
    if (n < minIn || n > maxIn) this.fail(`expects ${minIn === maxIn ? minIn : `${minIn}-${maxIn}`} inputs, has ${n}`);
    if (this.op.outputs.length !== outs) this.fail(`expects ${outs} output(s), has ${this.op.outputs.length}`);
  }

  expectDtype(t: Tensor, dtypes: string[], role: string): void {
    if (!dtypes.includes(t.dtype)) this.fail(`${role} "${t.name}" is ${t.dtype}; supported: ${dtypes.join(', ')}`);
  }

  expectRank(t: Tensor, rank: number, role: string): void {
    if (t.shape.length !== rank) this.fail(`${role} "${t.name}" has shape ${JSON.stringify(t.shape)}, expected rank ${rank}`);
  }

  expectConst(t: Tensor, role: string): void {
    if (!t.data) this.fail(`${role} "${t.name}" must be a constant`);
  }

  /** Per-tensor quantization of an activation: scale and zero point. */
  quant(t: Tensor, role: string): { scale: number; zeroPoint: number } {
    if (!t.quant || t.quant.scale.length === 0) this.fail(`${role} "${t.name}" has no quantization parameters`);
    if (t.quant.scale.length !== 1) this.fail(`${role} "${t.name}" is quantized per channel; per-tensor expected`);
    return { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] ?? 0 };
  }

  /** Integer values of a constant int32/int64 tensor (axes, paddings, permutations). */
  intValues(t: Tensor, role: string): number[] {
    this.expectConst(t, role);
    if (t.data instanceof Int32Array) return Array.from(t.data);
    if (t.data instanceof BigInt64Array) return Array.from(t.data, Number);
    return this.fail(`${role} "${t.name}" must be int32 or int64, is ${t.dtype}`);
  }

  /** Adds a constant int32 tensor to the graph and returns its index. */
  addConstI32(name: string, values: number[]): number {
    this.g.tensors.push({ name, shape: [values.length], dtype: 'int32', data: Int32Array.from(values) });
    return this.g.tensors.length - 1;
  }

  sameShape(a: Tensor, b: Tensor): boolean {
    return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
  }
}

/** Shape right-aligned to rank 4 with leading ones. */
export function shape4(shape: number[]): number[] {
  return [...new Array(4 - shape.length).fill(1), ...shape];
}
