/**
 * A small gRPC server on `node:http2`: unary, server-streaming, client-streaming and bidi calls,
 * identity encoding only, over a unix socket in plaintext (h2c with prior knowledge) or TLS with a
 * required client certificate (go-plugin AutoMTLS).
 *
 * Wire format (gRPC over HTTP/2): each message is a 1-byte compressed flag, a 4-byte big-endian
 * length and the protobuf bytes, possibly split across DATA frames; the response is HEADERS
 * (`:status 200`, `content-type: application/grpc`), the messages, then trailers with
 * `grpc-status`/`grpc-message`. An error before any response message is sent as a
 * "Trailers-Only" response (one HEADERS frame carrying the status).
 */
import type { EventEmitter } from 'node:events';
import * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import type { WireMessage } from './protobuf';
import type { MethodDefinition, ServiceDefinition } from './services';

/** gRPC status codes. */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

/** Throw (or reject with) this from a handler to answer with a specific status and message. */
export class GrpcError extends Error {
  constructor(
    readonly code: StatusCode,
    message: string,
  ) {
    super(message);
    this.name = 'GrpcError';
  }
}

// ---------------------------------------------------------------------------------------------
// Handler API.

export interface CallContext {
  readonly method: MethodDefinition;
  /** The request headers (gRPC metadata, lower-case names). */
  readonly metadata: http2.IncomingHttpHeaders;
  /** True once the client cancelled, the deadline passed or the connection dropped. */
  readonly cancelled: boolean;
  /** Runs `callback` once if the call is cancelled before it completed (at once if it already was). */
  onCancel(callback: () => void): void;
}

export interface ServerStream<Res = WireMessage> extends CallContext {
  /** Sends one message. Returns false when the call is over or the transport buffer is full. */
  write(message: Res): boolean;
  /** Completes the call with status OK. */
  end(): void;
  /** Completes the call with an error status. */
  fail(code: StatusCode, message: string): void;
}

export interface ClientStream<Req = WireMessage> extends CallContext {
  /** Receives each request message (messages that arrived earlier are delivered at once, in order). */
  onMessage(callback: (message: Req) => void): void;
  /** Runs when the client has sent its last message (half-close). */
  onEnd(callback: () => void): void;
}

export interface DuplexStream<Req = WireMessage, Res = WireMessage> extends ServerStream<Res>, ClientStream<Req> {}

export type UnaryHandler<Req = WireMessage, Res = WireMessage> = (
  request: Req,
  call: CallContext,
) => Res | Promise<Res>;
/** The call lasts until `stream.end()`/`fail()`; a throw or rejection fails it. */
export type ServerStreamingHandler<Req = WireMessage, Res = WireMessage> = (
  request: Req,
  stream: ServerStream<Res>,
) => void | Promise<void>;
export type ClientStreamingHandler<Req = WireMessage, Res = WireMessage> = (
  stream: ClientStream<Req>,
) => Res | Promise<Res>;
/** The call lasts until `stream.end()`/`fail()`; a throw or rejection fails it. */
export type BidiStreamingHandler<Req = WireMessage, Res = WireMessage> = (
  stream: DuplexStream<Req, Res>,
) => void | Promise<void>;

/** A plain function implements a unary method; streaming methods say which kind they implement. */
export type MethodImplementation =
  | UnaryHandler
  | { readonly serverStreaming: ServerStreamingHandler }
  | { readonly clientStreaming: ClientStreamingHandler }
  | { readonly bidiStreaming: BidiStreamingHandler };

/** Handlers by method name; methods without one answer UNIMPLEMENTED. */
export type ServiceImplementation = { readonly [method: string]: MethodImplementation | undefined };

export type LogFieldValue = string | number | boolean | null | undefined;
export type GrpcLog = (level: 'debug' | 'error', message: string, fields?: Record<string, LogFieldValue>) => void;

export interface GrpcServerOptions {
  /** Largest message accepted or sent, in bytes (default 256 MiB). */
  readonly maxMessageBytes?: number;
  /** Transport problems (debug) and handler failures (error). Never given message contents. */
  readonly log?: GrpcLog;
}

export interface ListenOptions {
  /** Unix socket path to listen on. */
  readonly path: string;
  /** TLS with a required client certificate signed by (or equal to) `clientCaPem`. */
  readonly tls?: { readonly key: string; readonly cert: string; readonly clientCaPem: string };
}

// ---------------------------------------------------------------------------------------------

const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
/** Connection-level receive window: large requests (states, configs) should not wait for WINDOW_UPDATEs. */
const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
const HTTP2_SETTINGS: http2.Settings = {
  maxConcurrentStreams: 1000,
  initialWindowSize: 1 << 20,
  maxHeaderListSize: 1 << 20,
};
/** nghttp2 session memory cap in MiB (default 10): big streamed messages stay in memory. */
const MAX_SESSION_MEMORY_MB = 1024;
const CONTENT_TYPE = 'application/grpc';

type Kind = 'unary' | 'serverStreaming' | 'clientStreaming' | 'bidiStreaming';

interface RegisteredMethod {
  readonly definition: MethodDefinition;
  readonly kind: Kind;
  readonly handler: (...args: never[]) => unknown;
}

function kindOf(method: MethodDefinition): Kind {
  if (method.requestStream) return method.responseStream ? 'bidiStreaming' : 'clientStreaming';
  return method.responseStream ? 'serverStreaming' : 'unary';
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error;
}

/** grpc-message is percent-encoded UTF-8: bytes outside 0x20..0x7E, and '%', become %XX. */
export function percentEncodeGrpcMessage(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    if (byte >= 0x20 && byte <= 0x7e && byte !== 0x25) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const TIMEOUT_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout` ("100m", "5S", ...) in milliseconds, or undefined if absent/invalid. */
function parseTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (match === null) return undefined;
  return Math.min(Number(match[1]) * TIMEOUT_UNITS[match[2]!]!, 2 ** 31 - 1);
}

/** Reassembles length-prefixed gRPC messages from DATA chunks. */
class FrameReader {
  private readonly header = Buffer.allocUnsafe(5);
  private headerFill = 0;
  private bodyLength = -1; // -1: reading a header
  private bodyFill = 0;
  private parts: Buffer[] = [];
  private stopped = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onMessage: (body: Buffer) => void,
    private readonly onError: (code: StatusCode, message: string) => void,
  ) {}

  /** True when the data so far ends inside a message. */
  get partial(): boolean {
    return this.headerFill > 0 || this.bodyLength >= 0;
  }

  stop(): void {
    this.stopped = true;
    this.parts = [];
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    let offset = 0;
    while (offset < n && !this.stopped) {
      if (this.bodyLength < 0) {
        let flag: number;
        let length: number;
        if (this.headerFill === 0 && n - offset >= 5) {
          flag = chunk[offset]!;
          length = chunk.readUInt32BE(offset + 1);
          offset += 5;
        } else {
          const take = Math.min(5 - this.headerFill, n - offset);
          chunk.copy(this.header, this.headerFill, offset, offset + take);
          this.headerFill += take;
          offset += take;
          if (this.headerFill < 5) return;
          this.headerFill = 0;
          flag = this.header[0]!;
          length = this.header.readUInt32BE(1);
        }
        if (flag !== 0) {
          this.stop();
          if (flag === 1) this.onError(Status.UNIMPLEMENTED, 'compression not supported');
          else this.onError(Status.INTERNAL, 'invalid gRPC message flag');
          return;
        }
        if (length > this.maxBytes) {
          this.stop();
          this.onError(Status.RESOURCE_EXHAUSTED, `received message larger than max (${length} vs. ${this.maxBytes})`);
          return;
        }
        if (n - offset >= length) {
          const body = chunk.subarray(offset, offset + length);
          offset += length;
          this.onMessage(body);
          continue;
        }
        this.bodyLength = length;
        this.bodyFill = 0;
        this.parts = [];
      }
      const take = Math.min(this.bodyLength - this.bodyFill, n - offset);
      this.parts.push(chunk.subarray(offset, offset + take));
      this.bodyFill += take;
      offset += take;
      if (this.bodyFill === this.bodyLength) {
        const body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bodyLength);
        this.parts = [];
        this.bodyLength = -1;
        this.onMessage(body);
      }
    }
  }
}

/** One call: the state of one HTTP/2 stream. Implements every handler-facing interface. */
class ServerCall implements DuplexStream {
  cancelled = false;
  private finished = false;
  private headersSent = false;
  private requestEnded = false;
  private trailers: http2.OutgoingHttpHeaders = { 'grpc-status': '0' };
  private cancelCallbacks: Array<() => void> = [];
  private messageCallback: ((message: WireMessage) => void) | undefined;
  private endCallback: (() => void) | undefined;
  private queue: WireMessage[] = [];
  private endDelivered = false;
  private request: WireMessage | undefined;
  private requestCount = 0;
  private deadline: NodeJS.Timeout | undefined;
  private readonly reader: FrameReader;
  readonly method: MethodDefinition;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    readonly metadata: http2.IncomingHttpHeaders,
    private readonly registered: RegisteredMethod,
    private readonly maxBytes: number,
    private readonly log: GrpcLog,
    private readonly open: Set<ServerCall>,
  ) {
    this.method = registered.definition;
    this.reader = new FrameReader(
      maxBytes,
      (body) => this.onFrame(body),
      (code, message) => this.finish(code, message),
    );
  }

  start(): void {
    const stream = this.stream;
    this.open.add(this);
    stream.on('data', (chunk: Buffer) => {
      if (!this.finished) this.reader.push(chunk);
    });
    stream.on('end', () => this.onRequestEnd());
    stream.on('close', () => this.onClose());
    const timeout = parseTimeout(this.metadata['grpc-timeout']);
    if (timeout !== undefined) {
      this.deadline = setTimeout(() => {
        if (this.finished) return;
        this.finish(Status.DEADLINE_EXCEEDED, 'Deadline exceeded');
        this.cancel();
      }, timeout);
      this.deadline.unref();
    }
    const kind = this.registered.kind;
    if (kind === 'clientStreaming' || kind === 'bidiStreaming') this.invoke();
  }

  // --- handler-facing API ---------------------------------------------------------------------

  onCancel(callback: () => void): void {
    if (this.cancelled) queueMicrotask(callback);
    else this.cancelCallbacks.push(callback);
  }

  onMessage(callback: (message: WireMessage) => void): void {
    this.messageCallback = callback;
    this.drain();
  }

  onEnd(callback: () => void): void {
    this.endCallback = callback;
    this.drain();
  }

  write(message: WireMessage): boolean {
    if (this.finished) return false;
    const frame = this.encodeFrame(message);
    if (frame === undefined || !this.sendHeaders()) return false;
    try {
      return this.stream.write(frame);
    } catch (error) {
      this.log('debug', 'grpc stream write failed', { method: this.method.path, error: describe(error) });
      return false;
    }
  }

  end(): void {
    this.finish(Status.OK);
  }

  fail(code: StatusCode, message: string): void {
    this.finish(code, message);
  }

  // --- request side ---------------------------------------------------------------------------

  private onFrame(body: Buffer): void {
    if (this.finished) return;
    let message: WireMessage;
    try {
      message = this.method.requestCodec.decode(body);
    } catch (error) {
      this.log('debug', 'grpc request decode failed', { method: this.method.path, error: describe(error) });
      this.finish(Status.INTERNAL, 'error unmarshalling request');
      return;
    }
    const kind = this.registered.kind;
    if (kind === 'unary' || kind === 'serverStreaming') {
      this.requestCount++;
      if (this.requestCount > 1) this.finish(Status.INTERNAL, 'expected exactly one request message');
      else this.request = message;
      return;
    }
    this.queue.push(message);
    this.drain();
  }

  private onRequestEnd(): void {
    this.requestEnded = true;
    if (this.finished) return;
    if (this.reader.partial) {
      this.finish(Status.INTERNAL, 'request ended inside a message');
      return;
    }
    const kind = this.registered.kind;
    if (kind === 'unary' || kind === 'serverStreaming') {
      if (this.requestCount !== 1) this.finish(Status.INTERNAL, 'expected exactly one request message');
      else this.invoke();
      return;
    }
    this.drain();
  }

  /** Delivers queued messages, then the half-close, to the registered callbacks. */
  private drain(): void {
    const onMessage = this.messageCallback;
    if (onMessage !== undefined) {
      while (this.queue.length > 0 && !this.finished) {
        const batch = this.queue;
        this.queue = [];
        for (let i = 0; i < batch.length; i++) {
          if (this.finished) return;
          try {
            onMessage(batch[i]!);
          } catch (error) {
            this.handlerFailed(error);
            return;
          }
        }
      }
    }
    if (
      this.requestEnded &&
      this.queue.length === 0 &&
      !this.endDelivered &&
      this.endCallback !== undefined &&
      !this.finished
    ) {
      this.endDelivered = true;
      try {
        this.endCallback();
      } catch (error) {
        this.handlerFailed(error);
      }
    }
  }

  private invoke(): void {
    const { kind, handler } = this.registered;
    let result: unknown;
    try {
      switch (kind) {
        case 'unary':
          result = (handler as UnaryHandler)(this.request!, this);
          break;
        case 'serverStreaming':
          result = (handler as ServerStreamingHandler)(this.request!, this);
          break;
        case 'clientStreaming':
          result = (handler as ClientStreamingHandler)(this);
          break;
        case 'bidiStreaming':
          result = (handler as BidiStreamingHandler)(this);
          break;
      }
    } catch (error) {
      this.handlerFailed(error);
      return;
    }
    this.request = undefined;
    const returnsResponse = kind === 'unary' || kind === 'clientStreaming';
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      (result as PromiseLike<unknown>).then(
        (value) => {
          if (returnsResponse) this.respondWith(value as WireMessage);
        },
        (error: unknown) => this.handlerFailed(error),
      );
    } else if (returnsResponse) {
      this.respondWith(result as WireMessage);
    }
  }

  private respondWith(response: WireMessage): void {
    if (this.finished) return;
    if (response === undefined || response === null) {
      this.log('error', 'grpc handler returned no response', { method: this.method.path });
      this.finish(Status.INTERNAL, `internal error in ${this.method.name}`);
      return;
    }
    const frame = this.encodeFrame(response);
    if (frame === undefined || !this.sendHeaders()) return;
    this.finish(Status.OK, undefined, frame);
  }

  private handlerFailed(error: unknown): void {
    if (this.finished) return;
    if (error instanceof GrpcError) {
      this.finish(error.code, error.message);
      return;
    }
    this.log('error', 'grpc handler failed', { method: this.method.path, error: describe(error) });
    this.finish(Status.INTERNAL, `internal error in ${this.method.name}`);
  }

  // --- response side --------------------------------------------------------------------------

  /** The framed message, or undefined (and the call failed) when it cannot be encoded or is too big. */
  private encodeFrame(message: WireMessage): Buffer | undefined {
    let frame: Buffer;
    try {
      frame = this.method.responseCodec.encode(message, 5);
    } catch (error) {
      this.log('error', 'grpc response encode failed', { method: this.method.path, error: describe(error) });
      this.finish(Status.INTERNAL, `internal error in ${this.method.name}`);
      return undefined;
    }
    const length = frame.length - 5;
    if (length > this.maxBytes) {
      this.log('error', 'grpc response too large', { method: this.method.path, bytes: length });
      this.finish(Status.RESOURCE_EXHAUSTED, `response message larger than max (${length} vs. ${this.maxBytes})`);
      return undefined;
    }
    frame[0] = 0;
    frame.writeUInt32BE(length, 1);
    return frame;
  }

  private sendHeaders(): boolean {
    if (this.headersSent) return true;
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return false;
    try {
      stream.respond(
        { ':status': 200, 'content-type': CONTENT_TYPE, 'grpc-accept-encoding': 'identity' },
        { waitForTrailers: true },
      );
    } catch (error) {
      this.log('debug', 'grpc respond failed', { method: this.method.path, error: describe(error) });
      return false;
    }
    this.headersSent = true;
    stream.once('wantTrailers', () => {
      try {
        stream.sendTrailers(this.trailers);
      } catch (error) {
        this.log('debug', 'grpc sendTrailers failed', { method: this.method.path, error: describe(error) });
      }
    });
    return true;
  }

  /** Sends the status (after `lastFrame`, if given): as trailers, or Trailers-Only if nothing was sent yet. */
  private finish(code: StatusCode, message?: string, lastFrame?: Buffer): void {
    if (this.finished) return;
    this.finished = true;
    this.reader.stop();
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    const status: http2.OutgoingHttpHeaders = { 'grpc-status': String(code) };
    if (message !== undefined && message !== '') status['grpc-message'] = percentEncodeGrpcMessage(message);
    try {
      if (this.headersSent) {
        this.trailers = status;
        if (lastFrame !== undefined) stream.end(lastFrame);
        else stream.end();
      } else {
        stream.respond({ ':status': 200, 'content-type': CONTENT_TYPE, ...status }, { endStream: true });
      }
    } catch (error) {
      this.log('debug', 'grpc finish failed', { method: this.method.path, error: describe(error) });
    }
    // Whatever the client still sends is read and dropped (keeps flow control moving).
  }

  /** Server shutdown: RST_STREAM(CANCEL), which gRPC clients report as CANCELLED. */
  abort(): void {
    if (this.finished) return; // completed: its status is on the way
    this.finished = true;
    this.reader.stop();
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    try {
      if (!this.stream.destroyed) this.stream.close(http2.constants.NGHTTP2_CANCEL);
    } catch (error) {
      this.log('debug', 'http2 stream close failed', { method: this.method.path, error: describe(error) });
    }
    this.cancel();
  }

  private onClose(): void {
    this.open.delete(this);
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    if (this.finished) return;
    this.finished = true;
    this.reader.stop();
    this.cancel();
  }

  private cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const callbacks = this.cancelCallbacks;
    this.cancelCallbacks = [];
    for (const callback of callbacks) {
      try {
        callback();
      } catch (error) {
        this.log('error', 'grpc cancel callback failed', { method: this.method.path, error: describe(error) });
      }
    }
  }
}

export class GrpcServer {
  private readonly methods = new Map<string, RegisteredMethod>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly calls = new Set<ServerCall>();
  private server: http2.Http2Server | http2.Http2SecureServer | undefined;
  private readonly maxBytes: number;
  private readonly log: GrpcLog;

  constructor(options: GrpcServerOptions = {}) {
    this.maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.log = options.log ?? (() => undefined);
  }

  /** Registers the handlers of one service. Throws on unknown method names or a kind mismatch. */
  addService(definition: ServiceDefinition, implementation: ServiceImplementation): void {
    for (const name of Object.keys(implementation)) {
      if (!Object.prototype.hasOwnProperty.call(definition.methods, name)) {
        throw new Error(`service ${definition.name} has no method ${name}`);
      }
    }
    for (const method of Object.values(definition.methods)) {
      const implementationOf = implementation[method.name];
      if (implementationOf === undefined) continue;
      if (this.methods.has(method.path)) throw new Error(`${method.path} is already registered`);
      const kind = kindOf(method);
      let handler: unknown;
      if (typeof implementationOf === 'function') {
        if (kind !== 'unary') throw new Error(`${method.path} is ${kind}: implement it as { ${kind}: handler }`);
        handler = implementationOf;
      } else {
        handler = (implementationOf as Record<string, unknown>)[kind];
        if (typeof handler !== 'function') {
          const given = Object.keys(implementationOf).join(', ');
          throw new Error(
            `${method.path} is ${kind}: implement it as ${kind === 'unary' ? 'a function' : `{ ${kind}: handler }`} (got { ${given} })`,
          );
        }
      }
      this.methods.set(method.path, { definition: method, kind, handler: handler as RegisteredMethod['handler'] });
    }
  }

  /** Starts listening on a unix socket; resolves once bound. */
  async listen(options: ListenOptions): Promise<void> {
    if (this.server !== undefined) throw new Error('GrpcServer is already listening');
    const common = { settings: HTTP2_SETTINGS, maxSessionMemory: MAX_SESSION_MEMORY_MB };
    const server =
      options.tls === undefined
        ? http2.createServer(common)
        : http2.createSecureServer({
            ...common,
            key: options.tls.key,
            cert: options.tls.cert,
            ca: options.tls.clientCaPem,
            requestCert: true,
            rejectUnauthorized: true,
            ALPNProtocols: ['h2'],
            minVersion: 'TLSv1.2',
          });
    const events = server as unknown as EventEmitter;
    events.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) =>
      this.onStream(stream, headers),
    );
    events.on('session', (session: http2.ServerHttp2Session) => this.onSession(session));
    events.on('sessionError', (error: Error) => this.log('debug', 'http2 session error', { error: describe(error) }));
    events.on('tlsClientError', (error: Error) => this.log('debug', 'tls client error', { error: describe(error) }));
    events.on('unknownProtocol', (socket: Socket) => {
      this.log('debug', 'connection without ALPN h2 refused');
      socket.destroy();
    });
    server.setTimeout(0);
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once('error', onError);
      server.listen(options.path, () => {
        server.off('error', onError);
        resolve();
      });
    });
    events.on('error', (error: Error) => this.log('error', 'grpc server error', { error: describe(error) }));
    this.server = server;
  }

  /** Stops accepting connections and resolves when the open calls have finished. */
  close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const session of this.sessions) {
        try {
          session.close();
        } catch (error) {
          this.log('debug', 'http2 session close failed', { error: describe(error) });
        }
      }
    });
  }

  /**
   * Cancels every open call (RST_STREAM CANCEL: clients see CANCELLED, handlers see onCancel),
   * drops every connection and stops listening.
   */
  forceShutdown(): void {
    const server = this.server;
    for (const call of [...this.calls]) call.abort();
    this.calls.clear();
    for (const session of this.sessions) {
      try {
        // With an error and a code, streams still open get RST_STREAM(CANCEL) (clients: CANCELLED).
        session.destroy(new Error('grpc server shutdown'), http2.constants.NGHTTP2_CANCEL);
      } catch (error) {
        this.log('debug', 'http2 session destroy failed', { error: describe(error) });
      }
    }
    this.sessions.clear();
    server?.close();
  }

  private onSession(session: http2.ServerHttp2Session): void {
    this.sessions.add(session);
    session.on('close', () => this.sessions.delete(session));
    session.on('error', (error: Error) => this.log('debug', 'http2 session error', { error: describe(error) }));
    session.on('frameError', (type: number, code: number) => this.log('debug', 'http2 frame error', { type, code }));
    try {
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
    } catch (error) {
      this.log('debug', 'http2 setLocalWindowSize failed', { error: describe(error) });
    }
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', (error: Error) => this.log('debug', 'http2 stream error', { error: describe(error) }));
    const path = headers[':path'];
    const contentType = headers['content-type'];
    if (
      headers[':method'] !== 'POST' ||
      typeof contentType !== 'string' ||
      !contentType.startsWith('application/grpc')
    ) {
      reject(stream, headers[':method'] !== 'POST' ? 405 : 415);
      return;
    }
    const registered = typeof path === 'string' ? this.methods.get(path) : undefined;
    if (registered === undefined) {
      trailersOnly(stream, Status.UNIMPLEMENTED, `unknown method ${String(path)}`);
      return;
    }
    new ServerCall(stream, headers, registered, this.maxBytes, this.log, this.calls).start();
  }
}

function reject(stream: http2.ServerHttp2Stream, httpStatus: number): void {
  stream.resume();
  try {
    stream.respond({ ':status': httpStatus }, { endStream: true });
  } catch {
    // stream already gone
  }
}

function trailersOnly(stream: http2.ServerHttp2Stream, code: StatusCode, message: string): void {
  stream.resume(); // read and drop the request
  try {
    stream.respond(
      {
        ':status': 200,
        'content-type': CONTENT_TYPE,
        'grpc-status': String(code),
        'grpc-message': percentEncodeGrpcMessage(message),
      },
      { endStream: true },
    );
  } catch {
    // stream already gone
  }
}
