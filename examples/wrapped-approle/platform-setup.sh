#!/bin/sh
# Once, by the platform team (BAO_ADDR and an admin BAO_TOKEN set): an AppRole whose tokens may
# mint a database credential and renew/revoke its own leases — nothing else. Its SecretIDs are
# single use and live 10 minutes; the pipeline only ever hands them out response-wrapped.
set -eu
bao auth list -format=json | grep -q '"approle/"' || bao auth enable approle
bao policy write workspace-db - <<'POLICY'
path "database/creds/app" { capabilities = ["read"] }
path "sys/leases/renew"   { capabilities = ["update"] }
path "sys/leases/revoke"  { capabilities = ["update"] }
POLICY
bao write auth/approle/role/workspace-db \
  token_policies=workspace-db token_ttl=1h token_max_ttl=8h \
  secret_id_num_uses=1 secret_id_ttl=10m
