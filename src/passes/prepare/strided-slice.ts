// Prepare for STRIDED_SLICE on int8: TFLM's StartForAxis / StopForAxis (begin_mask,
// end_mask, shrink_axis_mask, negative indices, clamping) evaluated offline on the
// constant begin/end/strides, then right-aligned to the runtime's 4-D view as
// start[4], stride[4], count[4]: output element (i0..i3) is input element
// (start_k + i_k * stride_k). Bytes are copied, as TFLM does (no requantization).
// ellipsis_mask, new_axis_mask and offset are refused with an error naming them.

import { OpCode } from '../../format/constants.js';
import { PrepareContext } from './context.js';

const I32_MIN = -(2 ** 31), I32_MAX = 2 ** 31 - 1;

export interface SliceAxis { start: number; stride: number; count: number; shrink: boolean }

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

/** One axis as TFLM's strided_slice logic: start, the stop it loops to, and the element count. */
export function sliceAxis(size: number, begin: number, end: number, stride: number, beginMasked: boolean, endMasked: boolean, shrink: boolean): SliceAxis {
  let start = beginMasked ? (stride > 0 ? I32_MIN : I32_MAX) : begin;
  if (start < 0) start += size;
  start = stride > 0 ? clamp(start, 0, size) : clamp(start, -1, size - 1);
  let stop: number;
  if (shrink) stop = start + 1;
  else {
    stop = endMasked ? (stride > 0 ? I32_MAX : I32_MIN) : end;
    if (stop < 0) stop += size;
    stop = stride > 0 ? clamp(stop, 0, size) : clamp(stop, -1, size - 1);
  }
  // the loop start, start + stride, ... while (stride > 0 ? < stop : > stop)
  const count = stride > 0 ? Math.ceil((stop - start) / stride) : Math.ceil((start - stop) / -stride);
  return { start, stride, count: Math.max(0, count), shrink };
}

export function prepareStridedSlice(ctx: PrepareContext): void {
  ctx.expectCounts(4, 4);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  const rank = x.shape.length;
  if (rank < 1 || rank > 4) ctx.fail(`input "${x.name}" has rank ${rank}; STRIDED_SLICE runs ranks 1 to 4`);
  const begin = ctx.intValues(ctx.input(1, 'begin'), 'begin');
  const end = ctx.intValues(ctx.input(2, 'end'), 'end');
  const strides = ctx.intValues(ctx.input(3, 'strides'), 'strides');
  for (const [what, v] of [['begin', begin], ['end', end], ['strides', strides]] as const) {
    if (v.length !== rank) ctx.fail(`${what} has ${v.length} values; the input has rank ${rank}`);
  }
  const o = ctx.op.options as Record<string, number | boolean>;
  for (const k of ['ellipsisMask', 'newAxisMask'] as const) if (o[k]) ctx.fail(`${k === 'ellipsisMask' ? 'ellipsis_mask' : 'new_axis_mask'} ${o[k]} is not supported (only begin_mask, end_mask and shrink_axis_mask)`);
  if (o.offset) ctx.fail('offset = true (end relative to begin) is not supported');
  const beginMask = o.beginMask as number, endMask = o.endMask as number, shrinkMask = o.shrinkAxisMask as number;
  if (beginMask >>> rank || endMask >>> rank || shrinkMask >>> rank) ctx.fail(`begin_mask ${beginMask}, end_mask ${endMask} or shrink_axis_mask ${shrinkMask} has bits beyond rank ${rank}`);
  const axes = x.shape.map((size, k) => {
    if (strides[k] === 0) ctx.fail(`stride of axis ${k} is 0`);
    const bit = (m: number) => ((m >> k) & 1) === 1;
    return sliceAxis(size, begin[k], end[k], strides[k], bit(beginMask), bit(endMask), bit(shrinkMask));
  });
  const shape = axes.filter((a) => !a.shrink).map((a) => a.count);
  if (axes.some((a) => a.count === 0)) ctx.fail(`the slice is empty (output shape ${JSON.stringify(shape)})`);
  axes.forEach((a, k) => { // only a shrunk axis can land outside: its begin is clamped to [0, size], not below size
    if (a.start < 0 || a.start >= x.shape[k]) ctx.fail(`shrink_axis_mask keeps index ${begin[k]} of axis ${k}, outside its size ${x.shape[k]}`);
  });
  if (shape.length !== y.shape.length || shape.some((d, k) => d !== y.shape[k])) {
    ctx.fail(`output "${y.name}" has shape ${JSON.stringify(y.shape)}, the slice has ${JSON.stringify(shape)}`);
  }
  const pad = 4 - rank;
  const at = (k: number) => (k < pad ? undefined : axes[k - pad]);
  const params = [0, 1, 2, 3].map((k) => at(k)?.start ?? 0)
    .concat([0, 1, 2, 3].map((k) => at(k)?.stride ?? 1))
    .concat([0, 1, 2, 3].map((k) => at(k)?.count ?? 1));
  ctx.op.inputs = [ctx.op.inputs[0]]; // begin/end/strides live on in the params
  ctx.op.kernel = { opcode: OpCode.StridedSlice, params };
}
