import * as fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const mirror = process.env.COFFER_E2E_MIRROR;
  if (mirror && mirror.includes('coffer-e2e-mirror-')) fs.rmSync(mirror, { recursive: true, force: true });
}
