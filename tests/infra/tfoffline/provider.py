"""terraform-provider-aws for offline tests: the real provider's schema, planning without AWS.

The plugin protocol (go-plugin handshake, TLS, tfplugin6 gRPC services, msgpack values) comes from
the `tf` framework on PyPI (https://pypi.org/project/tf/). Its resource classes decode values
through its own small type system (no list blocks, no object types), so the servicer below
overrides the calls that carry values and works on the wire values directly, driven by the schema
generate_schema.py wrote from @cdktn/provider-aws:

- GetProviderSchema serves that schema: attribute names and cty types; required, optional and
  computed; nested blocks with nesting mode and min/max items. Terraform core checks the
  configuration against it (unknown arguments, missing required ones, types, block counts,
  references to attributes that do not exist).
- PlanResourceChange: known configuration values pass through; computed attributes the
  configuration leaves null are unknown ("known after apply"), as the real provider plans a create.
- ReadDataSource returns schema-shaped, deterministic values; aws_iam_policy_document renders its
  JSON the way the real data source does (see iam_policy_document below).
- ApplyResourceChange creates nothing: it records what AWS would answer for the values known
  only after apply (ARNs as each service builds them) in a local state, so that a second plan
  (`scripts/terraform-offline plan --deployed`) is the plan of an existing deployment, where
  policies and the state machine definition built from ARNs are known.

Run as a plugin by Terraform (the wrapper the mirror installs execs `python provider.py SCHEMA`).
"""

from __future__ import annotations

import json
import zlib
import os
import sys
from pathlib import Path

from tf import runner
from tf import provider as tf_provider
from tf.gen import tfplugin_pb2 as pb
from tf.iface import Provider
from tf.schema import Schema
from tf.types import Unknown
from tf.utils import Diagnostics, read_dynamic_value, to_dynamic_value

PROVIDER_ADDRESS = "registry.terraform.io/hashicorp/aws"
DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
NESTING = {"single": pb.Schema.NestedBlock.SINGLE, "list": pb.Schema.NestedBlock.LIST,
           "set": pb.Schema.NestedBlock.SET, "map": pb.Schema.NestedBlock.MAP,
           "group": pb.Schema.NestedBlock.GROUP}


def block_pb(block: dict) -> pb.Schema.Block:
    attributes = [
        pb.Schema.Attribute(name=name, type=json.dumps(spec["type"]).encode(),
                            required=spec.get("required", False), optional=spec.get("optional", False),
                            computed=spec.get("computed", False), sensitive=spec.get("sensitive", False))
        for name, spec in block.get("attributes", {}).items()
    ]
    nested = [
        pb.Schema.NestedBlock(type_name=name, block=block_pb(spec["block"]), nesting=NESTING[spec["nesting_mode"]],
                              min_items=spec.get("min_items", 0), max_items=spec.get("max_items", 0))
        for name, spec in block.get("block_types", {}).items()
    ]
    return pb.Schema.Block(attributes=attributes, block_types=nested)


def schema_pb(schema: dict) -> pb.Schema:
    return pb.Schema(version=schema.get("version", 0), block=block_pb(schema["block"]))


# ---------------------------------------------------------------- planning

def plan_block(block: dict, proposed, prior):
    """Planned value of one block: config values as proposed, unset computed attributes unknown."""
    if proposed is None or proposed is Unknown:
        return proposed
    planned = dict(proposed)
    for name, spec in block.get("attributes", {}).items():
        if spec.get("computed") and planned.get(name) is None:
            planned[name] = prior.get(name) if isinstance(prior, dict) and prior.get(name) is not None else Unknown
    for name, spec in block.get("block_types", {}).items():
        value = planned.get(name)
        if value is None or value is Unknown:
            continue
        if spec["nesting_mode"] == "single":
            planned[name] = plan_block(spec["block"], value, None)
        elif spec["nesting_mode"] == "map":
            planned[name] = {k: plan_block(spec["block"], v, None) for k, v in value.items()}
        else:
            planned[name] = [plan_block(spec["block"], v, None) for v in value]
    return planned


def resolve_unknowns(block: dict, value, values: dict):
    """A planned object with every unknown replaced: by `values` at the top, else schema-shaped."""
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for name, spec in block.get("attributes", {}).items():
        if out.get(name) is Unknown:
            out[name] = values.get(name, zero(spec["type"]))
    for name, spec in block.get("block_types", {}).items():
        nested = out.get(name)
        if nested is Unknown:
            out[name] = [] if spec["nesting_mode"] in ("list", "set") else None
        elif isinstance(nested, list):
            out[name] = [resolve_unknowns(spec["block"], v, {}) for v in nested]
        elif isinstance(nested, dict):
            out[name] = resolve_unknowns(spec["block"], nested, {})
    return out


# ---------------------------------------------------------------- data sources

def zero(cty_type):
    """A schema-shaped placeholder for a computed value nobody asked to be realistic."""
    if cty_type == "string":
        return ""
    if cty_type == "number":
        return 0
    if cty_type == "bool":
        return False
    if cty_type == "dynamic":
        return None
    kind = cty_type[0]
    if kind in ("list", "set", "tuple"):
        return []
    if kind == "map":
        return {}
    return {name: zero(t) for name, t in cty_type[1].items()}


def fill(block: dict, state: dict, values: dict) -> dict:
    out = dict(state)
    for name, spec in block.get("attributes", {}).items():
        if out.get(name) is None and spec.get("computed"):
            out[name] = values[name] if name in values else zero(spec["type"])
    for name in block.get("block_types", {}):
        out.setdefault(name, None)
    return out


def go_json(value, indent: bool) -> str:
    """encoding/json output: HTML-safe escapes, two-space MarshalIndent or compact."""
    text = json.dumps(value, indent=2 if indent else None, separators=None if indent else (",", ":"),
                      ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def string_list(values):
    """policyDecodeConfigStringList: one value stays a string, several are sorted in reverse."""
    values = list(values)
    if len(values) == 1:
        return values[0]
    return sorted(values, reverse=True)


def principal_set(principals):
    """IAMPolicyStatementPrincipalSet.MarshalJSON."""
    if len(principals) == 1 and principals[0]["type"] == "*" and list(principals[0]["identifiers"]) == ["*"]:
        return "*"
    raw: dict = {}
    for principal in principals:
        identifiers = string_list(principal["identifiers"])
        kind = principal["type"]
        current = raw.get(kind)
        if isinstance(identifiers, list):
            merged = [] if current is None else ([current] if isinstance(current, str) else current)
            raw[kind] = merged + sorted(identifiers, reverse=True)
        elif current is None:
            raw[kind] = identifiers
        else:
            raw[kind] = ([current] if isinstance(current, str) else current) + [identifiers]
    return dict(sorted(raw.items()))


def condition_set(conditions):
    """IAMPolicyStatementConditionSet.MarshalJSON: test -> variable -> values, single values flat."""
    raw: dict = {}
    for condition in conditions:
        values = string_list(condition["values"])
        slot = raw.setdefault(condition["test"], {}).setdefault(condition["variable"], [])
        slot.extend(values if isinstance(values, list) else [values])
    return {test: {var: (v[0] if len(v) == 1 else v) for var, v in sorted(variables.items())}
            for test, variables in sorted(raw.items())}


def iam_policy_document(config: dict) -> dict:
    """Render like the provider's data_source_iam_policy_document.go (6.x).

    Statement keys in IAMPolicyStatement's field order, empty ones omitted; Effect defaults to
    Allow; Version to 2012-10-17; source documents first, then the statements (a statement with
    the Sid of a source statement replaces it), then the override documents by Sid.
    """
    def merge(base: dict, new: dict) -> dict:
        if new.get("Id"):
            base["Id"] = new["Id"]
        if new.get("Version", "") > base.get("Version", ""):
            base["Version"] = new["Version"]
        statements = base.setdefault("Statement", [])
        for statement in new.get("Statement", []) or []:
            sid = statement.get("Sid")
            index = next((i for i, s in enumerate(statements) if sid and s.get("Sid") == sid), None)
            if index is None:
                statements.append(statement)
            else:
                statements[index] = statement
        return base

    document: dict = {"Version": config.get("version") or "2012-10-17"}
    for source in config.get("source_policy_documents") or []:
        if source:
            merge(document, json.loads(source))
    statements = []
    for statement in config.get("statement") or []:
        rendered = {}
        if statement.get("sid"):
            rendered["Sid"] = statement["sid"]
        rendered["Effect"] = statement.get("effect") or "Allow"
        for key, name in (("actions", "Action"), ("not_actions", "NotAction"), ("resources", "Resource"),
                          ("not_resources", "NotResource")):
            if statement.get(key):
                rendered[name] = string_list(statement[key])
        for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            if statement.get(key):
                rendered[name] = principal_set(statement[key])
        if statement.get("condition"):
            rendered["Condition"] = condition_set(statement["condition"])
        statements.append(rendered)
    merge(document, {"Statement": statements})
    for override in config.get("override_policy_documents") or []:
        if override:
            merge(document, json.loads(override))
    if config.get("policy_id"):
        document["Id"] = config["policy_id"]
    ordered = {k: document[k] for k in ("Version", "Id", "Statement") if document.get(k)}
    return {"json": go_json(ordered, True), "minified_json": go_json(ordered, False),
            "id": str(zlib.crc32(go_json(ordered, True).encode()))}


class OfflineAws(Provider):
    """Only what the tf runner asks of a Provider; the servicer below does the rest."""

    def __init__(self, schema: dict):
        self.schema = schema

    def get_model_prefix(self) -> str:
        return "aws_"

    def full_name(self) -> str:
        return PROVIDER_ADDRESS

    def get_provider_schema(self, diags: Diagnostics) -> Schema:
        return Schema()

    def validate_config(self, diags, config):
        pass

    def configure_provider(self, diags, config):
        pass

    def get_data_sources(self):
        return []

    def get_resources(self):
        return []


class OfflineServicer(tf_provider.ProviderServicer):
    def __init__(self, app: OfflineAws):
        super().__init__(app)
        self.schema = app.schema
        self.account = DEFAULT_ACCOUNT
        self.region = DEFAULT_REGION

    def GetMetadata(self, request, context):
        return pb.GetMetadata.Response(server_capabilities=pb.ServerCapabilities(plan_destroy=True))

    def GetProviderSchema(self, request, context):
        return pb.GetProviderSchema.Response(
            provider=schema_pb(self.schema["provider"]),
            resource_schemas={k: schema_pb(v) for k, v in self.schema["resource_schemas"].items()},
            data_source_schemas={k: schema_pb(v) for k, v in self.schema["data_source_schemas"].items()},
            server_capabilities=pb.ServerCapabilities(plan_destroy=True),
        )

    def ValidateProviderConfig(self, request, context):
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request, context):
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request, context):
        return pb.ValidateDataResourceConfig.Response()

    def ConfigureProvider(self, request, context):
        config = read_dynamic_value(request.config) or {}
        # The plan's account is the one the configuration allows, so ARNs built from
        # aws_caller_identity match what the configuration was written for.
        allowed = config.get("allowed_account_ids")
        if isinstance(allowed, list) and allowed and isinstance(allowed[0], str):
            self.account = sorted(allowed)[0]
        if isinstance(config.get("region"), str):
            self.region = config["region"]
        return pb.ConfigureProvider.Response()

    def UpgradeResourceState(self, request, context):
        return pb.UpgradeResourceState.Response(upgraded_state=pb.DynamicValue(json=request.raw_state.json))

    def ReadResource(self, request, context):
        return pb.ReadResource.Response(new_state=request.current_state, private=request.private)

    def PlanResourceChange(self, request, context):
        proposed = read_dynamic_value(request.proposed_new_state)
        prior = read_dynamic_value(request.prior_state)
        block = self.schema["resource_schemas"][request.type_name]["block"]
        planned = plan_block(block, proposed, prior)
        return pb.PlanResourceChange.Response(planned_state=to_dynamic_value(planned))

    def ApplyResourceChange(self, request, context):
        # Nothing is created anywhere: "apply" only records, in a local state file under the build
        # directory, what AWS would answer for the values known after apply (ARNs built the way
        # each service builds them). A second plan against that state is a plan of an existing
        # deployment, in which ARN-derived values (policies, the state machine definition) are known.
        planned = read_dynamic_value(request.planned_state)
        if planned is None:
            return pb.ApplyResourceChange.Response(new_state=request.planned_state)
        block = self.schema["resource_schemas"][request.type_name]["block"]
        known = resolve_unknowns(block, planned, self.computed_values(request.type_name, planned))
        return pb.ApplyResourceChange.Response(new_state=to_dynamic_value(known), private=request.planned_private)

    def computed_values(self, type_name: str, planned: dict) -> dict:
        account, region = self.account, planned.get("region") if isinstance(planned.get("region"), str) else self.region
        name = next((planned[k] for k in ("name", "function_name", "bucket", "stack_set_name", "table_name")
                     if isinstance(planned.get(k), str)), type_name.removeprefix("aws_"))
        arns = {
            "aws_s3_bucket": f"arn:aws:s3:::{name}",
            "aws_cloudwatch_log_group": f"arn:aws:logs:{region}:{account}:log-group:{name}",
            "aws_dynamodb_table": f"arn:aws:dynamodb:{region}:{account}:table/{name}",
            "aws_lambda_function": f"arn:aws:lambda:{region}:{account}:function:{name}",
            "aws_iam_role": f"arn:aws:iam::{account}:role/{name}",
            "aws_secretsmanager_secret": f"arn:aws:secretsmanager:{region}:{account}:secret:{name}-Offln0",
            "aws_sns_topic": f"arn:aws:sns:{region}:{account}:{name}",
            "aws_sqs_queue": f"arn:aws:sqs:{region}:{account}:{name}",
            "aws_sfn_state_machine": f"arn:aws:states:{region}:{account}:stateMachine:{name}",
            "aws_scheduler_schedule": f"arn:aws:scheduler:{region}:{account}:schedule/default/{name}",
            "aws_cloudformation_stack_set": f"arn:aws:cloudformation:{region}:{account}:stackset/{name}:offline",
        }
        arn = arns.get(type_name, f"arn:aws:offline:{region}:{account}:{type_name.removeprefix('aws_')}/{name}")
        values = {"arn": arn, "id": name if type_name in ("aws_s3_bucket", "aws_iam_role", "aws_sns_topic") else arn,
                  "region": region, "tags_all": planned.get("tags") or {}}
        if type_name == "aws_lambda_function":
            values.update(invoke_arn=f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations",
                          qualified_arn=f"{arn}:$LATEST", version="$LATEST")
        if type_name == "aws_sqs_queue":
            values["url"] = f"https://sqs.{region}.amazonaws.com/{account}/{name}"
            values["id"] = values["url"]
        if type_name == "aws_dynamodb_table":
            values["name"] = name
        return values

    def ReadDataSource(self, request, context):
        config = read_dynamic_value(request.config) or {}
        block = self.schema["data_source_schemas"][request.type_name]["block"]
        values = self.data_values(request.type_name, config)
        return pb.ReadDataSource.Response(state=to_dynamic_value(fill(block, config, values)))

    def data_values(self, type_name: str, config: dict) -> dict:
        account, region = self.account, config.get("region") or self.region
        if type_name == "aws_caller_identity":
            return {"id": account, "account_id": account, "user_id": "AIDAOFFLINETERRAFORM",
                    "arn": f"arn:aws:iam::{account}:user/terraform-offline"}
        if type_name == "aws_partition":
            return {"id": "aws", "partition": "aws", "dns_suffix": "amazonaws.com",
                    "reverse_dns_prefix": "com.amazonaws"}
        if type_name == "aws_region":
            return {"id": region, "name": region, "region": region, "description": region,
                    "endpoint": f"ec2.{region}.amazonaws.com"}
        if type_name == "aws_organizations_organization":
            org, root = "o-offline0000", "r-off0"
            master = {"arn": f"arn:aws:organizations::{account}:account/{org}/{account}", "email": "management@example.com",
                      "id": account, "name": "management", "status": "ACTIVE", "state": "ACTIVE",
                      "joined_method": "CREATED", "joined_timestamp": "2020-01-01T00:00:00Z"}
            return {"id": org, "arn": f"arn:aws:organizations::{account}:organization/{org}", "feature_set": "ALL",
                    "master_account_id": account, "master_account_arn": master["arn"],
                    "master_account_email": master["email"], "master_account_name": master["name"],
                    "accounts": [master], "non_master_accounts": [],
                    "roots": [{"id": root, "arn": f"arn:aws:organizations::{account}:root/{org}/{root}",
                               "name": "Root", "policy_types": []}],
                    "aws_service_access_principals": ["member.org.stacksets.cloudformation.amazonaws.com"],
                    "enabled_policy_types": []}
        if type_name == "aws_iam_policy_document":
            return iam_policy_document(config)
        return {"id": f"offline-{type_name}"}


def main() -> None:
    schema_path = Path(os.environ.get("TF_OFFLINE_SCHEMA") or sys.argv[1])
    schema = json.loads(schema_path.read_text(encoding="utf-8"))["provider_schemas"][PROVIDER_ADDRESS]
    # runner.run_provider builds its servicer from tf.provider.ProviderServicer.
    tf_provider.ProviderServicer = OfflineServicer
    runner.run_provider(OfflineAws(schema), [a for a in sys.argv if a == "--dev"])


if __name__ == "__main__":
    main()
