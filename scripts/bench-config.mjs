/** The configuration every Coffer benchmark applies: SIZE write-only secrets, one provider block. */
export function cofferBenchConfig(size) {
  return `terraform {
  required_providers {
    coffer = { source = "cofferhq/coffer" }
  }
}
provider "coffer" {}
variable "token" {
  type      = string
  sensitive = true
  ephemeral = true
}
resource "coffer_user_secret" "s" {
  count            = ${size}
  name             = "bench-\${count.index}"
  env_name         = "BENCH_\${count.index}"
  value_wo         = "\${var.token}-\${count.index}"
  value_wo_version = "1"
}
`;
}
