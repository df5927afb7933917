#!/usr/bin/env bash
# Everything a fresh clone needs: npm dependencies, the real tools (tofu, bao, postgres) and
# the provider/CLI bundles. Idempotent; each step is skipped when already done.
# `setup.sh --demo` installs only what the demo needs (OpenTofu), not the test tools.
set -euo pipefail
tools_args=()
[ "${1:-}" = --demo ] && tools_args=(--demo)
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] npm ci" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
bash scripts/setup-tools.sh "${tools_args[@]}" >/dev/null
node scripts/build.mjs
echo "[setup] built dist/coffer-provider.cjs and dist/coffer-cli.cjs" >&2
