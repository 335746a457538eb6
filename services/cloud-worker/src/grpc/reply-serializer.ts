import { InferReply, InferenceServiceService, type LoadHint } from '@bottlenet/protocol';

/** `InferReply` with only its `load` field set, encoded: the bytes of field 4 (tag, length, LoadHint). */
const encodedHints = new WeakMap<LoadHint, Uint8Array>();
const EMPTY_REPLY = InferReply.fromPartial({});

function encodedHint(load: LoadHint): Uint8Array {
  let bytes = encodedHints.get(load);
  if (bytes === undefined) {
    bytes = InferReply.encode({ ...EMPTY_REPLY, load }).finish();
    encodedHints.set(load, bytes);
  }
  return bytes;
}

/**
 * Encodes an InferReply with its load hint encoded once per hint object: the replies of a batch (and of
 * the same millisecond) share one {@link LoadHint}, which is most of a reply's bytes. Protobuf fields may
 * come in any order, so the message without `load` followed by the `load` field is the same message.
 */
export function serializeInferReply(reply: InferReply): Buffer {
  if (reply.load === undefined) return Buffer.from(InferReply.encode(reply).finish());
  const head = InferReply.encode({ ...reply, load: undefined }).finish();
  const tail = encodedHint(reply.load);
  const out = Buffer.allocUnsafe(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  return out;
}

/** The generated service definition with {@link serializeInferReply} for Infer's replies. */
export const WorkerInferenceService = {
  ...InferenceServiceService,
  infer: { ...InferenceServiceService.infer, responseSerialize: serializeInferReply },
} as const;
