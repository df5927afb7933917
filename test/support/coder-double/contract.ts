import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import {
  CoderSecretStore,
  type CoderRequestLogEntry,
  type CoderSecretStoreOptions,
} from '../../../src/client/backends/coder';
import {
  SecretConflictError,
  SecretNotFoundError,
  SecretStoreError,
  SecretValidationError,
} from '../../../src/client/errors';
import type { CreateSecretInput } from '../../../src/client/secret-store';
import { SecretText } from '../../../src/client/secret-text';
import { rejection } from '../assertions';

/**
 * Behavioural checks of `CoderSecretStore` that hold for any server implementing Coder's documented
 * API: the in-process double (test/unit/coder-store.test.ts) and a real deployment
 * (test/integration/coder-real.test.ts). Every secret is named with a random prefix and deleted
 * afterwards. Nothing here reads values back (the real API cannot).
 */
export interface ContractTarget {
  /** Deployment URL and a session token of the user whose secrets are used. */
  url(): string;
  token(): string;
  /** Path user to address; `me` unless the target says otherwise. */
  readonly user?: string;
  /** The username `me` should resolve to, when known. */
  expectedOwner?(): string | undefined;
}

export const text = (value: string): SecretText => new SecretText(value);

export interface LoggedStore {
  readonly store: CoderSecretStore;
  readonly log: CoderRequestLogEntry[];
  writes(): CoderRequestLogEntry[];
}

export function describeCoderStoreContract(
  label: string,
  target: ContractTarget,
  options: { skip?: boolean } = {},
): void {
  (options.skip ? describe.skip : describe)(`CoderSecretStore contract (${label})`, () => {
    const prefix = `cofferT${randomBytes(4).toString('hex')}`;
    const user = target.user ?? 'me';
    const stores: CoderSecretStore[] = [];
    let counter = 0;
    /** A fresh name; also a valid, unreserved env name. */
    const fresh = (tag = 's'): string => `${prefix}_${tag}_${++counter}`;

    function open(options: Partial<CoderSecretStoreOptions> = {}): LoggedStore {
      const log: CoderRequestLogEntry[] = [];
      const store = new CoderSecretStore({
        url: target.url(),
        token: target.token(),
        env: {},
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 5,
        onRequest: (entry) => log.push(entry),
        ...options,
      });
      stores.push(store);
      return { store, log, writes: () => log.filter((e) => e.method !== 'GET') };
    }

    afterAll(async () => {
      const { store } = open();
      const leftovers = (await store.list(user)).filter((m) => m.name.startsWith(prefix));
      for (const m of leftovers) await store.delete(user, m.name);
      await Promise.all(stores.map((s) => s.close()));
    });

    test('create, get, list and delete', async () => {
      const { store } = open();
      const name = fresh('crud');
      const created = await store.create(user, {
        name,
        value: text('hunter2 ünïcødé 😀'),
        description: 'a test secret',
        envName: name,
        filePath: `~/.coffer-test/${name}`,
      });
      expect(created).toMatchObject({
        name,
        description: 'a test secret',
        envName: name,
        filePath: `~/.coffer-test/${name}`,
        enabled: true,
      });
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.valueVersion).toBeUndefined();
      expect(Date.parse(created.createdAt)).not.toBeNaN();
      const owner = target.expectedOwner?.();
      if (owner !== undefined) expect(created.user).toBe(owner);
      expect(JSON.stringify(created)).not.toContain('hunter2');

      expect(await store.get(user, name)).toEqual(created);
      const listed = await store.list(user);
      expect(listed.find((m) => m.name === name)).toEqual(created);
      const names = listed.map((m) => m.name);
      expect([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))).toEqual(names);

      await store.delete(user, name);
      await rejection(store.get(user, name), SecretNotFoundError);
      await rejection(store.delete(user, name), SecretNotFoundError);
      expect((await store.list(user)).some((m) => m.name === name)).toBe(false);
    });

    test('names that need percent-encoding round-trip', async () => {
      const { store } = open();
      const name = `${prefix} spaced %20 é+&=;`;
      await store.create(user, { name, value: text('v'), envName: fresh('enc') });
      expect((await store.get(user, name)).name).toBe(name);
      await store.update(user, name, { description: 'encoded' });
      await store.delete(user, name);
      await rejection(store.get(user, name), SecretNotFoundError);
    });

    test('update: absent fields stay, "" clears, value changes are write-only', async () => {
      const { store } = open();
      const name = fresh('upd');
      const env = fresh('ENV');
      const created = await store.create(user, {
        name,
        value: text('one'),
        description: 'd',
        envName: env,
        filePath: `/tmp/${name}`,
      });
      const described = await store.update(user, name, { description: 'changed' });
      expect(described).toMatchObject({
        description: 'changed',
        envName: env,
        filePath: `/tmp/${name}`,
        enabled: true,
      });
      expect(described.createdAt).toBe(created.createdAt);

      const cleared = await store.update(user, name, { filePath: '', description: '' });
      expect(cleared).toMatchObject({ description: '', envName: env, filePath: '' });

      const revalued = await store.update(user, name, { value: text('two') });
      expect(revalued).toMatchObject({ description: '', envName: env, filePath: '' });
      expect(revalued.valueVersion).toBeUndefined();
    });

    test('an update with nothing in it, or an empty value, is refused before sending', async () => {
      const logged = open();
      const name = fresh('noop');
      await logged.store.create(user, { name, value: text('x'), envName: name });
      logged.log.length = 0;
      expect((await rejection(logged.store.update(user, name, {}), SecretValidationError)).field).toBe('patch');
      expect((await rejection(logged.store.update(user, name, { value: text('') }), SecretValidationError)).field).toBe(
        'value',
      );
      expect(logged.log).toEqual([]);
    });

    test('conflicts name the conflicting field', async () => {
      const { store } = open();
      const first = fresh('c1');
      await store.create(user, { name: first, value: text('a'), envName: first, filePath: `/tmp/${first}` });
      const byName = await rejection(
        store.create(user, { name: first, value: text('b'), envName: fresh('X') }),
        SecretConflictError,
      );
      expect(byName.field).toBe('name');
      const byEnv = await rejection(
        store.create(user, { name: fresh('c2'), value: text('b'), envName: first }),
        SecretConflictError,
      );
      expect(byEnv.field).toBe('env_name');
      const byFile = await rejection(
        store.create(user, { name: fresh('c3'), value: text('b'), filePath: `/tmp/${first}` }),
        SecretConflictError,
      );
      expect(byFile.field).toBe('file_path');
      const second = fresh('c4');
      await store.create(user, { name: second, value: text('c'), envName: second });
      const patchConflict = await rejection(store.update(user, second, { envName: first }), SecretConflictError);
      expect(patchConflict.field).toBe('env_name');
    });

    test('bad input is refused locally: nothing reaches the server', async () => {
      const logged = open();
      const cases: [CreateSecretInput, string][] = [
        [{ name: '', value: text('v'), envName: 'A_B' }, 'name'],
        [{ name: 'a/b', value: text('v'), envName: 'A_B' }, 'name'],
        [{ name: ' padded', value: text('v'), envName: 'A_B' }, 'name'],
        [{ name: 'x'.repeat(256), value: text('v'), envName: 'A_B' }, 'name'],
        [{ name: '..', value: text('v'), envName: 'A_B' }, 'name'],
        [{ name: fresh(), value: text(''), envName: 'A_B' }, 'value'],
        [{ name: fresh(), value: text('a\0b'), envName: 'A_B' }, 'value'],
        [{ name: fresh(), value: text('x'.repeat(24 * 1024 + 1)), envName: 'A_B' }, 'value'],
        [{ name: fresh(), value: text('v'), envName: '1ABC' }, 'env_name'],
        [{ name: fresh(), value: text('v'), envName: 'PATH' }, 'env_name'],
        [{ name: fresh(), value: text('v'), envName: 'coder_agent' }, 'env_name'],
        [{ name: fresh(), value: text('v'), envName: 'GIT_TOKEN' }, 'env_name'],
        [{ name: fresh(), value: text('v'), filePath: 'relative/path' }, 'file_path'],
        [{ name: fresh(), value: text('v') }, 'env_name'],
      ];
      for (const [input, field] of cases) {
        const error = await rejection(logged.store.create(user, input), SecretValidationError);
        expect(error.field).toBe(field);
      }
      await rejection(logged.store.update(user, fresh(), { envName: 'LD_PRELOAD' }), SecretValidationError);
      await rejection(
        logged.store.update(user, fresh(), { enabled: true, envName: '', filePath: '' }),
        SecretValidationError,
      );
      await rejection(logged.store.get(user, 'a?b'), SecretValidationError);
      await rejection(logged.store.delete('bad/user', 'x'), SecretValidationError);
      expect(logged.log).toEqual([]);
    });

    test('fields Coder cannot store are refused plainly, never dropped', async () => {
      const logged = open();
      const base = { name: fresh(), value: text('v'), envName: 'SOME_VAR' };
      const cases: [Record<string, unknown>, string][] = [
        [{ fileOwner: 'root' }, 'file_owner'],
        [{ fileMode: 0o400 }, 'file_mode'],
        [{ isDefault: true }, 'default'],
      ];
      for (const [extra, field] of cases) {
        const create = await rejection(
          logged.store.create(user, { ...base, ...extra } as CreateSecretInput),
          SecretStoreError,
        );
        expect(create).toMatchObject({ code: 'unsupported', field });
        const update = await rejection(
          logged.store.update(user, base.name, { description: 'x', ...extra }),
          SecretStoreError,
        );
        expect(update).toMatchObject({ code: 'unsupported', field });
        const batch = await rejection(
          logged.store.importBatch(user, [{ ...base, ...extra } as CreateSecretInput]),
          SecretStoreError,
        );
        expect(batch).toMatchObject({ code: 'unsupported', field });
      }
      expect(logged.log).toEqual([]);
      expect(logged.store.capabilities).toEqual({
        fileOwnerAndMode: false,
        defaults: false,
        valueVersion: false,
        readValue: false,
      });
    });

    test('readValue is unsupported', async () => {
      const logged = open();
      const error = await rejection(logged.store.readValue(user, fresh()), SecretStoreError);
      expect(error.code).toBe('unsupported');
      expect(error.message).toBe(
        "Coder's API never returns secret values; inside a Coder workspace the agent injects them",
      );
      expect(logged.log).toEqual([]);
    });

    test('disabled secrets: kept without delivery where the server has "enabled"', async () => {
      const { store } = open();
      const name = fresh('dis');
      // A secret without any target must be disabled, on every server version.
      const quiet = await store.create(user, { name, value: text('v'), enabled: false });
      expect(quiet).toMatchObject({ envName: '', filePath: '', enabled: false });
      const withTarget = fresh('dis');
      const attempt = store.create(user, { name: withTarget, value: text('v'), envName: withTarget, enabled: false });
      if (store.serverFeatures.enabledField === false) {
        expect(await rejection(attempt, SecretStoreError)).toMatchObject({ code: 'unsupported', field: 'enabled' });
        await rejection(store.get(user, withTarget), SecretNotFoundError);
      } else {
        expect(await attempt).toMatchObject({ envName: withTarget, enabled: false });
        expect(await store.update(user, withTarget, { enabled: true })).toMatchObject({ enabled: true });
        const cleared = store.update(user, withTarget, { envName: '' });
        expect((await rejection(cleared, SecretValidationError)).field).toBe('env_name');
        expect(await store.update(user, withTarget, { envName: '', enabled: false })).toMatchObject({
          envName: '',
          enabled: false,
        });
      }
    });

    test('importBatch creates all (through /batch when the inputs fit an import file)', async () => {
      const { store } = open();
      const a = fresh('IMP');
      const b = fresh('IMP');
      const fit = await store.importBatch(user, [
        { name: a, value: text('alpha'), envName: a },
        { name: b, value: text('béta "quoted"\nline'), envName: b },
      ]);
      expect(fit.map((m) => [m.name, m.envName, m.enabled])).toEqual([
        [a, a, true],
        [b, b, true],
      ]);
      const c = fresh('imp');
      const d = fresh('imp');
      const rich = await store.importBatch(user, [
        { name: c, value: text('gamma'), description: 'described', filePath: `~/.coffer-test/${c}` },
        { name: d, value: text('delta'), envName: `${d}_ENV` },
      ]);
      expect(rich.map((m) => [m.name, m.description, m.filePath, m.envName])).toEqual([
        [c, 'described', `~/.coffer-test/${c}`, ''],
        [d, '', '', `${d}_ENV`],
      ]);
      expect(await store.importBatch(user, [])).toEqual([]);
    });

    test('importBatch is all or nothing and checks everything before writing', async () => {
      const logged = open();
      const taken = fresh('taken');
      await logged.store.create(user, { name: taken, value: text('v'), envName: taken });
      const before = (await logged.store.list(user)).map((m) => m.name);
      logged.log.length = 0;
      const n1 = fresh('all');
      const n2 = fresh('all');
      const conflict = await rejection(
        logged.store.importBatch(user, [
          { name: n1, value: text('1'), envName: n1 },
          { name: n2, value: text('2'), envName: taken },
        ]),
        SecretConflictError,
      );
      expect(conflict.field).toBe('env_name');
      expect(conflict.message).toContain('import item 2');
      const duplicate = await rejection(
        logged.store.importBatch(user, [
          { name: n1, value: text('1'), envName: n1 },
          { name: n1, value: text('2'), envName: n2 },
        ]),
        SecretConflictError,
      );
      expect(duplicate.field).toBe('name');
      const invalid = await rejection(
        logged.store.importBatch(user, [
          { name: n1, value: text('1'), envName: n1 },
          { name: n2, value: text('2'), envName: 'HOME' },
        ]),
        SecretValidationError,
      );
      expect(invalid.field).toBe('env_name');
      const tooMany = Array.from({ length: 51 }, (_, i) => ({
        name: `${prefix}_many_${i}`,
        value: text('v'),
        envName: `${prefix}_many_${i}`,
      }));
      expect(await rejection(logged.store.importBatch(user, tooMany), SecretStoreError)).toMatchObject({
        code: 'limit',
      });
      const heavy = Array.from({ length: 9 }, (_, i) => ({
        name: `${prefix}_heavy_${i}`,
        value: text('h'.repeat(24 * 1024)),
        enabled: false,
      }));
      expect(await rejection(logged.store.importBatch(user, heavy), SecretStoreError)).toMatchObject({
        code: 'limit',
        field: 'value',
      });
      expect(logged.writes()).toEqual([]);
      expect((await logged.store.list(user)).map((m) => m.name)).toEqual(before);
    });

    test('a secret canary never appears in errors or request logs', async () => {
      const canary = `CANARY-${randomBytes(12).toString('hex')}`;
      const logged = open();
      const errors: unknown[] = [];
      const capture = async (p: Promise<unknown>): Promise<void> => {
        try {
          await p;
        } catch (error) {
          errors.push(error);
        }
      };
      const name = fresh('canary');
      await logged.store.create(user, { name, value: text(canary), envName: name });
      await capture(logged.store.create(user, { name, value: text(canary), envName: fresh('X') }));
      await capture(logged.store.create(user, { name: fresh(), value: text(`${canary}\0`), envName: fresh('X') }));
      await capture(
        logged.store.create(user, { name: fresh(), value: text(canary.repeat(2000)), envName: fresh('X') }),
      );
      await capture(logged.store.update(user, name, { value: text(canary), envName: 'PATH' }));
      await capture(logged.store.update(user, `${name}-missing`, { value: text(canary) }));
      await capture(logged.store.importBatch(user, [{ name, value: text(canary), envName: name }]));
      await capture(logged.store.readValue(user, name));
      expect(errors.length).toBeGreaterThanOrEqual(6);
      for (const error of errors) {
        expect(String(error)).not.toContain(canary);
        expect(inspect(error, { depth: 5 })).not.toContain(canary);
        expect(JSON.stringify(error)).not.toContain(canary);
      }
      expect(JSON.stringify(logged.log)).not.toContain(canary);
      expect(JSON.stringify(logged.log)).not.toContain(target.token());
    });

    test('an unknown user and a bad token are typed errors', async () => {
      const { store } = open();
      const missing = await rejection(store.list(`nobody-${prefix}`), SecretStoreError);
      expect(['not_found', 'unauthorized', 'validation']).toContain(missing.code);
      const { store: bad } = open({ token: 'AAAAAAAAAA-BBBBBBBBBBBBBBBBBBBBBB' });
      const unauthorized = await rejection(bad.list(user), SecretStoreError);
      expect(unauthorized.code).toBe('unauthorized');
      expect(unauthorized.message).not.toContain('AAAAAAAAAA-BBBBBBBBBBBBBBBBBBBBBB');
    });
  });
}
