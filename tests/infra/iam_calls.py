"""Recorded AWS requests -> IAM requests -> decisions of a maintained IAM evaluator.

A record (tests/support/aws_recorder.py) becomes what IAM evaluates: the action (botocore's
operation name; tests/infra/iam_from_code.py's ACTION_OVERRIDES where the action is named
otherwise), the resource ARN the operation acts on, and the context keys a policy's Condition
reads. @cloud-copilot/iam-simulate (tests/infra/iam_simulate.mjs) decides each against the
caller's identity policy:

- a function's calls: its policy from plan.json of the hub deployed as the end-to-end harness
  deploys it (tests/infra/fixtures/offline_roots/e2e: same account, region, bucket, table,
  secret and member role name), planned by scripts/terraform-offline --deployed;
- the member role's calls (credentials issued by sts:AssumeRole on it): the policy of the
  StackSet template stacksets/member-role.yaml, !Sub resolved for the member account.
"""

from __future__ import annotations

import json
import subprocess
import urllib.parse
from pathlib import Path

from iam_from_code import ACTION_OVERRIDES, service_operations

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# The organisation the e2e root plans with; the harness's moto organisation has another random
# ID, so a member account's aws:ResourceOrgID is given as this one (it is in the organisation).
PLANNED_ORGANIZATION_ID = "o-e2eorganization"
# Known denies, each a bug with the branch that fixes it: the IAM check of every end-to-end
# scenario tolerates exactly these; test_iam_calls.py's strict xfail fails once the fix merges,
# and then this set must be emptied.
# Denies accepted for now, as (caller, action, resource). Empty: the first entries (summarize's
# s3:GetObject/PutObject on state/known-accounts.json while granted runs/* only) were fixed by
# granting exactly that object. A new entry needs the bug it stands for named beside it.
KNOWN_DENIES: set[tuple[str, str, str]] = set()
BOTOCORE_NAMES = {"stepfunctions": "stepfunctions", "budgets": "budgets", "s3": "s3", "sts": "sts",
                  "dynamodb": "dynamodb", "secretsmanager": "secretsmanager", "organizations": "organizations",
                  "cloudformation": "cloudformation", "iam": "iam"}


def _s3_operation(record: dict) -> tuple[str, str]:
    parts = record["path"].lstrip("/").split("/", 1)
    bucket, key = parts[0], (parts[1] if len(parts) > 1 else "")
    query, method = record["query"], record["method"]
    if key:
        resource = f"arn:aws:s3:::{bucket}/{key}"
        if method in ("GET", "HEAD"):
            return ("GetObject" if method == "GET" else "HeadObject"), resource
        if method == "PUT":
            return ("CopyObject" if record.get("copy_source") else "PutObject"), resource
        if method == "DELETE":
            return "DeleteObject", resource
    resource = f"arn:aws:s3:::{bucket}"
    if method == "GET" and query.get("list-type") == ["2"]:
        return "ListObjectsV2", resource
    if method == "GET" and "versions" in query:
        return "ListObjectVersions", resource
    if method == "GET":
        return "ListObjects", resource
    if method == "HEAD":
        return "HeadBucket", resource
    return f"{method} {record['path']}", resource


def operation_and_parameters(record: dict) -> tuple[str, dict]:
    if record["service"] == "s3":
        return _s3_operation(record)[0], {}
    if record.get("target"):
        return record["target"].rsplit(".", 1)[1], json.loads(record.get("body") or "{}")
    form = {k: v[0] for k, v in urllib.parse.parse_qs(record.get("body") or "").items()}
    return form.get("Action", "?"), form


def iam_requests(record: dict, account: str) -> list[dict]:
    """The (action, resource, context) IAM evaluates for one recorded request; [] if none."""
    service = record["service"]
    operation, params = operation_and_parameters(record)
    region = record["region"]
    caller_account = record["role"].split(":")[4] if record.get("role") else account
    if (service, operation) in ACTION_OVERRIDES:
        actions = ACTION_OVERRIDES[(service, operation)]
        if actions is None:
            return []
    else:
        prefix = (service_operations(BOTOCORE_NAMES.get(service, service)) or (service, {}))[0]
        actions = [f"{prefix}:{operation}"]
    context: dict = {}
    if service == "s3":
        resource = _s3_operation(record)[1]
    elif service == "dynamodb":
        resource = f"arn:aws:dynamodb:{region}:{caller_account}:table/{params['TableName']}"
    elif service == "secretsmanager":
        secret = params["SecretId"]
        resource = secret if secret.startswith("arn:") else f"arn:aws:secretsmanager:{region}:{caller_account}:secret:{secret}"
    elif service == "sts" and operation == "AssumeRole":
        resource = params["RoleArn"]
        context["aws:ResourceOrgID"] = PLANNED_ORGANIZATION_ID
    elif service == "cloudformation" and "StackSetName" in params:
        resource = f"arn:aws:cloudformation:{region}:{caller_account}:stackset/{params['StackSetName']}:e2e"
    elif service == "budgets":
        resource = f"arn:aws:budgets::{params.get('AccountId', caller_account)}:budget/{params.get('BudgetName', 'e2e')}"
    else:
        resource = "*"
    return [{"action": action, "resource": resource, "context": context} for action in actions]


def member_role_policy(account: str) -> dict:
    from hub_policy import load_template

    role = load_template()["Resources"]["MemberReadOnlyRole"]["Properties"]
    statements = []
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            resolved = dict(statement)
            resource = statement["Resource"]
            if isinstance(resource, dict) and "Fn::Sub" in resource:
                resolved["Resource"] = (resource["Fn::Sub"].replace("${AWS::Partition}", "aws")
                                        .replace("${AWS::AccountId}", account))
            statements.append(resolved)
    return {"Version": "2012-10-17", "Statement": statements}


def evaluate(requests: list[dict]) -> list[dict]:
    """Decisions of iam-simulate, one per request ({name, policy, action, resource, account, context})."""
    if not requests:
        return []
    done = subprocess.run(["node", str(HERE / "iam_simulate.mjs")], input=json.dumps(requests),
                          capture_output=True, text=True, cwd=HERE, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"iam_simulate.mjs failed: {done.stderr}")
    return json.loads(done.stdout)


def denies(calls: list[dict], function_policies: dict[str, dict], account: str) -> list[dict]:
    """Every distinct request a policy does not allow: caller, action, resource, decision, reason."""
    requests, seen = [], set()
    for record in calls:
        if record["caller"] == "unknown" and not record.get("role"):
            raise AssertionError(f"a request came from no known function process: {record}")
        for request in iam_requests(record, account):
            if record.get("role"):
                member_account = record["role"].split(":")[4]
                name, policy, owner = f"member role {record['role']}", member_role_policy(member_account), member_account
            else:
                name, policy, owner = record["caller"], function_policies.get(record["caller"]), account
                if policy is None:
                    raise AssertionError(f"no planned policy for {record['caller']}")
            key = (name, request["action"], request["resource"], json.dumps(request["context"], sort_keys=True))
            if key in seen:
                continue
            seen.add(key)
            requests.append({"name": name, "policy": policy, "account": owner, **request})
    found = []
    for request, result in zip(requests, evaluate(requests)):
        if result["errors"]:
            raise AssertionError(f"iam-simulate rejected {request['action']} on {request['resource']}: {result['errors']}")
        if result["decision"] != "Allowed":
            found.append({"caller": request["name"], "action": request["action"], "resource": request["resource"],
                          "decision": result["decision"],
                          "missing": f"no statement of {request['name']}'s policy allows {request['action']} "
                                     f"on {request['resource']}"})
    return found


def unexpected(found: list[dict]) -> list[dict]:
    return [d for d in found if (d["caller"], d["action"], d["resource"]) not in KNOWN_DENIES]


# The function environment the harness gives (tests/e2e/harness.py function_env) -> hub input.
ENV_INPUTS = {
    "ORGPULSE_MEMBER_ROLE_NAME": "member_role_name",
    "ORGPULSE_MEMBER_STACKSET_NAME": "member_stack_set_name",
    "ORGPULSE_MEMBER_STACKSET_CALL_AS": "member_stack_set_call_as",
    "ORGPULSE_OPERATORS_CHANNEL": "operators_slack_channel_id",
    "ORGPULSE_SLACK_TOKEN_SECRET_ARN": "slack_token_secret_arn",
    "ORGPULSE_BUCKET": "bucket_name",
    "ORGPULSE_CONFIG_KEY": "config_object_key",
    "ORGPULSE_TIME_ZONE": "time_zone",
    "ORGPULSE_CONFIG_SHEET_ID": "config_sheet_id",
    "ORGPULSE_CONFIG_SHEET_RANGE": "config_sheet_range",
    "ORGPULSE_GOOGLE_CREDENTIALS_SECRET_ARN": "google_credentials_secret_arn",
}


def module_inputs(function_env: dict[str, str]) -> dict[str, str]:
    return {ENV_INPUTS[k]: v for k, v in function_env.items() if k in ENV_INPUTS}


_planned: dict[str, dict[str, dict]] = {}


def e2e_function_policies(function_env: dict[str, str]) -> dict[str, dict]:
    """orgpulse-<fn> -> its identity policy, planned offline for the scenario's deployment."""
    import tempfile

    from offline_terraform import copy_tree, lambda_artifacts, offline

    inputs = json.dumps(module_inputs(function_env), sort_keys=True)
    if inputs not in _planned:
        with tempfile.TemporaryDirectory(prefix="iam-calls-") as scratch:
            tree = copy_tree(Path(scratch))
            artifacts = lambda_artifacts(tree / "build" / "lambda")
            root = tree / "tests" / "infra" / "fixtures" / "offline_roots" / "e2e"
            (root / "scenario.auto.tfvars.json").write_text(json.dumps({"hub": json.loads(inputs)}))
            result = offline(tree, "plan", root, f"-var=lambda_artifacts_dir={artifacts}", "--deployed")
            if result.code != 0:
                raise RuntimeError(f"offline plan of {root} failed:\n{result.output}")
            resources = result.resources()
        _planned[inputs] = {
            f"orgpulse-{f}": json.loads(resources[f'module.hub.aws_iam_role_policy.lambda["{f}"]']["policy"])
            for f in ("plan", "report", "summarize")}
    return _planned[inputs]


def check(system) -> list[dict]:
    """Every request a LocalSystem's functions made that IAM would deny, known bugs included."""
    from tests.e2e.harness import MANAGEMENT_ACCOUNT

    return denies(system.aws_calls(), e2e_function_policies(system.started_function_env), MANAGEMENT_ACCOUNT)


def describe(found: list[dict]) -> str:
    return "\n".join(f"  {d['caller']}: {d['action']} on {d['resource']} ({d['decision']}): {d['missing']}"
                     for d in found)
