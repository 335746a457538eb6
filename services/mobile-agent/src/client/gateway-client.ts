import { Code, MeshError, codeFromString, fromNodeError } from '@bottlenet/errors';
import { InferReply, InferRequest, PlanReply, PlanRequest } from '@bottlenet/protocol';
import type { LinkEmulator } from '../link/index.js';

export interface GatewayClientOptions {
  readonly baseUrl: string;
  readonly token?: string | undefined;
  /** Shapes every call as if it crossed the device's uplink. */
  readonly link?: LinkEmulator | undefined;
}

/** One timed call: what came back, and how long the network (everything but the server's own work) took. */
export interface Timed<T> {
  readonly value: T;
  /** Request bytes on the wire (body only). */
  readonly bytes: number;
  /** From handing the body to the link until the reply was in, ms. */
  readonly totalMs: number;
}

/**
 * The agent's side of the gateway's HTTP API: `POST /v1/plan` (proto3 JSON) and `POST /v1/infer`
 * (protobuf body, protobuf reply). Failures become MeshErrors: connection errors `Unavailable`,
 * the gateway's error bodies keep their code and type, an aborted call `DeadlineExceeded`.
 */
export class GatewayClient {
  private readonly base: string;

  constructor(private readonly opts: GatewayClientOptions) {
    this.base = opts.baseUrl.replace(/\/+$/, '');
  }

  async plan(req: PlanRequest, timeoutMs: number): Promise<Timed<PlanReply>> {
    const body = Buffer.from(JSON.stringify(PlanRequest.toJSON(req)));
    const r = await this.call('/v1/plan', body, 'application/json', timeoutMs);
    const json: unknown = JSON.parse(r.value.toString('utf8'));
    return { ...r, value: PlanReply.fromJSON(json) };
  }

  async infer(req: InferRequest, timeoutMs: number): Promise<Timed<InferReply>> {
    const bytes = InferRequest.encode(req).finish();
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const r = await this.call('/v1/infer', body, 'application/x-protobuf', timeoutMs);
    return { ...r, value: InferReply.decode(r.value) };
  }

  private async call(path: string, body: Buffer, contentType: string, timeoutMs: number): Promise<Timed<Buffer>> {
    const signal = AbortSignal.timeout(timeoutMs);
    const headers: Record<string, string> = { 'content-type': contentType, accept: contentType };
    if (this.opts.token !== undefined) headers['authorization'] = `Bearer ${this.opts.token}`;
    const t0 = performance.now();
    try {
      if (this.opts.link !== undefined) await this.opts.link.uplink(body.length, signal);
      const res = await fetch(this.base + path, { method: 'POST', body, headers, signal });
      const buf = Buffer.from(await res.arrayBuffer());
      if (this.opts.link !== undefined) await this.opts.link.downlink(signal);
      if (!res.ok) throw errorFromReply(path, res.status, res.headers.get('content-type') ?? '', buf);
      return { value: buf, bytes: body.length, totalMs: performance.now() - t0 };
    } catch (err) {
      throw normalise(err, path, timeoutMs);
    }
  }
}

function normalise(err: unknown, path: string, timeoutMs: number): MeshError {
  if (err instanceof MeshError) return err;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new MeshError(Code.DeadlineExceeded, `gateway ${path} did not answer within ${timeoutMs} ms`, { cause: err, type: 'timeout' });
  }
  const inner = err instanceof Error && err.cause !== undefined ? fromNodeError(err.cause) : undefined;
  if (inner !== undefined) return new MeshError(inner.code, `gateway ${path}: ${inner.rawMessage}`, { cause: err, type: inner.type });
  return new MeshError(Code.Unavailable, `gateway ${path}: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
    type: 'gateway_unreachable',
  });
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
function errorFromReply(path: string, status: number, contentType: string, body: Buffer): MeshError {
  let code = httpToCode[status] ?? (status >= 500 ? Code.Unavailable : Code.Unknown);
  let message = `HTTP ${status}`;
  let type: string | undefined;
  if (contentType.includes('json')) {
    try {
      const j = JSON.parse(body.toString('utf8')) as { code?: unknown; message?: unknown; type?: unknown; error?: unknown };
      const c = typeof j.code === 'number' || typeof j.code === 'string' ? codeFromString(String(j.code)) : undefined;
      if (c !== undefined) code = c;
      if (typeof j.message === 'string') message = j.message;
      else if (typeof j.error === 'string') message = j.error;
      if (typeof j.type === 'string') type = j.type;
    } catch {
      // not JSON after all: keep the status
    }
  }
  return new MeshError(code, `gateway ${path} answered ${status}: ${message}`, { type: type ?? 'gateway_error' });
}
