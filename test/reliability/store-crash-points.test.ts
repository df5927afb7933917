/**
 * Every kill point of the embedded store's writes: a writer SIGKILLed before each mutating
 * file-system call (a write at that point torn in half) during appends, manifest writes, a
 * compaction and the adoption of a format-1 store. Never an integrity error, never a lost
 * acknowledged value. Figures go to $COFFER_RELIABILITY_DIR (default: the temp dir)/store-crash-points.json.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBundle, copyLegacyStore, makeTempDir, sweepKillPoints } from '../unit/fixtures/local-store-helpers';

jest.setTimeout(900_000);

let work: string;
let bundle: string;
let count = 0;
const figures: Record<string, { kill_points: number; tried: number }> = {};

beforeAll(() => {
  work = makeTempDir('crash-points');
  bundle = buildBundle(work);
});

afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  const outDir = process.env.COFFER_RELIABILITY_DIR || os.tmpdir();
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'store-crash-points.json'), `${JSON.stringify(figures, null, 2)}\n`);
});

const newHome = (): string => path.join(work, `home-${count++}`);

it.each([
  ['new store', newHome],
  ['format-1 store', () => copyLegacyStore(newHome())],
])('%s: every kill point recovers silently with every acknowledged value', async (label, makeHome) => {
  const sweep = await sweepKillPoints(bundle, makeHome, { rounds: 6, step: 1 });
  figures[label] = { kill_points: sweep.total, tried: sweep.tried };
  expect(sweep.tried).toBe(sweep.total);
});
