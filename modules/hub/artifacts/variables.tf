variable "artifacts_dir" {
  description = "Directory scripts/build-lambdas wrote: <binary>/bootstrap.zip for each function and manifest.json."
  type        = string
}

variable "architecture" {
  description = "Instruction set the functions are deployed with (arm64 or x86_64); must be the manifest's."
  type        = string
}

variable "binaries" {
  description = "Names of the function binaries whose zips are deployed (orgpulse-plan, ...)."
  type        = list(string)
}
