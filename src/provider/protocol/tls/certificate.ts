/**
 * The server certificate for go-plugin AutoMTLS (see docs: plugin protocol §1.4).
 *
 * tofu/terraform trust exactly the certificate we print on the handshake line, verify it with Go's
 * crypto/x509 and check `ServerName: "localhost"` against its SANs. Node 20 cannot create
 * certificates, so the X.509 v3 structure is assembled here with the DER encoder and signed with
 * `crypto.sign`. What matters to Go:
 * - SAN DNS:localhost (Go ignores the CN), EKU serverAuth, validity covering "now" (NotBefore now − 30 s);
 * - a POSITIVE serial (Go ≥ 1.23 rejects negative ones), non-zero, minimally encoded;
 * - exact DER everywhere (Go's parser is strict).
 */
import * as crypto from 'node:crypto';
import {
  bitString,
  boolean,
  explicit,
  ia5String,
  implicit,
  integer,
  namedBitString,
  octetString,
  oid,
  readChildren,
  readElement,
  sequence,
  set,
  signedInteger,
  Tag,
  unsignedInteger,
  utf8String,
  x509Time,
} from './der';

const OID = {
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** KeyUsage bit numbers (RFC 5280 §4.2.1.3). */
const KeyUsageBit = { digitalSignature: 0, keyEncipherment: 2, keyAgreement: 4, keyCertSign: 5 } as const;

const NOT_BEFORE_SKEW_MS = 30_000;
const VALIDITY_YEARS = 30;

export interface ServerCertificate {
  /** PEM "CERTIFICATE" block, for the TLS server's `cert`. */
  certPem: string;
  /** PKCS#8 PEM "PRIVATE KEY" block, for the TLS server's `key`. */
  keyPem: string;
  /** The certificate's DER bytes; `handshakeCertField(certDer)` goes on the handshake line. */
  certDer: Buffer;
}

/**
 * @internal Test-only knobs. `serial` replaces the random serial and is read as the raw
 * TWO'S-COMPLEMENT content of the DER INTEGER, so a first byte ≥ 0x80 yields a negative serial
 * (which Go must reject). Never use in production code.
 */
export interface GenerateServerCertificateOptions {
  serial?: Buffer;
}

/** A fresh ECDSA P-256 key and a self-signed X.509 v3 certificate for CN=localhost, O=Coffer. */
export function generateServerCertificate(
  now: Date = new Date(),
  options: GenerateServerCertificateOptions = {},
): ServerCertificate {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });

  const serial = options.serial !== undefined ? signedInteger(options.serial) : unsignedInteger(randomSerial());
  const signatureAlgorithm = sequence(oid(OID.ecdsaWithSha256)); // parameters absent (RFC 5758 §3.2)
  const name = sequence(
    set(sequence(oid(OID.organizationName), utf8String('Coffer'))),
    set(sequence(oid(OID.commonName), utf8String('localhost'))),
  );
  const notBefore = new Date(now.getTime() - NOT_BEFORE_SKEW_MS);
  const notAfter = new Date(now.getTime());
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);

  const extensions = sequence(
    extension(
      OID.keyUsage,
      true,
      namedBitString([
        KeyUsageBit.digitalSignature,
        KeyUsageBit.keyEncipherment,
        KeyUsageBit.keyAgreement,
        KeyUsageBit.keyCertSign,
      ]),
    ),
    extension(OID.extKeyUsage, false, sequence(oid(OID.serverAuth), oid(OID.clientAuth))),
    extension(OID.basicConstraints, true, sequence(boolean(true))),
    extension(OID.subjectKeyIdentifier, false, octetString(subjectKeyIdentifier(spki))),
    extension(
      OID.subjectAltName,
      false,
      sequence(
        // GeneralName dNSName [2] IA5String, iPAddress [7] OCTET STRING (both primitive, implicit).
        implicit(2, readElement(ia5String('localhost')).content),
        implicit(7, Buffer.from([127, 0, 0, 1])),
      ),
    ),
  );

  const tbs = sequence(
    explicit(0, integer(2)), // version v3
    serial,
    signatureAlgorithm,
    name, // issuer
    sequence(x509Time(notBefore), x509Time(notAfter)),
    name, // subject
    spki, // SubjectPublicKeyInfo exactly as Node/OpenSSL encodes it
    explicit(3, extensions),
  );
  const signature = crypto.sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const certDer = sequence(tbs, signatureAlgorithm, bitString(signature));

  return {
    certPem: toPem('CERTIFICATE', certDer),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certDer,
  };
}

/**
 * The SERVERCERT field of the go-plugin handshake line: standard base64 WITHOUT padding, because
 * go-plugin decodes it with `base64.RawStdEncoding` and a trailing '=' fails ("error parsing server cert").
 */
export function handshakeCertField(certDer: Buffer): string {
  return certDer.toString('base64').replace(/=+$/, '');
}

/** 16 random bytes, top bit cleared (positive), never all zero. */
function randomSerial(): Buffer {
  for (;;) {
    const bytes = crypto.randomBytes(16);
    bytes[0] = bytes[0]! & 0x7f;
    if (bytes.some((b) => b !== 0)) return bytes;
  }
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  // critical is BOOLEAN DEFAULT FALSE: DER omits it when false.
  return critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING's bits (as Go does). */
function subjectKeyIdentifier(spki: Buffer): Buffer {
  const outer = readElement(spki);
  const [, keyBits] = readChildren(outer.content);
  if (outer.tag !== Tag.SEQUENCE || keyBits?.tag !== Tag.BIT_STRING || keyBits.content[0] !== 0) {
    throw new Error('unexpected SubjectPublicKeyInfo encoding');
  }
  return crypto.createHash('sha1').update(keyBits.content.subarray(1)).digest();
}

function toPem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
