/**
 * The provider inside Coder's provisioner (issue #9), against the Coder double: which credential
 * and URL a build gives it, what each transition does without the owner's token, the placeholder
 * owner of template import, RBAC refusals, the missing-secret message in Coder's terms, and the
 * lifecycle of a per-user secret declared by every workspace (`on_destroy`, adopt-or-leave).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { coderBuildFromEnv } from '../../src/client/backends/coder/build-context';
import { CoderSecretStore } from '../../src/client/backends/coder';
import { SecretStoreError } from '../../src/client/errors';
import { cofferProvider } from '../../src/provider/coffer-provider';
import { Diagnostics, type Logger, type ResourceContext } from '../../src/provider/framework';
import type { LogFields } from '../../src/provider/protocol/logger';
import type { CofferProviderData } from '../../src/provider/provider-data';
import { SecretCheckDataSource } from '../../src/provider/resources/secret-check';
import { UserSecretResource } from '../../src/provider/resources/user-secret';
import { UserSecretDataSource } from '../../src/provider/resources/user-secret-data';
import { CoderDouble } from '../support/coder-double';

const SECRET_VALUE = 'npm_token_value_for_build_tests';

interface BuildEnv {
  transition?: 'start' | 'stop' | 'destroy';
  buildId?: string;
  owner?: string;
  ownerToken?: string;
}

/** The environment Coder's provisioner gives terraform (CODER_* of the server stripped). */
function buildEnv(double: CoderDouble, build: BuildEnv, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    COFFER_HOME: home,
    CODER_AGENT_URL: double.url,
    CODER_WORKSPACE_TRANSITION: build.transition ?? 'start',
    CODER_WORKSPACE_BUILD_ID: build.buildId ?? 'b7d8c1f0-0000-4000-8000-000000000001',
    CODER_WORKSPACE_OWNER: build.owner ?? 'alice',
    CODER_WORKSPACE_OWNER_SESSION_TOKEN: build.ownerToken ?? '',
    ...extra,
  };
}

const IMPORT: BuildEnv = { transition: 'start', buildId: '', owner: '' };

function recordingLogger(lines: { message: string; fields?: LogFields }[]): Logger {
  const keep = (message: string, fields?: LogFields) => lines.push({ message, fields });
  return { trace: keep, debug: keep, info: keep, warn: keep, error: keep };
}

function providerConfig(over: Record<string, unknown> = {}): never {
  const attributes = [
    'backend', 'home', 'vault_address', 'vault_namespace', 'vault_mount', 'vault_path_prefix', 'vault_auth_method',
    'vault_auth_mount', 'vault_role', 'vault_ca_cert_file', 'vault_skip_tls_verify', 'coder_url', 'coder_token',
  ];
  return { ...Object.fromEntries(attributes.map((a) => [a, null])), backend: 'coder', ...over } as never;
}

async function configure(env: NodeJS.ProcessEnv, over: Record<string, unknown> = {}, log: Logger = recordingLogger([])) {
  const diagnostics = new Diagnostics();
  const data = await cofferProvider(log, env).configure(providerConfig(over), diagnostics, { terraformVersion: '1.11.4' });
  return { data, diagnostics };
}

function contextFor(data: CofferProviderData, log: Logger = recordingLogger([])): ResourceContext<CofferProviderData> {
  return { provider: data, diagnostics: new Diagnostics(), log, signal: new AbortController().signal };
}

function checkConfig(names: string[], user: string | null = null): never {
  return { names, user, help_message: null, fail_on_missing: null, id: null, missing: null, disabled: null, ok: null } as never;
}

function secretConfig(over: Record<string, unknown> = {}): never {
  return {
    id: null, name: 'npm-token', user: null, description: 'npm token (template)', env_name: 'NPM_TOKEN', file_path: null,
    enabled: true, value: null, value_wo: SECRET_VALUE, value_wo_version: null, on_destroy: null, created_at: null, updated_at: null,
    ...over,
  } as never;
}

let double: CoderDouble;
let home: string;
beforeEach(async () => {
  double = await CoderDouble.start();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-coder-build-'));
});
afterEach(async () => {
  await double.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('the build context Coder gives terraform', () => {
  test('phases: import/preview has no build id; start, stop and destroy come from the transition', () => {
    expect(coderBuildFromEnv({})).toBeUndefined();
    expect(coderBuildFromEnv({ CODER_AGENT_URL: 'http://x' })).toBeUndefined(); // inside a workspace, not a build
    expect(coderBuildFromEnv(buildEnv(double, IMPORT))?.phase).toBe('import-or-preview');
    expect(coderBuildFromEnv(buildEnv(double, { transition: 'start' }))?.phase).toBe('start');
    expect(coderBuildFromEnv(buildEnv(double, { transition: 'stop' }))?.phase).toBe('stop');
    expect(coderBuildFromEnv(buildEnv(double, { transition: 'destroy' }))?.phase).toBe('delete');
  });
});

describe('credentials inside a build (failure 1)', () => {
  test("a start build uses the owner's token and Coder's access URL; CODER_SESSION_TOKEN is not needed", async () => {
    const { data, diagnostics } = await configure(buildEnv(double, { ownerToken: double.user.token }));
    expect(diagnostics.all).toEqual([]);
    const ctx = contextFor(data as CofferProviderData);
    const result = await new SecretCheckDataSource().read(checkConfig(['ssh-signing-key']), ctx);
    expect(result).toBeUndefined();
    expect(ctx.diagnostics.all[0]?.summary).toBe('A required secret is missing');
    // failure 6: the message speaks Coder
    expect(ctx.diagnostics.all[0]?.detail).toContain('coder secret create ssh-signing-key');
    expect(ctx.diagnostics.all[0]?.detail).toContain('Account → Secrets');
    expect(ctx.diagnostics.all[0]?.detail).not.toContain('coffer secret create');
    expect(double.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toContain('GET /api/v2/users/me/secrets 200');
  });

  test.each([
    ['template import / preview', IMPORT],
    ['stop', { transition: 'stop' } as BuildEnv],
    ['delete', { transition: 'destroy' } as BuildEnv],
  ])('%s without a token: configure succeeds, checks and data sources warn and do nothing', async (_label, build) => {
    const { data, diagnostics } = await configure(buildEnv(double, build));
    expect(diagnostics.hasErrors).toBe(false);
    const ctx = contextFor(data as CofferProviderData);
    const check = await new SecretCheckDataSource().read(checkConfig(['ssh-signing-key']), ctx);
    expect(check).toMatchObject({ ok: null, missing: [], disabled: [] });
    const meta = await new UserSecretDataSource().read({ name: 'npm-token', user: null } as never, ctx);
    expect(meta).toEqual({});
    expect(ctx.diagnostics.hasErrors).toBe(false);
    expect(ctx.diagnostics.all.map((d) => d.summary)).toEqual([
      expect.stringMatching(/^coffer_secret_check skipped in this (template import|workspace stop|workspace delete)/),
      expect.stringMatching(/^data "coffer_user_secret" "npm-token" skipped/),
    ]);
    expect(ctx.diagnostics.all[0]?.detail).toContain('no owner session token');
    expect(double.requests).toEqual([]);
  });

  test('the coder_token attribute (data.coder_workspace_owner.me.session_token) wins; "" counts as unset', async () => {
    const fromAttribute = await configure(buildEnv(double, { transition: 'start' }), { coder_token: double.user.token });
    const ctx = contextFor(fromAttribute.data as CofferProviderData);
    expect(await new SecretCheckDataSource().read(checkConfig(['x'], null), ctx)).toBeUndefined();
    expect(ctx.diagnostics.all[0]?.summary).toBe('A required secret is missing');

    const empty = await configure(buildEnv(double, IMPORT), { coder_token: '' });
    expect(empty.diagnostics.hasErrors).toBe(false);
    const skipped = contextFor(empty.data as CofferProviderData);
    await new SecretCheckDataSource().read(checkConfig(['x']), skipped);
    expect(skipped.diagnostics.all[0]?.severity).toBe('warning');
  });

  test('outside Coder a missing token is still a configuration error', async () => {
    const { diagnostics } = await configure({ CODER_URL: double.url, COFFER_HOME: home });
    expect(diagnostics.all[0]?.detail).toContain('needs a session token');
  });
});

describe('the placeholder owner of template import (failure 2)', () => {
  test('user = "default" in a build without an owner is skipped with a warning, even with a token', async () => {
    const { data } = await configure(buildEnv(double, IMPORT), { coder_token: double.user.token });
    const ctx = contextFor(data as CofferProviderData);
    const check = await new SecretCheckDataSource().read(checkConfig(['ssh-signing-key'], 'default'), ctx);
    expect(check).toMatchObject({ ok: null });
    expect(ctx.diagnostics.all[0]?.detail).toContain('placeholder');
    expect(double.requests).toEqual([]);
  });
});

describe("another user's secrets (failure 3)", () => {
  test('an RBAC refusal (500 "rbac: forbidden") is one clear, non-retried error', async () => {
    await double.close();
    double = await CoderDouble.start({ crossUserRefusal: 'rbac-500' });
    const store = new CoderSecretStore({ url: double.url, token: double.tokenFor('alice'), retryBaseDelayMs: 1, resolveMe: false });
    try {
      const error = await store.list('bob').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SecretStoreError);
      expect(error).toMatchObject({ code: 'unauthorized', retryable: false });
      expect((error as Error).message).toContain('user secrets are private to their user');
      expect((error as Error).message).toContain('rbac: forbidden');
      expect((error as Error).message).not.toMatch(/temporarily unavailable|attempts/);
      expect(double.requests.filter((r) => r.path === '/api/v2/users/bob/secrets')).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  test('a delete build of a member\'s workspace (no token) retains the secret instead of failing', async () => {
    double.seed('bob', [{ name: 'npm-token', value: SECRET_VALUE, envName: 'NPM_TOKEN', description: 'npm token (template)' }]);
    const { data } = await configure(buildEnv(double, { transition: 'destroy', owner: 'bob' }));
    const ctx = contextFor(data as CofferProviderData);
    await new UserSecretResource().delete({ prior: secretConfig({ user: 'bob', id: 'x' }) }, ctx);
    expect(ctx.diagnostics.all).toEqual([]);
    expect(double.secretsOf('bob').map((s) => s.name)).toEqual(['npm-token']);
    expect(double.requests).toEqual([]);
  });

  test('on_destroy = "delete" in a build without a token leaves the secret with a warning, not an error', async () => {
    double.seed('alice', [{ name: 'npm-token', value: SECRET_VALUE, envName: 'NPM_TOKEN' }]);
    const { data } = await configure(buildEnv(double, { transition: 'destroy' }));
    const ctx = contextFor(data as CofferProviderData);
    await new UserSecretResource().delete({ prior: secretConfig({ on_destroy: 'delete' }) }, ctx);
    expect(ctx.diagnostics.hasErrors).toBe(false);
    expect(ctx.diagnostics.all[0]?.detail).toContain('coder secret delete npm-token');
    expect(double.secretsOf('alice')).toHaveLength(1);
  });

  test("a stop build's refresh without a token keeps the state as it was", async () => {
    const { data } = await configure(buildEnv(double, { transition: 'stop' }));
    const ctx = contextFor(data as CofferProviderData);
    const prior = secretConfig({ id: 'abc', value_wo: null });
    const result = await new UserSecretResource().read({ state: prior, private: { id: 'abc', valueVersion: null } }, ctx);
    expect(result).toEqual({ state: {}, private: { id: 'abc', valueVersion: null } });
    expect(ctx.diagnostics.all[0]?.severity).toBe('warning');
  });
});

describe('a per-user secret declared by every workspace (failure 4)', () => {
  test('the second workspace adopts the secret the first wrote; deleting one workspace keeps it', async () => {
    const resource = new UserSecretResource();
    const start = await configure(buildEnv(double, { ownerToken: double.user.token }));
    const first = contextFor(start.data as CofferProviderData);
    const created = await resource.create({ config: secretConfig() }, first);
    expect(first.diagnostics.all).toEqual([]);
    expect(created?.state.env_name).toBe('NPM_TOKEN');

    // Each workspace build runs its own provider process.
    const secondStart = await configure(buildEnv(double, { ownerToken: double.user.token }));
    const second = contextFor(secondStart.data as CofferProviderData);
    const adopted = await resource.create({ config: secretConfig({ value_wo: `${SECRET_VALUE}-rotated` }) }, second);
    expect(second.diagnostics.all).toEqual([]);
    expect(adopted?.state.id).toBe(created?.state.id);
    expect(double.valueOf('alice', 'npm-token')).toBe(`${SECRET_VALUE}-rotated`);

    const deleteBuild = await configure(buildEnv(double, { transition: 'destroy' }));
    await resource.delete({ prior: secretConfig({ id: created?.state.id }) }, contextFor(deleteBuild.data as CofferProviderData));
    expect(double.secretsOf('alice').map((s) => s.name)).toEqual(['npm-token']);
  });

  test('on_destroy accepts retain or delete only', () => {
    const validators = new UserSecretResource().schema.attributes.on_destroy.validators ?? [];
    const check = (value: string) => validators.map((v) => v(value)).find((m) => m !== undefined);
    expect(check('retain')).toBeUndefined();
    expect(check('delete')).toBeUndefined();
    expect(check('keep')).toBe('on_destroy must be one of: retain, delete (got "keep")');
  });

  test('outside Coder, on_destroy = "retain" leaves the secret on destroy', async () => {
    const { data } = await configure({ CODER_URL: double.url, CODER_SESSION_TOKEN: double.user.token, COFFER_HOME: home });
    const resource = new UserSecretResource();
    await resource.create({ config: secretConfig({ on_destroy: 'retain' }) }, contextFor(data as CofferProviderData));
    await resource.delete({ prior: secretConfig({ on_destroy: 'retain' }) }, contextFor(data as CofferProviderData));
    expect(double.secretsOf('alice').map((s) => s.name)).toEqual(['npm-token']);
  });

  test("a secret with other metadata (the user's own) is left alone: already exists", async () => {
    double.seed('alice', [{ name: 'npm-token', value: 'the-users-own', envName: 'MY_NPM' }]);
    const { data } = await configure(buildEnv(double, { ownerToken: double.user.token }));
    const ctx = contextFor(data as CofferProviderData);
    expect(await new UserSecretResource().create({ config: secretConfig() }, ctx)).toBeUndefined();
    expect(ctx.diagnostics.all[0]?.summary).toBe('Secret already exists');
    expect(double.valueOf('alice', 'npm-token')).toBe('the-users-own');
  });

  test('outside Coder nothing changes: destroy deletes, a conflict is not adopted', async () => {
    const { data } = await configure({ CODER_URL: double.url, CODER_SESSION_TOKEN: double.user.token, COFFER_HOME: home });
    const resource = new UserSecretResource();
    const ctx = contextFor(data as CofferProviderData);
    await resource.create({ config: secretConfig() }, ctx);
    const secondRun = await configure({ CODER_URL: double.url, CODER_SESSION_TOKEN: double.user.token, COFFER_HOME: home });
    const again = contextFor(secondRun.data as CofferProviderData);
    expect(await resource.create({ config: secretConfig() }, again)).toBeUndefined();
    expect(again.diagnostics.all[0]?.summary).toBe('Secret already exists');
    await resource.delete({ prior: secretConfig() }, contextFor(data as CofferProviderData));
    expect(double.secretsOf('alice')).toEqual([]);
  });
});

describe('the audit log inside a build (failure 6)', () => {
  test('goes to the provider log, not a file in the provisioner home', async () => {
    const lines: { message: string; fields?: LogFields }[] = [];
    const log = recordingLogger(lines);
    const { data } = await configure(buildEnv(double, { ownerToken: double.user.token }), {}, log);
    await new UserSecretResource().create({ config: secretConfig() }, contextFor(data as CofferProviderData, log));
    expect(fs.readdirSync(home)).toEqual([]);
    const audit = lines.filter((l) => l.message === 'audit_log');
    expect(audit).toEqual([expect.objectContaining({ fields: expect.objectContaining({ action: 'create', secret: 'npm-token', outcome: 'success' }) })]);
    expect(JSON.stringify(lines)).not.toContain(SECRET_VALUE);
  });
});
