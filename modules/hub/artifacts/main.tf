# Reads the manifest scripts/build-lambdas writes beside the zips and refuses a deployment whose
# lambda_architecture differs from what was built: such functions fail every invoke with
# "exec format error". No provider: terraform_data is built into Terraform, so this check runs
# at plan time anywhere (tests/infra/test_lambda_artifacts.py applies it offline).

locals {
  manifest_path   = "${var.artifacts_dir}/manifest.json"
  manifest_exists = fileexists(local.manifest_path)
  manifest        = local.manifest_exists ? try(jsondecode(file(local.manifest_path)), null) : null

  built_architecture = try(local.manifest.architecture, null)
  built_binaries     = try({ for binary in local.manifest.binaries : binary.name => binary }, {})

  zip_paths = { for binary in var.binaries : binary => "${var.artifacts_dir}/${binary}/bootstrap.zip" }

  build_command = var.architecture == "arm64" ? "scripts/build-lambdas --arm64" : "scripts/build-lambdas"
}

resource "terraform_data" "manifest" {
  input = {
    architecture = local.built_architecture
    binaries     = local.built_binaries
  }

  lifecycle {
    precondition {
      condition     = local.manifest_exists
      error_message = "No Lambda build in ${var.artifacts_dir}: ${local.manifest_path} is missing. Run `${local.build_command}` from the orgpulse repository (it writes the zips and manifest.json to build/lambda), or set lambda_artifacts_dir to the directory it wrote."
    }

    precondition {
      condition     = !local.manifest_exists || local.manifest != null
      error_message = "${local.manifest_path} is not the JSON scripts/build-lambdas writes. Run `${local.build_command}` again."
    }

    precondition {
      condition     = !local.manifest_exists || local.built_architecture == var.architecture
      error_message = "The Lambda zips in ${var.artifacts_dir} were built for ${coalesce(local.built_architecture, "an unknown architecture")}, but lambda_architecture is \"${var.architecture}\": the functions would fail every invoke with \"exec format error\". Set lambda_architecture = \"${coalesce(local.built_architecture, "x86_64")}\", or rebuild with `${local.build_command}`."
    }

    precondition {
      condition     = !local.manifest_exists || alltrue([for binary in var.binaries : contains(keys(local.built_binaries), binary)])
      error_message = "${local.manifest_path} lists ${jsonencode(keys(local.built_binaries))}, not every function (${jsonencode(var.binaries)}). Run `${local.build_command}` again."
    }

    precondition {
      # A zip replaced after the build (another architecture, another commit) no longer matches.
      condition     = !local.manifest_exists || alltrue([for binary in var.binaries : fileexists(local.zip_paths[binary]) && try(filesha256(local.zip_paths[binary]) == local.built_binaries[binary].sha256, false)])
      error_message = "A zip in ${var.artifacts_dir} is missing or differs from the sha256 in ${local.manifest_path} (replaced after the build?). Run `${local.build_command}` again."
    }
  }
}
