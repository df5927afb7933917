import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { auditSinkFromEnv, AuditedSecretStore, type AuditEntry } from '../../src/client/audit';
import { LocalSecretStore } from '../../src/client/backends/local';
import { SecretText } from '../../src/client/secret-text';

describe('audit log', () => {
  let home: string;
  let entries: AuditEntry[];
  let store: AuditedSecretStore;
  const canary = `CANARY-${Date.now()}`;

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-audit-'));
    entries = [];
    store = new AuditedSecretStore(new LocalSecretStore({ home, identity: 'dev' }), (e) => entries.push(e), 'alice');
  });

  afterEach(async () => {
    await store.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  test('one line per operation with actor, backend, action, secret and outcome; reads of metadata are not audited', async () => {
    await store.create('me', { name: 'a', value: new SecretText(canary), envName: 'A_TOKEN' });
    await store.update('me', 'a', { value: new SecretText(`${canary}2`) });
    await store.readValue('me', 'a');
    await store.get('me', 'a');
    await store.list('me');
    await store.importBatch('me', [{ name: 'b', value: new SecretText(canary), envName: 'B_TOKEN' }]);
    await store.delete('me', 'a');
    await expect(store.delete('me', 'a')).rejects.toMatchObject({ code: 'not_found' });
    expect(entries.map((e) => [e.action, e.secret, e.outcome, e.error])).toEqual([
      ['create', 'a', 'success', undefined],
      ['update', 'a', 'success', undefined],
      ['read_value', 'a', 'success', undefined],
      ['import', 'b', 'success', undefined],
      ['delete', 'a', 'success', undefined],
      ['delete', 'a', 'failure', 'not_found'],
    ]);
    for (const entry of entries) expect(entry).toMatchObject({ msg: 'audit_log', actor: 'alice', backend: 'local', user: 'me' });
    expect(JSON.stringify(entries)).not.toContain(canary);
  });

  test('a failed batch import logs a failure for every secret in it', async () => {
    await store.create('me', { name: 'taken', value: new SecretText('x'), envName: 'T' });
    await expect(
      store.importBatch('me', [
        { name: 'new', value: new SecretText('y'), envName: 'N' },
        { name: 'taken', value: new SecretText('z'), envName: 'Z' },
      ]),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(entries.slice(1).map((e) => [e.secret, e.outcome, e.error])).toEqual([
      ['new', 'failure', 'conflict'],
      ['taken', 'failure', 'conflict'],
    ]);
  });

  test('the default sink appends JSON lines to audit.log in the Coffer home, mode 0600', async () => {
    const sink = auditSinkFromEnv(home, {});
    const fileStore = new AuditedSecretStore(new LocalSecretStore({ home, identity: 'dev' }), sink, 'bob');
    await fileStore.create('me', { name: 'f', value: new SecretText(canary), filePath: '~/.f' });
    await fileStore.close();
    const file = path.join(home, 'audit.log');
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditEntry);
    expect(lines).toEqual([expect.objectContaining({ action: 'create', secret: 'f', actor: 'bob', outcome: 'success' })]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).not.toContain(canary);
  });

  test('COFFER_AUDIT_LOG=off discards', () => {
    const sink = auditSinkFromEnv(home, { COFFER_AUDIT_LOG: 'off' });
    sink({ msg: 'audit_log', time: '', actor: '', backend: '', action: 'create', user: '', secret: '', outcome: 'success' });
    expect(fs.existsSync(path.join(home, 'audit.log'))).toBe(false);
  });
});
