#!/usr/bin/env bash
# GitOps pipeline for a Coder template written with the Coffer constructs:
#
#   1. synth         the CDK app -> cdktf.out/stacks/<stack>/cdk.tf.json
#   2. lint          `coffer lint` over what was synthesized (the guard's rules, again, on the output)
#   3. secret check  `coffer secret check` for every secret the template declares with SecretCheck
#   4. plan          `tofu init` + `tofu plan` of the synthesized configuration
#   5. push          hand the clean template directory to `coder templates push` (or PUSH_COMMAND)
#
# Every step stops the pipeline on failure. Secrets only come from the environment (TF_VAR_*),
# never from arguments; the pushed directory holds the synthesized configuration and the lock
# file, nothing else (no plan, no state, no .terraform).
#
# Environment:
#   APP            CDK app (default examples/coder-template/main.ts)
#   STACK          stack to plan and push (default workspace)
#   OUT            synth output directory (default cdktf.out)
#   TEMPLATE_NAME  Coder template name for the push (default coffer-workspace)
#   COFFER         coffer CLI command (default coffer)
#   TOFU           engine binary (default tofu; terraform works too)
#   CODER_URL      Coder's access URL (the template's coffer provider is the owner's Coder secrets)
#   PUSH_COMMAND   replaces `coder templates push "$TEMPLATE_NAME" --directory DIR --yes`;
#                  it receives the directory to push as its last argument
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
APP="${APP:-$repo/examples/coder-template/main.ts}"
STACK="${STACK:-workspace}"
OUT="${OUT:-cdktf.out}"
TEMPLATE_NAME="${TEMPLATE_NAME:-coffer-workspace}"
COFFER="${COFFER:-coffer}"
TOFU="${TOFU:-tofu}"
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

step() { printf '\n==> %s\n' "$*" >&2; }
fail() { printf 'pipeline: %s\n' "$*" >&2; exit 1; }

step "1/5 synth"
node "$repo/examples/coder-template/synth.mjs" --app "$APP" --out "$OUT" >/dev/null
stack_dir="$OUT/stacks/$STACK"
[ -f "$stack_dir/cdk.tf.json" ] || fail "no stack $STACK in $OUT"

step "2/5 lint"
$COFFER lint "$OUT"

step "3/5 secret check"
# Names declared with SecretCheck, per user: "user<TAB>name" lines.
required="$(node -e '
  const doc = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const out = [];
  for (const c of Object.values((doc.data || {}).coffer_secret_check || {})) for (const n of c.names || []) out.push([c.user || "me", n]);
  for (const [k, v] of Object.entries(doc.locals || {})) if (k.startsWith("coffer_required_secrets_")) for (const n of v.names || []) out.push([v.user || "me", n]);
  for (const [u, n] of out) console.log(u + "\t" + n);
' "$stack_dir/cdk.tf.json")"
if [ -z "$required" ]; then
  echo "no required secrets declared" >&2
else
  for user in $(printf '%s\n' "$required" | cut -f1 | sort -u); do
    mapfile -t names < <(printf '%s\n' "$required" | awk -F'\t' -v u="$user" '$1 == u { print $2 }')
    $COFFER secret check --user "$user" "${names[@]}"
  done
fi

step "4/5 plan"
(
  # Plan as Coder's template import does: a start transition with no build, no owner and no
  # owner token (the owner's secret check is skipped with a warning), CODER_URL as the access
  # URL. The push's admin token is not the owner's: keep it from the template's providers.
  unset CODER_SESSION_TOKEN CODER_WORKSPACE_OWNER_SESSION_TOKEN CODER_WORKSPACE_BUILD_ID CODER_WORKSPACE_OWNER
  export CODER_WORKSPACE_TRANSITION=start CODER_AGENT_URL="${CODER_AGENT_URL:-${CODER_URL:-}}"
  cd "$stack_dir"
  "$TOFU" init -input=false -no-color >/dev/null
  "$TOFU" plan -input=false -no-color -lock=false -out=tfplan
)

step "5/5 push"
push_dir="$(mktemp -d)"
vars_dir="$(mktemp -d)"
trap 'rm -rf "$push_dir" "$vars_dir"' EXIT
cp "$stack_dir/cdk.tf.json" "$push_dir/"
if [ -f "$stack_dir/.terraform.lock.hcl" ]; then cp "$stack_dir/.terraform.lock.hcl" "$push_dir/"; fi
if [ -n "${PUSH_COMMAND:-}" ]; then
  # shellcheck disable=SC2086 # PUSH_COMMAND is a command line by design
  $PUSH_COMMAND "$push_dir"
else
  # Template variables go to Coder in a file (mode 0600, deleted afterwards), never as
  # --variable NAME=VALUE arguments, which every process on the runner can read.
  (umask 077 && node -e '
    const doc = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    for (const name of Object.keys(doc.variable || {})) {
      const value = process.env["TF_VAR_" + name];
      if (value !== undefined) console.log(name + ": " + JSON.stringify(value));
    }
  ' "$stack_dir/cdk.tf.json" > "$vars_dir/variables.yaml")
  coder templates push "$TEMPLATE_NAME" --directory "$push_dir" --variables-file "$vars_dir/variables.yaml" --yes
fi
echo "pipeline: pushed $STACK as $TEMPLATE_NAME" >&2
