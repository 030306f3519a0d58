// fuse-pad: matches a PAD of a rank-4 NHWC tensor that pads only H and W with real zero
// (float 0, or an int8 pad value equal to the zero point) and is read only by a CONV_2D
// or DEPTHWISE_CONV_2D. Emits the conv reading the unpadded input with EXPLICIT padding
// (its own padding plus the PAD's). Guarantees: identical values -- the kernels skip
// out-of-bounds taps, which adds exactly (zp - zp) * w = 0 -- and one activation
// buffer fewer.

import { constValue } from '../float/interpret.js';
import { Graph, Op, Tensor, cloneGraph, producers } from '../ir/graph.js';
import { padDim } from '../ir/geometry.js';
import { soleConsumer } from './rewrite.js';

const CONVS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D']);

/** [top, bottom, left, right] pads of a PAD op on H and W, or null if it pads N or C or a non-zero value. */
function spatialPads(g: Graph, pad: Op): number[] | null {
  const x = g.tensors[pad.inputs[0]];
  const p = pad.inputs[1] >= 0 ? constValue(g.tensors[pad.inputs[1]]) : undefined;
  if (!p || x.shape.length !== 4 || p.length !== 8) return null;
  if (p[0] || p[1] || p[6] || p[7] || Array.from(p).some((v) => v < 0)) return null;
  const cv = pad.inputs[2] !== undefined && pad.inputs[2] >= 0 ? g.tensors[pad.inputs[2]] : undefined;
  if (cv && !isRealZero(cv, x)) return null;
  return [p[2], p[3], p[4], p[5]];
}

function isRealZero(cv: Tensor, x: Tensor): boolean {
  if (!cv.data) return false;
  const v = Number(cv.data[0]);
  return x.dtype === 'float32' ? v === 0 : v === (x.quant?.zeroPoint[0] ?? 0);
}

/** The conv's own padding as explicit [top, bottom, left, right]. */
function ownPads(g: Graph, conv: Op, inH: number, inW: number): number[] {
  const o = conv.options;
  if (o.padding === 'EXPLICIT') return [o.padTop, o.padBottom, o.padLeft, o.padRight] as number[];
  const w = g.tensors[conv.inputs[1]];
  const [kh, kw] = [w.shape[1], w.shape[2]];
  const total = (dim: 'H' | 'W', size: number, k: number) => {
    const stride = (dim === 'H' ? o.strideH : o.strideW) as number, dil = ((dim === 'H' ? o.dilationH : o.dilationW) as number) ?? 1;
    const { out, pad } = padDim(o, dim, stride, dil, size, k);
    return [pad, Math.max(0, (out - 1) * stride + (k - 1) * dil + 1 - size - pad)];
  };
  const [t, b] = total('H', inH, kh), [l, r] = total('W', inW, kw);
  return [t, b, l, r];
}

export function fusePad(input: Graph): Graph {
  let g = input;
  for (;;) {
    const prod = producers(g);
    let match: [Op, Op, number[]] | null = null;
    for (const conv of g.ops) {
      if (!CONVS.has(conv.type)) continue;
      const p = prod[conv.inputs[0]];
      if (p < 0 || g.ops[p].type !== 'PAD' && g.ops[p].type !== 'PADV2' || soleConsumer(g, conv.inputs[0]) < 0) continue;
      const pads = spatialPads(g, g.ops[p]);
      if (pads) { match = [g.ops[p], conv, pads]; break; }
    }
    if (!match) return g;
    if (g === input) {
      g = cloneGraph(input);
      continue; // find the same match on the copy
    }
    const [pad, conv, [pt, pb, pl, pr]] = match;
    const x = g.tensors[conv.inputs[0]];
    const [t, b, l, r] = ownPads(g, conv, x.shape[1], x.shape[2]);
    conv.options = { ...conv.options, padding: 'EXPLICIT', padTop: t + pt, padBottom: b + pb, padLeft: l + pl, padRight: r + pr };
    conv.inputs[0] = pad.inputs[0];
    g.ops = g.ops.filter((o) => o !== pad);
  }
}
