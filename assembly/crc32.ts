// CRC-32 (IEEE, reflected 0xEDB88320), table built on first use in static memory.

const table = memory.data(256 * 4);
let ready = false;

function build(): void {
  for (let n: u32 = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    store<u32>(table + (<usize>n << 2), c);
  }
  ready = true;
}

export function crc32(ptr: usize, len: usize): u32 {
  return crc32Update(0xffffffff, ptr, len) ^ 0xffffffff;
}

/** Folds [ptr, ptr+len) into a running CRC state (start 0xffffffff, finish with ^ 0xffffffff). */
export function crc32Update(state: u32, ptr: usize, len: usize): u32 {
  if (!ready) build();
  let c = state;
  for (let i: usize = 0; i < len; i++) {
    c = load<u32>(table + (<usize>((c ^ <u32>load<u8>(ptr + i)) & 0xff) << 2)) ^ (c >>> 8);
  }
  return c;
}
