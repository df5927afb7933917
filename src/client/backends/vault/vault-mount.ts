/**
 * The mount check every Vault store makes once, before its first read or write: is the
 * configured mount a KV version 2 mount? A KV v1 mount would take `<mount>/data/…` as plain
 * keys (stray writes, the uniqueness index among them); a missing mount answers every read with
 * 404, which looked like "no secrets". Asked with `sys/internal/ui/mounts/<mount>`, which any
 * token that may use the mount can read (the Vault CLI's `kv` commands ask the same). A server
 * without that endpoint, or a token refused it for another reason, is trusted as before.
 */
import { SecretStoreError } from '../../errors';
import { objectField, stringField } from './vault-auth';
import { vaultErrors, type VaultRequest, type VaultResponse } from './vault-http';
import type { KvLayout } from './vault-paths';

/**
 * Throws a non-retryable `validation` error on field `mount` whose message names `setting`
 * (e.g. `vault_mount`) when the mount is missing, not KV, KV version 1, or a path inside a mount.
 */
export async function checkKvV2Mount(
  call: (req: Omit<VaultRequest, 'token'>) => Promise<VaultResponse>,
  layout: KvLayout,
  address: string,
  setting: string,
): Promise<void> {
  const mount = layout.mount;
  const fail = (message: string) => new SecretStoreError('validation', `${message}; check ${setting}`, { field: 'mount', retryable: false });
  const response = await call({ method: 'GET', path: layout.mountInfo() });
  if (response.status === 403 && /preflight capability check/i.test(vaultErrors(response.body))) {
    throw fail(`Vault at ${address} has no mount "${mount}" (or this token may not use it)`);
  }
  if (response.status !== 200) return;
  const data = objectField(response.body, 'data');
  const type = stringField(data, 'type');
  if (type === undefined) return; // not a mount description: nothing to judge
  const version = stringField(objectField(data, 'options'), 'version') ?? '1';
  const actual = (stringField(data, 'path') ?? `${mount}/`).replace(/\/+$/, '');
  if (actual !== mount) {
    throw fail(`"${mount}" is not a mount but a path inside mount "${actual}": use mount "${actual}" and move the rest into the path prefix`);
  }
  if (type !== 'kv' && type !== 'generic') throw fail(`mount "${mount}" is a ${type} secrets engine, not KV version 2`);
  if (version !== '2') {
    throw fail(`mount "${mount}" is a KV version 1 mount; Coffer needs KV version 2 (upgrade it with "bao kv enable-versioning ${mount}", or use another mount)`);
  }
}
