// ONNX (protobuf) -> IR. Reads the main graph: initializers become constants, graph
// inputs get their declared shapes (symbolic dims -> 1), nodes are lowered one by one
// by ops.ts. 4-D activations become NHWC here, once; the model's 4-D inputs and
// outputs are NHWC too. Unsupported ops are named with their node index and name.

import { ConvertError, Graph, MAX_OPS } from '../../ir/graph.js';
import { ImportContext, NCHW_TO_NHWC } from './context.js';
import { HANDLERS as BASE_HANDLERS } from './ops.js';
import { MORE_HANDLERS } from './ops-more.js';

const HANDLERS = { ...BASE_HANDLERS, ...MORE_HANDLERS };
import { decodeModel, num, tensorValue } from './proto.js';
import { Bytes, toBytes } from '../../io/bytes.js';

export const SUPPORTED_ONNX_OPS = Object.keys(HANDLERS);

/** ONNX models start with field 1 (ir_version, varint): byte 0x08; TFLite says "TFL3" at offset 4. */
export function isOnnx(input: Bytes): boolean {
  const bytes = toBytes(input);
  if (bytes.length < 8 || bytes[0] !== 0x08) return false;
  return new TextDecoder().decode(bytes.subarray(4, 8)) !== 'TFL3';
}

export function importOnnx(input: Bytes, name = 'model.onnx'): Graph {
  const bytes = toBytes(input, 'model bytes');
  const model = decodeModel(bytes, name);
  const g = model.graph;
  if (!g) throw new ConvertError(`${name}: ONNX model has no graph`);
  const c = new ImportContext(name);
  c.opset = num(model.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version) || 13;
  for (const init of g.initializer ?? []) {
    const v = tensorValue(init, name);
    c.byName.set(init.name!, c.addConst(init.name!, v.dtype, v.shape, v.data));
  }
  const inputs: number[] = [];
  for (const vi of g.input ?? []) {
    if (c.byName.has(vi.name!)) continue; // an initializer listed as an input (older exporters)
    const tt = vi.type?.tensorType;
    if (!tt) throw new ConvertError(`${name}: graph input "${vi.name}" is not a tensor`);
    if (tt.elemType !== 1) throw new ConvertError(`${name}: graph input "${vi.name}" has element type ${tt.elemType}; float32 inputs only`);
    const shape = (tt.shape?.dim ?? []).map((d) => (d.dimValue != null && num(d.dimValue) > 0 ? num(d.dimValue) : 1));
    const nhwc = shape.length === 4;
    const t = c.addTensor({ name: vi.name!, shape: nhwc ? NCHW_TO_NHWC.map((p) => shape[p]) : shape, dtype: 'float32' }, shape, nhwc);
    c.byName.set(vi.name!, t);
    inputs.push(t);
  }
  if ((g.node?.length ?? 0) > MAX_OPS) throw new ConvertError(`${name}: ${g.node!.length} nodes, above the limit of ${MAX_OPS}`);
  if ((g.output?.length ?? 0) === 0) throw new ConvertError(`${name}: the graph has no outputs`);
  (g.node ?? []).forEach((node, i) => {
    c.begin(node, i);
    if (node.domain && node.domain !== 'ai.onnx') c.fail(`operator domain "${node.domain}" is not supported`);
    const handler = HANDLERS[node.opType ?? ''];
    if (!handler) c.fail(`op ${node.opType} is not supported; supported ONNX ops: ${SUPPORTED_ONNX_OPS.join(', ')}`);
    handler(c);
  });
  const outputs = (g.output ?? []).map((o) => {
    const t = c.byName.get(o.name!);
    if (t === undefined) throw new ConvertError(`${name}: graph output "${o.name}" is never produced`);
    return t;
  });
  return c.graph(inputs, outputs);
}
