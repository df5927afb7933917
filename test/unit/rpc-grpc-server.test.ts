import * as grpc from '@grpc/grpc-js';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import healthProto from '../../src/provider/protocol/proto/health.proto';
import pluginProto from '../../src/provider/protocol/proto/plugin.proto';
import tfplugin6Proto from '../../src/provider/protocol/proto/tfplugin6.proto';
import {
  GrpcError,
  GrpcServer,
  loadServices,
  percentEncodeGrpcMessage,
  Status,
  type CallContext,
  type GrpcServerOptions,
  type ServerStream,
  type WireMessage,
} from '../../src/provider/protocol/rpc';
import { generateServerCertificate } from '../../src/provider/protocol/tls';

/** A service using every call kind, with a message that can be made big. */
const TEST_PROTO = `
syntax = "proto3";
package rpctest;
message Num { int64 n = 1; bytes blob = 2; string text = 3; }
service Calc {
  rpc Sum(stream Num) returns (Num);
  rpc Echo(stream Num) returns (stream Num);
  rpc Count(Num) returns (stream Num);
  rpc Slow(Num) returns (Num);
}
`;
const TEXTS = [tfplugin6Proto, pluginProto, healthProto, TEST_PROTO];
const services = loadServices(TEXTS);

// The client side uses protobufjs, independently of the codec under test.
const root = new protobuf.Root();
for (const text of TEXTS) protobuf.parse(text, root, { keepCase: true });
root.resolveAll();
const TO_OBJECT = {
  longs: Number,
  enums: Number,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: true,
};
function codec(name: string): { serialize: (m: WireMessage) => Buffer; deserialize: (b: Buffer) => WireMessage } {
  const type = root.lookupType(name);
  return {
    serialize: (m) => Buffer.from(type.encode(type.fromObject(m)).finish()),
    deserialize: (b) => type.toObject(type.decode(b), TO_OBJECT) as WireMessage,
  };
}

const MAX = 64 * 1024 * 1024;
const CLIENT_OPTIONS = { 'grpc.max_send_message_length': MAX, 'grpc.max_receive_message_length': MAX };

interface Harness {
  server: GrpcServer;
  socket: string;
  logs: Array<{ level: string; message: string; fields?: Record<string, unknown> }>;
}

const tempDirs: string[] = [];
const servers: GrpcServer[] = [];
const clients: grpc.Client[] = [];

afterAll(async () => {
  for (const client of clients) client.close();
  for (const server of servers) server.forceShutdown();
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

async function start(
  configure: (server: GrpcServer) => void,
  tls?: { key: string; cert: string; clientCaPem: string },
  options: GrpcServerOptions = {},
): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-rpc-test-'));
  tempDirs.push(dir);
  const socket = path.join(dir, 'plugin.sock');
  const logs: Harness['logs'] = [];
  const server = new GrpcServer({ log: (level, message, fields) => logs.push({ level, message, fields }), ...options });
  servers.push(server);
  configure(server);
  await server.listen({ path: socket, ...(tls ? { tls } : {}) });
  return { server, socket, logs };
}

function client(
  socket: string,
  credentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): grpc.Client {
  const c = new grpc.Client(`unix:${socket}`, credentials, { ...CLIENT_OPTIONS, ...options });
  clients.push(c);
  return c;
}

function unary(
  c: grpc.Client,
  method: string,
  requestType: string,
  responseType: string,
  request: WireMessage,
  options: grpc.CallOptions = {},
): Promise<WireMessage> {
  const req = codec(requestType);
  const res = codec(responseType);
  return new Promise((resolve, reject) => {
    c.makeUnaryRequest(method, req.serialize, res.deserialize, request, new grpc.Metadata(), options, (error, value) =>
      error ? reject(error) : resolve(value!),
    );
  });
}

async function statusOf(promise: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as grpc.ServiceError;
  }
  throw new Error('expected the call to fail');
}

const SCHEMA_RESPONSE = {
  provider: { version: 0, block: { attributes: [{ name: 'address', type: Buffer.from('"string"'), optional: true }] } },
  resource_schemas: {
    coffer_user_secret: {
      version: 1,
      block: { attributes: [{ name: 'id', type: Buffer.from('"string"'), computed: true }] },
    },
  },
  server_capabilities: { plan_destroy: true },
};

function providerHandlers(): Parameters<GrpcServer['addService']>[1] {
  return {
    GetProviderSchema: async () => SCHEMA_RESPONSE,
    PlanResourceChange: async (request: WireMessage) => {
      const state = (request.proposed_new_state as { msgpack: Buffer } | null)?.msgpack ?? Buffer.alloc(0);
      return { planned_state: { msgpack: state }, planned_private: Buffer.from(String(request.type_name)) };
    },
    ValidateResourceConfig: async (request: WireMessage) => {
      throw new Error(`secret ${String(request.type_name)} leaked`);
    },
    ValidateDataResourceConfig: (request: WireMessage) => {
      throw new GrpcError(Status.INVALID_ARGUMENT, `bad: 100% ünïcode\nline ${String(request.type_name)}`);
    },
    StopProvider: (_request: WireMessage, call: CallContext) => ({ Error: String(call.metadata['x-test'] ?? '') }),
  };
}

describe('GrpcServer over plaintext h2c on a unix socket', () => {
  let harness: Harness;
  let c: grpc.Client;
  const stdioCancelled: Array<() => void> = [];
  let lastStdio: ServerStream | undefined;
  let slowCancelled = false;

  beforeAll(async () => {
    harness = await start((server) => {
      server.addService(services['tfplugin6.Provider']!, providerHandlers());
      server.addService(services['plugin.GRPCStdio']!, {
        StreamStdio: {
          serverStreaming: (_request, stream) => {
            lastStdio = stream;
            stream.write({ channel: 1, data: Buffer.from('one') });
            stream.write({ channel: 2, data: Buffer.from('two') });
            stream.onCancel(() => stdioCancelled.forEach((f) => f()));
          },
        },
      });
      server.addService(services['plugin.GRPCBroker']!, {
        StartStream: {
          bidiStreaming: (stream) => {
            stream.onMessage((info) => stream.write({ ...info, service_id: Number(info.service_id) + 1 }));
            stream.onEnd(() => stream.end());
          },
        },
      });
      server.addService(services['grpc.health.v1.Health']!, {
        Check: async (request) => ({ status: request.service === 'plugin' ? 1 : 3 }),
      });
      server.addService(services['rpctest.Calc']!, {
        Sum: {
          clientStreaming: (stream) =>
            new Promise((resolve) => {
              let sum = 0;
              stream.onMessage((m) => (sum += Number(m.n)));
              stream.onEnd(() => resolve({ n: sum }));
            }),
        },
        Count: {
          serverStreaming: async (request, stream) => {
            for (let i = 1; i <= Number(request.n); i++) {
              stream.write({ n: i });
              await new Promise((r) => setImmediate(r));
            }
            stream.end();
          },
        },
        Slow: (_request, call) =>
          new Promise((resolve) => {
            call.onCancel(() => {
              slowCancelled = true;
              resolve({ n: -1 }); // too late: nobody is listening any more
            });
          }),
      });
    });
    c = client(harness.socket);
  });

  test('unary success', async () => {
    const response = await unary(
      c,
      '/tfplugin6.Provider/GetProviderSchema',
      'tfplugin6.GetProviderSchema.Request',
      'tfplugin6.GetProviderSchema.Response',
      {},
    );
    const expected = codec('tfplugin6.GetProviderSchema.Response');
    expect(response).toStrictEqual(expected.deserialize(expected.serialize(SCHEMA_RESPONSE)));
    const health = await unary(
      c,
      '/grpc.health.v1.Health/Check',
      'grpc.health.v1.HealthCheckRequest',
      'grpc.health.v1.HealthCheckResponse',
      {
        service: 'plugin',
      },
    );
    expect(health).toStrictEqual({ status: 1 });
    expect(harness.logs.filter((entry) => entry.level === 'error' || /failed/.test(entry.message))).toEqual([]);
  });

  test('request metadata reaches the handler', async () => {
    const req = codec('tfplugin6.StopProvider.Request');
    const res = codec('tfplugin6.StopProvider.Response');
    const metadata = new grpc.Metadata();
    metadata.set('x-test', 'hello');
    const response = await new Promise<WireMessage>((resolve, reject) =>
      c.makeUnaryRequest('/tfplugin6.Provider/StopProvider', req.serialize, res.deserialize, {}, metadata, (e, v) =>
        e ? reject(e) : resolve(v!),
      ),
    );
    expect(response).toStrictEqual({ Error: 'hello' });
  });

  test('UNIMPLEMENTED for an unknown method and for a declared method without a handler', async () => {
    for (const method of ['/tfplugin6.Provider/Nope', '/no.Such/Thing', '/tfplugin6.Provider/ReadResource']) {
      const error = await statusOf(
        unary(c, method, 'tfplugin6.ReadResource.Request', 'tfplugin6.ReadResource.Response', { type_name: 'x' }),
      );
      expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
      expect(error.details).toContain(method);
    }
  });

  test('INTERNAL with a generic message when a handler throws; the log gets the error, the client never does', async () => {
    const error = await statusOf(
      unary(
        c,
        '/tfplugin6.Provider/ValidateResourceConfig',
        'tfplugin6.ValidateResourceConfig.Request',
        'tfplugin6.ValidateResourceConfig.Response',
        {
          type_name: 'hunter2',
        },
      ),
    );
    expect(error.code).toBe(grpc.status.INTERNAL);
    expect(error.details).toBe('internal error in ValidateResourceConfig');
    expect(error.details).not.toContain('hunter2');
    expect(harness.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'grpc handler failed',
        fields: expect.objectContaining({ method: '/tfplugin6.Provider/ValidateResourceConfig' }),
      }),
    );
  });

  test('a GrpcError chooses the status; grpc-message is percent-encoded', async () => {
    const error = await statusOf(
      unary(
        c,
        '/tfplugin6.Provider/ValidateDataResourceConfig',
        'tfplugin6.ValidateDataResourceConfig.Request',
        'tfplugin6.ValidateDataResourceConfig.Response',
        { type_name: 'x' },
      ),
    );
    expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error.details).toBe('bad: 100% ünïcode\nline x');
    expect(percentEncodeGrpcMessage('bad: 100% ü\n')).toBe('bad: 100%25 %C3%BC%0A');
  });

  test('a 20 MiB message in both directions', async () => {
    const big = crypto.randomBytes(20 * 1024 * 1024);
    const response = (await unary(
      c,
      '/tfplugin6.Provider/PlanResourceChange',
      'tfplugin6.PlanResourceChange.Request',
      'tfplugin6.PlanResourceChange.Response',
      {
        type_name: 'big',
        proposed_new_state: { msgpack: big },
      },
    )) as { planned_state: { msgpack: Buffer }; planned_private: Buffer };
    expect(response.planned_state.msgpack.length).toBe(big.length);
    expect(response.planned_state.msgpack.equals(big)).toBe(true);
    expect(response.planned_private.toString()).toBe('big');
  });

  test('200 concurrent calls', async () => {
    const calls = Array.from({ length: 200 }, (_, i) =>
      unary(
        c,
        '/tfplugin6.Provider/PlanResourceChange',
        'tfplugin6.PlanResourceChange.Request',
        'tfplugin6.PlanResourceChange.Response',
        {
          type_name: `r${i}`,
          proposed_new_state: { msgpack: Buffer.from([i & 0xff]) },
        },
      ),
    );
    const responses = (await Promise.all(calls)) as Array<{
      planned_private: Buffer;
      planned_state: { msgpack: Buffer };
    }>;
    responses.forEach((response, i) => {
      expect(response.planned_private.toString()).toBe(`r${i}`);
      expect(response.planned_state.msgpack).toEqual(Buffer.from([i & 0xff]));
    });
  });

  test('server streaming: messages then OK', async () => {
    const res = codec('rpctest.Num');
    const call = c.makeServerStreamRequest('/rpctest.Calc/Count', res.serialize, res.deserialize, { n: 5 });
    const received: number[] = [];
    call.on('data', (m: WireMessage) => received.push(Number(m.n)));
    const status = await new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    expect(status.code).toBe(grpc.status.OK);
    expect(received).toEqual([1, 2, 3, 4, 5]);
  });

  test('a client cancelling a server stream: the handler sees onCancel, the server keeps serving', async () => {
    const req = codec('plugin.Empty');
    const res = codec('plugin.StdioData');
    const cancelled = new Promise<void>((resolve) => stdioCancelled.push(resolve));
    const call = c.makeServerStreamRequest('/plugin.GRPCStdio/StreamStdio', req.serialize, res.deserialize, {});
    const received: WireMessage[] = [];
    const errored = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    await new Promise<void>((resolve) =>
      call.on('data', (m: WireMessage) => {
        received.push(m);
        if (received.length === 2) resolve();
      }),
    );
    expect(received).toStrictEqual([
      { channel: 1, data: Buffer.from('one') },
      { channel: 2, data: Buffer.from('two') },
    ]);
    call.cancel();
    expect((await errored).code).toBe(grpc.status.CANCELLED);
    await cancelled;
    expect(lastStdio!.cancelled).toBe(true);
    expect(lastStdio!.write({ channel: 1, data: Buffer.from('late') })).toBe(false);
    // still serving
    await unary(
      c,
      '/grpc.health.v1.Health/Check',
      'grpc.health.v1.HealthCheckRequest',
      'grpc.health.v1.HealthCheckResponse',
      {},
    );
  });

  test('bidi streaming', async () => {
    const conn = codec('plugin.ConnInfo');
    const call = c.makeBidiStreamRequest('/plugin.GRPCBroker/StartStream', conn.serialize, conn.deserialize);
    const received: number[] = [];
    call.on('data', (m: WireMessage) => received.push(Number(m.service_id)));
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    for (const id of [1, 10, 100]) call.write({ service_id: id, network: 'unix', address: '/x' });
    call.end();
    expect((await status).code).toBe(grpc.status.OK);
    expect(received).toEqual([2, 11, 101]);
  });

  test('client streaming', async () => {
    const num = codec('rpctest.Num');
    const result = await new Promise<WireMessage>((resolve, reject) => {
      const call = c.makeClientStreamRequest('/rpctest.Calc/Sum', num.serialize, num.deserialize, (e, v) =>
        e ? reject(e) : resolve(v!),
      );
      for (let i = 1; i <= 100; i++) call.write({ n: i });
      call.end();
    });
    expect(result).toStrictEqual({ n: 5050, blob: Buffer.alloc(0), text: '' });
  });

  test('a deadline cancels the call: DEADLINE_EXCEEDED, and the handler sees onCancel', async () => {
    const error = await statusOf(
      unary(c, '/rpctest.Calc/Slow', 'rpctest.Num', 'rpctest.Num', {}, { deadline: Date.now() + 200 }),
    );
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await new Promise((r) => setTimeout(r, 50));
    expect(slowCancelled).toBe(true);
  });
});

describe('GrpcServer: raw HTTP/2 edge cases', () => {
  let harness: Harness;

  beforeAll(async () => {
    harness = await start(
      (server) => {
        server.addService(services['rpctest.Calc']!, {
          Slow: async (request) => ({ n: Number(request.n) * 2, text: String(request.text) }),
          Echo: {
            bidiStreaming: (stream) => {
              stream.onMessage((m) => stream.write(m));
              stream.onEnd(() => stream.end());
            },
          },
        });
      },
      undefined,
      { maxMessageBytes: 1024 * 1024 },
    );
  });

  function connect(): http2.ClientHttp2Session {
    const session = http2.connect('http://localhost', { createConnection: () => net.connect(harness.socket) });
    session.on('error', () => undefined);
    return session;
  }

  function frame(message: Buffer, flag = 0): Buffer {
    const header = Buffer.alloc(5);
    header[0] = flag;
    header.writeUInt32BE(message.length, 1);
    return Buffer.concat([header, message]);
  }

  interface RawResponse {
    headers: http2.IncomingHttpHeaders;
    trailers: http2.IncomingHttpHeaders;
    body: Buffer;
  }

  function request(
    session: http2.ClientHttp2Session,
    pathName: string,
    chunks: Buffer[],
    contentType = 'application/grpc',
  ): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const stream = session.request({
        ':method': 'POST',
        ':path': pathName,
        'content-type': contentType,
        te: 'trailers',
      });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const body: Buffer[] = [];
      stream.on('response', (h) => (headers = h));
      stream.on('trailers', (t) => (trailers = t));
      stream.on('data', (d: Buffer) => body.push(d));
      stream.on('end', () => resolve({ headers, trailers, body: Buffer.concat(body) }));
      stream.on('error', reject);
      (async () => {
        for (const chunk of chunks) {
          stream.write(chunk);
          await new Promise((r) => setImmediate(r));
        }
        stream.end();
      })().catch(reject);
    });
  }

  const num = codec('rpctest.Num');

  test('a message split across many DATA frames, header included', async () => {
    const session = connect();
    const bytes = frame(num.serialize({ n: 21, text: 'x'.repeat(1000) }));
    const chunks = [
      bytes.subarray(0, 1),
      bytes.subarray(1, 3),
      bytes.subarray(3, 7),
      bytes.subarray(7, 500),
      bytes.subarray(500),
    ];
    const response = await request(session, '/rpctest.Calc/Slow', chunks);
    expect(response.headers[':status']).toBe(200);
    expect(response.headers['content-type']).toBe('application/grpc');
    expect(response.trailers['grpc-status']).toBe('0');
    expect(response.body.readUInt32BE(1)).toBe(response.body.length - 5);
    expect(num.deserialize(response.body.subarray(5))).toMatchObject({ n: 42, text: 'x'.repeat(1000) });
    session.close();
  });

  test('several messages in one DATA frame (bidi)', async () => {
    const session = connect();
    const many = Buffer.concat([1, 2, 3].map((n) => frame(num.serialize({ n }))));
    const response = await request(session, '/rpctest.Calc/Echo', [many]);
    expect(response.trailers['grpc-status']).toBe('0');
    const received: number[] = [];
    for (let offset = 0; offset < response.body.length;) {
      const length = response.body.readUInt32BE(offset + 1);
      received.push(Number(num.deserialize(response.body.subarray(offset + 5, offset + 5 + length)).n));
      offset += 5 + length;
    }
    expect(received).toEqual([1, 2, 3]);
    session.close();
  });

  test('a compressed message is refused with UNIMPLEMENTED (Trailers-Only)', async () => {
    const session = connect();
    const response = await request(session, '/rpctest.Calc/Slow', [frame(num.serialize({ n: 1 }), 1)]);
    expect(response.headers['grpc-status']).toBe(String(Status.UNIMPLEMENTED));
    expect(response.headers['grpc-message']).toBe('compression not supported');
    session.close();
  });

  test('two messages on a unary call, a truncated message, garbage protobuf: INTERNAL', async () => {
    const session = connect();
    const two = await request(session, '/rpctest.Calc/Slow', [
      frame(num.serialize({ n: 1 })),
      frame(num.serialize({ n: 2 })),
    ]);
    expect(two.headers['grpc-status']).toBe(String(Status.INTERNAL));
    const truncated = await request(session, '/rpctest.Calc/Slow', [frame(num.serialize({ n: 1 })).subarray(0, 4)]);
    expect(truncated.headers['grpc-status']).toBe(String(Status.INTERNAL));
    const none = await request(session, '/rpctest.Calc/Slow', []);
    expect(none.headers['grpc-status']).toBe(String(Status.INTERNAL));
    const garbage = await request(session, '/rpctest.Calc/Slow', [frame(Buffer.from([0x0b, 0x00]))]);
    expect(garbage.headers['grpc-status']).toBe(String(Status.INTERNAL));
    expect(garbage.headers['grpc-message']).toBe('error unmarshalling request');
    session.close();
  });

  test('messages over the size limit: RESOURCE_EXHAUSTED either way', async () => {
    const session = connect();
    const tooBig = await request(session, '/rpctest.Calc/Slow', [
      frame(num.serialize({ blob: Buffer.alloc(2 * 1024 * 1024) })),
    ]);
    expect(tooBig.headers['grpc-status']).toBe(String(Status.RESOURCE_EXHAUSTED));
    expect(tooBig.headers['grpc-message']).toMatch(/received message larger than max \(2097\d+ vs\. 1048576\)/);
    session.close();
    const error = await statusOf(
      unary(client(harness.socket), '/rpctest.Calc/Slow', 'rpctest.Num', 'rpctest.Num', {
        blob: Buffer.alloc(2 * 1024 * 1024),
      }),
    );
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  test('not gRPC: 415 for another content type, 405 for GET', async () => {
    const session = connect();
    const response = await request(session, '/rpctest.Calc/Slow', [Buffer.from('{}')], 'application/json');
    expect(response.headers[':status']).toBe(415);
    const get = await new Promise<http2.IncomingHttpHeaders>((resolve) => {
      const stream = session.request({ ':method': 'GET', ':path': '/' });
      stream.on('response', resolve);
      stream.resume();
    });
    expect(get[':status']).toBe(405);
    session.close();
  });
});

describe('GrpcServer: response size limit', () => {
  test('a response over the limit fails with RESOURCE_EXHAUSTED', async () => {
    const harness = await start(
      (server) => server.addService(services['rpctest.Calc']!, { Slow: async () => ({ blob: Buffer.alloc(2048) }) }),
      undefined,
      { maxMessageBytes: 1024 },
    );
    const error = await statusOf(unary(client(harness.socket), '/rpctest.Calc/Slow', 'rpctest.Num', 'rpctest.Num', {}));
    expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error.details).toMatch(/response message larger than max/);
  });
});

describe('GrpcServer over TLS with a required client certificate (AutoMTLS)', () => {
  const serverCert = generateServerCertificate();
  const clientCert = generateServerCertificate();
  const stranger = generateServerCertificate();
  let harness: Harness;

  beforeAll(async () => {
    harness = await start((server) => server.addService(services['tfplugin6.Provider']!, providerHandlers()), {
      key: serverCert.keyPem,
      cert: serverCert.certPem,
      clientCaPem: clientCert.certPem,
    });
  });

  const TLS_OPTIONS = { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' };

  test('a client with the trusted certificate is served, large messages included', async () => {
    const c = client(
      harness.socket,
      grpc.credentials.createSsl(
        Buffer.from(serverCert.certPem),
        Buffer.from(clientCert.keyPem),
        Buffer.from(clientCert.certPem),
      ),
      TLS_OPTIONS,
    );
    const response = await unary(
      c,
      '/tfplugin6.Provider/GetProviderSchema',
      'tfplugin6.GetProviderSchema.Request',
      'tfplugin6.GetProviderSchema.Response',
      {},
    );
    expect(response.server_capabilities).toMatchObject({ plan_destroy: true });
    const big = crypto.randomBytes(20 * 1024 * 1024);
    const planned = (await unary(
      c,
      '/tfplugin6.Provider/PlanResourceChange',
      'tfplugin6.PlanResourceChange.Request',
      'tfplugin6.PlanResourceChange.Response',
      {
        type_name: 'tls',
        proposed_new_state: { msgpack: big },
      },
    )) as { planned_state: { msgpack: Buffer } };
    expect(planned.planned_state.msgpack.equals(big)).toBe(true);
  });

  test('a client without a certificate is rejected', async () => {
    const c = client(harness.socket, grpc.credentials.createSsl(Buffer.from(serverCert.certPem)), TLS_OPTIONS);
    const error = await statusOf(
      unary(
        c,
        '/tfplugin6.Provider/GetProviderSchema',
        'tfplugin6.GetProviderSchema.Request',
        'tfplugin6.GetProviderSchema.Response',
        {},
        {
          deadline: Date.now() + 5000,
        },
      ),
    );
    expect(error.code).toBe(grpc.status.UNAVAILABLE);
  });

  test('a client with an untrusted certificate is rejected', async () => {
    const c = client(
      harness.socket,
      grpc.credentials.createSsl(
        Buffer.from(serverCert.certPem),
        Buffer.from(stranger.keyPem),
        Buffer.from(stranger.certPem),
      ),
      TLS_OPTIONS,
    );
    const error = await statusOf(
      unary(
        c,
        '/tfplugin6.Provider/GetProviderSchema',
        'tfplugin6.GetProviderSchema.Request',
        'tfplugin6.GetProviderSchema.Response',
        {},
        {
          deadline: Date.now() + 5000,
        },
      ),
    );
    expect(error.code).toBe(grpc.status.UNAVAILABLE);
  });
});

describe('GrpcServer lifecycle', () => {
  test('addService refuses unknown methods and kind mismatches', () => {
    const server = new GrpcServer();
    expect(() => server.addService(services['plugin.GRPCController']!, { Nope: async () => ({}) })).toThrow(
      /has no method Nope/,
    );
    expect(() => server.addService(services['plugin.GRPCStdio']!, { StreamStdio: async () => ({}) })).toThrow(
      /StreamStdio is serverStreaming: implement it as \{ serverStreaming: handler \}/,
    );
    expect(() =>
      server.addService(services['plugin.GRPCController']!, { Shutdown: { serverStreaming: () => undefined } }),
    ).toThrow(/Shutdown is unary: implement it as a function/);
    server.addService(services['plugin.GRPCController']!, { Shutdown: async () => ({}) });
    expect(() => server.addService(services['plugin.GRPCController']!, { Shutdown: async () => ({}) })).toThrow(
      /already registered/,
    );
  });

  test("the provider adapter's handler map (server.ts ProviderRpcHandlers) fits ServiceImplementation", () => {
    const handlers: Partial<Record<string, (request: WireMessage) => Promise<WireMessage>>> = {
      GetProviderSchema: async () => ({}),
      StopProvider: async (request) => ({ Error: String(request.x ?? '') }),
    };
    new GrpcServer().addService(services['tfplugin6.Provider']!, handlers);
  });

  test('listen fails cleanly on a bad path', async () => {
    const server = new GrpcServer();
    await expect(server.listen({ path: '/nonexistent-dir/x/plugin.sock' })).rejects.toThrow();
  });

  test('close() finishes gracefully; forceShutdown() cancels open streams; the socket file goes away', async () => {
    let cancelled = false;
    const harness = await start((server) => {
      server.addService(services['plugin.GRPCStdio']!, {
        StreamStdio: { serverStreaming: (_request, stream) => stream.onCancel(() => (cancelled = true)) },
      });
      server.addService(services['plugin.GRPCController']!, { Shutdown: async () => ({}) });
    });
    const c = client(harness.socket);
    await unary(c, '/plugin.GRPCController/Shutdown', 'plugin.Empty', 'plugin.Empty', {});
    const empty = codec('plugin.Empty');
    const stream = c.makeServerStreamRequest(
      '/plugin.GRPCStdio/StreamStdio',
      empty.serialize,
      codec('plugin.StdioData').deserialize,
      {},
    );
    const failed = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
    await new Promise((r) => setTimeout(r, 100));
    harness.server.forceShutdown();
    expect((await failed).code).toBe(grpc.status.CANCELLED);
    await new Promise((r) => setTimeout(r, 50));
    expect(cancelled).toBe(true);
    expect(fs.existsSync(harness.socket)).toBe(false);

    const graceful = await start((server) =>
      server.addService(services['plugin.GRPCController']!, { Shutdown: async () => ({}) }),
    );
    const c2 = client(graceful.socket);
    await unary(c2, '/plugin.GRPCController/Shutdown', 'plugin.Empty', 'plugin.Empty', {});
    await graceful.server.close();
    expect(fs.existsSync(graceful.socket)).toBe(false);
  });
});
