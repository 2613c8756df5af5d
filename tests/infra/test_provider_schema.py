"""Every aws_* resource and data source uses only arguments of AWS provider 6.x, and sets the required ones."""

import provider_schema
import schema_check


def test_provider_schema_is_6x():
    assert provider_schema.provider_version().startswith("6.")


def test_terraform_uses_only_arguments_of_the_provider_schema():
    problems = schema_check.check_all()
    assert not problems, "\n".join(problems)


def test_schema_reader_knows_required_arguments_and_blocks():
    schedule = provider_schema.schema_for("resource", "aws_scheduler_schedule")
    assert schedule.attributes["schedule_expression"] is True
    assert schedule.attributes["schedule_expression_timezone"] is False
    required_target, target = schedule.blocks["target"]
    assert required_target and target.attributes["role_arn"] is True
    assert "retry_policy" in target.blocks and "dead_letter_config" in target.blocks
    instance = provider_schema.schema_for("resource", "aws_cloudformation_stack_set_instance")
    assert "stack_set_instance_region" in instance.attributes
    policy = provider_schema.schema_for("data", "aws_iam_policy_document")
    assert policy.blocks["statement"][1].blocks["condition"][1].attributes == {"test": True, "values": True, "variable": True}


def test_checker_reports_unknown_and_missing_arguments(tmp_path, monkeypatch):
    monkeypatch.setattr(schema_check, "REPO", tmp_path)
    bad = tmp_path / "bad.tf"
    bad.write_text(
        """
resource "aws_scheduler_schedule" "x" {
  name             = "x"
  made_up_argument = true

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn = "arn"

    dynamic "retry_policy" {
      for_each = [1]
      content {
        maximum_retry_attempts = 1
        not_an_argument        = 2
      }
    }
  }
}

data "aws_not_a_data_source" "y" {}
"""
    )
    problems = schema_check.check_file(bad)
    assert any("unknown argument or block 'made_up_argument'" in p for p in problems)
    assert any("required argument 'schedule_expression' is missing" in p for p in problems)
    assert any("target: required argument 'role_arn' is missing" in p for p in problems)
    assert any("retry_policy: unknown argument or block 'not_an_argument'" in p for p in problems)
    assert any("aws_not_a_data_source" in p and "not in the AWS provider schema" in p for p in problems)
    assert len(problems) == 5, problems
