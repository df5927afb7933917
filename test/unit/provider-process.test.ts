/**
 * The provider process as go-plugin's client sees it, without tofu: the magic-cookie refusal,
 * the handshake line, mutual TLS with a client certificate, a schema call, SIGINT ignored, and
 * a prompt exit on GRPCController.Shutdown.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { buildSync } from 'esbuild';
import { MAGIC_COOKIE_VALUE } from '../../src/provider/protocol/handshake';
import { messageCodec } from '../../src/provider/protocol/proto';
import { generateServerCertificate } from '../../src/provider/protocol/tls';

const root = path.resolve(__dirname, '../..');
let dir: string;
let bundle: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-process-'));
  bundle = path.join(dir, 'provider.cjs');
  buildSync({
    entryPoints: [path.join(root, 'src/provider/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: bundle,
    loader: { '.proto': 'text' },
    logLevel: 'error',
  });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Running {
  readonly child: ChildProcess;
  readonly line: string;
  readonly stderr: () => string;
}

function start(env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [bundle], {
    env: { PATH: process.env.PATH, COFFER_HOME: path.join(dir, 'home'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve({ child, line: out.split('\n')[0]!, stderr: () => err });
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before the handshake: ${err}`)));
  });
}

/** The handshake carries unpadded base64 DER (as go-plugin's client decodes it); PEM wants it padded. */
function pemFromHandshake(field: string): string {
  return new X509Certificate(Buffer.from(field, 'base64')).toString();
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

function unary(client: grpc.Client, method: string, requestType: string, responseType: string, request: Record<string, unknown>) {
  const req = messageCodec(requestType);
  const res = messageCodec(responseType);
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    client.makeUnaryRequest(method, req.serialize, res.deserialize, request, (error, value) => (error ? reject(error) : resolve(value!)));
  });
}

test('run by hand, it refuses with go-plugin\'s message and exit code 1', () => {
  const result = spawnSync(process.execPath, [bundle], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('This binary is a plugin. These are not meant to be executed directly.');
  expect(result.stdout).toBe('');
});

describe('with AutoMTLS', () => {
  const clientCert = generateServerCertificate();
  let running: Running;
  let client: grpc.Client;

  beforeAll(async () => {
    running = await start({
      TF_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE_VALUE,
      PLUGIN_PROTOCOL_VERSIONS: '5,6',
      PLUGIN_MIN_PORT: '10000',
      PLUGIN_MAX_PORT: '25000',
      PLUGIN_CLIENT_CERT: clientCert.certPem,
      // As under TF_LOG=trace: every level must be well-formed hclog JSON.
      TF_LOG: 'trace',
    });
  });

  afterAll(() => {
    client?.close();
    running.child.kill('SIGKILL');
  });

  test('prints 1|6|unix|ADDR|grpc|CERT with an unpadded base64 DER certificate', () => {
    const fields = running.line.split('|');
    expect(fields.slice(0, 3)).toEqual(['1', '6', 'unix']);
    expect(fields[4]).toBe('grpc');
    expect(fs.statSync(fields[3]!).isSocket()).toBe(true);
    expect(fields[5]).toMatch(/^[A-Za-z0-9+/]+$/);
    const der = Buffer.from(fields[5]!, 'base64');
    const cert = new X509Certificate(der);
    expect(cert.subjectAltName).toContain('DNS:localhost');
  });

  test('serves the schema over mutual TLS', async () => {
    const fields = running.line.split('|');
    const serverPem = pemFromHandshake(fields[5]!);
    client = new grpc.Client(
      `unix:${fields[3]}`,
      grpc.credentials.createSsl(Buffer.from(serverPem), Buffer.from(clientCert.keyPem), Buffer.from(clientCert.certPem)),
      { 'grpc.ssl_target_name_override': 'localhost', 'grpc.max_receive_message_length': 64 << 20 },
    );
    const schema = await unary(client, '/tfplugin6.Provider/GetProviderSchema', 'tfplugin6.GetProviderSchema.Request', 'tfplugin6.GetProviderSchema.Response', {});
    const resource = (schema.resource_schemas as Record<string, { block: { attributes: { name: string; write_only: boolean; sensitive: boolean }[] } }>)
      .coffer_user_secret!;
    const byName = Object.fromEntries(resource.block.attributes.map((a) => [a.name, a]));
    expect(byName.value_wo).toMatchObject({ write_only: true, sensitive: true });
    expect(byName.value).toMatchObject({ write_only: false, sensitive: true });
    expect(schema.server_capabilities).toMatchObject({ plan_destroy: true, get_provider_schema_optional: true });
  });

  test('answers UNIMPLEMENTED for RPCs it does not serve', async () => {
    await expect(
      unary(client, '/tfplugin6.Provider/ListResource', 'tfplugin6.StopProvider.Request', 'tfplugin6.StopProvider.Response', {}),
    ).rejects.toMatchObject({ code: grpc.status.UNIMPLEMENTED });
  });

  test('ignores SIGINT, then exits promptly on GRPCController.Shutdown', async () => {
    running.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 200));
    expect(running.child.exitCode).toBeNull();
    const stop = await unary(client, '/tfplugin6.Provider/StopProvider', 'tfplugin6.StopProvider.Request', 'tfplugin6.StopProvider.Response', {});
    expect(stop.Error).toBe('');
    const started = Date.now();
    await unary(client, '/plugin.GRPCController/Shutdown', 'plugin.Empty', 'plugin.Empty', {});
    expect(await exited(running.child)).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000); // go-plugin SIGKILLs after 2 s
    const socket = running.line.split('|')[3]!;
    expect(fs.existsSync(socket)).toBe(false);
    const lines = running.stderr().trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(typeof entry['@level']).toBe('string');
      expect(typeof entry['@message']).toBe('string');
      expect(entry['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    }
  });
});

test('a client without a certificate is refused', async () => {
  const running = await start({
    TF_PLUGIN_MAGIC_COOKIE: MAGIC_COOKIE_VALUE,
    PLUGIN_PROTOCOL_VERSIONS: '6',
    PLUGIN_CLIENT_CERT: generateServerCertificate().certPem,
  });
  const fields = running.line.split('|');
  const serverPem = pemFromHandshake(fields[5]!);
  const client = new grpc.Client(`unix:${fields[3]}`, grpc.credentials.createSsl(Buffer.from(serverPem)), {
    'grpc.ssl_target_name_override': 'localhost',
  });
  await expect(
    unary(client, '/tfplugin6.Provider/GetProviderSchema', 'tfplugin6.GetProviderSchema.Request', 'tfplugin6.GetProviderSchema.Response', {}),
  ).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  client.close();
  running.child.kill('SIGKILL');
  await exited(running.child);
});
