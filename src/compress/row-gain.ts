// Per-row gain of a compressed filter, taken by the requantization multiplier. A row q of the
// compressed filter (int8 codebook values) reproduces the int8 row w's accumulators on the
// calibration data best when scaled by alpha = q^T H w / q^T H q (least squares, H the
// layer-input Gram matrix): the error s_r^2 (alpha q - w)^T H (alpha q - w) is then the
// smallest a scale can make it. The op's per-channel multiplier already scales each output
// channel, so alpha costs no byte: the multiplier becomes M alpha, and the bias b becomes
// b / alpha (the accumulator is divided by alpha, the output is not). The new multiplier is
// rounded to 7 significant bits -- v << 24 with v in [64, 127] and its shift -- so that the
// narrow-shifts pass stores it as one byte instead of four (the rounding moves alpha by at
// most 1/128 relative: about 45 dB below the signal, where compressed layers sit at 10-25 dB).

import { FilterRows } from './compensate.js';
import { LayerStats, statsForRow } from './layer-stats.js';
import { frexp } from '../passes/quant-math.js';

/** Gains outside [1/GAIN_LIMIT, GAIN_LIMIT] are clamped (a row that nearly vanished has no stable gain). */
export const GAIN_LIMIT = 2;

/**
 * Per row alpha_r = q_r^T H w_r / q_r^T H q_r (1 where q_r^T H q_r or q_r^T H w_r is not
 * positive), clamped to [1/2, 2]; and the error those gains remove, sum_r s_r^2 (2 alpha_r
 * q_r^T H w_r - alpha_r^2 q_r^T H q_r): the filter's error with the gains is then
 * sum_r s_r^2 w_r^T H w_r less it, with no second K x K product per row.
 */
export function rowGains(w: Float64Array[], q: ArrayLike<number>[], f: FilterRows, stats: LayerStats): { gains: number[]; reduction: number } {
  const hq = new Float64Array(f.k);
  let reduction = 0;
  const gains = w.map((wr, r) => {
    const h = statsForRow(stats, r).gram, qr = q[r], k = f.k;
    for (let i = 0; i < k; i++) {
      let s = 0;
      const row = i * k;
      for (let j = 0; j < k; j++) s += h[row + j] * qr[j];
      hq[i] = s;
    }
    let qhq = 0, qhw = 0;
    for (let i = 0; i < k; i++) {
      qhq += hq[i] * qr[i];
      qhw += hq[i] * wr[i];
    }
    const a = !(qhq > 0) || !(qhw > 0) ? 1 : Math.min(GAIN_LIMIT, Math.max(1 / GAIN_LIMIT, qhw / qhq));
    reduction += f.scales[r] ** 2 * (2 * a * qhw - a * a * qhq);
    return a;
  });
  return { gains, reduction };
}

/** A requantization multiplier and shift (real = multiplier x 2^(shift - 31)), as prepare-kernels stores them. */
export interface Requant { multiplier: number; shift: number }

/**
 * The multiplier of 7 significant bits nearest to `real`: v 2^24 with v in [64, 127] (v = 128
 * carries into the next shift), or (0, 0) when it is below 2^-32 (quantizeMultiplier's flush).
 * Null when its shift would pass 31: the caller keeps the old multiplier.
 */
export function gridMultiplier(real: number): Requant | null {
  if (!(real > 0)) return { multiplier: 0, shift: 0 };
  let [f, shift] = frexp(real);
  let v = Math.round(f * 128);
  if (v === 128) {
    v = 64;
    shift++;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 31) return null;
  return { multiplier: v * 2 ** 24, shift };
}

/** The real multiplier of (multiplier, shift). */
export function realMultiplier(r: Requant): number {
  return r.multiplier * 2 ** (r.shift - 31);
}
