/**
 * A logging reverse proxy for tests: put it in front of a real server (OpenBao) and it records
 * every request's method and path (query dropped), so a test can assert which endpoints a
 * client called, e.g. that a plan made metadata reads only. Bodies pass through untouched and
 * are never recorded. Listens on 127.0.0.1; `close()` ends it and its open connections.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/v1/secret/metadata/coffer/users/alice/x`. */
  readonly path: string;
  readonly status: number;
}

export interface LoggingProxy {
  /** `http://127.0.0.1:<port>`: use it in place of the target's address. */
  readonly address: string;
  /** Every completed request, in order of completion. */
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

export async function startLoggingProxy(target: string): Promise<LoggingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => requests.push({ method, path, status: answer.statusCode ?? 502 }));
      },
    );
    forward.on('error', () => {
      requests.push({ method, path, status: 502 });
      res.writeHead(502).end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
