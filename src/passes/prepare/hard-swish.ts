// Prepare for a standalone HARD_SWISH on int8 tensors: TFLM's int16 fixed-point arithmetic
// (HardSwishPrepare's float32 scales, QuantizeMultiplier then DownScaleInt32ToInt16Multiplier;
// the reference kernel's per-value steps) run once per int8 value into a 256-entry LUT
// (opcode LUT), exact by construction. Float models tabulate their float function earlier.

import { quantizeMultiplier } from '../quant-math.js';
import { PrepareContext } from './context.js';
import { rdbpot, tabulateInt8, unaryInt8 } from './int8-table.js';

const I16_MIN = -32768, I16_MAX = 32767;
const sat16 = (v: number) => Math.max(I16_MIN, Math.min(I16_MAX, v));
/** static_cast<int16_t>: wrap to int16. */
const wrap16 = (v: number) => (v << 16) >> 16;

/** gemmlowp's int16 SaturatingRoundingDoublingHighMul. */
function srdhm16(a: number, b: number): number {
  if (a === b && a === I16_MIN) return I16_MAX;
  const ab = a * b;
  const nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
  return wrap16(Math.trunc((ab + nudge) / (1 << 15)));
}

/** TFLite's SaturatingDoublingHighMul (int16, truncating). */
function sdhm16(a: number, b: number): number {
  if (a === b && a === I16_MIN) return I16_MAX;
  return wrap16(Math.trunc((a * b) / (1 << 15)));
}

/** gemmlowp's RoundingDivideByPOT. */
/** DownScaleInt32ToInt16Multiplier. */
function toInt16Multiplier(m: number): number {
  if (m >= 2 ** 31 - 1 - (1 << 15)) return I16_MAX;
  return (m + (1 << 15)) >> 16;
}

function hardSwishTable(ctx: PrepareContext, inScale: number, inZp: number, outScale: number, outZp: number): number[] {
  const f = Math.fround;
  const hires = f(f(1 / 128) * f(inScale));
  const out = quantizeMultiplier(f(hires / f(outScale)));
  if (out.shift > 0) ctx.fail(`input scale / 128 over output scale is ${f(hires / f(outScale))}, above 1 (TFLM requires a right shift)`);
  const reluish = quantizeMultiplier(f(hires / f(3 / 32768)));
  const outM = toInt16Multiplier(out.multiplier), reluM = toInt16Multiplier(reluish.multiplier);
  return Array.from({ length: 256 }, (_, i) => {
    const v = wrap16(i - 128 - inZp);
    const hiresValue = wrap16(v * 128);
    const preshift = srdhm16(hiresValue, outM);
    let r = hiresValue;
    if (reluish.shift > 0) r = sat16(r * 2 ** (reluish.shift - 1));
    r = srdhm16(r, reluM);
    if (reluish.shift > 0) r = sat16(r * 2);
    if (reluish.shift < 0) r = rdbpot(r, -reluish.shift);
    r = wrap16((r + (1 << 15)) >> 1);
    const y = wrap16(rdbpot(sdhm16(r, preshift), -out.shift)) + outZp;
    return Math.max(-128, Math.min(127, y));
  });
}

export function prepareHardSwish(ctx: PrepareContext): void {
  const { y, xq, yq } = unaryInt8(ctx);
  const values = hardSwishTable(ctx, xq.scale, xq.zeroPoint, yq.scale, yq.zeroPoint);
  tabulateInt8(ctx, y, (v) => values[v + 128]);
}
