import { HclogJsonLogger, logLevelFromEnv } from '../../src/provider/protocol/logger';

describe('provider log level', () => {
  test('is info when nothing asks for more, so backend requests are not logged by default', () => {
    expect(logLevelFromEnv({})).toBe('info');
    const lines: string[] = [];
    const log = new HclogJsonLogger((line) => lines.push(line), logLevelFromEnv({}));
    log.debug('backend request', { path: '/v1/secret/metadata/x' });
    log.trace('rpc');
    log.info('started');
    expect(lines.map((l) => JSON.parse(l)['@message'])).toEqual(['started']);
  });

  test('follows TF_LOG and TF_LOG_PROVIDER as the engines pass them down', () => {
    expect(logLevelFromEnv({ TF_LOG: 'trace' })).toBe('trace');
    expect(logLevelFromEnv({ TF_LOG: 'DEBUG' })).toBe('debug');
    expect(logLevelFromEnv({ TF_LOG: 'json' })).toBe('trace');
    expect(logLevelFromEnv({ TF_LOG: 'trace', TF_LOG_PROVIDER: 'warn' })).toBe('warn');
    expect(logLevelFromEnv({ TF_LOG: 'off' })).toBe('error');
  });

  test('COFFER_LOG_LEVEL wins over the engine settings', () => {
    expect(logLevelFromEnv({ COFFER_LOG_LEVEL: 'debug', TF_LOG: 'error' })).toBe('debug');
    expect(logLevelFromEnv({ COFFER_LOG_LEVEL: '', TF_LOG: 'warn' })).toBe('warn');
  });
});
