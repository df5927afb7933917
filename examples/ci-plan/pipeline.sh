#!/usr/bin/env bash
# CI pipeline that applies a saved plan with secrets from the environment, never from argv:
#
#   synth -> lint -> init -> plan -out=tfplan -> apply tfplan
#
# The secrets arrive as TF_VAR_registry_token and TF_VAR_deploy_key (the CI's secret store puts
# them in the job's environment). They feed ephemeral variables and write-only attributes, so they
# are in no command line, no plan file, no state and no synthesized file. Ephemeral variables are
# not saved in the plan: the apply reads them from the environment again.
#
# Environment: APP, STACK (ci-secrets), OUT (cdktf.out), COFFER (coffer), TOFU (tofu).
set -euo pipefail
set +x # never trace: a traced line could show a value

repo="$(cd "$(dirname "$0")/../.." && pwd)"
APP="${APP:-$repo/examples/ci-plan/main.ts}"
STACK="${STACK:-ci-secrets}"
OUT="${OUT:-cdktf.out}"
COFFER="${COFFER:-coffer}"
TOFU="${TOFU:-tofu}"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
umask 077

step() { printf '\n==> %s\n' "$*" >&2; }
fail() { printf 'pipeline: %s\n' "$*" >&2; exit 1; }

[ "$#" -eq 0 ] || fail "takes no arguments: pass secrets as TF_VAR_* environment variables, not on the command line"
for name in TF_VAR_registry_token TF_VAR_deploy_key; do
  [ -n "${!name:-}" ] || fail "$name is not set (the CI secret store must provide it in the environment)"
done

step "synth"
node "$repo/examples/coder-template/synth.mjs" --app "$APP" --out "$OUT" >/dev/null
stack_dir="$OUT/stacks/$STACK"

step "lint"
$COFFER lint "$OUT"

cd "$stack_dir"
step "init"
"$TOFU" init -input=false -no-color >/dev/null

step "plan"
"$TOFU" plan -input=false -no-color -out=tfplan

step "apply"
"$TOFU" apply -input=false -no-color -auto-approve tfplan
rm -f tfplan
