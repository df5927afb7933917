/** Runs the engine in a workspace with a per-line callback (to act mid-apply) and a hard timeout. */
import { spawn } from 'node:child_process';
import type { RunResult, Workspace } from '../e2e/support/workspace';

export interface StreamingRun {
  /** Resolves when the engine exits (killed with SIGKILL after `timeoutMs`). */
  readonly done: Promise<RunResult>;
  readonly pid: number | undefined;
}

export function runStreaming(
  ws: Workspace,
  args: readonly string[],
  env: Record<string, string>,
  onLine: (line: string) => void = () => {},
  timeoutMs = 600_000,
): StreamingRun {
  const child = spawn(ws.engine.binary, [...args], {
    cwd: ws.dir,
    env: ws.env(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    stdout += text;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
  return { done, pid: child.pid };
}
