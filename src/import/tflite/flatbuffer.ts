// Bounds-checked access to FlatBuffers tables, on the `flatbuffers` ByteBuffer.
// Every offset is checked against the file before it is followed, so a truncated or
// hostile file gives a ConvertError naming the byte offset, never a RangeError.

import * as flatbuffers from 'flatbuffers';
import { ConvertError } from '../../ir/graph.js';

export class FbFile {
  readonly bb: flatbuffers.ByteBuffer;
  readonly size: number;

  constructor(readonly bytes: Uint8Array, readonly name: string) {
    this.bb = new flatbuffers.ByteBuffer(bytes);
    this.size = bytes.length;
  }

  fail(what: string, offset: number): never {
    throw new ConvertError(`${this.name}: ${what} at byte offset ${offset}`);
  }

  check(offset: number, bytes: number, what: string): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + bytes > this.size) {
      this.fail(`${what} out of file bounds (file is ${this.size} bytes)`, offset);
    }
  }

  u8(o: number): number { this.check(o, 1, 'u8'); return this.bb.readUint8(o); }
  i8(o: number): number { this.check(o, 1, 'i8'); return this.bb.readInt8(o); }
  u16(o: number): number { this.check(o, 2, 'u16'); return this.bb.readUint16(o); }
  i16(o: number): number { this.check(o, 2, 'i16'); return this.bb.readInt16(o); }
  u32(o: number): number { this.check(o, 4, 'u32'); return this.bb.readUint32(o); }
  i32(o: number): number { this.check(o, 4, 'i32'); return this.bb.readInt32(o); }
  f32(o: number): number { this.check(o, 4, 'f32'); return this.bb.readFloat32(o); }
  i64(o: number): bigint { this.check(o, 8, 'i64'); return this.bb.readInt64(o); }
  u64(o: number): bigint { this.check(o, 8, 'u64'); return this.bb.readUint64(o); }

  root(): Table {
    return new Table(this, this.u32(0), 'root table');
  }
}

/** A table: its position and vtable, with typed field readers by field id. */
export class Table {
  private readonly vtable: number;
  private readonly vtableBytes: number;

  constructor(readonly file: FbFile, readonly pos: number, readonly what: string) {
    file.check(pos, 4, what);
    this.vtable = pos - file.i32(pos);
    this.vtableBytes = file.u16(this.vtable);
    file.check(this.vtable, this.vtableBytes, `${what} vtable`);
  }

  /** Absolute offset of field `id`, or 0 when absent. */
  field(id: number): number {
    const vo = 4 + 2 * id;
    if (vo + 2 > this.vtableBytes) return 0;
    const rel = this.file.u16(this.vtable + vo);
    return rel === 0 ? 0 : this.pos + rel;
  }

  has(id: number): boolean {
    return this.field(id) !== 0;
  }

  u8(id: number, def = 0): number { const o = this.field(id); return o ? this.file.u8(o) : def; }
  i8(id: number, def = 0): number { const o = this.field(id); return o ? this.file.i8(o) : def; }
  bool(id: number, def = false): boolean { const o = this.field(id); return o ? this.file.u8(o) !== 0 : def; }
  i32(id: number, def = 0): number { const o = this.field(id); return o ? this.file.i32(o) : def; }
  u32(id: number, def = 0): number { const o = this.field(id); return o ? this.file.u32(o) : def; }
  f32(id: number, def = 0): number { const o = this.field(id); return o ? this.file.f32(o) : def; }
  u64(id: number, def = 0n): bigint { const o = this.field(id); return o ? this.file.u64(o) : def; }

  private indirect(o: number): number {
    return o + this.file.u32(o);
  }

  table(id: number, what: string): Table | null {
    const o = this.field(id);
    return o ? new Table(this.file, this.indirect(o), what) : null;
  }

  string(id: number): string | null {
    const o = this.field(id);
    if (!o) return null;
    const s = this.indirect(o);
    const len = this.file.u32(s);
    this.file.check(s + 4, len, 'string');
    return new TextDecoder().decode(this.file.bytes.subarray(s + 4, s + 4 + len));
  }

  /** Position and length of a vector field's elements, or null. */
  vector(id: number, elemBytes: number, what: string): { start: number; length: number } | null {
    const o = this.field(id);
    if (!o) return null;
    const v = this.indirect(o);
    const length = this.file.u32(v);
    this.file.check(v + 4, length * elemBytes, what);
    return { start: v + 4, length };
  }

  i32Vector(id: number, what: string): number[] {
    const v = this.vector(id, 4, what);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => this.file.i32(v.start + 4 * i));
  }

  f32Vector(id: number, what: string): number[] {
    const v = this.vector(id, 4, what);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => this.file.f32(v.start + 4 * i));
  }

  i64Vector(id: number, what: string): bigint[] {
    const v = this.vector(id, 8, what);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => this.file.i64(v.start + 8 * i));
  }

  bytes(id: number, what: string): Uint8Array | null {
    const v = this.vector(id, 1, what);
    return v ? this.file.bytes.subarray(v.start, v.start + v.length) : null;
  }

  tables(id: number, what: string): Table[] {
    const v = this.vector(id, 4, what);
    if (!v) return [];
    return Array.from({ length: v.length }, (_, i) => {
      const o = v.start + 4 * i;
      return new Table(this.file, o + this.file.u32(o), `${what}[${i}]`);
    });
  }
}
