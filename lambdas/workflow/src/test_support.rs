//! Work items and steps for unit tests: memory run files, the dry-run outbox, no AWS.

use chrono::NaiveDate;
use orgpulse_config::{AccountId, Granularity, OrgSettings};
use orgpulse_cost::{AccountCostData, Bucket, CostExplorer, FetchPlan, RetryPolicy};
use rust_decimal::Decimal;

use crate::deliveries::Outbox;
use crate::files::{RunFiles, RunLayout};
use crate::messages::{AccountRef, CostSource, WorkItem};
use crate::report::Reporter;

pub const ACCOUNT: &str = "012345678901";
pub const REPORT_DATE: NaiveDate = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();

/// An item for [`ACCOUNT`] from one configuration row (JSON object), due `kinds`, its costs in
/// the run files.
pub fn item(row: &str, kinds: &[Granularity]) -> WorkItem {
    let loaded = orgpulse_config::load_detected(format!("[{row}]").as_bytes());
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let account = AccountId::parse(ACCOUNT).unwrap();
    let settings = loaded
        .config
        .try_resolve(&account, &[])
        .expect("the row applies");
    let run_id = "test-run".to_owned();
    WorkItem {
        costs: CostSource::Shared {
            key: RunLayout {
                run_id: run_id.clone(),
            }
            .costs(&account),
        },
        run_id,
        report_date: REPORT_DATE,
        account: AccountRef {
            id: account,
            name: "payments-prod".into(),
            ou_names: vec!["Services".into(), "Root".into()],
            onboarded: false,
        },
        settings,
        org: OrgSettings::default(),
        kinds: kinds.to_vec(),
        rate: None,
        check_member_role: true,
        failure: None,
        channels_not_joined: Default::default(),
    }
}

/// Forty days of two services for [`ACCOUNT`], covering what `item`'s reports read.
pub fn costs(item: &WorkItem) -> AccountCostData {
    let plan = FetchPlan::for_reports(item.kinds.iter().copied(), item.report_date);
    let mut data = AccountCostData::empty(item.account.id.clone(), plan);
    for offset in 1..=40u64 {
        let day = item.report_date - chrono::Days::new(offset);
        let amount = Decimal::from(100 + offset);
        data.add(item.settings.metric, "Amazon EC2", Bucket::Day(day), amount);
        data.add(
            item.settings.metric,
            "Amazon S3",
            Bucket::Day(day),
            Decimal::from(7),
        );
    }
    data
}

/// A Cost Explorer client that is never called (the tests' items use shared cost data).
pub fn explorer() -> CostExplorer {
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build();
    CostExplorer::from_sdk_config(&config, RetryPolicy::default())
}

/// A dry-run reporter whose run files hold `item`'s costs.
pub async fn reporter(item: &WorkItem) -> Reporter {
    let files = RunFiles::memory();
    let CostSource::Shared { key } = &item.costs else {
        panic!("test items use shared costs")
    };
    files.put_json(key, &costs(item)).await.unwrap();
    Reporter {
        files,
        explorer: explorer(),
        outbox: Outbox::DryRun,
        member_roles: None,
    }
}

/// A plan record for [`ACCOUNT`]'s organization with nothing to report.
pub fn plan_record() -> crate::messages::PlanRecord {
    crate::messages::PlanRecord {
        run_id: "test-run".into(),
        report_date: REPORT_DATE,
        organization_id: "o-abcd123456".into(),
        management_account_id: AccountId::parse("999999999999").unwrap(),
        config_source: "accounts.json".into(),
        config_rows_read: 1,
        config_problems: Vec::new(),
        items: Vec::new(),
        unconfigured: Default::default(),
        disabled: Vec::new(),
        not_due: 0,
        skipped: Vec::new(),
        onboarded: Vec::new(),
        baseline: false,
        unknown_accounts: Vec::new(),
        active_accounts: Vec::new(),
        cost_explorer_requests: 0,
        warnings: Vec::new(),
        member_roles_missing: Vec::new(),
        channels_not_joined: Vec::new(),
    }
}

/// Member roles whose STS and AWS Budgets answers are canned: every `AssumeRole` succeeds, and
/// `DescribeBudgets` answers `budgets_json`. Counts the `DescribeBudgets` requests.
pub fn member_roles(
    budgets_json: &'static str,
) -> (
    orgpulse_pipeline::member::MemberRoles,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let describe_budgets = Arc::new(AtomicUsize::new(0));
    let counter = describe_budgets.clone();
    let http = aws_smithy_http_client::test_util::infallible_client_fn(move |request| {
        let target = request
            .headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = if target == "AWSBudgetServiceGateway.DescribeBudgets" {
            counter.fetch_add(1, Ordering::SeqCst);
            budgets_json.to_owned()
        } else {
            ASSUME_ROLE_XML.to_owned()
        };
        http::Response::builder().status(200).body(body).unwrap()
    });
    let config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                aws_credential_types::Credentials::new("AKIDHUB", "hub-secret", None, None, "test"),
            ),
        )
        .http_client(http)
        .build();
    let roles = orgpulse_pipeline::member::MemberRoles::new(
        aws_sdk_sts::Client::new(&config),
        config,
        "orgpulse-member-readonly",
        "report",
    );
    (roles, describe_budgets)
}

const ASSUME_ROLE_XML: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>AKIDMEMBER</AccessKeyId>
      <SecretAccessKey>member-secret</SecretAccessKey>
      <SessionToken>member-token</SessionToken>
      <Expiration>2030-01-01T00:00:00Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROAEXAMPLE:orgpulse-report</AssumedRoleId>
      <Arn>arn:aws:sts::012345678901:assumed-role/orgpulse-member-readonly/orgpulse-report</Arn>
    </AssumedRoleUser>
  </AssumeRoleResult>
</AssumeRoleResponse>"#;
