/**
 * Store tamper matrix (issue #8): every file of the embedded store deleted, emptied, truncated or
 * with one byte flipped, at several points in the store's life. Each case opens the store afresh,
 * lists, reads every value and writes; an operation may fail, but none may succeed with wrong data
 * (a missing, stale or extra secret, a wrong value, or a write after which data is lost).
 * Figures go to $COFFER_RELIABILITY_DIR (default: the temp dir)/store-tamper.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalSecretStore } from '../../src/client/backends/local';
import { SecretStoreError } from '../../src/client/errors';
import { SecretText } from '../../src/client/secret-text';
import { copyLegacyStore } from '../unit/fixtures/local-store-helpers';

jest.setTimeout(600_000);

type Expected = Map<string, string>;

interface LifePoint {
  readonly name: string;
  readonly home: string;
  readonly identity: string;
  readonly expected: Expected;
}

let work: string;
const points: LifePoint[] = [];

function store(home: string, identity: string, options: { compactMinBytes?: number; compactRatio?: number } = {}): LocalSecretStore {
  return new LocalSecretStore({ home, identity, env: {}, ...options });
}

async function build(name: string, steps: (s: LocalSecretStore, expected: Expected) => Promise<void>, options = {}): Promise<void> {
  const home = path.join(work, name);
  const expected: Expected = new Map();
  await steps(store(home, 'tester', options), expected);
  points.push({ name, home, identity: 'tester', expected });
}

async function put(s: LocalSecretStore, expected: Expected, name: string, value: string): Promise<void> {
  if (expected.has(name)) await s.update('me', name, { value: new SecretText(value) });
  else await s.create('me', { name, value: new SecretText(value), envName: name.toUpperCase() });
  expected.set(name, value);
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-tamper-'));
  await build('new store (journal only)', async (s, e) => {
    for (const n of ['a', 'b', 'c']) await put(s, e, n, `${n}-1`);
  });
  await build('right after compaction', async (s, e) => {
    await put(s, e, 'a', 'a-0');
    await put(s, e, 'b', 'b-0');
    for (let i = 1; i <= 12; i++) await put(s, e, 'a', `a-${i}`);
  }, { compactMinBytes: 1500, compactRatio: 1 });
  await build('after compaction with records after it', async (s, e) => {
    await put(s, e, 'a', 'a-0');
    for (let i = 1; i <= 12; i++) await put(s, e, 'a', `a-${i}`);
    const late = store(path.join(work, 'after compaction with records after it'), 'tester', { compactMinBytes: 1e9 });
    await put(late, e, 'b', 'b-late');
    await put(late, e, 'a', 'a-late');
  }, { compactMinBytes: 1500, compactRatio: 1 });
  // A format-1 store adopted by one write.
  const home = copyLegacyStore(path.join(work, 'format-1 store after adoption'));
  const expected: Expected = new Map([
    ['alpha', 'alpha-v12'],
    ['gamma', 'gamma-after-compaction'],
    ['beta', 'beta-again'],
  ]);
  const legacy = store(home, 'legacy');
  await legacy.create('me', { name: 'delta', value: new SecretText('delta-1'), envName: 'DELTA' });
  expected.set('delta', 'delta-1');
  points.push({ name: 'format-1 store after adoption', home, identity: 'legacy', expected });
});

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

type Tamper = (file: string) => void;

function tampers(size: number): [string, Tamper][] {
  const flip = (at: number): Tamper => (file) => {
    const bytes = fs.readFileSync(file);
    bytes[at] = (bytes[at] as number) ^ 0x01;
    fs.writeFileSync(file, bytes);
  };
  const list: [string, Tamper][] = [
    ['deleted', (f) => fs.unlinkSync(f)],
    ['emptied', (f) => fs.truncateSync(f, 0)],
    ['last byte cut', (f) => fs.truncateSync(f, size - 1)],
    ['cut to half', (f) => fs.truncateSync(f, Math.floor(size / 2))],
  ];
  for (const [label, at] of [['first', 0], ['middle', Math.floor(size / 2)], ['second-last', size - 2], ['last', size - 1]] as const) {
    if (at >= 0 && at < size) list.push([`${label} byte flipped`, flip(at)]);
  }
  return list;
}

type Outcome = 'correct' | 'failed' | 'WRONG';

/** Runs one operation: an error is an honest failure, a wrong answer is the one thing that must not happen. */
async function outcome(run: () => Promise<boolean>): Promise<Outcome> {
  try {
    return (await run()) ? 'correct' : 'WRONG';
  } catch (error) {
    if (!(error instanceof SecretStoreError)) throw error;
    return 'failed';
  }
}

async function matches(s: LocalSecretStore, expected: Expected): Promise<boolean> {
  const names = (await s.list('me')).map((m) => m.name).sort();
  if (JSON.stringify(names) !== JSON.stringify([...expected.keys()].sort())) return false;
  for (const [name, value] of expected) if ((await s.readValue('me', name)).reveal() !== value) return false;
  return true;
}

it('never answers with wrong data after any file of the store is tampered with', async () => {
  const rows: { point: string; file: string; tamper: string; list: Outcome; read: Outcome; write: Outcome }[] = [];
  for (const point of points) {
    const files = fs.readdirSync(path.join(point.home, 'store')).filter((f) => !f.includes('.tmp'));
    expect(files).toContain('manifest');
    for (const file of files) {
      const size = fs.statSync(path.join(point.home, 'store', file)).size;
      for (const [tamper, apply] of tampers(size)) {
        const home = path.join(work, 'case');
        fs.rmSync(home, { recursive: true, force: true });
        fs.cpSync(point.home, home, { recursive: true });
        apply(path.join(home, 'store', file));
        const s = store(home, point.identity);
        const list = await outcome(async () => {
          const names = (await s.list('me')).map((m) => m.name).sort();
          return JSON.stringify(names) === JSON.stringify([...point.expected.keys()].sort());
        });
        const read = await outcome(async () => {
          for (const [name, value] of point.expected) if ((await s.readValue('me', name)).reveal() !== value) return false;
          return true;
        });
        const write = await outcome(async () => {
          await store(home, point.identity).create('me', { name: 'probe', value: new SecretText('probe'), envName: 'PROBE' });
          return matches(store(home, point.identity), new Map([...point.expected, ['probe', 'probe']]));
        });
        rows.push({ point: point.name, file, tamper, list, read, write });
      }
    }
  }
  const silent = rows.filter((r) => r.list === 'WRONG' || r.read === 'WRONG' || r.write === 'WRONG');
  const detected = rows.filter(
    (r) => !silent.includes(r) && (r.list === 'failed' || r.read === 'failed' || r.write === 'failed'),
  );
  const figures = {
    cases: rows.length,
    life_points: points.map((p) => p.name),
    detected: detected.length,
    all_correct: rows.length - detected.length - silent.length,
    silent_wrong: silent.length,
    writes_refused: rows.filter((r) => r.write === 'failed').length,
    silent_cases: silent,
  };
  const outDir = process.env.COFFER_RELIABILITY_DIR || os.tmpdir();
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'store-tamper.json'), `${JSON.stringify({ ...figures, rows }, null, 2)}\n`);
  expect(rows.length).toBeGreaterThan(100);
  expect(silent).toEqual([]);
});
