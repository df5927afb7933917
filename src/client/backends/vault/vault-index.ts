/**
 * FORMER FORMAT, read only to migrate it (vault-claims.ts `migrateIndex`); Coffer writes per-key
 * claims now. What follows describes how older versions used it.
 *
 * The per-user uniqueness index: `<mount>/data/<prefix>/<user>/.coffer/index`.
 *
 * env_name and file_path must be unique per user, but KV v2 has no multi-key transaction, so
 * "list everybody's targets, then write mine" alone would let two writers claim the same target.
 * Every change of a target therefore first claims it in this one document with check-and-set:
 * of two concurrent claims only one CAS write succeeds, the other re-reads and sees the claim.
 *
 * Each entry is a conservative superset of the targets the secret uses:
 *
 * - a create claims exactly its targets before writing the secret;
 * - an update that moves a target claims old ∪ new before the secret write, and narrows the entry
 *   to the new targets afterwards (only if the entry still carries its own claim token `tok`,
 *   so a late confirmation never undoes a later claim); a failed write restores the previous
 *   entry under the same condition;
 * - a delete removes the entry after deleting the secret (again guarded by `tok`).
 *
 * A crash between the claim and the secret write leaves an entry that claims too much (never too
 * little). Such entries heal: an entry whose claim is older than `claimGraceMs` (2 minutes) is not
 * trusted when it conflicts with a new claim — the secret's real targets are read from its
 * metadata and the entry is corrected (or dropped when the secret is gone) in the same CAS write.
 * The remaining window: a writer that stalls for longer than the grace period between its claim and
 * its secret write can race a writer that healed its claim away. Requests time out far sooner
 * (30 s per attempt, retries within 30 s), so this takes a paused process.
 *
 * When the index is missing (first use, or deleted by hand) it is rebuilt from the secrets'
 * metadata, also with CAS. Names themselves need no index: `cas=0` on the secret's data write is
 * an atomic "create if absent".
 */

export const INDEX_SCHEMA = 2;
/**
 * The entries travel as JSON text cut into strings of at most this many characters: Vault and
 * OpenBao refuse request bodies with "too many strings" (OpenBao: about 1,000 per request), so a
 * document with a key per secret would stop working at a few hundred secrets.
 */
export const INDEX_CHUNK_CHARS = 256 * 1024;

export interface IndexEntry {
  /** env names this secret uses or is about to use (normally 0 or 1). */
  readonly env: readonly string[];
  readonly file: readonly string[];
  /** Epoch ms of the last claim; 0 for entries rebuilt from metadata. */
  readonly at: number;
  /** Random token of the last claim. */
  readonly tok: string;
}

export type IndexEntries = Map<string, IndexEntry>;

export interface IndexDocument {
  readonly coffer_index: number;
  readonly write_id: string;
  /** JSON of `[name, env[], file[], at, tok][]`, split into chunks. */
  readonly entries: string[];
}

type EncodedEntry = [string, string[], string[], number, string];

export function encodeIndex(entries: IndexEntries, writeId: string): IndexDocument {
  const rows: EncodedEntry[] = [...entries]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([name, e]) => [name, [...e.env], [...e.file], e.at, e.tok]);
  const json = JSON.stringify(rows);
  const chunks: string[] = [];
  for (let i = 0; i < json.length; i += INDEX_CHUNK_CHARS) chunks.push(json.slice(i, i + INDEX_CHUNK_CHARS));
  return { coffer_index: INDEX_SCHEMA, write_id: writeId, entries: chunks };
}

/** Undefined when the document is not a Coffer index of this schema (then it is rebuilt). */
export function decodeIndex(data: unknown): IndexEntries | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const doc = data as Record<string, unknown>;
  if (doc.coffer_index !== INDEX_SCHEMA || !Array.isArray(doc.entries)) return undefined;
  if (!doc.entries.every((c) => typeof c === 'string')) return undefined;
  let rows: unknown;
  try {
    rows = JSON.parse((doc.entries as string[]).join('') || '[]');
  } catch {
    return undefined;
  }
  if (!Array.isArray(rows)) return undefined;
  const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const entries: IndexEntries = new Map();
  for (const row of rows) {
    if (!Array.isArray(row) || row.length !== 5) return undefined;
    const [name, env, file, at, tok] = row as unknown[];
    if (
      typeof name !== 'string' ||
      !strings(env) ||
      !strings(file) ||
      typeof at !== 'number' ||
      typeof tok !== 'string'
    ) {
      return undefined;
    }
    entries.set(name, { env, file, at, tok });
  }
  return entries;
}

export function union(...lists: readonly (readonly string[])[]): string[] {
  return [...new Set(lists.flat().filter((s) => s !== ''))];
}

/** The entry of a secret whose targets are known exactly. */
export function exactEntry(envName: string, filePath: string, at: number, tok: string): IndexEntry {
  return { env: envName === '' ? [] : [envName], file: filePath === '' ? [] : [filePath], at, tok };
}

export function sameEntry(a: IndexEntry | undefined, b: IndexEntry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return (
    a.at === b.at &&
    a.tok === b.tok &&
    a.env.length === b.env.length &&
    a.env.every((x, i) => b.env[i] === x) &&
    a.file.length === b.file.length &&
    a.file.every((x, i) => b.file[i] === x)
  );
}
