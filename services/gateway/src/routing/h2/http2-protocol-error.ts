/** HTTP/2 error codes (RFC 9113 section 7) this client sends or names. */
export const H2Error = {
  NoError: 0x0,
  ProtocolError: 0x1,
  InternalError: 0x2,
  FlowControlError: 0x3,
  SettingsTimeout: 0x4,
  StreamClosed: 0x5,
  FrameSizeError: 0x6,
  RefusedStream: 0x7,
  Cancel: 0x8,
  CompressionError: 0x9,
  ConnectError: 0xa,
  EnhanceYourCalm: 0xb,
  InadequateSecurity: 0xc,
  Http11Required: 0xd,
} as const;
export type H2Error = (typeof H2Error)[keyof typeof H2Error];

const NAMES = new Map<number, string>(
  Object.entries(H2Error).map(([name, code]) => [
    code,
    name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase(),
  ]),
);

/**
 * A connection error found while reading the peer's frames: the connection is closed with GOAWAY and
 * this code, and every call on it fails UNAVAILABLE with the message (the channel's boundary turns it
 * into a MeshError).
 */
export class Http2ProtocolError extends Error {
  readonly code: H2Error;

  constructor(code: H2Error, message: string) {
    super(message);
    this.name = 'Http2ProtocolError';
    this.code = code;
  }
}

/** The name of an HTTP/2 error code for messages: "CANCEL", "REFUSED_STREAM", or the number. */
export function h2ErrorName(code: number): string {
  return NAMES.get(code) ?? `code ${String(code)}`;
}

export function protocolError(what: string): Http2ProtocolError {
  return new Http2ProtocolError(H2Error.ProtocolError, what);
}

export function frameSizeError(what: string): Http2ProtocolError {
  return new Http2ProtocolError(H2Error.FrameSizeError, what);
}

/** An HPACK decoding error: the connection's header table state is lost with it. */
export function compressionError(what: string): Http2ProtocolError {
  return new Http2ProtocolError(H2Error.CompressionError, `HPACK: ${what}`);
}
