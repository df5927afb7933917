import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SecretStoreError } from '../../errors';
import { checkPrivate } from './integrity';
import { errnoCode, fsyncDir, uniqueTempPath, unlinkQuietly, writeFileDurably } from './paths';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

/** A value as stored: base64 nonce and base64 ciphertext with the GCM tag appended. */
export interface SealedValue {
  readonly nonce: string;
  readonly data: string;
}

/**
 * Reads the store key, creating it on first use. Creation is race-free across processes: each
 * candidate is written completely to its own temp file and then hard-linked into place; `link`
 * fails with EEXIST for every process but the first, and those then use the winner's key.
 */
export function loadOrCreateKey(keyPath: string): Buffer {
  const existing = loadKey(keyPath);
  if (existing !== undefined) return existing;
  const temp = uniqueTempPath(keyPath);
  const candidate = randomBytes(KEY_BYTES);
  try {
    writeFileDurably(temp, candidate, 'wx');
    try {
      fs.linkSync(temp, keyPath);
      fsyncDir(path.dirname(keyPath));
    } catch (error) {
      if (errnoCode(error) !== 'EEXIST') throw error;
    }
  } finally {
    candidate.fill(0);
    unlinkQuietly(temp);
  }
  const key = loadKey(keyPath);
  if (key === undefined)
    throw new SecretStoreError('unavailable', `the store key ${keyPath} vanished while it was being created`);
  return key;
}

/** Reads the store key; undefined when there is none yet. */
export function loadKey(keyPath: string): Buffer | undefined {
  checkPrivate(keyPath, 'key');
  let key: Buffer;
  try {
    key = fs.readFileSync(keyPath);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new SecretStoreError('unavailable', `cannot read the store key ${keyPath}: ${errnoCode(error) ?? 'error'}`, {
      cause: error,
    });
  }
  if (key.length !== KEY_BYTES) {
    key.fill(0);
    throw new SecretStoreError(
      'unavailable',
      `the store key ${keyPath} is damaged: it must be exactly ${KEY_BYTES} bytes`,
      {
        retryable: false,
      },
    );
  }
  return key;
}

/**
 * AES-256-GCM with a fresh random nonce per encryption. The caller's `context` is bound as
 * additional authenticated data, so a ciphertext copied onto another record fails to decrypt.
 */
export class ValueCipher {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`a store key is ${KEY_BYTES} bytes`);
    this.#key = key;
  }

  seal(plaintext: string, context: string): SealedValue {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const input = Buffer.from(plaintext, 'utf8');
    try {
      const data = Buffer.concat([cipher.update(input), cipher.final(), cipher.getAuthTag()]);
      return { nonce: nonce.toString('base64'), data: data.toString('base64') };
    } finally {
      input.fill(0);
    }
  }

  /** Returns undefined when the tag does not verify (wrong key, wrong record, or damaged data). */
  open(sealed: SealedValue, context: string): string | undefined {
    const nonce = Buffer.from(sealed.nonce, 'base64');
    const data = Buffer.from(sealed.data, 'base64');
    if (nonce.length !== NONCE_BYTES || data.length < TAG_BYTES) return undefined;
    const decipher = createDecipheriv(ALGORITHM, this.#key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer | undefined;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]);
      return plain.toString('utf8');
    } catch {
      // Only authentication failures land here; their messages never contain data.
      return undefined;
    } finally {
      plain?.fill(0);
    }
  }
}
