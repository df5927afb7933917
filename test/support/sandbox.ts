/**
 * A throwaway user environment (HOME, XDG dirs, COFFER_HOME) and a snapshot of every file in
 * it, so a test can prove that a rejected command wrote nothing.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export class Sandbox {
  readonly root: string;
  readonly home: string;
  readonly cofferHome: string;

  constructor(prefix = 'coffer-sandbox-') {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.home = path.join(this.root, 'home');
    this.cofferHome = path.join(this.root, 'coffer-home');
    fs.mkdirSync(this.home);
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: this.home,
      USER: 'alice',
      LOGNAME: 'alice',
      TMPDIR: process.env.TMPDIR ?? os.tmpdir(),
      XDG_CONFIG_HOME: path.join(this.home, '.config'),
      XDG_DATA_HOME: path.join(this.home, '.local/share'),
      COFFER_HOME: this.cofferHome,
      COFFER_USER: 'alice',
      ...extra,
    };
  }

  /** Every file and directory under the sandbox, with content hashes (see snapshotTree). */
  snapshot(): Map<string, string> {
    return snapshotTree(this.root);
  }

  cleanup(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** path (relative to root) → sha256 of content and mode, for every file, link and directory under root. */
export function snapshotTree(root: string): Map<string, string> {
  const seen = new Map<string, string>();
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      if (entry.isDirectory()) {
        seen.set(`${rel}/`, 'dir');
        walk(full);
      } else {
        const stat = fs.lstatSync(full);
        const content = entry.isFile() ? fs.readFileSync(full) : Buffer.from(fs.readlinkSync(full));
        seen.set(rel, `${createHash('sha256').update(content).digest('hex')} ${stat.mode.toString(8)}`);
      }
    }
  };
  walk(root);
  return seen;
}

/** What changed between two snapshots: added, removed and modified paths. */
export function snapshotChanges(
  before: Map<string, string>,
  after: Map<string, string>,
  ignore: (p: string) => boolean = () => false,
): string[] {
  const changes: string[] = [];
  for (const [p, v] of after)
    if (!ignore(p) && before.get(p) !== v) changes.push(before.has(p) ? `modified ${p}` : `added ${p}`);
  for (const p of before.keys()) if (!ignore(p) && !after.has(p)) changes.push(`removed ${p}`);
  return changes;
}
