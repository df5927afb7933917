/**
 * Misconfigured Vault settings in the provider block fail the plan at once with an error that
 * names the attribute to fix, and nothing is written: a KV v1 mount, a missing mount, a CA file
 * that is not PEM, an https:// address of a plain HTTP server (not retried for half a minute).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startLoggingProxy, type LoggingProxy } from '../support/logging-proxy';
import { startOpenBao, type OpenBaoServer } from '../support/openbao';
import { availableEngines } from './support/engines';
import { providerBlock, Workspace } from './support/workspace';

const engine = availableEngines()[0]!;

const secret = `
resource "coffer_user_secret" "gh" {
  name     = "gh"
  env_name = "GH_TOKEN"
  value_wo = "v"
}
`;

describe(`Vault provider settings (${engine.name} ${engine.version}, OpenBao)`, () => {
  let bao: OpenBaoServer;
  let proxy: LoggingProxy;
  let ws: Workspace;

  beforeAll(async () => {
    bao = await startOpenBao();
    proxy = await startLoggingProxy(bao.address);
    expect((await bao.api('POST', 'sys/mounts/kv1', { type: 'kv', options: { version: '1' } })).status).toBe(204);
    ws = new Workspace(engine, { COFFER_BACKEND: 'vault', BAO_TOKEN: bao.token, COFFER_USER: 'alice' });
    ws.write('main.tf', `${providerBlock()}${secret}`);
    await ws.init();
  });

  afterAll(async () => {
    ws?.cleanup();
    await proxy?.close();
    await bao?.stop();
  });

  const applyWith = async (settings: string) => {
    ws.write('main.tf', `${providerBlock(`\n  ${settings}\n`)}${secret}`);
    proxy.requests.length = 0;
    const result = await ws.run(['apply', '-auto-approve', '-no-color', '-input=false']);
    return { code: result.code, errors: result.stderr.replace(/\s+/g, ' ') };
  };

  test.each([
    ['a KV version 1 mount', 'kv1', /mount "kv1" is a KV version 1 mount.*check vault_mount/],
    ['a missing mount', 'nomount', /no mount "nomount".*check vault_mount/],
  ])('%s: the apply fails naming vault_mount, and writes nothing', async (_title, mount, rule) => {
    const { code, errors } = await applyWith(`vault_address = "${proxy.address}"\n  vault_mount = "${mount}"`);
    expect(code).toBe(1);
    expect(errors).toMatch(rule);
    expect(proxy.requests.filter((r) => !['GET', 'LIST'].includes(r.method))).toEqual([]);
  });

  test('a CA file that is not PEM: the configuration error is on vault_ca_cert_file', async () => {
    const file = path.join(ws.dir, 'ca.txt');
    fs.writeFileSync(file, 'not a certificate');
    const { code, errors } = await applyWith(`vault_address = "${proxy.address.replace('http:', 'https:')}"\n  vault_ca_cert_file = "${file}"`);
    expect(code).toBe(1);
    expect(errors).toMatch(/vault_ca_cert_file.*is not a PEM certificate/);
    expect(proxy.requests).toEqual([]);
  });

  test('an https:// address of the plain HTTP server fails naming vault_address, not as "temporarily unavailable"', async () => {
    const { code, errors } = await applyWith(`vault_address = "${proxy.address.replace('http:', 'https:')}"`);
    expect(code).toBe(1);
    expect(errors).toMatch(/does not answer in TLS .*check vault_address/);
    expect(errors).not.toContain('temporarily unavailable');
  });
});
