// Raw calibration bytes -> samples, with no Node imports (the CLI's loadCalibration and the
// studio page both read them): one or more samples back to back, u8 (one byte per value,
// unscaled) when asked, or when the file name has a "u8" token or its size is no multiple
// of 4 x the values; else float32 little-endian. Values in the graph input's element order.

import { ConvertError } from '../ir/graph.js';

export class CalibrationError extends ConvertError {}

/** `a` cut into samples of `size` values; `what` names the source in the error. */
export function splitSamples(a: Float32Array, size: number, what: string): Float32Array[] {
  if (a.length === 0 || a.length % size !== 0) throw new CalibrationError(`${what}: ${a.length} values is not a multiple of the input's ${size}`);
  return Array.from({ length: a.length / size }, (_, i) => a.subarray(i * size, (i + 1) * size));
}

/** A raw file's name carries a "u8" token (cifar10_..._u8_rgb_hwc.bin). */
export const hasU8Token = (path: string): boolean => /(^|[^a-z0-9])u8([^a-z0-9]|$)/i.test(path.split('/').pop()!);

/** Samples (one array per graph input) of a raw file `path` (its name decides u8 as above). */
export function rawSamples(path: string, bytes: Uint8Array, sizes: number[], raw?: 'u8' | 'f32'): Float32Array[][] {
  if (sizes.length !== 1) throw new CalibrationError(`${path}: a model with ${sizes.length} inputs needs .npz calibration files`);
  const size = sizes[0];
  const u8 = raw ? raw === 'u8' : hasU8Token(path) || bytes.length % (4 * size) !== 0;
  const values = u8 ? Float32Array.from(bytes) : new Float32Array(bytes.slice().buffer);
  return splitSamples(values, size, path).map((s) => [s]);
}
