// One rule for every API entry that takes bytes: the bytes are exactly the view's
// [byteOffset, byteOffset + byteLength) -- a Node Buffer from the shared pool, a subarray
// with an offset, a DataView or a whole ArrayBuffer. toBytes returns a plain Uint8Array over
// those bytes (no copy), so `.slice()` copies and `.buffer` is never taken without the offset.

/** What the API accepts as bytes. */
export type Bytes = Uint8Array | ArrayBufferView | ArrayBuffer | SharedArrayBuffer;

export function toBytes(input: Bytes, what = 'bytes'): Uint8Array {
  if (input instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && input instanceof SharedArrayBuffer)) {
    return new Uint8Array(input);
  }
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  throw new TypeError(`${what} must be a Uint8Array, Buffer, DataView, other typed array or ArrayBuffer, not ${input === null ? 'null' : typeof input}`);
}

/** An exact, aligned copy of `bytes` into a fresh ArrayBuffer (for typed arrays wider than a byte). */
export function copyBuffer(bytes: Uint8Array): ArrayBuffer {
  const out = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(out).set(bytes);
  return out;
}
