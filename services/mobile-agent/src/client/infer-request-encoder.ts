/** The per-request fields of `bottlenet.v1.InferRequest` (any Uint8Array payload, not only a Buffer). */
export interface InferCall {
  readonly partitionId: string;
  readonly payload?:
    | { $case: 'featureFrame'; featureFrame: Uint8Array }
    | { $case: 'inputImage'; inputImage: Uint8Array }
    | undefined;
  readonly timeoutMs: number;
  readonly requestId: string;
  readonly topK: number;
}

/**
 * Encodes `bottlenet.v1.InferRequest` by hand for one model: the constant fields (model, version) are
 * encoded once, each request writes the rest straight into one buffer of its exact size. Byte-identical
 * to `InferRequest.encode` (fields in number order, proto3 defaults omitted; checked by the tests).
 */
export class InferRequestEncoder {
  private readonly prefix: Buffer;
  /** model + version + partition id, per partition id seen (a handful: the model's candidates). */
  private readonly prefixes = new Map<string, Buffer>();

  constructor(model: string, version: string) {
    this.prefix = Buffer.concat([stringField(1, model), stringField(2, version)]);
  }

  encode(r: InferCall): Buffer {
    const prefix = this.prefixFor(r.partitionId);
    const payload =
      r.payload?.$case === 'featureFrame' ? r.payload.featureFrame : r.payload?.inputImage;
    const tag = r.payload?.$case === 'featureFrame' ? 0x22 : 0x2a; // field 4 or 5, wire type 2
    const timeoutMs = r.timeoutMs >>> 0;
    const topK = r.topK >>> 0;
    const idAscii = isAscii(r.requestId);
    const id = idAscii ? r.requestId.length : Buffer.byteLength(r.requestId);
    const n =
      prefix.length +
      (payload !== undefined ? 1 + varintLength(payload.length) + payload.length : 0) +
      (timeoutMs !== 0 ? 1 + varintLength(timeoutMs) : 0) +
      (id > 0 ? 1 + varintLength(id) + id : 0) +
      (topK !== 0 ? 1 + varintLength(topK) : 0);
    const out = Buffer.allocUnsafe(n);
    out.set(prefix, 0);
    let o = prefix.length;
    if (payload !== undefined) {
      out[o++] = tag;
      o = writeVarint(out, o, payload.length);
      out.set(payload, o);
      o += payload.length;
    }
    if (timeoutMs !== 0) {
      out[o++] = 0x30;
      o = writeVarint(out, o, timeoutMs);
    }
    if (id > 0) {
      out[o++] = 0x3a;
      o = writeVarint(out, o, id);
      if (idAscii) {
        // the agent's ids are short ASCII: cheaper in this loop than a call into the UTF-8 writer
        const s = r.requestId;
        for (let i = 0; i < id; i++) out[o++] = s.charCodeAt(i);
      } else {
        o += out.write(r.requestId, o, 'utf8');
      }
    }
    if (topK !== 0) {
      out[o++] = 0x40;
      writeVarint(out, o, topK);
    }
    return out;
  }

  /** The constant fields and the partition id (field 3), encoded once per partition id. */
  private prefixFor(partitionId: string): Buffer {
    let p = this.prefixes.get(partitionId);
    if (p === undefined) {
      p = Buffer.concat([this.prefix, stringField(3, partitionId)]);
      if (this.prefixes.size < 64) this.prefixes.set(partitionId, p);
    }
    return p;
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

function stringField(field: number, s: string): Buffer {
  const len = Buffer.byteLength(s);
  if (len === 0) return Buffer.alloc(0);
  const out = Buffer.allocUnsafe(1 + varintLength(len) + len);
  out[0] = (field << 3) | 2;
  const o = writeVarint(out, 1, len);
  out.write(s, o, 'utf8');
  return out;
}

function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v >>>= 7;
    n++;
  }
  return n;
}

function writeVarint(out: Buffer, o: number, v: number): number {
  while (v >= 0x80) {
    out[o++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[o++] = v;
  return o;
}
