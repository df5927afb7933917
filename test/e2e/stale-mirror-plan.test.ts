/**
 * A plan on OpenBao whose metadata mirror is stale (a writer died between its data write and its
 * metadata write) makes metadata reads only: every request the provider sends, seen through a
 * logging proxy in front of the real server, is a GET or LIST of a `metadata`/`detailed-metadata`
 * path (or a read-only check of the mount or token), never a `data` read and never a write. The
 * plan warns and proposes to write the configured value again; the apply repairs the record.
 */
import { startLoggingProxy, type LoggingProxy } from '../support/logging-proxy';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const engine = availableEngines()[0]!;
const PREFIX = 'coffer/users';

/** Requests a plan may make: reads of metadata, the mount description or the token itself. */
function isMetadataRead(request: { method: string; path: string }): boolean {
  if (request.method !== 'GET' && request.method !== 'LIST') return false;
  return /^\/v1\/secret\/(metadata|detailed-metadata)\//.test(request.path) || /^\/v1\/(sys\/internal\/ui\/mounts\/|auth\/token\/lookup-self)/.test(request.path);
}

describe(`plan on a stale Vault metadata mirror (${engine.name} ${engine.version}, OpenBao)`, () => {
  let bao: OpenBaoServer;
  let proxy: LoggingProxy;
  let ws: Workspace;

  beforeAll(async () => {
    bao = await startOpenBao();
    proxy = await startLoggingProxy(bao.address);
    ws = new Workspace(engine, { COFFER_BACKEND: 'vault', BAO_ADDR: proxy.address, BAO_TOKEN: bao.token, COFFER_USER: 'alice' });
    ws.write(
      'main.tf',
      `${providerBlock()}
resource "coffer_user_secret" "api" {
  name             = "api-key"
  description      = "API key"
  env_name         = "API_KEY"
  value_wo         = "configured"
  value_wo_version = "1"
}
`,
    );
    await ws.init();
    await ws.apply();
  });

  afterAll(async () => {
    ws?.cleanup();
    await proxy?.close();
    await bao?.stop();
  });

  test('the plan reads metadata only, warns, and plans a rewrite; the apply repairs the mirror', async () => {
    // Another writer's CAS data write of a new value, then it died before writing the mirror.
    const path = `secret/data/${PREFIX}/alice/api-key`;
    const current = await bao.api('GET', path);
    const coffer = { ...current.body.data.data.coffer, value_version: 2, write_id: 'crashed-writer' };
    expect((await bao.api('POST', path, { options: { cas: 1 }, data: { value: 'written-elsewhere', coffer } })).status).toBe(200);

    proxy.requests.length = 0;
    const plan = await ws.plan();
    const offending = proxy.requests.filter((r) => !isMetadataRead(r));
    expect(offending).toEqual([]);
    expect(proxy.requests.some((r) => r.path.includes('/metadata/'))).toBe(true);
    expect(plan.code).toBe(2);
    expect(plan.stdout + plan.stderr).toContain('could not be fully verified');
    expect(plan.stdout).toContain('coffer_user_secret.api will be updated in-place');

    await ws.apply();
    const value = await bao.api('GET', path);
    expect(value.body.data.data.value).toBe('configured');
    proxy.requests.length = 0;
    const after = await ws.plan();
    expect(after.code).toBe(0);
    expect(after.stdout + after.stderr).not.toContain('could not be fully verified');
    expect(proxy.requests.filter((r) => !isMetadataRead(r))).toEqual([]);
  });
});
