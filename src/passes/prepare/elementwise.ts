// Prepare for elementwise ops: ADD, SUB, MUL (with broadcasting), SOFTMAX, and the
// QUANTIZE / DEQUANTIZE boundaries.

import { OpCode } from '../../format/constants.js';
import { Tensor } from '../../ir/graph.js';
import { activationRange, f32Bits, quantizeMultiplier } from '../quant-math.js';
import { PrepareContext, shape4 } from './context.js';

export function checkBroadcast(ctx: PrepareContext, a: Tensor, b: Tensor, y: Tensor): void {
  if (a.shape.length > 4 || b.shape.length > 4 || y.shape.length > 4) ctx.fail('broadcasting is supported up to rank 4');
  const a4 = shape4(a.shape), b4 = shape4(b.shape), y4 = shape4(y.shape);
  for (let i = 0; i < 4; i++) {
    const want = Math.max(a4[i], b4[i]);
    const ok = (a4[i] === y4[i] || a4[i] === 1) && (b4[i] === y4[i] || b4[i] === 1) && want === y4[i];
    if (!ok) ctx.fail(`shapes ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)} do not broadcast to output ${JSON.stringify(y.shape)}`);
  }
}

function binaryOperands(ctx: PrepareContext) {
  ctx.expectCounts(2, 2);
  const a = ctx.input(0, 'input 1'), b = ctx.input(1, 'input 2'), y = ctx.output();
  ctx.expectDtype(a, ['int8'], 'input 1');
  ctx.expectDtype(b, ['int8'], 'input 2');
  ctx.expectDtype(y, ['int8'], 'output');
  checkBroadcast(ctx, a, b, y);
  const aq = ctx.quant(a, 'input 1'), bq = ctx.quant(b, 'input 2'), yq = ctx.quant(y, 'output');
  const [actMin, actMax] = activationRange(ctx.op.options.activation as string, yq.scale, yq.zeroPoint);
  return { aq, bq, yq, actMin, actMax };
}

/** Multiplier below one, as QuantizeMultiplierSmallerThanOneExp (shift <= 0). */
export function smallerThanOne(ctx: PrepareContext, m: number, what: string) {
  if (!(m > 0 && m < 1)) ctx.fail(`${what} rescale factor ${m} must lie in (0, 1)`);
  return quantizeMultiplier(m);
}

export function prepareAdd(ctx: PrepareContext): void {
  ctx.op.kernel = { opcode: OpCode.Add, params: addSubParams(ctx) };
}

/** SUB: TFLM computes its params exactly as ADD's; the kernel subtracts the rescaled inputs. */
export function prepareSub(ctx: PrepareContext): void {
  ctx.op.kernel = { opcode: OpCode.Sub, params: addSubParams(ctx) };
}

function addSubParams(ctx: PrepareContext): number[] {
  const { aq, bq, yq, actMin, actMax } = binaryOperands(ctx);
  const leftShift = 20; // int8: inputs are scaled up by 2^20 before the rescale
  const twiceMax = 2 * Math.max(aq.scale, bq.scale);
  const m1 = smallerThanOne(ctx, aq.scale / twiceMax, 'input 1');
  const m2 = smallerThanOne(ctx, bq.scale / twiceMax, 'input 2');
  const mo = smallerThanOne(ctx, twiceMax / ((1 << leftShift) * yq.scale), 'output');
  return [-aq.zeroPoint, -bq.zeroPoint, yq.zeroPoint, leftShift, m1.multiplier, m1.shift, m2.multiplier, m2.shift, mo.multiplier, mo.shift, actMin, actMax];
}

export function prepareMul(ctx: PrepareContext): void {
  const { aq, bq, yq, actMin, actMax } = binaryOperands(ctx);
  const m = quantizeMultiplier((aq.scale * bq.scale) / yq.scale);
  ctx.op.kernel = { opcode: OpCode.Mul, params: [-aq.zeroPoint, -bq.zeroPoint, yq.zeroPoint, m.multiplier, m.shift, actMin, actMax] };
}

/** PreprocessSoftmaxScaling + CalculateInputRadius with 5 integer bits, as TFLM's int8 softmax. */
export function prepareSoftmax(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['int8'], 'output');
  if (!ctx.sameShape(x, y)) ctx.fail(`output shape ${JSON.stringify(y.shape)} differs from input ${JSON.stringify(x.shape)}`);
  const xq = ctx.quant(x, 'input'), yq = ctx.quant(y, 'output');
  if (yq.zeroPoint !== -128 || Math.fround(yq.scale) !== Math.fround(1 / 256)) {
    ctx.fail(`int8 softmax output must have scale 1/256 and zero point -128, has ${yq.scale} and ${yq.zeroPoint}`);
  }
  const scaledDiffIntegerBits = 5;
  const beta = ctx.op.options.beta as number;
  const real = Math.min(beta * xq.scale * 2 ** (31 - scaledDiffIntegerBits), 2 ** 31 - 1);
  const q = quantizeMultiplier(real);
  if (q.shift < 0) ctx.fail(`beta * input scale ${beta * xq.scale} is too small for int8 softmax`);
  const maxInputRescaled = (((1 << scaledDiffIntegerBits) - 1) * 2 ** (31 - scaledDiffIntegerBits)) / 2 ** q.shift;
  const diffMin = -Math.floor(maxInputRescaled);
  ctx.op.kernel = { opcode: OpCode.Softmax, params: [q.multiplier, q.shift, diffMin] };
}

export function prepareQuantize(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(y, ['int8'], 'output');
  if (x.shape.reduce((a, d) => a * d, 1) !== y.shape.reduce((a, d) => a * d, 1)) ctx.fail('input and output sizes differ');
  const yq = ctx.quant(y, 'output');
  if (x.dtype === 'float32') {
    ctx.op.kernel = { opcode: OpCode.Quantize, params: [f32Scale(ctx, yq.scale, 'output'), yq.zeroPoint] };
  } else if (x.dtype === 'int8') {
    const xq = ctx.quant(x, 'input');
    const m = quantizeMultiplier(xq.scale / yq.scale);
    ctx.op.kernel = { opcode: OpCode.Requantize, params: [xq.zeroPoint, yq.zeroPoint, m.multiplier, m.shift] };
  } else {
    ctx.fail(`QUANTIZE from ${x.dtype} is not supported (float32 or int8 input)`);
  }
}

export function prepareDequantize(ctx: PrepareContext): void {
  ctx.expectCounts(1, 1);
  const x = ctx.input(0, 'input'), y = ctx.output();
  ctx.expectDtype(x, ['int8'], 'input');
  ctx.expectDtype(y, ['float32'], 'output');
  if (x.shape.reduce((a, d) => a * d, 1) !== y.shape.reduce((a, d) => a * d, 1)) ctx.fail('input and output sizes differ');
  const xq = ctx.quant(x, 'input');
  ctx.op.kernel = { opcode: OpCode.Dequantize, params: [f32Scale(ctx, xq.scale, 'input'), xq.zeroPoint] };
}

/** The float32 bits of a scale the runtime multiplies by: it must stay finite and > 0 in float32. */
function f32Scale(ctx: PrepareContext, scale: number, role: string): number {
  const f = Math.fround(scale);
  if (!(f > 0) || !Number.isFinite(f)) ctx.fail(`${role} scale ${scale} is ${f === 0 ? 'zero' : 'not finite'} in float32`);
  return f32Bits(scale);
}
