/**
 * A loopback HTTP proxy that forwards every request to a target server but, for some writes
 * (POST/PUT/PATCH/DELETE), drops the response: the write lands upstream, then the client's
 * connection is reset. Which writes: every `everyNth` one (deterministic, so a run is
 * reproducible), up to `maxDrops`.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FaultProxyOptions {
  /** `http://127.0.0.1:<port>` of the real server. */
  readonly target: string;
  /** Drop the response of every Nth write (e.g. 5 drops 20 %). */
  readonly everyNth: number;
  /** Stop dropping after this many. @default unlimited */
  readonly maxDrops?: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>` to give the client instead of the target. */
  readonly url: string;
  readonly counts: { writes: number; dropped: number; forwarded: number };
  close(): Promise<void>;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const counts = { writes: 0, dropped: 0, forwarded: 0 };
  const maxDrops = options.maxDrops ?? Number.POSITIVE_INFINITY;
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    let drop = false;
    if (WRITES.has(method)) {
      counts.writes++;
      drop = counts.writes % options.everyNth === 0 && counts.dropped < maxDrops;
      if (drop) counts.dropped++;
    }
    const upstream = http.request(
      { host: target.hostname, port: target.port, method, path: req.url, headers: req.headers },
      (answer) => {
        if (drop) {
          // Read the whole answer, so the write has certainly landed, then reset the client.
          answer.resume();
          answer.on('end', () => req.socket.destroy());
          return;
        }
        counts.forwarded++;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
