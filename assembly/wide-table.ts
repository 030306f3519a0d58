// The state of the widened GEMM weights (wide.ts) that the interpreter reads: a file of its
// own, without imports, so that builds without them (WIDE_GEMM false) compile as before.

/**
 * Compiled into the full scalar build only: not into the SIMD build, the streamed and WASI
 * builds (`asc --use EP_NO_WIDE=1` in npm run build:wasm) nor the model-specific firmware
 * runtimes (`--use EP_KERNELS=...`).
 */
// @ts-ignore: EP_KERNELS and EP_NO_WIDE exist only when given with --use
export const WIDE_GEMM: bool = !ASC_FEATURE_SIMD && !isDefined(EP_KERNELS) && !isDefined(EP_NO_WIDE);

/**
 * The SIMD build's form (kernels/gemm16-simd.ts): blocked conv weights widened to int16 pairs,
 * 2 bytes per weight, when the host asks (ep_set_wide_gemm) as for WIDE_GEMM.
 */
// @ts-ignore: EP_KERNELS and EP_NO_WIDE exist only when given with --use
export const WIDE_GEMM16: bool = ASC_FEATURE_SIMD && !isDefined(EP_KERNELS) && !isDefined(EP_NO_WIDE);

/** Whether the host asked for widened weights (ep_set_wide_gemm). */
export let wanted = false;
/** One u32 per tensor: its widened copy, or 0; 0 when nothing was widened. */
let table: usize = 0;
/** The packed pixel pair and sums of gemm-wide.ts: 8 * K8 + 128 bytes for the widest op. */
export let wideRow: usize = 0;

export function wantWide(on: bool): void { wanted = on; }
export function setWide(t: usize, row: usize): void { table = t; wideRow = row; }
export function wideTable(): usize { return table; }

/** The widened copy of weight tensor w, or 0 (the blocked kernels then run). */
// @ts-ignore: decorator
@inline export function wideOf(w: u32): usize {
  return table == 0 ? 0 : <usize>load<u32>(table + (<usize>w << 2));
}
