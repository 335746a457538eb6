import { STATIC_TABLE } from './hpack-tables.js';
import { huffmanDecode } from './huffman-decoder.js';
import { compressionError } from './http2-protocol-error.js';

/** Called once per decoded header field, in order. */
export type HeaderSink = (name: string, value: string) => void;

const ENTRY_OVERHEAD = 32; // RFC 7541 4.1
const MAX_INTEGER = 0x7fffffff;

/**
 * HPACK decoding (RFC 7541) for one connection's responses: indexed fields, the three literal forms,
 * Huffman strings and the dynamic table with its size updates. Any malformed block is a
 * COMPRESSION_ERROR: the table state is then unknown and the connection must go.
 */
export class HpackDecoder {
  /** Newest first, as HPACK indexes it. */
  readonly #dynamic: [string, string][] = [];
  #size = 0;
  /** The table size the encoder last chose (a size update), at most `#limit`. */
  #maxSize: number;
  /** SETTINGS_HEADER_TABLE_SIZE as this side announced it. */
  readonly #limit: number;

  constructor(tableSizeLimit = 4096) {
    this.#limit = tableSizeLimit;
    this.#maxSize = tableSizeLimit;
  }

  /** The block's fields as one record: a repeated name's values joined with ", " (RFC 9110 5.3). */
  decodeFields(block: Buffer): Record<string, string> {
    const fields = Object.create(null) as Record<string, string>;
    this.decode(block, (name, value) => {
      const prev = fields[name];
      fields[name] = prev === undefined ? value : `${prev}, ${value}`;
    });
    return fields;
  }

  /** Entries in the dynamic table (for tests). */
  get dynamicTableLength(): number {
    return this.#dynamic.length;
  }

  decode(block: Buffer, sink: HeaderSink): void {
    let at = 0;
    let fields = 0;
    while (at < block.length) {
      const first = block[at]!;
      if (first & 0x80) {
        // 6.1 indexed header field
        const [index, next] = readInt(block, at, 7);
        if (index === 0) throw compressionError('indexed header field with index 0');
        const [name, value] = this.#entry(index);
        at = next;
        sink(name, value);
        fields++;
      } else if ((first & 0xe0) === 0x20) {
        // 6.3 dynamic table size update: only before the first field of a block
        if (fields > 0) throw compressionError('table size update after a header field');
        const [size, next] = readInt(block, at, 5);
        if (size > this.#limit)
          throw compressionError(
            `table size update to ${String(size)} over the ${String(this.#limit)} allowed`,
          );
        this.#maxSize = size;
        this.#evict(0);
        at = next;
      } else {
        // 6.2.1 with incremental indexing (01), 6.2.2 without (0000), 6.2.3 never indexed (0001)
        const indexing = (first & 0xc0) === 0x40;
        const [index, afterIndex] = readInt(block, at, indexing ? 6 : 4);
        let name: string;
        if (index === 0) {
          const s = readString(block, afterIndex);
          name = s[0];
          at = s[1];
        } else {
          name = this.#entry(index)[0];
          at = afterIndex;
        }
        const v = readString(block, at);
        at = v[1];
        if (indexing) this.#add(name, v[0]);
        sink(name, v[0]);
        fields++;
      }
    }
  }

  #entry(index: number): readonly [string, string] {
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const e = this.#dynamic[index - STATIC_TABLE.length - 1];
    if (e === undefined)
      throw compressionError(`index ${String(index)} is past the end of the table`);
    return e;
  }

  #add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.#evict(size);
    // An entry larger than the whole table empties it and is not added (RFC 7541 4.4).
    if (size <= this.#maxSize) {
      this.#dynamic.unshift([name, value]);
      this.#size += size;
    }
  }

  /** Evicts the oldest entries until `incoming` more bytes fit. */
  #evict(incoming: number): void {
    while (this.#size + incoming > this.#maxSize && this.#dynamic.length > 0) {
      const [n, v] = this.#dynamic.pop()!;
      this.#size -= n.length + v.length + ENTRY_OVERHEAD;
    }
  }
}

/** RFC 7541 5.1: an integer with an N-bit prefix at `at`; returns it and the offset after it. */
function readInt(buf: Buffer, at: number, prefixBits: number): [number, number] {
  const max = (1 << prefixBits) - 1;
  let value = buf[at]! & max;
  at++;
  if (value < max) return [value, at];
  let shift = 0;
  for (;;) {
    if (at >= buf.length) throw compressionError('integer runs past the end of the block');
    const b = buf[at++]!;
    value += (b & 0x7f) * 2 ** shift;
    if (value > MAX_INTEGER) throw compressionError('integer too large');
    if ((b & 0x80) === 0) return [value, at];
    shift += 7;
  }
}

/** RFC 7541 5.2: a string literal (raw or Huffman) as latin1 text, and the offset after it. */
function readString(buf: Buffer, at: number): [string, number] {
  if (at >= buf.length) throw compressionError('string literal missing at the end of the block');
  const huffman = (buf[at]! & 0x80) !== 0;
  const [length, start] = readInt(buf, at, 7);
  const end = start + length;
  if (end > buf.length)
    throw compressionError(`string of ${String(length)} bytes runs past the end of the block`);
  return [huffman ? huffmanDecode(buf, start, end) : buf.toString('latin1', start, end), end];
}
