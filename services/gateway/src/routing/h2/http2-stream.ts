// What the owner of a request on an Http2ClientConnection sees of it.

/** Decoded fields of one header block; pseudo-headers (`:status`) included. */
export type HeaderFields = Record<string, string>;

/** How a stream ended, as its handler learns it (exactly once). */
export type StreamEnd =
  | { readonly kind: 'ended' } // the peer closed it normally (END_STREAM)
  | { readonly kind: 'reset'; readonly code: number; readonly byPeer: boolean }
  | { readonly kind: 'lost'; readonly reason: string; readonly refused: boolean };

/** What one request's owner is told. Called from the connection's read loop: keep it short. */
export interface StreamHandler {
  onHeaders(fields: HeaderFields, endStream: boolean): void;
  onData(chunk: Buffer): void;
  onEnd(end: StreamEnd): void;
}

/** A request on the connection: what `reset` needs. */
export interface Http2Stream {
  readonly id: number;
}
