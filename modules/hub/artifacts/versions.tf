terraform {
  # terraform_data (built in) appeared in 1.4.
  required_version = ">= 1.5"
}
