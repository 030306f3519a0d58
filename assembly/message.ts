// The last error message, built as ASCII in a static buffer: no allocation, ever.

const MESSAGE_CAPACITY: i32 = 400;
const buffer = memory.data(MESSAGE_CAPACITY);
let length: i32 = 0;

export function messagePtr(): usize {
  return buffer;
}

export function messageLength(): i32 {
  return length;
}

export function clear(): void {
  length = 0;
}

/** Appends a string literal (ASCII). */
export function text(s: string): void {
  const n = s.length;
  for (let i = 0; i < n && length < MESSAGE_CAPACITY; i++) {
    store<u8>(buffer + length, <u8>s.charCodeAt(i));
    length++;
  }
}

/** Appends a signed decimal number. */
export function num(v: i64): void {
  if (v < 0) {
    text('-');
    v = -v;
  }
  const digits = memory.data(24);
  let n = 0;
  do {
    store<u8>(digits + n, <u8>(48 + <i32>(v % 10)));
    v /= 10;
    n++;
  } while (v > 0);
  while (n > 0 && length < MESSAGE_CAPACITY) {
    n--;
    store<u8>(buffer + length, load<u8>(digits + n));
    length++;
  }
}
