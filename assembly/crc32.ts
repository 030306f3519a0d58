// CRC-32 (IEEE, reflected 0xEDB88320), four bits at a time: a 16-entry table (64 bytes of
// statics, RAM on a device) instead of the byte-wise 256-entry one (1 KiB). Two lookups
// per byte instead of one; the CRC runs once per load, never per inference.
// Entry n = n shifted through 4 rounds of the reflected polynomial.

const NIBBLES = memory.data<u32>([
  0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
  0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c, 0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
]);

// @ts-ignore: decorator
@inline function nibble(c: u32): u32 {
  return load<u32>(NIBBLES + (<usize>(c & 15) << 2)) ^ (c >>> 4);
}

export function crc32(ptr: usize, len: usize): u32 {
  return crc32Update(0xffffffff, ptr, len) ^ 0xffffffff;
}

/** Folds [ptr, ptr+len) into a running CRC state (start 0xffffffff, finish with ^ 0xffffffff). */
export function crc32Update(state: u32, ptr: usize, len: usize): u32 {
  let c = state;
  for (let i: usize = 0; i < len; i++) c = nibble(nibble(c ^ <u32>load<u8>(ptr + i)));
  return c;
}
