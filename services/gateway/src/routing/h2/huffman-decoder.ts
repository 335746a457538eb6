import { HUFFMAN_CODES } from './hpack-tables.js';
import { compressionError } from './http2-protocol-error.js';

const EOS = 256;

/**
 * The Huffman code as a binary tree in two flat arrays: `child[2 * node + bit]` is the next node, a
 * negative entry `-(symbol + 1)` a leaf. Built once from RFC 7541's code table.
 */
const child = buildTree();

function buildTree(): Int32Array {
  const tree = new Int32Array(2 * 2 * HUFFMAN_CODES.length).fill(0);
  let nodes = 1; // node 0 is the root; 0 as a child means "not set yet"
  HUFFMAN_CODES.forEach(([bits, code], symbol) => {
    let node = 0;
    for (let i = bits - 1; i >= 0; i--) {
      const slot = 2 * node + ((code >>> i) & 1);
      if (i === 0) tree[slot] = -(symbol + 1);
      else {
        if (tree[slot] === 0) tree[slot] = nodes++;
        node = tree[slot]!;
      }
    }
  });
  return tree;
}

const scratch = Buffer.allocUnsafe(4096);

/**
 * Decodes a Huffman-coded HPACK string (`src[start..end)`) as latin1 text. Rejects, as RFC 7541 5.2
 * requires, an EOS symbol in the data and padding that is longer than 7 bits or not all ones.
 */
export function huffmanDecode(src: Buffer, start: number, end: number): string {
  // Every symbol is at least 5 bits long, so the output has at most 8/5 of the input's bytes.
  const cap = Math.ceil(((end - start) * 8) / 5);
  const out = cap <= scratch.length ? scratch : Buffer.allocUnsafe(cap);
  let n = 0;
  let node = 0;
  let depth = 0; // bits read since the last symbol
  let allOnes = true;
  for (let i = start; i < end; i++) {
    const byte = src[i]!;
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >>> b) & 1;
      const next = child[2 * node + bit]!;
      if (next < 0) {
        const symbol = -next - 1;
        if (symbol === EOS) throw compressionError('an EOS symbol inside a Huffman string');
        out[n++] = symbol;
        node = 0;
        depth = 0;
        allOnes = true;
      } else {
        node = next;
        depth++;
        if (bit === 0) allOnes = false;
      }
    }
  }
  if (depth > 7 || !allOnes) throw compressionError('Huffman padding is not a prefix of EOS');
  return out.toString('latin1', 0, n);
}
