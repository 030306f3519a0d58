// Data movement over 4-byte elements (row MOVE_F32): TABLE_COPY and run-time GATHER on float32,
// the walks of table-copy.ts and gather.ts with offsets counted in elements (the converter's
// tables and the loader's checks are the int8 ones: src/passes/prepare/table-copy.ts,
// assembly/ops.ts validateTableCopy / validateGather). Bits are copied, never converted.

// @ts-ignore: decorator
@inline function at(base: usize, i: i32): usize { return base + (<usize>i << 2); }

/** table_copy_x32: t points at the view dims v[4] then the four element-offset tables (kernels/table-copy.ts). */
export function table_copy_x32(x: usize, y: usize, t: usize): void {
  const v0 = load<i32>(t), v1 = load<i32>(t, 4), v2 = load<i32>(t, 8), v3 = load<i32>(t, 12);
  const t0 = t + 16, t1 = t0 + (<usize>v0 << 2), t2 = t1 + (<usize>v1 << 2), t3 = t2 + (<usize>v2 << 2);
  let out = y;
  for (let i0 = 0; i0 < v0; i0++) {
    const o0 = load<i32>(at(t0, i0));
    for (let i1 = 0; i1 < v1; i1++) {
      const o1 = o0 + load<i32>(at(t1, i1));
      for (let i2 = 0; i2 < v2; i2++) {
        const row = at(x, o1 + load<i32>(at(t2, i2)));
        for (let i3 = 0; i3 < v3; i3++) {
          store<u32>(out, load<u32>(at(row, load<i32>(at(t3, i3)))));
          out += 4;
        }
      }
    }
  }
}

/** gather_x32: as gather_s8 (p = batch, outer, axis, inner; n indices per batch): -1, or the position of the first index outside the axis (nothing read for it). */
export function gather_x32(x: usize, indices: usize, y: usize, p: usize, n: i32): i32 {
  const batch = load<i32>(p), outer = load<i32>(p, 4), axis = load<i32>(p, 8), inner = load<i32>(p, 12);
  const rowBytes = <usize>inner << 2;
  let out = y;
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outer; o++) {
      const src = x + <usize>((b * outer + o) * axis) * rowBytes;
      for (let j = 0; j < n; j++) {
        const k = b * n + j;
        const i = load<i32>(at(indices, k));
        if (i < 0 || i >= axis) return k;
        memory.copy(out, src + <usize>i * rowBytes, rowBytes);
        out += rowBytes;
      }
    }
  }
  return -1;
}
