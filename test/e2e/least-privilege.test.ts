/**
 * Least privilege, proven from request logs: `plan`, `plan -refresh-only` and
 * `apply -refresh-only` of coffer_user_secret resources and the metadata data sources make no
 * value-returning call and no write — on OpenBao only `…/metadata/…` (and OpenBao's
 * `…/detailed-metadata/…` listing) of the KV mount, never `…/data/…`; on Coder only GETs; on
 * every backend no `read_value` in the audit log. Only a configuration that needs a value (an
 * ephemeral coffer_user_secret) reads one, and exactly that one.
 *
 * The OpenBao log is the provider's own `backend request` line per HTTP call (method and path,
 * TF_LOG=debug): OpenBao ≥ 2.2 refuses to enable an audit device over the API. The Coder log is
 * the API double's.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendNames, startBackend, type BackendFixture } from './support/backends';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

interface BackendRequest {
  readonly backend: string;
  readonly method: string;
  readonly path: string;
}

/** The provider's `backend request` lines in an engine's TF_LOG=debug output. */
function backendRequests(log: string): BackendRequest[] {
  return log
    .split('\n')
    .filter((line) => line.includes('backend request:'))
    .map((line) => ({
      backend: /\bbackend=(\S+)/.exec(line)?.[1] ?? '',
      method: /\bmethod=(\S+)/.exec(line)?.[1] ?? '',
      path: /\bpath=(\S+)/.exec(line)?.[1] ?? '',
    }));
}

const READ_METHODS = new Set(['GET', 'LIST']);
/** KV v2 paths that carry values: `data/` (read, write) and the version operations. */
const VALUE_PATH = /^secret\/(data|delete|undelete|destroy)\//;

const combinations = availableEngines().flatMap((engine) =>
  backendNames().map((backend) => [`${engine.name} ${engine.version} on ${backend}`, engine, backend] as const),
);

describe.each(combinations)('least privilege: %s', (_label, engine, backend) => {
  let ws: Workspace;
  let fx: BackendFixture;
  let auditFile: string;

  const managed = `${providerBlock()}
resource "coffer_user_secret" "github" {
  name             = "github-token"
  env_name         = "GITHUB_TOKEN"
  value_wo         = "ghp-least-privilege"
  value_wo_version = "1"
}

resource "coffer_user_secret" "npm" {
  name             = "npm-token"
  file_path        = "~/.npmrc"
  value_wo         = "npm-least-privilege"
  value_wo_version = "1"
}

data "coffer_user_secret" "github" {
  name       = "github-token"
  depends_on = [coffer_user_secret.github]
}

data "coffer_user_secrets" "all" {
  depends_on = [coffer_user_secret.github, coffer_user_secret.npm]
}

data "coffer_secret_check" "required" {
  names      = ["github-token", "npm-token"]
  depends_on = [coffer_user_secret.github, coffer_user_secret.npm]
}
`;

  beforeAll(async () => {
    ws = new Workspace(engine);
    fx = await startBackend(backend, ws.home);
    auditFile = path.join(ws.home, 'audit.log');
    ws.setEnv({ ...fx.providerEnv, COFFER_AUDIT_LOG: auditFile });
    ws.write('main.tf', managed);
    await ws.init();
    await ws.apply();
  });

  afterAll(async () => {
    await fx?.stop();
    ws?.cleanup();
  });

  const auditLines = () => (fs.existsSync(auditFile) ? fs.readFileSync(auditFile, 'utf8').trim().split('\n').filter(Boolean) : []);

  /** Runs a command and returns what the backend saw during it. */
  async function observe(args: readonly string[]): Promise<{ provider: BackendRequest[]; server: string[]; audit: string[] }> {
    const serverBefore = fx.serverLogs().split('\n').filter(Boolean).length;
    const auditBefore = auditLines().length;
    const result = await ws.ok(args, { TF_LOG: 'debug' }, [0, 2]);
    return {
      provider: backendRequests(result.stderr),
      server: fx.serverLogs().split('\n').filter(Boolean).slice(serverBefore),
      audit: auditLines().slice(auditBefore),
    };
  }

  function expectMetadataOnly(seen: { provider: BackendRequest[]; server: string[]; audit: string[] }): void {
    expect(seen.audit.filter((line) => line.includes('"read_value"'))).toEqual([]);
    if (backend === 'openbao') {
      expect(seen.provider.length).toBeGreaterThan(0);
      for (const request of seen.provider) {
        expect(`${request.method} ${request.path}`).toMatch(/^(GET|LIST) /);
        expect(request.path).not.toMatch(VALUE_PATH);
      }
      // The secrets themselves were looked at, through their metadata (one by one, or listed at once).
      expect(seen.provider.some((r) => /^secret\/(detailed-)?metadata\/coffer\/users\/alice\//.test(r.path))).toBe(true);
    }
    if (backend === 'coder') {
      expect(seen.server.length).toBeGreaterThan(0);
      for (const line of seen.server) expect(READ_METHODS.has((JSON.parse(line) as { method: string }).method)).toBe(true);
      for (const request of seen.provider) expect(request.method).toBe('GET');
    }
  }

  test('plan reads metadata only', async () => {
    const seen = await observe(['plan', '-no-color', '-input=false', '-detailed-exitcode']);
    expectMetadataOnly(seen);
  });

  test('plan -refresh-only and apply -refresh-only read metadata only', async () => {
    expectMetadataOnly(await observe(['plan', '-refresh-only', '-no-color', '-input=false']));
    expectMetadataOnly(await observe(['apply', '-refresh-only', '-auto-approve', '-no-color', '-input=false']));
  });

  test('a configuration that needs a value reads exactly that value', async () => {
    if (!fx.store.capabilities.readValue) return; // Coder: no value can be read at all (see ephemeral-user-secret.test.ts)
    ws.write(
      'consumer.tf',
      `ephemeral "coffer_user_secret" "github" {
  name = "github-token"
}

resource "terraform_data" "consumer" {
  provisioner "local-exec" {
    command     = "true"
    environment = { TOKEN = ephemeral.coffer_user_secret.github.value }
  }
}
`,
    );
    const seen = await observe(['plan', '-no-color', '-input=false']);
    const reads = seen.audit.filter((line) => line.includes('"read_value"'));
    expect(reads.length).toBeGreaterThan(0);
    for (const line of reads) expect(line).toContain('"secret":"github-token"');
    if (backend === 'openbao') {
      const valueCalls = seen.provider.filter((r) => VALUE_PATH.test(r.path)).map((r) => `${r.method} ${r.path}`);
      expect(new Set(valueCalls)).toEqual(new Set(['GET secret/data/coffer/users/alice/github-token']));
    }
    ws.remove('consumer.tf');
  });
});
