/**
 * Runs a tfplugin6 provider as a go-plugin: checks the handshake environment, binds our gRPC
 * server on a private unix socket with AutoMTLS, prints the handshake line, and manages the
 * process lifecycle (Shutdown RPC, parent death, SIGINT).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkHandshakeEnvironment, formatHandshakeLine } from './handshake';
import type { Logger } from './logger';
import { serviceDefinition, type WireMessage } from './proto';
import { GrpcServer, type ListenOptions } from './rpc';
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

const PARENT_POLL_MS = 1000;
/** go-plugin SIGKILLs a plugin 2 s after Shutdown: leave well before. */
const EXIT_DEADLINE_MS = 1000;

export async function serveProvider(options: ServeOptions): Promise<void> {
  const env = options.env ?? process.env;
  const log = options.logger;
  const check = checkHandshakeEnvironment(env);
  if (!check.ok) {
    process.stderr.write(check.message);
    process.exitCode = 1;
    return;
  }

  // Sampled before anything slow: a parent that dies during start-up must still be noticed.
  const parent = process.ppid;

  // go-plugin's server eats interrupts: tofu shares our process group and sends StopProvider itself.
  process.on('SIGINT', () => log.debug('ignoring SIGINT; tofu sends StopProvider'));
  process.on('unhandledRejection', (reason) => log.error('unhandled rejection', { error: describe(reason) }));

  const server = new GrpcServer({ log: (level, message, fields) => log[level](message, fields) });
  const socketDir = fs.mkdtempSync(path.join(env.PLUGIN_UNIX_SOCKET_DIR || os.tmpdir(), 'coffer-plugin-'));
  const socketPath = path.join(socketDir, 'plugin.sock');

  let exiting = false;
  const exit = (reason: string): void => {
    if (exiting) return;
    exiting = true;
    log.debug('provider exiting', { reason, max_rss_kb: process.resourceUsage().maxRSS });
    const finish = (): void => {
      server.forceShutdown();
      fs.rmSync(socketDir, { recursive: true, force: true });
      process.exit(0);
    };
    // Let in-flight replies (the Shutdown answer itself) flush and the backend close, but never
    // longer than the deadline: a hanging call or backend is cut off.
    const deadline = new Promise((resolve) => setTimeout(resolve, EXIT_DEADLINE_MS).unref());
    const drained = Promise.allSettled([server.close(), options.onShutdown?.() ?? Promise.resolve()]);
    Promise.race([drained, deadline]).then(finish, finish);
  };

  server.addService(serviceDefinition('tfplugin6.Provider'), timed(options.handlers, log));
  server.addService(serviceDefinition('plugin.GRPCController'), {
    Shutdown: async () => {
      // Answer first, then leave: the client waits for the reply, closes the connection, then waits for our exit.
      setImmediate(() => exit('GRPCController.Shutdown'));
      return {};
    },
  });
  server.addService(serviceDefinition('plugin.GRPCStdio'), {
    // We never route our own stdout/stderr through go-plugin's stdio sync: an idle stream suffices.
    StreamStdio: { serverStreaming: (_request, stream) => stream.onCancel(() => undefined) },
  });
  server.addService(serviceDefinition('plugin.GRPCBroker'), {
    StartStream: {
      bidiStreaming: (stream) => {
        stream.onMessage(() => undefined);
        stream.onEnd(() => stream.end());
      },
    },
  });
  server.addService(serviceDefinition('grpc.health.v1.Health'), {
    Check: async (request) => ({ status: request.service === '' || request.service === 'plugin' ? 1 : 3 }),
  });

  let serverCert: string | undefined;
  const listen: ListenOptions = { path: socketPath };
  if (check.clientCertPem !== undefined) {
    const cert = generateServerCertificate();
    serverCert = handshakeCertField(cert.certDer);
    Object.assign(listen, { tls: { key: cert.keyPem, cert: cert.certPem, clientCaPem: check.clientCertPem } });
  } else {
    log.warn('PLUGIN_CLIENT_CERT not set: serving plaintext gRPC (TF_DISABLE_PLUGIN_TLS)');
  }
  await server.listen(listen);
  // Bound before announced: the Go client dials at once and does not retry a refused connection.
  process.stdout.write(formatHandshakeLine({ appVersion: check.appVersion, network: 'unix', address: socketPath, serverCert }));
  log.debug('provider serving', { address: socketPath, tls: serverCert !== undefined, uptime_ms: Math.round(performance.now()) });

  // If tofu dies without Shutdown we would be orphaned: leave when our parent changes.
  setInterval(() => {
    if (process.ppid !== parent) exit('parent process exited');
  }, PARENT_POLL_MS).unref();
  process.on('SIGTERM', () => exit('SIGTERM'));
}

/** Wraps each handler with a trace line of its duration (names and timings only). */
function timed(handlers: ProviderRpcHandlers, log: Logger): ProviderRpcHandlers {
  const wrapped: ProviderRpcHandlers = {};
  for (const [name, handler] of Object.entries(handlers)) {
    if (handler === undefined) continue;
    wrapped[name] = async (request) => {
      const started = process.hrtime.bigint();
      const response = await handler(request);
      log.trace('rpc done', { rpc: name, ms: Number(process.hrtime.bigint() - started) / 1e6 });
      return response;
    };
  }
  return wrapped;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error;
}
