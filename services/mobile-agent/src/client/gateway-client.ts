import { Pool } from 'undici';
import { Code, MeshError, codeFromString, fromNodeError } from '@bottlenet/errors';
import { PlanReply, PlanRequest } from '@bottlenet/protocol';
import type { LinkEmulator } from '../link/index.js';
import { Deadlines } from './deadlines.js';
import { InferRequestEncoder, type InferCall } from './infer-request-encoder.js';
import { InferReplyDecoder, type InferAnswer } from './infer-reply-decoder.js';

export interface GatewayClientOptions {
  readonly baseUrl: string;
  readonly token?: string | undefined;
  /** Shapes every call as if it crossed the device's uplink. */
  readonly link?: LinkEmulator | undefined;
  /** Most connections kept open to the gateway. @default 8 */
  readonly connections?: number;
}

/** One timed call: what came back, and how long the network (everything but the server's own work) took. */
export interface Timed<T> {
  readonly value: T;
  /** Request bytes on the wire (body only). */
  readonly bytes: number;
  /** From handing the body to the link until the reply was in, ms. */
  readonly totalMs: number;
}

/** What a late call's error names (constants: no string built per call). */
const PLAN_LABEL = 'gateway /v1/plan';
const INFER_LABEL = 'gateway /v1/infer';

/** The fields of an Infer the agent sets per request (model and version are the client's). */
export type { InferCall } from './infer-request-encoder.js';
export type { InferAnswer, InferScore } from './infer-reply-decoder.js';

/** The model an Infer is for: name and version go into every request, classes help decode replies. */
export interface InferModel {
  readonly name: string;
  readonly version: string;
  readonly classes?: readonly string[];
}

/** The per-model request encoder and reply decoder. */
interface InferCodec {
  readonly encoder: InferRequestEncoder;
  readonly decoder: InferReplyDecoder;
}

/**
 * The agent's side of the gateway's HTTP API: `POST /v1/plan` (proto3 JSON) and `POST /v1/infer`
 * (protobuf body, protobuf reply), over one keep-alive undici `Pool`. Per call: the InferRequest is
 * built by hand into one buffer, headers are prebuilt, and the deadline sits on one shared timer
 * (`Deadlines`), so a call allocates no timer, dispatcher or header object of its own.
 * Failures become MeshErrors: connection errors `Unavailable`, the gateway's error bodies keep their
 * code and type, a late call `DeadlineExceeded` (type `timeout`).
 */
export class GatewayClient {
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly deadlines = new Deadlines();
  private readonly headers: {
    readonly json: Record<string, string>;
    readonly proto: Record<string, string>;
  };
  /** One encoder/decoder per model view (the agent has one); keyed by identity, no key string per call. */
  private readonly codecs = new WeakMap<InferModel, InferCodec>();

  constructor(private readonly opts: GatewayClientOptions) {
    const url = new URL(opts.baseUrl);
    this.prefix = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, { connections: opts.connections ?? 8, pipelining: 1 });
    const auth: Record<string, string> =
      opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` };
    this.headers = {
      json: { 'content-type': 'application/json', accept: 'application/json', ...auth },
      proto: {
        'content-type': 'application/x-protobuf',
        accept: 'application/x-protobuf',
        ...auth,
      },
    };
  }

  async plan(req: PlanRequest, timeoutMs: number): Promise<Timed<PlanReply>> {
    const body = Buffer.from(JSON.stringify(PlanRequest.toJSON(req)));
    const r = await this.call('/v1/plan', PLAN_LABEL, body, this.headers.json, timeoutMs);
    const json: unknown = JSON.parse(r.value.toString('utf8'));
    return { value: PlanReply.fromJSON(json), bytes: r.bytes, totalMs: r.totalMs };
  }

  /**
   * `POST /v1/infer`: the fields of the reply the agent uses (`InferAnswer`: top-k and the worker's
   * total time), decoded by hand (`InferReplyDecoder`).
   */
  async infer(model: InferModel, req: InferCall, timeoutMs: number): Promise<Timed<InferAnswer>> {
    let codec = this.codecs.get(model);
    if (codec === undefined) {
      codec = {
        encoder: new InferRequestEncoder(model.name, model.version),
        decoder: new InferReplyDecoder(model.classes),
      };
      this.codecs.set(model, codec);
    }
    const body = codec.encoder.encode(req);
    const r = await this.call('/v1/infer', INFER_LABEL, body, this.headers.proto, timeoutMs);
    const v = codec.decoder.decode(r.value);
    return { value: v, bytes: r.bytes, totalMs: r.totalMs };
  }

  /** Closes the connections (pending calls fail). */
  close(): Promise<void> {
    return this.pool.close();
  }

  private async call(
    path: string,
    label: string,
    body: Buffer,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<Timed<Buffer>> {
    const deadline = this.deadlines.start(timeoutMs, label);
    const signal = deadline.signal;
    const t0 = performance.now();
    try {
      if (this.opts.link !== undefined) await this.opts.link.uplink(body.length, signal);
      const res = await this.pool.request({
        path: this.prefix + path,
        method: 'POST',
        body,
        headers,
        signal,
      });
      const buf = Buffer.from(await res.body.arrayBuffer());
      if (this.opts.link !== undefined) await this.opts.link.downlink(signal);
      if (res.statusCode < 200 || res.statusCode >= 300) {
        throw errorFromReply(path, res.statusCode, String(res.headers['content-type'] ?? ''), buf);
      }
      return { value: buf, bytes: body.length, totalMs: performance.now() - t0 };
    } catch (err) {
      throw normalise(signal.aborted ? signal.reason : err, path, timeoutMs);
    } finally {
      deadline.done();
    }
  }
}

function normalise(err: unknown, path: string, timeoutMs: number): MeshError {
  if (err instanceof MeshError) return err;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new MeshError(
      Code.DeadlineExceeded,
      `gateway ${path} did not answer within ${timeoutMs} ms`,
      { cause: err, type: 'timeout' },
    );
  }
  const inner =
    fromNodeError(err) ??
    (err instanceof Error && err.cause !== undefined ? fromNodeError(err.cause) : undefined);
  if (inner !== undefined)
    return new MeshError(inner.code, `gateway ${path}: ${inner.rawMessage}`, {
      cause: err,
      type: inner.type,
    });
  return new MeshError(
    Code.Unavailable,
    `gateway ${path}: ${err instanceof Error ? err.message : String(err)}`,
    {
      cause: err,
      type: 'gateway_unreachable',
    },
  );
}

const httpToCode: Record<number, Code> = {
  400: Code.InvalidArgument,
  401: Code.Unauthenticated,
  403: Code.PermissionDenied,
  404: Code.NotFound,
  408: Code.DeadlineExceeded,
  413: Code.InvalidArgument,
  429: Code.ResourceExhausted,
  503: Code.Unavailable,
  504: Code.DeadlineExceeded,
};

/** The gateway's error body: `{code, message, type}` JSON (code a gRPC number or name), or anything else. */
function errorFromReply(
  path: string,
  status: number,
  contentType: string,
  body: Buffer,
): MeshError {
  let code = httpToCode[status] ?? (status >= 500 ? Code.Unavailable : Code.Unknown);
  let message = `HTTP ${status}`;
  let type: string | undefined;
  if (contentType.includes('json')) {
    try {
      const j = JSON.parse(body.toString('utf8')) as {
        code?: unknown;
        message?: unknown;
        type?: unknown;
        error?: unknown;
      };
      const c =
        typeof j.code === 'number' || typeof j.code === 'string'
          ? codeFromString(String(j.code))
          : undefined;
      if (c !== undefined) code = c;
      if (typeof j.message === 'string') message = j.message;
      else if (typeof j.error === 'string') message = j.error;
      if (typeof j.type === 'string') type = j.type;
    } catch {
      // not JSON after all: keep the status
    }
  }
  return new MeshError(code, `gateway ${path} answered ${status}: ${message}`, {
    type: type ?? 'gateway_error',
  });
}
