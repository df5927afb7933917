/**
 * `coffer materialize`: writes file-targeted secrets into the workspace, each atomically (a temp
 * file in the same directory, fsync, rename), mode 0600 unless the secret carries its own mode,
 * directories created 0700.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SecretMetadata } from '../../client/secret-store';
import type { SecretText } from '../../client/secret-text';
import { OUTPUT_OPTION, parseCommandLine, parseOutputFormat } from '../args';
import { formatMode, STORE_HELP, STORE_OPTIONS, userOption, withStore } from '../common';
import { CliError, EXIT } from '../errors';
import { err, out, printJson, renderTable } from '../io';
import { checkTarget, resolveRoot, writeSafely, type Ownership } from '../safe-write';
import { checkDeliverableValue, selectForDelivery } from '../selection';

const MATERIALIZE_HELP = `Usage: coffer materialize [options]

Writes secrets that have a file path: every enabled default secret with a file (unless
--no-defaults) and every --secret NAME (which must exist, be enabled and have a file path).

Each file is replaced atomically (written to a temporary file in the same directory, synced,
then renamed over the target), so readers see the old or the new value, never a mix. Files get
mode 0600 unless the secret has its own --mode; directories that have to be created get 0700.
A secret with --owner is chowned when coffer runs as root; otherwise the owner must be the
current user (else coffer fails instead of writing a file with the wrong owner).

Values are read at the time of the call: a rotated value reaches a workspace at its next
"materialize" (or "run" for environment variables).

Options:
  --secret NAME       Also write NAME (repeatable)
  --no-defaults       Do not write the default secrets
  --home DIR          What "~/" expands to (default $HOME)
  --root DIR          Place every resulting absolute path under DIR (image builds, tests);
                      "~/" is expanded first, so --root /img --home /home/dev writes
                      ~/.npmrc to /img/home/dev/.npmrc
${STORE_HELP}
  -o, --output FORMAT table (default) or json: [{"secret","path","mode","owner"}]

Examples:
  coffer materialize
  coffer materialize --no-defaults --secret kubeconfig
  coffer materialize --root ./rootfs --home /home/coder --user coder
`;

const MATERIALIZE_OPTIONS = {
  secret: { type: 'list' },
  defaults: { type: 'boolean', negatable: true },
  home: { type: 'string' },
  root: { type: 'string' },
  ...STORE_OPTIONS,
  ...OUTPUT_OPTION,
} as const;

export interface WrittenFile {
  readonly secret: string;
  readonly path: string;
  readonly mode: string;
  readonly owner: string;
}

export async function materializeCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = 'materialize';
  const args = parseCommandLine(argv, MATERIALIZE_OPTIONS, { command });
  if (args.help) {
    out(MATERIALIZE_HELP);
    return EXIT.ok;
  }
  if (args.positionals.length > 0) throw new CliError(EXIT.usage, 'materialize takes no arguments (use --secret NAME)');
  const v = args.values;
  const user = userOption(v.user, command);
  const format = parseOutputFormat(v.output, command);
  const home = path.resolve(v.home ?? (env.HOME !== undefined && env.HOME !== '' ? env.HOME : os.homedir()));
  const root = v.root !== undefined ? resolveRoot(v.root) : undefined;

  const written = await withStore(v.backend, env, async (store) => {
    const chosen = selectForDelivery(await store.list(user), {
      named: v.secret ?? [],
      defaults: v.defaults !== false,
      target: 'file',
    });
    // Resolve every target and owner first, so a bad one fails before anything is written.
    const plans = chosen.map((secret) => ({
      secret,
      where: { target: targetPath(secret.filePath, home, root), root },
      owner: resolveOwner(secret),
    }));
    // No link, FIFO or device on any target's way, before anything is read or written.
    for (const plan of plans) checkTarget(plan.where, plan.secret.name);
    // Read every value before writing any file, so a failed read leaves the workspace untouched.
    const values: SecretText[] = [];
    for (const plan of plans) {
      const value = await store.readValue(user, plan.secret.name);
      checkDeliverableValue(plan.secret.name, value);
      values.push(value);
    }
    const done: WrittenFile[] = [];
    plans.forEach((plan, i) => {
      const mode = plan.secret.fileMode ?? 0o600;
      writeSafely(plan.where, Buffer.from((values[i] as SecretText).reveal(), 'utf8'), mode, plan.owner, plan.secret.name);
      done.push({
        secret: plan.secret.name,
        path: plan.where.target,
        mode: formatMode(mode),
        owner: plan.secret.fileOwner ?? '',
      });
    });
    return done;
  });

  if (format === 'json') printJson(written);
  else if (written.length === 0) err('No file secrets to write.\n');
  else
    out(
      renderTable(
        ['SECRET', 'PATH', 'MODE', 'OWNER'],
        written.map((w) => [w.secret, w.path, w.mode, w.owner || '-']),
      ),
    );
  return EXIT.ok;
}

/** `~/x` → `<home>/x`; then, with a root, the absolute path is placed under it. */
export function targetPath(filePath: string, home: string, root: string | undefined): string {
  const expanded = filePath.startsWith('~/') ? path.join(home, filePath.slice(2)) : filePath;
  const absolute = path.resolve(expanded);
  if (root === undefined) return absolute;
  // `absolute` is normalised (no ".."), so joining cannot leave the root.
  return path.join(root, absolute);
}

/** The uid/gid to give the file, or undefined to keep the writer's. Fails plainly when that is impossible. */
function resolveOwner(secret: SecretMetadata): Ownership | undefined {
  if (!secret.fileOwner) return undefined;
  const [userPart, groupPart] = secret.fileOwner.split(':') as [string, string | undefined];
  let uid: number;
  let gid: number | undefined;
  if (/^\d+$/.test(userPart)) uid = Number(userPart);
  else {
    const entry = lookup('passwd', userPart);
    if (entry === undefined)
      throw new CliError(
        EXIT.failed,
        `secret "${secret.name}": file owner "${userPart}" is not a user on this machine`,
      );
    uid = Number(entry[2]);
    gid = Number(entry[3]);
  }
  if (groupPart !== undefined) {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const entry = lookup('group', groupPart);
      if (entry === undefined)
        throw new CliError(
          EXIT.failed,
          `secret "${secret.name}": file group "${groupPart}" is not a group on this machine`,
        );
      gid = Number(entry[2]);
    }
  }
  const myUid = process.getuid?.();
  if (myUid === undefined || myUid === 0) return { uid, gid };
  const myGroups = new Set([process.getegid?.(), ...(process.getgroups?.() ?? [])]);
  if (uid !== myUid || (groupPart !== undefined && gid !== undefined && !myGroups.has(gid))) {
    throw new CliError(
      EXIT.failed,
      `secret "${secret.name}" wants its file owned by ${secret.fileOwner}, but coffer runs as uid ${myUid} and only root can give a file away: run "coffer materialize" as root (or as that user)`,
    );
  }
  // A non-root user may only change the group, and only to one of its own.
  return groupPart !== undefined ? { uid: myUid, gid } : undefined;
}

/** A passwd/group entry by name: the local file first, then getent (NSS, LDAP…). */
function lookup(database: 'passwd' | 'group', name: string): string[] | undefined {
  try {
    const line = fs
      .readFileSync(`/etc/${database}`, 'utf8')
      .split('\n')
      .find((l) => l.split(':')[0] === name);
    if (line !== undefined) return line.split(':');
  } catch {
    // no such file: ask getent
  }
  try {
    const line = execFileSync('getent', [database, name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\n')[0];
    return line ? line.split(':') : undefined;
  } catch {
    return undefined;
  }
}
