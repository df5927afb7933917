import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BackendUnavailableError } from '../../src/client/errors';
import { LocalSecretStore } from '../../src/client/backends/local';
import { FileLock } from '../../src/client/backends/local/file-lock';
import { SecretText } from '../../src/client/secret-text';
import { buildBundle, deadPid, makeTempDir, runChild } from './fixtures/local-store-helpers';

jest.setTimeout(120_000);

let dir: string;

beforeEach(() => {
  dir = makeTempDir('lock');
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function plantLock(lockPath: string, owner: { pid: number; host?: string; token?: string }): void {
  fs.writeFileSync(lockPath, JSON.stringify({ host: os.hostname(), token: 'deadbeef', ...owner }));
}

describe('FileLock', () => {
  it('is exclusive and released after the critical section, also when it throws', async () => {
    const lockPath = path.join(dir, 'lock');
    const a = new FileLock(lockPath, { timeoutMs: 1000 });
    const b = new FileLock(lockPath, { timeoutMs: 1000 });
    await a.withLock(() => {
      expect(fs.existsSync(lockPath)).toBe(true);
      expect(b.tryAcquire()).toBe(false);
    });
    expect(fs.existsSync(lockPath)).toBe(false);
    await expect(
      a.withLock(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(fs.existsSync(lockPath)).toBe(false);
    expect(b.tryAcquire()).toBe(true);
    b.release();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('breaks a lock whose pid is dead', async () => {
    const lockPath = path.join(dir, 'lock');
    plantLock(lockPath, { pid: await deadPid() });
    const lock = new FileLock(lockPath, { timeoutMs: 2000 });
    let ran = false;
    await lock.withLock(() => {
      ran = true;
      expect(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    });
    expect(ran).toBe(true);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('breaks a lock file whose content was lost in a machine crash', async () => {
    const lockPath = path.join(dir, 'lock');
    fs.writeFileSync(lockPath, '');
    await new FileLock(lockPath, { timeoutMs: 2000 }).withLock(() => undefined);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('skips a break claim left by a breaker that died', async () => {
    const lockPath = path.join(dir, 'lock');
    const dead = await deadPid();
    plantLock(lockPath, { pid: dead, token: 'feed' });
    plantLock(`${lockPath}.break.feed.1`, { pid: dead, token: 'beef' });
    await new FileLock(lockPath, { timeoutMs: 2000 }).withLock(() => undefined);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('does not break a live holder’s lock, nor one from another host', async () => {
    const lockPath = path.join(dir, 'lock');
    plantLock(lockPath, { pid: process.pid });
    await expect(new FileLock(lockPath, { timeoutMs: 200 }).withLock(() => undefined)).rejects.toBeInstanceOf(BackendUnavailableError);
    plantLock(lockPath, { pid: await deadPid(), host: `not-${os.hostname()}` });
    await expect(new FileLock(lockPath, { timeoutMs: 200 }).withLock(() => undefined)).rejects.toThrow(/timed out/);
    expect(fs.existsSync(lockPath)).toBe(true);
  });

  it('excludes processes from each other, including while they break a stale lock of a crashed holder', async () => {
    const workDir = makeTempDir('lock-procs');
    try {
      const bundle = buildBundle(workDir);
      const lockPath = path.join(dir, 'lock');
      const counter = path.join(dir, 'counter');
      fs.writeFileSync(counter, '0');
      // All four start by finding the same stale lock; one of them later dies holding the lock.
      plantLock(lockPath, { pid: await deadPid() });
      const perProcess = 150;
      const crashAt = 40;
      const runs = [
        runChild(bundle, ['count', lockPath, counter, perProcess, crashAt]),
        ...[1, 2, 3].map(() => runChild(bundle, ['count', lockPath, counter, perProcess])),
      ];
      const results = await Promise.all(runs.map((r) => r.exited));
      expect(results.map((r) => [r.code, r.stderr])).toEqual([0, 0, 0, 0].map((code) => [code, '']));
      expect(Number(fs.readFileSync(counter, 'utf8'))).toBe(3 * perProcess + crashAt + 1);
      expect(fs.existsSync(lockPath)).toBe(false);
    } finally {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  });
});

describe('LocalSecretStore and a stale lock', () => {
  it('breaks the lock of a dead process and writes', async () => {
    const home = path.join(dir, 'home');
    const store = new LocalSecretStore({ home, identity: 'alice', env: {}, lockTimeoutMs: 2000 });
    await store.create('me', { name: 'a', value: new SecretText('v'), envName: 'A' });
    const lockPath = path.join(store.storeDir, 'lock');
    plantLock(lockPath, { pid: await deadPid() });
    await store.create('me', { name: 'b', value: new SecretText('w'), envName: 'B' });
    expect(fs.existsSync(lockPath)).toBe(false);
    expect((await store.list('me')).map((s) => s.name)).toEqual(['a', 'b']);
  });
});
