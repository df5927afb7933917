/**
 * `coffer secret import FILE`: one secret per key of an env/json/yaml file. New secrets are
 * created all or nothing; `--upsert` also changes the value of existing ones (one by one, with
 * a count, naming what was and was not changed on failure); `--dry-run` shows the plan and writes
 * nothing.
 */
import { checkEnvName } from '../../client/rules';
import type { CreateSecretInput, SecretMetadata, SecretStore } from '../../client/secret-store';
import { SecretText } from '../../client/secret-text';
import { expectPositionals, OUTPUT_OPTION, parseCommandLine, parseOutputFormat } from '../args';
import { metadataJson, STORE_HELP, STORE_OPTIONS, userOption, withStore } from '../common';
import { CliError, EXIT, UsageError } from '../errors';
import {
  formatFromFileName,
  IMPORT_FORMATS,
  MAX_IMPORT_FILE_BYTES,
  parseSecretsFile,
  type ImportFormat,
} from '../import-parsers';
import {
  decodeUtf8,
  displayText,
  out,
  printJson,
  Progress,
  readStdin,
  readUserFile,
  renderTable,
  stdinIsTTY,
  warn,
} from '../io';

export const IMPORT_HELP = `Usage: coffer secret import FILE [--format env|json|yaml] [options]

Creates one secret per key (name = key, value = value), all or nothing: if any secret
cannot be created (for example its name already exists) none is. Existing secrets are
never overwritten unless --upsert is given. A key that is a valid, non-reserved environment
variable name also becomes the env name; other keys are imported disabled (no delivery
target) with a warning. FILE "-" reads stdin. The file may be at most 1 MiB (the coder
backend also takes at most 50 keys).

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
  --upsert            Keys that already exist get the file's value (their other fields stay);
                      new keys are still created all or nothing, first; then existing ones are
                      updated one by one (a failure names which were and were not updated)
  --dry-run           Parse and check everything, show what would be created or updated
                      (names only), write nothing
${STORE_HELP}
  -o, --output FORMAT table (default: a summary) or json (the created/updated secrets' metadata;
                      with --dry-run: {"create":[names],"update":[names],"conflict":[names]})

Examples:
  coffer secret import .env
  coffer secret import .env --upsert --dry-run
  sops -d secrets.yaml | coffer secret import - --format yaml
`;

const IMPORT_OPTIONS = {
  format: { type: 'string' },
  upsert: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  ...STORE_OPTIONS,
  ...OUTPUT_OPTION,
} as const;

/** Coder refuses more than this many keys per import; other backends have no such cap. */
const IMPORT_KEY_LIMITS: Readonly<Record<string, number>> = { coder: 50 };

const plural = (n: number): string => `${n} secret${n === 1 ? '' : 's'}`;

export async function importSecrets(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'secret import';
  const args = parseCommandLine(argv, IMPORT_OPTIONS, { command });
  if (args.help) {
    out(IMPORT_HELP);
    return EXIT.ok;
  }
  const [file] = expectPositionals(args.positionals, ['FILE'], command) as [string];
  const user = userOption(args.values.user, command);
  const output = parseOutputFormat(args.values.output, command);
  const upsert = args.values.upsert === true;
  const dryRun = args.values['dry-run'] === true;
  const format = importFormat(file, args.values.format, command);

  const progress = new Progress();
  progress.step('reading…', 0);
  let bytes: Buffer;
  if (file === '-') {
    if (stdinIsTTY()) throw new UsageError('FILE "-" reads stdin, but stdin is a terminal: pipe the file in', command);
    bytes = await readStdin(MAX_IMPORT_FILE_BYTES, 'the import file');
  } else {
    bytes = readUserFile(file, MAX_IMPORT_FILE_BYTES, `the import file ${file}`, command);
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

  const result = await withStore(args.values.backend, env, async (store) => {
    try {
      // Without --upsert or --dry-run the store's batch decides (all or nothing, conflicts named by it).
      const existing =
        upsert || dryRun ? new Set((await store.list(user)).map((s) => s.name)) : new Set<string>();
      const toCreate = inputs.filter((i) => !existing.has(i.name));
      const toUpdate = inputs.filter((i) => existing.has(i.name));
      const limit = IMPORT_KEY_LIMITS[store.kind];
      if (limit !== undefined && toCreate.length > limit) {
        throw new CliError(
          EXIT.invalid,
          `the ${store.kind} backend imports at most ${limit} keys at once; the file has ${toCreate.length} new ones`,
        );
      }
      if (dryRun) return { dryRun: true as const, toCreate, toUpdate };
      return { dryRun: false as const, ...(await write(store, user, toCreate, toUpdate, progress)) };
    } catch (error) {
      progress.clear();
      throw error;
    }
  });

  if (result.dryRun) {
    progress.clear();
    return reportDryRun(result.toCreate, result.toUpdate, upsert, output);
  }
  progress.done(`importing ${plural(result.created.length + result.updated.length)}… done`);
  const withoutEnv = result.createdInputs.filter((i) => i.envName === '').map((i) => i.name);
  if (withoutEnv.length > 0) {
    warn(
      `imported without an env name, so disabled (not a valid or allowed environment variable name): ${withoutEnv.join(', ')}`,
    );
  }
  if (output === 'json') printJson([...result.created, ...result.updated].map(metadataJson));
  else {
    out(`Imported ${plural(result.created.length)}.\n`);
    if (upsert) out(`Updated ${plural(result.updated.length)}.\n`);
  }
  return EXIT.ok;
}

function importFormat(file: string, raw: string | undefined, command: string): ImportFormat {
  if (raw !== undefined) {
    if (!(IMPORT_FORMATS as readonly string[]).includes(raw)) {
      throw new UsageError(`--format takes ${IMPORT_FORMATS.join(', ')}`, command);
    }
    return raw as ImportFormat;
  }
  if (file === '-') throw new UsageError('--format is required when reading stdin', command);
  const inferred = formatFromFileName(file);
  if (inferred === undefined)
    throw new UsageError('cannot tell the format from the file name: pass --format env|json|yaml', command);
  return inferred;
}

async function write(
  store: SecretStore,
  user: string,
  toCreate: readonly CreateSecretInput[],
  toUpdate: readonly CreateSecretInput[],
  progress: Progress,
): Promise<{ created: SecretMetadata[]; updated: SecretMetadata[]; createdInputs: readonly CreateSecretInput[] }> {
  const total = toCreate.length + toUpdate.length;
  progress.step(`importing ${plural(toCreate.length)}${toUpdate.length > 0 ? ` (then updating ${toUpdate.length})` : ''}…`, 0.3);
  const created = toCreate.length > 0 ? await store.importBatch(user, toCreate) : [];
  const updated: SecretMetadata[] = [];
  for (const [index, input] of toUpdate.entries()) {
    progress.step(`updating ${created.length + index + 1}/${total}: ${input.name}`, 0.3 + (0.7 * (index + 1)) / toUpdate.length);
    try {
      updated.push(await store.update(user, input.name, { value: input.value }));
    } catch (error) {
      const done = [...created, ...updated].map((m) => m.name);
      const left = toUpdate.slice(index).map((i) => i.name);
      warn(
        `import stopped at ${displayText(input.name)}: ${done.length > 0 ? `written: ${done.join(', ')}; ` : ''}not updated: ${left.join(', ')}`,
      );
      throw error;
    }
  }
  return { created, updated, createdInputs: toCreate };
}

function reportDryRun(
  toCreate: readonly CreateSecretInput[],
  toUpdate: readonly CreateSecretInput[],
  upsert: boolean,
  output: 'table' | 'json',
): number {
  const create = toCreate.map((i) => i.name);
  const existing = toUpdate.map((i) => i.name);
  if (output === 'json') {
    printJson({ create, update: upsert ? existing : [], conflict: upsert ? [] : existing });
  } else {
    const rows = [
      ...toCreate.map((i) => [i.name, 'create', i.envName || '- (disabled)']),
      ...toUpdate.map((i) => [i.name, upsert ? 'update value' : 'conflict: exists (use --upsert)', '']),
    ];
    out(renderTable(['NAME', 'ACTION', 'ENV'], rows));
    out(`Dry run: nothing written (${plural(create.length)} to create, ${plural(upsert ? existing.length : 0)} to update).\n`);
  }
  return !upsert && existing.length > 0 ? EXIT.conflict : EXIT.ok;
}
