/** Running the example pipelines and the engine as a CI job would: plain processes, output captured. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');

export interface ProcessResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs FILE ARGS; stdin gets `input` when given, else nothing (not a terminal, empty). */
export function runProcess(
  file: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/** A `coffer` executable in DIR running the built CLI, as users have it on PATH; returns its path. */
export function cofferOnPath(dir: string): string {
  const file = path.join(dir, 'coffer');
  fs.writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${path.join(root, 'dist/coffer-cli.cjs')}" "$@"\n`, { mode: 0o755 });
  return file;
}
