// Fully connected over int8: y[b, o] = requant(sum_k (x[b, k] + in_offset) * w[o, k] + bias[o]),
// as TFLite's reference_integer_ops::FullyConnected(PerChannel). Weights are symmetric
// (zero point 0). Per-tensor models carry the same multiplier in every channel slot.
// fc_s8_ref reads w [oc, depth]; fc_s8 reads packed w [oc4/4][K8/8][4][8] with the folded bias
// bias'[o] = bias[o] + in_offset * sum(w[o]) and the requant table (its only multiplier/shift
// copy), and runs the GEMM micro-kernels two rows at a time; output rows lie yStride >= outC
// bytes apart (the streamed runtime's tiles of output channels write into the whole output).

import { clamp, mbqm } from './quant';
import { gemm1_s8, gemm2_s8 } from './gemm';
import { fc_s8_rows } from './rows';
import { gemm2_s8_simd } from './gemm-simd';
import { rqfPrepare } from './requant-simd';

export function fc_s8_ref(
  x: usize, batches: i32, depth: i32,
  w: usize, outC: i32,
  bias: usize, mult: usize, shift: usize,
  y: usize,
  inputOffset: i32, outputOffset: i32, actMin: i32, actMax: i32,
): void {
  // The reference is the row-range kernel over every output channel (rows.ts).
  fc_s8_rows(x, batches, depth, w, outC, bias, mult, shift, y, inputOffset, outputOffset, actMin, actMax, 0, outC);
}

export function fc_s8(
  x: usize, batches: i32, depth: i32, k8: i32,
  w: usize, outC: i32,
  bias: usize, rq: usize,
  y: usize,
  outputOffset: i32, actMin: i32, actMax: i32, yStride: i32 = outC,
): void {
  let rqf: usize = 0;
  if (ASC_FEATURE_SIMD) rqf = rqfPrepare(rq, (outC + 3) >> 2);
  for (let b = 0; b < batches; b += 2) {
    const b1 = min(b + 1, batches - 1);
    const p0 = x + <usize>(b * depth), p1 = x + <usize>(b1 * depth);
    const y0 = y + <usize>(b * yStride), y1 = y + <usize>(b1 * yStride);
    if (ASC_FEATURE_SIMD) {
      gemm2_s8_simd(p0, p1, k8, w, outC, bias, rq, rqf, y0, y1, outputOffset, actMin, actMax);
    } else {
      if (b1 != b) gemm2_s8(p0, p1, k8, w, outC, bias, rq, y0, y1, outputOffset, actMin, actMax);
      else gemm1_s8(p0, k8, w, outC, bias, rq, y0, outputOffset, actMin, actMax);
    }
  }
}
