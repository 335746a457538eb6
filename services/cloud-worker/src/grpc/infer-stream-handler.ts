import type { ServerDuplexStream } from '@grpc/grpc-js';
import { codeToString } from '@bottlenet/errors';
import type { InferRequest, InferStreamReply } from '@bottlenet/protocol';
import type { HostedPartition } from '../hosting/hosted-partition.js';
import { logFailure, recordOutcome, runInfer, type InferContext } from './infer-handler.js';
import { asMeshError, toErrorStatus } from './service-error.js';

/**
 * InferStream: each request runs as a unary Infer would (`timeout_ms` is its only deadline besides the
 * stream's); replies go out in completion order, matched by request_id; a failed request yields an
 * `error` message and the stream continues. The reply stream ends once the client has half-closed and
 * every pending request has been answered.
 */
export function inferStreamHandler(ctx: InferContext) {
  return (call: ServerDuplexStream<InferRequest, InferStreamReply>): void => {
    let pending = 0;
    let ended = false;
    const finishIfDone = (): void => {
      if (ended && pending === 0) call.end();
    };
    call.on('data', (req: InferRequest) => {
      const arrivedAt = performance.now();
      pending++;
      const resolved: { part?: HostedPartition } = {};
      const streamDeadline = call.getDeadline();
      const at = streamDeadline instanceof Date ? streamDeadline.getTime() : streamDeadline;
      const deadline = Number.isFinite(at) ? arrivedAt + (at - Date.now()) : Infinity;
      runInfer(ctx, req, { arrivedAt, deadline, isCancelled: () => call.cancelled }, resolved)
        .then(
          (reply) => {
            recordOutcome(ctx, resolved.part, 'ok');
            if (!call.cancelled)
              call.write({ requestId: req.requestId, result: { $case: 'reply', reply } });
          },
          (e: unknown) => {
            const err = asMeshError(e);
            recordOutcome(ctx, resolved.part, codeToString(err.code));
            logFailure(ctx.logger, err, req);
            if (!call.cancelled)
              call.write({
                requestId: req.requestId,
                result: { $case: 'error', error: toErrorStatus(err) },
              });
          },
        )
        .finally(() => {
          pending--;
          finishIfDone();
        });
    });
    call.on('end', () => {
      ended = true;
      finishIfDone();
    });
    call.on('error', () => {
      ended = true;
    });
  };
}
