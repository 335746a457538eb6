/**
 * RESP2 framing for the embedded load bus (embedded-load-bus.ts): the reply encoders and the request
 * parser, which accepts what clients send (multibulk arrays of bulk strings) and inline commands.
 */
/** Largest bulk string and array accepted; a bigger header is a protocol error (Redis: 512 MiB / 2^31). */
export const MAX_BULK = 64 * 1024 * 1024;
const MAX_ARGS = 1024 * 1024;
const MAX_INLINE = 64 * 1024;

export type Reply = Buffer;

/** Input no client would send; the connection is answered `-ERR Protocol error: ...` and closed. */
export class ProtocolError extends Error {}

export const enc = {
  simple: (s: string): Reply => Buffer.from(`+${s}\r\n`),
  error: (s: string): Reply => Buffer.from(`-${s.replace(/[\r\n]+/g, ' ')}\r\n`),
  int: (n: number): Reply => Buffer.from(`:${n}\r\n`),
  nil: (): Reply => Buffer.from('$-1\r\n'),
  bulk: (b: Buffer | string): Reply => {
    const buf = typeof b === 'string' ? Buffer.from(b) : b;
    return Buffer.concat([Buffer.from(`$${buf.length}\r\n`), buf, Buffer.from('\r\n')]);
  },
  array: (items: readonly Reply[]): Reply =>
    Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items]),
};

/**
 * Parses as many complete commands as `buf` holds from `offset`: multibulk (`*N\r\n$len\r\n...`) as
 * clients send, or inline (`PING\r\n`) as telnet does. Returns the commands and the new offset; throws
 * {@link ProtocolError} on input no client would send.
 */
export function parseCommands(buf: Buffer, offset = 0): { commands: Buffer[][]; offset: number } {
  const commands: Buffer[][] = [];
  let pos = offset;
  const line = (from: number): { text: string; next: number } | undefined => {
    const end = buf.indexOf('\r\n', from);
    if (end < 0) {
      if (buf.length - from > MAX_INLINE) throw new ProtocolError('too big inline request');
      return undefined;
    }
    return { text: buf.toString('latin1', from, end), next: end + 2 };
  };
  const int = (text: string, what: string, max: number): number => {
    if (!/^-?\d{1,12}$/.test(text))
      throw new ProtocolError(`invalid ${what} length '${text.slice(0, 32)}'`);
    const n = Number(text);
    if (n > max) throw new ProtocolError(`invalid ${what} length ${n}`);
    return n;
  };
  for (;;) {
    if (pos >= buf.length) break;
    if (buf[pos] === 0x2a /* * */) {
      const head = line(pos + 1);
      if (head === undefined) break;
      const n = int(head.text, 'multibulk', MAX_ARGS);
      let p = head.next;
      const args: Buffer[] = [];
      let complete = true;
      for (let i = 0; i < n; i++) {
        if (p >= buf.length) {
          complete = false;
          break;
        }
        if (buf[p] !== 0x24 /* $ */)
          throw new ProtocolError(`expected '$', got '${String.fromCharCode(buf[p]!)}'`);
        const h = line(p + 1);
        if (h === undefined) {
          complete = false;
          break;
        }
        const len = int(h.text, 'bulk', MAX_BULK);
        if (len < 0) throw new ProtocolError('invalid bulk length');
        if (buf.length < h.next + len + 2) {
          complete = false;
          break;
        }
        if (buf[h.next + len] !== 0x0d || buf[h.next + len + 1] !== 0x0a)
          throw new ProtocolError('bulk string not terminated by CRLF');
        args.push(buf.subarray(h.next, h.next + len));
        p = h.next + len + 2;
      }
      if (!complete) break;
      pos = p;
      if (n > 0) commands.push(args);
    } else {
      const l = line(pos);
      if (l === undefined) break;
      pos = l.next;
      const words = l.text
        .trim()
        .split(/\s+/)
        .filter((w) => w !== '');
      if (words.length > 0) commands.push(words.map((w) => Buffer.from(w, 'latin1')));
    }
  }
  return { commands, offset: pos };
}
