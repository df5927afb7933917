import { checkHandshakeEnvironment, formatHandshakeLine, MAGIC_COOKIE_VALUE, NOT_A_PLUGIN_MESSAGE } from '../../src/provider/protocol/handshake';

describe('go-plugin handshake', () => {
  test('refuses to run without the magic cookie, with the standard message', () => {
    const check = checkHandshakeEnvironment({ PLUGIN_PROTOCOL_VERSIONS: '6' });
    expect(check).toEqual({ ok: false, message: NOT_A_PLUGIN_MESSAGE });
    expect(NOT_A_PLUGIN_MESSAGE).toMatch(/^This binary is a plugin\. These are not meant to be executed directly\./);
  });

  test('refuses a wrong cookie', () => {
    expect(checkHandshakeEnvironment({ TF_PLUGIN_MAGIC_COOKIE: 'nope', PLUGIN_PROTOCOL_VERSIONS: '6' }).ok).toBe(false);
  });

  test.each([['5,6'], ['6,5'], ['6'], [' 5 , 6 ']])('negotiates 6 from %j', (versions) => {
    const check = checkHandshakeEnvironment({ TF_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: versions });
    expect(check).toMatchObject({ ok: true, appVersion: 6 });
  });

  test('offers its lowest version when nothing matches, so the client reports the mismatch', () => {
    const check = checkHandshakeEnvironment({ TF_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '4,5' });
    expect(check).toMatchObject({ ok: true, appVersion: 6 });
  });

  test('reads the client certificate only when present', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const withCert = checkHandshakeEnvironment({ TF_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '6', PLUGIN_CLIENT_CERT: pem });
    expect(withCert).toMatchObject({ ok: true, clientCertPem: pem });
    const without = checkHandshakeEnvironment({ TF_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '6' });
    expect(without).toMatchObject({ ok: true, clientCertPem: undefined });
  });

  test('formats the line go-plugin parses: core|app|network|address|protocol|cert', () => {
    expect(formatHandshakeLine({ appVersion: 6, network: 'unix', address: '/tmp/x/plugin.sock', serverCert: 'MIIBabc' })).toBe(
      '1|6|unix|/tmp/x/plugin.sock|grpc|MIIBabc\n',
    );
    expect(formatHandshakeLine({ appVersion: 6, network: 'tcp', address: '127.0.0.1:10000' })).toBe('1|6|tcp|127.0.0.1:10000|grpc\n');
  });
});
