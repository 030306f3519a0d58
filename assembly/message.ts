// The last error message, built in a static buffer: no allocation, ever.
//
// Message texts are Msg values. The full builds (simd, wasi) compile this source as it is:
// Msg is the string literal and text() appends it as ASCII. The terse builds (scalar,
// streamed: the microcontroller ones) compile a copy made by tools/terse-messages.mjs in
// which every literal is a u16 id and Msg = u16, so no text sits in linear memory (RAM);
// text() appends ESCAPE, id low, id high, and the host expands the id from the table in
// the module's `ep.messages` custom section (docs/ABI.md "Error messages").
// Numbers are ASCII digits in both builds.

export type Msg = string;
/** No message (id 0 in the terse builds): what a check returns when it passes. */
export const NO_MESSAGE: Msg = '';
export const ESCAPE: u8 = 0xff; // never in ASCII text nor in UTF-8

const TERSE = !isString<Msg>();
// Longest message: 'op ' u32 ' (' opName ') at byte offset ' i64 ': ' problem.
// Terse: 6 ids x 3 bytes + 10 + 20 digits = 48 bytes. Full: the longest literal (about
// 110 chars) + 17 + 2 + 20 + 2 + 3 + 10 + 2 + 17 (opName) < 256.
const CAPACITY: i32 = TERSE ? 64 : 256;
const buffer = memory.data(CAPACITY);
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

// @ts-ignore: decorator
@inline function put(c: u32): void {
  store<u8>(buffer + length, <u8>c);
  length++;
}

/** Appends a message: its ASCII text (full build) or its id (terse build; all or nothing). */
export function text(s: Msg): void {
  if (isString<Msg>()) {
    const t = changetype<string>(s);
    const n = t.length;
    for (let i = 0; i < n && length < CAPACITY; i++) put(<u32>t.charCodeAt(i));
  } else {
    const id = <u32>s;
    if (id == 0 || length + 3 > CAPACITY) return;
    put(ESCAPE);
    put(id & 0xff);
    put(id >> 8);
  }
}

/** Appends a signed decimal number (all digits or none). */
export function num(v: i64): void {
  let u = <u64>v;
  if (v < 0) u = <u64>(-v);
  let digits: i32 = 1;
  for (let r = u / 10; r > 0; r /= 10) digits++;
  if (length + digits + (v < 0 ? 1 : 0) > CAPACITY) return;
  if (v < 0) put(45); // '-'
  for (let i = digits - 1; i >= 0; i--) {
    store<u8>(buffer + length + i, <u8>(48 + <u32>(u % 10)));
    u /= 10;
  }
  length += digits;
}
