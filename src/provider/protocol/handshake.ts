/**
 * The go-plugin handshake as seen from the plugin side: the magic cookie check, protocol version
 * negotiation and the single stdout line that tells tofu/terraform where to dial.
 */

export const MAGIC_COOKIE_KEY = 'TF_PLUGIN_MAGIC_COOKIE';
export const MAGIC_COOKIE_VALUE = 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2';
export const CORE_PROTOCOL_VERSION = 1;
/** Coffer speaks tfplugin6 only. */
export const SUPPORTED_APP_VERSIONS: readonly number[] = [6];

export const NOT_A_PLUGIN_MESSAGE =
  'This binary is a plugin. These are not meant to be executed directly.\n' +
  'Please execute the program that consumes these plugins, which will\n' +
  'load any plugins automatically\n';

export type HandshakeCheck =
  | { readonly ok: true; readonly appVersion: number; readonly clientCertPem?: string }
  | { readonly ok: false; readonly message: string };

export function checkHandshakeEnvironment(env: NodeJS.ProcessEnv): HandshakeCheck {
  if (env[MAGIC_COOKIE_KEY] !== MAGIC_COOKIE_VALUE) return { ok: false, message: NOT_A_PLUGIN_MESSAGE };
  const offered = (env.PLUGIN_PROTOCOL_VERSIONS ?? '')
    .split(',')
    .map((v) => Number.parseInt(v.trim(), 10))
    .filter((v) => Number.isInteger(v));
  const common = SUPPORTED_APP_VERSIONS.filter((v) => offered.includes(v));
  // Like go-plugin: with no common version, announce our lowest and let the client report the mismatch.
  const appVersion = common.length > 0 ? Math.max(...common) : Math.min(...SUPPORTED_APP_VERSIONS);
  const clientCertPem = env.PLUGIN_CLIENT_CERT?.trim() ? env.PLUGIN_CLIENT_CERT : undefined;
  return { ok: true, appVersion, clientCertPem };
}

export interface HandshakeLine {
  readonly appVersion: number;
  readonly network: 'unix' | 'tcp';
  readonly address: string;
  /** Unpadded standard base64 of the server certificate DER; absent in plaintext mode. */
  readonly serverCert?: string;
}

export function formatHandshakeLine(line: HandshakeLine): string {
  const fields = [String(CORE_PROTOCOL_VERSION), String(line.appVersion), line.network, line.address, 'grpc'];
  if (line.serverCert !== undefined) fields.push(line.serverCert);
  return `${fields.join('|')}\n`;
}
