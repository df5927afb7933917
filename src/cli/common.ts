/** Pieces shared by the commands: the store for a command, users, metadata output, capabilities. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { openStore, type BackendChoice } from '../client/open-store';
import { checkUser, RESERVED_USER_PREFIX } from '../client/rules';
import type { SecretMetadata, SecretStore } from '../client/secret-store';
import { CliError, EXIT, UsageError } from './errors';

/** `--backend` and `--user`, accepted by every command that works on secrets. */
export const STORE_OPTIONS = {
  backend: { type: 'string' },
  user: { type: 'string' },
} as const;

export const STORE_HELP = `  --user USER         Whose secrets (default "me": COFFER_USER or your login name)
  --backend NAME      Backend profile or kind (local, vault, coder); default: COFFER_PROFILE,
                      COFFER_BACKEND, the config's current, else the embedded store`;

/** `coffer --backend NAME <command>`: the global flag, kept as a flag (never turned into COFFER_BACKEND). */
const globalBackend = new AsyncLocalStorage<string>();

export function withGlobalBackend<T>(backend: string, fn: () => Promise<T>): Promise<T> {
  return globalBackend.run(backend, fn);
}

/** The command's `--backend`, then the global one: the flag level of the shared precedence. */
export function backendChoices(flag: string | undefined): BackendChoice[] {
  return [
    { value: flag, from: '--backend' },
    { value: globalBackend.getStore(), from: '--backend' },
  ];
}

/** Opens the selected backend, runs `fn`, and always closes the store. */
export async function withStore<T>(
  backend: string | undefined,
  env: NodeJS.ProcessEnv,
  fn: (store: SecretStore) => Promise<T>,
): Promise<T> {
  const store = await openStore(backendChoices(backend), env);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * The `--user` value, checked by the shared rule. A reserved user (the owner of stored backend
 * credentials) is a usage error: it is not a user at all; other broken rules are invalid input.
 */
export function userOption(raw: string | undefined, command: string): string {
  const user = raw ?? 'me';
  const problem = checkUser(user, '--user');
  if (problem === undefined) return user;
  if (user.startsWith(RESERVED_USER_PREFIX)) throw new UsageError(problem.message, command);
  throw new CliError(EXIT.invalid, problem.message);
}

export function formatMode(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}

/** Metadata with stable snake_case keys, the same set for every secret and backend. Never a value. */
export function metadataJson(meta: SecretMetadata): Record<string, unknown> {
  return {
    id: meta.id,
    user: meta.user,
    name: meta.name,
    description: meta.description,
    env_name: meta.envName,
    file_path: meta.filePath,
    file_owner: meta.fileOwner ?? '',
    file_mode: meta.fileMode === undefined ? null : formatMode(meta.fileMode),
    enabled: meta.enabled,
    is_default: meta.isDefault ?? false,
    value_version: meta.valueVersion ?? null,
    created_at: meta.createdAt,
    updated_at: meta.updatedAt,
  };
}

/** Why a backend kind cannot keep Coffer's extra fields, for the error message. */
const MISSING_FIELD_REASONS: Readonly<Record<string, string>> = {
  coder: "Coder's API has no such field",
};

/** Fails plainly when the backend cannot keep a requested field, instead of dropping it. */
export function requireCapabilities(
  store: SecretStore,
  wants: { readonly ownerOrMode: boolean; readonly isDefault: boolean },
): void {
  const reason = MISSING_FIELD_REASONS[store.kind] ?? 'it has nowhere to store it';
  if (wants.ownerOrMode && !store.capabilities.fileOwnerAndMode) {
    throw new CliError(EXIT.invalid, `the ${store.kind} backend cannot keep --owner/--mode: ${reason}`);
  }
  if (wants.isDefault && !store.capabilities.defaults) {
    throw new CliError(EXIT.invalid, `the ${store.kind} backend cannot keep --default: ${reason}`);
  }
}

/** `2026-05-01T10:00:00.123Z` → `2026-05-01T10:00:00Z`. */
export function shortTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}
