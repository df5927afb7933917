/**
 * Turns secret-client errors into diagnostics on the attribute the user wrote. Client error
 * messages are built from metadata only, so they are safe to show.
 */
import { isSecretStoreError } from '../../client/errors';
import type { Diagnostics } from '../framework';

/** Maps a client field to the attribute that carried it in this configuration. */
export type FieldMapper = (field: string) => string;

/** Fields of the backend's configuration (provider block), not of the resource: no attribute path. */
const BACKEND_SETTINGS = new Set(['mount', 'path_prefix', 'address', 'ca_cert', 'identity']);

export function reportStoreError(diagnostics: Diagnostics, summary: string, error: unknown, mapField: FieldMapper = (f) => f): void {
  if (!isSecretStoreError(error)) throw error;
  const path = error.field && !BACKEND_SETTINGS.has(error.field) ? [mapField(error.field)] : undefined;
  const hint = error.retryable ? ' The backend may be temporarily unavailable: run the command again.' : '';
  diagnostics.addError(summary, `${error.message}.${hint}`.replace(/\.\./, '.'), path);
}
