/**
 * Runs a tfplugin6 provider as a go-plugin: checks the handshake environment, binds a gRPC
 * server on a private unix socket with AutoMTLS, prints the handshake line, and manages the
 * process lifecycle (Shutdown RPC, parent death, SIGINT).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { checkHandshakeEnvironment, formatHandshakeLine } from './handshake';
import type { Logger } from './logger';
import { serviceDefinition, type WireMessage } from './proto';
import { generateServerCertificate, handshakeCertField } from './tls';

/** One handler per tfplugin6 RPC name; RPCs without a handler answer UNIMPLEMENTED. */
export type ProviderRpcHandlers = Partial<Record<string, (request: WireMessage) => Promise<WireMessage>>>;

export interface ServeOptions {
  readonly handlers: ProviderRpcHandlers;
  readonly logger: Logger;
  /** Called once before the process exits, for closing backends. */
  readonly onShutdown?: () => Promise<void>;
  readonly env?: NodeJS.ProcessEnv;
}

/** Large configurations and states are requests to us: accept what go-plugin can send. */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
const PARENT_POLL_MS = 1000;

export async function serveProvider(options: ServeOptions): Promise<void> {
  const env = options.env ?? process.env;
  const log = options.logger;
  const check = checkHandshakeEnvironment(env);
  if (!check.ok) {
    process.stderr.write(check.message);
    process.exitCode = 1;
    return;
  }

  // go-plugin's server eats interrupts: tofu shares our process group and sends StopProvider itself.
  process.on('SIGINT', () => log.debug('ignoring SIGINT; tofu sends StopProvider'));
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: describe(reason) }));

  const grpcJs = await import('@grpc/grpc-js');
  const server = new grpcJs.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });

  let exiting = false;
  const socketDir = fs.mkdtempSync(path.join(env.PLUGIN_UNIX_SOCKET_DIR || os.tmpdir(), 'coffer-plugin-'));
  const socketPath = path.join(socketDir, 'plugin.sock');
  const exit = (reason: string): void => {
    if (exiting) return;
    exiting = true;
    log.debug('provider exiting', { reason, max_rss_kb: process.resourceUsage().maxRSS });
    const finish = (): void => {
      fs.rmSync(socketDir, { recursive: true, force: true });
      process.exit(0);
    };
    // Let in-flight replies (the Shutdown answer itself) flush, but never keep tofu waiting
    // for its 2 s kill timeout: a hanging backend or call is cut off after a second.
    const drained = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    const cleanup = options.onShutdown?.() ?? Promise.resolve();
    const deadline = new Promise((resolve) => setTimeout(resolve, 1000).unref());
    Promise.race([Promise.allSettled([drained, cleanup]), deadline]).then(finish, finish);
  };

  server.addService(serviceDefinition('tfplugin6.Provider'), wrapUnary(grpcJs, options.handlers, log));
  server.addService(serviceDefinition('plugin.GRPCController'), {
    Shutdown: (_call: unknown, callback: grpc.sendUnaryData<WireMessage>) => {
      callback(null, {});
      // Answer first, then leave: the client only waits for the reply and then for our exit.
      setImmediate(() => exit('GRPCController.Shutdown'));
    },
  });
  server.addService(serviceDefinition('plugin.GRPCStdio'), {
    // We never write to our own stdout/stderr through go-plugin's stdio sync: an idle stream suffices.
    StreamStdio: (call: grpc.ServerWritableStream<WireMessage, WireMessage>) => {
      call.on('cancelled', () => call.end());
    },
  });
  server.addService(serviceDefinition('plugin.GRPCBroker'), {
    StartStream: (call: grpc.ServerDuplexStream<WireMessage, WireMessage>) => {
      call.on('data', () => undefined);
      call.on('end', () => call.end());
    },
  });
  server.addService(serviceDefinition('grpc.health.v1.Health'), {
    Check: (call: grpc.ServerUnaryCall<WireMessage, WireMessage>, callback: grpc.sendUnaryData<WireMessage>) => {
      const service = String(call.request.service ?? '');
      callback(null, { status: service === '' || service === 'plugin' ? 1 : 3 });
    },
  });

  let credentials: grpc.ServerCredentials;
  let serverCert: string | undefined;
  if (check.clientCertPem !== undefined) {
    const cert = generateServerCertificate();
    serverCert = handshakeCertField(cert.certDer);
    credentials = grpcJs.ServerCredentials.createSsl(
      Buffer.from(check.clientCertPem),
      [{ private_key: Buffer.from(cert.keyPem), cert_chain: Buffer.from(cert.certPem) }],
      true,
    );
  } else {
    log.warn('PLUGIN_CLIENT_CERT not set: serving plaintext gRPC (TF_DISABLE_PLUGIN_TLS)');
    credentials = grpcJs.ServerCredentials.createInsecure();
  }

  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix:${socketPath}`, credentials, (error) => (error ? reject(error) : resolve()));
  });
  // Bound before announced: the Go client dials at once and does not retry a refused connection.
  process.stdout.write(
    formatHandshakeLine({ appVersion: check.appVersion, network: 'unix', address: socketPath, serverCert }),
  );
  log.debug('provider serving', { network: 'unix', address: socketPath, tls: serverCert !== undefined });

  // If tofu dies without Shutdown we would be orphaned: leave when our parent changes.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) exit('parent process exited');
  }, PARENT_POLL_MS).unref();
  process.on('SIGTERM', () => exit('SIGTERM'));
}

function wrapUnary(
  grpcJs: typeof grpc,
  handlers: ProviderRpcHandlers,
  log: Logger,
): grpc.UntypedServiceImplementation {
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    if (handler === undefined) continue;
    implementation[name] = (
      call: grpc.ServerUnaryCall<WireMessage, WireMessage>,
      callback: grpc.sendUnaryData<WireMessage>,
    ) => {
      const started = process.hrtime.bigint();
      handler(call.request).then(
        (response) => {
          log.trace('rpc done', { rpc: name, ms: Number(process.hrtime.bigint() - started) / 1e6 });
          callback(null, response);
        },
        (error: unknown) => {
          // Framework handlers turn user errors into diagnostics; reaching here is a bug.
          log.error('rpc failed', { rpc: name, error: describe(error) });
          callback({ code: grpcJs.status.INTERNAL, details: `internal error in ${name}` }, null);
        },
      );
    };
  }
  return implementation;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error;
}
