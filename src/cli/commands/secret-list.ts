/** `coffer secret list [NAME] [-c COLUMNS] [-o table|json]`: metadata only, never values. */
import type { SecretMetadata } from '../../client/secret-store';
import { expectPositionals, OUTPUT_OPTION, parseCommandLine, parseOutputFormat } from '../args';
import { formatMode, metadataJson, shortTime, STORE_HELP, STORE_OPTIONS, userOption, withStore } from '../common';
import { EXIT, UsageError } from '../errors';
import { err, out, printJson, renderTable } from '../io';

/** Every column `-c` takes: its header and cell. JSON keys are the same names (metadataJson). */
const COLUMNS: Readonly<Record<string, { readonly header: string; readonly cell: (s: SecretMetadata) => string }>> = {
  name: { header: 'NAME', cell: (s) => s.name },
  env: { header: 'ENV', cell: (s) => s.envName || '-' },
  file: {
    header: 'FILE',
    cell: (s) =>
      s.filePath
        ? `${s.filePath}${s.fileMode !== undefined || s.fileOwner ? ` (${[s.fileOwner, s.fileMode !== undefined ? formatMode(s.fileMode) : ''].filter(Boolean).join(' ')})` : ''}`
        : '-',
  },
  enabled: { header: 'ENABLED', cell: (s) => (s.enabled ? 'yes' : 'no') },
  default: { header: 'DEFAULT', cell: (s) => (s.isDefault ? 'yes' : 'no') },
  updated: { header: 'UPDATED', cell: (s) => shortTime(s.updatedAt) },
  created: { header: 'CREATED', cell: (s) => shortTime(s.createdAt) },
  description: { header: 'DESCRIPTION', cell: (s) => s.description || '-' },
  user: { header: 'USER', cell: (s) => s.user },
  id: { header: 'ID', cell: (s) => s.id },
  version: { header: 'VERSION', cell: (s) => (s.valueVersion === undefined ? '-' : String(s.valueVersion)) },
};
const DEFAULT_COLUMNS = ['name', 'env', 'file', 'enabled', 'default', 'updated'];
/** `-c` name → metadataJson key, for `-o json -c …`. */
const JSON_KEYS: Readonly<Record<string, readonly string[]>> = {
  name: ['name'],
  env: ['env_name'],
  file: ['file_path', 'file_owner', 'file_mode'],
  enabled: ['enabled'],
  default: ['is_default'],
  updated: ['updated_at'],
  created: ['created_at'],
  description: ['description'],
  user: ['user'],
  id: ['id'],
  version: ['value_version'],
};

export const LIST_HELP = `Usage: coffer secret list [NAME] [options]

Shows metadata only, never values. Table columns: NAME, ENV, FILE, ENABLED, DEFAULT, UPDATED.
JSON: an array of objects with the keys id, user, name, description, env_name, file_path,
file_owner, file_mode, enabled, is_default, value_version, created_at, updated_at.

Options:
  -c, --column COLS   Columns to show, comma-separated or repeated (with -o json: the keys):
                      ${Object.keys(COLUMNS).join(', ')}
${STORE_HELP}
  -o, --output FORMAT table (default) or json

Examples:
  coffer secret list
  coffer secret list -c name,env,description
  coffer secret list github-token -o json
`;

const LIST_OPTIONS = { column: { type: 'list', short: 'c' }, ...STORE_OPTIONS, ...OUTPUT_OPTION } as const;

function parseColumns(raw: readonly string[] | undefined, command: string): string[] {
  if (raw === undefined) return DEFAULT_COLUMNS;
  const columns = raw.flatMap((r) => r.split(',')).map((c) => c.trim().toLowerCase());
  const unknown = columns.filter((c) => COLUMNS[c] === undefined);
  if (unknown.length > 0 || columns.length === 0) {
    throw new UsageError(`-c/--column takes ${Object.keys(COLUMNS).join(', ')}`, command);
  }
  return [...new Set(columns)];
}

export async function listSecrets(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
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
  const columns = parseColumns(args.values.column, command);
  const secrets = await withStore(args.values.backend, env, async (store) =>
    name === undefined ? store.list(user) : [await store.get(user, name)],
  );
  if (format === 'json') {
    const keys = args.values.column === undefined ? undefined : new Set(columns.flatMap((c) => JSON_KEYS[c] ?? []));
    printJson(
      secrets.map((s) => {
        const all = metadataJson(s);
        return keys === undefined ? all : Object.fromEntries(Object.entries(all).filter(([k]) => keys.has(k)));
      }),
    );
    return EXIT.ok;
  }
  if (secrets.length === 0) {
    err('No secrets found.\n');
    return EXIT.ok;
  }
  out(
    renderTable(
      columns.map((c) => (COLUMNS[c] as { header: string }).header),
      secrets.map((s) => columns.map((c) => (COLUMNS[c] as { cell: (m: SecretMetadata) => string }).cell(s))),
    ),
  );
  return EXIT.ok;
}
