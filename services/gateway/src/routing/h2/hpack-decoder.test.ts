// HPACK decoding against RFC 7541's own examples and against an independent encoder (hpack.js's
// compressor, Huffman on, a small table so entries are evicted), and every malformed block it rejects.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { HpackDecoder } from './hpack-decoder.js';
import { H2Error, Http2ProtocolError } from './http2-protocol-error.js';

const require = createRequire(import.meta.url);
interface Compressor {
  write(headers: { name: string; value: string; huffman?: boolean; neverIndex?: boolean }[]): void;
  read(): Buffer | null;
  updateTableSize(size: number): void;
}
const hpack = require('hpack.js') as {
  compressor: { create(o: { table: { maxSize: number } }): Compressor };
};

const decodeAll = (d: HpackDecoder, block: Buffer): [string, string][] => {
  const out: [string, string][] = [];
  d.decode(block, (n, v) => out.push([n, v]));
  return out;
};
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('HpackDecoder', () => {
  test("RFC 7541's examples: C.2.1 (literal, indexed into the table) and C.4 (requests, Huffman)", () => {
    const d = new HpackDecoder();
    assert.deepEqual(
      decodeAll(d, hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')),
      [['custom-key', 'custom-header']],
    );
    assert.equal(d.dynamicTableLength, 1);
    const h = new HpackDecoder();
    assert.deepEqual(decodeAll(h, hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')), [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    // C.4.2: the authority now comes from the dynamic table (index 62), plus a Huffman literal
    assert.deepEqual(decodeAll(h, hex('8286 84be 5886 a8eb 1064 9cbf')), [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
  });

  test('decodes what an independent encoder writes, block after block, through evictions', () => {
    const size = 256;
    const enc = hpack.compressor.create({ table: { maxSize: size } });
    const dec = new HpackDecoder(size);
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = 'abcxyz0123456789-_./:;% ~!ABC\t';
    const text = (len: number): string =>
      Array.from({ length: len }, () => alphabet[rnd(alphabet.length)]).join('');
    for (let block = 0; block < 300; block++) {
      const headers = Array.from({ length: 1 + rnd(6) }, (_, i) => ({
        name: rnd(3) === 0 ? 'grpc-status' : `x-${text(1 + rnd(12)).toLowerCase()}${String(i)}`,
        value: rnd(4) === 0 ? '0' : text(rnd(60)),
        huffman: rnd(2) === 0,
        neverIndex: rnd(5) === 0,
      }));
      enc.write(headers);
      const parts: Buffer[] = [];
      for (let b = enc.read(); b !== null; b = enc.read()) parts.push(b);
      assert.deepEqual(
        decodeAll(dec, Buffer.concat(parts)),
        headers.map((h) => [h.name, h.value]),
        `block ${String(block)}`,
      );
    }
    // 256 bytes hold at most 7 entries (32 bytes of overhead each, plus name and value)
    assert.ok(dec.dynamicTableLength > 0 && dec.dynamicTableLength <= 7);
  });

  test('a table size update shrinks the table and is refused over the announced limit', () => {
    const d = new HpackDecoder(4096);
    decodeAll(d, hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'));
    assert.equal(d.dynamicTableLength, 1);
    decodeAll(d, hex('20')); // size update to 0: evicts everything
    assert.equal(d.dynamicTableLength, 0);
    assert.throws(
      () => decodeAll(d, hex('3fe21f')),
      /table size update to 4097 over the 4096 allowed/,
    );
    assert.throws(() => decodeAll(new HpackDecoder(100), hex('3f4a')), /over the 100 allowed/);
  });

  const rejects: [string, string, RegExp][] = [
    ['index 0', '80', /index 0/],
    ['an index past the table', 'be', /index 62 is past the end/],
    ['a truncated integer', 'ff', /integer runs past the end/],
    ['an integer too large', 'ff ff ff ff ff ff 0f', /integer too large/],
    ['a string past the end', '40 0a 6375', /runs past the end of the block/],
    ['a missing value string', '40 01 61', /string literal missing/],
    ['a size update after a field', '82 20', /table size update after a header field/],
    ['EOS inside a Huffman string', '00 01 61 84 ff ff ff ff', /EOS symbol/],
    ['Huffman padding of zeros', '00 01 61 81 00', /padding is not a prefix of EOS/],
    ['Huffman padding of 8 bits', '00 01 61 82 1f ff', /padding is not a prefix of EOS/],
  ];
  for (const [what, block, message] of rejects)
    test(`rejects ${what} as a COMPRESSION_ERROR`, () => {
      assert.throws(
        () => decodeAll(new HpackDecoder(), hex(block)),
        (err: unknown) =>
          err instanceof Http2ProtocolError &&
          err.code === H2Error.CompressionError &&
          message.test(err.message),
      );
    });
});
