#!/usr/bin/env bash
# Everything a fresh clone needs: npm dependencies, the real tools (tofu, bao, postgres) and
# the provider/CLI bundles. Idempotent; each step is skipped when already done.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
bash scripts/setup-tools.sh >/dev/null
node scripts/build.mjs
echo "[setup] built dist/coffer-provider.cjs and dist/coffer-cli.cjs" >&2
