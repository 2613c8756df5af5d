//! The deployed resources themselves: the three functions (the plan function's settings say where
//! everything else is), their recent errors, the schedule and the alarm topic. Read-only calls:
//! lambda:GetFunctionConfiguration, cloudwatch:GetMetricStatistics, cloudwatch:DescribeAlarms,
//! scheduler:GetSchedule, sns:ListSubscriptionsByTopic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aws_config::SdkConfig;
use chrono::{DateTime, Duration, Utc};

use super::cron::Cron;
use super::Check;
use crate::exit::error_chain;

/// The hub module's functions (modules/hub/locals.tf `lambda_functions`): `<prefix>-<key>`, each
/// running one binary of the build.
pub const FUNCTIONS: [(&str, &str); 3] = [
    ("plan", "orgpulse-plan"),
    ("report", "orgpulse-report"),
    ("summarize", "orgpulse-summarize"),
];

/// Where `scripts/build-lambdas` writes the manifest, relative to the repository.
pub const DEFAULT_MANIFEST: &str = "build/lambda/manifest.json";

/// One deployed function, as GetFunctionConfiguration describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployed {
    pub name: String,
    pub binary: &'static str,
    pub architecture: String,
    /// Base64 of the zip's raw SHA-256 (Lambda's `CodeSha256`).
    pub code_sha256: String,
}

/// The build manifest: its architecture and each binary's zip sha256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub path: PathBuf,
    pub architecture: String,
    pub sha256: BTreeMap<String, String>,
    pub build_command: String,
}

impl Manifest {
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, String> {
        let shown = path.display();
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("{shown} is not JSON: {e}"))?;
        let architecture = value
            .get("architecture")
            .and_then(|a| a.as_str())
            .ok_or_else(|| format!("{shown} names no architecture"))?
            .to_owned();
        let mut sha256 = BTreeMap::new();
        for binary in value
            .get("binaries")
            .and_then(|b| b.as_array())
            .ok_or_else(|| format!("{shown} lists no binaries"))?
        {
            let (Some(name), Some(hash)) = (
                binary.get("name").and_then(|n| n.as_str()),
                binary.get("sha256").and_then(|h| h.as_str()),
            ) else {
                return Err(format!("{shown}: a binary without name or sha256"));
            };
            sha256.insert(name.to_owned(), hash.to_ascii_lowercase());
        }
        let build_command = value
            .get("build_command")
            .and_then(|c| c.as_str())
            .unwrap_or("scripts/build-lambdas")
            .to_owned();
        Ok(Self {
            path: path.to_owned(),
            architecture,
            sha256,
            build_command,
        })
    }
}

/// Lambda's `CodeSha256` for a zip whose sha256 is `hex`: base64 of the raw digest.
pub fn lambda_code_sha256(hex: &str) -> Result<String, String> {
    if hex.len() != 64 || !hex.is_ascii() {
        return Err(format!("{hex:?} is not a sha256 in hex"));
    }
    let bytes = (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| format!("{hex:?} is not a sha256 in hex"))?;
    Ok(aws_smithy_types::base64::encode(bytes))
}

/// What reading the functions found: each function, and the plan function's environment (the
/// hub module sets the same non-secret settings on all three).
#[derive(Debug, Default)]
pub struct Functions {
    pub deployed: Vec<Deployed>,
    pub environment: BTreeMap<String, String>,
}

pub async fn functions(aws: &SdkConfig, prefix: &str, checks: &mut Vec<Check>) -> Functions {
    const ID: &str = "functions.exist";
    let lambda = aws_sdk_lambda::Client::new(aws);
    let mut found = Functions::default();
    let mut missing = Vec::new();
    let mut unreadable = Vec::new();
    for (key, binary) in FUNCTIONS {
        let name = format!("{prefix}-{key}");
        match lambda
            .get_function_configuration()
            .function_name(&name)
            .send()
            .await
        {
            Ok(config) => {
                if key == "plan" {
                    found.environment = config
                        .environment()
                        .and_then(|e| e.variables())
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .collect();
                }
                found.deployed.push(Deployed {
                    name,
                    binary,
                    // Lambda's default when none is set.
                    architecture: config
                        .architectures()
                        .first()
                        .map_or_else(|| "x86_64".to_owned(), |a| a.as_str().to_owned()),
                    code_sha256: config.code_sha256().unwrap_or_default().to_owned(),
                });
            }
            Err(e) => {
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception())
                {
                    missing.push(name);
                } else {
                    unreadable.push(format!("{name}: {}", error_chain(&e)));
                }
            }
        }
    }
    checks.push(if !unreadable.is_empty() {
        Check::fail(
            ID,
            format!("the functions cannot be read: {}", unreadable.join("; ")),
            "run doctor with lambda:GetFunctionConfiguration on the hub's functions (see the \
             README's doctor section for every action it calls)",
        )
    } else if !missing.is_empty() {
        Check::fail(
            ID,
            format!("missing: {}", missing.join(", ")),
            format!(
                "terraform apply the hub module; check --name-prefix {prefix}: it is the \
                 module's name_prefix"
            ),
        )
    } else {
        Check::ok(
            ID,
            format!("{prefix}-plan, {prefix}-report and {prefix}-summarize exist"),
        )
    });
    found
}

/// The manifest doctor compares with, or why there is none (`!` in both checks).
pub type ManifestFound = Result<Manifest, String>;

/// The functions' architecture against the manifest's: any difference means every invoke fails
/// with `exec format error`.
pub fn architecture_check(deployed: &[Deployed], manifest: &ManifestFound) -> Check {
    const ID: &str = "functions.architecture";
    if deployed.is_empty() {
        return Check::warn(
            ID,
            "not checked: no function found",
            "fix functions.exist first",
        );
    }
    let architectures: Vec<String> = deployed
        .iter()
        .map(|d| format!("{} {}", d.name, d.architecture))
        .collect();
    let manifest = match manifest {
        Ok(manifest) => manifest,
        Err(why) => {
            return Check::warn(
                ID,
                format!(
                    "deployed as {}; not compared: {why}",
                    architectures.join(", ")
                ),
                format!(
                    "run doctor where the deployed build is (it reads {DEFAULT_MANIFEST}), or \
                     pass --manifest FILE"
                ),
            )
        }
    };
    let built = &manifest.architecture;
    let wrong: Vec<String> = deployed
        .iter()
        .filter(|d| &d.architecture != built)
        .map(|d| format!("{} is {}", d.name, d.architecture))
        .collect();
    if wrong.is_empty() {
        Check::ok(ID, format!("all {} are {built}, as built", deployed.len()))
    } else {
        Check::fail(
            ID,
            format!(
                "{}, but {} says the binaries are {built}: every invoke fails with exec format \
                 error",
                wrong.join(", "),
                manifest.path.display()
            ),
            format!(
                "set lambda_architecture = \"{built}\" and terraform apply, or rebuild for the \
                 deployed architecture ({}) and apply",
                if built == "arm64" {
                    "scripts/build-lambdas"
                } else {
                    "scripts/build-lambdas --arm64"
                }
            ),
        )
    }
}

/// The deployed code against the manifest's zips. A difference is `!`, not `✗`: the deployed
/// code may work; it is just not the build on this machine (not applied yet, or applied from
/// another build).
pub fn code_check(deployed: &[Deployed], manifest: &ManifestFound) -> Check {
    const ID: &str = "functions.code";
    if deployed.is_empty() {
        return Check::warn(
            ID,
            "not checked: no function found",
            "fix functions.exist first",
        );
    }
    let manifest = match manifest {
        Ok(manifest) => manifest,
        Err(why) => {
            return Check::warn(
                ID,
                format!("not compared: {why}"),
                "pass --manifest FILE of the build that was applied",
            )
        }
    };
    let mut differ = Vec::new();
    for function in deployed {
        let expected = manifest
            .sha256
            .get(function.binary)
            .map(|hex| lambda_code_sha256(hex));
        match expected {
            Some(Ok(expected)) if expected == function.code_sha256 => {}
            Some(Ok(_)) => differ.push(format!("{} is not {}", function.name, function.binary)),
            Some(Err(problem)) => differ.push(format!("{}: {problem}", function.binary)),
            None => differ.push(format!(
                "{} lists no {}",
                manifest.path.display(),
                function.binary
            )),
        }
    }
    if differ.is_empty() {
        Check::ok(
            ID,
            format!(
                "the deployed code is the build in {} (CodeSha256 of each zip)",
                manifest.path.display()
            ),
        )
    } else {
        Check::warn(
            ID,
            format!(
                "the deployed code is not the build in {}: {}",
                manifest.path.display(),
                differ.join(", ")
            ),
            "terraform apply deploys this build (or pass --manifest of the build that was \
             applied)",
        )
    }
}

/// One function's last 24 hours.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    pub name: String,
    pub errors: f64,
    pub invocations: f64,
}

pub async fn recent_errors(aws: &SdkConfig, deployed: &[Deployed], now: DateTime<Utc>) -> Check {
    use aws_sdk_cloudwatch::primitives::DateTime as AwsTime;
    use aws_sdk_cloudwatch::types::{Dimension, Statistic};
    const ID: &str = "functions.recent_errors";
    if deployed.is_empty() {
        return Check::warn(
            ID,
            "not checked: no function found",
            "fix functions.exist first",
        );
    }
    let cloudwatch = aws_sdk_cloudwatch::Client::new(aws);
    let start = now - Duration::hours(24);
    let mut activity = Vec::new();
    for function in deployed {
        let mut sums = [0.0; 2];
        for (sum, metric) in sums.iter_mut().zip(["Errors", "Invocations"]) {
            let answer = cloudwatch
                .get_metric_statistics()
                .namespace("AWS/Lambda")
                .metric_name(metric)
                .dimensions(
                    Dimension::builder()
                        .name("FunctionName")
                        .value(&function.name)
                        .build(),
                )
                .start_time(AwsTime::from_secs(start.timestamp()))
                .end_time(AwsTime::from_secs(now.timestamp()))
                // One hour per datapoint: at most 24, well under the 1,440 a call may return.
                .period(3600)
                .statistics(Statistic::Sum)
                .send()
                .await;
            match answer {
                Ok(answer) => *sum = answer.datapoints().iter().filter_map(|d| d.sum()).sum(),
                Err(e) => {
                    return Check::warn(
                        ID,
                        format!("CloudWatch metrics could not be read: {}", error_chain(&e)),
                        "run doctor with cloudwatch:GetMetricStatistics",
                    )
                }
            }
        }
        activity.push(Activity {
            name: function.name.clone(),
            errors: sums[0],
            invocations: sums[1],
        });
    }
    errors_check(&activity)
}

/// No error: ✓. A function whose every invocation failed: ✗ (runs do not get through it).
/// Some errors among successes: ! (Step Functions retried; worth reading the log).
pub fn errors_check(activity: &[Activity]) -> Check {
    const ID: &str = "functions.recent_errors";
    let failing: Vec<&Activity> = activity.iter().filter(|a| a.errors > 0.0).collect();
    if failing.is_empty() {
        let invocations: f64 = activity.iter().map(|a| a.invocations).sum();
        return Check::ok(
            ID,
            format!("no invocation errors in the last 24 hours ({invocations} invocations)"),
        );
    }
    let finding = failing
        .iter()
        .map(|a| {
            format!(
                "{}: {} errors in {} invocations",
                a.name, a.errors, a.invocations
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let fix = failing
        .iter()
        .map(|a| format!("aws logs tail /aws/lambda/{} --since 24h", a.name))
        .collect::<Vec<_>>()
        .join("; ");
    // No Invocations datapoint with errors present still means nothing succeeded.
    if failing.iter().any(|a| a.errors >= a.invocations) {
        Check::fail(
            ID,
            format!("every invocation failed in the last 24 hours: {finding}"),
            format!("read the errors: {fix}"),
        )
    } else {
        Check::warn(
            ID,
            format!("some invocations failed in the last 24 hours: {finding}"),
            format!("read the errors: {fix}"),
        )
    }
}

/// The schedule `<prefix>-run` is enabled; its next run in its own time zone.
pub async fn schedule(aws: &SdkConfig, prefix: &str, now: DateTime<Utc>) -> Check {
    const ID: &str = "schedule.enabled";
    let scheduler = aws_sdk_scheduler::Client::new(aws);
    let name = format!("{prefix}-run");
    let schedule = match scheduler
        .get_schedule()
        .name(&name)
        .group_name("default")
        .send()
        .await
    {
        Ok(schedule) => schedule,
        Err(e) => {
            let missing = e
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception());
            return if missing {
                Check::fail(
                    ID,
                    format!("no schedule {name}: no run starts by itself"),
                    "terraform apply the hub module",
                )
            } else {
                Check::fail(
                    ID,
                    format!("the schedule {name} cannot be read: {}", error_chain(&e)),
                    "run doctor with scheduler:GetSchedule",
                )
            };
        }
    };
    let expression = schedule.schedule_expression().unwrap_or_default();
    let zone = schedule.schedule_expression_timezone().unwrap_or("UTC");
    let state = schedule.state().map_or("ENABLED", |s| s.as_str());
    schedule_check(&name, expression, zone, state, now)
}

pub fn schedule_check(
    name: &str,
    expression: &str,
    zone: &str,
    state: &str,
    now: DateTime<Utc>,
) -> Check {
    const ID: &str = "schedule.enabled";
    if state != "ENABLED" {
        return Check::fail(
            ID,
            format!("the schedule {name} ({expression}, {zone}) is {state}: no run starts"),
            "set schedule_enabled = true and terraform apply",
        );
    }
    let next = match (Cron::parse(expression), zone.parse::<chrono_tz::Tz>()) {
        (Ok(cron), Ok(tz)) => match cron.next_after(now, tz) {
            Some(at) => format!("next run {}", at.format("%Y-%m-%d %H:%M %Z (%:z)")),
            None => {
                return Check::fail(
                    ID,
                    format!("{name} ({expression}, {zone}) never fires again"),
                    "set schedule_expression to a recurring cron(...) and terraform apply",
                )
            }
        },
        (Err(why), _) => format!("next run not computed: {why}"),
        (_, Err(_)) => format!("next run not computed: unknown time zone {zone:?}"),
    };
    Check::ok(
        ID,
        format!("{name} is enabled: {expression} in {zone}; {next}"),
    )
}

/// The alarm topics: the actions of the module's two execution alarms, else `<prefix>-alarms`.
pub async fn alarm_subscription(
    aws: &SdkConfig,
    prefix: &str,
    account: &str,
    region: &str,
) -> Check {
    const ID: &str = "alarm.subscription";
    let cloudwatch = aws_sdk_cloudwatch::Client::new(aws);
    let mut topics: Vec<String> = Vec::new();
    if let Ok(alarms) = cloudwatch
        .describe_alarms()
        .alarm_names(format!("{prefix}-executions-failed"))
        .alarm_names(format!("{prefix}-executions-timed-out"))
        .send()
        .await
    {
        for action in alarms
            .metric_alarms()
            .iter()
            .flat_map(|a| a.alarm_actions())
        {
            if action.split(':').nth(2) == Some("sns") && !topics.contains(action) {
                topics.push(action.clone());
            }
        }
    }
    if topics.is_empty() {
        let partition = if region.starts_with("cn-") {
            "aws-cn"
        } else if region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        };
        topics.push(format!(
            "arn:{partition}:sns:{region}:{account}:{prefix}-alarms"
        ));
    }
    let sns = aws_sdk_sns::Client::new(aws);
    let mut subscriptions: Vec<(String, String)> = Vec::new();
    for topic in &topics {
        let mut next_token: Option<String> = None;
        loop {
            let page = match sns
                .list_subscriptions_by_topic()
                .topic_arn(topic)
                .set_next_token(next_token.take())
                .send()
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    let missing = e
                        .as_service_error()
                        .is_some_and(|e| e.is_not_found_exception());
                    return if missing {
                        Check::fail(
                            ID,
                            format!("no alarm topic {topic}: a failed run reaches nobody when Slack is what is broken"),
                            "set alarm_email_addresses (or create_alarm_sns_topic, or alarm_actions with an existing topic) and terraform apply",
                        )
                    } else {
                        Check::fail(
                            ID,
                            format!(
                                "the alarm topic {topic} cannot be read: {}",
                                error_chain(&e)
                            ),
                            "run doctor with sns:ListSubscriptionsByTopic",
                        )
                    };
                }
            };
            for subscription in page.subscriptions() {
                subscriptions.push((
                    subscription
                        .subscription_arn()
                        .unwrap_or_default()
                        .to_owned(),
                    format!(
                        "{} {}",
                        subscription.protocol().unwrap_or_default(),
                        subscription.endpoint().unwrap_or_default()
                    ),
                ));
            }
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
    }
    subscription_check(&topics, &subscriptions)
}

/// Confirmed subscriptions have an ARN; an unconfirmed one shows `PendingConfirmation` instead
/// (and `Deleted` once removed), per SNS's ListSubscriptionsByTopic.
pub fn subscription_check(topics: &[String], subscriptions: &[(String, String)]) -> Check {
    const ID: &str = "alarm.subscription";
    let (confirmed, pending): (Vec<_>, Vec<_>) = subscriptions
        .iter()
        .partition(|(arn, _)| arn.starts_with("arn:"));
    let topic_list = topics.join(", ");
    if confirmed.is_empty() {
        let pending_list: Vec<&str> = pending.iter().map(|(_, who)| who.as_str()).collect();
        Check::fail(
            ID,
            if pending_list.is_empty() {
                format!("{topic_list} has no subscription: a failed run reaches nobody when Slack is what is broken")
            } else {
                format!(
                    "{topic_list} has no confirmed subscription (pending: {}): a failed run \
                     reaches nobody when Slack is what is broken",
                    pending_list.join(", ")
                )
            },
            if pending_list.is_empty() {
                "add alarm_email_addresses and terraform apply, then click the link in AWS's \
                 confirmation e-mail"
                    .to_owned()
            } else {
                format!(
                    "click the link in AWS's confirmation e-mail to {} (or terraform apply again \
                     to resend it)",
                    pending_list.join(", ")
                )
            },
        )
    } else {
        let who: Vec<&str> = confirmed.iter().map(|(_, who)| who.as_str()).collect();
        Check::ok(ID, format!("{topic_list}: confirmed {}", who.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor_cmd::Mark;
    use chrono::TimeZone;

    fn deployed(architecture: &str, code: &str) -> Vec<Deployed> {
        FUNCTIONS
            .iter()
            .map(|(key, binary)| Deployed {
                name: format!("orgpulse-{key}"),
                binary,
                architecture: architecture.into(),
                code_sha256: code.into(),
            })
            .collect()
    }

    fn manifest(architecture: &str, hex: &str) -> ManifestFound {
        let binaries: Vec<_> = FUNCTIONS
            .iter()
            .map(|(_, b)| serde_json::json!({"name": b, "zip": format!("{b}/bootstrap.zip"), "sha256": hex}))
            .collect();
        let text =
            serde_json::json!({"architecture": architecture, "binaries": binaries}).to_string();
        Manifest::parse(Path::new("build/lambda/manifest.json"), &text)
    }

    // sha256("") in hex, and the base64 Lambda shows for it.
    const EMPTY_HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const EMPTY_B64: &str = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

    #[test]
    fn lambdas_code_sha256_is_the_base64_of_the_raw_digest() {
        assert_eq!(lambda_code_sha256(EMPTY_HEX).unwrap(), EMPTY_B64);
        assert!(lambda_code_sha256("abc").is_err());
        assert!(lambda_code_sha256(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn architecture_and_code_against_the_manifest() {
        let built = manifest("x86_64", EMPTY_HEX);
        assert_eq!(
            architecture_check(&deployed("x86_64", EMPTY_B64), &built).status,
            Mark::Ok
        );
        assert_eq!(
            code_check(&deployed("x86_64", EMPTY_B64), &built).status,
            Mark::Ok
        );
        let wrong = architecture_check(&deployed("arm64", EMPTY_B64), &built);
        assert_eq!(wrong.status, Mark::Fail);
        assert!(
            wrong.finding.contains("orgpulse-plan is arm64"),
            "{wrong:?}"
        );
        assert!(wrong
            .fix
            .unwrap()
            .contains("lambda_architecture = \"x86_64\""));
        let other = code_check(&deployed("x86_64", "bm90IHRoaXM="), &built);
        assert_eq!(other.status, Mark::Warn);
        assert!(
            other
                .finding
                .contains("orgpulse-report is not orgpulse-report"),
            "{other:?}"
        );
        let none: ManifestFound = Err("no build/lambda/manifest.json".into());
        assert_eq!(
            architecture_check(&deployed("x86_64", EMPTY_B64), &none).status,
            Mark::Warn
        );
        assert_eq!(
            code_check(&deployed("x86_64", EMPTY_B64), &none).status,
            Mark::Warn
        );
        assert!(Manifest::parse(Path::new("m"), "{}")
            .unwrap_err()
            .contains("no architecture"));
    }

    #[test]
    fn errors_every_time_are_a_cross_some_errors_a_warning() {
        let activity = |errors, invocations| Activity {
            name: "orgpulse-plan".into(),
            errors,
            invocations,
        };
        assert_eq!(errors_check(&[activity(0.0, 3.0)]).status, Mark::Ok);
        let some = errors_check(&[activity(1.0, 3.0)]);
        assert_eq!(some.status, Mark::Warn);
        assert!(some
            .fix
            .unwrap()
            .contains("aws logs tail /aws/lambda/orgpulse-plan"));
        assert_eq!(errors_check(&[activity(2.0, 2.0)]).status, Mark::Fail);
        assert_eq!(errors_check(&[activity(2.0, 0.0)]).status, Mark::Fail);
    }

    #[test]
    fn the_schedule_shows_its_next_run_or_why_not() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 0, 30, 0).unwrap();
        let ok = schedule_check(
            "orgpulse-run",
            "cron(0 8 * * ? *)",
            "Asia/Tokyo",
            "ENABLED",
            now,
        );
        assert_eq!(ok.status, Mark::Ok);
        assert!(
            ok.finding
                .contains("next run 2026-12-05 08:00 JST (+09:00)"),
            "{ok:?}"
        );
        let off = schedule_check(
            "orgpulse-run",
            "cron(0 8 * * ? *)",
            "Asia/Tokyo",
            "DISABLED",
            now,
        );
        assert_eq!(off.status, Mark::Fail);
        let rate = schedule_check("orgpulse-run", "rate(1 day)", "UTC", "ENABLED", now);
        assert_eq!(rate.status, Mark::Ok);
        assert!(rate.finding.contains("next run not computed"), "{rate:?}");
        let past = schedule_check(
            "orgpulse-run",
            "cron(0 8 * * ? 2020)",
            "UTC",
            "ENABLED",
            now,
        );
        assert_eq!(past.status, Mark::Fail);
    }

    #[test]
    fn a_pending_confirmation_is_not_a_subscription() {
        let topics = ["arn:aws:sns:us-east-1:123456789012:orgpulse-alarms".to_owned()];
        let pending = [(
            "PendingConfirmation".to_owned(),
            "email ops@example.com".to_owned(),
        )];
        let check = subscription_check(&topics, &pending);
        assert_eq!(check.status, Mark::Fail);
        assert!(
            check.finding.contains("pending: email ops@example.com"),
            "{check:?}"
        );
        assert_eq!(subscription_check(&topics, &[]).status, Mark::Fail);
        let confirmed = [(
            "arn:aws:sns:us-east-1:123456789012:orgpulse-alarms:1".to_owned(),
            "email ops@example.com".to_owned(),
        )];
        assert_eq!(subscription_check(&topics, &confirmed).status, Mark::Ok);
    }
}
