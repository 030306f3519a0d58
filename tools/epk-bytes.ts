// Where the bytes of an .epk go (docs/compression.md "Ninth round"): every byte of the file
// assigned to exactly one line -- header, section table, each section, the gaps that align
// sections, and inside Data each constant by its role (filter blob parts, bias, mult, shift,
// other) plus the 16-byte alignment between constants. Lines sum to the file size (checked).
// Beside each non-filter line, what a lossless compact form would take (an estimate, not a
// format): shifts as int8, biases at the narrowest of 1/2/3/4 bytes per tensor, constants
// aligned to 4 instead of 16 (shifts and biases already narrow count as they are).
// Usage: node dist/tools/epk-bytes.js FILE.epk [--layers]

import { readFileSync } from 'node:fs';
import { readEpk, EpkTensor } from '../src/format/reader.js';
import { DType, Encoding, HUF, OpCode, P, Section, TENSOR_RECORD_BYTES, align, hufTileBitsOffset } from '../src/format/constants.js';

const file = process.argv[2];
if (!file) throw new Error('usage: epk-bytes FILE.epk [--layers]');
const bytes = new Uint8Array(readFileSync(file));
const epk = readEpk(bytes);
const dataSec = epk.sections.find((s) => s.kind === Section.Data)!;

const lines = new Map<string, number>();
const add = (k: string, n: number) => lines.set(k, (lines.get(k) ?? 0) + n);

// header + section table, sections and the gaps between them
const tableEnd = 32 + 16 * epk.sections.length;
add('header', 32);
add('section table', 16 * epk.sections.length);
const sorted = [...epk.sections].sort((a, b) => a.offset - b.offset);
let end = tableEnd;
for (const s of sorted) {
  add('section alignment', s.offset - end);
  if (s.kind !== Section.Data) add(`section ${Section[s.kind]}`, s.size);
  end = s.offset + s.size;
}
add('section alignment', bytes.length - end);

// roles of constants, from the ops that read them
const role = new Map<number, string>();
const WEIGHTED = new Set([OpCode.Conv2D, OpCode.DepthwiseConv2D, OpCode.FullyConnected, OpCode.TransposeConv]);
for (const op of epk.ops) {
  if (!WEIGHTED.has(op.opcode)) continue;
  const names = op.inputs.length === 4 ? ['x', 'filter', 'bias', 'requant table'] : ['x', 'filter', 'bias', 'mult', 'shift'];
  op.inputs.forEach((t, i) => { if (i > 0 && t !== 0xffff) role.set(t, names[i]); });
}

// Data: each distinct offset once (identical arrays share), with the gap before it
const byOffset = new Map<number, EpkTensor>();
for (const t of epk.tensors) if (t.kind === 1 && !byOffset.has(t.offset)) byOffset.set(t.offset, t);
const consts = [...byOffset.values()].sort((a, b) => a.offset - b.offset);
let at = 0, compact = 0, aligned4 = 0, channels = 0, biasCompact = 0;
const blobLines: string[] = [];
for (const t of consts) {
  add('data alignment (16 B)', t.offset - at);
  const r = role.get(t.index) ?? 'other constant';
  if (t.encoding === Encoding.Packed) {
    const blob = epk.data.subarray(t.offset, t.offset + t.storedBytes);
    const v = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const info = t.packed!;
    const tableBytes = info.tables << info.bits;
    const payloadOff = v.getUint32(P.payloadOff, true);
    add('filter blob header', P.headerBytes);
    add('filter codebook tables', tableBytes);
    add('filter blob header alignment', payloadOff - P.headerBytes - tableBytes);
    const payload = blob.subarray(payloadOff);
    if (info.huffman) {
      const pv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      let nsym = 0;
      for (let l = 0; l < 16; l++) nsym += pv.getUint16(HUF.counts + 2 * l, true);
      const tb = hufTileBitsOffset(nsym), head = tb + 4 * (info.tileCount + 1);
      add('filter Huffman counts', 32);
      add('filter Huffman symbols (+pad to 4)', tb - HUF.symbols);
      add('filter Huffman tile offsets', 4 * (info.tileCount + 1));
      add('filter Huffman stream', payload.length - head);
      blobLines.push(`  ${t.name || `tensor ${t.index}`} [${t.shape}] ${info.repr} bits ${info.bits} tiles ${info.tileCount}: blob ${blob.length} B = header ${P.headerBytes} + tables ${tableBytes} + huffman table ${tb} + tile offsets ${4 * (info.tileCount + 1)} + stream ${payload.length - head}`);
    } else add('filter codebook indices', payload.length);
  } else if (r === 'filter') add('filter raw int8', t.storedBytes);
  else {
    add(`${r} (${DType[t.dtype]})`, t.storedBytes);
    const n = t.storedBytes / 4;
    if (r === 'shift' && t.dtype === DType.Int32) { compact += n; channels += n; }
    else if (r === 'shift' || (r === 'bias' && t.dtype !== DType.Int32)) {
      // already narrow (int8 shifts, int16 biases beside compressed filters): nothing to save
      if (r === 'shift') compact += t.storedBytes;
      else biasCompact += t.storedBytes;
    } else if (r === 'bias' && t.dtype === DType.Int32) {
      const vals = new Int32Array(epk.data.buffer.slice(epk.data.byteOffset + t.offset, epk.data.byteOffset + t.offset + t.storedBytes));
      const m = Math.max(...Array.from(vals, (x) => (x < 0 ? -x - 1 : x)));
      const w = m < 128 ? 1 : m < 32768 ? 2 : m < 1 << 23 ? 3 : 4;
      biasCompact += n * w;
    }
  }
  at = t.offset + t.storedBytes;
  aligned4 += align(t.storedBytes, 4);
}
add('data alignment (16 B)', dataSec.size - at);

const total = [...lines.values()].reduce((a, b) => a + b, 0);
if (total !== bytes.length) throw new Error(`lines sum to ${total}, file is ${bytes.length}`);
const pct = (n: number) => ((100 * n) / bytes.length).toFixed(1).padStart(5);
console.log(`${file}: ${bytes.length} B, ${epk.tensors.length} tensor records (${TENSOR_RECORD_BYTES} B each), ${epk.ops.length} ops, ${consts.length} distinct constants`);
for (const [k, n] of [...lines].sort((a, b) => b[1] - a[1])) if (n) console.log(`${String(n).padStart(7)} B ${pct(n)}%  ${k}`);
const filter = [...lines].filter(([k]) => k.startsWith('filter')).reduce((a, [, n]) => a + n, 0);
const weights = (lines.get('filter Huffman stream') ?? 0) + (lines.get('filter codebook indices') ?? 0) + (lines.get('filter raw int8') ?? 0) + (lines.get('filter codebook tables') ?? 0);
console.log(`filter bytes ${filter} (${pct(filter)}%): weight indices/values + codebooks ${weights}, blob framing ${filter - weights}; everything else ${bytes.length - filter} (${pct(bytes.length - filter)}%)`);
const shiftBytes = [...lines].filter(([k]) => k.startsWith('shift')).reduce((a, [, n]) => a + n, 0);
const biasBytes = [...lines].filter(([k]) => k.startsWith('bias')).reduce((a, [, n]) => a + n, 0);
const align16 = lines.get('data alignment (16 B)') ?? 0;
const align4 = aligned4 - consts.reduce((a, t) => a + t.storedBytes, 0);
console.log(`lossless estimates: shift int32 -> int8 saves ${shiftBytes - compact} B (${channels} channels); bias at the narrowest width per tensor saves ${biasBytes - biasCompact} B; constants aligned to 4 not 16 saves ${align16 - align4} B`);
if (process.argv.includes('--layers')) console.log(blobLines.join('\n'));
