// overlap-rule: when an op's output may share bytes with the input that dies at it.
// Matches CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D and MAX_POOL_2D over one batch, whose
// every kernel variant walks output pixels in raster order. Emits maxShift, the largest
// O - I (output offset minus input offset) at which no output byte is stored before the
// last read of the input byte it covers. assembly/overlap.ts checks the same formula at load.
//
// The argument (docs/FORMAT.md, "Output over input"): a kernel runs in steps of g output
// pixels (g = 2 for CONV_2D, whose GEMM computes two pixels at once; 1 otherwise), and
// every store of a step lands inside that step's pixels, so the step that starts in output
// row y stores nothing above O + rowOut * (y + 1) + (g - 1) * outC. Every input byte it or
// a later step reads lies at or above I + rowIn * max(0, y * strideH - padTop): rows above
// the window's first are never read, whatever the dilation (padding taps are skipped or
// zero-filled, never loaded). So the output is safe when, for every output row y,
//   O + rowOut * (y + 1) + (g - 1) * outC <= I + rowIn * clamp(y * strideH - padTop, 0, inH)
// (a window wholly below the image reads nothing, so inH rows is a true lower bound there).
// A 1x1 stride-1 unpadded conv reads exactly its own input pixel: each pixel is a "row".
// Bytes the GEMM over-reads past a pixel (K8 - K <= 7) meet zero weights, so what they hold
// never matters.

import { OpCode } from '../format/constants.js';
import { Graph, Op, Tensor, byteSize } from '../ir/graph.js';

/** Output pixels one kernel step computes before it stores (conv_s8's GEMM: 2). */
export function pixelsPerStep(opcode: number): number {
  return opcode === OpCode.Conv2D ? 2 : 1;
}

/** Shapes and geometry the rule reads: NHWC dims of x and y, stride and pad of the rows. */
export interface RowGeometry {
  inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  strideH: number; strideW: number; padTop: number; padLeft: number;
  /** Filter height and width (1x1 convs read only their own pixel). */
  kh: number; kw: number;
  pixelsPerStep: number;
}

/**
 * Largest O - I for which the output may start at O over the input at I (may be negative:
 * the output then starts below the input). Each output row y gives one bound; the least wins.
 */
export function maxOutputShift(geo: RowGeometry): number {
  const pointwise = geo.kh === 1 && geo.kw === 1 && geo.strideH === 1 && geo.strideW === 1
    && geo.padTop === 0 && geo.padLeft === 0 && geo.inW === geo.outW;
  // a pointwise conv's "rows" are single pixels: tighter by (W - 1) * outC bytes
  const rows = pointwise ? geo.outH * geo.outW : geo.outH;
  const rowIn = pointwise ? geo.inC : geo.inW * geo.inC;
  const rowOut = pointwise ? geo.outC : geo.outW * geo.outC;
  const stride = pointwise ? 1 : geo.strideH, pad = pointwise ? 0 : geo.padTop;
  const inH = pointwise ? geo.inH * geo.inW : geo.inH;
  let shift = Infinity;
  for (let y = 0; y < rows; y++) {
    const firstRead = Math.min(Math.max(0, y * stride - pad), inH); // rows past the image: none read
    shift = Math.min(shift, rowIn * firstRead - rowOut * (y + 1));
  }
  return shift - (geo.pixelsPerStep - 1) * geo.outC;
}

/** Ops whose every kernel variant is raster-ordered (see above); FC and the rest are not listed. */
const ROW_OPCODES = new Set<number>([OpCode.Conv2D, OpCode.DepthwiseConv2D, OpCode.AveragePool2D, OpCode.MaxPool2D]);

/**
 * The rule's geometry for op `op` (prepared, with kernel params), or null when its output
 * may not overlap its input 0: another opcode, a batch above 1, or a Huffman-coded filter
 * (decoded in tiles of output channels, each tile re-reading the whole input).
 */
export function overlapGeometry(g: Graph, op: Op): RowGeometry | null {
  const k = op.kernel;
  if (!k || !ROW_OPCODES.has(k.opcode) || op.inputs[0] < 0) return null;
  const x = g.tensors[op.inputs[0]], y = g.tensors[op.outputs[0]];
  if (x.shape.length !== 4 || y.shape.length !== 4 || x.dtype !== 'int8' || y.dtype !== 'int8') return null;
  if (x.shape[0] !== 1 || y.shape[0] !== 1 || byteSize(y) === 0) return null;
  const w = k.opcode === OpCode.Conv2D || k.opcode === OpCode.DepthwiseConv2D ? g.tensors[op.inputs[1]] : undefined;
  if (w?.packed && w.packed.repr.includes('huffman')) return null;
  const p = k.params;
  const [kh, kw] = filterSize(k.opcode, p, w);
  return {
    inH: x.shape[1], inW: x.shape[2], inC: x.shape[3], outH: y.shape[1], outW: y.shape[2], outC: y.shape[3],
    strideH: p[0], strideW: p[1], padTop: p[4], padLeft: p[5], kh, kw, pixelsPerStep: pixelsPerStep(k.opcode),
  };
}

/** Filter height and width: pool params 2-3, a packed-layout conv's params 11-12, else the filter's dims 1-2. */
function filterSize(opcode: number, p: number[], w: Tensor | undefined): [number, number] {
  if (opcode === OpCode.AveragePool2D || opcode === OpCode.MaxPool2D) return [p[2], p[3]];
  if (opcode === OpCode.Conv2D && p.length === CONV_PACKED_PARAMS) return [p[11], p[12]];
  return [w!.shape[1], w!.shape[2]];
}

/** CONV_2D params in the packed weight layout: 10 + [layout, kh, kw] (assembly/ops.ts). */
const CONV_PACKED_PARAMS = 13;
