/**
 * The reliability suite needs what the e2e suite needs (tools, provider bundle, mirror), plus a
 * directory where each test file records its figures for docs/reliability.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import e2eGlobalSetup from '../e2e/global-setup';
import { FOREIGN_RESULTS_DIR_ENV, RESULTS_DIR_ENV } from '../support/reliability-report';

export default async function globalSetup(): Promise<void> {
  await e2eGlobalSetup();
  const results = fs.mkdtempSync(path.join(os.tmpdir(), 'coffer-reliability-results-'));
  process.env[RESULTS_DIR_ENV] = results;
  process.env[FOREIGN_RESULTS_DIR_ENV] = results;
  process.env.COFFER_RELIABILITY_STARTED = String(Date.now());
}
