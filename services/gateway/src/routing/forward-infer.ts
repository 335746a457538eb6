import { Code, MeshError, codeToString } from '@bottlenet/errors';
import { InferenceServiceService, type InferRequest } from '@bottlenet/protocol';
import type { GatewayMetrics } from '../metrics.js';
import { GrpcUnaryChannel } from './grpc-unary-channel.js';
import { readReplyLoad, type ReplyLoad } from './reply-load.js';
import type { WorkerEntry, WorkerPool } from './worker-pool.js';

export interface ForwardResult {
  /** The reply's load hint (only the fields the gateway uses; the rest of the reply is not decoded). */
  readonly load: ReplyLoad | undefined;
  /** The worker's reply exactly as it sent it (protobuf InferReply). */
  readonly replyBytes: Buffer;
  readonly worker: WorkerEntry;
  readonly attempts: number;
  /** True when the worker that answered was a last known one (not in the current view): a stale route. */
  readonly lastKnown: boolean;
}

/** Set `cancelled` and call `cancel()` to cancel; `cancel` is replaced by the call in progress. */
export interface CancelHandle {
  cancelled: boolean;
  cancel: () => void;
}

export interface ForwardOptions {
  pool: WorkerPool;
  metrics: GatewayMetrics;
  /** The request, decoded (for routing). */
  request: InferRequest;
  /** The request's protobuf bytes as the caller sent them; forwarded with two fields appended. */
  requestBytes: Buffer;
  /** The request id the worker gets (the caller's, or the gateway's when the caller sent none). */
  requestId: string;
  /** Absolute deadline, ms since the epoch. */
  deadlineAtMs: number;
  suspectMs: number;
  /** Cancels the call in progress when the HTTP client goes away (no AbortController: it is costly per request). */
  cancel?: CancelHandle;
}

/**
 * Sends one Infer to the least-loaded worker that serves the partition; on UNAVAILABLE (the worker is
 * draining, not ready, or unreachable) marks it suspect and retries once on another worker within the
 * same deadline. Every attempt carries the remaining budget both as `timeoutMs` and as the gRPC deadline.
 * When the view has no such worker, the last known workers (`WorkerPool`) are tried the same way; when
 * they fail too the caller gets `no_worker`, as with an empty pool.
 */
export async function forwardInfer(o: ForwardOptions): Promise<ForwardResult> {
  const tried = new Set<string>();
  let lastError: MeshError | undefined;
  let lastErrorFromLastKnown = false;
  for (let attempt = 1; attempt <= 2; attempt++) {
    const remaining = o.deadlineAtMs - Date.now();
    if (o.cancel?.cancelled)
      throw new MeshError(Code.Canceled, 'the caller went away', { type: 'cancelled' });
    if (remaining <= 0) {
      throw new MeshError(
        Code.DeadlineExceeded,
        `the request's budget ran out in the gateway after ${String(attempt - 1)} attempt(s)`,
        {
          type: 'deadline',
          cause: lastError,
        },
      );
    }
    const r = o.request;
    const worker = o.pool.pick(r.model, r.version, r.partitionId, tried);
    if (worker === undefined) {
      if (lastError !== undefined && !lastErrorFromLastKnown) throw lastError;
      throw noWorker(r, lastError);
    }
    const lastKnown = !worker.inView;
    tried.add(worker.id);
    if (attempt > 1) o.metrics.retries.inc();
    if (lastKnown) o.metrics.lastKnownCalls.inc();
    try {
      const framed = framedWithOverrides(
        o.requestBytes,
        Math.max(1, Math.floor(remaining)),
        o.requestId,
      );
      const replyBytes = await callInfer(worker, framed, o.deadlineAtMs, o.cancel);
      const load = readReplyLoad(replyBytes);
      o.metrics.upstream.inc({ worker: worker.id, code: 'ok' });
      o.pool.applyHint(worker, load);
      return { load, replyBytes, worker, attempts: attempt, lastKnown };
    } catch (err) {
      const e = err as MeshError;
      o.metrics.upstream.inc({ worker: worker.id, code: codeToString(e.code) });
      if (e.code !== Code.Unavailable) throw e;
      o.pool.markSuspect(worker, o.suspectMs);
      lastError = e;
      lastErrorFromLastKnown = lastKnown;
    }
  }
  if (lastError !== undefined && lastErrorFromLastKnown) throw noWorker(o.request, lastError);
  throw lastError ?? new MeshError(Code.Unavailable, 'no worker answered', { type: 'no_worker' });
}

/** 503 `no_worker`; `cause` is the UNAVAILABLE of the last known worker tried, when one was. */
function noWorker(r: InferRequest, cause: MeshError | undefined): MeshError {
  const what = `model "${r.model}"${r.version ? ` version "${r.version}"` : ''} partition "${r.partitionId}"`;
  const message =
    cause === undefined
      ? `no ready worker serves ${what}`
      : `no ready worker serves ${what} in the current view, and the last known one did not answer (${cause.message})`;
  return new MeshError(Code.Unavailable, message, {
    type: 'no_worker',
    details: { retryAfterMs: 1000 },
    cause,
  });
}

/**
 * The caller's bytes with `timeout_ms` (field 6) and `request_id` (field 7) appended: for a scalar field
 * the last occurrence wins in protobuf, so the payload is forwarded without being decoded and re-encoded.
 * Written once into the gRPC frame (5-byte prefix, see `GrpcUnaryChannel.frame`), with no intermediate
 * buffers.
 */
function framedWithOverrides(bytes: Buffer, timeoutMs: number, requestId: string): Buffer {
  const idLength = Buffer.byteLength(requestId);
  const tailLength = 1 + varintLength(timeoutMs) + 1 + varintLength(idLength) + idLength;
  const framed = GrpcUnaryChannel.frame(bytes, tailLength);
  let at = 5 + bytes.length;
  framed[at++] = (6 << 3) | 0;
  at = writeVarint(framed, at, timeoutMs);
  framed[at++] = (7 << 3) | 2;
  at = writeVarint(framed, at, idLength);
  framed.write(requestId, at, 'utf8');
  return framed;
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    buf[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

const INFER_PATH = InferenceServiceService.infer.path;

function callInfer(
  worker: WorkerEntry,
  framed: Buffer,
  deadlineAtMs: number,
  handle: CancelHandle | undefined,
): Promise<Buffer> {
  worker.outstanding++;
  return new Promise<Buffer>((resolve, reject) => {
    const cancel = worker.client.callFramed(INFER_PATH, framed, deadlineAtMs, (err, reply) => {
      worker.outstanding--;
      if (err === undefined && reply !== undefined) resolve(reply);
      else
        reject(
          err ??
            new MeshError(Code.Internal, `worker ${worker.id} returned no reply`, {
              type: 'empty_reply',
            }),
        );
    });
    if (handle !== undefined) handle.cancel = cancel;
  });
}
