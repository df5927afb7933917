/**
 * Ephemeral `coffer_dynamic_secret`: a credential minted by Vault/OpenBao for one run (e.g.
 * `database/creds/ROLE`), never in plan or state. The lease is renewed while the engine runs
 * (`renew_at` before expiry → RenewEphemeralResource) and revoked when the engine closes the
 * resource (`sys/leases/revoke` with `sync=true`), unless `revoke_on_close = false`.
 *
 * Private data carries the lease ID, the renewal increment and the revoke flag — never a value.
 */
import { checkLeasePath, parseDurationSeconds, UnsupportedDynamicSecrets, type DynamicSecrets } from '../../client/dynamic-secrets';
import { isSecretStoreError } from '../../client/errors';
import {
  attribute,
  isUnknown,
  type EphemeralOpenResult,
  type EphemeralResource,
  type PlanModel,
  type PrivateData,
  type ResourceContext,
  type StateModel,
  type ValidateContext,
} from '../framework';
import type { CofferProviderData } from '../provider-data';
import { reportStoreError } from './store-errors';

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const segmentRule = (what: string) => (value: string) =>
  value.split('/').every((s) => SEGMENT.test(s) && s !== '..') ? undefined : `${what} must be a Vault path (letters, digits, "_", "-", "." and "/")`;

const attributes = {
  path: attribute.string({
    description: 'API path that mints the credential, e.g. `database/creds/readonly` (read with GET). Alternative to mount + role.',
    optional: true,
    validators: [(v: string) => checkLeasePath(v)],
  }),
  mount: attribute.string({
    description: 'Secrets engine mount, e.g. `database`; with `role`, reads `<mount>/creds/<role>`.',
    optional: true,
    validators: [segmentRule('mount')],
  }),
  role: attribute.string({ description: 'Role to mint the credential for (with `mount`).', optional: true, validators: [segmentRule('role')] }),
  ttl: attribute.string({
    description: 'Requested lease TTL, e.g. `8h`: sent at issue to engines that accept one, and asked for at every renewal. Default: the role\'s TTL.',
    optional: true,
    validators: [(v: string) => (parseDurationSeconds(v) === undefined || parseDurationSeconds(v) === 0 ? 'ttl must be a Vault duration such as 3600, 90m or 8h' : undefined)],
  }),
  revoke_on_close: attribute.bool({
    description:
      'Revoke the lease when the engine closes the resource at the end of the run (default true). Set false when the credential must outlive the run (e.g. delivered to a workspace); it then expires with its TTL.',
    optional: true,
  }),
  data: attribute.stringMap({
    description: 'The credential\'s fields (for a database role: `username`, `password`).',
    computed: true,
    sensitive: true,
  }),
  lease_id: attribute.string({ description: 'Lease of the credential (revoked when the engine closes the resource, unless `revoke_on_close` is false).', computed: true }),
  lease_duration: attribute.number({ description: 'Seconds the lease is valid for, as granted at issue.', computed: true }),
  renewable: attribute.bool({ description: 'Whether the lease can be renewed (the provider renews it while the run lasts).', computed: true }),
};

type Attrs = typeof attributes;

/** What the engine keeps for us between open, renew and close. */
interface LeasePrivate extends PrivateData {
  readonly lease_id: string;
  /** Credential path, for messages. */
  readonly path: string;
  /** Seconds asked for at each renewal. */
  readonly increment: number;
  readonly revoke: boolean;
  /** Epoch ms the lease ends unless renewed. */
  readonly expires_at: number;
}

/** Renew when this share of the lease has passed (Vault's own agents use about 2/3). */
const RENEW_FRACTION = 2 / 3;
const MIN_RENEW_DELAY_MS = 500;

function renewAt(durationSeconds: number, from = Date.now()): Date {
  return new Date(from + Math.max(MIN_RENEW_DELAY_MS, durationSeconds * 1000 * RENEW_FRACTION));
}

function leaseFrom(data: PrivateData): LeasePrivate | undefined {
  const id = data.lease_id;
  if (typeof id !== 'string' || id === '') return undefined;
  return {
    lease_id: id,
    path: typeof data.path === 'string' ? data.path : '',
    increment: typeof data.increment === 'number' ? data.increment : 0,
    revoke: data.revoke !== false,
    expires_at: typeof data.expires_at === 'number' ? data.expires_at : 0,
  };
}

function client(ctx: ResourceContext<CofferProviderData>): DynamicSecrets {
  return ctx.provider.dynamicSecrets ?? new UnsupportedDynamicSecrets(ctx.provider.store.kind);
}

export class DynamicSecretEphemeral implements EphemeralResource<Attrs, CofferProviderData> {
  readonly typeName = 'coffer_dynamic_secret';
  readonly schema = {
    version: 0,
    description:
      'A short-lived credential minted by Vault/OpenBao (e.g. database credentials) for one run: never stored in plan or state, renewed while the run lasts, revoked at its end.',
    attributes,
  };

  validateConfig(config: PlanModel<Attrs>, { diagnostics }: ValidateContext): void {
    const { path, mount, role } = config;
    if (isUnknown(path) || isUnknown(mount) || isUnknown(role)) return;
    if (path !== null && (mount !== null || role !== null)) {
      diagnostics.addError('Conflicting credential path', 'Set either path, or mount and role, not both.', ['path']);
    } else if (path === null && (mount === null || role === null)) {
      diagnostics.addError(
        'Missing credential path',
        'Set path (e.g. "database/creds/readonly"), or mount and role (reads <mount>/creds/<role>).',
        [mount === null && role !== null ? 'mount' : role === null && mount !== null ? 'role' : 'path'],
      );
    }
  }

  async open(config: StateModel<Attrs>, ctx: ResourceContext<CofferProviderData>): Promise<EphemeralOpenResult<Attrs> | undefined> {
    const path = config.path ?? `${config.mount}/creds/${config.role}`;
    const ttl = config.ttl !== null ? parseDurationSeconds(config.ttl) : undefined;
    const revoke = config.revoke_on_close !== false;
    let credential;
    try {
      credential = await client(ctx).issue(path, ttl !== undefined ? { ttlSeconds: ttl } : {});
    } catch (error) {
      reportStoreError(ctx.diagnostics, 'Cannot issue dynamic secret', error, (field) => (field === 'path' && config.path === null ? 'role' : field));
      return undefined;
    }
    const { leaseId, leaseDuration, renewable } = credential;
    ctx.log.info('issued dynamic credential', { path, lease_id: leaseId, lease_duration: leaseDuration, renewable, revoke_on_close: revoke });
    for (const warning of credential.warnings) ctx.log.debug('backend warning', { path, warning });
    const data = Object.fromEntries(Object.entries(credential.data).map(([key, value]) => [key, value.reveal()]));
    const result = { data, lease_id: leaseId, lease_duration: leaseDuration, renewable };
    if (leaseId === '') return { result };
    const now = Date.now();
    const lease: LeasePrivate = {
      lease_id: leaseId,
      path,
      increment: ttl ?? leaseDuration,
      revoke,
      expires_at: leaseDuration > 0 ? now + leaseDuration * 1000 : 0,
    };
    return { result, private: lease, ...(renewable && leaseDuration > 0 ? { renewAt: renewAt(leaseDuration, now) } : {}) };
  }

  async renew(privateData: PrivateData, ctx: ResourceContext<CofferProviderData>): Promise<{ renewAt?: Date; private?: PrivateData } | undefined> {
    const lease = leaseFrom(privateData);
    if (lease === undefined) return { private: privateData };
    const started = Date.now();
    try {
      const granted = await client(ctx).renew(lease.lease_id, lease.increment > 0 ? lease.increment : undefined);
      const next: LeasePrivate = { ...lease, expires_at: started + granted.leaseDuration * 1000 };
      ctx.log.info('renewed lease', {
        path: lease.path,
        lease_id: lease.lease_id,
        lease_duration: granted.leaseDuration,
        ms: Date.now() - started,
      });
      // Vault grants less than asked only when the max TTL is near: renewing again cannot extend it.
      const capped = lease.increment > 0 && granted.leaseDuration < lease.increment;
      if (capped || !granted.renewable || granted.leaseDuration <= 0) {
        if (capped) {
          ctx.diagnostics.addWarning(
            'Dynamic secret reaches its max TTL',
            `The lease ${lease.lease_id} (${lease.path}) cannot be renewed past its max TTL: the credential stops working at ${new Date(next.expires_at).toISOString()}.`,
          );
        }
        return { private: next };
      }
      return { private: next, renewAt: renewAt(granted.leaseDuration, started) };
    } catch (error) {
      if (!isSecretStoreError(error)) throw error;
      const left = lease.expires_at - Date.now();
      if (error.retryable && left > 2 * MIN_RENEW_DELAY_MS) {
        // The backend is busy or unreachable: try again halfway to the expiry.
        ctx.log.warn('lease renewal failed; retrying', { path: lease.path, lease_id: lease.lease_id, error: error.message });
        return { private: lease, renewAt: new Date(Date.now() + left / 2) };
      }
      ctx.diagnostics.addWarning(
        'Cannot renew dynamic secret',
        `${error.message}. The credential from ${lease.path} stops working when its lease ends${lease.expires_at > 0 ? ` (${new Date(lease.expires_at).toISOString()})` : ''}.`,
      );
      return { private: lease };
    }
  }

  async close(privateData: PrivateData, ctx: ResourceContext<CofferProviderData>): Promise<void> {
    const lease = leaseFrom(privateData);
    if (lease === undefined) return;
    if (!lease.revoke) {
      ctx.log.info('lease kept (revoke_on_close = false)', { path: lease.path, lease_id: lease.lease_id });
      return;
    }
    const started = Date.now();
    try {
      await client(ctx).revoke(lease.lease_id);
      ctx.log.info('revoked lease', { path: lease.path, lease_id: lease.lease_id, ms: Date.now() - started });
    } catch (error) {
      if (isSecretStoreError(error) && error.code === 'not_found') {
        ctx.log.info('lease already gone', { path: lease.path, lease_id: lease.lease_id });
        return;
      }
      if (!isSecretStoreError(error)) throw error;
      ctx.diagnostics.addError(
        'Cannot revoke dynamic secret',
        `${error.message}. The credential from ${lease.path} stays valid until its lease ends${lease.expires_at > 0 ? ` (${new Date(lease.expires_at).toISOString()})` : ''}; revoke it with: bao lease revoke ${lease.lease_id}`,
      );
    }
  }
}
