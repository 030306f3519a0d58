// Reader for NumPy .npy arrays and .npz archives (zip of .npy, stored or deflated):
// little-endian numeric dtypes, C order. Errors name the file, the member and the
// byte offset at fault; nothing is read past the buffer.

import { inflateRawSync } from 'node:zlib';
import { toBytes } from './bytes.js';

export type NpyData = Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint32Array | BigInt64Array;

export interface NpyArray {
  dtype: string;
  shape: number[];
  data: NpyData;
}

export class NpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

const DTYPES: Record<string, [number, (b: ArrayBuffer, n: number) => NpyData]> = {
  f8: [8, (b, n) => new Float64Array(b, 0, n)],
  f4: [4, (b, n) => new Float32Array(b, 0, n)],
  i8: [8, (b, n) => new BigInt64Array(b, 0, n)],
  i4: [4, (b, n) => new Int32Array(b, 0, n)],
  u4: [4, (b, n) => new Uint32Array(b, 0, n)],
  i2: [2, (b, n) => new Int16Array(b, 0, n)],
  u2: [2, (b, n) => new Uint16Array(b, 0, n)],
  i1: [1, (b, n) => new Int8Array(b, 0, n)],
  u1: [1, (b, n) => new Uint8Array(b, 0, n)],
  b1: [1, (b, n) => new Uint8Array(b, 0, n)],
};

/** Parses one .npy file's bytes. */
export function parseNpy(input: Uint8Array, what = 'array'): NpyArray {
  const bytes = toBytes(input);
  const fail = (m: string, at: number): never => { throw new NpyError(`${what}: ${m} at byte offset ${at}`); };
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') fail('not a .npy array (magic)', 0);
  const major = bytes[6];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? v.getUint16(8, true) : v.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) fail('header runs past the end', 8);
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([<>|=])([a-z]\d+)'/.exec(header);
  const shapeM = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shapeM) fail(`cannot parse header ${JSON.stringify(header.trim())}`, start);
  if (/'fortran_order':\s*True/.test(header)) fail('Fortran-order arrays are not supported', start);
  if (descr![1] === '>') fail(`big-endian dtype ${descr![2]} is not supported`, start);
  const kind = DTYPES[descr![2]];
  if (!kind) fail(`unsupported dtype ${descr![2]}`, start);
  const shape = shapeM![1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const n = shape.reduce((a, d) => a * d, 1);
  const dataAt = start + headerLen;
  if (dataAt + n * kind[0] > bytes.length) fail(`data for shape (${shape.join(', ')}) runs past the end`, dataAt);
  const copy = bytes.slice(dataAt, dataAt + n * kind[0]).buffer; // aligned copy
  return { dtype: descr![2], shape, data: kind[1](copy, n) };
}

/** Parses a .npz archive: member name (without ".npy") -> array. */
export function parseNpz(input: Uint8Array, what = 'archive'): Map<string, NpyArray> {
  const bytes = toBytes(input);
  const fail = (m: string, at: number): never => { throw new NpyError(`${what}: ${m} at byte offset ${at}`); };
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (v.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) fail('not a zip archive (no end-of-central-directory record)', bytes.length);
  const count = v.getUint16(eocd + 10, true);
  let at = v.getUint32(eocd + 16, true);
  const out = new Map<string, NpyArray>();
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || v.getUint32(at, true) !== 0x02014b50) fail('bad central directory entry', at);
    const method = v.getUint16(at + 10, true);
    const compSize = v.getUint32(at + 20, true), size = v.getUint32(at + 24, true);
    const nameLen = v.getUint16(at + 28, true), extraLen = v.getUint16(at + 30, true), commentLen = v.getUint16(at + 32, true);
    const local = v.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLen));
    at += 46 + nameLen + extraLen + commentLen;
    if (local + 30 > bytes.length || v.getUint32(local, true) !== 0x04034b50) fail(`bad local header for ${name}`, local);
    const dataAt = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    if (dataAt + compSize > bytes.length) fail(`member ${name} runs past the end`, dataAt);
    const raw = bytes.subarray(dataAt, dataAt + compSize);
    let member: Uint8Array;
    if (method === 0) member = raw;
    else if (method === 8) member = new Uint8Array(inflateRawSync(raw));
    else fail(`member ${name} uses unsupported compression method ${method}`, local);
    if (member!.length !== size) fail(`member ${name} inflates to ${member!.length} bytes, expected ${size}`, dataAt);
    out.set(name.replace(/\.npy$/, ''), parseNpy(member!, `${what}/${name}`));
  }
  return out;
}
