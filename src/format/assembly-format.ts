// How src/format/constants.ts becomes the runtime's assembly/format.ts: one rule per export,
// in the order the generated file lists them. formatSource() writes the file
// (tools/gen-format.ts); test/format.test.ts checks that the file is current, that every
// export of constants.ts has a rule, and that each of its numbers is in the file, by name,
// with the same value. A new constant is added to constants.ts only; its export then needs a
// rule here (or `null`: not about the file's bytes, e.g. a function or a name table).

import * as C from './constants.js';

type AsType = 'u8' | 'u16' | 'u32' | 'i32';

export interface AsRule {
  /** AssemblyScript type of the generated constant(s). */
  type: AsType;
  /** Objects and enums: the prefix of each member's AS name (a single number keeps the export's name). */
  prefix?: string;
  /** Enum and table members are named by this table (value or key -> NAME) instead of their own name. */
  names?: Record<number, string>;
  /** A record keyed by opcode or dtype: also emit `export const <table>: StaticArray<u8>` indexed by key (absent keys: 0). */
  table?: string;
  /** Emit values in hex. */
  hex?: boolean;
  /** Comment line(s) above the group. */
  doc: string;
}

export const AS_RULES: Record<keyof typeof C, AsRule | null> = {
  MAGIC: { type: 'u32', hex: true, doc: '"EPK\\0" little-endian' },
  VERSION: { type: 'u16', doc: 'format version' },
  HEADER_BYTES: { type: 'u32', doc: 'header size' },
  SECTION_ENTRY_BYTES: { type: 'u32', doc: 'section table entry size' },
  SECTION_ALIGN: { type: 'u32', doc: 'sections start at file offsets aligned to this' },
  TENSOR_RECORD_BYTES: { type: 'u32', doc: 'tensor record size' },
  OP_HEADER_BYTES: { type: 'u32', doc: 'op record header size' },
  MAX_RANK: { type: 'u32', doc: 'highest tensor rank' },
  NO_TENSOR: { type: 'u32', hex: true, doc: 'op record tensor index of an absent optional input' },
  NO_SOURCE: { type: 'u32', hex: true, doc: 'op record source index: none' },
  CRC_START: { type: 'u32', doc: 'the CRC-32 covers bytes [CRC_START, file_bytes)' },
  H: { type: 'u32', prefix: 'H_', doc: 'Header field offsets' },
  SE: { type: 'u32', prefix: 'SE_', doc: 'Section table entry field offsets' },
  Section: { type: 'u32', prefix: 'S_', doc: 'Section kinds' },
  T: { type: 'u32', prefix: 'T_', doc: 'Tensor record field offsets' },
  DType: { type: 'u8', prefix: 'DT_', doc: 'dtypes (tensor record byte T_DTYPE)' },
  DTYPE_BYTES: { type: 'u32', prefix: 'DT_BYTES_', names: C.DTYPE_NAMES, table: 'DTYPE_SIZES', doc: 'Bytes per element of each dtype (DTYPE_SIZES: indexed by dtype, 0: unknown)' },
  DTYPE_NAMES: null,
  TensorKind: { type: 'u8', prefix: 'KIND_', doc: 'Tensor kinds (T_KIND)' },
  Encoding: { type: 'u8', prefix: 'ENC_', doc: 'How a constant\'s bytes are stored (T_ENCODING); a packed tensor\'s offset points to a blob (P_*) in the Data section' },
  P: { type: 'u32', prefix: 'P_', doc: 'Packed-weights blob header offsets (docs/compression.md); codebook tables follow: tables x 2^bits int8' },
  HUF: { type: 'u32', prefix: 'HUF_', doc: 'Huffman payload offsets: counts u16[16] | symbols u8[nsym], padded to 4 | u32 tileBits[tileCount + 1] | stream' },
  OPS: { type: 'u32', prefix: 'OPS_', doc: 'Ops section offsets: u32 op_count, then the op records' },
  OPR: { type: 'u32', prefix: 'OPR_', doc: 'Op record header field offsets; u16 tensors[nIn + nOut] (padded to 4 bytes) and i32 params[nParams] follow' },
  IO: { type: 'u32', prefix: 'IO_', doc: 'IO section offsets' },
  OpCode: { type: 'u32', prefix: 'OP_', names: C.OP_NAMES, doc: 'Opcodes' },
  OP_NAMES: null,
  OP_PARAM_COUNT: { type: 'u32', prefix: 'PARAMS_', names: C.OP_NAMES, table: 'PARAM_COUNTS', doc: 'i32 params of each opcode (PARAM_COUNTS: indexed by opcode)' },
  OP_PACKED_PARAM_COUNT: { type: 'u32', prefix: 'PACKED_PARAMS_', names: C.OP_NAMES, doc: 'i32 params of an op in the packed weight layout (packedParamCount below)' },
  LAYOUT_PACKED: { type: 'i32', doc: 'packed weight layout code (first appended param)' },
  PACKED_INPUTS: { type: 'u32', doc: 'inputs of an op in the packed layout: x, weights, bias, requant table' },
  SCRATCH_SLACK: { type: 'u32', doc: 'scratch bytes a packed-layout op needs at least (GEMM rows read up to 7 bytes past a tensor)' },
  RQ: { type: 'u32', prefix: 'RQ_', doc: 'Requant table record (one per quad of output channels): m[4] | 2^left[4] | 1023 - e[4]' },
  RQ_QUAD_BYTES: { type: 'u32', doc: 'requant table bytes per quad of output channels' },
  ErrorCode: { type: 'i32', prefix: 'E_', names: C.ERROR_NAMES, doc: 'Error codes' },
  ERROR_NAMES: null,
  hufTileBitsOffset: null,
  align: null,
  // group f32
  ActivationKind: { type: 'i32', prefix: 'ACT_', doc: 'ACTIVATION kinds (param 0)' },
};

/** camelCase / PascalCase -> SNAKE_CASE ("zeroPoint" -> "ZERO_POINT", "UInt8" -> "UINT8", "crc32" -> "CRC32"). */
export function snake(name: string): string {
  return name.replace(/([a-z0-9])(?=[A-Z])/g, '$1_').toUpperCase();
}

/** Every number of export `key` as [AS name, value]: what the generated file must hold. */
export function asConstants(key: keyof typeof C): [string, number][] {
  const rule = AS_RULES[key];
  const v = (C as Record<string, unknown>)[key];
  if (!rule) return [];
  if (typeof v === 'number') return [[key, v]];
  const out: [string, number][] = [];
  for (const [member, value] of Object.entries(v as Record<string, number>)) {
    if (/^\d+$/.test(member) && typeof value === 'string') continue; // a numeric enum's reverse mapping
    const isEnum = typeof (v as Record<string, unknown>)[String(value)] === 'string';
    const label = rule.names ? rule.names[isEnum ? value : Number(member)] : snake(member);
    out.push([`${rule.prefix}${label.toUpperCase()}`, value]);
  }
  return out;
}

function literal(value: number, rule: AsRule): string {
  return rule.hex ? `0x${value.toString(16).padStart(value > 0xffff ? 8 : 4, '0')}` : String(value);
}

function group(key: keyof typeof C, rule: AsRule): string[] {
  const consts = asConstants(key);
  const lines = consts.map(([name, value]) => `export const ${name}: ${rule.type} = ${literal(value, rule)};`);
  if (!rule.prefix) return [`${lines[0]} // ${rule.doc}`];
  lines.unshift(`// ${rule.doc}`);
  if (rule.table) {
    const entries = Object.entries((C as Record<string, unknown>)[key] as Record<string, number>).map(([k, n]) => [Number(k), n] as const);
    const size = Math.max(...Object.keys(rule.names!).map(Number)) + 1;
    const row = Array.from({ length: size }, (_, i) => entries.find(([k]) => k === i)?.[1] ?? 0);
    if (Math.max(...row) > 0xff) throw new Error(`${key}: a value does not fit the u8 table ${rule.table}`);
    lines.push(`export const ${rule.table}: StaticArray<u8> = [${row.join(', ')}];`);
  }
  return ['', ...lines];
}

/** Constants the runtime uses that follow from the others. */
function derived(): string[] {
  return [
    '',
    '// Derived',
    `export const S_COUNT: u32 = ${Object.values(C.Section).filter((v) => typeof v === 'number').length}; // section kinds are 1..S_COUNT`,
    `export const OP_LAST: u32 = ${Math.max(...Object.keys(C.OP_NAMES).map(Number))}; // opcodes are 1..OP_LAST`,
    '',
    '/** Params of an op `code` in the packed weight layout; NO_PACKED_LAYOUT (never a u16 count) when it has none. */',
    'export const NO_PACKED_LAYOUT: u32 = 0x10000;',
    'export function packedParamCount(code: u32): u32 {',
    ...Object.keys(C.OP_PACKED_PARAM_COUNT).map((code) => `  if (code == OP_${C.OP_NAMES[Number(code) as C.OpCode]}) return PACKED_PARAMS_${C.OP_NAMES[Number(code) as C.OpCode]};`),
    '  return NO_PACKED_LAYOUT;',
    '}',
    '',
    '/** Bytes per element of dtype `d`, 0 when unknown. */',
    'export function dtypeSize(d: u32): u32 { return d < <u32>DTYPE_SIZES.length ? <u32>DTYPE_SIZES[d] : 0; }',
    '',
    '/** An opcode\'s name (OP_NAMES), for messages. */',
    'export function opName(code: u32): Msg {',
    '  switch (code) {',
    ...Object.values(C.OP_NAMES).map((n) => `    case OP_${n}: return '${n}';`),
    '  }',
    "  return 'UNKNOWN';",
    '}',
  ];
}

/** assembly/format.ts, generated from src/format/constants.ts (tools/gen-format.ts). */
export function formatSource(): string {
  const lines = [
    '// GENERATED by tools/gen-format.ts from src/format/constants.ts: do not edit.',
    '// The .epk format\'s constants for the runtime (docs/FORMAT.md); src/format/assembly-format.ts',
    '// names them. Edit constants.ts, then: npm run build:ts && node dist/tools/gen-format.js',
    '// (test/format.test.ts fails while this file is stale).',
    '',
    "import { Msg } from './message';",
  ];
  for (const [key, rule] of Object.entries(AS_RULES) as [keyof typeof C, AsRule | null][]) {
    if (rule) lines.push(...group(key, rule));
  }
  lines.push(...derived(), '');
  return lines.join('\n');
}
