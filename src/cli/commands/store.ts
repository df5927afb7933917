/** `coffer store verify|backup|recover`: check, copy and restore the embedded store. */
import * as path from 'node:path';
import {
  backupStore,
  recoverStore,
  resolveCofferHome,
  storeLayout,
  verifyStoreDir,
  type StoreReport,
} from '../../client/backends/local';
import { expectPositionals, OUTPUT_OPTION, parseCommandLine, parseOutputFormat, type OutputFormat } from '../args';
import { EXIT, UsageError } from '../errors';
import { err, out, printJson, unknownCommand } from '../io';

export const STORE_HELP = `Usage: coffer store <command> [options]

The embedded encrypted store (COFFER_HOME, default \${XDG_DATA_HOME:-~/.local/share}/coffer).
Every read and write checks the store against its manifest; when a file is missing, damaged or
rolled back, commands fail naming the file and nothing is written. These commands repair that.

Commands:
  verify                       Check every file and that the key opens every value (writes nothing)
  backup DIR                   Copy the committed store (key included) to a new directory, verified
  recover --from-backup DIR    Replace the store with a verified backup; the current files are
                               moved to COFFER_HOME/store-damaged-<time>, never deleted

Options:
  --home DIR            Coffer home (default: COFFER_HOME, else \${XDG_DATA_HOME:-~/.local/share}/coffer)
  --from-backup DIR     (recover) A directory made by "coffer store backup", or a copy of COFFER_HOME/store
  --force               (recover) Replace a store that verifies as intact
  -o, --output FORMAT   table (default) or json

Exit codes: 0 the store (or backup) verifies; 1 it is damaged or the command failed; 2 usage;
4 recover refused to replace an intact store without --force, or backup DIR is not empty.
A backup holds the key: keep it as private as the store (it is written with mode 0700/0600).
`;

const OPTIONS = { home: { type: 'string' }, ...OUTPUT_OPTION } as const;

export async function storeCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'verify':
      return verify(rest, env);
    case 'backup':
      return backup(rest, env);
    case 'recover':
      return recover(rest, env);
    case '-h':
    case '--help':
    case 'help':
      out(STORE_HELP);
      return EXIT.ok;
    case undefined:
      err(STORE_HELP);
      return EXIT.usage;
    default:
      throw new UsageError(unknownCommand('store', sub, ['verify', 'backup', 'recover']), 'store');
  }
}

function homeOf(raw: string | undefined, env: NodeJS.ProcessEnv): string {
  return raw !== undefined && raw !== '' ? path.resolve(raw) : resolveCofferHome(env);
}

async function verify(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'store verify';
  const args = parseCommandLine(argv, OPTIONS, { command });
  if (args.help) return (out(STORE_HELP), EXIT.ok);
  expectPositionals(args.positionals, [], command);
  const format = parseOutputFormat(args.values.output, command);
  const report = verifyStoreDir(storeLayout(homeOf(args.values.home, env)).dir);
  printReport(report, format, 'verify');
  return report.ok ? EXIT.ok : EXIT.failed;
}

async function backup(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'store backup';
  const args = parseCommandLine(argv, OPTIONS, { command });
  if (args.help) return (out(STORE_HELP), EXIT.ok);
  const [dest] = expectPositionals(args.positionals, ['DIR'], command) as [string];
  const format = parseOutputFormat(args.values.output, command);
  const report = await backupStore(homeOf(args.values.home, env), path.resolve(dest));
  printReport(report, format, 'backup');
  return EXIT.ok;
}

async function recover(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'store recover';
  const args = parseCommandLine(
    argv,
    { ...OPTIONS, 'from-backup': { type: 'string' }, force: { type: 'boolean' } },
    { command },
  );
  if (args.help) return (out(STORE_HELP), EXIT.ok);
  expectPositionals(args.positionals, [], command);
  const from = args.values['from-backup'];
  if (from === undefined || from === '') throw new UsageError('option --from-backup DIR is required', command);
  const format = parseOutputFormat(args.values.output, command);
  const result = await recoverStore(homeOf(args.values.home, env), path.resolve(from), {
    force: args.values.force === true,
  });
  if (format === 'json') {
    printJson({ ...reportJson(result.report), restored_from: path.resolve(from), damaged_files_moved_to: result.movedTo ?? null });
  } else {
    out(`Restored ${result.report.secrets} secrets from ${path.resolve(from)} into ${result.report.dir}.\n`);
    if (result.movedTo !== undefined) out(`The files the store held before are kept in ${result.movedTo}.\n`);
  }
  return EXIT.ok;
}

function reportJson(report: StoreReport): Record<string, unknown> {
  return {
    dir: report.dir,
    ok: report.ok,
    kind: report.kind,
    generation: report.generation,
    secrets: report.secrets,
    problems: report.problems,
  };
}

function printReport(report: StoreReport, format: OutputFormat, what: 'verify' | 'backup'): void {
  if (format === 'json') return printJson(reportJson(report));
  if (report.ok) {
    const kind = report.kind === 'format-1' ? ' (format 1: gets a manifest at the next write)' : '';
    const verb = what === 'backup' ? 'Backed up and verified' : 'OK:';
    out(`${verb} ${report.dir}: ${report.secrets} secrets, generation ${report.generation}${kind}.\n`);
    return;
  }
  out(`DAMAGED: ${report.dir}\n`);
  for (const problem of report.problems) out(`  - ${problem}\n`);
  out('Restore a backup with "coffer store recover --from-backup DIR".\n');
}
