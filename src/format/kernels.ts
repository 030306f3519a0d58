// The runtime's kernel variants: one row each, the one list both halves read. The converter
// side (inspect, the firmware build) classifies a model's ops with kernelOf and states the
// set as a bit mask (bit = row index); the runtime side reads the same rows from
// assembly/kernel-table.ts, GENERATED from this table by tools/gen-kernel-table.ts (a test
// checks it is current). A firmware built for one model compiles the runtime with
// `asc --use EP_KERNELS=<mask>`: runOp (assembly/interpreter.ts) and assembly/packed.ts
// guard each kernel call with its bit, so kernels outside the mask and their static data
// are never compiled; validateOps refuses, naming op and kernel, a model that needs one.
// This is the seed of the runtime's dispatch table (issue 10): a new variant is a new row.

import { Epk, EpkOp, EpkTensor } from './reader.js';
import { DType, OP_PACKED_PARAM_COUNT, OpCode } from './constants.js';

export interface KernelVariant {
  /** Constant name stem on the AssemblyScript side: K_<NAME>. */
  name: string;
  /** Opcodes this variant runs. */
  ops: OpCode[];
  /** The kernel function(s) it links (assembly/kernels/). */
  kernel: string;
  /** When an op takes this variant. */
  when: string;
}

export const KERNEL_VARIANTS: readonly KernelVariant[] = [
  { name: 'CONV_BLOCKED', ops: [OpCode.Conv2D], kernel: 'conv_s8', when: 'blocked weight layout [oc4, K8] with a requant table (params + [layout, kh, kw])' },
  { name: 'CONV_REF', ops: [OpCode.Conv2D], kernel: 'conv_s8_ref', when: 'plain [oc, kh, kw, ic/groups] int8 filter' },
  { name: 'DWCONV_BLOCKED', ops: [OpCode.DepthwiseConv2D], kernel: 'dwconv_s8', when: 'blocked layout (params + [layout]) with a requant table' },
  { name: 'DWCONV_REF', ops: [OpCode.DepthwiseConv2D], kernel: 'dwconv_s8_ref', when: 'plain [1, kh, kw, oc] int8 filter' },
  { name: 'FC_BLOCKED', ops: [OpCode.FullyConnected], kernel: 'fc_s8', when: 'blocked layout [oc4, K8] (params + [layout, depth]) with a requant table' },
  { name: 'FC_REF', ops: [OpCode.FullyConnected], kernel: 'fc_s8_ref', when: 'plain [oc, depth] int8 filter' },
  { name: 'CONV_CODEBOOK', ops: [OpCode.Conv2D], kernel: 'conv_s8_lut', when: 'filter stored as codebook indices (no Huffman)' },
  { name: 'DWCONV_CODEBOOK', ops: [OpCode.DepthwiseConv2D], kernel: 'dwconv_s8_lut', when: 'filter stored as codebook indices (no Huffman)' },
  { name: 'FC_CODEBOOK', ops: [OpCode.FullyConnected], kernel: 'fc_s8_lut', when: 'filter stored as codebook indices (no Huffman)' },
  { name: 'CONV_HUFFMAN', ops: [OpCode.Conv2D], kernel: 'conv_s8_rows + huff_decode', when: 'Huffman-coded filter (int8 or codebook indices), decoded tile by tile' },
  { name: 'DWCONV_HUFFMAN', ops: [OpCode.DepthwiseConv2D], kernel: 'dwconv_s8_rows + huff_decode', when: 'Huffman-coded filter, decoded tile by tile' },
  { name: 'FC_HUFFMAN', ops: [OpCode.FullyConnected], kernel: 'fc_s8_rows + huff_decode', when: 'Huffman-coded filter, decoded tile by tile' },
  { name: 'POOL', ops: [OpCode.AveragePool2D, OpCode.MaxPool2D], kernel: 'pool_s8', when: 'average or max pooling' },
  { name: 'ADD_SAME', ops: [OpCode.Add], kernel: 'add_s8', when: 'both inputs have the output\'s element count (no broadcast)' },
  { name: 'ADD_BROADCAST', ops: [OpCode.Add], kernel: 'add_s8_ref', when: 'an input broadcasts; every ADD in a build without ADD_SAME' },
  { name: 'MUL', ops: [OpCode.Mul], kernel: 'mul_s8_ref', when: 'always (broadcasting)' },
  { name: 'SOFTMAX', ops: [OpCode.Softmax], kernel: 'softmax_s8', when: 'always' },
  { name: 'PAD', ops: [OpCode.Pad], kernel: 'pad_s8 + pad_x16', when: 'always (int16: pad_x16)' },
  { name: 'MEAN', ops: [OpCode.Mean], kernel: 'mean_s8', when: 'always' },
  { name: 'TRANSPOSE', ops: [OpCode.Transpose], kernel: 'transpose_s8 + transpose_x16', when: 'always (int16: transpose_x16)' },
  { name: 'CONCAT', ops: [OpCode.Concatenation], kernel: 'concat_copy', when: 'always' },
  { name: 'REQUANTIZE', ops: [OpCode.Requantize], kernel: 'requantize_s8', when: 'always' },
  { name: 'QUANTIZE', ops: [OpCode.Quantize], kernel: 'quantize_f32_s8', when: 'always' },
  { name: 'DEQUANTIZE', ops: [OpCode.Dequantize], kernel: 'dequantize_s8_f32', when: 'always' },
  { name: 'LUT', ops: [OpCode.Lut], kernel: 'lut_s8', when: 'activation as a 256-entry int8 table' },
  { name: 'SUB', ops: [OpCode.Sub], kernel: 'sub_s8_ref', when: 'always (broadcasting)' },
  { name: 'LEAKY_RELU', ops: [OpCode.LeakyRelu], kernel: 'leaky_relu_s8 + leaky_relu_s16', when: 'always (int16: leaky_relu_s16)' },
  { name: 'STRIDED_SLICE', ops: [OpCode.StridedSlice], kernel: 'strided_slice_s8 + strided_slice_x16', when: 'always (int16: strided_slice_x16)' },
  { name: 'TRANSPOSE_CONV', ops: [OpCode.TransposeConv], kernel: 'transpose_conv_s8_ref', when: 'plain [oc, kh, kw, ic] int8 filter' },
  { name: 'MAXIMUM_MINIMUM', ops: [OpCode.Maximum, OpCode.Minimum], kernel: 'max_min_s8', when: 'always (broadcasting)' },
  { name: 'SVDF', ops: [OpCode.Svdf], kernel: 'svdf_s8_s16', when: 'int8 input, int16 time weights and state' },
  // group f32: float32 ops, chosen by the output's dtype (float32Variant below)
  { name: 'CONV_F32', ops: [OpCode.Conv2D, OpCode.DepthwiseConv2D, OpCode.TransposeConv], kernel: 'conv_f32 + dwconv_f32 + transpose_conv_f32', when: 'float32 output' },
  { name: 'FC_F32', ops: [OpCode.FullyConnected], kernel: 'fc_f32', when: 'float32 output' },
  { name: 'ELEMENTWISE_F32', ops: [OpCode.Add, OpCode.Sub, OpCode.Mul, OpCode.Maximum, OpCode.Minimum, OpCode.LeakyRelu, OpCode.Activation], kernel: 'binary_f32 + binary_same_f32 + activation_f32 + leaky_relu_f32', when: 'float32 output' },
  { name: 'OTHER_F32', ops: [OpCode.AveragePool2D, OpCode.MaxPool2D, OpCode.Softmax, OpCode.Mean, OpCode.Pad, OpCode.Transpose, OpCode.StridedSlice], kernel: 'pool_f32 + softmax_f32 + mean_f32 + pad_x32 + transpose_x32 + strided_slice_x32', when: 'float32 output (CONCATENATION copies bytes: CONCAT)' },
  // group b (issue 10, int8 arithmetic)
  { name: 'PRELU', ops: [OpCode.Prelu], kernel: 'prelu_s8', when: 'always (broadcasting alpha)' },
  { name: 'SQUARED_DIFFERENCE', ops: [OpCode.SquaredDifference], kernel: 'squared_difference_s8', when: 'always (broadcasting)' },
  { name: 'DIV', ops: [OpCode.Div], kernel: 'div_s8', when: 'always (broadcasting)' },
  { name: 'L2_NORMALIZATION', ops: [OpCode.L2Normalization], kernel: 'l2norm_s8', when: 'always (last axis)' },
  { name: 'LSTM', ops: [OpCode.UnidirectionalSequenceLstm], kernel: 'lstm_s8_s16', when: 'int8 input, weights and hidden state, int16 cell state' },
  // group a (issue 10)
  { name: 'TABLE_COPY', ops: [OpCode.TableCopy], kernel: 'table_copy_s8', when: 'always (offset tables per view axis, computed offline)' },
  { name: 'RESIZE_BILINEAR', ops: [OpCode.ResizeBilinear], kernel: 'resize_bilinear_s8', when: 'always' },
  { name: 'ARG_MAX_MIN', ops: [OpCode.ArgMax, OpCode.ArgMin], kernel: 'arg_max_min_s8', when: 'always (int32 output)' },
  { name: 'REDUCE_MAX', ops: [OpCode.ReduceMax], kernel: 'reduce_max_s8', when: 'always' },
  { name: 'GATHER', ops: [OpCode.Gather], kernel: 'gather_s8', when: 'indices read at run time (a model input or batch_dims over a batch)' },
  // int16 (16x8): int16 activations, int8 weights; chosen by the input's dtype (int16VariantOf)
  { name: 'FC_S16', ops: [OpCode.FullyConnected], kernel: 'fc_s16', when: 'int16 input and output, int8 weights, int64 or int32 bias' },
  { name: 'CONV_S16', ops: [OpCode.Conv2D, OpCode.DepthwiseConv2D, OpCode.TransposeConv], kernel: 'conv_s16 + dwconv_s16 + transpose_conv_s16', when: 'int16 input and output, plain int8 filter, int64 (conv: or int32) bias' },
  { name: 'ELEMENTWISE_S16', ops: [OpCode.Add, OpCode.Sub, OpCode.Mul], kernel: 'binary_s16', when: 'int16 inputs and output (broadcasting)' },
  { name: 'QUANT_S16', ops: [OpCode.Quantize, OpCode.Dequantize, OpCode.Requantize], kernel: 'requantize_s16 + quantize_f32_s16 + dequantize_s16_f32', when: 'an int16 side: float32 <-> int16, int8/int16 -> int8/int16' },
  // group c (issue 10): appended, so earlier rows keep their indices
  { name: 'LOG_SOFTMAX', ops: [OpCode.LogSoftmax], kernel: 'log_softmax_s8', when: 'always (last axis)' },
  // LSTM typed variants (issue 10): chosen by dtype (float32Variant, int16VariantOf)
  { name: 'LSTM_F32', ops: [OpCode.UnidirectionalSequenceLstm], kernel: 'lstm_f32', when: 'float32 input, weights, biases, states and output' },
  { name: 'LSTM_S16', ops: [OpCode.UnidirectionalSequenceLstm], kernel: 'lstm_s16', when: 'int16 input, output and hidden state, int8 weights, int64 biases, int16 cell state' },
  // float32 forms of groups a, b, c (chosen by dtype: float32Variant; ARG_MAX/ARG_MIN by their float32 input)
  { name: 'MISC_F32', ops: [OpCode.ResizeBilinear, OpCode.ArgMax, OpCode.ArgMin, OpCode.ReduceMax, OpCode.Prelu, OpCode.SquaredDifference, OpCode.Div, OpCode.L2Normalization, OpCode.LogSoftmax], kernel: 'resize_bilinear_f32 + arg_max_min_f32 + reduce_max_f32 + binary_b_f32 + l2norm_f32 + log_softmax_f32', when: 'float32 output (ARG_MAX/ARG_MIN: float32 input)' },
  { name: 'MOVE_F32', ops: [OpCode.TableCopy, OpCode.Gather], kernel: 'table_copy_x32 + gather_x32', when: 'float32 output' },
  // branch svdf16: float32 SVDF (chosen by the output's dtype, as the other _F32 rows) and int16 others
  { name: 'SVDF_F32', ops: [OpCode.Svdf], kernel: 'svdf_f32', when: 'float32 input, weights, state and output' },
  { name: 'OTHER_S16', ops: [OpCode.Softmax, OpCode.AveragePool2D, OpCode.MaxPool2D, OpCode.Mean], kernel: 'softmax_s16 + pool_s16 + mean_s16', when: 'int16 input and output' },
];

/** Bit of a variant by name. */
export function kernelBit(name: string): number {
  const i = KERNEL_VARIANTS.findIndex((k) => k.name === name);
  if (i < 0) throw new Error(`no kernel variant ${name}`);
  return i;
}

/** Most variants a mask can hold: the runtime reads the mask as MASK_WORDS u32 words. */
export const MASK_WORDS = 3;
export const MAX_KERNEL_VARIANTS = 32 * MASK_WORDS;
if (KERNEL_VARIANTS.length > MAX_KERNEL_VARIANTS) throw new Error(`KERNEL_VARIANTS has ${KERNEL_VARIANTS.length} rows; a mask holds ${MAX_KERNEL_VARIANTS}`);

/** The asc constant holding word w of the mask: EP_KERNELS (bits 0-31), EP_KERNELS_HI (32-63), EP_KERNELS_W2 (64-95). */
export function maskWordName(w: number): string {
  return w === 0 ? 'EP_KERNELS' : w === 1 ? 'EP_KERNELS_HI' : `EP_KERNELS_W${w}`;
}

/** Every variant: the mask of the default build (bit i = KERNEL_VARIANTS[i]). */
export const ALL_KERNELS: bigint = (1n << BigInt(KERNEL_VARIANTS.length)) - 1n;

/** A mask's 32-bit words, as the runtime reads them: `asc --use EP_KERNELS=<w0> --use EP_KERNELS_HI=<w1> --use EP_KERNELS_W2=<w2>`. */
export function maskWords(mask: bigint): number[] {
  if (mask < 0n || mask >> BigInt(32 * MASK_WORDS) !== 0n) throw new Error(`kernel mask 0x${mask.toString(16)} does not fit ${MASK_WORDS} words`);
  return Array.from({ length: MASK_WORDS }, (_, w) => Number((mask >> BigInt(32 * w)) & 0xffffffffn));
}

/** The asc flags that compile a runtime for exactly `mask`. */
export function maskFlags(mask: bigint): string[] {
  return maskWords(mask).flatMap((word, w) => ['--use', `${maskWordName(w)}=${word}`]);
}

/** Whether bit `bit` is set in mask. */
export function maskHas(mask: bigint, bit: number): boolean {
  return ((mask >> BigInt(bit)) & 1n) === 1n;
}

/** Elements of a tensor; -1 for an absent one (the reader refuses such an ADD, so this is only a guard). */
const elements = (t: EpkTensor | undefined) => (t ? t.shape.reduce((a, d) => a * d, 1) : -1);

/**
 * The variant that runs op `op`, decided exactly as assembly/kernel-table.ts kernelOf does
 * (test/kernel-table.test.ts compares the two on every op of the shared models).
 */
export function kernelOf(op: EpkOp, tensors: EpkTensor[]): number {
  const f32 = float32Variant(op, tensors);
  if (f32 !== undefined) return f32;
  const s16 = int16VariantOf(op, tensors);
  if (s16 >= 0) return s16;
  const stem = op.opcode === OpCode.Conv2D ? 'CONV' : op.opcode === OpCode.DepthwiseConv2D ? 'DWCONV' : op.opcode === OpCode.FullyConnected ? 'FC' : '';
  if (stem) {
    const w = tensors[op.inputs[1]];
    if (w?.packed) return kernelBit(`${stem}_${w.packed.huffman ? 'HUFFMAN' : 'CODEBOOK'}`);
    return kernelBit(`${stem}_${op.params.length === OP_PACKED_PARAM_COUNT[op.opcode] ? 'BLOCKED' : 'REF'}`);
  }
  if (op.opcode === OpCode.Add) {
    const n = elements(tensors[op.outputs[0]]);
    return kernelBit(elements(tensors[op.inputs[0]]) === n && elements(tensors[op.inputs[1]]) === n ? 'ADD_SAME' : 'ADD_BROADCAST');
  }
  const i = KERNEL_VARIANTS.findIndex((k) => k.ops.includes(op.opcode));
  if (i < 0) throw new Error(`opcode ${op.opcode} has no kernel variant`);
  return i;
}

// --- group f32: dtype-chosen variants -------------------------------------------------
/** Opcodes whose float32 form runs a *_F32 row (QUANTIZE/DEQUANTIZE/CONCATENATION keep theirs). */
const F32_ROWS = ['CONV_F32', 'FC_F32', 'ELEMENTWISE_F32', 'OTHER_F32', 'LSTM_F32', 'MISC_F32', 'MOVE_F32', 'SVDF_F32'];

/** The tensor whose dtype picks a float32 variant: the output, but ARG_MAX/ARG_MIN's input (their output is int32). */
function valueTensor(op: EpkOp, tensors: EpkTensor[]): EpkTensor | undefined {
  const arg = op.opcode === OpCode.ArgMax || op.opcode === OpCode.ArgMin;
  return tensors[arg ? op.inputs[0] : op.outputs[0]];
}

/** The float32 variant of op (its output is float32), or undefined: assembly/dispatch.ts float32Variant. */
export function float32Variant(op: EpkOp, tensors: EpkTensor[]): number | undefined {
  if (valueTensor(op, tensors)?.dtype !== DType.Float32) return undefined;
  const i = KERNEL_VARIANTS.findIndex((k) => F32_ROWS.includes(k.name) && k.ops.includes(op.opcode));
  return i < 0 ? undefined : i;
}

// --- int16 (16x8) variants: an op whose input 0 is int16 runs its _S16 row.
const INT16_VARIANTS: Partial<Record<OpCode, string>> = {
  [OpCode.FullyConnected]: 'FC_S16',
  [OpCode.Conv2D]: 'CONV_S16',
  [OpCode.DepthwiseConv2D]: 'CONV_S16',
  [OpCode.TransposeConv]: 'CONV_S16',
  [OpCode.Add]: 'ELEMENTWISE_S16',
  [OpCode.Sub]: 'ELEMENTWISE_S16',
  [OpCode.Mul]: 'ELEMENTWISE_S16',
  [OpCode.Quantize]: 'QUANT_S16',
  [OpCode.Dequantize]: 'QUANT_S16',
  [OpCode.Requantize]: 'QUANT_S16',
  [OpCode.Concatenation]: 'CONCAT', // byte copies scaled by the element size
  [OpCode.Pad]: 'PAD', // 2-byte walks under the int8 rows (assembly/kernels/wide-shape.ts)
  [OpCode.Transpose]: 'TRANSPOSE',
  [OpCode.StridedSlice]: 'STRIDED_SLICE',
  [OpCode.LeakyRelu]: 'LEAKY_RELU', // leaky_relu_s16 (assembly/kernels/leaky-relu.ts)
  [OpCode.UnidirectionalSequenceLstm]: 'LSTM_S16', // assembly/kernels/lstm-s16.ts
  [OpCode.Softmax]: 'OTHER_S16', // softmax_s16, pool_s16, mean_s16 (assembly/kernels/other-s16.ts)
  [OpCode.AveragePool2D]: 'OTHER_S16',
  [OpCode.MaxPool2D]: 'OTHER_S16',
  [OpCode.Mean]: 'OTHER_S16',
};

/** The int16 variant of op, or -1 when neither its input 0 nor (QUANTIZE, REQUANTIZE) its output is int16, or the op has none (assembly/dispatch.ts int16VariantOf). */
function int16VariantOf(op: EpkOp, tensors: EpkTensor[]): number {
  const name = INT16_VARIANTS[op.opcode];
  if (!name) return -1;
  const outputSide = op.opcode === OpCode.Quantize || op.opcode === OpCode.Requantize;
  if (tensors[op.inputs[0]]?.dtype !== DType.Int16 && !(outputSide && tensors[op.outputs[0]]?.dtype === DType.Int16)) return -1;
  return kernelBit(name);
}

/** The model's kernel set: bit i set when some op runs KERNEL_VARIANTS[i]. */
export function kernelMask(epk: Epk): bigint {
  let mask = 0n;
  for (const op of epk.ops) mask |= 1n << BigInt(kernelOf(op, epk.tensors));
  return mask;
}

export function kernelNames(mask: bigint): string[] {
  return KERNEL_VARIANTS.filter((_, i) => maskHas(mask, i)).map((k) => k.name.toLowerCase());
}

/** assembly/kernel-table.ts, generated from KERNEL_VARIANTS (tools/gen-kernel-table.ts). */
export function kernelTableSource(): string {
  const words = Array.from({ length: MASK_WORDS }, (_, w) => w);
  const setName = (w: number) => (w === 0 ? 'EP_KERNEL_SET' : w === 1 ? 'EP_KERNEL_SET_HI' : `EP_KERNEL_SET_W${w}`);
  const lines = [
    '// GENERATED by tools/gen-kernel-table.ts from src/format/kernels.ts KERNEL_VARIANTS: do not edit.',
    `// One bit per kernel variant, in ${MASK_WORDS} u32 words: bits 0-31 in EP_KERNELS, 32-63 in EP_KERNELS_HI,`,
    '// 64-95 in EP_KERNELS_W2 (asc --use EP_KERNELS=<w0> --use EP_KERNELS_HI=<w1> --use EP_KERNELS_W2=<w2>)',
    '// is the set this build links; without them every variant is in. HAS_<NAME> is a compile-time',
    '// constant, so a branch guarded by it vanishes, with the kernels only it calls, when the bit is clear.',
    '',
    '// @ts-ignore: EP_KERNELS exists only when given with --use',
    'export const EP_KERNEL_SET: u32 = isDefined(EP_KERNELS) ? <u32>EP_KERNELS : 0xffffffff;',
    ...words.slice(1).flatMap((w) => [
      `// @ts-ignore: ${maskWordName(w)} exists only when given with --use`,
      `export const ${setName(w)}: u32 = isDefined(${maskWordName(w)}) ? <u32>${maskWordName(w)} : isDefined(EP_KERNELS) ? 0 : 0xffffffff;`,
    ]),
    '',
    ...KERNEL_VARIANTS.map((k, i) => `export const K_${k.name}: u32 = ${i}; // ${k.kernel}: ${k.when}`),
    `export const KERNEL_VARIANT_COUNT: u32 = ${KERNEL_VARIANTS.length};`,
    '',
    ...KERNEL_VARIANTS.map((k, i) => `export const HAS_${k.name}: bool = (${setName(i >> 5)} & (<u32>1 << ${i % 32})) != 0;`),
    '',
    '/** Word w of the build\'s mask. */',
    'function maskWord(w: u32): u32 {',
    ...words.slice(0, -1).map((w) => `  if (w == ${w}) return ${setName(w)};`),
    `  return ${setName(MASK_WORDS - 1)};`,
    '}',
    '',
    'export function inBuild(k: u32): bool {',
    '  if (k >= KERNEL_VARIANT_COUNT) return false;',
    '  return ((maskWord(k >> 5) >> (k & 31)) & 1) != 0;',
    '}',
    '',
    '',
  ];
  return lines.join('\n');
}
