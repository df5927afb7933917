import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveVaultConfig, type VaultSecretStoreOptions } from '../../src/client/backends/vault/vault-config';
import { SecretStoreError } from '../../src/client/errors';
import { generateServerCertificate } from '../../src/provider/protocol/tls';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-vault-config-'));
  dirs.push(dir);
  return dir;
}

const resolve = (env: NodeJS.ProcessEnv, options: Partial<VaultSecretStoreOptions> = {}) =>
  resolveVaultConfig({ env, ...options });

function configError(fn: () => unknown): SecretStoreError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretStoreError);
    expect((error as SecretStoreError).code).toBe('validation');
    return error as SecretStoreError;
  }
  throw new Error('expected a configuration error');
}

describe('Vault configuration from options and environment', () => {
  test('BAO_* wins over VAULT_*, options win over both, empty variables are unset', () => {
    const env = {
      BAO_ADDR: 'http://bao:8200',
      VAULT_ADDR: 'http://vault:8200',
      BAO_TOKEN: 'bao-token',
      VAULT_TOKEN: 'vault-token',
      BAO_NAMESPACE: '',
      VAULT_NAMESPACE: 'team/',
      BAO_TLS_SERVER_NAME: 'bao.internal',
      VAULT_TLS_SERVER_NAME: 'vault.internal',
    };
    const c = resolve(env);
    expect(c.address).toBe('http://bao:8200');
    expect(c.auth).toEqual({ method: 'token', token: 'bao-token' });
    expect(c.namespace).toBe('team/');
    expect(c.tlsServerName).toBe('bao.internal');
    expect(c.mount).toBe('secret');
    expect(c.pathPrefix).toBe('coffer/users');
    expect(c.tlsSkipVerify).toBe(false);

    const vaultOnly = resolve({ VAULT_ADDR: 'https://vault:8200', VAULT_TOKEN: 'vt' });
    expect(vaultOnly.address).toBe('https://vault:8200');
    expect(vaultOnly.auth).toEqual({ method: 'token', token: 'vt' });

    const explicit = resolve(env, {
      address: 'https://x:1',
      namespace: 'ns',
      mount: 'kv',
      pathPrefix: 'p/q',
      auth: { method: 'token', token: 'o' },
    });
    expect(explicit).toMatchObject({
      address: 'https://x:1',
      namespace: 'ns',
      mount: 'kv',
      pathPrefix: 'p/q',
      auth: { token: 'o' },
    });

    expect(resolve({ ...env, COFFER_VAULT_MOUNT: 'kv2', COFFER_VAULT_PATH_PREFIX: 'people' })).toMatchObject({
      mount: 'kv2',
      pathPrefix: 'people',
    });
  });

  test('skip-verify uses Go booleans, BAO_SKIP_VERIFY first', () => {
    const base = { BAO_ADDR: 'https://b', BAO_TOKEN: 't' };
    expect(resolve({ ...base, VAULT_SKIP_VERIFY: 'true' }).tlsSkipVerify).toBe(true);
    expect(resolve({ ...base, VAULT_SKIP_VERIFY: '1', BAO_SKIP_VERIFY: 'false' }).tlsSkipVerify).toBe(false);
    expect(resolve({ ...base, BAO_SKIP_VERIFY: 'T' }).tlsSkipVerify).toBe(true);
    expect(resolve({ ...base, BAO_SKIP_VERIFY: 'true' }, { tlsSkipVerify: false }).tlsSkipVerify).toBe(false);
    expect(configError(() => resolve({ ...base, BAO_SKIP_VERIFY: 'yes' })).field).toBe('BAO_SKIP_VERIFY');
  });

  test('CA certificates from a file and a directory; BAO_CACERT first', () => {
    const dir = tempDir();
    const [BAO_CA, VAULT_CA, INLINE] = [1, 2, 3].map(() => generateServerCertificate().certPem);
    fs.writeFileSync(path.join(dir, 'bao.pem'), BAO_CA!);
    fs.writeFileSync(path.join(dir, 'vault.pem'), VAULT_CA!);
    const caDir = path.join(dir, 'cas');
    fs.mkdirSync(caDir);
    fs.writeFileSync(path.join(caDir, 'a.crt'), 'A');
    fs.writeFileSync(path.join(caDir, 'b.pem'), 'B');
    fs.writeFileSync(path.join(caDir, 'notes.txt'), 'ignored');
    const base = { BAO_ADDR: 'https://b', BAO_TOKEN: 't' };
    expect(
      resolve({ ...base, BAO_CACERT: path.join(dir, 'bao.pem'), VAULT_CACERT: path.join(dir, 'vault.pem') }).ca,
    ).toEqual([BAO_CA]);
    expect(resolve({ ...base, VAULT_CACERT: path.join(dir, 'vault.pem') }).ca).toEqual([VAULT_CA]);
    expect(resolve({ ...base, VAULT_CAPATH: caDir }).ca).toEqual(['A', 'B']);
    expect(resolve(base, { caCert: INLINE }).ca).toEqual([INLINE]);
    expect(resolve(base).ca).toBeUndefined();
    expect(configError(() => resolve({ ...base, BAO_CACERT: path.join(dir, 'missing.pem') })).message).toContain(
      'missing.pem',
    );
  });

  test('a CA file that is not PEM fails at once, naming the setting', () => {
    const dir = tempDir();
    const base = { BAO_ADDR: 'https://b', BAO_TOKEN: 't' };
    fs.writeFileSync(path.join(dir, 'ca.der'), Buffer.from([0x30, 0x82, 0x01, 0x0a, 0x02]));
    const notPem = configError(() => resolve({ ...base, BAO_CACERT: path.join(dir, 'ca.der') }));
    expect(notPem.field).toBe('ca_cert');
    expect(notPem.message).toMatch(/BAO_CACERT.*ca\.der is not a PEM certificate/);
    fs.writeFileSync(path.join(dir, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n');
    const broken = configError(() => resolve(base, { caCertFile: path.join(dir, 'broken.pem'), settingNames: { caCert: 'vault_ca_cert_file' } }));
    expect(broken.message).toMatch(/vault_ca_cert_file: file .*broken\.pem holds a damaged certificate/);
  });

  test('missing or bad address and missing credentials are configuration errors', () => {
    expect(configError(() => resolve({ BAO_TOKEN: 't' })).field).toBe('address');
    expect(configError(() => resolve({ BAO_ADDR: 'ftp://x', BAO_TOKEN: 't' })).field).toBe('address');
    expect(configError(() => resolve({ BAO_ADDR: 'http://x' })).field).toBe('token');
    expect(configError(() => resolve({ BAO_ADDR: 'http://x', COFFER_VAULT_AUTH: 'ldap' })).field).toBe('auth');
  });

  test('a token from ~/.vault-token when no variable is set', () => {
    const home = tempDir();
    fs.writeFileSync(path.join(home, '.vault-token'), 'from-file\n');
    expect(resolve({ BAO_ADDR: 'http://x', HOME: home }).auth).toEqual({ method: 'token', token: 'from-file' });
    expect(resolve({ BAO_ADDR: 'http://x', HOME: home, VAULT_TOKEN: 'env' }).auth).toEqual({
      method: 'token',
      token: 'env',
    });
  });

  test('AppRole, JWT and Kubernetes from the environment', () => {
    const dir = tempDir();
    const approle = resolve({ BAO_ADDR: 'http://x', COFFER_VAULT_ROLE_ID: 'rid', COFFER_VAULT_SECRET_ID: 'sid' });
    expect(approle.auth).toMatchObject({ method: 'approle', mount: 'approle', roleId: 'rid' });
    expect(approle.auth.method === 'approle' && approle.auth.secretId()).toBe('sid');
    fs.writeFileSync(path.join(dir, 'sid'), 'sid-file\n');
    const fromFile = resolve({
      BAO_ADDR: 'http://x',
      COFFER_VAULT_AUTH: 'approle',
      COFFER_VAULT_ROLE_ID: 'rid',
      COFFER_VAULT_SECRET_ID_FILE: path.join(dir, 'sid'),
      COFFER_VAULT_AUTH_MOUNT: 'ci/approle/',
    });
    expect(fromFile.auth).toMatchObject({ mount: 'ci/approle' });
    expect(fromFile.auth.method === 'approle' && fromFile.auth.secretId()).toBe('sid-file');

    const jwt = resolve({
      BAO_ADDR: 'http://x',
      COFFER_VAULT_ROLE: 'ci',
      COFFER_VAULT_JWT_ENV: 'CI_ID_TOKEN',
      CI_ID_TOKEN: 'eyJ.x.y',
    });
    expect(jwt.auth).toMatchObject({ method: 'jwt', mount: 'jwt', role: 'ci' });
    expect(jwt.auth.method === 'jwt' && jwt.auth.jwt()).toBe('eyJ.x.y');
    fs.writeFileSync(path.join(dir, 'jwt'), 'file.jwt.token\n');
    const jwtFile = resolve(
      { BAO_ADDR: 'http://x' },
      { auth: { method: 'jwt', role: 'ci', jwtFile: path.join(dir, 'jwt') } },
    );
    expect(jwtFile.auth.method === 'jwt' && jwtFile.auth.jwt()).toBe('file.jwt.token');
    expect(
      configError(() => resolve({ BAO_ADDR: 'http://x', COFFER_VAULT_AUTH: 'jwt', COFFER_VAULT_ROLE: 'ci' })).field,
    ).toBe('jwt');

    fs.writeFileSync(path.join(dir, 'sa'), 'sa-token');
    const k8s = resolve({
      BAO_ADDR: 'http://x',
      COFFER_VAULT_AUTH: 'kubernetes',
      COFFER_VAULT_ROLE: 'app',
      COFFER_VAULT_K8S_TOKEN_FILE: path.join(dir, 'sa'),
    });
    expect(k8s.auth).toMatchObject({ method: 'kubernetes', mount: 'kubernetes', role: 'app' });
    expect(k8s.auth.method === 'kubernetes' && k8s.auth.jwt()).toBe('sa-token');
    const k8sDefault = resolve({ BAO_ADDR: 'http://x' }, { auth: { method: 'kubernetes', role: 'app' } });
    // The default token file does not exist here: read lazily at login, so only the login fails.
    expect(() => k8sDefault.auth.method === 'kubernetes' && k8sDefault.auth.jwt()).toThrow(
      '/var/run/secrets/kubernetes.io/serviceaccount/token',
    );
  });

  test('who "me" is for token auth: identity option, else COFFER_USER, else the OS user', () => {
    expect(resolve({ BAO_ADDR: 'http://x', BAO_TOKEN: 't' }, { identity: 'ida' }).identity).toBe('ida');
    expect(resolve({ BAO_ADDR: 'http://x', BAO_TOKEN: 't', COFFER_USER: 'cu' }).fallbackIdentity()).toBe('cu');
    expect(resolve({ BAO_ADDR: 'http://x', BAO_TOKEN: 't' }).fallbackIdentity()).toBe(os.userInfo().username);
  });
});
