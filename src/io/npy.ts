// NumPy .npy and .npz readers (self-contained): .npy is a 10-byte preamble
// ("\x93NUMPY", version, header length), a Python-dict header (descr, fortran_order,
// shape) and C-order data; .npz is a zip of .npy members, stored or deflated.
// Values come back as float64-exact numbers in a Float32Array (calibration inputs).

import { inflateRawSync } from 'node:zlib';

export interface NpyArray {
  shape: number[];
  dtype: string;
  data: Float32Array;
}

export class NpyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyError';
  }
}

const READERS: Record<string, [bytes: number, read: (v: DataView, o: number, le: boolean) => number]> = {
  f4: [4, (v, o, le) => v.getFloat32(o, le)],
  f8: [8, (v, o, le) => v.getFloat64(o, le)],
  i1: [1, (v, o) => v.getInt8(o)],
  u1: [1, (v, o) => v.getUint8(o)],
  i2: [2, (v, o, le) => v.getInt16(o, le)],
  u2: [2, (v, o, le) => v.getUint16(o, le)],
  i4: [4, (v, o, le) => v.getInt32(o, le)],
  u4: [4, (v, o, le) => v.getUint32(o, le)],
  i8: [8, (v, o, le) => Number(v.getBigInt64(o, le))],
  b1: [1, (v, o) => v.getUint8(o)],
};

export function readNpy(bytes: Uint8Array, name = 'array.npy'): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new NpyError(`${name}: not a .npy file (bad magic at byte 0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLen > bytes.length) throw new NpyError(`${name}: header runs past the end of the file`);
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([<>|=])([a-z]\d)'/.exec(header);
  const shapeM = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shapeM) throw new NpyError(`${name}: cannot parse header ${JSON.stringify(header.trim())}`);
  if (/'fortran_order':\s*True/.test(header)) throw new NpyError(`${name}: Fortran-order arrays are not supported`);
  const reader = READERS[descr[2]];
  if (!reader) throw new NpyError(`${name}: dtype ${descr[1]}${descr[2]} is not supported`);
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const [size, read] = reader;
  if (dataStart + count * size > bytes.length) {
    throw new NpyError(`${name}: shape ${JSON.stringify(shape)} needs ${count * size} data bytes, file has ${bytes.length - dataStart}`);
  }
  const le = descr[1] !== '>';
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = read(view, dataStart + i * size, le);
  return { shape, dtype: descr[1] + descr[2], data };
}

/** Members of a .npz (zip) archive, in archive order, by name without ".npy". */
export function readNpz(bytes: Uint8Array, name = 'arrays.npz'): Map<string, NpyArray> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // End of central directory: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 65557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new NpyError(`${name}: not a zip archive (no end-of-central-directory record)`);
  const entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  const out = new Map<string, NpyArray>();
  for (let e = 0; e < entries; e++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== 0x02014b50) throw new NpyError(`${name}: bad central directory entry at byte offset ${p}`);
    const method = view.getUint16(p + 10, true);
    const compressed = view.getUint32(p + 20, true);
    const nameLen = view.getUint16(p + 28, true), extraLen = view.getUint16(p + 30, true), commentLen = view.getUint16(p + 32, true);
    const local = view.getUint32(p + 42, true);
    const member = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (view.getUint32(local, true) !== 0x04034b50) throw new NpyError(`${name}: bad local header for ${member} at byte offset ${local}`);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(dataStart, dataStart + compressed);
    let body: Uint8Array;
    if (method === 0) body = raw;
    else if (method === 8) body = new Uint8Array(inflateRawSync(raw));
    else throw new NpyError(`${name}: member ${member} uses compression method ${method} (stored or deflate only)`);
    out.set(member.replace(/\.npy$/, ''), readNpy(body, `${name}:${member}`));
  }
  return out;
}
