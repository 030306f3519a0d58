// Calibration inputs for quantize-int8 from a file or a directory (every file, sorted):
// .npy (one array: one sample, or a leading batch axis of samples), .npz (one array per
// graph input, in order), or raw bytes holding one or more samples back to back:
// u8 (one byte per value, unscaled) when asked, or when the file name has a "u8" token
// (cifar10_..._u8_rgb_hwc.bin) or its size is no multiple of 4 x the values; else
// float32 little-endian. Values are taken in the graph input's element order.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NpyArray, NpyData, NpyError, parseNpy, parseNpz } from './npy.js';
import { CalibrationError, rawSamples, splitSamples } from './raw-samples.js';

export { CalibrationError } from './raw-samples.js';

export interface CalibrationRequest {
  /** Values per graph input. */
  inputSizes: number[];
  /** Keep at most this many samples (first ones). */
  limit?: number;
  /** Element type of raw files; detected from the name and size when absent. */
  raw?: 'u8' | 'f32';
}

export function loadCalibration(path: string, req: CalibrationRequest): Float32Array[][] {
  let files: string[];
  try {
    files = statSync(path).isDirectory() ? readdirSync(path).sort().map((f) => join(path, f)).filter((f) => statSync(f).isFile()) : [path];
  } catch {
    throw new CalibrationError(`cannot read calibration data ${path}: no such file or directory`);
  }
  const samples: Float32Array[][] = [];
  for (const f of files) {
    if (req.limit !== undefined && samples.length >= req.limit) break;
    try {
      samples.push(...readFile(f, req));
    } catch (e) {
      throw e instanceof NpyError ? new CalibrationError(e.message) : e;
    }
  }
  if (samples.length === 0) throw new CalibrationError(`${path}: no calibration samples found`);
  return req.limit !== undefined ? samples.slice(0, req.limit) : samples;
}

/** Calibration values as float32, whatever the array's dtype. */
function toFloat32(data: NpyData): Float32Array {
  return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number | bigint>, Number);
}

function split(data: NpyData, size: number, what: string): Float32Array[] {
  return splitSamples(toFloat32(data), size, what);
}

function readFile(f: string, req: CalibrationRequest): Float32Array[][] {
  const b = readFileSync(f);
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const sizes = req.inputSizes;
  if (f.endsWith('.npz')) {
    const arrays = [...parseNpz(bytes, f).values()];
    if (arrays.length !== sizes.length) throw new CalibrationError(`${f}: holds ${arrays.length} arrays, the model has ${sizes.length} inputs`);
    const perInput = arrays.map((a: NpyArray, k) => split(a.data, sizes[k], `${f} array ${k}`));
    return perInput[0].map((_, s) => perInput.map((p) => p[s]));
  }
  if (sizes.length !== 1) throw new CalibrationError(`${f}: a model with ${sizes.length} inputs needs .npz calibration files`);
  if (f.endsWith('.npy')) return split(parseNpy(bytes, f).data, sizes[0], f).map((s) => [s]);
  return rawSamples(f, bytes, sizes, req.raw);
}
