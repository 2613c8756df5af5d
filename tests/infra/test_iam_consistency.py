"""Each function's policy grants exactly the AWS operations its code calls (derived from the code).

The actions come from tests/infra/iam_from_code.py reading lambdas/<function> and the crates it
depends on; the grants from local.lambda_code_actions in modules/hub/locals.tf (which iam.tf turns
into one statement per action) and from the member role's policy in stacksets/member-role.yaml.
"""

import re

import pytest

import iam_from_code
from hub_policy import FUNCTIONS, hub_locals, lambda_code_actions, member_role_granted_actions
from terraform_files import REPO

LAMBDAS = REPO / "lambdas"

@pytest.fixture(scope="module")
def derived():
    missing = [function for function in FUNCTIONS if not (LAMBDAS / function / "src" / "main.rs").is_file()]
    assert not missing, (
        f"function crates missing: {', '.join(f'lambdas/{m}/src/main.rs' for m in missing)}; "
        "the hub module deploys orgpulse-plan, orgpulse-report and orgpulse-summarize"
    )
    return {function: iam_from_code.derive(LAMBDAS / function) for function in FUNCTIONS}


def _difference(function: str, granted: set[str], called: dict[str, list[str]]) -> str:
    lines = [f"{function}: policy and code disagree"]
    lines += [f"  granted but never called: {action}" for action in sorted(granted - set(called))]
    lines += [f"  called but not granted:   {action} ({called[action][0]})" for action in sorted(set(called) - granted)]
    lines.append("  fix modules/hub/locals.tf lambda_code_actions, or the code")
    return "\n".join(lines)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_code_follows_the_sdk_call_convention(derived, function):
    assert not derived[function].errors, "\n".join(derived[function].errors)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_policy_grants_exactly_what_the_code_calls(derived, function):
    granted = lambda_code_actions()[function]
    called = derived[function].hub_actions
    assert granted == set(called), _difference(function, granted, called)


def test_member_role_grants_exactly_what_member_account_clients_call(derived):
    called: dict[str, list[str]] = {}
    for derivation in derived.values():
        for action, places in derivation.member_actions.items():
            called.setdefault(action, []).extend(places)
    granted = member_role_granted_actions()
    if not called:
        # The member role is issue 5's deliverable, its first reader (AWS Budgets status) is
        # issue 8's. Until member-account code exists this is an expected failure, shown as such;
        # the first `member_<service>` call makes the equality below binding.
        pytest.xfail(f"no code calls member-account clients yet; the member role grants {sorted(granted)}")
    assert granted == set(called), _difference("member role (stacksets/member-role.yaml)", granted, called)


def test_only_the_report_function_uses_the_member_role(derived):
    assert lambda_code_actions()["report"] >= {"sts:AssumeRole"}
    for function in ("plan", "summarize"):
        assert not derived[function].member_actions, f"{function} calls member-account clients but cannot assume the member role"


# ---------------------------------------------------------------------------------------------
# S3 resources: the keys each function's code names against the objects its policy grants.
# moto does not enforce IAM, so a key outside the grant only fails in AWS (AccessDenied).
# ---------------------------------------------------------------------------------------------

S3_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject")


def _bucket_pattern(resource: str, locals_: dict) -> str:
    """A granted resource ("${local.run_objects}") as a key pattern ("runs/*")."""
    match = re.fullmatch(r"\$\{local\.(\w+)\}", resource)
    text = locals_[match.group(1)] if match else resource
    text = re.sub(r"\$\{local\.(\w+_prefix)\}", lambda m: locals_[m.group(1)], text)
    prefix = "${aws_s3_bucket.this.arn}/"
    assert text.startswith(prefix), f"{resource}: not an object of the hub's bucket ({text})"
    return text.removeprefix(prefix)


def _granted_s3_patterns(function: str) -> set[str]:
    locals_ = hub_locals()
    granted = locals_["lambda_code_actions"][function]
    return {_bucket_pattern(resource, locals_) for action in S3_OBJECT_ACTIONS for resource in granted.get(action, [])}


def _covers(pattern: str, key: str) -> bool:
    # IAM's * matches any characters, / included.
    return re.fullmatch(".*".join(map(re.escape, pattern.split("*"))), key) is not None


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_s3_key_the_code_names_is_granted(derived, function):
    granted = _granted_s3_patterns(function)
    missing = {
        key: places[0] for key, places in derived[function].s3_keys.items()
        if not any(_covers(pattern, key.replace("*", "x")) for pattern in granted)
    }
    assert not missing, (
        f"{function} reads or writes S3 keys its policy does not grant (AccessDenied in AWS): {missing}; "
        f"granted {sorted(granted)}: fix modules/hub/locals.tf lambda_code_actions"
    )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_no_s3_grant_reaches_another_functions_fixed_object(derived, function):
    # Fixed keys (state/config-last-good.json, ...) named anywhere in the code: a function whose
    # code never names one must not be granted it, e.g. summarize writing the configuration's
    # last good rows through a state/* grant.
    fixed = {key for derivation in derived.values() for key in derivation.s3_keys if "*" not in key}
    own = set(derived[function].s3_keys)
    for pattern in _granted_s3_patterns(function):
        reached = {key for key in fixed - own if _covers(pattern, key)}
        assert not reached, f"{function}: the grant on {pattern} also covers {sorted(reached)}, which its code never uses: grant the exact objects"


def test_s3_keys_are_derived_from_the_code(derived):
    # The derivation itself: constants (KNOWN_ACCOUNTS_KEY) and format! placeholders.
    assert "state/known-accounts.json" in derived["summarize"].s3_keys
    assert "runs/*/summary.json" in derived["summarize"].s3_keys
    assert "state/config-last-good.json" in derived["plan"].s3_keys
    assert "state/config-last-good.json" not in derived["summarize"].s3_keys
