from terraform_cli import terraform
from terraform_files import MODULES, REPO, ROOT_CONFIG


def test_every_terraform_file_is_formatted():
    code, out, err = terraform(
        ["fmt", str(MODULES.relative_to(REPO)), str(ROOT_CONFIG.relative_to(REPO)),
         "tests/infra/fixtures/offline_roots"],
        {"check": ..., "recursive": ..., "diff": ..., "no_color": ..., "write": False},
        REPO,
    )
    assert code == 0, f"terraform fmt -check -recursive found unformatted files (run `terraform fmt -recursive`):\n{out}{err}"


def test_the_check_fails_on_unformatted_code(tmp_path):
    (tmp_path / "main.tf").write_text('variable "x" {\n  type = string\n  default= "a"\n}\n')
    code, out, _ = terraform(["fmt", str(tmp_path)], {"check": ..., "recursive": ..., "no_color": ..., "write": False}, tmp_path)
    assert code != 0 and "main.tf" in out
