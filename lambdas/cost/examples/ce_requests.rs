//! Counts the Cost Explorer requests (billed pages) one run makes, for a benchmark against the
//! Cost Explorer emulator (or real AWS: every request printed here is billed $0.01).
//!
//! ```text
//! AWS_ENDPOINT_URL_COST_EXPLORER=http://127.0.0.1:4599 \
//!   cargo run -p orgpulse-cost --example ce_requests -- 2024-03-15 DAILY[,WEEKLY,MONTHLY] [naive]
//! ```
//!
//! The organization-wide queries (what orgpulse does); with `naive`, also one per-account
//! query for each account found, the naive design, for comparison. Prints one JSON object.

use std::process::ExitCode;

use orgpulse_config::{AccountId, CostMetric, Granularity, TagFilter};
use orgpulse_cost::{CostExplorer, FetchPlan, RetryPolicy};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run().await {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("ce_requests: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: ce_requests YYYY-MM-DD KIND[,KIND…] [naive]";
    let report_date: chrono::NaiveDate = args.next().ok_or(usage)?.parse()?;
    let kinds = args
        .next()
        .ok_or(usage)?
        .split(',')
        .map(|kind| {
            Granularity::ALL
                .into_iter()
                .find(|g| g.as_str().eq_ignore_ascii_case(kind))
                .ok_or_else(|| format!("unknown kind {kind:?}; {usage}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let naive_too = match args.next().as_deref() {
        None => false,
        Some("naive") => true,
        Some(other) => return Err(format!("unexpected {other:?}; {usage}").into()),
    };

    let sdk_config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let plan = FetchPlan::for_reports(kinds.iter().copied(), report_date);

    let organization = CostExplorer::from_sdk_config(&sdk_config, RetryPolicy::default());
    let org = organization
        .fetch_organization(&[CostMetric::UnblendedCost], &plan)
        .await?;
    let mut summary = serde_json::json!({
        "report_date": report_date,
        "plan": plan,
        "organization": {
            "accounts_with_costs": org.account_ids().count(),
            "requests": organization.stats(),
            "serialized_bytes": serde_json::to_vec(&org)?.len(),
        },
    });

    if naive_too {
        let accounts: Vec<AccountId> = org.account_ids().cloned().collect();
        let naive = CostExplorer::from_sdk_config(&sdk_config, RetryPolicy::default());
        for account in &accounts {
            naive
                .fetch_account(
                    account,
                    &TagFilter::default(),
                    CostMetric::UnblendedCost,
                    &plan,
                )
                .await?;
        }
        summary["per_account"] = serde_json::json!({
            "accounts": accounts.len(),
            "requests": naive.stats(),
        });
    }
    Ok(summary)
}
