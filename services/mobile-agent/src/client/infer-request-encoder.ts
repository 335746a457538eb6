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

  constructor(model: string, version: string) {
    this.prefix = Buffer.concat([stringField(1, model), stringField(2, version)]);
  }

  encode(r: InferCall): Buffer {
    const part = Buffer.byteLength(r.partitionId);
    const id = Buffer.byteLength(r.requestId);
    const payload =
      r.payload?.$case === 'featureFrame' ? r.payload.featureFrame : r.payload?.inputImage;
    const tag = r.payload?.$case === 'featureFrame' ? 0x22 : 0x2a; // field 4 or 5, wire type 2
    const timeoutMs = r.timeoutMs >>> 0;
    const topK = r.topK >>> 0;
    const n =
      this.prefix.length +
      (part > 0 ? 1 + varintLength(part) + part : 0) +
      (payload !== undefined ? 1 + varintLength(payload.length) + payload.length : 0) +
      (timeoutMs !== 0 ? 1 + varintLength(timeoutMs) : 0) +
      (id > 0 ? 1 + varintLength(id) + id : 0) +
      (topK !== 0 ? 1 + varintLength(topK) : 0);
    const out = Buffer.allocUnsafe(n);
    let o = this.prefix.copy(out, 0);
    if (part > 0) {
      out[o++] = 0x1a;
      o = writeVarint(out, o, part);
      o += out.write(r.partitionId, o, 'utf8');
    }
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
      o += out.write(r.requestId, o, 'utf8');
    }
    if (topK !== 0) {
      out[o++] = 0x40;
      writeVarint(out, o, topK);
    }
    return out;
  }
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
