// Builds ONNX models in code (tests and demos use only models the project makes):
// float32 initializers, nodes with INT/INTS/FLOAT/FLOATS/STRING attributes, one graph,
// opset 13. Plus two reference architectures: a MobileNet-style and a ResNet-style net
// with seeded random weights.

import { mulberry32 } from '../float/calibrate.js';
import onnxProto from 'onnx-proto';
import { onnx } from '../import/onnx/proto.js';


export type Attr = number | number[] | string | { float: number } | { floats: number[] };

export class OnnxBuilder {
  private nodes: onnxProto.onnx.INodeProto[] = [];
  private inits: onnxProto.onnx.ITensorProto[] = [];
  private inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(readonly opset = 13) {}

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, shape: number[]): string {
    this.inputs.push(valueInfo(name, shape));
    return name;
  }

  output(name: string, shape: number[] = []): void {
    this.outputs.push(valueInfo(name, shape));
  }

  /** A float32 initializer. */
  init(shape: number[], values: ArrayLike<number>, name = this.fresh('w')): string {
    this.inits.push({ name, dims: shape, dataType: 1, rawData: new Uint8Array(Float32Array.from(values).buffer) });
    return name;
  }

  /** An int64 initializer (shapes, axes, pads). */
  ints(values: number[], name = this.fresh('i')): string {
    this.inits.push({ name, dims: [values.length], dataType: 7, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
    return name;
  }

  /** A raw initializer of any ONNX data type (int8 weights of QDQ models, ...). */
  rawInit(shape: number[], dataType: number, bytes: Uint8Array, name = this.fresh('q')): string {
    this.inits.push({ name, dims: shape, dataType, rawData: bytes });
    return name;
  }

  node(opType: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs = 1): string {
    const outs = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({ opType, name: `${opType}_${this.nodes.length}`, input: inputs, output: outs, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return outs[0];
  }

  build(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'edgepack-tests',
      opsetImport: [{ domain: '', version: this.opset }],
      graph: { name: 'g', node: this.nodes, initializer: this.inits, input: this.inputs, output: this.outputs },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, shape: number[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType: 1, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } };
}

function attribute(name: string, v: Attr): onnxProto.onnx.IAttributeProto {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
  if ('float' in v) return { name, type: 1, f: v.float };
  return { name, type: 6, floats: v.floats };
}

/** Layer helpers with seeded He-style random weights. */
export class NetBuilder extends OnnxBuilder {
  readonly rand: () => number;

  constructor(seed = 1) {
    super(13);
    this.rand = mulberry32(seed);
  }

  randn(n: number, std: number): Float32Array {
    return Float32Array.from({ length: n }, () => {
      const u = Math.max(1e-9, this.rand()), v = this.rand();
      return std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    });
  }

  conv(x: string, cin: number, cout: number, k: number | [number, number], opts: { stride?: number; group?: number; bias?: boolean } = {}): string {
    const [kh, kw] = Array.isArray(k) ? k : [k, k];
    const group = opts.group ?? 1, stride = opts.stride ?? 1;
    const fanIn = (cin / group) * kh * kw;
    const w = this.init([cout, cin / group, kh, kw], this.randn(cout * (cin / group) * kh * kw, Math.sqrt(2 / fanIn)));
    const ins = [x, w];
    if (opts.bias !== false) ins.push(this.init([cout], this.randn(cout, 0.1)));
    const ph = (kh - 1) >> 1, pw = (kw - 1) >> 1;
    return this.node('Conv', ins, { kernel_shape: [kh, kw], strides: [stride, stride], pads: [ph, pw, kh - 1 - ph, kw - 1 - pw], group });
  }

  batchNorm(x: string, c: number): string {
    const scale = this.init([c], Float32Array.from({ length: c }, () => 0.5 + this.rand()));
    const bias = this.init([c], this.randn(c, 0.2));
    const mean = this.init([c], this.randn(c, 0.3));
    const variance = this.init([c], Float32Array.from({ length: c }, () => 0.5 + this.rand()));
    return this.node('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: { float: 1e-5 } });
  }

  relu6(x: string): string {
    return this.node('Clip', [x, this.init([], [0]), this.init([], [6])]);
  }

  dense(x: string, cin: number, cout: number): string {
    // std 3/sqrt(cin): logits spread over several units, as a trained classifier's do.
    return this.node('Gemm', [x, this.init([cout, cin], this.randn(cout * cin, 3 / Math.sqrt(cin))), this.init([cout], this.randn(cout, 0.1))], { transB: 1 });
  }
}

/** MobileNet-style: conv-BN-ReLU6 stem, depthwise separable blocks (dw-BN-ReLU6-pw-BN-ReLU6), global pool, FC, softmax. */
export function mobileNetStyle(seed = 1, size = 16, classes = 10): Uint8Array {
  const b = new NetBuilder(seed);
  let x = b.input('image', [1, 3, size, size]);
  x = b.relu6(b.batchNorm(b.conv(x, 3, 8, 3, { stride: 2, bias: false }), 8));
  const blocks: [number, number, number][] = [[8, 16, 1], [16, 32, 2], [32, 32, 1]];
  for (const [cin, cout, stride] of blocks) {
    x = b.relu6(b.batchNorm(b.conv(x, cin, cin, 3, { stride, group: cin, bias: false }), cin));
    x = b.relu6(b.batchNorm(b.conv(x, cin, cout, 1, { bias: false }), cout));
  }
  x = b.node('GlobalAveragePool', [x]);
  x = b.node('Flatten', [x]);
  x = b.node('Dropout', [x]);
  x = b.node('Softmax', [b.dense(x, 32, classes)], { axis: -1 });
  b.output(x, [1, classes]);
  return b.build();
}

/** ResNet-style: stem, two residual blocks (identity and 1x1-projected shortcut), max pool, global pool, FC. */
export function resNetStyle(seed = 2, size = 16, classes = 10): Uint8Array {
  const b = new NetBuilder(seed);
  let x = b.input('image', [1, 3, size, size]);
  x = b.node('Relu', [b.batchNorm(b.conv(x, 3, 16, 3), 16)]);
  x = b.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
  const block = (x: string, cin: number, cout: number, stride: number): string => {
    let y = b.node('Relu', [b.batchNorm(b.conv(x, cin, cout, 3, { stride }), cout)]);
    y = b.batchNorm(b.conv(y, cout, cout, 3), cout);
    const shortcut = cin === cout && stride === 1 ? x : b.batchNorm(b.conv(x, cin, cout, 1, { stride }), cout);
    return b.node('Relu', [b.node('Add', [y, shortcut])]);
  };
  x = block(x, 16, 16, 1);
  x = block(x, 16, 32, 2);
  x = b.node('GlobalAveragePool', [x]);
  x = b.node('Flatten', [x]);
  x = b.dense(x, 32, classes);
  b.output(x, [1, classes]);
  return b.build();
}
