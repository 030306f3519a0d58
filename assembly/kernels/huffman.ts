// Canonical Huffman decoding of weight tiles into scratch. Codes are 1..15 bits long,
// assigned canonically from counts[1..15] (u16 each, counts[0] unused) and the symbols
// listed in code order; the stream is read LSB-first within each byte, each code
// most-significant bit first. Decoding never reads at or past `endBit`: a stream that
// runs out or holds an unassigned code stops and reports how many symbols it produced.

export const MAX_CODE_BITS: i32 = 15;

/**
 * Decodes up to n symbols from bits [bit, endBit) of `stream` into `out` (one byte each;
 * out = 0 only checks). Returns the number of symbols decoded: n on success.
 */
export function huff_decode(stream: usize, bit: u64, endBit: u64, counts: usize, symbols: usize, out: usize, n: i32): i32 {
  let pos = bit;
  for (let i = 0; i < n; i++) {
    let code: i32 = 0, first: i32 = 0, index: i32 = 0, sym: i32 = -1;
    for (let len = 1; len <= MAX_CODE_BITS; len++) {
      if (pos >= endBit) return i;
      code |= <i32>(load<u8>(stream + <usize>(pos >> 3)) >>> <u32>(pos & 7)) & 1;
      pos++;
      const count = <i32>load<u16>(counts + (<usize>len << 1));
      if (code - first < count) {
        sym = <i32>load<u8>(symbols + <usize>(index + code - first));
        break;
      }
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    if (sym < 0) return i;
    if (out) store<u8>(out + <usize>i, <u8>sym);
  }
  return n;
}

/**
 * Checks a canonical code: counts sum to nsym <= 256, the code is not over-subscribed
 * (Kraft sum <= 1), and every listed symbol is below `alphabet`. Returns nsym or -1.
 */
export function huff_check_table(counts: usize, symbols: usize, alphabet: i32): i32 {
  let left: i32 = 1, total: i32 = 0;
  if (load<u16>(counts) != 0) return -1;
  for (let len = 1; len <= MAX_CODE_BITS; len++) {
    const count = <i32>load<u16>(counts + (<usize>len << 1));
    left = (left << 1) - count;
    if (left < 0) return -1;
    total += count;
  }
  if (total < 1 || total > 256) return -1;
  for (let i = 0; i < total; i++) if (<i32>load<u8>(symbols + <usize>i) >= alphabet) return -1;
  return total;
}

/** Maps n decoded codebook indices in place to int8 weights: row r uses table r (stride 0: one table). */
export function lut_expand(buf: usize, n: i32, rowElems: i32, row0: i32, tables: usize, tableStride: i32): void {
  for (let i = 0; i < n; i++) {
    const table = tables + <usize>((row0 + i / rowElems) * tableStride);
    store<i8>(buf + <usize>i, load<i8>(table + <usize>load<u8>(buf + <usize>i)));
  }
}
