// Prepare for RESIZE_BILINEAR on int8: TFLite's integer reference (ResizeBilinearInteger)
// steps through the input in 1/1024 units; its scales are computed here as the reference
// computes them. Params [scaleH, scaleW, halfPixel] (assembly/kernels/resize-bilinear.ts).
// TFLM copies no quantization: input and output must share it (its Prepare checks that for
// the quantized types... the interpolated int8 bytes are stored as they are).

import { OpCode } from '../../format/constants.js';
import { PrepareContext } from './context.js';
import { resizeSize } from './table-copy.js';

/** round(1024 * in / out) as TFLite's integer reference; align_corners uses (in - 1) / (out - 1) when out > 1. */
export function bilinearScale10(inSize: number, outSize: number, alignCorners: boolean): number {
  if (alignCorners && outSize > 1) return Math.floor((1024 * (inSize - 1) + Math.floor((outSize - 1) / 2)) / (outSize - 1));
  return Math.floor((1024 * inSize + Math.floor(outSize / 2)) / outSize);
}

export function prepareResizeBilinear(ctx: PrepareContext): void {
  ctx.expectCounts(2, 2);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  ctx.expectRank(x, 4, 'input');
  const [oh, ow] = resizeSize(ctx, x, y);
  const align = ctx.op.options.alignCorners === true, half = ctx.op.options.halfPixelCenters === true;
  if (align && half) ctx.fail('align_corners and half_pixel_centers together are not allowed (TFLite refuses them)');
  const [, h, w] = x.shape;
  if (1024 * Math.max(h, w) >= 2 ** 24) ctx.fail(`input ${JSON.stringify(x.shape)} is too large for 1/1024 positions in int32`);
  const scaleH = bilinearScale10(h, oh, align), scaleW = bilinearScale10(w, ow, align);
  if ((oh - 1) * scaleH + scaleH >= 2 ** 31 || (ow - 1) * scaleW + scaleW >= 2 ** 31) ctx.fail(`output ${JSON.stringify(y.shape)} positions overflow int32`);
  const lastTap = (scale: number, n: number) => Math.max(Math.trunc(((n - 1) * scale + (half ? Math.trunc(scale / 2) - 512 : 0)) / 1024), 0);
  if (lastTap(scaleH, oh) >= h || lastTap(scaleW, ow) >= w) ctx.fail(`output ${JSON.stringify(y.shape)} steps past input ${JSON.stringify(x.shape)} with TFLite's 1/1024 positions`);
  ctx.op.inputs = [ctx.op.inputs[0]];
  ctx.op.kernel = { opcode: OpCode.ResizeBilinear, params: [scaleH, scaleW, half ? 1 : 0] };
}
