/** `coffer backend register|list|use|remove`: named backend profiles in the config file. */
import * as path from 'node:path';
import { resolveCofferHome } from '../../client/backends/local';
import type { CredentialStore } from '../../client/credential-store';
import { SecretStoreError } from '../../client/errors';
import { openCredentialStore, selectBackend, type BackendSelection } from '../../client/open-store';
import {
  AUTH_METHODS,
  BACKEND_KINDS,
  BUILTIN_LOCAL,
  CREDENTIALS_USER,
  credentialSource,
  credentialSpecs,
  loadConfig,
  resolveConfigPath,
  saveConfig,
  validateProfile,
  validateProfileName,
  type BackendKind,
  type BackendProfile,
  type CofferConfig,
} from '../../client/profiles';
import { SecretText } from '../../client/secret-text';
import { expectPositionals, OUTPUT_OPTION, parseCommandLine, parseOutputFormat } from '../args';
import { backendChoices } from '../common';
import { CliError, EXIT, UsageError } from '../errors';
import {
  unknownCommand,
  decodeUtf8,
  err,
  out,
  printJson,
  promptHidden,
  readStdin,
  renderTable,
  stdinIsTTY,
  warn,
} from '../io';

export const BACKEND_HELP = `Usage: coffer backend <command> [options]

Named backend profiles, kept in $COFFER_CONFIG or \${XDG_CONFIG_HOME:-~/.config}/coffer/config.json
(mode 0600). The file says where and how to connect, never with which credentials.

Commands:
  register NAME --kind KIND [...]   Add a profile (optionally store its credential encrypted)
  list                              Show profiles, the one in use, and where credentials come from
  use NAME                          Make NAME the current profile ("local" = the embedded store)
  remove NAME                       Delete a profile and its stored credentials   alias: rm

Which backend a command uses: --backend NAME, else COFFER_BACKEND, else the config's current,
else the embedded store (COFFER_HOME, default \${XDG_DATA_HOME:-~/.local/share}/coffer).

Credentials come from the environment (BAO_TOKEN or VAULT_TOKEN; COFFER_VAULT_ROLE_ID and
COFFER_VAULT_SECRET_ID (or VAULT_ROLE_ID, VAULT_SECRET_ID); COFFER_VAULT_JWT; CODER_SESSION_TOKEN)
or from the embedded encrypted store, where
"register … --store-credential KEY" puts them (user ${CREDENTIALS_USER}, secret backend.NAME.KEY).
A config file holding a token is refused.
`;

const REGISTER_HELP = `Usage: coffer backend register NAME --kind local|vault|coder [options]

Options:
  --kind KIND              local, vault (Vault or OpenBao) or coder
  --url URL                Server address (vault, coder)
  --auth METHOD            Vault login: token (default), approle, jwt, kubernetes
  --mount M                Vault KV v2 mount
  --namespace NS           Vault/OpenBao namespace
  --path-prefix P          Prefix of the secret paths inside the mount (vault)
  --role R                 Role name for approle/jwt/kubernetes login (a name, not a credential)
  --home DIR               Coffer home of a local store
  --store-credential KEY   Read credential KEY from stdin (or a hidden prompt on a terminal) and
                           keep it encrypted in the embedded store. One trailing newline is
                           dropped (tokens never end in one). Keys: vault+token: token;
                           vault+approle: role-id, secret-id; vault+jwt: jwt; coder: session-token
  --use                    Also make it the current profile
  --force                  Replace an existing profile of that name
  -o, --output FORMAT      table (default: a message) or json (the profile)

There is no --token option on purpose: credentials never go into the config file.

Examples:
  coffer backend register dev --kind local --home ~/coffer-dev --use
  printf %s "$VAULT_TOKEN" | coffer backend register prod --kind vault \\
      --url https://vault.example.com --mount secret --store-credential token
  COFFER_VAULT_ROLE_ID=… COFFER_VAULT_SECRET_ID=… coffer --backend ci secret list
`;

const LIST_HELP = `Usage: coffer backend list [-o table|json]

Shows every profile (and the built-in embedded store "local"), which one commands use now
(ACTIVE, and why), and where each credential would come from: an environment variable, the
embedded store ("stored"), or nowhere ("missing"). Never shows a credential.
`;

const USE_HELP = `Usage: coffer backend use NAME [-o table|json]

Makes NAME the config's current profile. "local" selects the embedded store. COFFER_BACKEND
and --backend still override it.
`;

const REMOVE_HELP = `Usage: coffer backend remove NAME [-o table|json]

Deletes the profile and any credentials stored for it in the embedded store.
`;

const NO_CREDENTIAL_FLAGS =
  'credentials never go into the config file: set them in the environment (BAO_TOKEN/VAULT_TOKEN, ' +
  'COFFER_VAULT_ROLE_ID, COFFER_VAULT_SECRET_ID, COFFER_VAULT_JWT, CODER_SESSION_TOKEN) or pass --store-credential KEY ' +
  'and give the credential on stdin or at the prompt';
const CREDENTIAL_HINTS = Object.fromEntries(
  ['--token', '--password', '--secret-id', '--role-id', '--session-token', '--jwt', '--secret', '--credential'].map(
    (f) => [f, NO_CREDENTIAL_FLAGS],
  ),
);

export async function backendCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'register':
      return register(rest, env);
    case 'list':
    case 'ls':
      return list(rest, env);
    case 'use':
      return use(rest, env);
    case 'remove':
    case 'rm':
      return remove(rest, env);
    case '-h':
    case '--help':
    case 'help':
      out(BACKEND_HELP);
      return EXIT.ok;
    case undefined:
      err(BACKEND_HELP);
      return EXIT.usage;
    default:
      throw new UsageError(unknownCommand('backend', sub, ['register', 'list', 'use', 'remove']), 'backend');
  }
}

const REGISTER_OPTIONS = {
  kind: { type: 'string' },
  url: { type: 'string' },
  auth: { type: 'string' },
  mount: { type: 'string' },
  namespace: { type: 'string' },
  'path-prefix': { type: 'string' },
  role: { type: 'string' },
  home: { type: 'string' },
  'store-credential': { type: 'string' },
  use: { type: 'boolean' },
  force: { type: 'boolean' },
  ...OUTPUT_OPTION,
} as const;

/** Which flags each kind takes, and the profile field they fill. */
const PROFILE_FLAGS: Readonly<Record<string, { field: keyof BackendProfile; kinds: readonly BackendKind[] }>> = {
  url: { field: 'url', kinds: ['vault', 'coder'] },
  auth: { field: 'authMethod', kinds: ['vault'] },
  mount: { field: 'mount', kinds: ['vault'] },
  namespace: { field: 'namespace', kinds: ['vault'] },
  'path-prefix': { field: 'pathPrefix', kinds: ['vault'] },
  role: { field: 'role', kinds: ['vault'] },
  home: { field: 'home', kinds: ['local'] },
};

function configPath(env: NodeJS.ProcessEnv): string {
  return resolveConfigPath(env);
}

interface ProfileJson {
  readonly name: string;
  readonly kind: BackendKind;
  readonly url: string | null;
  readonly auth_method: string | null;
  readonly mount: string | null;
  readonly namespace: string | null;
  readonly path_prefix: string | null;
  readonly home: string | null;
  readonly role: string | null;
}

function profileJson(name: string, profile: BackendProfile): ProfileJson {
  return {
    name,
    kind: profile.kind,
    url: profile.url ?? null,
    auth_method: profile.kind === 'vault' ? (profile.authMethod ?? 'token') : null,
    mount: profile.mount ?? null,
    namespace: profile.namespace ?? null,
    path_prefix: profile.pathPrefix ?? null,
    home: profile.home ?? null,
    role: profile.role ?? null,
  };
}

async function register(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'backend register';
  const args = parseCommandLine(argv, REGISTER_OPTIONS, { command, hints: CREDENTIAL_HINTS });
  if (args.help) {
    out(REGISTER_HELP);
    return EXIT.ok;
  }
  const [name] = expectPositionals(args.positionals, ['NAME'], command) as [string];
  const v = args.values;
  const format = parseOutputFormat(v.output, command);
  const nameProblem = validateProfileName(name);
  if (nameProblem) throw new UsageError(nameProblem, command);
  if (v.kind === undefined) throw new UsageError(`--kind is required (${BACKEND_KINDS.join(', ')})`, command);
  if (!(BACKEND_KINDS as readonly string[]).includes(v.kind))
    throw new UsageError(`--kind takes ${BACKEND_KINDS.join(', ')}`, command);
  const kind = v.kind as BackendKind;
  if (v.auth !== undefined && !(AUTH_METHODS as readonly string[]).includes(v.auth)) {
    throw new UsageError(`--auth takes ${AUTH_METHODS.join(', ')}`, command);
  }
  const draft: Record<string, string> = { kind };
  for (const [flag, { field, kinds }] of Object.entries(PROFILE_FLAGS)) {
    const value = v[flag as keyof typeof v] as string | undefined;
    if (value === undefined) continue;
    if (!kinds.includes(kind)) throw new UsageError(`--${flag} does not apply to a ${kind} backend`, command);
    draft[field] = field === 'home' && !value.startsWith('~/') ? path.resolve(value) : value;
  }
  const profile = validateProfile(name, draft, 'coffer backend register');

  const file = configPath(env);
  const config = loadConfig(file);
  if (config.backends[name] !== undefined && !v.force) {
    throw new CliError(EXIT.conflict, `backend "${name}" is already registered (pass --force to replace it)`);
  }

  // Read the credential before writing anything, so a failed read changes nothing.
  const credentialKey = v['store-credential'];
  let credential: SecretText | undefined;
  if (credentialKey !== undefined) {
    const specs = credentialSpecs(profile);
    if (!specs.some((s) => s.key === credentialKey)) {
      throw new UsageError(
        specs.length === 0
          ? `a ${kind}${kind === 'vault' ? ` (${profile.authMethod ?? 'token'} auth)` : ''} backend needs no stored credential`
          : `--store-credential takes ${specs.map((s) => s.key).join(' or ')} for this backend`,
        command,
      );
    }
    credential = await readCredential(`credential "${credentialKey}" of backend "${name}"`, command);
  }

  const next: CofferConfig = {
    ...(v.use ? { current: name } : config.current !== undefined ? { current: config.current } : {}),
    backends: { ...config.backends, [name]: profile },
  };
  saveConfig(file, next);
  if (credential !== undefined && credentialKey !== undefined)
    await storeCredential(env, name, credentialKey, credential);

  if (format === 'json') printJson({ ...profileJson(name, profile), current: next.current === name, config: file });
  else {
    out(`Registered backend ${name} (${kind}) in ${file}.\n`);
    if (credentialKey !== undefined) out(`Stored credential ${credentialKey} encrypted in the embedded store.\n`);
    if (v.use) out(`Now using backend ${name}.\n`);
  }
  return EXIT.ok;
}

/** A credential from stdin (not a terminal) or a hidden prompt; one trailing newline is dropped. */
async function readCredential(what: string, command: string): Promise<SecretText> {
  let text: string;
  if (stdinIsTTY()) text = await promptHidden(`Value for ${what} (input hidden): `);
  else
    text = decodeUtf8(await readStdin(64 * 1024, 'the credential'), 'the credential read from stdin').replace(
      /\r?\n$/,
      '',
    );
  if (text === '') throw new UsageError('no credential given: pipe it to stdin or type it at the prompt', command);
  return new SecretText(text);
}

async function storeCredential(
  env: NodeJS.ProcessEnv,
  profileName: string,
  key: string,
  value: SecretText,
): Promise<void> {
  const store = openCredentialStore(env);
  try {
    await store.write(profileName, key, value);
  } finally {
    await store.close();
  }
}

interface CredentialStatus {
  readonly key: string;
  readonly env_vars: readonly string[];
  /** `env:VAR`, `stored` or `missing`. */
  readonly source: string;
}

async function credentialStatus(
  name: string,
  profile: BackendProfile,
  builtin: boolean,
  env: NodeJS.ProcessEnv,
  store: () => CredentialStore,
): Promise<CredentialStatus[]> {
  const result: CredentialStatus[] = [];
  for (const spec of credentialSpecs(profile)) {
    // A bare kind has no profile to store credentials under.
    const source = await credentialSource(spec, env, async () => !builtin && store().has(name, spec.key));
    result.push({ key: spec.key, env_vars: spec.envVars, source });
  }
  return result;
}

/** A bare vault kind logs in the way COFFER_VAULT_AUTH says (else with a token), so its credentials are those. */
function bareKindProfile(profile: BackendProfile, env: NodeJS.ProcessEnv): BackendProfile {
  const method = env.COFFER_VAULT_AUTH;
  if (profile.kind !== 'vault' || method === undefined || !(AUTH_METHODS as readonly string[]).includes(method)) return profile;
  return { ...profile, authMethod: method as BackendProfile['authMethod'] };
}

async function list(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'backend list';
  const args = parseCommandLine(argv, { ...OUTPUT_OPTION }, { command });
  if (args.help) {
    out(LIST_HELP);
    return EXIT.ok;
  }
  expectPositionals(args.positionals, [], command);
  const format = parseOutputFormat(args.values.output, command);
  const file = configPath(env);
  const config = loadConfig(file);
  let active: BackendSelection | undefined;
  try {
    active = selectBackend(backendChoices(undefined), env, config);
  } catch (error) {
    if (!(error instanceof SecretStoreError)) throw error;
    warn(error.message);
  }
  const entries: [string, BackendProfile, boolean][] = Object.entries(config.backends)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([n, p]) => [n, p, false]);
  if (config.backends[BUILTIN_LOCAL] === undefined) entries.unshift([BUILTIN_LOCAL, { kind: 'local' }, true]);
  // A bare kind chosen by --backend/COFFER_BACKEND (configured from the environment) is shown too.
  if (active?.builtin && active.name !== BUILTIN_LOCAL) entries.push([active.name, bareKindProfile(active.profile, env), true]);

  let credentialStore: CredentialStore | undefined;
  const rows = [];
  try {
    for (const [name, profile, builtin] of entries) {
      const credentials = await credentialStatus(
        name,
        profile,
        builtin,
        env,
        () => (credentialStore ??= openCredentialStore(env)),
      );
      rows.push({
        ...profileJson(name, profile),
        ...(builtin
          ? { ...(profile.kind === 'local' ? { home: resolveCofferHome(env) } : {}), builtin: true }
          : { builtin: false }),
        current: config.current === name,
        active: active?.name === name,
        credentials,
      });
    }
  } finally {
    await credentialStore?.close();
  }
  if (format === 'json') {
    printJson(rows);
    return EXIT.ok;
  }
  out(
    renderTable(
      ['NAME', 'KIND', 'LOCATION', 'AUTH', 'CREDENTIALS', 'ACTIVE'],
      rows.map((r) => [
        String(r.name),
        String(r.kind),
        String(r.url ?? r.home ?? '-'),
        String(r.auth_method ?? '-'),
        r.credentials.length === 0 ? '-' : r.credentials.map((c) => `${c.key}=${c.source}`).join(' '),
        r.active && active ? `* (${active.from})` : '',
      ]),
    ),
  );
  out(`\nConfig: ${file}\n`);
  return EXIT.ok;
}

async function use(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'backend use';
  const args = parseCommandLine(argv, { ...OUTPUT_OPTION }, { command });
  if (args.help) {
    out(USE_HELP);
    return EXIT.ok;
  }
  const [name] = expectPositionals(args.positionals, ['NAME'], command) as [string];
  const file = configPath(env);
  const config = loadConfig(file);
  if (config.backends[name] === undefined && name !== BUILTIN_LOCAL) {
    throw new CliError(EXIT.notFound, `backend "${name}" is not registered: see "coffer backend list"`);
  }
  const format = parseOutputFormat(args.values.output, command);
  saveConfig(file, { ...config, current: name });
  if (format === 'json') printJson({ current: name, config: file });
  else out(`Now using backend ${name}.\n`);
  if (env.COFFER_BACKEND) warn(`COFFER_BACKEND=${env.COFFER_BACKEND} is set and overrides the current backend`);
  return EXIT.ok;
}

async function remove(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'backend remove';
  const args = parseCommandLine(argv, { ...OUTPUT_OPTION }, { command });
  if (args.help) {
    out(REMOVE_HELP);
    return EXIT.ok;
  }
  const [name] = expectPositionals(args.positionals, ['NAME'], command) as [string];
  const file = configPath(env);
  const config = loadConfig(file);
  const format = parseOutputFormat(args.values.output, command);
  const profile = config.backends[name];
  if (profile === undefined)
    throw new CliError(EXIT.notFound, `backend "${name}" is not registered: see "coffer backend list"`);
  const backends = { ...config.backends };
  delete backends[name];
  saveConfig(file, {
    ...(config.current !== undefined && config.current !== name ? { current: config.current } : {}),
    backends,
  });
  // Every key any auth method of this kind could have stored.
  const keys = new Set(
    (profile.kind === 'vault' ? AUTH_METHODS.map((authMethod) => ({ ...profile, authMethod })) : [profile]).flatMap(
      (p) => credentialSpecs(p).map((s) => s.key),
    ),
  );
  if (keys.size > 0) {
    const store = openCredentialStore(env);
    try {
      for (const key of keys) await store.remove(name, key);
    } finally {
      await store.close();
    }
  }
  if (format === 'json') printJson({ removed: name, config: file });
  else out(`Removed backend ${name}.\n`);
  return EXIT.ok;
}
