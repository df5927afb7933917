/**
 * What someone with write access to an embedded store can do: change stored secrets in the
 * journal and make the store consistent again — line checksums, the hash chain and the manifest —
 * so the integrity checks pass. Tests use it to show that the rules which re-check stored data
 * (delivery, CLI output) hold even against a store that was edited consistently.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeLine, encodeLine, lineHash } from '../../src/client/backends/local/journal';
import { readManifest, writeManifest } from '../../src/client/backends/local/manifest';
import { storeLayout } from '../../src/client/backends/local/paths';

type StoredSecret = Record<string, unknown> & { name?: unknown };
interface Transaction {
  ops?: { op: string; secret?: StoredSecret }[];
  prev?: string;
}

/** Applies `edit` to every stored version of each secret it matches; returns how many it changed. */
export function editStoredSecrets(cofferHome: string, edit: (secret: StoredSecret) => boolean): number {
  const layout = storeLayout(cofferHome);
  const current = readManifest(layout.manifestPath);
  if (current === undefined) throw new Error(`no manifest in ${layout.dir}: write a secret first`);
  const file = layout.journalPath(current.manifest.generation);
  const lines = fs.readFileSync(file).toString('utf8').split('\n').filter((l) => l !== '');
  let edited = 0;
  let previous: string | undefined;
  const rewritten = lines.map((line, i) => {
    const payload = decodeLine(Buffer.from(line, 'utf8')) as Transaction | undefined;
    if (payload === undefined) throw new Error(`${path.basename(file)} line ${i + 1} is damaged`);
    for (const op of payload.ops ?? []) if (op.secret !== undefined && edit(op.secret)) edited += 1;
    // The first record chains to what came before this journal; the others to their predecessor.
    if (i > 0 && payload.prev !== undefined && previous !== undefined) payload.prev = previous;
    const encoded = encodeLine(payload);
    previous = lineHash(encoded);
    return encoded;
  });
  const bytes = Buffer.concat(rewritten);
  fs.writeFileSync(file, bytes);
  writeManifest(layout.manifestPath, { ...current.manifest, journal: { length: bytes.length, last: previous ?? current.manifest.journal.last } });
  return edited;
}
