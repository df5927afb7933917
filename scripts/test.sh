#!/usr/bin/env bash
# The whole test suite from a fresh clone: set-up, type check, lint, unit, integration, e2e and
# reliability tests (the reliability project writes docs/reliability.md)
# (the e2e tests drive the real tofu built by the setup, and terraform when it is on PATH).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
# A real Coder server for test/e2e/coder-workspace.test.ts (built once, ~10 minutes on 2 cores,
# then cached). COFFER_WITH_CODER=0 skips the build; the suite then says it was skipped and why.
if [ "${COFFER_WITH_CODER:-1}" != 0 ]; then bash scripts/setup-coder.sh >/dev/null; fi
export CHECKPOINT_DISABLE=1

echo "[test] typecheck" >&2
npx tsc -p tsconfig.json --noEmit
echo "[test] lint" >&2
npx eslint src test scripts

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
status=0
npx jest --ci --json --outputFile="$results" "$@" || status=$?
# One plain summary line for tools that read the last lines of the log.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
' "$results" || true
exit "$status"
