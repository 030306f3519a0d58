// Elementwise int8 activations as a 256-entry table computed offline by the converter
// (LOGISTIC, TANH, LEAKY_RELU, HARD_SWISH, standalone RELU/RELU6): y = table[x + 128].
// Exact by construction: the table holds quantize(f(dequantize(x))) for every int8 x.
// 256 bytes of constant per op, no scratch, one load per element.

/** lut_s8: x int8 [n], table int8 [256], y int8 [n]. Reads table[0..255] only. Already the
 *  plain scalar form, so it is its own reference. */
export function lut_s8(x: usize, table: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    store<i8>(y + i, load<i8>(table + <usize>(<i32>load<i8>(x + i) + 128)));
  }
}
