import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BackendUnavailableError } from '../../src/client/errors';
import { LocalSecretStore } from '../../src/client/backends/local';
import { FileLock, UNVERIFIABLE_STALE_MS, type LockOwner } from '../../src/client/backends/local/file-lock';
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

function plantLock(lockPath: string, owner: Partial<LockOwner> & { pid: number }): void {
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

  it('does not break a live holder’s lock, nor a recent one from another host', async () => {
    const lockPath = path.join(dir, 'lock');
    plantLock(lockPath, { pid: process.pid });
    await expect(new FileLock(lockPath, { timeoutMs: 200 }).withLock(() => undefined)).rejects.toBeInstanceOf(
      BackendUnavailableError,
    );
    plantLock(lockPath, { pid: await deadPid(), host: `not-${os.hostname()}` });
    await expect(new FileLock(lockPath, { timeoutMs: 200 }).withLock(() => undefined)).rejects.toThrow(/timed out/);
    expect(fs.existsSync(lockPath)).toBe(true);
  });

  it('breaks a lock from another host once it is far older than any critical section', async () => {
    const lockPath = path.join(dir, 'lock');
    plantLock(lockPath, { pid: process.pid, host: `not-${os.hostname()}` });
    const old = (Date.now() - UNVERIFIABLE_STALE_MS - 5000) / 1000;
    fs.utimesSync(lockPath, old, old);
    await new FileLock(lockPath, { timeoutMs: 2000 }).withLock(() => undefined);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  const linux = fs.existsSync('/proc/self/stat') ? it : it.skip;

  linux('breaks a lock whose pid was reused by a later process (a restarted container)', async () => {
    const lockPath = path.join(dir, 'lock');
    // Our own pid is alive, but not the process that took this lock: its start time differs.
    plantLock(lockPath, { pid: process.pid, start: '1' });
    await new FileLock(lockPath, { timeoutMs: 2000 }).withLock(() => undefined);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  linux('breaks a lock whose holder is a zombie its parent has not reaped yet', async () => {
    const lockPath = path.join(dir, 'lock');
    // The background job exits after its parent has exec'd `sleep`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number(
        await new Promise<string>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(d.toString()))),
      );
      for (let i = 0; i < 200 && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).toContain(') Z ');
      plantLock(lockPath, { pid });
      await new FileLock(lockPath, { timeoutMs: 2000 }).withLock(() => undefined);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      parent.kill('SIGKILL');
    }
  });

  linux('breaks a lock taken before a reboot', async () => {
    const lockPath = path.join(dir, 'lock');
    plantLock(lockPath, { pid: process.pid, boot: '00000000-0000-0000-0000-000000000000' });
    await new FileLock(lockPath, { timeoutMs: 2000 }).withLock(() => undefined);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  linux('records boot id and start time, so a live holder is recognised as alive', async () => {
    const lockPath = path.join(dir, 'lock');
    const holder = new FileLock(lockPath, { timeoutMs: 1000 });
    await holder.withLock(() => {
      const owner = JSON.parse(fs.readFileSync(lockPath, 'utf8')) as Record<string, unknown>;
      expect(owner).toMatchObject({ pid: process.pid, host: os.hostname() });
      expect(typeof owner.boot).toBe('string');
      expect(owner.start).toMatch(/^\d+$/);
      expect(new FileLock(lockPath, { timeoutMs: 1000 }).tryAcquire()).toBe(false);
      expect(fs.existsSync(lockPath)).toBe(true);
    });
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
      // If the crasher was the last to run, its stale lock is still there; it must be breakable.
      await new FileLock(lockPath, { timeoutMs: 2000 }).withLock(() => undefined);
      expect(fs.readdirSync(dir).sort()).toEqual(['counter']);
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
