/**
 * Several real processes on one store, as OpenTofu runs several provider processes at once. The
 * children load an esbuild bundle of the backend, since the test runner's TypeScript transform is
 * not available to a plain `node` child.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalSecretStore, verifyStoreDir } from '../../src/client/backends/local';
import { scanLines } from '../../src/client/backends/local/journal';
import { SecretText } from '../../src/client/secret-text';
import { buildBundle, makeTempDir, runChild, valueFor } from './fixtures/local-store-helpers';

jest.setTimeout(120_000);

let workDir: string;
let bundle: string;
let homes: string[] = [];

beforeAll(() => {
  workDir = makeTempDir('procs');
  bundle = buildBundle(workDir);
});

afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});

afterEach(() => {
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
  homes = [];
});

function newHome(): string {
  const home = makeTempDir('procs-home');
  homes.push(home);
  return home;
}

function open(home: string): LocalSecretStore {
  return new LocalSecretStore({ home, identity: 'tester', env: {} });
}

function journalPath(home: string): string {
  const dir = path.join(home, 'store');
  const journals = fs.readdirSync(dir).filter((f) => /^journal\.\d+$/.test(f));
  expect(journals).toHaveLength(1);
  return path.join(dir, journals[0] as string);
}

it('keeps every write of 4 processes creating 100 secrets each at the same time', async () => {
  const home = newHome();
  const runs = ['p0', 'p1', 'p2', 'p3'].map((prefix) => runChild(bundle, ['create', home, prefix, 100]));
  const results = await Promise.all(runs.map((r) => r.exited));
  for (const result of results) expect(result).toEqual({ code: 0, signal: null, stderr: '' });
  expect(runs.map((r) => r.lines.length)).toEqual([100, 100, 100, 100]);

  const store = open(home);
  const listed = await store.list('me');
  expect(listed).toHaveLength(400);
  expect(new Set(listed.map((s) => s.id)).size).toBe(400);
  for (const prefix of ['p0', 'p1', 'p2', 'p3']) {
    for (let i = 0; i < 100; i++) {
      const name = `${prefix}-${i}`;
      expect((await store.readValue('me', name)).reveal()).toBe(valueFor(name));
    }
  }
  // The journal is whole: header plus one record per create, nothing torn.
  const bytes = fs.readFileSync(journalPath(home));
  const scan = scanLines(bytes, 0);
  expect(scan.validEnd).toBe(bytes.length);
  expect(scan.lines).toHaveLength(401);
  expect(fs.existsSync(path.join(home, 'store', 'lock'))).toBe(false);
});

it('lets exactly one of several racing processes create each name', async () => {
  const home = newHome();
  const runs = [0, 1, 2, 3].map(() => runChild(bundle, ['race', home, 40]));
  const results = await Promise.all(runs.map((r) => r.exited));
  for (const result of results) expect(result.code).toBe(0);
  const lines = runs.flatMap((r) => r.lines);
  expect(lines).toHaveLength(160);
  for (let i = 0; i < 40; i++) {
    const outcomes = lines.filter((l) => l.endsWith(` shared-${i}`)).map((l) => l.split(' ')[0]);
    expect(outcomes.sort()).toEqual(['conflict', 'conflict', 'conflict', 'ok']);
  }
  expect(await open(home).list('me')).toHaveLength(40);
});

it('keeps every acknowledged write when a writer is killed with SIGKILL mid-stream', async () => {
  const home = newHome();
  const acknowledged: string[] = [];
  // Kill at several points; each round continues in the same store after the previous crash.
  for (const [round, killAfter] of [30, 150, 333].entries()) {
    const run = runChild(bundle, ['create', home, `r${round}`, 500]);
    run.onLine((_line, count) => {
      if (count === killAfter) run.child.kill('SIGKILL');
    });
    const result = await run.exited;
    expect(result.signal).toBe('SIGKILL');
    expect(run.lines.length).toBeGreaterThanOrEqual(killAfter);
    expect(run.lines.length).toBeLessThan(500);
    acknowledged.push(...run.lines);

    // A fresh store (as the next tofu run would open) reads every acknowledged secret.
    const store = open(home);
    const listed = new Map((await store.list('me')).map((s) => [s.name, s]));
    for (const name of acknowledged) {
      const meta = listed.get(name);
      expect(meta).toMatchObject({ name, user: 'tester', enabled: true, valueVersion: 1 });
      expect((await store.readValue('me', name)).reveal()).toBe(valueFor(name));
    }
    // At most the one write in flight may have been committed without its acknowledgement.
    expect(listed.size - acknowledged.length).toBeGreaterThanOrEqual(0);
    expect(listed.size - acknowledged.length).toBeLessThanOrEqual(round + 1);

    // The next write works: a stale lock is broken and a torn tail is cut.
    await store.create('me', {
      name: `after-${round}`,
      value: new SecretText(valueFor(`after-${round}`)),
      envName: `AFTER_${round}`,
    });
    acknowledged.push(`after-${round}`);
    const bytes = fs.readFileSync(journalPath(home));
    expect(scanLines(bytes, 0).validEnd).toBe(bytes.length);
    expect(fs.existsSync(path.join(home, 'store', 'lock'))).toBe(false);
  }
  const final = open(home);
  for (const name of acknowledged) expect((await final.readValue('me', name)).reveal()).toBe(valueFor(name));
});

describe('a writer killed at every step of append, manifest write, compaction and adoption', () => {
  const ROUNDS = 5;
  const LEGACY_FIXTURE = path.resolve(__dirname, '..', 'fixtures', 'legacy-store-v1');

  function legacyHome(): string {
    const home = newHome();
    const dir = path.join(home, 'store');
    fs.mkdirSync(dir, { mode: 0o700 });
    for (const name of ['key', 'snapshot', 'journal.2']) {
      fs.copyFileSync(path.join(LEGACY_FIXTURE, name), path.join(dir, name));
      fs.chmodSync(path.join(dir, name), 0o600);
    }
    return home;
  }

  /** Runs the child to its end once, to learn how many mutating calls the sequence makes. */
  async function callCount(makeHome: () => string): Promise<number> {
    const home = makeHome();
    const run = runChild(bundle, ['crashat', home, 0, 0, ROUNDS]);
    const result = await run.exited;
    expect(result).toEqual({ code: 0, signal: null, stderr: '' });
    // The sequence must cross a compaction, or its kill points would not cover it.
    expect(fs.readFileSync(path.join(home, 'store', 'snapshot'), 'utf8')).toContain('"format":2');
    const line = run.lines.find((l) => l.startsWith('calls '));
    return Number(line?.slice('calls '.length));
  }

  // Every kill point; a write at the kill point puts half its bytes down first (a torn write).
  it.each([
    ['a new store', newHome],
    ['a format-1 store', legacyHome],
  ])('%s: recovers silently, keeps every acknowledged value, and writes on', async (_label, makeHome) => {
    const half = true;
    const total = await callCount(makeHome);
    expect(total).toBeGreaterThan(ROUNDS * 4);
    let killed = 0;
    for (let killAt = 1; killAt <= total; killAt++) {
      const home = makeHome();
      const run = runChild(bundle, ['crashat', home, killAt, half ? 1 : 0, ROUNDS]);
      const result = await run.exited;
      expect({ killAt, signal: result.signal }).toEqual({ killAt, signal: 'SIGKILL' });
      killed++;
      const acked = new Map<string, string>();
      let inFlight: [string, string] | undefined;
      for (const line of run.lines) {
        const [kind, name, value] = line.split(' ') as [string, string, string];
        if (kind === 'try') inFlight = [name, value];
        if (kind === 'ack') {
          acked.set(name, value);
          inFlight = undefined;
        }
      }
      // A crash before the acknowledgement is never reported as damage: reads just work.
      const store = open(home);
      const names = (await store.list('me')).map((s) => s.name);
      for (const [name, value] of acked) {
        expect({ killAt, name, listed: names.includes(name) }).toEqual({ killAt, name, listed: true });
        const read = (await store.readValue('me', name)).reveal();
        const allowed = inFlight?.[0] === name ? [value, inFlight[1]] : [value];
        expect({ killAt, name, ok: allowed.includes(read) }).toEqual({ killAt, name, ok: true });
      }
      await store.create('me', { name: 'after', value: new SecretText('after'), envName: 'AFTER' });
      expect((await open(home).readValue('me', 'after')).reveal()).toBe('after');
      expect(verifyStoreDir(path.join(home, 'store'))).toMatchObject({ ok: true, problems: [] });
      fs.rmSync(home, { recursive: true, force: true });
    }
    expect(killed).toBe(total);
  }, 300_000);
});
