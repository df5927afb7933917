#!/usr/bin/env bash
# The demo from a fresh clone: set-up, then a real `tofu apply` of examples/quickstart on the
# embedded store (kept under examples/quickstart/.coffer-demo, so your own store is untouched).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# Only what the demo needs: OpenTofu and the provider bundle (not the test tools).
bash scripts/setup.sh --demo
tools_bin="$(bash scripts/setup-tools.sh --demo 2>/dev/null)"
tofu="$tools_bin/tofu"

example="$root/examples/quickstart"
demo="$example/.coffer-demo"
mkdir -p "$demo"
node dist/coffer-cli.cjs provider install --mirror "$demo/mirror" >/dev/null
cat > "$demo/cli.tfrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$demo/mirror"
    include = ["registry.opentofu.org/cofferhq/*", "registry.terraform.io/cofferhq/*"]
  }
}
CFG
export TF_CLI_CONFIG_FILE="$demo/cli.tfrc" CHECKPOINT_DISABLE=1 COFFER_HOME="$demo/home"
export TF_DATA_DIR="$demo/.terraform"
# Demo values, generated fresh; in real use they come from your secret manager or a prompt.
export TF_VAR_github_token="ghp_demo_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export TF_VAR_npmrc="//registry.npmjs.org/:_authToken=npm_demo_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

cd "$example"
rm -f .terraform.lock.hcl
echo "== tofu init"
"$tofu" init -input=false -no-color | grep -E 'Installing|Installed|initialized' || true
echo "== tofu apply"
"$tofu" apply -auto-approve -input=false -no-color -state="$demo/terraform.tfstate"
echo "== tofu show (state holds metadata only; value_wo is null)"
"$tofu" show -no-color "$demo/terraform.tfstate"
if grep -q -e "$TF_VAR_github_token" -e "$TF_VAR_npmrc" "$demo/terraform.tfstate"; then
  echo "a secret value reached the state file" >&2
  exit 1
fi
echo "== no secret value in $demo/terraform.tfstate; store: $COFFER_HOME"
