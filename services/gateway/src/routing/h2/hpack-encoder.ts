/**
 * The few HPACK representations this client sends (RFC 7541 6.1 and 6.2.2): static-table references
 * and literals without indexing, never Huffman. No dynamic table state, so nothing depends on the
 * peer's SETTINGS_HEADER_TABLE_SIZE and a header block can be built once and reused.
 */

/** An indexed field from the static table (e.g. 3 = `:method: POST`). */
export function indexedField(index: number): Buffer {
  return writeInt(index, 7, 0x80);
}

/** A literal field without indexing; `name` is a static-table index or a (lower-case) name. */
export function literalField(name: number | string, value: string): Buffer {
  const head = typeof name === 'number' ? writeInt(name, 4, 0x00) : Buffer.from([0x00]);
  const parts = [head];
  if (typeof name === 'string') parts.push(stringLiteral(name));
  parts.push(stringLiteral(value));
  return Buffer.concat(parts);
}

function stringLiteral(s: string): Buffer {
  const bytes = Buffer.from(s, 'latin1');
  return Buffer.concat([writeInt(bytes.length, 7, 0x00), bytes]);
}

/** RFC 7541 5.1 with `flags` in the bits above the prefix. */
function writeInt(value: number, prefixBits: number, flags: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([flags | value]);
  const out = [flags | max];
  value -= max;
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return Buffer.from(out);
}
