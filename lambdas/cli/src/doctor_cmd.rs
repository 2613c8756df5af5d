//! `orgpulse doctor`: checks a live deployment with the hub's credentials, before its first
//! scheduled run or when something looks wrong. Real API calls, read-only: it changes nothing.
//!
//! Each check prints ✓ (fine), ✗ (the product will not work as deployed) or ! (worth a look),
//! a one-line finding and the fix. Exit status: 0 when nothing is ✗, 1 otherwise, 2 for usage
//! errors (and when no AWS credentials can be loaded).

mod cron;
mod deployed;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use aws_config::SdkConfig;
use chrono::Days;
use clap::{ArgGroup, Args, ValueEnum};
use orgpulse_config::ChannelId;
use orgpulse_pipeline::organizations::{OrganizationsReader, TagLookup};
use orgpulse_pipeline::secrets::SlackTokenSource;
use orgpulse_slack::{SlackClient, SlackClientConfig, SlackToken};
use orgpulse_workflow::stack_set::MemberStackSet;
use serde::Serialize;

use crate::exit::{error_chain, Failure, Status};
use crate::session;

/// The Slack bot scopes the product uses (terraform/README.md says why each).
pub const REQUIRED_SCOPES: [&str; 5] = [
    "chat:write",
    "channels:history",
    "groups:history",
    "channels:read",
    "groups:read",
];
/// More scopes when a configured channel is a direct message (`D…`).
pub const DM_SCOPES: [&str; 2] = ["im:read", "im:history"];

/// CloudFormation StackSets' service principal in Organizations' trusted access list.
const STACKSETS_PRINCIPAL: &str = "member.org.stacksets.cloudformation.amazonaws.com";

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("deployment").required(true).args(["name_prefix", "state_machine"])))]
pub struct DoctorArgs {
    /// The hub module's `name_prefix` (e.g. orgpulse).
    #[arg(long)]
    pub name_prefix: Option<String>,
    /// The deployment's state machine ARN (its name is the hub module's `name_prefix`).
    #[arg(long)]
    pub state_machine: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The build manifest `scripts/build-lambdas` writes beside the zips: the functions'
    /// architecture and code are compared with it (default build/lambda/manifest.json; `!` when
    /// there is none).
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// The bucket (default: the plan function's ORGPULSE_BUCKET, else `<prefix>-<account>-<region>`).
    #[arg(long)]
    pub bucket: Option<String>,
    /// The configuration object's key (default: the plan function's ORGPULSE_CONFIG_KEY, else
    /// config/orgpulse.json, then config/orgpulse.csv).
    #[arg(long)]
    pub config_key: Option<String>,
    /// The Slack token secret's ARN or name (default: the plan function's setting, else
    /// `<prefix>/slack-bot-token`).
    #[arg(long)]
    pub slack_secret: Option<String>,
    /// The operators' channel (default: the plan function's ORGPULSE_OPERATORS_CHANNEL, the
    /// module's `operators_slack_channel_id`): the app must be in it.
    #[arg(long)]
    pub operators_channel: Option<String>,
    /// The member-role StackSet (default: the plan function's setting, else
    /// `<prefix>-member-roles`).
    #[arg(long)]
    pub stack_set: Option<String>,
    /// The configuration is this Google Sheet (default: the plan function's
    /// ORGPULSE_CONFIG_SHEET_ID, the module's `config_sheet_id`): read it as the plan function
    /// does, instead of the bucket's object.
    #[arg(long)]
    pub sheet: Option<String>,
    /// The sheet's tab or range (the module's `config_sheet_range`).
    #[arg(long, requires = "sheet")]
    pub sheet_range: Option<String>,
    /// The secret holding the Google service account key (default
    /// `<prefix>/google-service-account-key`).
    #[arg(long, requires = "sheet")]
    pub google_secret: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    Ok,
    Fail,
    Warn,
}

impl Mark {
    fn symbol(self) -> &'static str {
        match self {
            Self::Ok => "✓",
            Self::Fail => "✗",
            Self::Warn => "!",
        }
    }
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub id: &'static str,
    pub status: Mark,
    pub finding: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn ok(id: &'static str, finding: impl Into<String>) -> Self {
        Self {
            id,
            status: Mark::Ok,
            finding: finding.into(),
            fix: None,
        }
    }
    fn fail(id: &'static str, finding: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            id,
            status: Mark::Fail,
            finding: finding.into(),
            fix: Some(fix.into()),
        }
    }
    fn warn(id: &'static str, finding: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            id,
            status: Mark::Warn,
            finding: finding.into(),
            fix: Some(fix.into()),
        }
    }
}

/// Where the deployment's parts are, as the hub module names them.
#[derive(Debug, Clone, Serialize)]
pub struct Deployment {
    pub name_prefix: String,
    pub account_id: String,
    pub region: String,
    pub bucket: String,
    pub slack_secret: String,
    pub stack_set: String,
    pub operators_channel: Option<String>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    deployment: &'a Deployment,
    ok: bool,
    checks: &'a [Check],
}

pub async fn run(args: DoctorArgs) -> Result<Status, Failure> {
    let name_prefix = match (&args.name_prefix, &args.state_machine) {
        (Some(prefix), _) => prefix.trim().to_owned(),
        (None, Some(arn)) => prefix_from_state_machine(arn)?,
        (None, None) => unreachable!("clap requires one"),
    };
    // An explicit manifest that cannot be read is a mistake in the command line, not a finding.
    let manifest: deployed::ManifestFound = match &args.manifest {
        Some(path) => Ok(deployed::Manifest::read(path).map_err(|problem| {
            Failure::usage(format!(
                "--manifest: {problem}; scripts/build-lambdas writes {}",
                deployed::DEFAULT_MANIFEST
            ))
        })?),
        None => {
            let path = PathBuf::from(deployed::DEFAULT_MANIFEST);
            if path.exists() {
                deployed::Manifest::read(&path)
            } else {
                Err(format!(
                    "no build manifest at {}",
                    deployed::DEFAULT_MANIFEST
                ))
            }
        }
    };
    let aws = session::aws_session().await?;
    let account_id = caller_account(&aws).await?;
    let region = aws
        .region()
        .map(ToString::to_string)
        .unwrap_or_else(|| "us-east-1".into());
    let now = orgpulse_config::clock::now();

    let mut checks = organizations_checks(&aws, &account_id).await;
    checks.push(cost_explorer_answers(&aws).await);
    // The plan function's settings say where everything else is (options override them; the
    // module's default names stand in when the function cannot be read).
    let functions = deployed::functions(&aws, &name_prefix, &mut checks).await;
    checks.push(deployed::architecture_check(&functions.deployed, &manifest));
    checks.push(deployed::code_check(&functions.deployed, &manifest));
    checks.push(deployed::recent_errors(&aws, &functions.deployed, now).await);
    let setting = Settings(&functions.environment);

    let deployment = Deployment {
        bucket: args
            .bucket
            .clone()
            .or_else(|| setting.get("ORGPULSE_BUCKET"))
            .unwrap_or_else(|| format!("{name_prefix}-{account_id}-{region}")),
        slack_secret: args
            .slack_secret
            .clone()
            .or_else(|| setting.get("ORGPULSE_SLACK_TOKEN_SECRET_ARN"))
            .unwrap_or_else(|| format!("{name_prefix}/slack-bot-token")),
        stack_set: args
            .stack_set
            .clone()
            .or_else(|| setting.get("ORGPULSE_MEMBER_STACKSET_NAME"))
            .unwrap_or_else(|| format!("{name_prefix}-member-roles")),
        operators_channel: args
            .operators_channel
            .clone()
            .or_else(|| setting.get("ORGPULSE_OPERATORS_CHANNEL")),
        name_prefix,
        account_id,
        region,
    };
    let config_key = args
        .config_key
        .clone()
        .or_else(|| setting.get("ORGPULSE_CONFIG_KEY"));
    let sheet =
        match args.sheet.clone() {
            Some(id) => Some(Sheet {
                id,
                range: args.sheet_range.clone(),
                secret: args.google_secret.clone(),
            }),
            None => setting.get("ORGPULSE_CONFIG_SHEET_ID").map(|id| Sheet {
                id,
                range: setting.get("ORGPULSE_CONFIG_SHEET_RANGE"),
                secret: setting.get("ORGPULSE_GOOGLE_CREDENTIALS_SECRET_ARN"),
            }),
        }
        .map(|sheet| Sheet {
            secret: Some(sheet.secret.unwrap_or_else(|| {
                format!("{}/google-service-account-key", deployment.name_prefix)
            })),
            ..sheet
        });
    checks.extend(run_checks(&aws, &deployment, config_key.as_deref(), sheet).await);
    checks.push(deployed::schedule(&aws, &deployment.name_prefix, now).await);
    checks.push(
        deployed::alarm_subscription(
            &aws,
            &deployment.name_prefix,
            &deployment.account_id,
            &deployment.region,
        )
        .await,
    );
    let failed = checks.iter().any(|c| c.status == Mark::Fail);
    match args.format {
        Format::Text => print!("{}", to_text(&deployment, &checks)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&JsonReport {
                deployment: &deployment,
                ok: !failed,
                checks: &checks,
            })
            .expect("plain data serializes")
        ),
    }
    Ok(if failed { Status::Problems } else { Status::Ok })
}

/// `arn:<partition>:states:<region>:<account>:stateMachine:<name>`: the hub module names its
/// state machine after `name_prefix`.
pub fn prefix_from_state_machine(arn: &str) -> Result<String, Failure> {
    let parts: Vec<&str> = arn.trim().split(':').collect();
    match parts.as_slice() {
        ["arn", _, "states", _, _, "stateMachine", name] if !name.is_empty() => {
            Ok((*name).to_owned())
        }
        _ => Err(Failure::usage(format!(
            "--state-machine {arn:?} is not a state machine ARN \
             (arn:aws:states:<region>:<account>:stateMachine:<name>); \
             `terraform output -raw state_machine_arn` prints it"
        ))),
    }
}

async fn caller_account(aws: &SdkConfig) -> Result<String, Failure> {
    let sts = aws_sdk_sts::Client::new(aws);
    let identity = sts.get_caller_identity().send().await.map_err(|e| {
        Failure::usage(format!(
            "cannot tell which AWS account these credentials belong to: {}",
            error_chain(&e)
        ))
    })?;
    Ok(identity.account().unwrap_or_default().to_owned())
}

pub fn to_text(deployment: &Deployment, checks: &[Check]) -> String {
    let mut out = format!(
        "orgpulse doctor: deployment {} in account {} ({})\n",
        deployment.name_prefix, deployment.account_id, deployment.region
    );
    for check in checks {
        out.push_str(&format!(
            "{} {:<36} {}\n",
            check.status.symbol(),
            check.id,
            check.finding
        ));
        if let Some(fix) = &check.fix {
            out.push_str(&format!("  {:<36} fix: {fix}\n", ""));
        }
    }
    let failed = checks.iter().filter(|c| c.status == Mark::Fail).count();
    let warned = checks.iter().filter(|c| c.status == Mark::Warn).count();
    out.push_str(&format!(
        "{} checks: {} ✓, {failed} ✗, {warned} !\n",
        checks.len(),
        checks.len() - failed - warned
    ));
    out
}

/// The plan function's environment (the hub module's non-secret settings); empty values count
/// as unset.
struct Settings<'a>(&'a BTreeMap<String, String>);

impl Settings<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.trim().is_empty()).cloned()
    }
}

/// A Google Sheet source: its ID, range and key's secret.
struct Sheet {
    id: String,
    range: Option<String>,
    secret: Option<String>,
}

async fn run_checks(
    aws: &SdkConfig,
    deployment: &Deployment,
    config_key: Option<&str>,
    sheet: Option<Sheet>,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let config = match sheet {
        Some(sheet) => sheet_configuration(aws, sheet).await,
        None => configuration(aws, &deployment.bucket, config_key).await,
    };
    checks.push(config.check.clone());
    checks.push(cost_tags_active(aws, config.loaded.as_ref()).await);
    checks.extend(slack_checks(aws, deployment, config.loaded.as_ref()).await);
    checks.extend(stack_set_checks(aws, deployment).await);
    checks
}

// ---- Organizations ----------------------------------------------------------------------------

async fn organizations_checks(aws: &SdkConfig, account_id: &str) -> Vec<Check> {
    let organizations = orgpulse_pipeline::aws::organizations_client(aws);
    let described = match organizations.describe_organization().send().await {
        Ok(described) => described,
        Err(e) => {
            let finding = format!("DescribeOrganization failed: {}", error_chain(&e));
            return vec![Check::fail(
                "organizations.all_features",
                finding,
                "run doctor with the management account's credentials; the account must belong \
                 to an organization (AWS Organizations > Create an organization)",
            )];
        }
    };
    let organization = described.organization();
    let feature_set = organization
        .and_then(|o| o.feature_set())
        .map(|f| f.as_str().to_owned())
        .unwrap_or_default();
    let mut checks = vec![if feature_set == "ALL" {
        Check::ok("organizations.all_features", "all features are enabled")
    } else {
        Check::fail(
            "organizations.all_features",
            format!("the organization's feature set is {feature_set:?}, not ALL"),
            "enable all features: AWS Organizations > Settings > Enable all features (every \
             member account must approve); service-managed StackSets need them",
        )
    }];
    checks.push(
        match organizations
            .list_aws_service_access_for_organization()
            .send()
            .await
        {
            Ok(page) => {
                if page
                    .enabled_service_principals()
                    .iter()
                    .any(|p| p.service_principal() == Some(STACKSETS_PRINCIPAL))
                {
                    Check::ok(
                        "organizations.stacksets_trusted_access",
                        "trusted access for CloudFormation StackSets is on",
                    )
                } else {
                    Check::fail(
                        "organizations.stacksets_trusted_access",
                        "trusted access for CloudFormation StackSets is off: the member-role \
                         StackSet cannot deploy",
                        "aws cloudformation activate-organizations-access (or CloudFormation \
                         console > StackSets > Activate trusted access)",
                    )
                }
            }
            Err(e) => Check::fail(
                "organizations.stacksets_trusted_access",
                format!(
                    "ListAWSServiceAccessForOrganization failed: {}",
                    error_chain(&e)
                ),
                "run doctor in the management account with organizations:ListAWSServiceAccessForOrganization",
            ),
        },
    );
    let management = organization
        .and_then(|o| o.master_account_id())
        .unwrap_or_default();
    checks.push(if management == account_id {
        Check::ok(
            "organizations.management_account",
            format!("this is the management account ({account_id})"),
        )
    } else {
        Check::fail(
            "organizations.management_account",
            format!(
                "this is account {account_id}, not the management account {management}: Cost \
                 Explorer here sees only this account's costs"
            ),
            format!(
                "deploy the hub in the management account {management} and run doctor with its \
                 credentials"
            ),
        )
    });
    checks
}

// ---- Cost Explorer ----------------------------------------------------------------------------

async fn cost_explorer_answers(aws: &SdkConfig) -> Check {
    use aws_sdk_costexplorer::types::{DateInterval, Granularity};
    const ID: &str = "cost_explorer.answers";
    let today = orgpulse_config::clock::now().date_naive();
    let yesterday = today - Days::new(1);
    let ce = aws_sdk_costexplorer::Client::new(aws);
    let period = DateInterval::builder()
        .start(yesterday.to_string())
        .end(today.to_string())
        .build()
        .expect("start and end are set");
    match ce
        .get_cost_and_usage()
        .time_period(period)
        .granularity(Granularity::Daily)
        .metrics("UnblendedCost")
        .send()
        .await
    {
        Ok(_) => Check::ok(
            ID,
            format!("Cost Explorer answered a one-day query ({yesterday})"),
        ),
        Err(e) => Check::fail(
            ID,
            format!("Cost Explorer refused a one-day query: {}", error_chain(&e)),
            "enable Cost Explorer once in the management account (Billing and Cost Management > \
             Cost Explorer); data appears within 24 hours",
        ),
    }
}

async fn cost_tags_active(aws: &SdkConfig, loaded: Option<&orgpulse_config::Loaded>) -> Check {
    use aws_sdk_costexplorer::types::CostAllocationTagStatus;
    const ID: &str = "cost_explorer.cost_tags";
    let Some(loaded) = loaded else {
        return Check::warn(
            ID,
            "not checked: the configuration could not be read",
            "fix the configuration check first",
        );
    };
    let keys: BTreeSet<String> = loaded
        .config
        .rows
        .iter()
        .filter_map(|r| r.cost_tags.as_ref())
        .flat_map(|f| f.clauses.iter().map(|c| c.key.clone()))
        .collect();
    if keys.is_empty() {
        return Check::ok(ID, "the configuration filters on no cost allocation tag");
    }
    let ce = aws_sdk_costexplorer::Client::new(aws);
    let answer = ce
        .list_cost_allocation_tags()
        .set_tag_keys(Some(keys.iter().cloned().collect()))
        .send()
        .await;
    match answer {
        Ok(answer) => {
            let active: BTreeSet<&str> = answer
                .cost_allocation_tags()
                .iter()
                .filter(|t| t.status() == &CostAllocationTagStatus::Active)
                .map(|t| t.tag_key())
                .collect();
            let inactive: Vec<&str> = keys
                .iter()
                .map(String::as_str)
                .filter(|k| !active.contains(k))
                .collect();
            if inactive.is_empty() {
                Check::ok(
                    ID,
                    format!(
                        "the CostTags keys are active cost allocation tags: {}",
                        join(&keys)
                    ),
                )
            } else {
                Check::fail(
                    ID,
                    format!(
                        "CostTags filters on tags that are not active cost allocation tags: {} \
                         (Cost Explorer sees no cost for them)",
                        inactive.join(", ")
                    ),
                    format!(
                        "activate them: aws ce update-cost-allocation-tags-status \
                         --cost-allocation-tags-status {}",
                        inactive
                            .iter()
                            .map(|k| format!("TagKey={k},Status=Active"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                )
            }
        }
        Err(e) => Check::fail(
            ID,
            format!("ListCostAllocationTags failed: {}", error_chain(&e)),
            "run doctor with ce:ListCostAllocationTags in the management account",
        ),
    }
}

fn join<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    items
        .into_iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

// ---- Configuration ----------------------------------------------------------------------------

struct ConfigCheck {
    check: Check,
    loaded: Option<orgpulse_config::Loaded>,
}

async fn configuration(aws: &SdkConfig, bucket: &str, key: Option<&str>) -> ConfigCheck {
    const ID: &str = "configuration.object";
    let s3 = orgpulse_pipeline::aws::s3_client(aws);
    let keys: Vec<&str> = match key {
        Some(key) => vec![key],
        None => vec!["config/orgpulse.json", "config/orgpulse.csv"],
    };
    for key in &keys {
        match s3.get_object().bucket(bucket).key(*key).send().await {
            Ok(object) => {
                let bytes = match object.body.collect().await {
                    Ok(bytes) => bytes.into_bytes(),
                    Err(e) => {
                        return ConfigCheck {
                            check: Check::fail(
                                ID,
                                format!("s3://{bucket}/{key} could not be read: {e}"),
                                "check the network path to S3 and try again",
                            ),
                            loaded: None,
                        }
                    }
                };
                let loaded = orgpulse_config::load_detected(&bytes);
                let check = if loaded.problems.is_empty() {
                    Check::ok(
                        ID,
                        format!(
                            "s3://{bucket}/{key}: {} rows, all valid",
                            loaded.config.rows.len()
                        ),
                    )
                } else {
                    let first: Vec<String> = loaded
                        .problems
                        .iter()
                        .take(3)
                        .map(ToString::to_string)
                        .collect();
                    Check::fail(
                        ID,
                        format!(
                            "s3://{bucket}/{key}: {} problems ({} rows used): {}",
                            loaded.problems.len(),
                            loaded.config.rows.len(),
                            first.join(" | ")
                        ),
                        format!(
                            "fix the rows (orgpulse config validate <file> lists every problem) \
                             and upload again: aws s3 cp <file> s3://{bucket}/{key}"
                        ),
                    )
                };
                return ConfigCheck {
                    check,
                    loaded: Some(loaded),
                };
            }
            Err(e) => {
                let missing = e.as_service_error().is_some_and(|e| e.is_no_such_key());
                if !missing {
                    return ConfigCheck {
                        check: Check::fail(
                            ID,
                            format!("s3://{bucket}/{key} could not be read: {}", error_chain(&e)),
                            "check the bucket name (--bucket) and that these credentials may \
                             read it",
                        ),
                        loaded: None,
                    };
                }
            }
        }
    }
    ConfigCheck {
        check: Check::fail(
            ID,
            format!(
                "no configuration object in s3://{bucket} ({})",
                keys.join(", ")
            ),
            format!(
                "upload it before the first scheduled run: aws s3 cp orgpulse.json \
                 s3://{bucket}/{}",
                keys[0]
            ),
        ),
        loaded: None,
    }
}

/// The sheet, read with the deployment's key as the plan function reads it (same reader, same
/// checks).
async fn sheet_configuration(aws: &SdkConfig, sheet: Sheet) -> ConfigCheck {
    use orgpulse_workflow::config_source::{ConfigSource, GoogleCredentials, SheetSource};
    const ID: &str = "configuration.sheet";
    let spreadsheet_id = match orgpulse_sheets::parse_spreadsheet_id(&sheet.id) {
        Ok(id) => id,
        Err(problem) => {
            return ConfigCheck {
                check: Check::fail(
                    ID,
                    problem,
                    "pass the sheet's ID (the part of its URL between /d/ and /edit)",
                ),
                loaded: None,
            }
        }
    };
    let source = ConfigSource::Sheet(Box::new(SheetSource {
        spreadsheet_id,
        range: sheet.range.clone(),
        credentials: GoogleCredentials::Secret {
            secretsmanager: aws_sdk_secretsmanager::Client::new(aws),
            secret_id: sheet.secret.clone().unwrap_or_default(),
        },
        client: orgpulse_sheets::SheetsClientConfig::from_env(),
    }));
    let files = orgpulse_workflow::files::RunFiles::memory();
    let name = source.name(&files);
    match source.read_table(&files).await {
        Ok(table) => {
            let loaded = orgpulse_config::validate(&table);
            let check = if loaded.problems.is_empty() {
                Check::ok(
                    ID,
                    format!("{name}: {} rows, all valid", loaded.config.rows.len()),
                )
            } else {
                let first: Vec<String> = loaded
                    .problems
                    .iter()
                    .take(3)
                    .map(ToString::to_string)
                    .collect();
                Check::fail(
                    ID,
                    format!(
                        "{name}: {} problems: {}",
                        loaded.problems.len(),
                        first.join(" | ")
                    ),
                    format!(
                        "fix the rows in the sheet (orgpulse config validate --sheet {} \
                         --credentials-secret {} lists every problem)",
                        sheet.id,
                        sheet.secret.as_deref().unwrap_or_default()
                    ),
                )
            };
            ConfigCheck {
                check,
                loaded: Some(loaded),
            }
        }
        // The reader's errors say what to do (share the sheet with the service account, …).
        Err(e) => ConfigCheck {
            check: Check::fail(
                ID,
                format!("{name} cannot be read: {e}"),
                "the finding says what Google answered and what to do",
            ),
            loaded: None,
        },
    }
}

// ---- Slack ------------------------------------------------------------------------------------

async fn slack_checks(
    aws: &SdkConfig,
    deployment: &Deployment,
    loaded: Option<&orgpulse_config::Loaded>,
) -> Vec<Check> {
    let source = SlackTokenSource::new(
        aws_sdk_secretsmanager::Client::new(aws),
        deployment.slack_secret.clone(),
    );
    let token = match source.token().await {
        Ok(token) => token,
        Err(e) => {
            return vec![Check::fail(
                "slack.secret",
                format!("the Slack token cannot be used: {e}"),
                "put the bot token (xoxb-…) into the secret: terraform output -raw \
                 slack_token_put_command prints the command",
            )]
        }
    };
    let mut checks = vec![Check::ok(
        "slack.secret",
        format!("{} holds a token", deployment.slack_secret),
    )];
    let slack = match SlackClient::new(
        SlackToken::new(token.expose_secret()),
        SlackClientConfig::from_env(),
    ) {
        Ok(slack) => slack,
        Err(e) => {
            checks.push(Check::fail("slack.auth", e.to_string(), "report this bug"));
            return checks;
        }
    };
    let auth = match slack.auth_test().await {
        Ok(auth) => auth,
        Err(e) => {
            checks.push(Check::fail(
                "slack.auth",
                format!("auth.test failed: {e}"),
                "store the app's current Bot User OAuth Token (xoxb-…) in the secret",
            ));
            return checks;
        }
    };
    checks.push(Check::ok(
        "slack.auth",
        format!(
            "auth.test passes: app @{} in workspace {}",
            auth.user, auth.team
        ),
    ));

    let mut channels: BTreeSet<ChannelId> = loaded
        .map(|l| {
            l.config
                .rows
                .iter()
                .filter_map(|r| r.channel_ids.as_ref())
                .flatten()
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let has_dm = channels.iter().any(|c| c.0.starts_with('D'));
    let mut needed: Vec<&str> = REQUIRED_SCOPES.to_vec();
    if has_dm {
        needed.extend(DM_SCOPES);
    }
    checks.push(match &auth.scopes {
        None => Check::warn(
            "slack.scopes",
            "Slack did not say which scopes the token has (no x-oauth-scopes header)",
            format!(
                "check the app's Bot Token Scopes include {}",
                needed.join(", ")
            ),
        ),
        Some(scopes) => {
            let missing: Vec<&str> = needed
                .iter()
                .copied()
                .filter(|s| !scopes.iter().any(|have| have == s))
                .collect();
            if missing.is_empty() {
                Check::ok(
                    "slack.scopes",
                    format!("the token has {}", needed.join(", ")),
                )
            } else {
                Check::fail(
                    "slack.scopes",
                    format!("the token lacks {}", missing.join(", ")),
                    format!(
                        "add {} under OAuth & Permissions > Bot Token Scopes, reinstall the app, \
                         and put the new token into the secret",
                        missing.join(", ")
                    ),
                )
            }
        }
    });

    let operators = deployment.operators_channel.clone().map(ChannelId);
    if let Some(operators) = &operators {
        channels.insert(operators.clone());
    }
    checks.push(channel_membership(&slack, &auth.user, &channels, has_dm).await);
    if operators.is_none() {
        checks.push(Check::warn(
            "slack.operators_channel",
            "the operators' channel was not checked",
            "pass --operators-channel <the module's operators_slack_channel_id>",
        ));
    }
    checks
}

async fn channel_membership(
    slack: &SlackClient,
    app: &str,
    channels: &BTreeSet<ChannelId>,
    has_dm: bool,
) -> Check {
    const ID: &str = "slack.channels";
    if channels.is_empty() {
        return Check::warn(
            ID,
            "no channel to check: the configuration names none",
            "add ChannelIds to the configuration",
        );
    }
    let mut types = vec!["public_channel", "private_channel"];
    if has_dm {
        types.push("im");
    }
    let members = match slack.member_channels(&types).await {
        Ok(members) => members,
        Err(e) => {
            return Check::fail(
                ID,
                format!("users.conversations failed: {e}"),
                "give the app channels:read and groups:read, reinstall it",
            )
        }
    };
    let mut not_in = Vec::new();
    let mut unknown = Vec::new();
    for channel in channels.iter().filter(|c| !members.contains(&c.0)) {
        match slack.conversation_info(&channel.0).await {
            Ok(Some(_)) => not_in.push(channel.0.clone()),
            Ok(None) => unknown.push(channel.0.clone()),
            Err(e) => {
                return Check::fail(
                    ID,
                    format!("conversations.info {channel} failed: {e}"),
                    "give the app channels:read and groups:read, reinstall it",
                )
            }
        }
    }
    if not_in.is_empty() && unknown.is_empty() {
        return Check::ok(
            ID,
            format!("the app is a member of all {} channels", channels.len()),
        );
    }
    let mut finding = Vec::new();
    let mut fix = Vec::new();
    if !not_in.is_empty() {
        finding.push(format!("the app is not in {}", not_in.join(", ")));
        fix.push(format!("type /invite @{app} in {}", not_in.join(", ")));
    }
    if !unknown.is_empty() {
        finding.push(format!(
            "{} not found (deleted, mistyped, or private without the app)",
            unknown.join(", ")
        ));
        fix.push(format!(
            "check the IDs of {}; for a private channel, /invite @{app} in it",
            unknown.join(", ")
        ));
    }
    Check::fail(ID, finding.join("; "), fix.join("; "))
}

// ---- The member-role StackSet -----------------------------------------------------------------

async fn stack_set_checks(aws: &SdkConfig, deployment: &Deployment) -> Vec<Check> {
    let stack_set = MemberStackSet::new(
        aws_sdk_cloudformation::Client::new(aws),
        deployment.stack_set.clone(),
        false,
    );
    let mut warnings = Vec::new();
    let deployments = match stack_set.deployments(&mut warnings).await {
        Ok(deployments) => deployments,
        Err(e) => {
            return vec![Check::fail(
                "stackset.instances",
                format!(
                    "the StackSet {} could not be read: {e}",
                    deployment.stack_set
                ),
                "run doctor with cloudformation:ListStackInstances in the management account",
            )]
        }
    };
    if let Some(warning) = warnings.first() {
        return vec![Check::fail(
            "stackset.instances",
            warning.clone(),
            "apply the member-roles module (or pass --stack-set with its name)",
        )];
    }
    let listing = match OrganizationsReader::new(orgpulse_pipeline::aws::organizations_client(aws))
        .list_accounts(&TagLookup::None)
        .await
    {
        Ok(listing) => listing,
        Err(e) => {
            return vec![Check::fail(
                "stackset.instances",
                format!("the organization's accounts could not be listed: {e}"),
                "run doctor with the management account's credentials",
            )]
        }
    };
    let gaps = deployments.gaps(&listing);
    let members = listing
        .accounts
        .iter()
        .filter(|a| a.id != listing.organization.management_account_id)
        .count();
    if gaps.is_empty() {
        return vec![Check::ok(
            "stackset.instances",
            format!(
                "{}: a current instance in each of the {members} member accounts",
                deployment.stack_set
            ),
        )];
    }
    let lines: Vec<String> = gaps
        .iter()
        .take(5)
        .map(|g| format!("{} ({}): {}", g.account_name, g.account_id, g.reason))
        .collect();
    let more = gaps.len().saturating_sub(5);
    vec![Check::fail(
        "stackset.instances",
        format!(
            "{} of {members} member accounts have no current instance: {}{}",
            gaps.len(),
            lines.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        ),
        "look at the StackSet's operations in the CloudFormation console; accounts that joined \
         an OU outside the StackSet's targets need the OU added (member_roles_target_ou_ids)",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefix_is_the_state_machines_name() {
        assert_eq!(
            prefix_from_state_machine(
                "arn:aws:states:us-east-1:123456789012:stateMachine:orgpulse-prod"
            )
            .unwrap(),
            "orgpulse-prod"
        );
        assert_eq!(
            prefix_from_state_machine(
                "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:orgpulse"
            )
            .unwrap(),
            "orgpulse"
        );
        let error = prefix_from_state_machine("orgpulse").unwrap_err();
        assert_eq!(error.status, Status::Usage);
    }

    #[test]
    fn text_marks_each_check_and_gives_the_fix() {
        let deployment = Deployment {
            name_prefix: "orgpulse".into(),
            account_id: "123456789012".into(),
            region: "us-east-1".into(),
            bucket: "b".into(),
            slack_secret: "s".into(),
            stack_set: "ss".into(),
            operators_channel: None,
        };
        let text = to_text(
            &deployment,
            &[
                Check::ok("a.one", "fine"),
                Check::fail("a.two", "broken", "do this"),
                Check::warn("a.three", "odd", "look"),
            ],
        );
        assert!(text.contains("✓ a.one"), "{text}");
        assert!(text.contains("✗ a.two"), "{text}");
        assert!(text.contains("fix: do this"), "{text}");
        assert!(text.contains("! a.three"), "{text}");
        assert!(text.ends_with("3 checks: 1 ✓, 1 ✗, 1 !\n"), "{text}");
    }
}
