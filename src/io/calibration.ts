// Calibration inputs for quantize-int8 from a file or a directory (every file, sorted):
// .npy (one array: one sample, or a leading batch axis of samples), .npz (one array per
// graph input, in order), or raw bytes holding one or more samples back to back:
// u8 (one byte per value, unscaled) when asked, or when the file name has a "u8" token
// (cifar10_..._u8_rgb_hwc.bin) or its size is no multiple of 4 x the values; else
// float32 little-endian. Values are taken in the graph input's element order.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { NpyArray, NpyData, NpyError, parseNpy, parseNpz } from './npy.js';
import { CalibrationError, hasU8Token, rawSamples, splitSamples } from './raw-samples.js';

export { CalibrationError } from './raw-samples.js';

export interface CalibrationRequest {
  /** Values per graph input. */
  inputSizes: number[];
  /** Keep at most this many samples (first ones). */
  limit?: number;
  /** Element type of raw files; detected from the name and size when absent. */
  raw?: 'u8' | 'f32';
}

/** The calibration files of a path: the file itself, or every file of a directory, sorted. */
function calibrationFiles(path: string): string[] {
  try {
    return statSync(path).isDirectory() ? readdirSync(path).sort().map((f) => join(path, f)).filter((f) => statSync(f).isFile()) : [path];
  } catch {
    throw new CalibrationError(`cannot read calibration data ${path}: no such file or directory`);
  }
}

export function loadCalibration(path: string, req: CalibrationRequest): Float32Array[][] {
  const files = calibrationFiles(path);
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

/** One int8 graph input: its byte count and quantization (real = scale * (q - zeroPoint)). */
export interface Int8Input {
  bytes: number;
  scale: number;
  zeroPoint: number;
}

export interface Int8CalibrationRequest {
  inputs: Int8Input[];
  limit?: number;
  /** Raw files: 'int8' = the input tensors' bytes as `run` reads them; 'u8' / 'f32' = real values. */
  raw?: 'int8' | 'u8' | 'f32';
}

/**
 * Calibration inputs of an int8 model, as the bytes `run` feeds it (one Uint8Array per graph
 * input per sample). Raw files hold N input tensors back to back (int8 bytes), unless
 * `raw` is 'u8' (or the name has a "u8" token: one real value 0..255 per byte) or 'f32'
 * (float32 real values). .npy/.npz arrays of dtype int8 are input bytes; any other dtype
 * holds real values. Real values become int8 with the input's scale and zero point
 * (round half away from zero, clamped to [-128, 127]).
 */
export function loadInt8Calibration(path: string, req: Int8CalibrationRequest): Uint8Array[][] {
  const samples: Uint8Array[][] = [];
  for (const f of calibrationFiles(path)) {
    if (req.limit !== undefined && samples.length >= req.limit) break;
    try {
      samples.push(...readInt8File(f, req));
    } catch (e) {
      throw e instanceof NpyError ? new CalibrationError(e.message) : e;
    }
  }
  if (samples.length === 0) throw new CalibrationError(`${path}: no calibration samples found`);
  return req.limit !== undefined ? samples.slice(0, req.limit) : samples;
}

function readInt8File(f: string, req: Int8CalibrationRequest): Uint8Array[][] {
  const b = readFileSync(f);
  const bytes = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const ins = req.inputs;
  const perInput = (arrays: NpyArray[]) => arrays.map((a, k) => splitInt8(a.data instanceof Int8Array ? a.data : quantizeReal(a.data, ins[k], `${f} array ${k}`), ins[k].bytes, `${f} array ${k}`));
  let split: Uint8Array[][];
  if (f.endsWith('.npz')) {
    const arrays = [...parseNpz(bytes, f).values()];
    if (arrays.length !== ins.length) throw new CalibrationError(`${f}: holds ${arrays.length} arrays, the model has ${ins.length} inputs`);
    split = perInput(arrays);
  } else {
    if (ins.length !== 1) throw new CalibrationError(`${f}: a model with ${ins.length} inputs needs .npz calibration files`);
    if (f.endsWith('.npy')) split = perInput([parseNpy(bytes, f)]);
    else {
      const raw = req.raw ?? (hasU8Token(f) ? 'u8' : 'int8');
      const values = raw === 'int8' ? bytes : raw === 'u8' ? quantizeReal(bytes, ins[0], f) : quantizeReal(f32Values(bytes, f), ins[0], f);
      split = [splitInt8(values, ins[0].bytes, f)];
    }
  }
  const n = split[0].length;
  split.forEach((s, k) => {
    if (s.length !== n) throw new CalibrationError(`${f}: array ${k} holds ${s.length} samples, array 0 holds ${n}`);
  });
  return split[0].map((_, s) => split.map((p) => p[s]));
}

function f32Values(bytes: Uint8Array, f: string): Float32Array {
  if (bytes.length % 4 !== 0) throw new CalibrationError(`${f}: ${bytes.length} bytes is not a whole number of float32 values`);
  return new Float32Array(bytes.slice().buffer);
}

/** Real values -> int8 input bytes: q = clamp(round(x / scale) + zeroPoint). */
function quantizeReal(data: NpyData | Uint8Array | Float32Array, q: Int8Input, what: string): Int8Array {
  const out = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const x = Number(data[i]);
    if (!Number.isFinite(x)) throw new CalibrationError(`${what}: value ${i} is ${x}, not a finite number`);
    const r = x / q.scale;
    out[i] = Math.max(-128, Math.min(127, Math.sign(r) * Math.round(Math.abs(r)) + q.zeroPoint));
  }
  return out;
}

function splitInt8(data: NpyData | Uint8Array, size: number, what: string): Uint8Array[] {
  const a = data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (a.length === 0 || a.length % size !== 0) throw new CalibrationError(`${what}: ${a.length} bytes is not a whole number of ${size}-byte input tensors`);
  return Array.from({ length: a.length / size }, (_, i) => a.slice(i * size, (i + 1) * size));
}
