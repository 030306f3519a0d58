// GATHER over int8 with indices read at run time (int32), as TFLite's reference: x viewed as
// [batch, outer, axis, inner], indices as [batch, n]; y[b, o, j, :] = x[b, o, indices[b, j], :].
// An index outside [0, axis) stops the kernel before it reads: it returns the index's
// position, and invoke fails with BAD_INDEX naming it (interpreter.ts), never a stray read.

/** gather_s8: p = params batch, outer, axis, inner; n indices per batch. -1 when every index was inside the axis, else the position of the first that was not. */
export function gather_s8(x: usize, indices: usize, y: usize, p: usize, n: i32): i32 {
  const batch = load<i32>(p), outer = load<i32>(p, 4), axis = load<i32>(p, 8), inner = load<i32>(p, 12);
  let out = y;
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outer; o++) {
      const src = x + <usize>((b * outer + o) * axis) * <usize>inner;
      for (let j = 0; j < n; j++) {
        const at = b * n + j;
        const i = load<i32>(indices + (<usize>at << 2));
        if (i < 0 || i >= axis) return at;
        memory.copy(out, src + <usize>i * <usize>inner, <usize>inner);
        out += <usize>inner;
      }
    }
  }
  return -1;
}
