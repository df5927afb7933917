/**
 * A private provider registry on loopback, as a platform team runs one: static files over HTTPS
 * (a test CA, trusted by the engines through SSL_CERT_FILE), speaking service discovery
 * (`/.well-known/terraform.json`), the provider registry protocol for a release directory
 * written by `npm run release`, and the provider network mirror protocol for a directory written
 * by `tofu providers mirror` (under /mirror/).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestCa {
  readonly dir: string;
  /** The CA certificate: give it to the engines as SSL_CERT_FILE. */
  readonly caFile: string;
  readonly key: Buffer;
  readonly cert: Buffer;
}

/** A throwaway CA and a server certificate for localhost/127.0.0.1, made with the openssl CLI. */
export function makeTestCa(): TestCa {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-test-ca-'));
  const openssl = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Coffer test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  openssl(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext']);
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    key: fs.readFileSync(path.join(dir, 'server.key')),
    cert: fs.readFileSync(path.join(dir, 'server.pem')),
  };
}

export interface RegistryOptions {
  readonly ca: TestCa;
  /** Release directory (release.json, signing-key.asc, SHA256SUMS, zips) served as cofferhq/coffer. */
  readonly releaseDir?: string;
  /** A `tofu providers mirror` output directory, served under /mirror/. */
  readonly mirrorDir?: string;
}

export interface RegistryServer {
  /** `localhost:PORT`: the host part of a provider source address. */
  readonly host: string;
  readonly url: string;
  /** Paths requested so far, in order. */
  readonly requests: string[];
  close(): Promise<void>;
}

interface ReleaseJson {
  version: string;
  protocols: string[];
  platforms: string[];
  signing_key_id: string;
}

const NAMESPACE = 'cofferhq';
const TYPE = 'coffer';

function readRelease(dir: string): ReleaseJson {
  return JSON.parse(fs.readFileSync(path.join(dir, 'release.json'), 'utf8')) as ReleaseJson;
}

/** A file directly inside DIR, or undefined for any other name (no `..`, no subdirectories). */
function fileIn(dir: string, name: string): string | undefined {
  if (name === '' || name.includes('/') || name.includes('\\') || name.startsWith('.')) return undefined;
  const file = path.join(dir, name);
  return fs.statSync(file, { throwIfNoEntry: false })?.isFile() ? file : undefined;
}

/** The registry protocol's JSON answers for a release directory; undefined = 404. */
function registryAnswer(releaseDir: string, route: string): unknown {
  const release = readRelease(releaseDir);
  const prefix = `/v1/providers/${NAMESPACE}/${TYPE}/`;
  if (!route.startsWith(prefix)) return undefined;
  const rest = route.slice(prefix.length).split('/');
  if (rest.length === 1 && rest[0] === 'versions') {
    return {
      versions: [
        {
          version: release.version,
          protocols: release.protocols,
          platforms: release.platforms.map((p) => ({ os: p.split('_')[0], arch: p.split('_')[1] })),
        },
      ],
    };
  }
  const [version, download, os_, arch] = rest;
  if (rest.length !== 4 || download !== 'download' || version !== release.version) return undefined;
  const platform = `${os_}_${arch}`;
  if (!release.platforms.includes(platform)) return undefined;
  const zip = `terraform-provider-${TYPE}_${version}_${platform}.zip`;
  const sumsName = `terraform-provider-${TYPE}_${version}_SHA256SUMS`;
  const sums = fs.readFileSync(path.join(releaseDir, sumsName), 'utf8');
  const shasum = sums.split('\n').find((line) => line.endsWith(`  ${zip}`))?.slice(0, 64);
  return {
    protocols: release.protocols,
    os: os_,
    arch,
    filename: zip,
    download_url: `/files/${zip}`,
    shasums_url: `/files/${sumsName}`,
    shasums_signature_url: `/files/${sumsName}.sig`,
    shasum,
    signing_keys: {
      gpg_public_keys: [{ key_id: release.signing_key_id, ascii_armor: fs.readFileSync(path.join(releaseDir, 'signing-key.asc'), 'utf8') }],
    },
  };
}

export async function startRegistry(options: RegistryOptions): Promise<RegistryServer> {
  const requests: string[] = [];
  const server = https.createServer({ key: options.ca.key, cert: options.ca.cert }, (req, res) => {
    const route = decodeURIComponent(new URL(req.url ?? '/', 'https://localhost').pathname);
    requests.push(route);
    const json = (body: unknown): void => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const file = (resolved: string | undefined): void => {
      if (resolved === undefined) return void res.writeHead(404).end();
      const type = resolved.endsWith('.json') ? 'application/json' : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type, 'content-length': fs.statSync(resolved).size });
      fs.createReadStream(resolved).pipe(res);
    };
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (route === '/.well-known/terraform.json') return json({ 'providers.v1': '/v1/providers/' });
    if (options.releaseDir !== undefined && route.startsWith('/v1/providers/')) {
      const answer = registryAnswer(options.releaseDir, route);
      return answer === undefined ? void res.writeHead(404).end() : json(answer);
    }
    if (options.releaseDir !== undefined && route.startsWith('/files/')) return file(fileIn(options.releaseDir, route.slice('/files/'.length)));
    if (options.mirrorDir !== undefined && route.startsWith('/mirror/')) {
      // HOST/NAMESPACE/TYPE/FILE, each part a plain name.
      const parts = route.slice('/mirror/'.length).split('/');
      if (parts.length !== 4 || parts.some((p) => p === '' || p.startsWith('.'))) return void res.writeHead(404).end();
      return file(fileIn(path.join(options.mirrorDir, ...parts.slice(0, 3)), parts[3] as string));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    host: `localhost:${port}`,
    url: `https://localhost:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
