/**
 * The CLI on a real pseudo-terminal: the hidden value prompt (typed value stored, never echoed),
 * delete confirmation, Ctrl-C. Uses python3's pty module, and util-linux `script` once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { buildCli, makeSandbox, runCli, runCliOnPty, type CliBundle, type Sandbox } from './fixtures/cli-helpers';

let cli: CliBundle;
let sb: Sandbox;

beforeAll(() => {
  cli = buildCli();
});
afterAll(() => cli.cleanup());
beforeEach(() => {
  sb = makeSandbox('cli-tty');
});
afterEach(() => sb.cleanup());

const TYPED = 'typed-Secret-ü-42';

async function stored(name: string): Promise<string | undefined> {
  const store = sb.store();
  try {
    return (await store.readValue('me', name)).reveal();
  } catch {
    return undefined;
  } finally {
    await store.close();
  }
}

describe('hidden prompt', () => {
  test('create on a terminal asks for the value without echoing it, and stores exactly what was typed', async () => {
    const r = runCliOnPty(
      cli,
      sb,
      ['secret', 'create', 'api', '--env', 'API_KEY'],
      [{ expect: 'input hidden): ', send: `${TYPED}\r` }],
    );
    expect(r.pending).toBe(0);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/Value for secret "api" \(input hidden\): \r?\nCreated secret api\./);
    expect(r.output).not.toContain(TYPED);
    expect(r.output).not.toContain('typed');
    expect(await stored('api')).toBe(TYPED);
  });

  test('backspace and Ctrl-U edit the hidden input', async () => {
    const r = runCliOnPty(
      cli,
      sb,
      ['secret', 'create', 'e', '--env', 'E'],
      [{ expect: 'input hidden): ', send: 'wrong\x15abX\x7fc\r' }],
    );
    expect(r.code).toBe(0);
    expect(await stored('e')).toBe('abc');
  });

  test('Ctrl-C cancels with exit 130 and stores nothing', async () => {
    const r = runCliOnPty(
      cli,
      sb,
      ['secret', 'create', 'c', '--env', 'C'],
      [{ expect: 'input hidden): ', send: 'partial\x03' }],
    );
    expect(r.code).toBe(130);
    expect(r.output).toMatch(/coffer: cancelled/);
    expect(r.output).not.toContain('partial');
    expect(await stored('c')).toBeUndefined();
  });

  test('update without flags prompts on a terminal; with metadata flags it does not', async () => {
    expect(runCli(cli, sb, ['secret', 'create', 'u', '--env', 'U'], { input: 'v1' }).status).toBe(0);
    const prompted = runCliOnPty(
      cli,
      sb,
      ['secret', 'update', 'u'],
      [{ expect: 'input hidden): ', send: `${TYPED}\r` }],
    );
    expect(prompted.code).toBe(0);
    expect(prompted.output).not.toContain(TYPED);
    expect(await stored('u')).toBe(TYPED);
    const metadataOnly = runCliOnPty(cli, sb, ['secret', 'update', 'u', '--description', 'd'], []);
    expect(metadataOnly.code).toBe(0);
    expect(metadataOnly.output).not.toMatch(/input hidden/);
  });

  test('an empty answer is a usage error', () => {
    const r = runCliOnPty(
      cli,
      sb,
      ['secret', 'create', 'x', '--env', 'X'],
      [{ expect: 'input hidden): ', send: '\r' }],
    );
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/no value entered/);
  });

  test('backend register --store-credential prompts without echo too', async () => {
    const r = runCliOnPty(
      cli,
      sb,
      [
        'backend',
        'register',
        'prod',
        '--kind',
        'coder',
        '--url',
        'https://coder.example.com',
        '--store-credential',
        'session-token',
      ],
      [{ expect: 'input hidden): ', send: `${TYPED}\r` }],
    );
    expect(r.code).toBe(0);
    expect(r.output).not.toContain(TYPED);
    const credentials = sb.credentials();
    expect((await credentials.read('prod', 'session-token'))?.reveal()).toBe(TYPED);
    await credentials.close();
  });

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  (hasScript ? test : test.skip)('through util-linux script(1) as well', async () => {
    const command = `"${process.execPath}" "${cli.file}" secret create s --env S`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      env: sb.env,
      cwd: sb.dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    for (let i = 0; i < 400 && !output.includes('input hidden): '); i++) await new Promise((r) => setTimeout(r, 25));
    child.stdin.write(`${TYPED}\r`);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.destroy();
    expect(code).toBe(0);
    expect(output).toMatch(/Created secret s\./);
    expect(output).not.toContain(TYPED);
    expect(await stored('s')).toBe(TYPED);
  });
});

describe('delete confirmation', () => {
  beforeEach(() => {
    expect(runCli(cli, sb, ['secret', 'create', 'd', '--env', 'D'], { input: 'v' }).status).toBe(0);
  });

  test('"y" deletes', async () => {
    const r = runCliOnPty(cli, sb, ['secret', 'delete', 'd'], [{ expect: '[y/N] ', send: 'y\r' }]);
    expect(r.code).toBe(0);
    expect(r.output).toMatch(/Delete secret "d" of user "dev"\? \[y\/N\] .*Deleted secret d\./s);
    expect(await stored('d')).toBeUndefined();
  });

  test('anything else keeps the secret and exits 1', async () => {
    const r = runCliOnPty(cli, sb, ['secret', 'delete', 'd'], [{ expect: '[y/N] ', send: 'n\r' }]);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/Not deleted\./);
    expect(await stored('d')).toBe('v');
  });
});
