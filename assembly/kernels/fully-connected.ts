// Fully connected over int8: y[b, o] = requant(sum_k (x[b, k] + in_offset) * w[o, k] + bias[o]),
// as TFLite's reference_integer_ops::FullyConnected(PerChannel). Weights are symmetric
// (zero point 0). Per-tensor models carry the same multiplier in every channel slot.

import { clamp, mbqm } from './quant';

export function fc_s8(
  x: usize, batches: i32, depth: i32,
  w: usize, outC: i32,
  bias: usize, mult: usize, shift: usize,
  y: usize,
  inputOffset: i32, outputOffset: i32, actMin: i32, actMax: i32,
): void {
  for (let b = 0; b < batches; b++) {
    const xRow = x + <usize>(b * depth);
    for (let o = 0; o < outC; o++) {
      const wRow = w + <usize>(o * depth);
      let acc: i32 = 0;
      for (let k = 0; k < depth; k++) {
        acc += (<i32>load<i8>(xRow + k) + inputOffset) * <i32>load<i8>(wRow + k);
      }
      if (bias) acc += load<i32>(bias + (<usize>o << 2));
      acc = mbqm(acc, load<i32>(mult + (<usize>o << 2)), load<i32>(shift + (<usize>o << 2))) + outputOffset;
      store<i8>(y + <usize>(b * outC + o), <i8>clamp(acc, actMin, actMax));
    }
  }
}
