/**
 * Several real processes on one store, as OpenTofu runs several provider processes at once. The
 * children load an esbuild bundle of the backend, since the test runner's TypeScript transform is
 * not available to a plain `node` child.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalSecretStore } from '../../src/client/backends/local';
import { scanLines } from '../../src/client/backends/local/journal';
import { SecretText } from '../../src/client/secret-text';
import { buildBundle, copyLegacyStore, makeTempDir, runChild, sweepKillPoints, valueFor } from './fixtures/local-store-helpers';

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

describe('a writer killed during append, manifest write, compaction and adoption', () => {
  // A sample of the kill points; test/reliability/store-crash-points.test.ts tries every one.
  it.each([
    ['a new store', newHome],
    ['a format-1 store', () => copyLegacyStore(newHome())],
  ])('%s: recovers silently, keeps every acknowledged value, and writes on', async (_label, makeHome) => {
    const sweep = await sweepKillPoints(bundle, makeHome, { rounds: 5, step: 5 });
    expect(sweep.tried).toBeGreaterThan(10);
  }, 300_000);
});
