/**
 * What looks like a credential: well-known token shapes in any text, and names (variables,
 * attributes, environment variables) that say "secret". Findings name the kind of credential,
 * never the text that matched.
 */

export interface CredentialPattern {
  /** Human-readable kind, used in messages ("GitHub token"). */
  readonly kind: string;
  readonly pattern: RegExp;
}

/** Token shapes with a recognisable prefix or structure (low false-positive rate by design). */
export const CREDENTIAL_PATTERNS: readonly CredentialPattern[] = [
  { kind: 'private key (PEM)', pattern: /-----BEGIN ((RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----/ },
  { kind: 'GitHub token', pattern: /\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b/ },
  { kind: 'GitHub fine-grained token', pattern: /\bgithub_pat_[A-Za-z0-9_]{22,}\b/ },
  { kind: 'GitLab token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}\b/ },
  { kind: 'AWS access key ID', pattern: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/ },
  { kind: 'Slack token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/ },
  {
    kind: 'Slack webhook URL',
    pattern: /https:\/\/hooks\.slack\.com\/services\/T[A-Za-z0-9]+\/B[A-Za-z0-9]+\/[A-Za-z0-9]+/,
  },
  { kind: 'Stripe key', pattern: /\b(sk|rk)_(live|test)_[A-Za-z0-9]{16,}\b/ },
  { kind: 'Anthropic API key', pattern: /\bsk-ant-[a-z]{3,5}[0-9]{2}-[A-Za-z0-9_-]{20,}/ },
  { kind: 'OpenAI API key', pattern: /\bsk-(proj-|svcacct-)?[A-Za-z0-9_-]{32,}\b/ },
  { kind: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
  { kind: 'npm token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/ },
  { kind: 'PyPI token', pattern: /\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{40,}/ },
  { kind: 'Docker Hub token', pattern: /\bdckr_pat_[A-Za-z0-9_-]{20,}/ },
  { kind: 'Vault/OpenBao token', pattern: /\b(hvs|hvb|hvr)\.[A-Za-z0-9_-]{24,}/ },
  { kind: 'Vault/OpenBao token', pattern: /(^|[^A-Za-z0-9.])[sb]\.[A-Za-z0-9]{24}(?![A-Za-z0-9])/ },
  { kind: 'SendGrid key', pattern: /\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b/ },
  { kind: 'Twilio key', pattern: /\bSK[0-9a-f]{32}\b/ },
  { kind: 'Azure storage key', pattern: /AccountKey=[A-Za-z0-9+/]{40,}={0,2}/ },
  { kind: 'JSON web token', pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/ },
  { kind: 'Coder session token', pattern: /(^|[^A-Za-z0-9-])[A-Za-z0-9]{10}-[A-Za-z0-9]{22}(?![A-Za-z0-9-])/ },
  { kind: 'password in a URL', pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"'{}$]+:[^/\s@"'{}$]+@[^\s/]/i },
  {
    kind: 'secret assigned in a script',
    pattern:
      /(^|[\s;'"])(export\s+)?[A-Za-z_]*(TOKEN|PASSWORD|PASSWD|SECRET|API_KEY|APIKEY|PRIVATE_KEY)[A-Za-z_]*=['"]?(?![$'"\s])[^\s'"]{8,}/,
  },
];

/** The kind of credential `text` contains, if any. */
export function findCredential(text: string): string | undefined {
  for (const { kind, pattern } of CREDENTIAL_PATTERNS) if (pattern.test(text)) return kind;
  return undefined;
}

/** Splits `githubToken`, `GITHUB_TOKEN`, `github-token` into lower-case words. */
export function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w.toLowerCase());
}

const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'passphrase',
  'pwd',
  'secret',
  'secrets',
  'token',
  'tokens',
  'credential',
  'credentials',
  'creds',
  'apikey',
  'privatekey',
  'accesskey',
  'secretkey',
  'pat',
  'dsn',
]);

/** Qualifiers that turn `key` into a secret: `api_key`, `private_key`, `access_key`… */
const KEY_QUALIFIERS = new Set([
  'api',
  'private',
  'access',
  'secret',
  'signing',
  'encryption',
  'master',
  'client',
  'auth',
  'license',
  'service',
  'account',
]);

/** A last word that makes the name describe a secret rather than be one: `token_ttl`, `secret_name`. */
const METADATA_WORDS = new Set([
  'id',
  'ids',
  'name',
  'names',
  'path',
  'paths',
  'file',
  'files',
  'dir',
  'arn',
  'url',
  'uri',
  'length',
  'len',
  'ttl',
  'version',
  'versions',
  'count',
  'enabled',
  'enable',
  'type',
  'types',
  'mode',
  'env',
  'description',
  'scope',
  'scopes',
  'header',
  'prefix',
  'suffix',
  'format',
  'policy',
  'policies',
  'role',
  'roles',
  'expiry',
  'expires',
  'expiration',
  'rotation',
  'hash',
  'min',
  'max',
  'size',
  'bits',
  'algorithm',
  'endpoint',
  'host',
  'port',
  'user',
  'username',
  'owner',
  'fingerprint',
  'checksum',
  'sha',
  'label',
  'labels',
  'location',
  'source',
  'mount',
  'backend',
  'engine',
  'kind',
  'help',
  'message',
  'hint',
  'required',
  'exists',
  'wo',
  'metadata',
  'store',
  'provider',
  'method',
  'rules',
  'rule',
  'pattern',
  'regex',
  'field',
  'fields',
  'key',
  'keys',
]);

/**
 * True for names that say the value is a secret: `github_token`, `DB_PASSWORD`, `apiKey`,
 * `client_secret`, `ssh_private_key`. False for names about a secret: `token_ttl`,
 * `secret_name`, `password_length`, `api_key_scope`, `value_wo_version`.
 */
export function isSecretName(name: string): boolean {
  const w = words(name);
  const last = w[w.length - 1];
  if (last === undefined) return false;
  // An AppRole SecretID is a credential despite ending in "id".
  if (last === 'id' && w[w.length - 2] === 'secret') return true;
  if (last !== 'key' && METADATA_WORDS.has(last)) return false;
  const qualifiedKey = w.some((word, i) => word === 'key' && i > 0 && KEY_QUALIFIERS.has(w[i - 1] as string));
  if (last === 'key') return qualifiedKey;
  return qualifiedKey || w.some((word) => SECRET_WORDS.has(word));
}

/** Write-only attributes follow the `_wo` naming convention (`value_wo`, `password_wo`). */
export function isWriteOnlyName(name: string): boolean {
  return /_wo$/.test(name);
}
