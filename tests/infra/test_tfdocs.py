import tfdocs


def test_readme_tables_match_variables_and_outputs():
    stale = [
        str(readme)
        for readme, current, expected in map(tfdocs.expected_readme, tfdocs.documented_dirs())
        if current != expected
    ]
    assert not stale, f"regenerate with `python tests/infra/tfdocs.py --write`: {stale}"


def test_every_documented_directory_has_usage_and_markers():
    for directory in tfdocs.documented_dirs():
        text = (directory / "README.md").read_text(encoding="utf-8")
        assert tfdocs.BEGIN in text and tfdocs.END in text
        assert "## Inputs" in text and "## Outputs" in text
        assert "```hcl" in text or "```sh" in text, f"{directory}: README has no usage example"


def test_generated_table_escapes_and_marks_required(tmp_path):
    (tmp_path / "variables.tf").write_text(
        'variable "needed" {\n  description = "Name of \\"<prefix>-x\\" | y."\n  type        = string\n}\n\n'
        'variable "optional" {\n  description = "Sizes."\n  type = object({\n    a = optional(number, 1)\n  })\n  default = {}\n}\n'
    )
    (tmp_path / "outputs.tf").write_text('output "o" {\n  description = "Out."\n  value       = 1\n}\n')
    table = tfdocs.render(tmp_path)
    assert '| needed | Name of "&lt;prefix&gt;-x" \\| y. | `string` | n/a | yes |' in table
    assert "| optional | Sizes. | `object({a = optional(number, 1)})` | `{}` | no |" in table
    assert "| o | Out. |" in table
