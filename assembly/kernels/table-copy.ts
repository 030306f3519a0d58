// TABLE_COPY over int8: the data-movement ops of issue 10 (RESIZE_NEAREST_NEIGHBOR,
// MIRROR_PAD, DEPTH_TO_SPACE, SPACE_TO_DEPTH, BATCH_TO_SPACE_ND, SPACE_TO_BATCH_ND without
// padding, GATHER with constant indices) as one separable gather. The converter
// (src/passes/prepare/table-copy.ts) views the output as [v0, v1, v2, v3] and computes, per
// view axis k, the input offset t_k[i] each index adds: output element (i0, i1, i2, i3),
// in raster order, is input element t0[i0] + t1[i1] + t2[i2] + t3[i3]. The loader checked
// every entry >= 0 and the largest sum inside the input (assembly/ops.ts validateTableCopy).

/** table_copy_s8: t points at the view dims v[4] followed by the four tables, back to back. */
export function table_copy_s8(x: usize, y: usize, t: usize): void {
  const v0 = load<i32>(t), v1 = load<i32>(t, 4), v2 = load<i32>(t, 8), v3 = load<i32>(t, 12);
  const t0 = t + 16, t1 = t0 + (<usize>v0 << 2), t2 = t1 + (<usize>v1 << 2), t3 = t2 + (<usize>v2 << 2);
  let out = y;
  for (let i0 = 0; i0 < v0; i0++) {
    const o0 = load<i32>(t0 + (<usize>i0 << 2));
    for (let i1 = 0; i1 < v1; i1++) {
      const o1 = o0 + load<i32>(t1 + (<usize>i1 << 2));
      for (let i2 = 0; i2 < v2; i2++) {
        const row = x + <usize>(o1 + load<i32>(t2 + (<usize>i2 << 2)));
        for (let i3 = 0; i3 < v3; i3++) {
          store<i8>(out, load<i8>(row + <usize>load<i32>(t3 + (<usize>i3 << 2))));
          out++;
        }
      }
    }
  }
}
