import {
  CoderDouble,
  parseEnv,
  parseJson,
  parseYaml,
  ParseError,
  type CoderDoubleOptions,
} from '../support/coder-double';

/** The double follows the documented Coder user-secrets API (coder-secrets-api.md §1–2). */

interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

let double: CoderDouble;

async function start(options: CoderDoubleOptions = {}): Promise<CoderDouble> {
  await double?.close();
  double = await CoderDouble.start(options);
  return double;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> | null = { 'Coder-Session-Token': double.user.token },
): Promise<Answer> {
  const response = await fetch(`${double.url}${path}`, {
    method,
    headers: { ...(headers ?? {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

const SECRETS = '/api/v2/users/me/secrets';
const create = (body: Record<string, unknown>): Promise<Answer> => call('POST', SECRETS, body);
const patch = (name: string, body: Record<string, unknown>): Promise<Answer> =>
  call('PATCH', `${SECRETS}/${encodeURIComponent(name)}`, body);
const batch = (format: string, content: string): Promise<Answer> =>
  call('POST', `${SECRETS}/batch`, { format, content });
const fieldsOf = (a: Answer): string[] => (a.body.validations ?? []).map((v: { field: string }) => v.field);

beforeEach(async () => {
  await start();
});
afterAll(async () => {
  await double.close();
});

describe('authenticateWith: tokens and users come from a real server', () => {
  // Another double plays the real server: it knows the users and their tokens.
  let upstream: CoderDouble;
  beforeEach(async () => {
    upstream = await CoderDouble.start({ users: ['alice', 'bob'] });
    await start({ authenticateWith: upstream.url });
  });
  afterEach(async () => {
    await upstream.close();
  });
  const as = (token: string) => ({ 'Coder-Session-Token': token });

  test("a token the real server accepts works; the user is the real server's", async () => {
    const alice = upstream.users[0]!;
    const created = await call('POST', SECRETS, { name: 'k', value: 'v', env_name: 'K' }, as(alice.token));
    expect(created.status).toBe(201);
    expect(double.secretsOf(alice.id).map((s) => s.name)).toEqual(['k']);
    expect((await call('GET', `/api/v2/users/${alice.username}/secrets`, undefined, as(alice.token))).status).toBe(200);
  });

  test("a token the real server refuses gets the real server's 401; an unknown user its answer", async () => {
    const refused = await call('GET', SECRETS, undefined, as('abcdefghij-0123456789012345678901'));
    expect(refused.status).toBe(401);
    const unknown = await call('GET', '/api/v2/users/nobody/secrets', undefined, as(upstream.users[0]!.token));
    expect(unknown.status).toBe(upstream.requests.at(-1)?.status);
    expect(unknown.status).not.toBe(200);
  });

  test("another user's secrets: 500 rbac: forbidden, like a real server", async () => {
    const [alice, bob] = upstream.users as [typeof upstream.user, typeof upstream.user];
    expect((await call('GET', SECRETS, undefined, as(bob.token))).status).toBe(200); // bob becomes known
    const forbidden = await call('GET', `/api/v2/users/${bob.username}/secrets`, undefined, as(alice.token));
    expect(forbidden).toEqual({ status: 500, body: { message: 'Internal error fetching secret.', detail: 'unauthorized: rbac: forbidden' } });
  });
});

describe('authentication and users', () => {
  test('401 without a token or with a wrong one, with a codersdk.Response body', async () => {
    const missing = await call('GET', SECRETS, undefined, null);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({
      message: expect.stringContaining('signed out'),
      detail: 'Cookie "coder_session_token" or query parameter must be provided.',
    });
    const wrong = await call('GET', SECRETS, undefined, { 'Coder-Session-Token': 'abcdefghij-0123456789012345678901' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.detail).toBe('API key is invalid.');
    expect((await call('GET', SECRETS, undefined, { Cookie: `coder_session_token=${double.user.token}` })).status).toBe(
      200,
    );
    expect((await call('GET', `${SECRETS}?coder_session_token=${double.user.token}`, undefined, null)).status).toBe(
      200,
    );
    expect((await call('GET', '/api/v2/buildinfo', undefined, null)).body.version).toMatch(/^v2\.36\./);
    expect(double.user.token).toMatch(/^[A-Za-z0-9]{10}-[A-Za-z0-9]{22}$/);
  });

  test('users by me, username or UUID; 404 for unknown users; 403 for somebody else', async () => {
    await create({ name: 'n', value: 'v', env_name: 'N' });
    for (const user of ['me', 'alice', double.user.id]) {
      const listed = await call('GET', `/api/v2/users/${user}/secrets`);
      expect(listed.status).toBe(200);
      expect(listed.body.map((s: { name: string }) => s.name)).toEqual(['n']);
    }
    expect(await call('GET', '/api/v2/users/nobody/secrets')).toEqual({
      status: 404,
      body: { message: 'Resource not found or you do not have access to this resource' },
    });
    expect((await call('GET', '/api/v2/users/bob/secrets')).status).toBe(403);
    expect((await call('POST', '/api/v2/users/bob/secrets', { name: 'x', value: 'v', env_name: 'X' })).status).toBe(
      403,
    );
    expect((await call('GET', '/api/v2/users/me')).body).toMatchObject({ username: 'alice', id: double.user.id });
  });
});

describe('CRUD', () => {
  test('create → 201 UserSecret without a value; get, sorted list, delete → 204, then 404', async () => {
    const created = await create({ name: 'b', value: 'secret', description: 'd', env_name: 'B', file_path: '~/b' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'b',
      description: 'd',
      env_name: 'B',
      file_path: '~/b',
      enabled: true,
      created_at: expect.any(String),
      updated_at: created.body.created_at,
    });
    expect(JSON.stringify(created.body)).not.toContain('secret"');
    for (const name of ['a', 'Z', 'é', '😀', 'ab']) await create({ name, value: 'v', enabled: false });
    const listed = await call('GET', SECRETS);
    expect(listed.body.map((s: { name: string }) => s.name)).toEqual(['Z', 'a', 'ab', 'b', 'é', '😀']);
    expect((await call('GET', `${SECRETS}/b`)).body).toEqual(created.body);
    expect((await call('GET', `${SECRETS}/${encodeURIComponent('é')}`)).body.name).toBe('é');
    const deleted = await call('DELETE', `${SECRETS}/b`);
    expect(deleted).toEqual({ status: 204, body: undefined });
    expect((await call('GET', `${SECRETS}/b`)).status).toBe(404);
    expect((await call('DELETE', `${SECRETS}/b`)).status).toBe(404);
    expect((await patch('b', { description: 'x' })).status).toBe(404);
  });

  test('PATCH: absent = unchanged, "" clears, at least one field, updated_at moves', async () => {
    const created = (await create({ name: 's', value: 'one', description: 'd', env_name: 'S', file_path: '/s' })).body;
    const described = await patch('s', { description: 'new' });
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({ description: 'new', env_name: 'S', file_path: '/s', enabled: true });
    expect(Date.parse(described.body.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));
    expect((await patch('s', { file_path: '' })).body).toMatchObject({ env_name: 'S', file_path: '' });
    await patch('s', { value: 'two' });
    expect(double.valueOf('alice', 's')).toBe('two');
    expect(await patch('s', {})).toEqual({ status: 400, body: { message: 'At least one field must be provided.' } });
    expect((await patch('s', { name: 'renamed' })).status).toBe(400); // no rename: `name` is not a PATCH field
    // Clearing the last target of an enabled secret needs enabled=false in the same PATCH.
    const noTarget = await patch('s', { env_name: '' });
    expect(noTarget.status).toBe(400);
    expect(fieldsOf(noTarget)).toEqual(['env_name']);
    expect((await patch('s', { env_name: '', enabled: false })).body).toMatchObject({ env_name: '', enabled: false });
    // Documented quirk: PATCH does not check a value for emptiness.
    expect((await patch('s', { value: '' })).status).toBe(200);
    expect(double.valueOf('alice', 's')).toBe('');
  });
});

describe('validation', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ value: 'v', env_name: 'A' }, 'name'],
    [{ name: '   ', value: 'v', env_name: 'A' }, 'name'],
    [{ name: ' x', value: 'v', env_name: 'A' }, 'name'],
    [{ name: 'a/b', value: 'v', env_name: 'A' }, 'name'],
    [{ name: 'a?b', value: 'v', env_name: 'A' }, 'name'],
    [{ name: 'a#b', value: 'v', env_name: 'A' }, 'name'],
    [{ name: 'é'.repeat(256), value: 'v', env_name: 'A' }, 'name'],
    [{ name: 'x', env_name: 'A' }, 'value'],
    [{ name: 'x', value: '', env_name: 'A' }, 'value'],
    [{ name: 'x', value: 'a\0b', env_name: 'A' }, 'value'],
    [{ name: 'x', value: 'v'.repeat(24 * 1024 + 1), env_name: 'A' }, 'value'],
    [{ name: 'x', value: 'v', env_name: '9A' }, 'env_name'],
    [{ name: 'x', value: 'v', env_name: 'A-B' }, 'env_name'],
    [{ name: 'x', value: 'v', env_name: 'A'.repeat(257) }, 'env_name'],
    [{ name: 'x', value: 'v', env_name: 'path' }, 'env_name'],
    [{ name: 'x', value: 'v', env_name: 'CODER' }, 'env_name'],
    [{ name: 'x', value: 'v', env_name: 'coder_url' }, 'env_name'],
    [{ name: 'x', value: 'v', env_name: 'LC_ALL' }, 'env_name'],
    [{ name: 'x', value: 'v', env_name: 'DYLD_X' }, 'env_name'],
    [{ name: 'x', value: 'v', file_path: 'rel' }, 'file_path'],
    [{ name: 'x', value: 'v', file_path: '~x' }, 'file_path'],
    [{ name: 'x', value: 'v', file_path: `/${'p'.repeat(4096)}` }, 'file_path'],
    [{ name: 'x', value: 'v' }, 'env_name'], // enabled by default, needs a target
  ];
  test.each(cases.map(([body, field], i) => [i, field, body] as const))(
    'case %i: 400 Validation failed. on %s',
    async (_i, field, body) => {
      const answer = await create(body);
      expect(answer.status).toBe(400);
      expect(answer.body.message).toBe('Validation failed.');
      expect(fieldsOf(answer)).toContain(field);
      expect(double.secretsOf('alice')).toEqual([]);
    },
  );

  test('limits that are fine: 255 characters, 24 KiB, 4096-byte paths, 256-byte env names', async () => {
    expect((await create({ name: '😀'.repeat(255), value: 'v'.repeat(24 * 1024), enabled: false })).status).toBe(201);
    expect((await create({ name: 'p', value: 'v', file_path: `/${'p'.repeat(4095)}` })).status).toBe(201);
    expect((await create({ name: 'e', value: 'v', env_name: 'E'.repeat(256) })).status).toBe(201);
  });

  test('several problems are reported together; values never appear in an answer', async () => {
    const answer = await create({ name: 'a/b', value: 'CANARY\0', env_name: 'HOME', file_path: 'x' });
    expect(fieldsOf(answer).sort()).toEqual(['env_name', 'file_path', 'name', 'value']);
    expect(JSON.stringify(answer.body)).not.toContain('CANARY');
    const badJson = await call('POST', SECRETS, '{"name": "x", "value": "CANARY');
    expect(badJson.status).toBe(400);
    expect(badJson.body.message).toBe('Request body must be valid JSON.');
    expect(JSON.stringify(badJson.body)).not.toContain('CANARY');
    expect((await create({ name: 'x', value: 5, env_name: 'X' })).status).toBe(400);
  });

  test('file path delivery can be turned off by the deployment', async () => {
    await start({ disableFilePath: true });
    const answer = await create({ name: 'f', value: 'v', file_path: '~/f' });
    expect(answer.status).toBe(400);
    expect(fieldsOf(answer)).toEqual(['file_path']);
    expect((await create({ name: 'e', value: 'v', env_name: 'E' })).status).toBe(201);
  });
});

describe('uniqueness per user → 409', () => {
  test('name, env_name and file_path collide; empty targets never do; other users are separate', async () => {
    await create({ name: 'a', value: 'v', env_name: 'A', file_path: '/a' });
    for (const [body, field] of [
      [{ name: 'a', value: 'v', env_name: 'OTHER' }, 'name'],
      [{ name: 'b', value: 'v', env_name: 'A' }, 'env_name'],
      [{ name: 'c', value: 'v', file_path: '/a' }, 'file_path'],
    ] as const) {
      const answer = await create(body);
      expect(answer.status).toBe(409);
      expect(answer.body.message).toBe('Validation failed.');
      expect(fieldsOf(answer)).toEqual([field]);
    }
    expect((await create({ name: 'q1', value: 'v', env_name: '', file_path: '', enabled: false })).status).toBe(201);
    expect((await create({ name: 'q2', value: 'v', env_name: '', file_path: '', enabled: false })).status).toBe(201);
    // env names are case-sensitive keys
    expect((await create({ name: 'lower', value: 'v', env_name: 'a' })).status).toBe(201);
    const bob = double.users[1];
    const asBob = await call(
      'POST',
      SECRETS,
      { name: 'a', value: 'v', env_name: 'A' },
      { 'Coder-Session-Token': bob!.token },
    );
    expect(asBob.status).toBe(201);
    await create({ name: 'b', value: 'v', env_name: 'B' });
    const patched = await patch('b', { env_name: 'A' });
    expect(patched.status).toBe(409);
    expect(fieldsOf(patched)).toEqual(['env_name']);
    expect((await patch('b', { env_name: 'B' })).status).toBe(200); // its own value is no conflict
  });
});

describe('per-user limits → 400', () => {
  test('50 secrets', async () => {
    double.seed(
      'alice',
      Array.from({ length: 50 }, (_, i) => ({ name: `s${i}`, value: 'v', enabled: false })),
    );
    const answer = await create({ name: 'x', value: 'v', enabled: false });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('User secrets limit reached.');
  });

  test('200 KiB of values in total', async () => {
    double.seed(
      'alice',
      Array.from({ length: 8 }, (_, i) => ({ name: `s${i}`, value: 'v'.repeat(25_600), enabled: false })),
    );
    expect((await create({ name: 'x', value: 'v', enabled: false })).body.message).toBe(
      'User secrets value-bytes limit reached.',
    );
    expect((await patch('s0', { value: 'v'.repeat(20_000) })).status).toBe(200);
    expect((await create({ name: 'x', value: 'v'.repeat(5_000), enabled: false })).status).toBe(201);
    expect((await patch('x', { value: 'v'.repeat(6_000) })).body.message).toBe(
      'User secrets value-bytes limit reached.',
    );
  });

  test('24 KiB of env-injected values (enabled secrets with an env_name)', async () => {
    expect((await create({ name: 'a', value: 'v'.repeat(16 * 1024), env_name: 'A' })).status).toBe(201);
    const over = await create({ name: 'b', value: 'v'.repeat(9 * 1024), env_name: 'B' });
    expect(over).toMatchObject({
      status: 400,
      body: { message: 'Environment-injected user secrets bytes limit reached.' },
    });
    expect((await create({ name: 'b', value: 'v'.repeat(9 * 1024), file_path: '/b' })).status).toBe(201);
    expect((await create({ name: 'c', value: 'v'.repeat(9 * 1024), env_name: 'C', enabled: false })).status).toBe(201);
    expect((await patch('c', { enabled: true })).body.message).toBe(
      'Environment-injected user secrets bytes limit reached.',
    );
  });

  test('bodies over 8 MiB → 413', async () => {
    const answer = await call('POST', `${SECRETS}/batch`, {
      format: 'env',
      content: `A=${'x'.repeat(8 * 1024 * 1024)}`,
    });
    expect(answer.status).toBe(413);
    expect(answer.body.message).toContain('8 MiB');
  });
});

describe('batch import', () => {
  test('env format: export, comments, quotes, escapes, inline #, trimming', async () => {
    const content = [
      '# a comment',
      '',
      'export API_KEY=abc123',
      'PLAIN =  spaced value  ',
      "SINGLE='literal \\n $HOME'",
      'DOUBLE="line1\\nline2\\t\\"q\\" \\\\"',
      'HASH=value # kept',
      'not-an-env=x',
      'PATH=reserved',
    ].join('\n');
    const answer = await batch('env', content);
    expect(answer.status).toBe(201);
    expect(
      answer.body.map((s: { name: string; env_name: string; enabled: boolean }) => [s.name, s.env_name, s.enabled]),
    ).toEqual([
      ['API_KEY', 'API_KEY', true],
      ['PLAIN', 'PLAIN', true],
      ['SINGLE', 'SINGLE', true],
      ['DOUBLE', 'DOUBLE', true],
      ['HASH', 'HASH', true],
      ['not-an-env', '', false],
      ['PATH', '', false],
    ]);
    expect(double.valueOf('alice', 'PLAIN')).toBe('spaced value');
    expect(double.valueOf('alice', 'SINGLE')).toBe('literal \\n $HOME');
    expect(double.valueOf('alice', 'DOUBLE')).toBe('line1\nline2\t"q" \\');
    expect(double.valueOf('alice', 'HASH')).toBe('value # kept');
    expect(
      answer.body.every((s: { description: string; file_path: string }) => s.description === '' && s.file_path === ''),
    ).toBe(true);
  });

  test('json and yaml formats', async () => {
    expect((await batch('json', '{"J1": "one", "J2": "two\\nlines"}')).status).toBe(201);
    expect(double.valueOf('alice', 'J2')).toBe('two\nlines');
    const yaml = [
      '---',
      'Y1: plain value # comment',
      "Y2: 'it''s'",
      'Y3: "tab\\there"',
      'Y4: |',
      '  line one',
      '  line two',
      'Y5: >-',
      '  folded',
      '  text',
      '',
    ].join('\n');
    const answer = await batch('yaml', yaml);
    expect(answer.status).toBe(201);
    expect(['Y1', 'Y2', 'Y3', 'Y4', 'Y5'].map((k) => double.valueOf('alice', k))).toEqual([
      'plain value',
      "it's",
      'tab\there',
      'line one\nline two\n',
      'folded text',
    ]);
  });

  test.each([
    ['env', 'NO_EQUALS_SIGN'],
    ['env', 'A="unterminated'],
    ['env', 'A=1\nA=2'],
    ['json', '["A"]'],
    ['json', '{"A": 1}'],
    ['json', '{"A": {"B": "c"}}'],
    ['json', '{"A": "1"} {"B": "2"}'],
    ['json', '{"A": "1", "A": "2"}'],
    ['yaml', 'A: &anchor x\nB: *anchor'],
    ['yaml', 'base: x\n<<: {A: b}'],
    ['yaml', 'A:\n  nested: x'],
    ['yaml', '- a\n- b'],
    ['yaml', 'A: [1, 2]'],
    ['yaml', 'A: x\n---\nB: y'],
    ['yaml', 'A: x\nA: y'],
  ])('%s parse error → 400 Failed to parse secrets file. (%j)', async (format, content) => {
    const answer = await batch(format, content);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe('Failed to parse secrets file.');
    expect(double.secretsOf('alice')).toEqual([]);
  });

  test('bad format, empty values and bad names fail the whole import with secrets[i] fields', async () => {
    const format = await batch('toml', 'A=1');
    expect(fieldsOf(format)).toEqual(['format']);
    const empty = await batch('env', 'A=1\nB=\nC=3');
    expect(empty.status).toBe(400);
    expect(fieldsOf(empty)).toEqual(['secrets[1].value']);
    const yamlNull = await batch('yaml', 'A: one\nB: ~');
    expect(fieldsOf(yamlNull)).toEqual(['secrets[1].value']);
    const name = await batch('json', '{"ok": "1", "a/b": "2"}');
    expect(fieldsOf(name)).toEqual(['secrets[1].name']);
    expect(double.secretsOf('alice')).toEqual([]);
  });

  test('atomic: a conflict on entry i stores nothing (409 with secrets[i].field)', async () => {
    await create({ name: 'TAKEN', value: 'v', env_name: 'TAKEN' });
    const answer = await batch('env', 'NEW1=1\nTAKEN=2\nNEW2=3');
    expect(answer.status).toBe(409);
    expect(answer.body.message).toBe('Validation failed.');
    expect(fieldsOf(answer)).toEqual(['secrets[1].name']);
    expect(double.secretsOf('alice').map((s) => s.name)).toEqual(['TAKEN']);
    await create({ name: 'other', value: 'v', env_name: 'ENVONLY' });
    expect(fieldsOf(await batch('env', 'ENVONLY=1'))).toEqual(['secrets[0].env_name']);
  });

  test('the older revision lists every colliding entry', async () => {
    await start({ batchConflictStyle: 'all' });
    await create({ name: 'A', value: 'v', env_name: 'A' });
    await create({ name: 'C', value: 'v', env_name: 'C' });
    const answer = await batch('env', 'A=1\nB=2\nC=3');
    expect(answer).toMatchObject({ status: 409, body: { message: 'Some secrets already exist.' } });
    expect(fieldsOf(answer)).toEqual(['secrets[0].name', 'secrets[2].name']);
  });

  test('limits: count and bytes with an "Entry secrets[i]" detail; more than 50 keys', async () => {
    double.seed(
      'alice',
      Array.from({ length: 49 }, (_, i) => ({ name: `s${i}`, value: 'v', enabled: false })),
    );
    const count = await batch('env', 'A=1\nB=2');
    expect(count).toMatchObject({ status: 400, body: { message: 'User secrets limit reached.' } });
    expect(count.body.detail).toMatch(/^Entry secrets\[1\] \(B\)/);
    expect(double.secretsOf('alice')).toHaveLength(49);

    await start();
    const env = await batch('json', JSON.stringify({ A: 'a'.repeat(20 * 1024), B: 'b'.repeat(5 * 1024) }));
    expect(env.body.message).toBe('Environment-injected user secrets bytes limit reached.');
    expect(env.body.detail).toMatch(/^Entry secrets\[1\] \(B\)/);
    const many = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`K${i}`, 'v']));
    expect((await batch('json', JSON.stringify(many))).status).toBe(400);
    expect((await batch('env', `A=${'x'.repeat(1024 * 1024)}`)).body.message).toBe('Failed to parse secrets file.');
    expect(double.secretsOf('alice')).toEqual([]);
  });
});

describe('older API shape (v2.33)', () => {
  test('no enabled field, enabled in requests ignored, target-less secrets allowed, no /batch', async () => {
    await start({ version: 'v2.33' });
    const quiet = await create({ name: 'q', value: 'v', enabled: false });
    expect(quiet.status).toBe(201);
    expect(quiet.body).not.toHaveProperty('enabled');
    const targeted = await create({ name: 't', value: 'v', env_name: 'T', enabled: false });
    expect(targeted.body).toMatchObject({ env_name: 'T' });
    expect(targeted.body).not.toHaveProperty('enabled');
    expect(await patch('t', { enabled: false })).toEqual({
      status: 400,
      body: { message: 'At least one field must be provided.' },
    });
    expect((await batch('env', 'A=1')).status).toBe(404);
    expect((await call('GET', '/api/v2/buildinfo')).body.version).toMatch(/^v2\.33\./);
  });
});

describe('test hooks', () => {
  test('request log, scripted faults and test-only value access', async () => {
    double.failNext({ method: 'GET', path: '/secrets', status: 503, times: 2 });
    expect((await call('GET', SECRETS)).status).toBe(503);
    expect((await call('GET', SECRETS)).status).toBe(503);
    expect((await call('GET', SECRETS)).status).toBe(200);
    await create({ name: 'x', value: 'v', env_name: 'X' });
    expect(double.requests).toEqual([
      { method: 'GET', path: SECRETS, status: 503 },
      { method: 'GET', path: SECRETS, status: 503 },
      { method: 'GET', path: SECRETS, status: 200 },
      { method: 'POST', path: SECRETS, status: 201 },
    ]);
    expect(double.writes()).toEqual([{ method: 'POST', path: SECRETS, status: 201 }]);
    expect(double.valueOf('alice', 'x')).toBe('v');
    expect(double.valueOf('alice', 'missing')).toBeUndefined();
    double.failNext({ method: 'GET', reset: true });
    await expect(call('GET', SECRETS)).rejects.toThrow();
  });
});

describe('parsers', () => {
  test('env', () => {
    expect(parseEnv('\uFEFFA=1\r\n  # c\r\nexport  B = "x\\ty" \n')).toEqual([
      { key: 'A', value: '1' },
      { key: 'B', value: 'x\ty' },
    ]);
    expect(() => parseEnv('A="bad \\q escape"')).toThrow(ParseError);
    expect(() => parseEnv("A='x' trailing")).toThrow(ParseError);
    expect(parseEnv('A=$OTHER')).toEqual([{ key: 'A', value: '$OTHER' }]);
  });

  test('json', () => {
    expect(parseJson(' { } ')).toEqual([]);
    expect(parseJson('{"a\\u00e9": "\\ud83d\\ude00"}')).toEqual([{ key: 'aé', value: '😀' }]);
    expect(() => parseJson('{"a": "1",}')).toThrow(ParseError);
    expect(() => parseJson('{"a": null}')).toThrow(ParseError);
    expect(() => parseJson('')).toThrow(ParseError);
  });

  test('yaml', () => {
    expect(parseYaml('"quoted key": v\n\'single\': w')).toEqual([
      { key: 'quoted key', value: 'v' },
      { key: 'single', value: 'w' },
    ]);
    expect(parseYaml('A: |+\n  keep\n\nB: x')).toEqual([
      { key: 'A', value: 'keep\n\n' },
      { key: 'B', value: 'x' },
    ]);
    expect(parseYaml('A: >\n  one\n  two\n\n  three\n')).toEqual([{ key: 'A', value: 'one two\nthree\n' }]);
    expect(parseYaml('A: |2\n    indented\n  base\n')).toEqual([{ key: 'A', value: '  indented\nbase\n' }]);
    expect(parseYaml('A: 8080\nB: true')).toEqual([
      { key: 'A', value: '8080' },
      { key: 'B', value: 'true' },
    ]);
    expect(parseYaml('A: "multi\n  line"')).toEqual([{ key: 'A', value: 'multi line' }]);
    expect(parseYaml('A: url#not-a-comment')).toEqual([{ key: 'A', value: 'url#not-a-comment' }]);
    expect(parseYaml('A: "\\u00e9\\x41"')).toEqual([{ key: 'A', value: 'éA' }]);
    expect(parseYaml('A: x\n...\n# trailing comment\n')).toEqual([{ key: 'A', value: 'x' }]);
    for (const bad of [
      'A: !!str x',
      '&a A: x',
      'A: x\n  B: y',
      '? complex\n: x',
      'A: "unterminated',
      '%YAML 1.2\n---\nA: x',
    ]) {
      expect(() => parseYaml(bad)).toThrow(ParseError);
    }
  });
});
