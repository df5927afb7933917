/**
 * How resources behave inside a Coder workspace build that cannot reach the owner's secrets
 * (no owner token at template import, in the create preview, and on stop and delete builds):
 * a warning naming the build, and a no-op instead of an error (docs/coder.md "Builds").
 */
import { describePhase, isNoBuildCredential } from '../../client/backends/coder/build-context';
import type { ResourceContext } from '../framework';
import type { CofferProviderData } from '../provider-data';

/**
 * True (after adding a warning) when `error` says this build carries no usable owner credential;
 * the caller then skips its work. `what` names the object, e.g. `coffer_secret_check "required"`.
 */
export function skippedInBuild(ctx: ResourceContext<CofferProviderData>, error: unknown, what: string, consequence: string): boolean {
  if (!isNoBuildCredential(error)) return false;
  ctx.diagnostics.addWarning(`${what} skipped in this ${describePhase(error.phase)}`, `${error.message}. ${consequence}`);
  return true;
}

/** How a user creates a missing secret, in the terms of the backend in use. */
export function createSecretHint(backendKind: string, name: string): string {
  return backendKind === 'coder'
    ? `create it: coder secret create ${name}, or Account → Secrets in the Coder dashboard`
    : `create it: coffer secret create ${name}`;
}

/** How a user enables a disabled secret, in the terms of the backend in use. */
export function enableSecretHint(backendKind: string, name: string): string {
  return backendKind === 'coder'
    ? `enable it: coder secret enable ${name}, or Account → Secrets in the Coder dashboard`
    : `enable it: coffer secret update ${name} --enabled`;
}
