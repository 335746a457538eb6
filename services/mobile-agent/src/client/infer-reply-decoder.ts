import { Code, MeshError } from '@bottlenet/errors';

/** One class of an Infer answer (`bottlenet.v1.ClassScore`). */
export interface InferScore {
  readonly classIndex: number;
  readonly label: string;
  readonly score: number;
}

/** The fields of `bottlenet.v1.InferReply` the agent uses; everything else in the reply is skipped. */
export interface InferAnswer {
  /** Best first. */
  readonly topK: InferScore[];
  /** The worker's `timings.total_us` (0 when absent). */
  readonly totalUs: number;
}

/**
 * Decodes only `top_k` (field 2) and `timings.total_us` (field 3.4) of a `bottlenet.v1.InferReply`
 * and skips every other field by its wire type, instead of building the whole message (ids, load
 * hint with its per-partition list, 64-bit timestamps) as the generated decoder does. Labels equal
 * to the model's class name (what the worker sends: "the manifest's class name") reuse that string,
 * so a reply allocates no string. Same values as `InferReply.decode` for every well-formed reply
 * (checked by the tests, unknown fields included); a malformed one is `MeshError(Internal, type
 * "bad_reply")`, like the generated decoder's throw.
 */
export class InferReplyDecoder {
  private readonly classes: readonly string[];
  private readonly classBytes: readonly Buffer[];

  constructor(classes: readonly string[] = []) {
    this.classes = classes;
    this.classBytes = classes.map((c) => Buffer.from(c, 'utf8'));
  }

  decode(buf: Buffer): InferAnswer {
    const topK: InferScore[] = [];
    let totalUs = 0;
    const end = buf.length;
    let pos = 0;
    while (pos < end) {
      const tag = readVarint(buf, pos, end);
      pos = next;
      const field = tag >>> 3;
      const wire = tag & 7;
      if (field === 2 && wire === 2) {
        const len = readVarint(buf, pos, end);
        const stop = within((pos = next), len, end);
        topK.push(this.score(buf, pos, stop));
        pos = stop;
      } else if (field === 3 && wire === 2) {
        const len = readVarint(buf, pos, end);
        const stop = within((pos = next), len, end);
        totalUs = timingsTotal(buf, pos, stop);
        pos = stop;
      } else {
        pos = skip(buf, pos, end, wire);
      }
    }
    return { topK, totalUs };
  }

  private score(buf: Buffer, pos: number, end: number): InferScore {
    let classIndex = 0;
    let labelStart = 0;
    let labelEnd = 0;
    let score = 0;
    while (pos < end) {
      const tag = readVarint(buf, pos, end);
      pos = next;
      if (tag === 0x08) {
        classIndex = readVarint(buf, pos, end);
        pos = next;
      } else if (tag === 0x12) {
        const len = readVarint(buf, pos, end);
        labelStart = pos = next;
        labelEnd = pos = within(pos, len, end);
      } else if (tag === 0x1d) {
        if (pos + 4 > end) throw bad('a score runs past its message');
        score = buf.readFloatLE(pos);
        pos += 4;
      } else {
        pos = skip(buf, pos, end, tag & 7);
      }
    }
    return { classIndex, label: this.label(buf, classIndex, labelStart, labelEnd), score };
  }

  private label(buf: Buffer, classIndex: number, start: number, end: number): string {
    const known = this.classBytes[classIndex];
    if (known !== undefined && known.length === end - start) {
      let same = true;
      for (let i = 0; i < known.length; i++) {
        if (known[i] !== buf[start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.classes[classIndex]!;
    }
    return start === end ? '' : buf.toString('utf8', start, end);
  }
}

/**
 * `timings` (StageTimings): total_us is field 4. A later `timings` replaces an earlier one (as in the
 * generated decoder), so each starts from 0.
 */
function timingsTotal(buf: Buffer, pos: number, end: number): number {
  let total = 0;
  while (pos < end) {
    const tag = readVarint(buf, pos, end);
    pos = next;
    if ((tag & 7) === 0) {
      const v = readVarint(buf, pos, end);
      pos = next;
      if (tag >>> 3 === 4) total = v;
    } else {
      pos = skip(buf, pos, end, tag & 7);
    }
  }
  return total;
}

/** Where the varint read by readVarint ended (one module-level slot instead of a result object). */
let next = 0;

/** A varint as an unsigned 32-bit number (higher bits dropped, as the generated uint32 reader does). */
function readVarint(buf: Buffer, pos: number, end: number): number {
  let v = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (pos >= end) throw bad('a varint runs past the end');
    const b = buf[pos++]!;
    if (shift < 32) v |= (b & 0x7f) << shift;
    if (b < 0x80) {
      next = pos;
      return v >>> 0;
    }
  }
  throw bad('a varint is longer than 10 bytes');
}

function within(pos: number, len: number, end: number): number {
  if (len > end - pos) throw bad('a length-delimited field runs past the end');
  return pos + len;
}

function skip(buf: Buffer, pos: number, end: number, wire: number): number {
  switch (wire) {
    case 0:
      readVarint(buf, pos, end);
      return next;
    case 1:
      return within(pos, 8, end);
    case 2: {
      const len = readVarint(buf, pos, end);
      return within(next, len, end);
    }
    case 5:
      return within(pos, 4, end);
    default:
      throw bad(`wire type ${wire} is not supported`);
  }
}

function bad(what: string): MeshError {
  return new MeshError(
    Code.Internal,
    `gateway /v1/infer reply is not a valid InferReply: ${what}`,
    {
      type: 'bad_reply',
    },
  );
}
