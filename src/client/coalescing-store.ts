/**
 * Terraform and OpenTofu refresh every resource with its own ReadResource call, up to ten at a
 * time. For a remote backend that is one GET per secret. This decorator notices when several
 * metadata reads for the same user are waiting at once and answers them all from one `list`
 * (one request on OpenBao and on Coder), falling back to single reads when only a few wait.
 * The list is kept for a moment (`listTtlMs`) so the rest of the refresh wave is answered from
 * it; any write through this store drops it.
 */
import type { CreateSecretInput, SecretMetadata, SecretStore, UpdateSecretInput } from './secret-store';
import type { SecretText } from './secret-text';

export interface CoalescingOptions {
  /** How long the first read waits for others to join its batch. @default 5 */
  readonly windowMs?: number;
  /** Fewer waiting reads than this are sent one by one. @default 3 */
  readonly minBatch?: number;
  /** How long a batch's list answers further reads. @default 2000 */
  readonly listTtlMs?: number;
}

interface Waiter {
  readonly name: string;
  readonly resolve: (meta: SecretMetadata) => void;
  readonly reject: (error: unknown) => void;
}

export class CoalescingSecretStore implements SecretStore {
  private readonly pending = new Map<string, Waiter[]>();
  private readonly windowMs: number;
  private readonly minBatch: number;
  private readonly listTtlMs: number;
  private readonly lists = new Map<string, { readonly at: number; readonly byName: Map<string, SecretMetadata> }>();
  /** How many `list` calls served batched reads (for tests and debug logs). */
  batches = 0;

  constructor(
    private readonly inner: SecretStore,
    options: CoalescingOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 5;
    this.minBatch = options.minBatch ?? 3;
    this.listTtlMs = options.listTtlMs ?? 2000;
  }

  get kind(): string {
    return this.inner.kind;
  }

  get capabilities() {
    return this.inner.capabilities;
  }

  get(user: string, name: string): Promise<SecretMetadata> {
    const recent = this.lists.get(user);
    const cached = recent !== undefined && Date.now() - recent.at < this.listTtlMs ? recent.byName.get(name) : undefined;
    if (cached !== undefined) return Promise.resolve(cached);
    return new Promise((resolve, reject) => {
      let waiters = this.pending.get(user);
      if (waiters === undefined) {
        waiters = [];
        this.pending.set(user, waiters);
        setTimeout(() => void this.flush(user), this.windowMs);
      }
      waiters.push({ name, resolve, reject });
    });
  }

  private async flush(user: string): Promise<void> {
    const waiters = this.pending.get(user) ?? [];
    this.pending.delete(user);
    if (waiters.length < this.minBatch) {
      for (const w of waiters) this.inner.get(user, w.name).then(w.resolve, w.reject);
      return;
    }
    try {
      this.batches += 1;
      const at = Date.now();
      const byName = new Map((await this.inner.list(user)).map((meta) => [meta.name, meta]));
      this.lists.set(user, { at, byName });
      for (const w of waiters) {
        const meta = byName.get(w.name);
        if (meta !== undefined) w.resolve(meta);
        // A name the list does not have may still be invalid or exotic: let a single read decide.
        else this.inner.get(user, w.name).then(w.resolve, w.reject);
      }
    } catch {
      // The batch failed as a whole (e.g. list not permitted): fall back to single reads, so each
      // caller gets its own, precise error.
      for (const w of waiters) this.inner.get(user, w.name).then(w.resolve, w.reject);
    }
  }

  list(user: string): Promise<SecretMetadata[]> {
    return this.inner.list(user);
  }
  /** Our own writes must never be answered from an older list. */
  private forget(): void {
    // `me` and a username can name the same owner: drop every list, not just one user's.
    this.lists.clear();
  }

  create(user: string, input: CreateSecretInput): Promise<SecretMetadata> {
    this.forget();
    return this.inner.create(user, input);
  }
  update(user: string, name: string, patch: UpdateSecretInput): Promise<SecretMetadata> {
    this.forget();
    return this.inner.update(user, name, patch);
  }
  delete(user: string, name: string): Promise<void> {
    this.forget();
    return this.inner.delete(user, name);
  }
  readValue(user: string, name: string): Promise<SecretText> {
    return this.inner.readValue(user, name);
  }
  importBatch(user: string, inputs: readonly CreateSecretInput[]): Promise<SecretMetadata[]> {
    this.forget();
    return this.inner.importBatch(user, inputs);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

