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
  metadataJson,
  requireCapabilities,
  STORE_HELP,
  STORE_OPTIONS,
  userOption,
  withStore,
} from '../common';
import { CliError, EXIT, UsageError } from '../errors';
import { importSecrets } from './secret-import';
import { listSecrets } from './secret-list';
import {
  unknownCommand,
  confirm,
  displayText,
  err,
  out,
  printJson,
  stdinIsTTY,
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

const DELETE_HELP = `Usage: coffer secret delete NAME [-y] [-o table|json]

Deletes a secret. On a terminal it asks for confirmation; without a terminal -y is required
(otherwise exit 2).

Options:
  -y, --yes           Do not ask
${STORE_HELP}
  -o, --output FORMAT table (default: a message) or json: {"deleted": metadata}
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

  // Every input is checked (and a new secret's value read) before the store is opened: bad input
  // writes nothing, not even an empty Coffer home.
  let createValue: SecretText | undefined;
  const envName = v.env ?? '';
  const filePath = v.file ?? '';
  const isEnabled = enabled ?? true;
  if (kind === 'create') {
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
    createValue = (await readValueInput(valueFlags, {
      what: `secret "${name}"`,
      command,
      implicit: true,
    })) as SecretText;
  }

  return withStore(v.backend, env, async (store) => {
    requireCapabilities(store, {
      ownerOrMode: (v.owner !== undefined && v.owner !== '') || (fileMode !== undefined && fileMode !== null),
      isDefault: v.default === true,
    });
    let result: SecretMetadata;
    if (kind === 'create') {
      const value = createValue as SecretText;
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

const DELETE_OPTIONS = { yes: { type: 'boolean', short: 'y' }, ...STORE_OPTIONS, ...OUTPUT_OPTION } as const;

async function deleteSecret(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'secret delete';
  const args = parseCommandLine(argv, DELETE_OPTIONS, { command });
  if (args.help) {
    out(DELETE_HELP);
    return EXIT.ok;
  }
  const [name] = expectPositionals(args.positionals, ['NAME'], command) as [string];
  const user = userOption(args.values.user, command);
  throwIfViolation(checkName(name));
  const format = parseOutputFormat(args.values.output, command);
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
    if (format === 'json') printJson({ deleted: metadataJson(meta) });
    else out(`Deleted secret ${displayText(meta.name)}.\n`);
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
