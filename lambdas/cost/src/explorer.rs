//! Cost Explorer access: the organization-wide query, the per-account tag-filtered query (the
//! seed's query, generalised) and the optional month-end forecast.
//!
//! Cost Explorer bills every request, every page included, so:
//! - the organization-wide query is grouped by `[LINKED_ACCOUNT, SERVICE]` over one date range
//!   shared by every account ([`FetchPlan`]): its request count does not grow with the number
//!   of accounts, only its pages do;
//! - only rows with a `CostTags` filter need their own query (tags cannot be grouped per
//!   account in the same request);
//! - throttling (`LimitExceededException`, HTTP 400, not 429) is retried here with full-jitter
//!   exponential backoff and a bounded number of attempts; the SDK's own retries are turned
//!   off so there is exactly one retry policy and its bounds are the ones below;
//! - `DataUnavailableException` (a new account, Cost Explorer just enabled) is a result, not a
//!   failure: the data comes back with `no_data = true` and the report says so.

use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_costexplorer::config::retry::RetryConfig;
use aws_sdk_costexplorer::config::timeout::TimeoutConfig;
use aws_sdk_costexplorer::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_costexplorer::types::{
    DateInterval, Dimension, DimensionValues, Expression, Granularity as CeGranularity,
    GroupDefinition, GroupDefinitionType, MatchOption, Metric, ResultByTime, TagValues,
};
use chrono::{Datelike, NaiveDate};
use orgpulse_config::{AccountId, AccountSettings, CostMetric, Granularity, TagFilter, TagMatch};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::data::{AccountCostData, Bucket, Forecast, OrgCostData};
use crate::error::{DisplayChain, Error, Result};
use crate::periods::{due_kinds, first_of_month, FetchPlan};
use crate::report::Period;

const GET_COST_AND_USAGE: &str = "GetCostAndUsage";
const GET_COST_FORECAST: &str = "GetCostForecast";

/// How hard to try before giving up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request (page), the first included.
    pub max_attempts: u32,
    /// Backoff cap before the first retry; doubled for each further retry.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Each attempt is abandoned after this long (and retried).
    pub attempt_timeout: Duration,
    /// Pages followed for one query before stopping: bounds the bill of a runaway query.
    pub max_pages: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // About 10 requests per second is the unofficial comfortable rate; a throttled run
        // waits up to ~1+2+4+8+16+20+20 s before failing, well inside a Lambda's timeout.
        Self {
            max_attempts: 8,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            attempt_timeout: Duration::from_secs(30),
            max_pages: 5_000,
        }
    }
}

/// Requests made so far by one [`CostExplorer`] (and its clones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct RequestStats {
    /// Successful requests: what Cost Explorer bills ($0.01 each). One per page.
    pub billed_requests: u64,
    /// Every attempt sent, failed ones included.
    pub attempts: u64,
    /// Attempts answered with `LimitExceededException`.
    pub throttled: u64,
}

#[derive(Debug, Default)]
struct Counters {
    billed_requests: AtomicU64,
    attempts: AtomicU64,
    throttled: AtomicU64,
}

/// Cost Explorer with orgpulse's retry policy and request accounting.
#[derive(Debug, Clone)]
pub struct CostExplorer {
    ce: aws_sdk_costexplorer::Client,
    policy: RetryPolicy,
    counters: Arc<Counters>,
}

impl CostExplorer {
    /// A client from the standard AWS configuration (credentials chain, `AWS_ENDPOINT_URL*`),
    /// with the SDK's retries off (this type retries) and the policy's per-attempt timeout in
    /// the SDK's timeout configuration (each attempt is also bounded here, whatever the client).
    pub fn from_sdk_config(config: &aws_config::SdkConfig, policy: RetryPolicy) -> Self {
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(5))
            .operation_attempt_timeout(policy.attempt_timeout)
            .build();
        let conf = aws_sdk_costexplorer::config::Builder::from(config)
            .retry_config(RetryConfig::disabled())
            .timeout_config(timeouts)
            .build();
        Self::new(aws_sdk_costexplorer::Client::from_conf(conf), policy)
    }

    /// Wraps an existing client. Give it `RetryConfig::disabled()`, or throttled requests
    /// are retried twice over.
    pub fn new(ce: aws_sdk_costexplorer::Client, policy: RetryPolicy) -> Self {
        Self {
            ce,
            policy,
            counters: Arc::default(),
        }
    }

    pub fn stats(&self) -> RequestStats {
        RequestStats {
            billed_requests: self.counters.billed_requests.load(Ordering::Relaxed),
            attempts: self.counters.attempts.load(Ordering::Relaxed),
            throttled: self.counters.throttled.load(Ordering::Relaxed),
        }
    }

    /// Every account's costs for the plan's ranges, from the management (or a delegated
    /// billing) account, with all the `metrics` the configuration uses in the same requests
    /// and no filter: `GroupBy [LINKED_ACCOUNT, SERVICE]` for the per-service ranges,
    /// `GroupBy [LINKED_ACCOUNT]` for the totals-only ones (see [`FetchPlan`]).
    pub async fn fetch_organization(
        &self,
        metrics: &[CostMetric],
        plan: &FetchPlan,
    ) -> Result<OrgCostData> {
        let metrics = distinct(metrics);
        let mut accounts = std::collections::BTreeMap::<AccountId, AccountCostData>::new();
        let mut estimated = Vec::new();
        for query in Query::for_plan(plan, &metrics, Some(Dimension::LinkedAccount), None) {
            let Some(results) = self.get_cost_and_usage_pages(&query).await? else {
                return Ok(OrgCostData::no_data_yet(*plan, metrics));
            };
            for_each_amount(
                &query,
                &results,
                &mut estimated,
                |keys, metric, bucket, amount| {
                    let (account, service) = match (query.by_service, keys) {
                        (true, [account, service]) => (account, Some(service)),
                        (false, [account]) => (account, None),
                        _ => {
                            return Err(malformed(
                                "group keys",
                                keys.join(","),
                                "expected [account, service] or [account]",
                            ))
                        }
                    };
                    let account_id = AccountId::parse(account)
                        .map_err(|reason| malformed("account ID", account, &reason))?;
                    let data = accounts
                        .entry(account_id.clone())
                        .or_insert_with(|| AccountCostData::empty(account_id, *plan));
                    match service {
                        Some(service) => data.add(metric, service, bucket, amount),
                        None => data.add_total(metric, bucket, amount),
                    }
                    Ok(())
                },
            )?;
        }
        for account in accounts.values_mut() {
            for bucket in &estimated {
                account.mark_estimated(*bucket);
            }
        }
        Ok(OrgCostData::from_accounts(
            *plan,
            metrics,
            accounts.into_values(),
        ))
    }

    /// One account's costs by service, filtered by the row's tags: the seed's query
    /// (`Filter = And[LINKED_ACCOUNT, Tags…]`, `GroupBy SERVICE`) with the row's metric, over
    /// `plan.by_service()` (for one account every figure by service costs fewer requests than
    /// separate totals). The result's coverage is that plan.
    pub async fn fetch_account(
        &self,
        account: &AccountId,
        tags: &TagFilter,
        metric: CostMetric,
        plan: &FetchPlan,
    ) -> Result<AccountCostData> {
        let plan = plan.by_service();
        let filter = account_filter(account, tags);
        let mut data = AccountCostData::empty(account.clone(), plan);
        let mut estimated = Vec::new();
        for query in Query::for_plan(&plan, &[metric], None, Some(filter)) {
            let Some(results) = self.get_cost_and_usage_pages(&query).await? else {
                return Ok(AccountCostData::no_data_yet(account.clone(), plan));
            };
            for_each_amount(
                &query,
                &results,
                &mut estimated,
                |keys, metric, bucket, amount| {
                    match (query.by_service, keys) {
                        (true, [service]) => data.add(metric, service, bucket, amount),
                        (false, []) => data.add_total(metric, bucket, amount),
                        _ => {
                            return Err(malformed(
                                "group keys",
                                keys.join(","),
                                "expected [service]",
                            ))
                        }
                    }
                    Ok(())
                },
            )?;
        }
        for bucket in estimated {
            data.mark_estimated(bucket);
        }
        Ok(data)
    }

    /// Everything one account's reports of `kinds` on `report_date` need. Its slice of the
    /// organization-wide data when that serves it (no tag filter, same metric, enough days);
    /// otherwise its own tag-filtered query. Then, when the row asks for it and a DAILY report
    /// is due, Cost Explorer's forecast; a failed forecast is logged and the report falls back
    /// to the run-rate projection rather than failing.
    pub async fn account_data(
        &self,
        settings: &AccountSettings,
        kinds: &[Granularity],
        report_date: NaiveDate,
        organization: Option<&OrgCostData>,
    ) -> Result<AccountCostData> {
        let plan = FetchPlan::for_reports(kinds.iter().copied(), report_date);
        let from_organization = organization.filter(|org| {
            settings.cost_tags.is_empty()
                && (org.is_no_data()
                    || (org.metrics().contains(&settings.metric)
                        && org.coverage().covers_plan(&plan)))
        });
        let mut data = match from_organization {
            Some(org) => org.for_account(&settings.account_id),
            None => {
                self.fetch_account(
                    &settings.account_id,
                    &settings.cost_tags,
                    settings.metric,
                    &plan,
                )
                .await?
            }
        };
        if settings.forecast && kinds.contains(&Granularity::Daily) && !data.no_data {
            match self
                .forecast_month_end(
                    &settings.account_id,
                    &settings.cost_tags,
                    settings.metric,
                    report_date,
                )
                .await
            {
                Ok(forecast) => data.forecast = forecast,
                Err(error) => tracing::warn!(
                    account = %settings.account_id,
                    %error,
                    "forecast unavailable; projecting from the run rate"
                ),
            }
        }
        Ok(data)
    }

    /// Cost Explorer's forecast (mean) for the rest of the month the daily report of
    /// `report_date` describes: `[report_date, 1st of next month)`. `None` on the 1st (the
    /// month is complete, no request is made) and when Cost Explorer has too little history
    /// (`DataUnavailableException`). One billed request per account: only for rows that ask.
    pub async fn forecast_month_end(
        &self,
        account: &AccountId,
        tags: &TagFilter,
        metric: CostMetric,
        report_date: NaiveDate,
    ) -> Result<Option<Forecast>> {
        if report_date.day() == 1 {
            return Ok(None);
        }
        let period = Period::new(report_date, Period::month_of(report_date).end);
        let filter = account_filter(account, tags);
        let reply = self
            .send_with_retries(GET_COST_FORECAST, || {
                self.ce
                    .get_cost_forecast()
                    .time_period(date_interval(&period))
                    .metric(Metric::from(metric.forecast_name()))
                    .granularity(CeGranularity::Monthly)
                    .filter(filter.clone())
                    .send()
            })
            .await?;
        let Some(output) = reply else {
            return Ok(None);
        };
        let Some(total) = output.total() else {
            return Ok(None);
        };
        let mean = parse_amount(
            GET_COST_FORECAST,
            total.amount().unwrap_or("0"),
            total.unit(),
        )?;
        Ok(Some(Forecast { period, mean }))
    }

    /// Every page of one query. `None` when Cost Explorer has no data yet.
    async fn get_cost_and_usage_pages(&self, query: &Query) -> Result<Option<Vec<ResultByTime>>> {
        let mut results = Vec::new();
        let mut next_page_token: Option<String> = None;
        for _ in 0..self.policy.max_pages {
            let reply = self
                .send_with_retries(GET_COST_AND_USAGE, || {
                    self.ce
                        .get_cost_and_usage()
                        .time_period(date_interval(&query.period))
                        .granularity(query.granularity.clone())
                        .set_metrics(Some(query.metrics.clone()))
                        .set_group_by(Some(query.group_by.clone()))
                        .set_filter(query.filter.clone())
                        .set_next_page_token(next_page_token.clone())
                        .send()
                })
                .await?;
            let Some(page) = reply else {
                return Ok(None);
            };
            results.extend(page.results_by_time().iter().cloned());
            match page.next_page_token().filter(|token| !token.is_empty()) {
                Some(token) => next_page_token = Some(token.to_owned()),
                None => return Ok(Some(results)),
            }
        }
        Err(Error::TooManyPages {
            operation: GET_COST_AND_USAGE,
            max_pages: self.policy.max_pages,
        })
    }

    /// Sends one request with the retry policy. `Ok(None)`: `DataUnavailableException`.
    async fn send_with_retries<T, E, F, Fut>(
        &self,
        operation: &'static str,
        mut send: F,
    ) -> Result<Option<T>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, SdkError<E>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let attempts = self.policy.max_attempts.max(1);
        let mut last_failure = String::new();
        let mut throttled_every_time = true;
        for attempt in 1..=attempts {
            if attempt > 1 {
                tokio::time::sleep(self.backoff(attempt - 1)).await;
            }
            self.counters.attempts.fetch_add(1, Ordering::Relaxed);
            let outcome = match tokio::time::timeout(self.policy.attempt_timeout, send()).await {
                Ok(Ok(output)) => {
                    self.counters
                        .billed_requests
                        .fetch_add(1, Ordering::Relaxed);
                    return Ok(Some(output));
                }
                Ok(Err(error)) => classify(&error),
                Err(_elapsed) => Outcome::Transient(format!(
                    "no answer within {:?}",
                    self.policy.attempt_timeout
                )),
            };
            match outcome {
                Outcome::DataUnavailable => {
                    // Not billed: only successful calls are.
                    return Ok(None);
                }
                Outcome::Throttled => {
                    self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                    last_failure = "LimitExceededException".into();
                    tracing::warn!(
                        operation,
                        attempt,
                        attempts,
                        "Cost Explorer throttled the request"
                    );
                }
                Outcome::Transient(reason) => {
                    throttled_every_time = false;
                    tracing::warn!(operation, attempt, attempts, %reason, "Cost Explorer request failed, retrying");
                    last_failure = reason;
                }
                Outcome::Fatal { code, message } => {
                    return Err(Error::Rejected {
                        operation,
                        hint: hint(&code),
                        code,
                        message,
                    });
                }
            }
        }
        if throttled_every_time {
            Err(Error::Throttled {
                operation,
                attempts,
            })
        } else {
            Err(Error::Unreachable {
                operation,
                attempts,
                attempt_timeout: self.policy.attempt_timeout,
                last: last_failure,
            })
        }
    }

    /// Full jitter: uniformly random in `[0, min(max, initial * 2^(retry-1))]`, so many
    /// throttled Lambdas of one Map state do not retry in lockstep.
    fn backoff(&self, retry: u32) -> Duration {
        let cap = self
            .policy
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.policy.max_backoff);
        let cap_ms = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(0..=cap_ms))
    }
}

enum Outcome {
    DataUnavailable,
    Throttled,
    Transient(String),
    Fatal { code: String, message: String },
}

fn classify<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    error: &SdkError<E>,
) -> Outcome {
    match error {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("Unknown");
            let message = service.err().message().unwrap_or_default().to_owned();
            match code {
                "DataUnavailableException" => Outcome::DataUnavailable,
                "LimitExceededException" | "ThrottlingException" | "TooManyRequestsException" => {
                    Outcome::Throttled
                }
                _ if service.raw().status().is_server_error() => {
                    Outcome::Transient(format!("{code}: {message}"))
                }
                _ => Outcome::Fatal {
                    code: code.to_owned(),
                    message,
                },
            }
        }
        SdkError::TimeoutError(_) => Outcome::Transient("timed out".into()),
        SdkError::DispatchFailure(failure) if !failure.is_user() => Outcome::Transient(format!(
            "could not send the request: {}",
            DisplayChain(error)
        )),
        SdkError::ResponseError(_) => {
            Outcome::Transient(format!("unreadable response: {}", DisplayChain(error)))
        }
        _ => Outcome::Fatal {
            code: "ClientError".into(),
            message: DisplayChain(error).to_string(),
        },
    }
}

fn hint(code: &str) -> &'static str {
    match code {
        "AccessDeniedException" | "AccessDenied" => {
            " (the function's role needs ce:GetCostAndUsage/ce:GetCostForecast, and Cost Explorer must be \
             enabled in the management account)"
        }
        "UnrecognizedClientException" | "InvalidClientTokenId" | "ExpiredTokenException" => {
            " (the AWS credentials are missing, invalid or expired)"
        }
        "BillExpirationException" => " (the dates are older than Cost Explorer keeps: 13 months plus the current one)",
        "InvalidNextTokenException" | "RequestChangedException" => {
            " (Cost Explorer data changed while pages were read; run again)"
        }
        "ValidationException" => " (check the row's CostTags and Metric)",
        _ => "",
    }
}

/// What the organization-wide query of a run on `report_date` fetches: the union of the due
/// reports of every enabled account it serves (rows without a tag filter), and the metrics
/// they use. An empty plan (nothing due) makes no request at all.
pub fn organization_query<'a>(
    accounts: impl IntoIterator<Item = &'a AccountSettings>,
    report_date: NaiveDate,
) -> (FetchPlan, Vec<CostMetric>) {
    let mut kinds = Vec::new();
    let mut metrics = Vec::new();
    for settings in accounts {
        if !settings.cost_tags.is_empty() {
            continue;
        }
        let due = due_kinds(settings, report_date);
        if due.is_empty() {
            continue;
        }
        kinds.extend(due);
        metrics.push(settings.metric);
    }
    (
        FetchPlan::for_reports(kinds, report_date),
        distinct(&metrics),
    )
}

/// The seed's filter: the account, and each tag clause of the row, all combined with `And`.
/// Without tag clauses the filter is the account dimension alone (`And` needs two operands).
pub fn account_filter(account: &AccountId, tags: &TagFilter) -> Expression {
    let account_expression = Expression::builder()
        .dimensions(
            DimensionValues::builder()
                .key(Dimension::LinkedAccount)
                .values(account.as_str())
                .build(),
        )
        .build();
    if tags.is_empty() {
        return account_expression;
    }
    let mut and = vec![account_expression];
    for clause in &tags.clauses {
        let values = match &clause.matches {
            TagMatch::Equals(values) => TagValues::builder()
                .key(&clause.key)
                .set_values(Some(values.clone()))
                .match_options(MatchOption::Equals),
            TagMatch::Absent => TagValues::builder()
                .key(&clause.key)
                .match_options(MatchOption::Absent),
        };
        and.push(Expression::builder().tags(values.build()).build());
    }
    Expression::builder().set_and(Some(and)).build()
}

/// One `GetCostAndUsage` query, without its page token.
struct Query {
    period: Period,
    granularity: CeGranularity,
    metrics: Vec<String>,
    /// Grouped by `SERVICE` (after the optional account dimension); otherwise totals.
    by_service: bool,
    group_by: Vec<GroupDefinition>,
    filter: Option<Expression>,
}

impl Query {
    /// The plan's ranges as queries: per-service days, per-service months, total days,
    /// total months, each only when the plan has it.
    fn for_plan(
        plan: &FetchPlan,
        metrics: &[CostMetric],
        account_dimension: Option<Dimension>,
        filter: Option<Expression>,
    ) -> Vec<Query> {
        let ranges = [
            (plan.service_days, CeGranularity::Daily, true),
            (plan.service_months, CeGranularity::Monthly, true),
            (plan.total_days, CeGranularity::Daily, false),
            (plan.total_months, CeGranularity::Monthly, false),
        ];
        ranges
            .into_iter()
            .filter_map(|(period, granularity, by_service)| {
                let dimensions = account_dimension
                    .iter()
                    .chain(by_service.then_some(&Dimension::Service));
                Some(Query {
                    period: period.filter(|p| !p.is_empty())?,
                    granularity,
                    metrics: metrics.iter().map(|m| m.as_str().to_owned()).collect(),
                    by_service,
                    group_by: dimensions
                        .map(|dimension| {
                            GroupDefinition::builder()
                                .r#type(GroupDefinitionType::Dimension)
                                .key(dimension.as_str())
                                .build()
                        })
                        .collect(),
                    filter: filter.clone(),
                })
            })
            .collect()
    }

    fn bucket(&self, start: NaiveDate) -> Bucket {
        match self.granularity {
            CeGranularity::Monthly => Bucket::Month(first_of_month(start)),
            _ => Bucket::Day(start),
        }
    }
}

/// Calls `add` for every (group keys, metric, bucket, USD amount) of the results and collects
/// the estimated buckets.
fn for_each_amount(
    query: &Query,
    results: &[ResultByTime],
    estimated: &mut Vec<Bucket>,
    mut add: impl FnMut(&[String], CostMetric, Bucket, Decimal) -> Result<()>,
) -> Result<()> {
    for result in results {
        let start = result
            .time_period()
            .map(|interval| interval.start())
            .unwrap_or_default();
        let start = NaiveDate::from_str(start)
            .map_err(|e| malformed("TimePeriod.Start", start, &e.to_string()))?;
        if !query.period.contains(start) {
            continue;
        }
        let bucket = query.bucket(start);
        if result.estimated() {
            estimated.push(bucket);
        }
        // Grouped answers put amounts in `Groups` (and leave `Total` empty); ungrouped ones
        // in `Total`.
        let rows: Vec<(&[String], _)> = if query.group_by.is_empty() {
            vec![(&[][..], result.total())]
        } else {
            result
                .groups()
                .iter()
                .map(|g| (g.keys(), g.metrics()))
                .collect()
        };
        for (keys, metrics) in rows {
            for (name, value) in metrics.into_iter().flatten() {
                let Some(metric) = CostMetric::ALL.into_iter().find(|m| m.as_str() == name) else {
                    continue;
                };
                let amount = parse_amount(
                    GET_COST_AND_USAGE,
                    value.amount().unwrap_or("0"),
                    value.unit(),
                )?;
                add(keys, metric, bucket, amount)?;
            }
        }
    }
    Ok(())
}

/// A USD amount. Cost Explorer writes plain decimals; scientific notation is accepted too.
fn parse_amount(operation: &'static str, amount: &str, unit: Option<&str>) -> Result<Decimal> {
    let value = Decimal::from_str(amount)
        .or_else(|_| Decimal::from_scientific(amount))
        .map_err(|e| Error::Malformed {
            operation,
            what: "amount",
            value: amount.to_owned(),
            reason: e.to_string(),
        })?;
    match unit {
        Some("USD") | None | Some("") => Ok(value),
        Some(_) if value.is_zero() => Ok(value),
        Some(unit) => Err(Error::UnexpectedUnit {
            operation,
            amount: amount.to_owned(),
            unit: unit.to_owned(),
        }),
    }
}

fn malformed(what: &'static str, value: impl Into<String>, reason: &str) -> Error {
    Error::Malformed {
        operation: GET_COST_AND_USAGE,
        what,
        value: value.into(),
        reason: reason.to_owned(),
    }
}

fn date_interval(period: &Period) -> DateInterval {
    DateInterval::builder()
        .start(period.start.to_string())
        .end(period.end.to_string())
        .build()
        .expect("start and end are both set")
}

fn distinct(metrics: &[CostMetric]) -> Vec<CostMetric> {
    let mut distinct: Vec<CostMetric> = Vec::new();
    for metric in metrics {
        if !distinct.contains(metric) {
            distinct.push(*metric);
        }
    }
    if distinct.is_empty() {
        distinct.push(CostMetric::default());
    }
    distinct
}

#[cfg(test)]
mod tests;
