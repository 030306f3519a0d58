// Model inputs from the page: an image resized and quantized to the input tensor, or raw
// bytes checked against its size. real = scale * (q - zero_point), so q = round(real / scale) + zero_point.

import type { TensorInfo } from '../../inspect.js';

/** How pixel values 0..255 map to the real values the model was trained on. */
export type PixelRange = '0..1' | '-1..1' | '0..255';

export function pixelToReal(v: number, range: PixelRange): number {
  return range === '0..1' ? v / 255 : range === '-1..1' ? v / 127.5 - 1 : v;
}

/** Real values -> the input tensor's bytes (int8, uint8 quantized; float32 as is). */
export function encodeReals(reals: Float32Array, t: TensorInfo): Uint8Array {
  if (t.dtype === 'float32') return new Uint8Array(reals.slice().buffer);
  const [lo, hi] = t.dtype === 'int8' ? [-128, 127] : t.dtype === 'uint8' ? [0, 255] : [NaN, NaN];
  if (Number.isNaN(lo)) throw new Error(`input ${t.name} is ${t.dtype}; an image can fill int8, uint8 or float32 inputs`);
  const q = (r: number) => Math.min(hi, Math.max(lo, Math.round(r / t.scale) + t.zeroPoint));
  const out = t.dtype === 'int8' ? new Int8Array(reals.length) : new Uint8Array(reals.length);
  reals.forEach((r, i) => (out[i] = q(r)));
  return new Uint8Array(out.buffer);
}

/** The input's image layout: NHWC [1, H, W, C] with C = 1 (grey) or 3 (RGB). */
export function imageLayout(t: TensorInfo): { h: number; w: number; c: number } {
  const s = t.shape;
  if (s.length !== 4 || s[0] !== 1 || (s[3] !== 1 && s[3] !== 3)) {
    throw new Error(`input ${t.name} has shape [${s.join('x')}]; an image needs [1xHxWx1] (grey) or [1xHxWx3] (RGB)`);
  }
  return { h: s[1], w: s[2], c: s[3] };
}

/** RGBA pixels (h * w * 4) -> real values in NHWC order, grey by luma weights 0.299/0.587/0.114. */
export function pixelsToReals(rgba: Uint8ClampedArray, c: number, range: PixelRange): Float32Array {
  const n = rgba.length / 4;
  const out = new Float32Array(n * c);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = [rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]];
    if (c === 1) out[i] = pixelToReal(0.299 * r + 0.587 * g + 0.114 * b, range);
    else [r, g, b].forEach((v, k) => (out[3 * i + k] = pixelToReal(v, range)));
  }
  return out;
}

/** An image file drawn at the input's size (browser: createImageBitmap resizes). */
export async function imageInput(file: Blob, t: TensorInfo, range: PixelRange): Promise<Uint8Array> {
  const { h, w, c } = imageLayout(t);
  const bitmap = await createImageBitmap(file, { resizeWidth: w, resizeHeight: h, resizeQuality: 'high' });
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  return encodeReals(pixelsToReals(ctx.getImageData(0, 0, w, h).data, c, range), t);
}

/** A raw .bin input: one or more whole input tensors back to back (else the CLI's `run` words). */
export function rawInput(name: string, bytes: Uint8Array, t: TensorInfo): Uint8Array {
  if (bytes.length === 0 || bytes.length % t.bytes !== 0) {
    throw new Error(`${name}: ${bytes.length} bytes is not a whole number of ${t.bytes}-byte input tensors (input 0)`);
  }
  return bytes;
}

/** Output 0's values as reals (dequantized int8/uint8, float32 as is). */
export function outputReals(bytes: Uint8Array, t: TensorInfo): Float32Array {
  if (t.dtype === 'float32') return new Float32Array(bytes.slice().buffer);
  const q = t.dtype === 'int8' ? new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length) : bytes;
  return Float32Array.from(q, (v) => t.scale * (v - t.zeroPoint));
}

/** The k largest values with their indices, largest first. */
export function topK(values: Float32Array, k: number): { index: number; value: number }[] {
  return Array.from(values, (value, index) => ({ index, value })).sort((a, b) => b.value - a.value || a.index - b.index).slice(0, k);
}
