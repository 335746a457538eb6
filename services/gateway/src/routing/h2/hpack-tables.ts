import { createRequire } from 'node:module';

// RFC 7541's two tables (Appendix A, the static table; Appendix B, the Huffman code) as hpack.js ships
// them. Only its data is used: its decoder is a stream that works bit by bit through object-mode pushes,
// more work per header block than the whole call it would serve here.
const require = createRequire(import.meta.url);
const staticModule = require('hpack.js/lib/hpack/static-table.js') as {
  table: readonly { name: string; value: string }[];
};
const huffmanModule = require('hpack.js/lib/hpack/huffman.js') as {
  encode: readonly (readonly [bits: number, code: number])[];
};

/** RFC 7541 Appendix A: entry `i` (1-based in HPACK) is `STATIC_TABLE[i - 1]`. */
export const STATIC_TABLE: readonly (readonly [name: string, value: string])[] =
  staticModule.table.map((e) => [e.name, e.value] as const);

/** RFC 7541 Appendix B: symbol `s` (0-255, 256 = EOS) is `HUFFMAN_CODES[s]` = [bit length, code]. */
export const HUFFMAN_CODES: readonly (readonly [bits: number, code: number])[] =
  huffmanModule.encode;
