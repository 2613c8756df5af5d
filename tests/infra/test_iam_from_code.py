"""The IAM derivation itself, on small Rust sources (tests/infra/fixtures/rust_workspace)."""

from pathlib import Path

import pytest

import iam_from_code

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "rust_workspace"


@pytest.fixture(scope="module")
def app():
    return iam_from_code.derive(FIXTURE / "lambdas" / "app")


def test_derives_actions_reachable_from_main_across_path_dependencies(app):
    assert not app.errors
    assert set(app.hub_actions) == {
        "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "dynamodb:PutItem", "ce:GetCostAndUsage"
    }


def test_member_clients_are_attributed_to_the_member_role(app):
    # describe_budgets is authorized by budgets:ViewBudget, not a DescribeBudgets action.
    assert set(app.member_actions) == {"budgets:ViewBudget"}


def test_unreachable_test_only_commented_and_quoted_calls_do_not_count(app):
    every = set(app.hub_actions) | set(app.member_actions)
    assert "organizations:ListAccounts" not in every  # unused.rs: never called, Archiver never built
    assert "ce:GetCostForecast" not in every  # ForecastSource implements the trait but is never built
    assert "s3:DeleteObject" not in every  # #[cfg(test)] mod tests { ... }
    assert "s3:DeleteBucket" not in every  # #[cfg(test)] mod tests; (its own file)
    assert "sts:AssumeRole" not in every  # in a comment and in a string
    assert "iam:DeleteRole" not in every  # in a raw string


def test_call_sites_are_reported(app):
    assert app.hub_actions["dynamodb:PutItem"] == ["lambdas/lib/src/handler.rs:46 (fn record)"]


def test_convention_violations_are_errors():
    bad = iam_from_code.derive(FIXTURE / "lambdas" / "bad")
    assert not bad.hub_actions
    assert len(bad.errors) == 3, bad.errors
    split, unnamed, misspelt = bad.errors
    assert "main.rs:17" in split and "does not start at a service-named client" in split
    assert "receiver `client` is not named after an AWS service" in unnamed
    assert "s3 has no operation `get_objekt`" in misspelt


def test_operation_names_come_from_botocore():
    prefix, operations = iam_from_code.service_operations("ce")
    assert prefix == "ce" and operations["get_cost_and_usage"] == "GetCostAndUsage"
    assert iam_from_code.service_operations("costexplorer") is None


def test_tokenizer_tells_lifetimes_from_chars_and_skips_nested_comments():
    tokens = iam_from_code.tokenize("fn f<'a>(x: &'a str) -> char { /* a /* b */ c */ 'x' }")
    texts = [token.text for token in tokens]
    assert "'a" in texts and "'x'" in texts and "b" not in texts and "c" not in texts
