// Prepare for LOG_SOFTMAX on int8, as TFLM's LogSoftmaxPrepare: output scale 16/256 and zero
// point 127; beta 1 and 5 integer bits for the input differences (Q5.26). Computed offline:
// the input multiplier and left shift (PreprocessSoftmaxScaling), the reverse scaling
// multiplier and shift ((2^(31 - left shift)) / multiplier as a multiplier below one), and
// diff_min (minus the input radius). Along the last axis.

import { OpCode } from '../../format/constants.js';
import { quantizeMultiplier } from '../quant-math.js';
import { PrepareContext } from './context.js';

export function prepareLogSoftmax(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  if (x.shape.length > 4) ctx.fail('rank above 4 is not supported');
  if (!ctx.sameShape(x, y)) ctx.fail(`output shape ${JSON.stringify(y.shape)} differs from input ${JSON.stringify(x.shape)}`);
  const xq = ctx.quant(x, 'input'), yq = ctx.quant(y, 'output');
  if (yq.zeroPoint !== 127 || Math.fround(yq.scale) !== 16 / 256) {
    ctx.fail(`int8 log softmax output must have scale 16/256 and zero point 127, has ${yq.scale} and ${yq.zeroPoint}`);
  }
  const integerBits = 5;
  const real = Math.min(xq.scale * 2 ** (31 - integerBits), 2 ** 31 - 1);
  if (!(real > 1)) ctx.fail(`input scale ${xq.scale} is too small for int8 log softmax`);
  const q = quantizeMultiplier(real); // real in (1, 2^31): left shift in [1, 31]
  const reverse = 2 ** (31 - q.shift) / q.multiplier;
  if (!(reverse > 0 && reverse < 1)) ctx.fail(`input scale ${xq.scale} gives a reverse scaling divisor ${reverse} outside (0, 1)`);
  const r = quantizeMultiplier(reverse);
  const diffMin = -Math.floor((((1 << integerBits) - 1) * 2 ** (31 - integerBits)) / 2 ** q.shift);
  ctx.op.kernel = { opcode: OpCode.LogSoftmax, params: [q.multiplier, q.shift, r.multiplier, r.shift, diffMin] };
}
