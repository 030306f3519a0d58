// Canonical Huffman codes over byte symbols, lengths limited to 15 bits (what the runtime
// decoder reads). Lengths come from the classic merge of the two rarest nodes, clamped to
// 15 and repaired until the Kraft sum is <= 1; codes are then assigned canonically
// (shorter first, ties by symbol), so counts per length + the symbol order define them.

export const MAX_CODE_BITS = 15;

export interface HuffmanCode {
  /** counts[L] = number of codes of length L (L = 1..15); counts[0] = 0. */
  counts: number[];
  /** Symbols in canonical code order. */
  symbols: number[];
  /** Code length per symbol (0 = absent). */
  lengths: number[];
  /** Code per symbol, as an integer read most-significant bit first. */
  codes: number[];
}

/** Code lengths for the given symbol frequencies (256 entries), <= 15 bits. */
export function codeLengths(freq: ArrayLike<number>): number[] {
  const lengths = new Array<number>(freq.length).fill(0);
  const used = Array.from(freq, (f, s) => [f, s] as const).filter(([f]) => f > 0);
  if (used.length === 0) return lengths;
  if (used.length === 1) {
    lengths[used[0][1]] = 1;
    return lengths;
  }
  // Nodes: leaves then internal; simple O(n^2) merge is fine for 256 symbols.
  type Node = { w: number; syms: number[] };
  let nodes: Node[] = used.map(([f, s]) => ({ w: f, syms: [s] }));
  while (nodes.length > 1) {
    nodes.sort((a, b) => a.w - b.w || a.syms[0] - b.syms[0]);
    const [a, b] = nodes;
    for (const s of [...a.syms, ...b.syms]) lengths[s]++;
    nodes = [{ w: a.w + b.w, syms: [...a.syms, ...b.syms] }, ...nodes.slice(2)];
  }
  return limitLengths(lengths, freq);
}

/** Clamps lengths to 15 bits, then lengthens the rarest short codes until Kraft <= 1. */
function limitLengths(lengths: number[], freq: ArrayLike<number>): number[] {
  const one = 1 << MAX_CODE_BITS;
  const kraft = () => lengths.reduce((a, l) => a + (l ? one >> l : 0), 0);
  for (let s = 0; s < lengths.length; s++) if (lengths[s] > MAX_CODE_BITS) lengths[s] = MAX_CODE_BITS;
  while (kraft() > one) {
    let pick = -1;
    for (let s = 0; s < lengths.length; s++) {
      if (lengths[s] > 0 && lengths[s] < MAX_CODE_BITS && (pick < 0 || freq[s] < freq[pick] || (freq[s] === freq[pick] && lengths[s] > lengths[pick]))) pick = s;
    }
    lengths[pick]++;
  }
  return lengths;
}

export function canonicalCode(lengths: number[]): HuffmanCode {
  const counts = new Array<number>(MAX_CODE_BITS + 1).fill(0);
  lengths.forEach((l) => l && counts[l]++);
  const symbols = lengths.map((l, s) => [l, s]).filter(([l]) => l > 0).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, s]) => s);
  const codes = new Array<number>(lengths.length).fill(0);
  let code = 0, prevLen = 0;
  for (const s of symbols) {
    code <<= lengths[s] - prevLen;
    prevLen = lengths[s];
    codes[s] = code++;
  }
  return { counts, symbols, lengths, codes };
}

export function buildCode(symbols: Uint8Array): HuffmanCode {
  const freq = new Array<number>(256).fill(0);
  for (const s of symbols) freq[s]++;
  return canonicalCode(codeLengths(freq));
}

/** Bit writer: LSB-first within bytes, as the runtime reads. */
export class BitWriter {
  private bytes: number[] = [];
  bit = 0;
  writeCode(code: number, len: number): void {
    for (let k = len - 1; k >= 0; k--) {
      if ((this.bit & 7) === 0) this.bytes.push(0);
      if ((code >> k) & 1) this.bytes[this.bytes.length - 1] |= 1 << (this.bit & 7);
      this.bit++;
    }
  }
  finish(padBytes: number): Uint8Array {
    return Uint8Array.from([...this.bytes, ...new Array(padBytes).fill(0)]);
  }
}

/** Reference decoder (the runtime's algorithm): n symbols from bits [bit, endBit). */
export function decodeSymbols(stream: Uint8Array, bit: number, endBit: number, counts: number[], symbols: number[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let pos = bit;
  for (let i = 0; i < n; i++) {
    let code = 0, first = 0, index = 0, sym = -1;
    for (let len = 1; len <= MAX_CODE_BITS; len++) {
      if (pos >= endBit) throw new Error(`Huffman stream ends inside symbol ${i}`);
      code |= (stream[pos >> 3] >> (pos & 7)) & 1;
      pos++;
      if (code - first < counts[len]) {
        sym = symbols[index + code - first];
        break;
      }
      index += counts[len];
      first = (first + counts[len]) << 1;
      code <<= 1;
    }
    if (sym < 0) throw new Error(`invalid Huffman code at symbol ${i}`);
    out[i] = sym;
  }
  return out;
}
