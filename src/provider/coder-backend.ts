/**
 * The Coder backend as the provider opens it: outside Coder, on `coder_url`/`CODER_URL` and
 * `coder_token`/`CODER_SESSION_TOKEN`; inside a workspace build (Coder's provisioner), on Coder's
 * access URL and the workspace owner's token — and, in the builds that carry no token (template
 * import, create preview, stop, delete), on a guard whose every call fails with
 * `NoBuildCredentialError`, which resources turn into a warning and a no-op. See docs/coder.md.
 */
import type { AuditEntry, AuditSink } from '../client/audit';
import { CoderSecretStore, type CoderRequestLogEntry } from '../client/backends/coder';
import { CoderBuildGuardStore } from '../client/backends/coder/build-guard-store';
import { coderBuildFromEnv, describePhase, type CoderBuildContext } from '../client/backends/coder/build-context';
import type { SecretStore } from '../client/secret-store';
import type { Logger } from './framework';

export interface CoderBackendSettings {
  readonly url?: string;
  /** The `coder_token` attribute, e.g. `data.coder_workspace_owner.me.session_token` ("" = unset). */
  readonly token?: string;
  readonly onRequest?: (entry: CoderRequestLogEntry) => void;
}

export interface OpenedCoderBackend {
  readonly store: SecretStore;
  /** The workspace build this provider runs in; undefined outside Coder's provisioner. */
  readonly build?: CoderBuildContext;
}

export function openCoderBackend(settings: CoderBackendSettings, env: NodeJS.ProcessEnv, log: Logger): OpenedCoderBackend {
  const build = coderBuildFromEnv(env);
  const token = settings.token?.trim() || undefined;
  if (build === undefined) {
    return { store: new CoderSecretStore({ env, url: settings.url, token, onRequest: settings.onRequest }) };
  }
  const url = settings.url?.trim() || build.accessUrl || undefined;
  const ownerToken = token ?? (build.ownerToken || undefined);
  if (ownerToken === undefined) {
    log.warn('no Coder session token in this build: user-secret calls are skipped', { phase: build.phase });
    return { store: new CoderBuildGuardStore(build, undefined), build };
  }
  const inner = new CoderSecretStore({ env, url, token: ownerToken, onRequest: settings.onRequest });
  log.debug('Coder backend on the workspace owner token', { phase: build.phase });
  return { store: new CoderBuildGuardStore(build, inner), build };
}

/**
 * Inside a build the provisioner's home is no place for an audit file (shared by every user's
 * builds, and not what a platform team reads): unless COFFER_AUDIT_LOG says otherwise, audit lines
 * go to the provider log (`coder … --provisioner-log-debug` shows them in the build log). Coder's
 * own audit log records user-secret writes too (enterprise).
 */
export function providerLogAuditSink(log: Logger, build: CoderBuildContext): AuditSink {
  return (entry: AuditEntry) => log.info('audit_log', { ...entry, coder_phase: describePhase(build.phase) });
}
