#!/bin/sh
# The pipeline step that starts a workspace (BAO_ADDR and the pipeline's own BAO_TOKEN set):
# prints the role id and a SecretID wrapped in a single-use token that lives 5 minutes, as
# KEY=VALUE lines for the workspace agent's environment. Never log this output.
set -eu
printf 'COFFER_VAULT_ROLE_ID=%s\n' "$(bao read -field=role_id auth/approle/role/workspace-db/role-id)"
printf 'COFFER_VAULT_WRAPPED_SECRET_ID=%s\n' \
  "$(bao write -f -wrap-ttl=5m -field=wrapping_token auth/approle/role/workspace-db/secret-id)"
