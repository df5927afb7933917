#!/bin/sh
# The workspace agent's start-up script. Its environment holds BAO_ADDR and what mint.sh printed.
# coffer unwraps the SecretID once (refusing a token someone else already unwrapped), logs in
# with AppRole, mints a database login for this run only and revokes it when `make` ends.
set -eu
cd "$(dirname "$0")"
export COFFER_BACKEND=vault COFFER_VAULT_AUTH=approle
exec coffer run --no-defaults \
  --dynamic database/creds/app:PGUSER=username,PGPASSWORD=password \
  -- make --no-print-directory dev-db
