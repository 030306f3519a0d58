// Short byte copies and fills for im2col patches on WebAssembly SIMD128 (SIMD build only).
// A patch row is kw * inC bytes: 3 for a 3x3 first layer over one channel, 48 for a 3x3 over
// 16 channels. memory.copy / memory.fill are calls in V8 and a byte loop costs a branch per
// byte; here a row takes at most a few moves. Never reads or writes outside [s, s + n) and
// [d, d + n): the last move of each width overlaps the previous one instead of running past.

/** Copies n >= 0 bytes from s to d (the ranges do not overlap). */
// @ts-ignore: decorator
@inline export function copyBytesSimd(d: usize, s: usize, n: i32): void {
  const len = <usize>n;
  if (len >= 16) {
    let i: usize = 0;
    for (; i + 16 <= len; i += 16) v128.store(d + i, v128.load(s + i));
    if (i < len) v128.store(d + len - 16, v128.load(s + len - 16));
  } else if (len >= 8) {
    store<u64>(d, load<u64>(s));
    store<u64>(d + len - 8, load<u64>(s + len - 8));
  } else if (len >= 4) {
    store<u32>(d, load<u32>(s));
    store<u32>(d + len - 4, load<u32>(s + len - 4));
  } else if (len >= 2) {
    store<u16>(d, load<u16>(s));
    store<u16>(d + len - 2, load<u16>(s + len - 2));
  } else if (len == 1) {
    store<u8>(d, load<u8>(s));
  }
}

/** Writes n >= 0 bytes of value v at d. */
// @ts-ignore: decorator
@inline export function fillBytesSimd(d: usize, v: u8, n: i32): void {
  const len = <usize>n;
  const x = i8x16.splat(<i8>v);
  if (len >= 16) {
    let i: usize = 0;
    for (; i + 16 <= len; i += 16) v128.store(d + i, x);
    if (i < len) v128.store(d + len - 16, x);
  } else if (len >= 8) {
    v128.store64_lane(d, x, 0);
    v128.store64_lane(d + len - 8, x, 0);
  } else {
    for (let i: usize = 0; i < len; i++) store<u8>(d + i, v);
  }
}
