// Packed-weights blobs (layout in constants.ts `P`/`HUF`, docs/compression.md): encode a
// weight tensor as codebook indices, Huffman codes, or both; and the reference decoder
// that turns a blob back into the tensor's int8 values (tests, inspect, reports).

import { HUF, P, align, hufTileBitsOffset } from './constants.js';
import { BitWriter, buildCode, decodeSymbols } from '../compress/huffman.js';

export type Repr = 'raw' | 'codebook' | 'huffman' | 'codebook+huffman';

/** How a weight tensor splits into output-channel rows. */
export interface RowLayout {
  rows: number;
  rowElems: number;
  /** True when the channel is the last axis (depthwise [1, kh, kw, outC]). */
  channelLast: boolean;
}

export interface Codebook {
  bits: number;
  /** tables x 2^bits centroids; tables = 1 (per tensor) or rows (per output channel). */
  tables: Int8Array;
  tableCount: number;
  /** One index per weight, in the tensor's own layout. */
  indices: Uint8Array;
}

/** Largest Huffman tile the runtime decodes at once: 4096 bytes of scratch, or one row if larger. */
export const TILE_BUDGET_BYTES = 4096;

export function rowsPerTile(l: RowLayout): number {
  return Math.max(1, Math.min(l.rows, Math.floor(TILE_BUDGET_BYTES / l.rowElems)));
}

/** Symbols in channel-major order (row r = output channel r). */
function channelMajor(l: RowLayout, sym: Uint8Array): Uint8Array {
  if (!l.channelLast) return sym;
  const out = new Uint8Array(sym.length);
  for (let k = 0; k < l.rowElems; k++) for (let o = 0; o < l.rows; o++) out[o * l.rowElems + k] = sym[k * l.rows + o];
  return out;
}

function packBits(indices: Uint8Array, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((indices.length * bits) / 8) + 1); // +1: the runtime reads u16s
  indices.forEach((v, e) => {
    const bit = e * bits;
    const word = v << (bit & 7);
    out[bit >> 3] |= word & 0xff;
    out[(bit >> 3) + 1] |= word >> 8;
  });
  return out;
}

function huffmanPayload(l: RowLayout, sym: Uint8Array): { payload: Uint8Array; tiles: number; rpt: number } {
  const code = buildCode(sym);
  const rpt = rowsPerTile(l);
  const tiles = Math.ceil(l.rows / rpt);
  const w = new BitWriter();
  const tileBits: number[] = [];
  for (let i = 0; i < sym.length; i++) {
    if (i % (rpt * l.rowElems) === 0) tileBits.push(w.bit);
    w.writeCode(code.codes[sym[i]], code.lengths[sym[i]]);
  }
  tileBits.push(w.bit);
  const stream = w.finish(0);
  const tileBitsAt = hufTileBitsOffset(code.symbols.length);
  const head = tileBitsAt + 4 * (tiles + 1);
  const payload = new Uint8Array(head + stream.length);
  const v = new DataView(payload.buffer);
  code.counts.forEach((c, len) => v.setUint16(HUF.counts + 2 * len, c, true));
  payload.set(code.symbols, HUF.symbols);
  tileBits.forEach((b, i) => v.setUint32(tileBitsAt + 4 * i, b, true));
  payload.set(stream, head);
  return { payload, tiles, rpt };
}

/** Encodes weights as a blob. `values` are the int8 weights (used when there is no codebook). */
export function encodeBlob(l: RowLayout, values: Int8Array, cb: Codebook | null, huffman: boolean): Uint8Array {
  if (!cb && !huffman) throw new Error('a packed blob needs a codebook or Huffman coding');
  const tableBytes = cb ? cb.tableCount << cb.bits : 0;
  const payloadOff = align(P.headerBytes + tableBytes, 4);
  let payload: Uint8Array, tiles = 0, rpt = 0;
  if (huffman) {
    const sym = cb ? cb.indices : new Uint8Array(values.buffer, values.byteOffset, values.length);
    ({ payload, tiles, rpt } = huffmanPayload(l, channelMajor(l, sym)));
  } else payload = packBits(cb!.indices, cb!.bits);
  const blob = new Uint8Array(payloadOff + payload.length);
  const v = new DataView(blob.buffer);
  v.setUint32(P.blobBytes, blob.length, true);
  v.setUint8(P.bits, cb ? cb.bits : 0);
  v.setUint8(P.huffman, huffman ? 1 : 0);
  v.setUint16(P.tables, cb ? cb.tableCount : 0, true);
  v.setUint32(P.rows, l.rows, true);
  v.setUint32(P.rowElems, l.rowElems, true);
  v.setUint32(P.rowsPerTile, rpt, true);
  v.setUint32(P.tileCount, tiles, true);
  v.setUint32(P.payloadOff, payloadOff, true);
  v.setUint32(P.payloadBytes, payload.length, true);
  if (cb) blob.set(new Uint8Array(cb.tables.buffer, cb.tables.byteOffset, tableBytes), P.headerBytes);
  blob.set(payload, payloadOff);
  return blob;
}

export interface BlobInfo {
  blobBytes: number;
  bits: number;
  huffman: boolean;
  tables: number;
  rows: number;
  rowElems: number;
  rowsPerTile: number;
  tileCount: number;
  /** Bytes of scratch one tile needs (0 without Huffman). */
  tileBytes: number;
  repr: Repr;
}

export function blobInfo(blob: Uint8Array): BlobInfo {
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const bits = v.getUint8(P.bits), huffman = v.getUint8(P.huffman) !== 0;
  const rowElems = v.getUint32(P.rowElems, true), rowsPerTile = v.getUint32(P.rowsPerTile, true);
  return {
    blobBytes: v.getUint32(P.blobBytes, true), bits, huffman, tables: v.getUint16(P.tables, true),
    rows: v.getUint32(P.rows, true), rowElems, rowsPerTile, tileCount: v.getUint32(P.tileCount, true),
    tileBytes: huffman ? rowsPerTile * rowElems : 0,
    repr: bits ? (huffman ? 'codebook+huffman' : 'codebook') : 'huffman',
  };
}

/** Reference decoder: the blob's int8 weights in the tensor's own layout. */
export function decodeBlob(blob: Uint8Array, channelLast: boolean): Int8Array {
  const info = blobInfo(blob);
  const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const n = info.rows * info.rowElems;
  const payload = blob.subarray(v.getUint32(P.payloadOff, true));
  const tables = new Int8Array(blob.buffer, blob.byteOffset + P.headerBytes, info.tables << info.bits);
  const table = (row: number, idx: number) => tables[(info.tables === 1 ? 0 : row << info.bits) + idx];
  const out = new Int8Array(n);
  const rowOf = (e: number) => (channelLast ? e % info.rows : Math.floor(e / info.rowElems));
  if (!info.huffman) {
    for (let e = 0; e < n; e++) {
      const bit = e * info.bits;
      const idx = ((payload[bit >> 3] | (payload[(bit >> 3) + 1] << 8)) >> (bit & 7)) & ((1 << info.bits) - 1);
      out[e] = table(rowOf(e), idx);
    }
    return out;
  }
  const pv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const counts = Array.from({ length: 16 }, (_, l) => pv.getUint16(HUF.counts + 2 * l, true));
  const nsym = counts.reduce((a, c) => a + c, 0);
  const symbols = Array.from(payload.subarray(HUF.symbols, HUF.symbols + nsym));
  const tileBitsAt = hufTileBitsOffset(nsym);
  const head = tileBitsAt + 4 * (info.tileCount + 1);
  const stream = payload.subarray(head);
  const major = new Int8Array(n);
  for (let i = 0; i < info.tileCount; i++) {
    const r0 = i * info.rowsPerTile, r1 = Math.min(info.rows, r0 + info.rowsPerTile);
    const sym = decodeSymbols(stream, pv.getUint32(tileBitsAt + 4 * i, true), pv.getUint32(tileBitsAt + 4 * i + 4, true), counts, symbols, (r1 - r0) * info.rowElems);
    sym.forEach((s, j) => {
      const row = r0 + Math.floor(j / info.rowElems);
      major[r0 * info.rowElems + j] = info.bits ? table(row, s) : (s << 24) >> 24;
    });
  }
  if (!channelLast) return major;
  for (let k = 0; k < info.rowElems; k++) for (let o = 0; o < info.rows; o++) out[k * info.rows + o] = major[o * info.rowElems + k];
  return out;
}

