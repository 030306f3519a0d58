// Prepare for TRANSPOSE_CONV on int8, as TFLM's: inputs output_shape (const int32), filter
// int8 [O, KH, KW, I] (symmetric, per channel or per tensor), input int8 [N, H, W, I], bias
// int32 [O] (optional). Padding as TFLM computes it, from the OUTPUT's height and width
// (ComputePaddingHeightWidth with dilation 1; the odd offset is unused); per-channel
// multipliers input_scale * filter_scale[c] / output_scale in double, as for CONV_2D.
// A fused activation clamps as CONV_2D's (CalculateActivationRangeQuantized).
// 16x8 (`s16`, int16.ts): input and output int16 with zero point 0, bias int64 (TFLM's
// 64-bit sums), int16 clamps, shifts <= 7 (the 64-bit requant); the kernel transpose_conv_s16.

import { OpCode } from '../../format/constants.js';
import { activationRange, computePadding } from '../quant-math.js';
import { attachChannels, Channels, checkBias, perChannelMultipliers } from './conv.js';
import { Tensor } from '../../ir/graph.js';
import { PrepareContext } from './context.js';

export interface TransposeConvS16 {
  /** Checks input and output: int16, zero point 0. */
  activations(x: Tensor, y: Tensor): void;
  /** Checks the bias: constant int64 with `channels` values. */
  bias(b: Tensor | null, channels: number): void;
  /** Checks the requant shifts. */
  shifts(ch: Channels): void;
}

export function prepareTransposeConv(ctx: PrepareContext, s16?: TransposeConvS16): void {
  ctx.expectCounts(3, 4);
  const shape = ctx.intValues(ctx.input(0, 'output_shape'), 'output_shape');
  const w = ctx.input(1, 'filter'), x = ctx.input(2, 'input'), b = ctx.optionalInput(3), y = ctx.output();
  if (s16) s16.activations(x, y);
  for (const [t, r] of [[x, 'input'], [w, 'filter'], [y, 'output']] as const) {
    ctx.expectDtype(t, [s16 && t !== w ? 'int16' : 'int8'], r);
    ctx.expectRank(t, 4, r);
  }
  ctx.expectConst(w, 'filter');
  if (shape.length !== 4 || shape.some((d, k) => d !== y.shape[k])) ctx.fail(`output_shape ${JSON.stringify(shape)} differs from output "${y.name}" ${JSON.stringify(y.shape)}`);
  const [oc, kh, kw, ic] = w.shape;
  if (ic !== x.shape[3]) ctx.fail(`filter "${w.name}" has ${ic} input channels, the input "${x.name}" ${x.shape[3]}`);
  if (y.shape[3] !== oc || y.shape[0] !== x.shape[0]) ctx.fail(`output "${y.name}" shape ${JSON.stringify(y.shape)} does not match filter ${JSON.stringify(w.shape)} and input ${JSON.stringify(x.shape)}`);
  if (s16) s16.bias(b, oc);
  else checkBias(ctx, b, oc);
  const o = ctx.op.options as Record<string, number & string>;
  const ph = computePadding(o.padding, o.strideH, 1, y.shape[1], kh);
  const pw = computePadding(o.padding, o.strideW, 1, y.shape[2], kw);
  // the runtime's load checks: pads in [0, 65535], strides <= 2^24
  if (ph.pad > 0xffff || pw.pad > 0xffff) ctx.fail(`padding ${ph.pad}x${pw.pad} is out of range (at most 65535)`);
  if (o.strideH > 1 << 24 || o.strideW > 1 << 24) ctx.fail(`strides ${o.strideH}x${o.strideW} are out of range (at most 2^24)`);
  // Every input row/column must reach the output (iy * stride - pad + ky < out for ky = 0), as
  // in every model TFLite writes (SAME: out = in * stride, VALID: (in - 1) * stride + k): rows
  // that reach nothing would be arena bytes no kernel reads.
  const reachH = Math.floor((y.shape[1] - 1 + ph.pad) / o.strideH) + 1, reachW = Math.floor((y.shape[2] - 1 + pw.pad) / o.strideW) + 1;
  if (x.shape[1] > reachH || x.shape[2] > reachW) {
    ctx.fail(`input "${x.name}" is ${x.shape[1]}x${x.shape[2]}, but only ${Math.min(x.shape[1], reachH)}x${Math.min(x.shape[2], reachW)} of it reaches the ${y.shape[1]}x${y.shape[2]} output with stride ${o.strideH}x${o.strideW} and ${o.padding} padding`);
  }
  const xq = ctx.quant(x, 'input'), yq = ctx.quant(y, 'output');
  const [actMin, actMax] = s16 ? activationRange((o.activation as string) ?? 'NONE', yq.scale, 0, -32768, 32767) : activationRange((o.activation as string) ?? 'NONE', yq.scale, yq.zeroPoint);
  const ch = perChannelMultipliers(ctx, x, w, y, oc, 0);
  if (s16) s16.shifts(ch);
  ctx.op.inputs = [ctx.op.inputs[2], ...attachChannels(ctx, ch, ctx.op.inputs[1], ctx.op.inputs[3] ?? -1).slice(1)];
  ctx.op.kernel = {
    opcode: OpCode.TransposeConv,
    params: [o.strideH, o.strideW, ph.pad, pw.pad, -xq.zeroPoint, yq.zeroPoint, actMin, actMax],
  };
}
