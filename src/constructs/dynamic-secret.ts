/**
 * `DynamicSecret`: a credential that is minted per workspace rather than stored, in one of
 * three patterns (see docs/constructs.md, "Which dynamic-secret pattern"):
 *
 * (a) `DynamicSecretPattern.agentEnv` — Coder's documented pattern: a provider resource's secret
 *     attribute (e.g. `data.coder_external_auth.github.access_token`) into `coder_agent.env`,
 *     wrapped in `sensitive()` so it is hidden wherever the engine shows it. The value is in
 *     state (the agent's env is), as with every attribute of a stored resource.
 * (b) `DynamicSecretPattern.vaultLease` — a per-workspace credential (e.g. database creds) minted
 *     by Vault/OpenBao through the `coffer_dynamic_secret` ephemeral resource: never in plan or
 *     state. Its fields are ephemeral `SecretValue`s for write-only attributes (a `UserSecret`)
 *     or provider configuration. Uses the provider feature `dynamic-secret` (on by default).
 * (c) `DynamicSecretPattern.workspaceFetched` — state-free for the credential: the build hands
 *     the workspace only a single-use, short-TTL *wrapped* AppRole SecretID; at start the
 *     workspace unwraps it and fetches its own credential with `coffer run`. A wrapping token
 *     that was already used (or expired) makes the unwrap fail loudly, which is the point.
 */
import { Token, type TerraformProvider } from 'cdktn';
import { Construct } from 'constructs';
import type { Agent } from './.gen/providers/coder/agent';
import { Script } from './.gen/providers/coder/script';
import { EphemeralCofferDynamicSecret } from './.gen/providers/coffer/ephemeral-coffer-dynamic-secret';
import { checkEnvName } from '../client/rules';
import { CofferFeature, requireProviderFeature } from './features';
import { ensureGuard } from './guard';
import { SecretValue } from './secret-value';
import { checkProp } from './validate';

/** Props of pattern (a). */
export interface AgentEnvPatternProps {
  /** The agent whose environment receives the value. */
  readonly agent: Agent;
  /** Environment variable name (POSIX; not reserved). */
  readonly envName: string;
  /** The secret, typically `SecretValue.fromAttribute(externalAuth, 'access_token')`. Must not be ephemeral. */
  readonly value: SecretValue;
}

/** Props of pattern (b). */
export interface VaultLeasePatternProps {
  /** Secrets engine mount, e.g. `database`. */
  readonly mount: string;
  /** Role the credential is minted for, e.g. `workspace-readonly`. */
  readonly role: string;
  /**
   * Requested lease TTL (Vault duration, e.g. `8h`).
   * @default - the role's default TTL
   */
  readonly ttl?: string;
  /**
   * Revoke the lease when the engine closes the ephemeral resource at the end of the run.
   * Leave false when the credential must outlive the run (it is delivered to a workspace).
   * @default false
   */
  readonly revokeOnClose?: boolean;
  /**
   * The `coffer` provider configuration that mints the lease (its backend must be `vault`).
   * @default - the stack's default `coffer` provider
   */
  readonly provider?: TerraformProvider;
}

/** Props of pattern (c). */
export interface WorkspaceFetchedPatternProps {
  /** The agent whose environment receives the wrapped SecretID and the login settings. */
  readonly agent: Agent;
  /**
   * The response-wrapping token around a single-use AppRole SecretID, minted at build time
   * with a short TTL (e.g. `bao write -wrap-ttl=5m -f auth/approle/role/ROLE/secret-id`, or the
   * vault provider's `vault_approle_auth_backend_role_secret_id` with `wrapping_ttl`). It is
   * stored in state with the agent's env; being single-use and short-lived is what makes that
   * acceptable. Must not be ephemeral.
   */
  readonly wrappedSecretId: SecretValue;
  /** The AppRole role ID (not a secret). */
  readonly roleId: string;
  /** Vault/OpenBao address the workspace reaches, e.g. `https://bao.internal:8200`. */
  readonly address: string;
  /**
   * AppRole auth mount.
   * @default "approle"
   */
  readonly authMount?: string;
  /**
   * Environment variable that carries the wrapping token into the workspace.
   * @default "COFFER_VAULT_WRAPPED_SECRET_ID"
   */
  readonly envName?: string;
  /**
   * Command to run at workspace start with the secrets as environment variables
   * (`coffer run -- COMMAND`), as a `coder_script` that runs on start.
   * @default - no script: run `coffer run` yourself (e.g. in the agent's startup script)
   */
  readonly command?: readonly string[];
}

/** Which pattern a `DynamicSecret` uses; build one with a static factory. */
export abstract class DynamicSecretPattern {
  /** (a) A provider attribute into `coder_agent.env` (Coder's documented pattern). */
  static agentEnv(props: AgentEnvPatternProps): DynamicSecretPattern {
    return new AgentEnvPattern(props);
  }

  /** (b) A Vault/OpenBao lease through the `coffer_dynamic_secret` ephemeral resource. */
  static vaultLease(props: VaultLeasePatternProps): DynamicSecretPattern {
    return new VaultLeasePattern(props);
  }

  /** (c) A wrapped single-use SecretID; the workspace fetches its own credential with `coffer run`. */
  static workspaceFetched(props: WorkspaceFetchedPatternProps): DynamicSecretPattern {
    return new WorkspaceFetchedPattern(props);
  }

  /** The pattern's name: `agent-env`, `vault-lease` or `workspace-fetched`. */
  abstract readonly name: string;

  /** @internal */
  abstract _apply(scope: DynamicSecret, what: string): EphemeralCofferDynamicSecret | Script | undefined;
}

export interface DynamicSecretProps {
  /** How the credential is minted and delivered. */
  readonly pattern: DynamicSecretPattern;
}

export class DynamicSecret extends Construct {
  readonly pattern: DynamicSecretPattern;
  /**
   * The construct's own resource: the `coffer_dynamic_secret` ephemeral resource (b), the
   * start-up `coder_script` (c, with `command`), or undefined ((a) only adds to the agent's env).
   */
  readonly resource: EphemeralCofferDynamicSecret | Script | undefined;

  constructor(scope: Construct, id: string, props: DynamicSecretProps) {
    super(scope, id);
    ensureGuard(this);
    this.pattern = props.pattern;
    this.resource = props.pattern._apply(this, `DynamicSecret "${id}"`);
  }

  /**
   * A field of the minted credential (pattern (b)), e.g. `value('password')`: an ephemeral
   * `SecretValue` for write-only attributes (`UserSecret`) and provider configuration.
   */
  value(field: string): SecretValue {
    if (!(this.resource instanceof EphemeralCofferDynamicSecret)) {
      throw new Error(
        `DynamicSecret "${this.node.id}": value() applies to the vault-lease pattern only (this one is ${this.pattern.name})`,
      );
    }
    if (field === '' || Token.isUnresolved(field))
      throw new Error(`DynamicSecret "${this.node.id}": value(field) needs a literal field name`);
    const resource = this.resource;
    return SecretValue._fromExpression(
      resource.data.lookup(field),
      `ephemeral.coffer_dynamic_secret.${resource.friendlyUniqueId}.data["${field}"]`,
      true,
    );
  }
}

function addAgentEnv(agent: Agent, envName: string, value: string): void {
  agent.addOverride(`env.${envName}`, value);
}

class AgentEnvPattern extends DynamicSecretPattern {
  readonly name = 'agent-env';

  constructor(private readonly props: AgentEnvPatternProps) {
    super();
  }

  _apply(scope: DynamicSecret, what: string): undefined {
    if (this.props.envName === '') throw new Error(`${what}: envName must not be empty`);
    checkProp(this.props.envName, checkEnvName, 'envName', what);
    const value = this.props.value._bind(scope, {
      description: `${what} coder_agent.env.${this.props.envName}`,
      acceptsEphemeral: false,
      displayed: true,
    });
    addAgentEnv(this.props.agent, this.props.envName, value);
    return undefined;
  }
}

class VaultLeasePattern extends DynamicSecretPattern {
  readonly name = 'vault-lease';

  constructor(private readonly props: VaultLeasePatternProps) {
    super();
  }

  _apply(scope: DynamicSecret, what: string): EphemeralCofferDynamicSecret {
    requireProviderFeature(scope, CofferFeature.DYNAMIC_SECRET, `${what} (vault-lease)`);
    for (const [prop, value] of [
      ['mount', this.props.mount],
      ['role', this.props.role],
    ] as const) {
      if (!Token.isUnresolved(value) && !/^[A-Za-z0-9][A-Za-z0-9_.\-/]*$/.test(value)) {
        throw new Error(
          `${what}: ${prop} "${value}" must be a Vault path segment (letters, digits, "_", "-", ".", "/")`,
        );
      }
    }
    if (
      this.props.ttl !== undefined &&
      !Token.isUnresolved(this.props.ttl) &&
      !/^\d+(s|m|h|d)?$/.test(this.props.ttl)
    ) {
      throw new Error(`${what}: ttl "${this.props.ttl}" must be a Vault duration such as 3600, 90m or 8h`);
    }
    return new EphemeralCofferDynamicSecret(scope, 'Resource', {
      mount: this.props.mount,
      role: this.props.role,
      ...(this.props.ttl !== undefined ? { ttl: this.props.ttl } : {}),
      // Always explicit: the provider revokes by default, but a credential delivered to a workspace must outlive the run.
      revokeOnClose: this.props.revokeOnClose ?? false,
      ...(this.props.provider !== undefined ? { provider: this.props.provider } : {}),
    });
  }
}

/** Single-quotes a word for sh, and escapes Terraform template sequences (`${`, `%{`). */
function shellQuote(word: string): string {
  const quoted = /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
  return quoted.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

class WorkspaceFetchedPattern extends DynamicSecretPattern {
  readonly name = 'workspace-fetched';

  constructor(private readonly props: WorkspaceFetchedPatternProps) {
    super();
  }

  _apply(scope: DynamicSecret, what: string): Script | undefined {
    const envName = this.props.envName ?? 'COFFER_VAULT_WRAPPED_SECRET_ID';
    checkProp(envName, checkEnvName, 'envName', what);
    if (!Token.isUnresolved(this.props.address) && !/^https?:\/\/[^\s]+$/.test(this.props.address)) {
      throw new Error(`${what}: address "${this.props.address}" must be an http(s) URL`);
    }
    if (!Token.isUnresolved(this.props.roleId) && this.props.roleId.trim() === '')
      throw new Error(`${what}: roleId must not be blank`);
    if (this.props.command !== undefined && this.props.command.length === 0)
      throw new Error(`${what}: command must not be empty (omit it to run coffer yourself)`);
    const wrapped = this.props.wrappedSecretId._bind(scope, {
      description: `${what} coder_agent.env.${envName}`,
      acceptsEphemeral: false,
      displayed: true,
    });
    const agent = this.props.agent;
    addAgentEnv(agent, 'BAO_ADDR', this.props.address);
    addAgentEnv(agent, 'COFFER_BACKEND', 'vault');
    addAgentEnv(agent, 'COFFER_VAULT_AUTH', 'approle');
    addAgentEnv(agent, 'COFFER_VAULT_AUTH_MOUNT', this.props.authMount ?? 'approle');
    addAgentEnv(agent, 'COFFER_VAULT_ROLE_ID', this.props.roleId);
    addAgentEnv(agent, envName, wrapped);
    if (this.props.command === undefined) return undefined;
    const script = [
      '#!/bin/sh',
      '# Unwraps the single-use SecretID (fails if it was already used or has expired), logs in',
      '# with AppRole and runs the command with the secrets as environment variables.',
      'set -eu',
      `exec coffer run -- ${this.props.command.map(shellQuote).join(' ')}`,
      '',
    ].join('\n');
    return new Script(scope, 'Resource', {
      agentId: agent.id,
      displayName: 'Fetch secrets',
      icon: '/icon/lock.svg',
      runOnStart: true,
      startBlocksLogin: true,
      script,
    });
  }
}
