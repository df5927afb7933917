/**
 * The audit log: one JSON line per secret operation (create, update, delete, import, read of a
 * value), appended to a configurable sink. A decorator around any `SecretStore`, so every
 * backend, the provider and the CLI audit the same way. Lines carry names and outcomes, never
 * a value.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeDirectories } from './bounded-fs';
import { dynamicSecretsFor, type DynamicSecrets, type DynamicSecretsSource } from './dynamic-secrets';
import { isSecretStoreError } from './errors';
import type { CreateSecretInput, SecretMetadata, SecretStore, UpdateSecretInput } from './secret-store';
import type { SecretText } from './secret-text';

export type AuditAction = 'create' | 'update' | 'delete' | 'import' | 'read_value';

export interface AuditEntry {
  readonly msg: 'audit_log';
  readonly time: string;
  readonly actor: string;
  readonly backend: string;
  readonly action: AuditAction;
  readonly user: string;
  readonly secret: string;
  readonly outcome: 'success' | 'failure';
  /** The error code on failure (`conflict`, `validation`, …). */
  readonly error?: string;
}

export type AuditSink = (entry: AuditEntry) => void;

/**
 * Appends to a file (mode 0600). Each line is written with one `appendFileSync` call on an
 * O_APPEND descriptor, so lines from concurrent processes do not interleave.
 */
export function fileAuditSink(file: string): AuditSink {
  makeDirectories(path.dirname(file), 0o700);
  return (entry) => fs.appendFileSync(file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

export function streamAuditSink(write: (line: string) => void): AuditSink {
  return (entry) => write(`${JSON.stringify(entry)}\n`);
}

export const discardAuditSink: AuditSink = () => undefined;

/**
 * The sink from `COFFER_AUDIT_LOG`: a file path, `stderr`, or `off`. Default: `audit.log` in
 * the Coffer home.
 */
export function auditSinkFromEnv(cofferHome: string, env: NodeJS.ProcessEnv = process.env): AuditSink {
  const setting = env.COFFER_AUDIT_LOG?.trim();
  if (setting === 'off') return discardAuditSink;
  if (setting === 'stderr') return streamAuditSink((line) => process.stderr.write(line));
  return fileAuditSink(setting ? path.resolve(setting) : path.join(cofferHome, 'audit.log'));
}

export function defaultActor(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return env.COFFER_ACTOR ?? os.userInfo().username;
  } catch {
    return env.USER ?? 'unknown';
  }
}

export class AuditedSecretStore implements SecretStore, DynamicSecretsSource {
  constructor(
    private readonly inner: SecretStore,
    private readonly sink: AuditSink,
    private readonly actor: string = defaultActor(),
  ) {}

  get kind(): string {
    return this.inner.kind;
  }

  get capabilities() {
    return this.inner.capabilities;
  }

  /** The wrapped backend's dynamic secrets (minted credentials are not stored secrets: not audited here). */
  dynamicSecrets(): DynamicSecrets {
    return dynamicSecretsFor(this.inner);
  }

  private async record<T>(action: AuditAction, user: string, secret: string, operation: () => Promise<T>): Promise<T> {
    const base = { msg: 'audit_log' as const, actor: this.actor, backend: this.inner.kind, action, user, secret };
    try {
      const result = await operation();
      this.sink({ ...base, time: new Date().toISOString(), outcome: 'success' });
      return result;
    } catch (error) {
      this.sink({ ...base, time: new Date().toISOString(), outcome: 'failure', error: isSecretStoreError(error) ? error.code : 'internal' });
      throw error;
    }
  }

  create(user: string, input: CreateSecretInput): Promise<SecretMetadata> {
    return this.record('create', user, input.name, () => this.inner.create(user, input));
  }

  update(user: string, name: string, patch: UpdateSecretInput): Promise<SecretMetadata> {
    return this.record('update', user, name, () => this.inner.update(user, name, patch));
  }

  delete(user: string, name: string): Promise<void> {
    return this.record('delete', user, name, () => this.inner.delete(user, name));
  }

  readValue(user: string, name: string): Promise<SecretText> {
    return this.record('read_value', user, name, () => this.inner.readValue(user, name));
  }

  async importBatch(user: string, inputs: readonly CreateSecretInput[]): Promise<SecretMetadata[]> {
    // One line per secret, so a search by name finds imports too.
    try {
      const created = await this.inner.importBatch(user, inputs);
      const time = new Date().toISOString();
      for (const meta of created) {
        this.sink({ msg: 'audit_log', time, actor: this.actor, backend: this.inner.kind, action: 'import', user, secret: meta.name, outcome: 'success' });
      }
      return created;
    } catch (error) {
      const time = new Date().toISOString();
      const code = isSecretStoreError(error) ? error.code : 'internal';
      for (const input of inputs) {
        this.sink({ msg: 'audit_log', time, actor: this.actor, backend: this.inner.kind, action: 'import', user, secret: input.name, outcome: 'failure', error: code });
      }
      throw error;
    }
  }

  get(user: string, name: string): Promise<SecretMetadata> {
    return this.inner.get(user, name);
  }

  list(user: string): Promise<SecretMetadata[]> {
    return this.inner.list(user);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
