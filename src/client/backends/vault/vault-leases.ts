/**
 * Dynamic secrets on Vault/OpenBao: read a credential-minting path (`database/creds/ROLE`),
 * renew its lease (`sys/leases/renew`), revoke it (`sys/leases/revoke` with `sync=true`, so the
 * credential is gone when the call returns). Shares the store's HTTP client and login, so a
 * provider logs in once for secrets and leases alike.
 *
 * Messages name paths and lease IDs, never a credential.
 */
import { checkLeasePath, type DynamicCredential, type DynamicSecrets, type IssueOptions, type LeaseInfo } from '../../dynamic-secrets';
import { BackendUnavailableError, SecretStoreError, SecretValidationError } from '../../errors';
import { SecretText } from '../../secret-text';
import { objectField } from './vault-auth';
import { vaultErrors, type VaultRequest, type VaultResponse } from './vault-http';

/** Sends a request with the store's token (and its re-login on a dead token). */
export type VaultCall = (request: Omit<VaultRequest, 'token'>) => Promise<VaultResponse>;

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function numberOf(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function leaseOf(body: unknown): LeaseInfo {
  const top = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  return {
    leaseId: typeof top.lease_id === 'string' ? top.lease_id : '',
    leaseDuration: numberOf(top.lease_duration),
    renewable: top.renewable === true,
  };
}

function warningsOf(body: unknown): string[] {
  const warnings = typeof body === 'object' && body !== null ? (body as { warnings?: unknown }).warnings : undefined;
  return Array.isArray(warnings) ? warnings.filter((w): w is string => typeof w === 'string') : [];
}

/** A credential field as text: strings as they are, anything else as JSON. */
function fieldText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export class VaultDynamicSecrets implements DynamicSecrets {
  readonly kind = 'vault';

  constructor(
    private readonly call: VaultCall,
    /** Server origin, for messages. */
    private readonly address: string,
  ) {}

  async issue(path: string, options: IssueOptions = {}): Promise<DynamicCredential> {
    const problem = checkLeasePath(path);
    if (problem !== undefined) throw new SecretValidationError('path', problem);
    const apiPath = encodePath(path);
    const query = options.ttlSeconds !== undefined ? { ttl: `${options.ttlSeconds}s` } : undefined;
    const response = await this.send({ method: 'GET', path: apiPath, ...(query ? { query } : {}) });
    if (response.status !== 200) throw this.failure(response, 'GET', path, 'path');
    const data = objectField(response.body, 'data');
    if (data === undefined) {
      throw new SecretStoreError('unsupported', `Vault returned no credential at ${path} (is it a credential path, such as database/creds/ROLE?)`, {
        field: 'path',
        retryable: false,
      });
    }
    const fields: Record<string, SecretText> = {};
    for (const [key, value] of Object.entries(data)) if (value !== null && value !== undefined) fields[key] = new SecretText(fieldText(value));
    return { ...leaseOf(response.body), data: fields, warnings: warningsOf(response.body) };
  }

  async renew(leaseId: string, incrementSeconds?: number): Promise<LeaseInfo> {
    const body = incrementSeconds !== undefined && incrementSeconds > 0 ? { lease_id: leaseId, increment: incrementSeconds } : { lease_id: leaseId };
    const response = await this.send({ method: 'PUT', path: 'sys/leases/renew', body });
    if (response.status !== 200) throw this.failure(response, 'PUT', 'sys/leases/renew', 'lease_id', leaseId);
    const lease = leaseOf(response.body);
    return { ...lease, leaseId: lease.leaseId === '' ? leaseId : lease.leaseId };
  }

  async revoke(leaseId: string): Promise<void> {
    // sync=true: the answer comes after the backend removed the credential (without it the revocation is only queued).
    const response = await this.send({ method: 'PUT', path: 'sys/leases/revoke', body: { lease_id: leaseId, sync: true } });
    if (response.status === 200 || response.status === 204) return;
    throw this.failure(response, 'PUT', 'sys/leases/revoke', 'lease_id', leaseId);
  }

  private async send(request: Omit<VaultRequest, 'token'>): Promise<VaultResponse> {
    try {
      return await this.call(request);
    } catch (error) {
      if (error instanceof SecretStoreError) throw error;
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'internal error';
      throw new BackendUnavailableError(`the Vault backend at ${this.address} failed (${code})`, error);
    }
  }

  private failure(response: VaultResponse, method: string, path: string, field: string, leaseId?: string): SecretStoreError {
    const detail = vaultErrors(response.body);
    const suffix = detail === '' ? '' : `: ${detail}`;
    const where = leaseId === undefined ? `${method} ${path}` : `${method} ${path} (lease ${leaseId})`;
    const status = response.status;
    if (status === 400 && /lease not found|invalid lease/i.test(detail)) {
      return new SecretStoreError('not_found', `Vault has no lease ${leaseId ?? ''} (expired or revoked)`, { field, retryable: false });
    }
    if (status === 400) return new SecretValidationError(field, `Vault rejected ${where}${suffix}`);
    if (status === 401 || status === 403) {
      return new SecretStoreError('unauthorized', `permission denied: ${where} (check the token's policy)`, { retryable: false });
    }
    if (status === 404 || status === 405) return new SecretStoreError('not_found', `Vault has no ${path}${suffix}`, { field, retryable: false });
    if (status === 429 || status >= 500) return new BackendUnavailableError(`Vault answered ${status} to ${where}${suffix}`);
    return new SecretStoreError('unavailable', `Vault answered ${status} to ${where}${suffix}`, { retryable: false });
  }
}
