/** `coffer secret create|update|list|delete|check|import`. */
import {
  checkEnabledHasTarget,
  checkEnvName,
  checkFileOptionsHaveFile,
  checkFileOwner,
  checkFilePath,
  checkName,
  parseFileMode,
  type RuleViolation,
} from '../../client/rules';
import type { CreateSecretInput, SecretMetadata, UpdateSecretInput } from '../../client/secret-store';
import { SecretText } from '../../client/secret-text';
import { expectPositionals, OUTPUT_OPTION, parseCommandLine, parseOutputFormat, type ParsedArgs } from '../args';
import {
  formatMode,
  metadataJson,
  requireCapabilities,
  shortTime,
  STORE_HELP,
  STORE_OPTIONS,
  userOption,
  withStore,
} from '../common';
import { CliError, EXIT, UsageError } from '../errors';
import {
  formatFromFileName,
  IMPORT_FORMATS,
  MAX_IMPORT_FILE_BYTES,
  parseSecretsFile,
  type ImportFormat,
} from '../import-parsers';
import {
  unknownCommand,
  confirm,
  decodeUtf8,
  displayText,
  err,
  out,
  printJson,
  Progress,
  readStdin,
  readUserFile,
  renderTable,
  stdinIsTTY,
  warn,
} from '../io';
import { readValueInput, VALUE_HELP, VALUE_OPTIONS } from '../value-input';

export const SECRET_HELP = `Usage: coffer secret <command> [options]

Manage secrets (metadata and values) in the selected backend.

Commands:
  create NAME      Create a secret (value from --value-file, --value, stdin or a hidden prompt)
  update NAME      Change a secret's value and/or metadata
  list [NAME]      Show secrets' metadata (never values)            alias: ls
  delete NAME      Delete a secret (asks on a terminal; -y to skip)  aliases: rm, remove
  check NAME...    Fail (exit 1) listing every missing or disabled secret
  import FILE      Create many secrets from an env, json or yaml file, all or nothing

Run "coffer secret <command> --help" for details.
`;

const METADATA_HELP = `  --description TEXT  Free text shown in listings
  --env VAR           Inject the value as environment variable VAR ("coffer run")
  --file PATH         Write the value to PATH ("~/…" or absolute; "coffer materialize")
  --owner USER[:GROUP]  Owner of the written file (needs --file; default: the workspace user)
  --mode MODE         Octal mode of the written file, e.g. 0440 (needs --file; default 0600)
  --default           Deliver to every workspace by default (run/materialize without --no-defaults)
  --enabled[=false]   Whether the secret is delivered at all (default true)
  --disabled          Same as --enabled=false: keep the secret without delivering it`;

const CREATE_HELP = `Usage: coffer secret create NAME [options]

Creates a secret. An enabled secret needs --env or --file.

Options:
${METADATA_HELP}
${STORE_HELP}
  -o, --output FORMAT table (default: a one-line message) or json (the new secret's metadata)

${VALUE_HELP}

Examples:
  printf %s "$GITHUB_TOKEN" | coffer secret create github-token --env GITHUB_TOKEN
  coffer secret create kubeconfig --value-file ~/.kube/config --file ~/.kube/config --mode 0400
  coffer secret create api-key --env API_KEY          # prompts without echo on a terminal
`;

const UPDATE_HELP = `Usage: coffer secret update NAME [options]

Changes only what is given. "" clears --description, --env, --file, --owner and --mode.

Options:
${METADATA_HELP}
  --no-default        Stop delivering it by default
${STORE_HELP}
  -o, --output FORMAT table (default: a one-line message) or json (the secret's metadata)

Which value is used:
  - --value-file, --value or --value-stdin always set the value.
  - With no metadata flag and no value flag, the value is read from stdin (or a hidden
    prompt on a terminal), exactly like "create"; empty stdin is a usage error (exit 2).
  - With metadata flags and stdin not a terminal, stdin is read too: a piped value changes
    the value beside the metadata (like "coder secret update"); empty stdin (e.g. </dev/null)
    keeps the value. --value-stdin=false never reads stdin.

${VALUE_HELP}

Examples:
  printf %s "$NEW_TOKEN" | coffer secret update github-token
  coffer secret update github-token --description "CI token" --env ""
  printf %s "$NEW_TOKEN" | coffer secret update github-token --env GH_TOKEN
`;

const LIST_HELP = `Usage: coffer secret list [NAME] [options]

Shows metadata only, never values. Table columns: NAME, ENV, FILE, ENABLED, DEFAULT, UPDATED.
JSON: an array of objects with the keys id, user, name, description, env_name, file_path,
file_owner, file_mode, enabled, is_default, value_version, created_at, updated_at.

Options:
${STORE_HELP}
  -o, --output FORMAT table (default) or json

Examples:
  coffer secret list
  coffer secret list github-token -o json
`;

const DELETE_HELP = `Usage: coffer secret delete NAME [-y]

Deletes a secret. On a terminal it asks for confirmation; without a terminal -y is required
(otherwise exit 2).

Options:
  -y, --yes           Do not ask
${STORE_HELP}
`;

const CHECK_HELP = `Usage: coffer secret check NAME... [options]

Checks that every named secret exists and is enabled. Exits 1 listing ALL missing and
disabled names in one message, so CI fails fast with the whole list.

Options:
${STORE_HELP}
  -o, --output FORMAT table (default) or json: {"missing":[…],"disabled":[…],"present":[…]}

Example:
  coffer secret check github-token npm-token || exit 1
`;

const IMPORT_HELP = `Usage: coffer secret import FILE [--format env|json|yaml] [options]

Creates one secret per key (name = key, value = value), all or nothing: if any secret
cannot be created (for example its name already exists) none is. Existing secrets are
never overwritten. A key that is a valid, non-reserved environment variable name also
becomes the env name; other keys are imported disabled (no delivery target) with a warning.
FILE "-" reads stdin. The file may be at most 1 MiB (the coder backend also takes at most
50 keys).

Formats (inferred from .env, .json, .yaml/.yml; required for stdin):
  env   KEY=VALUE lines, optional "export ", full-line # comments, no $VAR expansion,
        inline # kept in unquoted values, unquoted values trimmed, '…' literal,
        "…" with \\n \\t \\r \\\\ \\" escapes, no multi-line values
  json  one flat object of string values: {"API_KEY": "…"}
  yaml  one document with a flat mapping of strings (plain, quoted, | and > block scalars);
        no anchors, aliases, merge keys, lists or nested mappings
Duplicate keys and empty values are errors in every format.

Options:
  --format FORMAT     env, json or yaml
${STORE_HELP}
  -o, --output FORMAT table (default: a summary) or json (the created secrets' metadata)

Examples:
  coffer secret import .env
  sops -d secrets.yaml | coffer secret import - --format yaml
`;

const METADATA_OPTIONS = {
  description: { type: 'string' },
  env: { type: 'string' },
  file: { type: 'string' },
  owner: { type: 'string' },
  mode: { type: 'string' },
  default: { type: 'boolean', negatable: true },
  enabled: { type: 'boolean' },
  disabled: { type: 'boolean' },
} as const;

const WRITE_OPTIONS = { ...METADATA_OPTIONS, ...VALUE_OPTIONS, ...STORE_OPTIONS, ...OUTPUT_OPTION } as const;

export async function secretCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'create':
      return createOrUpdate('create', rest, env);
    case 'update':
      return createOrUpdate('update', rest, env);
    case 'list':
    case 'ls':
      return listSecrets(rest, env);
    case 'delete':
    case 'rm':
    case 'remove':
      return deleteSecret(rest, env);
    case 'check':
      return checkSecrets(rest, env);
    case 'import':
      return importSecrets(rest, env);
    case '-h':
    case '--help':
    case 'help':
      out(SECRET_HELP);
      return EXIT.ok;
    case undefined:
      err(SECRET_HELP);
      return EXIT.usage;
    default:
      throw new UsageError(
        unknownCommand('secret', sub, ['create', 'update', 'list', 'delete', 'check', 'import']),
        'secret',
      );
  }
}

function throwIfViolation(violation: RuleViolation | undefined): void {
  if (violation)
    throw new CliError(
      EXIT.invalid,
      violation.message.replace(/^(env_name|file_path|file_owner|file_mode)\b/, (f) => FLAG_FOR_FIELD[f] ?? f),
    );
}

const FLAG_FOR_FIELD: Record<string, string> = {
  env_name: '--env',
  file_path: '--file',
  file_owner: '--owner',
  file_mode: '--mode',
};

type WriteArgs = ParsedArgs<typeof WRITE_OPTIONS>;

function enabledFlag(args: WriteArgs, command: string): boolean | undefined {
  const { enabled, disabled } = args.values;
  if (disabled !== undefined && enabled !== undefined && disabled === enabled) {
    throw new UsageError('--enabled and --disabled contradict each other', command);
  }
  if (disabled !== undefined) return !disabled;
  return enabled;
}

function modeFlag(raw: string | undefined): number | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === '') return null;
  const mode = parseFileMode(raw);
  if (mode === undefined || mode > 0o777)
    throw new CliError(EXIT.invalid, '--mode must be an octal permission mode from 0000 to 0777 (e.g. 0440)');
  return mode;
}

async function createOrUpdate(
  kind: 'create' | 'update',
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const command = `secret ${kind}`;
  const args = parseCommandLine(argv, WRITE_OPTIONS, { command });
  if (args.help) {
    out(kind === 'create' ? CREATE_HELP : UPDATE_HELP);
    return EXIT.ok;
  }
  const [name] = expectPositionals(args.positionals, ['NAME'], command) as [string];
  const v = args.values;
  const user = userOption(v.user, command);
  const format = parseOutputFormat(v.output, command);
  const enabled = enabledFlag(args, command);
  const fileMode = modeFlag(v.mode);
  throwIfViolation(checkName(name));
  if (v.env !== undefined) throwIfViolation(checkEnvName(v.env));
  if (v.file !== undefined) throwIfViolation(checkFilePath(v.file));
  if (v.owner !== undefined) throwIfViolation(checkFileOwner(v.owner));

  const valueFlags = { valueFile: v['value-file'], value: v.value, valueStdin: v['value-stdin'] };
  const metadataGiven = Object.keys(METADATA_OPTIONS).some((k) =>
    args.given.has(k as keyof typeof WRITE_OPTIONS & string),
  );

  return withStore(v.backend, env, async (store) => {
    requireCapabilities(store, {
      ownerOrMode: (v.owner !== undefined && v.owner !== '') || (fileMode !== undefined && fileMode !== null),
      isDefault: v.default === true,
    });
    let result: SecretMetadata;
    if (kind === 'create') {
      const envName = v.env ?? '';
      const filePath = v.file ?? '';
      const isEnabled = enabled ?? true;
      if (checkEnabledHasTarget(isEnabled, envName, filePath)) {
        throw new CliError(
          EXIT.invalid,
          'an enabled secret needs --env or --file (or pass --disabled to keep it without delivering it)',
        );
      }
      const fileProblem = checkFileOptionsHaveFile(filePath, v.owner ?? '', fileMode ?? null);
      if (fileProblem)
        throw new CliError(
          EXIT.invalid,
          `${fileProblem.field === 'file_owner' ? '--owner' : '--mode'} applies only to a secret with --file`,
        );
      const value = (await readValueInput(valueFlags, {
        what: `secret "${name}"`,
        command,
        implicit: true,
      })) as SecretText;
      const input: CreateSecretInput = {
        name,
        value,
        description: v.description ?? '',
        envName,
        filePath,
        enabled: isEnabled,
        ...(v.owner ? { fileOwner: v.owner } : {}),
        ...(fileMode !== undefined && fileMode !== null ? { fileMode } : {}),
        ...(v.default ? { isDefault: true } : {}),
      };
      result = await store.create(user, input);
    } else {
      // Fail on a missing secret before asking for a value.
      await store.get(user, name);
      const value = await readValueInput(valueFlags, {
        what: `secret "${name}"`,
        command,
        implicit: !metadataGiven,
        pipedIfAny: true,
      });
      const canKeepExtras = store.capabilities.fileOwnerAndMode;
      const patch: UpdateSecretInput = {
        ...(value !== undefined ? { value } : {}),
        ...(v.description !== undefined ? { description: v.description } : {}),
        ...(v.env !== undefined ? { envName: v.env } : {}),
        ...(v.file !== undefined ? { filePath: v.file } : {}),
        ...(enabled !== undefined ? { enabled } : {}),
        ...(v.owner !== undefined && canKeepExtras ? { fileOwner: v.owner } : {}),
        ...(fileMode !== undefined && canKeepExtras ? { fileMode } : {}),
        ...(v.default !== undefined && store.capabilities.defaults ? { isDefault: v.default } : {}),
      };
      if (Object.keys(patch).length === 0)
        throw new UsageError('nothing to update: give a value or a metadata flag', command);
      result = await store.update(user, name, patch);
    }
    if (format === 'json') printJson(metadataJson(result));
    else out(`${kind === 'create' ? 'Created' : 'Updated'} secret ${displayText(result.name)}.\n`);
    return EXIT.ok;
  });
}

const LIST_OPTIONS = { ...STORE_OPTIONS, ...OUTPUT_OPTION } as const;

async function listSecrets(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'secret list';
  const args = parseCommandLine(argv, LIST_OPTIONS, { command });
  if (args.help) {
    out(LIST_HELP);
    return EXIT.ok;
  }
  if (args.positionals.length > 1) expectPositionals(args.positionals, ['[NAME]'], command);
  const name = args.positionals[0];
  const user = userOption(args.values.user, command);
  const format = parseOutputFormat(args.values.output, command);
  const secrets = await withStore(args.values.backend, env, async (store) =>
    name === undefined ? store.list(user) : [await store.get(user, name)],
  );
  if (format === 'json') {
    printJson(secrets.map(metadataJson));
    return EXIT.ok;
  }
  if (secrets.length === 0) {
    err('No secrets found.\n');
    return EXIT.ok;
  }
  out(
    renderTable(
      ['NAME', 'ENV', 'FILE', 'ENABLED', 'DEFAULT', 'UPDATED'],
      secrets.map((s) => [
        s.name,
        s.envName || '-',
        s.filePath
          ? `${s.filePath}${s.fileMode !== undefined || s.fileOwner ? ` (${[s.fileOwner, s.fileMode !== undefined ? formatMode(s.fileMode) : ''].filter(Boolean).join(' ')})` : ''}`
          : '-',
        s.enabled ? 'yes' : 'no',
        s.isDefault ? 'yes' : 'no',
        shortTime(s.updatedAt),
      ]),
    ),
  );
  return EXIT.ok;
}

const DELETE_OPTIONS = { yes: { type: 'boolean', short: 'y' }, ...STORE_OPTIONS } as const;

async function deleteSecret(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'secret delete';
  const args = parseCommandLine(argv, DELETE_OPTIONS, { command });
  if (args.help) {
    out(DELETE_HELP);
    return EXIT.ok;
  }
  const [name] = expectPositionals(args.positionals, ['NAME'], command) as [string];
  const user = userOption(args.values.user, command);
  if (!args.values.yes && !stdinIsTTY()) {
    throw new UsageError('refusing to delete without confirmation: stdin is not a terminal, pass -y/--yes', command);
  }
  return withStore(args.values.backend, env, async (store) => {
    const meta = await store.get(user, name);
    if (!args.values.yes) {
      const ok = await confirm(`Delete secret "${meta.name}" of user "${meta.user}"? [y/N] `);
      if (!ok) {
        err('Not deleted.\n');
        return EXIT.failed;
      }
    }
    await store.delete(user, name);
    out(`Deleted secret ${displayText(meta.name)}.\n`);
    return EXIT.ok;
  });
}

const CHECK_OPTIONS = { ...STORE_OPTIONS, ...OUTPUT_OPTION } as const;

async function checkSecrets(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'secret check';
  const args = parseCommandLine(argv, CHECK_OPTIONS, { command });
  if (args.help) {
    out(CHECK_HELP);
    return EXIT.ok;
  }
  if (args.positionals.length === 0) throw new UsageError('missing NAME...', command);
  const user = userOption(args.values.user, command);
  const format = parseOutputFormat(args.values.output, command);
  const names = [...new Set(args.positionals)];
  for (const name of names) throwIfViolation(checkName(name));
  const existing = await withStore(args.values.backend, env, (store) => store.list(user));
  const byName = new Map(existing.map((s) => [s.name, s]));
  const missing = names.filter((n) => !byName.has(n));
  const disabled = names.filter((n) => byName.get(n)?.enabled === false);
  const present = names.filter((n) => byName.get(n)?.enabled === true);
  if (format === 'json') printJson({ missing, disabled, present });
  else if (missing.length === 0 && disabled.length === 0)
    out(`All ${present.length} secret${present.length === 1 ? '' : 's'} present.\n`);
  if (missing.length === 0 && disabled.length === 0) return EXIT.ok;
  const parts = [
    missing.length > 0 ? `missing secrets: ${missing.join(', ')}` : '',
    disabled.length > 0 ? `disabled secrets: ${disabled.join(', ')}` : '',
  ].filter(Boolean);
  throw new CliError(EXIT.failed, parts.join('; '));
}

const IMPORT_OPTIONS = { format: { type: 'string' }, ...STORE_OPTIONS, ...OUTPUT_OPTION } as const;

/** Coder refuses more than this many keys per import; other backends have no such cap. */
const IMPORT_KEY_LIMITS: Readonly<Record<string, number>> = { coder: 50 };

async function importSecrets(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'secret import';
  const args = parseCommandLine(argv, IMPORT_OPTIONS, { command });
  if (args.help) {
    out(IMPORT_HELP);
    return EXIT.ok;
  }
  const [file] = expectPositionals(args.positionals, ['FILE'], command) as [string];
  const user = userOption(args.values.user, command);
  const output = parseOutputFormat(args.values.output, command);
  let format: ImportFormat | undefined;
  if (args.values.format !== undefined) {
    if (!(IMPORT_FORMATS as readonly string[]).includes(args.values.format)) {
      throw new UsageError(`--format takes ${IMPORT_FORMATS.join(', ')}`, command);
    }
    format = args.values.format as ImportFormat;
  } else if (file === '-') throw new UsageError('--format is required when reading stdin', command);
  else {
    format = formatFromFileName(file);
    if (format === undefined)
      throw new UsageError('cannot tell the format from the file name: pass --format env|json|yaml', command);
  }

  const progress = new Progress();
  progress.step('reading…', 0);
  let bytes: Buffer;
  if (file === '-') {
    if (stdinIsTTY()) throw new UsageError('FILE "-" reads stdin, but stdin is a terminal: pipe the file in', command);
    bytes = await readStdin(MAX_IMPORT_FILE_BYTES, 'the import file');
  } else {
    bytes = readImportFile(file, command);
  }
  progress.step('validating…', 0.2);
  const entries = (() => {
    try {
      return parseSecretsFile(format, decodeUtf8(bytes, 'the import file'));
    } catch (error) {
      progress.clear();
      throw error;
    }
  })();
  if (entries.length === 0) {
    progress.clear();
    throw new CliError(EXIT.invalid, 'the import file holds no secrets');
  }
  const inputs: CreateSecretInput[] = entries.map((entry) => {
    const envName = checkEnvName(entry.key) === undefined ? entry.key : '';
    return { name: entry.key, value: new SecretText(entry.value), envName, enabled: envName !== '' };
  });

  const created = await withStore(args.values.backend, env, async (store) => {
    const limit = IMPORT_KEY_LIMITS[store.kind];
    if (limit !== undefined && inputs.length > limit) {
      progress.clear();
      throw new CliError(
        EXIT.invalid,
        `the ${store.kind} backend imports at most ${limit} keys at once; the file has ${inputs.length}`,
      );
    }
    progress.step(`importing ${inputs.length} secret${inputs.length === 1 ? '' : 's'}…`, 0.5);
    try {
      return await store.importBatch(user, inputs);
    } catch (error) {
      progress.clear();
      throw error;
    }
  });
  progress.done(`importing ${created.length} secret${created.length === 1 ? '' : 's'}… done`);
  const withoutEnv = inputs.filter((i) => i.envName === '').map((i) => i.name);
  if (withoutEnv.length > 0) {
    warn(
      `imported without an env name, so disabled (not a valid or allowed environment variable name): ${withoutEnv.join(', ')}`,
    );
  }
  if (output === 'json') printJson(created.map(metadataJson));
  else out(`Imported ${created.length} secret${created.length === 1 ? '' : 's'}.\n`);
  return EXIT.ok;
}

/** A regular file of at most 1 MiB (`/dev/zero`, a FIFO or a directory is refused, never read). */
function readImportFile(file: string, command: string): Buffer {
  return readUserFile(file, MAX_IMPORT_FILE_BYTES, `the import file ${file}`, command);
}
