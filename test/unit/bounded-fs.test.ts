/** Issue #8 defect 8: reads of user-named files are bounded and never block; mkdir -p always ends. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileInputError, makeDirectories, readBoundedFile } from '../../src/client/bounded-fs';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-bounded-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function failure(call: () => unknown): FileInputError {
  try {
    call();
  } catch (error) {
    if (error instanceof FileInputError) return error;
    throw error;
  }
  throw new Error('expected a FileInputError');
}

describe('readBoundedFile', () => {
  test('reads a regular file up to the limit, exactly', () => {
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, 'x'.repeat(1024));
    expect(readBoundedFile(file, 1024, 'f').length).toBe(1024);
    expect(failure(() => readBoundedFile(file, 1023, 'the file f'))).toMatchObject({
      code: 'too_large',
      message: 'the file f is larger than 1023 bytes, the limit',
    });
  });

  test('a file whose size says 0 (/proc) is still read, and still bounded', () => {
    expect(readBoundedFile('/proc/self/status', 1024 * 1024, 'status').toString()).toMatch(/^Name:/);
    expect(failure(() => readBoundedFile('/proc/self/status', 16, 'status')).code).toBe('too_large');
  });

  test('/dev/zero, a FIFO without a writer and a directory are refused without reading', () => {
    expect(failure(() => readBoundedFile('/dev/zero', 1024, '--value-file /dev/zero'))).toMatchObject({
      code: 'not_regular',
      message: expect.stringMatching(/^--value-file \/dev\/zero is not a regular file/),
    });
    const fifo = path.join(dir, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status === 0) {
      expect(failure(() => readBoundedFile(fifo, 1024, 'fifo')).code).toBe('not_regular');
    }
    expect(failure(() => readBoundedFile(dir, 1024, 'the dir'))).toMatchObject({ code: 'EISDIR', message: 'the dir is a directory, not a file' });
    expect(failure(() => readBoundedFile(path.join(dir, 'missing'), 1024, 'x'))).toMatchObject({ code: 'ENOENT', message: 'cannot read x (ENOENT)' });
  });
});

describe('makeDirectories', () => {
  test('creates the missing components with the exact mode and returns them', () => {
    const target = path.join(dir, 'a', 'b', 'c');
    const old = process.umask(0o077);
    try {
      expect(makeDirectories(target, 0o755)).toEqual([path.join(dir, 'a'), path.join(dir, 'a', 'b'), target]);
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(target).mode & 0o777).toBe(0o755);
    expect(makeDirectories(target)).toEqual([]);
  });

  test('ends with an error where mkdir -p spins forever (/proc) or a file is in the way', () => {
    expect(failure(() => makeDirectories('/proc/coffer/store'))).toMatchObject({
      code: 'ENOENT',
      message: 'cannot create directory /proc/coffer (ENOENT)',
    });
    fs.writeFileSync(path.join(dir, 'file'), '');
    expect(failure(() => makeDirectories(path.join(dir, 'file', 'sub'))).code).toBe('ENOTDIR');
  });
});
