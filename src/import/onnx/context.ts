// Importer state: IR tensors by ONNX name, each with its ONNX (NCHW) shape, and the one
// place where layout changes: 4-D activations live in NHWC; an op that reads memory
// order (Flatten, Reshape, Transpose, ...) first gets the NCHW order back, through an
// alias when the move is trivial (H = W = 1 or C = 1), a TRANSPOSE otherwise.

import { ConvertError, DTypeName, Graph, MAX_ELEMENTS, MAX_TENSORS, Op, Tensor, TensorData } from '../../ir/graph.js';
import { AttrValue, NodeProto, TensorProto, attributes, num, tensorValue } from './proto.js';

export const NCHW_TO_NHWC = [0, 2, 3, 1];
export const NHWC_TO_NCHW = [0, 3, 1, 2];

export class ImportContext {
  readonly tensors: Tensor[] = [];
  readonly ops: Op[] = [];
  readonly byName = new Map<string, number>();
  /** ONNX shape of each tensor (NCHW for 4-D activations). */
  readonly onnxShape = new Map<number, number[]>();
  /** Tensors stored NHWC (4-D activations). */
  readonly nhwc = new Set<number>();
  node!: NodeProto;
  nodeIndex = -1;
  attrs = new Map<string, AttrValue>();
  /** Default-domain opset of the model (defaults of Softmax, Squeeze, ... depend on it). */
  opset = 13;
  /** QuantizeLinear outputs waiting for their DequantizeLinear: marker -> float input. */
  readonly pendingQuant = new Map<number, number>();

  constructor(readonly source: string) {}

  fail(msg: string): never {
    const where = this.nodeIndex >= 0 ? `node ${this.nodeIndex} "${this.node.name ?? ''}" (${this.node.opType})` : 'graph';
    throw new ConvertError(`${this.source}: ${where}: ${msg}`);
  }

  begin(node: NodeProto, index: number): void {
    this.node = node;
    this.nodeIndex = index;
    this.attrs = attributes(node);
  }

  attr<T extends AttrValue>(name: string, def: T): T {
    const v = this.attrs.get(name);
    return (v === undefined ? def : v) as T;
  }

  addTensor(t: Tensor, onnxShape: number[], nhwc = false): number {
    // Every tensor the importer makes: whole non-negative dims, at most MAX_ELEMENTS elements
    // (sizes stay exact in 32 bits), at most MAX_TENSORS tensors.
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) this.fail(`tensor "${t.name}" has shape ${JSON.stringify(t.shape)}; dims must be whole numbers >= 0`);
    const count = t.shape.reduce((a, d) => a * d, 1);
    if (count > MAX_ELEMENTS) this.fail(`tensor "${t.name}" shape ${JSON.stringify(onnxShape)} has ${count} elements, above the limit of ${MAX_ELEMENTS}`);
    if (this.tensors.length >= MAX_TENSORS) this.fail(`more than ${MAX_TENSORS} tensors, the most an .epk holds`);
    this.tensors.push(t);
    const i = this.tensors.length - 1;
    this.onnxShape.set(i, onnxShape);
    if (nhwc) this.nhwc.add(i);
    return i;
  }

  addConst(name: string, dtype: DTypeName, shape: number[], data: TensorData): number {
    return this.addTensor({ name, shape, dtype, data }, shape);
  }

  /** The tensor of ONNX input k; -1 for an absent optional input. */
  input(k: number): number {
    const name = this.node.input?.[k];
    if (!name) return -1;
    const i = this.byName.get(name);
    if (i === undefined) this.fail(`input "${name}" is not produced by any earlier node, initializer or graph input`);
    return i;
  }

  required(k: number, what: string): number {
    const i = this.input(k);
    if (i < 0) this.fail(`missing ${what} (input ${k})`);
    return i;
  }

  shapeOf(i: number): number[] { return this.onnxShape.get(i)!; }
  tensor(i: number): Tensor { return this.tensors[i]; }
  isConst(i: number): boolean { return i >= 0 && this.tensors[i].data !== undefined; }

  constFloats(i: number, what: string): Float32Array {
    const t = this.tensors[i];
    if (!t.data) this.fail(`${what} "${t.name}" must be a constant`);
    return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number);
  }

  constInts(i: number, what: string): number[] {
    const t = this.tensors[i];
    if (!t.data) this.fail(`${what} "${t.name}" must be a constant`);
    return Array.from(t.data as ArrayLike<number | bigint>, Number);
  }

  /** The output tensor of ONNX output k, declared with its ONNX shape. */
  output(k: number, onnxShape: number[], dtype: DTypeName = 'float32'): number {
    const name = this.node.output?.[k];
    if (!name) this.fail(`missing output ${k}`);
    const nhwc = onnxShape.length === 4;
    const shape = nhwc ? NCHW_TO_NHWC.map((p) => onnxShape[p]) : [...onnxShape];
    const i = this.addTensor({ name, shape, dtype }, onnxShape, nhwc);
    this.byName.set(name, i);
    return i;
  }

  /** Binds ONNX output k to an existing tensor (ops that change nothing). */
  bind(k: number, t: number): void {
    this.byName.set(this.node.output![k], t);
  }

  emit(type: string, inputs: number[], outputs: number[], options: Record<string, unknown> = {}): void {
    this.ops.push({ type, inputs, outputs, options, sourceIndex: this.nodeIndex });
  }

  temp(suffix: string, shape: number[], onnxShape: number[], nhwc: boolean): number {
    return this.addTensor({ name: `${this.node.output?.[0] ?? 'node' + this.nodeIndex}/${suffix}`, shape, dtype: 'float32' }, onnxShape, nhwc);
  }

  /** A tensor holding `t`'s values in ONNX (NCHW) memory order. */
  nchwOrder(t: number): number {
    if (!this.nhwc.has(t)) return t;
    const s = this.shapeOf(t);
    if (this.isConst(t)) return this.addConst(`${this.tensors[t].name}/nchw`, this.tensors[t].dtype, s, permute(this.tensors[t].data!, this.tensors[t].shape, NHWC_TO_NCHW));
    const y = this.temp('nchw', [...s], s, false);
    this.move(t, y, NHWC_TO_NCHW, this.tensors[t].shape);
    return y;
  }

  /** Writes a 4-D tensor given in NCHW memory order into a new NHWC tensor. */
  toNhwc(t: number, suffix = 'nhwc'): number {
    const s = this.shapeOf(t);
    const y = this.temp(suffix, NCHW_TO_NHWC.map((p) => s[p]), s, true);
    this.move(t, y, NCHW_TO_NHWC, s);
    return y;
  }

  move(x: number, y: number, perm: number[], fromShape: number[]): void {
    if (isOrderKept(perm, fromShape)) this.emit('RESHAPE', [x], [y]);
    else this.emit('TRANSPOSE', [x, this.addConst(`${this.tensors[y].name}/perm`, 'int32', [4], Int32Array.from(perm))], [y]);
  }

  tensorValue(t: TensorProto) {
    return tensorValue(t, `${this.source}: node ${this.nodeIndex}`);
  }

  graph(inputs: number[], outputs: number[]): Graph {
    return { tensors: this.tensors, ops: this.ops, inputs, outputs, source: this.source };
  }
}

/** True when permuting `shape` by `perm` moves no byte: the non-unit axes keep their order. */
function isOrderKept(perm: number[], shape: number[]): boolean {
  const order = perm.filter((p) => shape[p] !== 1);
  return order.every((p, i) => i === 0 || p > order[i - 1]);
}

/** Data of a constant with shape `shape` permuted by `perm` (rank 4). */
export function permute(data: TensorData, shape: number[], perm: number[]): TensorData {
  const out = new (data.constructor as new (n: number) => TensorData)(data.length);
  const ys = perm.map((p) => shape[p]);
  const sx = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  let o = 0;
  for (let a = 0; a < ys[0]; a++) for (let b = 0; b < ys[1]; b++) for (let c = 0; c < ys[2]; c++) for (let d = 0; d < ys[3]; d++) {
    const idx = [a, b, c, d];
    let src = 0;
    for (let k = 0; k < 4; k++) src += idx[k] * sx[perm[k]];
    (out as Float32Array)[o++] = (data as Float32Array)[src];
  }
  return out;
}

export { num, tensorValue };
