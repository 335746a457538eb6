/** A minimal protobuf encoder: just enough to write ONNX ModelProto bytes for test fixtures. */
export class ProtoWriter {
  private readonly parts: Buffer[] = [];

  private varint(v: number | bigint): void {
    let n = BigInt.asUintN(64, BigInt(v));
    const bytes: number[] = [];
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n !== 0n) b |= 0x80;
      bytes.push(b);
    } while (n !== 0n);
    this.parts.push(Buffer.from(bytes));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  int(field: number, v: number): this {
    this.tag(field, 0);
    this.varint(v);
    return this;
  }

  bytes(field: number, v: Uint8Array): this {
    this.tag(field, 2);
    this.varint(v.length);
    this.parts.push(Buffer.from(v));
    return this;
  }

  string(field: number, v: string): this {
    return this.bytes(field, Buffer.from(v, 'utf8'));
  }

  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.parts.push(b);
    return this;
  }

  packedInts(field: number, vs: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of vs) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}
