output "zip_paths" {
  description = "Path of each binary's bootstrap.zip, keyed by binary name."
  value       = local.zip_paths
  # Whatever deploys a zip waits for (and fails with) the manifest checks.
  depends_on = [terraform_data.manifest]
}

output "architecture" {
  description = "Architecture recorded in the build manifest."
  value       = local.built_architecture
  depends_on  = [terraform_data.manifest]
}
