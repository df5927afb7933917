/**
 * Where a Coder workspace build stands, read from the environment Coder's provisioner gives
 * terraform (provisioner/terraform/provision.go `provisionEnv`; docs/coder.md "Builds"):
 *
 * - Every `CODER_*` variable of the server's own environment is removed, so `CODER_SESSION_TOKEN`
 *   and `CODER_URL` never arrive; Coder sets its own instead.
 * - `CODER_WORKSPACE_OWNER_SESSION_TOKEN` carries the owner's token on **start** builds only; it is
 *   empty at template import, in the create preview (dry-run), and on stop and delete builds.
 * - Template import and the preview have no workspace build (`CODER_WORKSPACE_BUILD_ID` empty) and
 *   no owner (`CODER_WORKSPACE_OWNER` empty); the coder provider then names the owner `default`.
 */
import { SecretStoreError } from '../../errors';

export type CoderTransition = 'start' | 'stop' | 'destroy';

/** What a build is doing, in the words a template author sees in Coder. */
export type CoderBuildPhase = 'import-or-preview' | 'start' | 'stop' | 'delete';

export interface CoderBuildContext {
  readonly phase: CoderBuildPhase;
  readonly transition: CoderTransition;
  /** The owner's username; empty at import and in the preview. */
  readonly owner: string;
  readonly ownerId: string;
  readonly workspace: string;
  /** The owner's session token; empty except on start builds. */
  readonly ownerToken: string;
  /** Coder's access URL (`CODER_AGENT_URL`). */
  readonly accessUrl: string;
}

/** The owner name the coder provider reports when a build has no owner (template import, preview). */
export const PLACEHOLDER_OWNER = 'default';

const TRANSITIONS: readonly string[] = ['start', 'stop', 'destroy'];

/** The build this process runs in, or undefined outside Coder's provisioner. */
export function coderBuildFromEnv(env: NodeJS.ProcessEnv): CoderBuildContext | undefined {
  const transition = (env.CODER_WORKSPACE_TRANSITION ?? '').trim().toLowerCase();
  // CODER_AGENT_URL alone is also set inside workspaces (for the agent); the transition is the
  // provisioner's mark.
  if (!TRANSITIONS.includes(transition)) return undefined;
  const buildId = (env.CODER_WORKSPACE_BUILD_ID ?? '').trim();
  const t = transition as CoderTransition;
  const phase: CoderBuildPhase = buildId === '' ? 'import-or-preview' : t === 'destroy' ? 'delete' : t;
  return {
    phase,
    transition: t,
    owner: (env.CODER_WORKSPACE_OWNER ?? '').trim(),
    ownerId: (env.CODER_WORKSPACE_OWNER_ID ?? '').trim(),
    workspace: (env.CODER_WORKSPACE_NAME ?? '').trim(),
    ownerToken: (env.CODER_WORKSPACE_OWNER_SESSION_TOKEN ?? '').trim(),
    accessUrl: (env.CODER_AGENT_URL ?? '').trim(),
  };
}

export function describePhase(phase: CoderBuildPhase): string {
  switch (phase) {
    case 'import-or-preview':
      return 'template import or workspace preview (no workspace build yet)';
    case 'start':
      return 'workspace start build';
    case 'stop':
      return 'workspace stop build';
    case 'delete':
      return 'workspace delete build';
  }
}

/**
 * True when `user` is the stand-in owner of a build that has none: `default` at template import
 * and in the preview. A real user named "default" is still addressed on real builds.
 */
export function isPlaceholderOwner(user: string, build: CoderBuildContext | undefined): boolean {
  return build !== undefined && build.owner === '' && user === PLACEHOLDER_OWNER;
}

/**
 * A call that needs the owner's token in a build that has none. Resources turn it into a warning
 * and a no-op (checks, data sources, refresh) or a retained secret (destroy); it is never retried.
 */
export class NoBuildCredentialError extends SecretStoreError {
  readonly phase: CoderBuildPhase;

  constructor(phase: CoderBuildPhase, reason: string) {
    super('unauthorized', `${reason}, so Coffer cannot reach the owner's secrets in this ${describePhase(phase)}`, {
      retryable: false,
    });
    this.name = 'NoBuildCredentialError';
    this.phase = phase;
  }
}

export function isNoBuildCredential(error: unknown): error is NoBuildCredentialError {
  return error instanceof NoBuildCredentialError;
}
