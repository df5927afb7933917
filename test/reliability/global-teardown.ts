/** Writes docs/reliability.md from the figures the test files recorded, then cleans up. */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import e2eGlobalTeardown from '../e2e/global-teardown';
import { findBao } from '../support/openbao';
import { readFigures, renderReport, RESULTS_DIR_ENV } from '../support/reliability-report';

const root = path.resolve(__dirname, '../..');

function firstLine(file: string | undefined, args: string[]): string | undefined {
  if (file === undefined || !fs.existsSync(file)) return undefined;
  try {
    return execFileSync(file, args, { encoding: 'utf8', env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } })
      .split('\n')[0]
      ?.trim();
  } catch {
    return undefined;
  }
}

export default async function globalTeardown(): Promise<void> {
  const dir = process.env[RESULTS_DIR_ENV];
  try {
    const records = dir ? readFigures(dir) : [];
    if (records.length > 0) {
      const toolsBin = process.env.COFFER_E2E_TOOLS_BIN;
      const tools: Record<string, string> = {};
      const tofu = firstLine(toolsBin ? path.join(toolsBin, 'tofu') : undefined, ['version']);
      if (tofu) tools.tofu = tofu.replace(/^OpenTofu\s+/, '');
      const bao = firstLine(findBao(), ['version']);
      if (bao) tools.bao = bao.replace(/^OpenBao\s+/, '').split(' ')[0] ?? bao;
      const started = Number(process.env.COFFER_RELIABILITY_STARTED ?? Date.now());
      const report = renderReport(records, {
        date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        cores: os.cpus().length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
        tools,
        durationSeconds: Math.round((Date.now() - started) / 1000),
      });
      fs.writeFileSync(path.join(root, 'docs/reliability.md'), report);
    }
  } finally {
    if (dir && dir.includes('coffer-reliability-results-')) fs.rmSync(dir, { recursive: true, force: true });
    await e2eGlobalTeardown();
  }
}
