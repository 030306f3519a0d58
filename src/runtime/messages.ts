// Error text of a runtime build (docs/ABI.md "Error messages"). The terse builds (scalar,
// streamed) store each message as ESCAPE, id low, id high in the error bytes and carry the
// id -> text table in their `ep.messages` custom section (tools/terse-messages.mjs); the
// full builds store plain ASCII and have no table. Expanding gives the same text either way.

export const MESSAGE_SECTION = 'ep.messages';
export const MESSAGE_ESCAPE = 0xff;

const NO_TABLE: readonly string[] = [];
const tables = new WeakMap<WebAssembly.Module, readonly string[]>();

/** The module's message table (empty for a full build). */
export function messageTable(module: WebAssembly.Module): readonly string[] {
  let table = tables.get(module);
  if (!table) {
    const [section] = WebAssembly.Module.customSections(module, MESSAGE_SECTION);
    table = section ? (JSON.parse(new TextDecoder().decode(section)) as string[]) : NO_TABLE;
    tables.set(module, table);
  }
  return table;
}

/** The error bytes with every message id replaced by its text. */
export function expandMessage(bytes: Uint8Array, table: readonly string[]): string {
  const decoder = new TextDecoder();
  let text = '';
  let from = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== MESSAGE_ESCAPE || i + 2 >= bytes.length) continue;
    const id = bytes[i + 1] | (bytes[i + 2] << 8);
    text += decoder.decode(bytes.subarray(from, i)) + (table[id] ?? `<message ${id}>`);
    i += 2;
    from = i + 1;
  }
  return text + decoder.decode(bytes.subarray(from));
}
