# A Coder template that uses Coffer, in HCL (docs/coder.md explains the model).
#
# - Secrets each user brings (ssh-signing-key) are checked at plan time on start builds, with the
#   owner's own token; the check is a no-op with a warning where Coder passes no token
#   (template import, the create preview, stop and delete builds).
# - A template-managed secret (npm-token) is written into the owner's Coder secrets on start. Its
#   value comes from the platform team's store through an ephemeral read: no template variable,
#   so it is not in Coder's database, on a command line or in a cached plan.
# - The per-user secret is retained when a workspace stops or is deleted (on_destroy defaults
#   to "retain" inside Coder): the owner's other workspaces use it too.
terraform {
  required_providers {
    coder = {
      source  = "coder/coder"
      version = "~> 2.19"
    }
    coffer = {
      source = "cofferhq/coffer"
    }
  }
}

data "coder_workspace" "me" {}
data "coder_workspace_owner" "me" {}

# The owner's Coder user secrets, with the owner's own token (Coder passes it on start builds).
# The URL defaults to Coder's access URL.
provider "coffer" {
  backend     = "coder"
  coder_token = data.coder_workspace_owner.me.session_token
}

# The platform team's store, configured on the provisioner (COFFER_BACKEND=vault, VAULT_ADDR and
# a credential such as COFFER_VAULT_ROLE_ID/COFFER_VAULT_SECRET_ID); never from template variables.
provider "coffer" {
  alias = "platform"
}

data "coffer_secret_check" "required" {
  # The owner (the default, "me", means the same: the token is the owner's). At template import
  # and in the preview this is the coder provider's placeholder "default"; Coffer recognises it.
  user         = data.coder_workspace_owner.me.name
  names        = ["ssh-signing-key"]
  help_message = "Add it under Account → Secrets (or: coder secret create ssh-signing-key), then start the workspace again."
}

ephemeral "coffer_user_secret" "npm" {
  provider = coffer.platform
  name     = "npm-token"
  user     = "platform-team"
}

resource "coffer_user_secret" "npm" {
  count            = data.coder_workspace.me.start_count
  name             = "npm-token"
  description      = "npm token (managed by the workspace template)"
  env_name         = "NPM_TOKEN"
  value_wo         = ephemeral.coffer_user_secret.npm.value
  value_wo_version = "1"
}
