// Average and max pooling over int8 NHWC, as TFLite's reference_integer_ops pooling:
// windows are clipped to the image, the average divides by the clipped count with
// rounding half away from zero.

import { clamp } from './quant';

@unmanaged export class PoolParams {
  strideH: i32;
  strideW: i32;
  filterH: i32;
  filterW: i32;
  padTop: i32;
  padLeft: i32;
  actMin: i32;
  actMax: i32;
}

export function pool_s8(
  isMax: bool,
  x: usize, inH: i32, inW: i32, channels: i32,
  y: usize, batches: i32, outH: i32, outW: i32,
  p: PoolParams,
): void {
  let out = y;
  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * p.strideH - p.padTop;
      const fy0 = max(0, -iy0);
      const fy1 = min(p.filterH, inH - iy0);
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * p.strideW - p.padLeft;
        const fx0 = max(0, -ix0);
        const fx1 = min(p.filterW, inW - ix0);
        for (let c = 0; c < channels; c++) {
          let acc: i32 = isMax ? -128 : 0;
          let count: i32 = 0;
          for (let fy = fy0; fy < fy1; fy++) {
            const row = x + <usize>(((b * inH + iy0 + fy) * inW + ix0) * channels + c);
            for (let fx = fx0; fx < fx1; fx++) {
              const v = <i32>load<i8>(row + <usize>(fx * channels));
              if (isMax) acc = max(acc, v);
              else acc += v;
              count++;
            }
          }
          if (!isMax) {
            // An empty window (possible only with padding wider than the filter) yields 0.
            if (count == 0) acc = 0;
            else acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          }
          store<i8>(out, <i8>clamp(acc, p.actMin, p.actMax));
          out++;
        }
      }
    }
  }
}
