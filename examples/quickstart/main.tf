# Coffer quickstart: two user secrets on the embedded encrypted store.
# The values come from ephemeral, sensitive variables and are sent write-only:
# they never appear in the plan or the state.

terraform {
  required_providers {
    coffer = {
      source = "cofferhq/coffer"
    }
  }
}

# Embedded store: COFFER_HOME or ~/.local/share/coffer. Nothing else to install.
provider "coffer" {}

variable "github_token" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "npmrc" {
  type      = string
  sensitive = true
  ephemeral = true
}

variable "rotation" {
  description = "Bump to write new values (rotation)."
  type        = string
  default     = "1"
}

resource "coffer_user_secret" "github" {
  name             = "github-token"
  description      = "Token for the GitHub CLI"
  env_name         = "GITHUB_TOKEN"
  value_wo         = var.github_token
  value_wo_version = var.rotation
}

resource "coffer_user_secret" "npmrc" {
  name             = "npmrc"
  description      = "npm registry credentials"
  file_path        = "~/.npmrc"
  value_wo         = var.npmrc
  value_wo_version = var.rotation
}

output "secrets" {
  value = {
    for s in [coffer_user_secret.github, coffer_user_secret.npmrc] :
    s.name => { id = s.id, env_name = s.env_name, file_path = s.file_path, updated_at = s.updated_at }
  }
}
