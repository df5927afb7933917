/** Backend profiles: the config file, `coffer backend …`, openStore's selection order, credentials. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuditedSecretStore } from '../../src/client/audit';
import { LocalSecretStore } from '../../src/client/backends/local';
import { backendContext, openStore, selectBackend } from '../../src/client/open-store';
import {
  CREDENTIALS_USER,
  loadConfig,
  parseConfig,
  resolveConfigPath,
  saveConfig,
} from '../../src/client/profiles';
import type { SecretStore } from '../../src/client/secret-store';
import { SecretText } from '../../src/client/secret-text';
import { requireCapabilities } from '../../src/cli/common';
import { buildCli, makeSandbox, runCli, SANDBOX_USER, type CliBundle, type Sandbox } from './fixtures/cli-helpers';

let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox('cli-backend');
});
afterEach(() => sb.cleanup());

describe('config file', () => {
  test('location: COFFER_CONFIG, else XDG_CONFIG_HOME, else ~/.config', () => {
    expect(resolveConfigPath({ COFFER_CONFIG: '/x/c.json', HOME: '/h' })).toBe('/x/c.json');
    expect(resolveConfigPath({ XDG_CONFIG_HOME: '/xdg', HOME: '/h' })).toBe('/xdg/coffer/config.json');
    expect(resolveConfigPath({ XDG_CONFIG_HOME: 'relative', HOME: '/h' })).toBe('/h/.config/coffer/config.json');
    expect(resolveConfigPath({ HOME: '/h' })).toBe('/h/.config/coffer/config.json');
  });

  test('written atomically with mode 0600 in a 0700 directory; a missing file is an empty config', () => {
    expect(loadConfig(sb.config)).toEqual({ backends: {} });
    saveConfig(sb.config, { current: 'dev', backends: { dev: { kind: 'local', home: '/tmp/x' } } });
    expect(fs.statSync(sb.config).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(sb.config)).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(path.dirname(sb.config))).toEqual([path.basename(sb.config)]);
    expect(loadConfig(sb.config)).toEqual({ current: 'dev', backends: { dev: { kind: 'local', home: '/tmp/x' } } });
  });

  test.each([
    [
      'a token in a profile',
      { backends: { p: { kind: 'vault', token: 'hvs.x' } } },
      /backend "p" has a "token" key, but credentials never go into the config file/,
    ],
    [
      'a secret_id',
      { backends: { p: { kind: 'vault', authMethod: 'approle', secret_id: 'x' } } },
      /"secret_id" key, but credentials never go/,
    ],
    [
      'a session token at the top',
      { sessionToken: 'x', backends: {} },
      /the file has a "sessionToken" key, but credentials never go/,
    ],
    [
      'a password in the url',
      { backends: { p: { kind: 'coder', url: 'https://u:pw@coder.example.com' } } },
      /must not carry a user name or password/,
    ],
    ['an unknown key', { backends: { p: { kind: 'local', hom: '/x' } } }, /unknown key "hom"/],
    [
      'a field of another kind',
      { backends: { p: { kind: 'local', url: 'https://x' } } },
      /of kind local does not use "url"/,
    ],
    ['an unknown kind', { backends: { p: { kind: 'aws' } } }, /needs "kind"/],
    [
      'a current that does not exist',
      { current: 'gone', backends: {} },
      /"current" names backend "gone", which is not registered/,
    ],
  ])('refuses %s', (_label, config, message) => {
    expect(() => parseConfig(JSON.stringify(config), 'cfg.json')).toThrow(message);
  });

  test('profile names may contain "secret" or "token": only keys are checked', () => {
    expect(
      parseConfig(JSON.stringify({ backends: { 'token-store': { kind: 'local' } } }), 'c').backends['token-store'],
    ).toEqual({ kind: 'local' });
  });
});

describe('openStore', () => {
  const local = (home: string) => ({ kind: 'local' as const, home });

  test('selection order: --backend, then COFFER_BACKEND, then current, then the embedded store', () => {
    const config = { current: 'c', backends: { f: local('/f'), e: local('/e'), c: local('/c') } };
    expect(selectBackend('f', { COFFER_BACKEND: 'e' }, config)).toMatchObject({ name: 'f', source: 'flag' });
    expect(selectBackend(undefined, { COFFER_BACKEND: 'e' }, config)).toMatchObject({ name: 'e', source: 'env' });
    expect(selectBackend(undefined, {}, config)).toMatchObject({ name: 'c', source: 'config' });
    expect(selectBackend(undefined, {}, { backends: {} })).toMatchObject({
      name: 'local',
      source: 'default',
      builtin: true,
    });
    expect(selectBackend('local', {}, config)).toMatchObject({ name: 'local', builtin: true });
    expect(() => selectBackend(undefined, { COFFER_BACKEND: 'nope' }, config)).toThrow(
      /backend "nope" \(from COFFER_BACKEND\) is neither a registered profile nor a backend kind/,
    );
  });

  test('returns an audited local store; vault and coder say plainly which credential is missing', async () => {
    const store = await openStore(undefined, sb.env);
    expect(store).toBeInstanceOf(AuditedSecretStore);
    expect(store.kind).toBe('local');
    await store.close();
    saveConfig(sb.config, {
      backends: { v: { kind: 'vault', url: 'https://vault.example.com' }, c: { kind: 'coder' } },
    });
    await expect(openStore('v', sb.env)).rejects.toMatchObject({
      message: expect.stringMatching(/no Vault token: set BAO_TOKEN or VAULT_TOKEN/),
    });
    await expect(openStore('c', sb.env)).rejects.toMatchObject({
      code: 'unauthorized',
      message: expect.stringMatching(/backend "c" \(from --backend\) needs its Coder session or API token: set CODER_SESSION_TOKEN/),
    });
  });

  test('credentials: the environment first, then the embedded store; a clear error when neither has one', async () => {
    const selection = {
      name: 'prod',
      profile: { kind: 'vault' as const, authMethod: 'approle' as const },
      source: 'flag' as const,
      from: '--backend',
      builtin: false,
    };
    const ctx = backendContext(selection, sb.env);
    await expect(ctx.credential('role-id')).resolves.toBeUndefined();
    await expect(ctx.requireCredential('secret-id')).rejects.toThrow(
      'backend "prod" (from --backend) needs its AppRole secret_id: set COFFER_VAULT_SECRET_ID or VAULT_SECRET_ID, or store it with "coffer backend register prod --kind vault … --store-credential secret-id"',
    );
    const store = sb.credentials();
    await store.write('prod', 'role-id', new SecretText('stored-role'));
    await store.close();
    expect((await ctx.requireCredential('role-id')).reveal()).toBe('stored-role');
    const fromEnv = backendContext(selection, { ...sb.env, VAULT_ROLE_ID: 'env-role' });
    expect((await fromEnv.requireCredential('role-id')).reveal()).toBe('env-role');
    await expect(ctx.credential('token')).rejects.toThrow(/has no credential "token"/);
  });

  test('a backend that cannot keep a field fails plainly instead of dropping it', () => {
    const coder = {
      kind: 'coder',
      capabilities: { fileOwnerAndMode: false, defaults: false, valueVersion: false, readValue: false },
    } as unknown as SecretStore;
    expect(() => requireCapabilities(coder, { ownerOrMode: true, isDefault: false })).toThrow(
      "the coder backend cannot keep --owner/--mode: Coder's API has no such field",
    );
    expect(() => requireCapabilities(coder, { ownerOrMode: false, isDefault: true })).toThrow(
      "the coder backend cannot keep --default: Coder's API has no such field",
    );
    expect(() => requireCapabilities(coder, { ownerOrMode: false, isDefault: false })).not.toThrow();
  });
});

describe('coffer backend', () => {
  let cli: CliBundle;
  beforeAll(() => {
    cli = buildCli();
  });
  afterAll(() => cli.cleanup());
  const run = (args: readonly string[], input?: string, env?: NodeJS.ProcessEnv) =>
    runCli(cli, sb, args, { input, env });

  test('register, list, use, remove', () => {
    const devHome = path.join(sb.dir, 'dev-home');
    const r = run(['backend', 'register', 'dev', '--kind', 'local', '--home', devHome]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`Registered backend dev (local) in ${sb.config}.\n`);
    expect(run(['backend', 'register', 'dev', '--kind', 'local']).status).toBe(4);
    expect(
      run([
        'backend',
        'register',
        'prod',
        '--kind',
        'vault',
        '--url',
        'https://vault.example.com',
        '--auth',
        'approle',
        '--mount',
        'kv',
        '--namespace',
        'team',
        '--role',
        'ci',
        '--path-prefix',
        'coffer',
      ]).status,
    ).toBe(0);
    expect(
      run(['backend', 'register', 'cdr', '--kind', 'coder', '--url', 'https://coder.example.com', '-o', 'json']).stdout,
    ).toMatch(/"kind": "coder"/);

    const list = JSON.parse(run(['backend', 'list', '-o', 'json']).stdout);
    expect(list.map((b: Record<string, unknown>) => [b.name, b.kind, b.active, b.builtin])).toEqual([
      ['local', 'local', true, true],
      ['cdr', 'coder', false, false],
      ['dev', 'local', false, false],
      ['prod', 'vault', false, false],
    ]);
    expect(list[3]).toMatchObject({
      auth_method: 'approle',
      mount: 'kv',
      namespace: 'team',
      role: 'ci',
      path_prefix: 'coffer',
    });
    expect(list[3].credentials).toEqual([
      { key: 'role-id', env_vars: ['COFFER_VAULT_ROLE_ID', 'VAULT_ROLE_ID'], source: 'missing' },
      { key: 'secret-id', env_vars: ['COFFER_VAULT_SECRET_ID', 'VAULT_SECRET_ID'], source: 'missing' },
    ]);

    expect(run(['backend', 'use', 'dev'])).toMatchObject({ status: 0, stdout: 'Now using backend dev.\n' });
    const table = run(['backend', 'list']).stdout;
    expect(table).toMatch(/^NAME\s+KIND\s+LOCATION\s+AUTH\s+CREDENTIALS\s+ACTIVE$/m);
    expect(table).toMatch(/^dev\s+local\s+\S+dev-home\s+-\s+-\s+\* \(current\)$/m);
    expect(table).toMatch(/^cdr\s+coder\s+https:\/\/coder\.example\.com\s+-\s+session-token=missing/m);
    expect(run(['backend', 'use', 'nope']).status).toBe(3);
    expect(run(['backend', 'remove', 'dev']).status).toBe(0);
    expect(JSON.parse(fs.readFileSync(sb.config, 'utf8'))).not.toHaveProperty('current');
    expect(run(['backend', 'remove', 'dev']).status).toBe(3);
  });

  test('flag misuse: kind required, flags must fit the kind, there is no --token', () => {
    expect(run(['backend', 'register', 'x']).status).toBe(2);
    expect(run(['backend', 'register', 'x', '--kind', 'aws']).status).toBe(2);
    expect(run(['backend', 'register', 'x', '--kind', 'local', '--url', 'https://x']).stderr).toMatch(
      /--url does not apply to a local backend/,
    );
    expect(run(['backend', 'register', 'x', '--kind', 'vault', '--url', 'ftp://x']).status).toBe(5);
    expect(run(['backend', 'register', 'bad/name', '--kind', 'local']).status).toBe(2);
    for (const flag of ['--token', '--token=hvs.abc', '--secret-id', '--session-token']) {
      const r = run(['backend', 'register', 'x', '--kind', 'vault', flag, 'hvs.abc']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/credentials never go into the config file/);
      expect(r.stderr).not.toContain('hvs.abc');
    }
    expect(fs.existsSync(sb.config)).toBe(false);
  });

  test('--store-credential keeps the credential encrypted in the embedded store, never in the config', async () => {
    const r = run(
      [
        'backend',
        'register',
        'prod',
        '--kind',
        'vault',
        '--url',
        'https://vault.example.com',
        '--store-credential',
        'token',
        '--use',
      ],
      'hvs.CREDENTIAL-VALUE\n',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Stored credential token encrypted in the embedded store/);
    const configText = fs.readFileSync(sb.config, 'utf8');
    expect(configText).not.toContain('CREDENTIAL-VALUE');
    expect(JSON.parse(configText)).toEqual({
      current: 'prod',
      backends: { prod: { kind: 'vault', url: 'https://vault.example.com' } },
    });
    const credentials = sb.credentials();
    // One trailing newline (echo) is dropped from credentials.
    expect((await credentials.read('prod', 'token'))?.reveal()).toBe('hvs.CREDENTIAL-VALUE');
    await credentials.close();
    // Stored disabled, so it is never delivered (read below the credential API on purpose).
    const raw = new LocalSecretStore({ home: sb.cofferHome, identity: SANDBOX_USER, internalOwner: CREDENTIALS_USER });
    expect((await raw.get(CREDENTIALS_USER, 'backend.prod.token')).enabled).toBe(false);
    await raw.close();

    const list = (env?: NodeJS.ProcessEnv) => JSON.parse(run(['backend', 'list', '-o', 'json'], undefined, env).stdout);
    expect(list().find((b: { name: string }) => b.name === 'prod').credentials[0].source).toBe('stored');
    expect(list({ BAO_TOKEN: 'x' }).find((b: { name: string }) => b.name === 'prod').credentials[0].source).toBe(
      'env:BAO_TOKEN',
    );

    // Wrong key for the kind, and no credential given.
    expect(
      run(['backend', 'register', 'p2', '--kind', 'vault', '--store-credential', 'session-token'], 'x').stderr,
    ).toMatch(/--store-credential takes token for this backend/);
    expect(run(['backend', 'register', 'p3', '--kind', 'vault', '--store-credential', 'token']).status).toBe(2);
    expect(Object.keys(loadConfig(sb.config).backends)).toEqual(['prod']);

    // Removing the profile removes its stored credential.
    expect(run(['backend', 'remove', 'prod']).status).toBe(0);
    const after = sb.credentials();
    await expect(after.has('prod', 'token')).resolves.toBe(false);
    await after.close();
    expect(fs.readFileSync(sb.audit, 'utf8')).not.toContain('CREDENTIAL-VALUE');
  });

  test('a config file holding a token is refused by every command, with a clear message', () => {
    fs.mkdirSync(path.dirname(sb.config), { recursive: true });
    fs.writeFileSync(
      sb.config,
      JSON.stringify({ backends: { prod: { kind: 'vault', url: 'https://v', token: 'hvs.LEAKED' } } }),
    );
    for (const args of [
      ['secret', 'list'],
      ['backend', 'list'],
      ['backend', 'use', 'prod'],
      ['run', '--', 'true'],
    ]) {
      const r = run(args);
      expect(r.status).toBe(5);
      expect(r.stderr).toBe(
        `coffer: ${sb.config}: backend "prod" has a "token" key, but credentials never go into the config file. ` +
          'Set them in the environment (BAO_TOKEN/VAULT_TOKEN, COFFER_VAULT_ROLE_ID, COFFER_VAULT_SECRET_ID, COFFER_VAULT_JWT, CODER_SESSION_TOKEN) ' +
          'or store them encrypted with "coffer backend register NAME … --store-credential KEY", and remove the key from the file\n',
      );
    }
  });

  test('a global --backend stays a flag: errors blame --backend, not COFFER_BACKEND', () => {
    const r = run(['--backend', 'nope', 'secret', 'list']);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^coffer: backend "nope" \(from --backend\) is neither a registered profile nor a backend kind/);
    const listed = run(['--backend', 'local', 'backend', 'list'], undefined, { COFFER_BACKEND: 'nope' });
    expect(listed.stdout).toMatch(/^local\s+local\s+.*\* \(--backend\)$/m);
  });

  test('COFFER_BACKEND may name a kind: vault without a profile is configured from the environment', () => {
    const r = run(['secret', 'list'], undefined, { COFFER_BACKEND: 'vault', BAO_ADDR: 'http://127.0.0.1:9' });
    expect(r.stderr).toMatch(/^coffer: Vault backend configuration: no Vault token/);
    expect(r.stderr).not.toMatch(/not registered/);
  });

  test('backend list shows every credential source a command would use, ~/.vault-token and wrapped SecretIDs too', () => {
    run(['backend', 'register', 'v', '--kind', 'vault', '--url', 'https://vault.example.com']);
    run(['backend', 'register', 'ar', '--kind', 'vault', '--url', 'https://vault.example.com', '--auth', 'approle']);
    const row = (out: string, name: string) => out.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
    expect(row(run(['backend', 'list']).stdout, 'v')).toMatch(/token=missing/);
    fs.writeFileSync(path.join(sb.home, '.vault-token'), 'hvs.from-file\n');
    const listed = run(['backend', 'list'], undefined, {
      COFFER_VAULT_ROLE_ID: 'r',
      COFFER_VAULT_WRAPPED_SECRET_ID: 'w',
    }).stdout;
    expect(row(listed, 'v')).toMatch(/token=file:~\/.vault-token/);
    expect(row(listed, 'ar')).toMatch(/role-id=env:COFFER_VAULT_ROLE_ID secret-id=wrapped:COFFER_VAULT_WRAPPED_SECRET_ID/);
    expect(listed).not.toContain('hvs.from-file');
  });

  test('the selected profile decides where secrets go: --backend > COFFER_BACKEND > current > embedded', () => {
    for (const name of ['a', 'b', 'c']) {
      expect(
        run(['backend', 'register', name, '--kind', 'local', '--home', path.join(sb.dir, `home-${name}`)]).status,
      ).toBe(0);
    }
    const names = (args: string[], env?: NodeJS.ProcessEnv) =>
      JSON.parse(run([...args, 'secret', 'list', '-o', 'json'], undefined, env).stdout).map(
        (s: { name: string }) => s.name,
      );
    run(['secret', 'create', 'in-embedded', '--env', 'E'], 'v');
    run(['backend', 'use', 'c']);
    run(['secret', 'create', 'in-c', '--env', 'E'], 'v');
    run(['secret', 'create', 'in-b', '--env', 'E'], 'v', { COFFER_BACKEND: 'b' });
    run(['secret', 'create', 'in-a', '--env', 'E', '--backend', 'a'], 'v', { COFFER_BACKEND: 'b' });
    expect(names([])).toEqual(['in-c']);
    expect(names([], { COFFER_BACKEND: 'b' })).toEqual(['in-b']);
    expect(names(['--backend', 'a'], { COFFER_BACKEND: 'b' })).toEqual(['in-a']);
    expect(names(['--backend=local'])).toEqual(['in-embedded']);
    const unknown = run(['secret', 'list', '--backend', 'zzz']);
    expect(unknown.status).toBe(3);
    expect(unknown.stderr).toBe(
      'coffer: backend "zzz" (from --backend) is neither a registered profile nor a backend kind (local, vault, coder): see "coffer backend list"\n',
    );
    run(['backend', 'register', 'v', '--kind', 'vault', '--url', 'https://vault.example.com']);
    const vault = run(['secret', 'list', '--backend', 'v']);
    expect(vault.stderr).toMatch(/^coffer: Vault backend configuration: no Vault token: set BAO_TOKEN or VAULT_TOKEN/);
    expect(vault.status).not.toBe(0);
  });
});
