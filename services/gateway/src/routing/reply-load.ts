import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

/** The fields of an InferReply's `load` (LoadHint) the gateway uses: routing and the reply header. */
export interface ReplyLoad {
  queueDepth: number;
  inFlight: number;
  capacity: number;
  queueCapacity: number;
  timestampMs: number;
}

const INFER_REPLY_LOAD = 4; // InferReply.load
const HINT_QUEUE_DEPTH = 2;
const HINT_IN_FLIGHT = 3;
const HINT_CAPACITY = 4;
const HINT_QUEUE_CAPACITY = 5;
const HINT_TIMESTAMP_MS = 7;

/**
 * Reads only `load` of a protobuf InferReply, and of it only the scalar fields: top-k, timings, ids and
 * the per-partition list are skipped, not decoded (the caller gets the worker's bytes unchanged).
 * Undefined when the reply has no load hint. Throws on malformed bytes, as `InferReply.decode` would.
 */
export function readReplyLoad(bytes: Uint8Array): ReplyLoad | undefined {
  const r = new BinaryReader(bytes);
  let load: ReplyLoad | undefined;
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === INFER_REPLY_LOAD && wire === WireType.LengthDelimited) {
      // As for any message field, repeated occurrences merge.
      const end = r.uint32() + r.pos;
      load ??= { queueDepth: 0, inFlight: 0, capacity: 0, queueCapacity: 0, timestampMs: 0 };
      while (r.pos < end) {
        const [f, w] = r.tag();
        if (w === WireType.Varint && f === HINT_QUEUE_DEPTH) load.queueDepth = r.uint32();
        else if (w === WireType.Varint && f === HINT_IN_FLIGHT) load.inFlight = r.uint32();
        else if (w === WireType.Varint && f === HINT_CAPACITY) load.capacity = r.uint32();
        else if (w === WireType.Varint && f === HINT_QUEUE_CAPACITY)
          load.queueCapacity = r.uint32();
        else if (w === WireType.Varint && f === HINT_TIMESTAMP_MS)
          load.timestampMs = Number(r.uint64());
        else r.skip(w);
      }
      if (r.pos !== end) throw new Error('load hint overruns its length');
    } else {
      r.skip(wire);
    }
  }
  return load;
}
