/** The one backend precedence shared by the CLI and the provider (src/client/backend-selection.ts). */
import { selectBackend } from '../../src/client/backend-selection';
import type { CofferConfig } from '../../src/client/profiles';

const config: CofferConfig = {
  current: 'cur',
  backends: { team: { kind: 'vault', url: 'https://bao.example.com' }, cur: { kind: 'local', home: '/c' }, vault: { kind: 'vault' } },
};
const empty: CofferConfig = { backends: {} };

describe('selectBackend', () => {
  test('flag > COFFER_PROFILE > COFFER_BACKEND > current > local, each reporting where it came from', () => {
    const env = { COFFER_PROFILE: 'team', COFFER_BACKEND: 'cur' };
    expect(selectBackend('cur', env, config)).toMatchObject({ name: 'cur', source: 'flag', from: '--backend' });
    expect(selectBackend(undefined, env, config)).toMatchObject({ name: 'team', source: 'env', from: 'COFFER_PROFILE' });
    expect(selectBackend(undefined, { COFFER_BACKEND: 'team' }, config)).toMatchObject({ name: 'team', from: 'COFFER_BACKEND' });
    expect(selectBackend(undefined, {}, config)).toMatchObject({ name: 'cur', source: 'config', from: 'current' });
    expect(selectBackend(undefined, {}, empty)).toMatchObject({ name: 'local', source: 'default', builtin: true });
  });

  test('front-end choices come first, in order; unset and empty ones are skipped', () => {
    const choices = [
      { value: undefined, from: 'the provider\'s "profile"', profileOnly: true },
      { value: 'coder', from: 'the provider\'s "backend"' },
    ];
    expect(selectBackend(choices, { COFFER_PROFILE: 'team' }, config)).toMatchObject({
      name: 'coder',
      profile: { kind: 'coder' },
      builtin: true,
      from: 'the provider\'s "backend"',
    });
    expect(selectBackend([{ value: '', from: '--backend' }], { COFFER_BACKEND: '' }, config)).toMatchObject({ name: 'cur' });
  });

  test('a kind without a profile is that kind from the environment; a profile of that name wins', () => {
    expect(selectBackend(undefined, { COFFER_BACKEND: 'coder' }, empty)).toMatchObject({ profile: { kind: 'coder' }, builtin: true });
    expect(selectBackend(undefined, { COFFER_BACKEND: 'vault' }, config)).toMatchObject({ name: 'vault', builtin: false });
  });

  test('an unknown name is blamed on its setting; a profile-only setting refuses a bare kind', () => {
    expect(() => selectBackend('nope', {}, config)).toThrow('backend "nope" (from --backend) is neither a registered profile nor a backend kind (local, vault, coder)');
    expect(() => selectBackend(undefined, { COFFER_BACKEND: 'nope' }, config)).toThrow(/\(from COFFER_BACKEND\)/);
    expect(() => selectBackend(undefined, { COFFER_PROFILE: 'coder' }, config)).toThrow('backend "coder" (from COFFER_PROFILE) is not a registered profile');
    expect(() => selectBackend([{ value: 'x', from: 'the provider\'s "profile"', profileOnly: true }], {}, config)).toThrow(
      /\(from the provider's "profile"\)/,
    );
    try {
      selectBackend(undefined, { COFFER_BACKEND: 'nope' }, config);
    } catch (error) {
      expect(error).toMatchObject({ code: 'not_found', field: 'backend' });
    }
  });
});
