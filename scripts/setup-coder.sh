#!/usr/bin/env bash
# Builds a real Coder server (v2.30.0 by default) from its Go module for the e2e suite that runs
# workspace builds through Coder's built-in provisioner (test/e2e/coder-workspace.test.ts).
# Opt-in and separate from setup-tools.sh: the build takes ~10 minutes on 2 cores.
# Idempotent: skipped when the cached binary reports the wanted version. Prints the binary path.
set -euo pipefail

CODER_VERSION="${COFFER_CODER_VERSION:-v2.30.0}"
TOOLS_DIR="${COFFER_TOOLS_DIR:-$HOME/.cache/coffer-tools}"
BIN_DIR="$TOOLS_DIR/bin"
want="${CODER_VERSION#v}"
out="$BIN_DIR/coder-$want"
mkdir -p "$BIN_DIR"

say() { printf '[setup-coder] %s\n' "$*" >&2; }

if [ -x "$out" ] && "$out" version 2>/dev/null | grep -q "Coder v$want"; then
  say "coder $want already built"
  echo "$out"
  exit 0
fi
command -v go >/dev/null 2>&1 || { say "no Go toolchain on PATH: cannot build Coder"; exit 1; }

say "building Coder $CODER_VERSION from its Go module (about 10 minutes on 2 cores)"
# `go install …@version` refuses the module's replace directives, so build in a writable copy of
# the module directory. Without the `embed` tag the site (web UI) is not embedded (site_slim.go),
# which the API and provisioner do not need; without the `slim` tag `coder server` is included.
dir="$(go mod download -json "github.com/coder/coder/v2@$CODER_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -n "$dir" ] || { say "go mod download gave no directory"; exit 1; }
# Private work dir and output name so two set-ups at once do not collide; the rename is atomic.
mkdir -p "$TOOLS_DIR/src"
work="$(mktemp -d "$TOOLS_DIR/src/coder-$want.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cp -R "$dir/." "$work/" && chmod -R u+w "$work"
(cd "$work" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/coder/coder/v2/buildinfo.tag=$want" \
  -o "$work/coder.bin" ./cmd/coder)
mv "$work/coder.bin" "$out"
say "built $("$out" version 2>/dev/null | head -1)"
echo "$out"
