import * as fs from 'node:fs';
import { STORE_RECOVERY_HINT, StoreIntegrityError } from '../../errors';
import { errnoCode } from './paths';

/** Missing, damaged or rolled-back store data: names the file, says how to recover. */
export function damaged(file: string, problem: string): StoreIntegrityError {
  return new StoreIntegrityError(file, `the local store is damaged: ${file} ${problem}. ${STORE_RECOVERY_HINT}`);
}

const GROUP_OTHER_WRITE = 0o022;
const GROUP_OTHER_READ = 0o044;

/**
 * Refuses store files other users could change (they could roll back or replace secrets unseen)
 * and a key other users could read (it decrypts every value; like ssh with a private key, Coffer
 * will not go on using it until the mode is fixed). Store data files readable by others are
 * allowed: they hold names and metadata in clear, values only encrypted.
 */
export function checkPrivate(file: string, kind: 'key' | 'data' | 'dir'): void {
  let mode: number;
  try {
    mode = fs.statSync(file).mode & 0o777;
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw error;
  }
  const fix = kind === 'dir' ? 700 : 600;
  const shown = `0${mode.toString(8).padStart(3, '0')}`;
  if ((mode & GROUP_OTHER_WRITE) !== 0) {
    throw new StoreIntegrityError(
      file,
      `the local store refuses ${file}: it is writable by group or others (mode ${shown}), so anyone could replace or roll back your secrets. Fix: chmod ${fix} ${file}`,
    );
  }
  if (kind === 'key' && (mode & GROUP_OTHER_READ) !== 0) {
    throw new StoreIntegrityError(
      file,
      `the local store refuses its key ${file}: it is readable by group or others (mode ${shown}), and it decrypts every stored value. Fix: chmod 600 ${file} (and consider changing the secret values)`,
    );
  }
}
