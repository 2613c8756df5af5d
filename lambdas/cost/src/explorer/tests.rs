use super::*;
use aws_sdk_costexplorer::operation::get_cost_and_usage::{
    GetCostAndUsageError, GetCostAndUsageOutput,
};
use aws_sdk_costexplorer::operation::get_cost_forecast::GetCostForecastOutput;
use aws_sdk_costexplorer::types::{Group, MetricValue};
use aws_sdk_costexplorer::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use orgpulse_config::{Granularity, TagClause};
use pretty_assertions::assert_eq;
use rust_decimal_macros::dec;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
fn id(s: &str) -> AccountId {
    AccountId::parse(s).unwrap()
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        attempt_timeout: Duration::from_secs(5),
        max_pages: 10,
    }
}

fn explorer(mode: RuleMode, rules: &[&Rule]) -> CostExplorer {
    let ce: Client = mock_client!(aws_sdk_costexplorer, mode, rules, |conf| conf
        .retry_config(RetryConfig::disabled()));
    CostExplorer::new(ce, fast_policy())
}

/// The error body Cost Explorer sends (awsJson1_1), with its HTTP status.
fn aws_error(code: &str, message: &str) -> Option<String> {
    Some(format!(r#"{{"__type":"{code}","message":"{message}"}}"#))
}

fn daily_result(day: &str, estimated: bool, groups: &[(&[&str], &str)]) -> ResultByTime {
    let start = d(day);
    ResultByTime::builder()
        .time_period(date_interval(&Period::new(
            start,
            start.succ_opt().unwrap(),
        )))
        .estimated(estimated)
        .set_groups(Some(
            groups
                .iter()
                .map(|(keys, amount)| {
                    Group::builder()
                        .set_keys(Some(keys.iter().map(|k| k.to_string()).collect()))
                        .metrics(
                            "UnblendedCost",
                            MetricValue::builder().amount(*amount).unit("USD").build(),
                        )
                        .build()
                })
                .collect(),
        ))
        .build()
}

const A: &str = "111111111111";
const B: &str = "222222222222";
const EC2: &str = "Amazon Elastic Compute Cloud - Compute";
const S3: &str = "Amazon Simple Storage Service";

fn daily_plan() -> FetchPlan {
    FetchPlan::for_reports([Granularity::Daily], d("2024-03-15"))
}

fn grouped_by(
    req: &aws_sdk_costexplorer::operation::get_cost_and_usage::GetCostAndUsageInput,
) -> Vec<&str> {
    req.group_by()
        .iter()
        .map(|g| g.key().unwrap_or_default())
        .collect()
}

fn range_of(
    req: &aws_sdk_costexplorer::operation::get_cost_and_usage::GetCostAndUsageInput,
) -> Option<(&str, &str)> {
    req.time_period().map(|p| (p.start(), p.end()))
}

#[tokio::test]
async fn organization_query_follows_every_page_token() {
    // Cost Explorer splits one day's groups across pages: both halves must be kept.
    let first = mock!(Client::get_cost_and_usage)
        .match_requests(|req| {
            grouped_by(req) == ["LINKED_ACCOUNT", "SERVICE"] && req.next_page_token().is_none()
        })
        .then_output(|| {
            GetCostAndUsageOutput::builder()
                .results_by_time(daily_result(
                    "2024-03-13",
                    false,
                    &[(&[A, EC2], "10.5"), (&[A, S3], "1")],
                ))
                .results_by_time(daily_result("2024-03-14", true, &[(&[A, EC2], "11")]))
                .next_page_token("page-2")
                .build()
        });
    let second = mock!(Client::get_cost_and_usage)
        .match_requests(|req| req.next_page_token() == Some("page-2"))
        .then_output(|| {
            GetCostAndUsageOutput::builder()
                .results_by_time(daily_result(
                    "2024-03-14",
                    true,
                    &[(&[A, S3], "1.25"), (&[B, EC2], "-3")],
                ))
                .next_page_token("page-3")
                .build()
        });
    let third = mock!(Client::get_cost_and_usage)
        .match_requests(|req| req.next_page_token() == Some("page-3"))
        .then_output(|| {
            GetCostAndUsageOutput::builder()
                .results_by_time(daily_result("2024-03-14", true, &[(&[B, S3], "0.0000001")]))
                .build()
        });
    // Account totals for the long range: one row per account and day.
    let totals = mock!(Client::get_cost_and_usage)
        .match_requests(|req| {
            grouped_by(req) == ["LINKED_ACCOUNT"]
                && range_of(req) == Some(("2024-02-01", "2024-03-15"))
        })
        .then_output(|| {
            GetCostAndUsageOutput::builder()
                .results_by_time(daily_result(
                    "2024-03-01",
                    false,
                    &[(&[A], "20"), (&[B], "2")],
                ))
                .results_by_time(daily_result(
                    "2024-03-14",
                    true,
                    &[(&[A], "12.25"), (&[B], "-2.9999999")],
                ))
                .build()
        });
    let explorer = explorer(RuleMode::MatchAny, &[&first, &second, &third, &totals]);

    let org = explorer
        .fetch_organization(&[CostMetric::UnblendedCost], &daily_plan())
        .await
        .unwrap();

    assert_eq!(
        [
            first.num_calls(),
            second.num_calls(),
            third.num_calls(),
            totals.num_calls()
        ],
        [1, 1, 1, 1]
    );
    assert_eq!(
        explorer.stats(),
        RequestStats {
            billed_requests: 4,
            attempts: 4,
            throttled: 0
        }
    );
    let m = CostMetric::UnblendedCost;
    let yesterday = Period::new(d("2024-03-14"), d("2024-03-15"));
    let a = org.for_account(&id(A));
    assert_eq!(a.service_totals(m, &yesterday)[EC2], dec!(11));
    assert_eq!(a.service_totals(m, &yesterday)[S3], dec!(1.25));
    assert_eq!(a.total(m, &yesterday), dec!(12.25));
    assert_eq!(
        a.total(m, &Period::new(d("2024-03-01"), d("2024-03-15"))),
        dec!(32.25)
    );
    assert!(a.is_estimated(&yesterday));
    assert!(!a.is_estimated(&Period::new(d("2024-03-13"), d("2024-03-14"))));
    let b = org.for_account(&id(B));
    assert_eq!(b.service_totals(m, &yesterday)[EC2], dec!(-3));
    assert_eq!(b.service_totals(m, &yesterday)[S3], dec!(0.0000001));
    assert_eq!(org.account_ids().count(), 2);
}

#[tokio::test]
async fn organization_queries_on_the_1st() {
    // Services for the two reported days, totals for the month to date and trend, and
    // January (the month compared whole) as one MONTHLY bucket per account.
    let plan = FetchPlan::for_reports([Granularity::Daily], d("2024-03-01"));
    let services = mock!(Client::get_cost_and_usage)
        .match_requests(|req| {
            req.granularity() == Some(&CeGranularity::Daily)
                && range_of(req) == Some(("2024-02-28", "2024-03-01"))
                && req.filter().is_none()
                && req.metrics() == ["UnblendedCost", "BlendedCost"]
                && grouped_by(req) == ["LINKED_ACCOUNT", "SERVICE"]
        })
        .then_output(|| {
            GetCostAndUsageOutput::builder()
                .results_by_time(daily_result("2024-02-29", false, &[(&[A, EC2], "2")]))
                .build()
        });
    let total_days = mock!(Client::get_cost_and_usage)
        .match_requests(|req| {
            req.granularity() == Some(&CeGranularity::Daily)
                && range_of(req) == Some(("2024-01-31", "2024-03-01"))
                && grouped_by(req) == ["LINKED_ACCOUNT"]
        })
        .then_output(|| {
            GetCostAndUsageOutput::builder()
                .results_by_time(daily_result("2024-02-29", false, &[(&[A], "2")]))
                .results_by_time(daily_result("2024-02-01", false, &[(&[A], "30")]))
                .build()
        });
    let total_months = mock!(Client::get_cost_and_usage)
        .match_requests(|req| {
            req.granularity() == Some(&CeGranularity::Monthly)
                && range_of(req) == Some(("2024-01-01", "2024-02-01"))
                && grouped_by(req) == ["LINKED_ACCOUNT"]
        })
        .then_output(|| {
            let january = ResultByTime::builder()
                .time_period(date_interval(&Period::new(
                    d("2024-01-01"),
                    d("2024-02-01"),
                )))
                .groups(
                    Group::builder()
                        .keys(A)
                        .metrics(
                            "UnblendedCost",
                            MetricValue::builder().amount("62").unit("USD").build(),
                        )
                        .metrics(
                            "BlendedCost",
                            MetricValue::builder().amount("60").unit("USD").build(),
                        )
                        .build(),
                )
                .build();
            GetCostAndUsageOutput::builder()
                .results_by_time(january)
                .build()
        });
    let explorer = explorer(RuleMode::MatchAny, &[&services, &total_days, &total_months]);
    let org = explorer
        .fetch_organization(
            &[
                CostMetric::UnblendedCost,
                CostMetric::BlendedCost,
                CostMetric::UnblendedCost,
            ],
            &plan,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            services.num_calls(),
            total_days.num_calls(),
            total_months.num_calls()
        ),
        (1, 1, 1)
    );
    let a = org.for_account(&id(A));
    let january = Period::new(d("2024-01-01"), d("2024-02-01"));
    assert_eq!(a.total(CostMetric::UnblendedCost, &january), dec!(62));
    assert_eq!(a.total(CostMetric::BlendedCost, &january), dec!(60));
    let february = Period::new(d("2024-02-01"), d("2024-03-01"));
    assert_eq!(a.total(CostMetric::UnblendedCost, &february), dec!(32));
}

#[tokio::test]
async fn throttling_is_retried_then_succeeds() {
    let rule = mock!(Client::get_cost_and_usage)
        .sequence()
        .http_status(400, aws_error("LimitExceededException", "Rate exceeded"))
        .times(2)
        .output(|| {
            GetCostAndUsageOutput::builder()
                .results_by_time(daily_result("2024-03-14", false, &[(&[EC2], "4")]))
                .build()
        })
        .build();
    let explorer = explorer(RuleMode::Sequential, &[&rule]);
    let data = explorer
        .fetch_account(
            &id(A),
            &TagFilter::default(),
            CostMetric::UnblendedCost,
            &daily_plan(),
        )
        .await
        .unwrap();
    assert_eq!(rule.num_calls(), 3);
    assert_eq!(
        explorer.stats(),
        RequestStats {
            billed_requests: 1,
            attempts: 3,
            throttled: 2
        }
    );
    assert_eq!(
        data.total(
            CostMetric::UnblendedCost,
            &Period::new(d("2024-03-14"), d("2024-03-15"))
        ),
        dec!(4)
    );
}

#[tokio::test]
async fn throttling_exhausts_the_attempts() {
    let rule = mock!(Client::get_cost_and_usage)
        .sequence()
        .http_status(400, aws_error("LimitExceededException", "Rate exceeded"))
        .times(3)
        .build();
    let explorer = explorer(RuleMode::Sequential, &[&rule]);
    let error = explorer
        .fetch_account(
            &id(A),
            &TagFilter::default(),
            CostMetric::UnblendedCost,
            &daily_plan(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Throttled {
                operation: "GetCostAndUsage",
                attempts: 3
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.error_type(), "Throttled");
    assert!(error.to_string().contains("LimitExceededException"));
    assert_eq!(rule.num_calls(), 3);
    assert_eq!(explorer.stats().billed_requests, 0);
    assert_eq!(explorer.stats().throttled, 3);
}

#[tokio::test]
async fn server_errors_are_retried_client_errors_are_not() {
    let flaky = mock!(Client::get_cost_and_usage)
        .sequence()
        .http_status(503, None)
        .output(|| GetCostAndUsageOutput::builder().build())
        .build();
    let explorer_flaky = explorer(RuleMode::Sequential, &[&flaky]);
    explorer_flaky
        .fetch_account(
            &id(A),
            &TagFilter::default(),
            CostMetric::UnblendedCost,
            &daily_plan(),
        )
        .await
        .unwrap();
    assert_eq!(explorer_flaky.stats().attempts, 2);

    let denied = mock!(Client::get_cost_and_usage)
        .sequence()
        .http_status(
            400,
            aws_error(
                "AccessDeniedException",
                "User is not authorized to perform: ce:GetCostAndUsage",
            ),
        )
        .build();
    let explorer_denied = explorer(RuleMode::Sequential, &[&denied]);
    let error = explorer_denied
        .fetch_account(
            &id(A),
            &TagFilter::default(),
            CostMetric::UnblendedCost,
            &daily_plan(),
        )
        .await
        .unwrap_err();
    assert_eq!(denied.num_calls(), 1);
    let text = error.to_string();
    assert!(text.contains("AccessDeniedException"), "{text}");
    assert!(text.contains("ce:GetCostAndUsage"), "{text}");
    assert!(text.contains("Cost Explorer must be enabled"), "{text}");
    assert_eq!(error.error_type(), "CostExplorerError");
}

#[tokio::test]
async fn data_unavailable_is_no_data_not_an_error() {
    let rule = mock!(Client::get_cost_and_usage)
        .sequence()
        .http_status(
            400,
            aws_error("DataUnavailableException", "Data is not available"),
        )
        .repeatedly()
        .build();
    let explorer = explorer(RuleMode::MatchAny, &[&rule]);
    let account = explorer
        .fetch_account(
            &id(A),
            &TagFilter::default(),
            CostMetric::UnblendedCost,
            &daily_plan(),
        )
        .await
        .unwrap();
    assert!(account.no_data);
    let org = explorer
        .fetch_organization(&[CostMetric::UnblendedCost], &daily_plan())
        .await
        .unwrap();
    assert!(org.is_no_data());
    assert!(org.for_account(&id(A)).no_data);
    assert_eq!(explorer.stats().billed_requests, 0);
}

#[tokio::test]
async fn an_attempt_that_hangs_times_out_and_is_retried() {
    let mut policy = fast_policy();
    policy.attempt_timeout = Duration::from_millis(20);
    let ce: Client = mock_client!(aws_sdk_costexplorer, RuleMode::Sequential, &[]);
    let explorer = CostExplorer::new(ce, policy);
    let mut calls = 0;
    let reply = explorer
        .send_with_retries("GetCostAndUsage", || {
            calls += 1;
            let hang = calls == 1;
            async move {
                if hang {
                    std::future::pending::<()>().await;
                }
                Ok::<_, SdkError<GetCostAndUsageError>>("answer")
            }
        })
        .await
        .unwrap();
    assert_eq!(reply, Some("answer"));
    assert_eq!(calls, 2);

    let error = explorer
        .send_with_retries("GetCostAndUsage", || async {
            std::future::pending::<()>().await;
            Ok::<(), SdkError<GetCostAndUsageError>>(())
        })
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Unreachable { attempts: 3, .. }),
        "{error:?}"
    );
    assert_eq!(error.error_type(), "Retryable");
}

#[test]
fn backoff_is_bounded_full_jitter() {
    let ce: Client = mock_client!(aws_sdk_costexplorer, RuleMode::Sequential, &[]);
    let explorer = CostExplorer::new(ce, RetryPolicy::default());
    for retry in 1..=12 {
        let cap = Duration::from_secs(1)
            .saturating_mul(2u32.saturating_pow(retry - 1))
            .min(Duration::from_secs(20));
        for _ in 0..50 {
            assert!(explorer.backoff(retry) <= cap);
        }
    }
    // Jitter: not always the cap.
    let waits: std::collections::HashSet<Duration> = (0..20).map(|_| explorer.backoff(5)).collect();
    assert!(waits.len() > 1);
}

fn tag_filter() -> TagFilter {
    TagFilter {
        clauses: vec![
            TagClause {
                key: "Environment".into(),
                matches: TagMatch::Equals(vec!["prod".into(), "stg".into()]),
            },
            TagClause {
                key: "Team".into(),
                matches: TagMatch::Absent,
            },
        ],
    }
}

#[tokio::test]
async fn account_query_on_the_wire() {
    // The exact JSON the SDK sends: the seed's query with tag filters in `And`.
    let (http_client, request) = aws_smithy_http_client::test_util::capture_request(None);
    let conf = aws_sdk_costexplorer::Config::builder()
        .with_test_defaults_v2()
        .http_client(http_client)
        .retry_config(RetryConfig::disabled())
        .build();
    let explorer = CostExplorer::new(Client::from_conf(conf), fast_policy());
    // The canned answer is an empty 200: no rows.
    let data = explorer
        .fetch_account(
            &id("012345678901"),
            &tag_filter(),
            CostMetric::BlendedCost,
            &daily_plan(),
        )
        .await
        .unwrap();
    assert!(data.costs.is_empty());

    let request = request.expect_request();
    assert_eq!(request.uri(), "https://ce.us-east-1.amazonaws.com/");
    assert_eq!(
        request.headers().get("x-amz-target"),
        Some("AWSInsightsIndexService.GetCostAndUsage")
    );
    let body: serde_json::Value = serde_json::from_slice(request.body().bytes().unwrap()).unwrap();
    // The same filter the configuration crate documents for the row.
    assert_eq!(
        body["Filter"],
        orgpulse_config::cost_explorer_filter(&id("012345678901"), &tag_filter())
    );
    assert_eq!(
        body,
        serde_json::json!({
            "TimePeriod": {"Start": "2024-02-01", "End": "2024-03-15"},
            "Granularity": "DAILY",
            "Filter": {"And": [
                {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": ["012345678901"]}},
                {"Tags": {"Key": "Environment", "Values": ["prod", "stg"], "MatchOptions": ["EQUALS"]}},
                {"Tags": {"Key": "Team", "MatchOptions": ["ABSENT"]}},
            ]},
            "Metrics": ["BlendedCost"],
            "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
        })
    );
}

#[test]
fn without_tags_the_filter_is_the_account_alone() {
    let filter = account_filter(&id(A), &TagFilter::default());
    assert!(filter.and().is_empty());
    let dimension = filter.dimensions().unwrap();
    assert_eq!(dimension.key(), Some(&Dimension::LinkedAccount));
    assert_eq!(dimension.values(), [A]);
}

#[tokio::test]
async fn forecast_for_the_rest_of_the_month() {
    let rule = mock!(Client::get_cost_forecast)
        .match_requests(|req| {
            req.time_period().map(|p| (p.start(), p.end())) == Some(("2024-03-15", "2024-04-01"))
                && req.metric() == Some(&Metric::UnblendedCost)
                && req.filter().map(|f| f.and().len()) == Some(3)
        })
        .then_output(|| {
            GetCostForecastOutput::builder()
                .total(
                    MetricValue::builder()
                        .amount("215.1234")
                        .unit("USD")
                        .build(),
                )
                .build()
        });
    let explorer = explorer(RuleMode::Sequential, &[&rule]);
    let forecast = explorer
        .forecast_month_end(
            &id(A),
            &tag_filter(),
            CostMetric::UnblendedCost,
            d("2024-03-15"),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        forecast.period,
        Period::new(d("2024-03-15"), d("2024-04-01"))
    );
    assert_eq!(forecast.mean, dec!(215.1234));

    // On the 1st the month is complete: no request at all.
    assert_eq!(
        explorer
            .forecast_month_end(
                &id(A),
                &tag_filter(),
                CostMetric::UnblendedCost,
                d("2024-04-01")
            )
            .await
            .unwrap(),
        None
    );
    assert_eq!(explorer.stats().attempts, 1);
}

#[tokio::test]
async fn forecast_without_history_is_none() {
    let rule = mock!(Client::get_cost_forecast)
        .sequence()
        .http_status(
            400,
            aws_error(
                "DataUnavailableException",
                "insufficient amount of historical data",
            ),
        )
        .build();
    let explorer = explorer(RuleMode::Sequential, &[&rule]);
    let forecast = explorer
        .forecast_month_end(
            &id(A),
            &TagFilter::default(),
            CostMetric::UnblendedCost,
            d("2024-03-15"),
        )
        .await
        .unwrap();
    assert_eq!(forecast, None);
}

#[test]
fn amounts() {
    assert_eq!(parse_amount("x", "1.5", Some("USD")).unwrap(), dec!(1.5));
    assert_eq!(
        parse_amount("x", "-0.0000000001", Some("USD")).unwrap(),
        dec!(-0.0000000001)
    );
    assert_eq!(
        parse_amount("x", "1.2E-7", Some("USD")).unwrap(),
        dec!(0.00000012)
    );
    assert_eq!(parse_amount("x", "0", Some("N/A")).unwrap(), dec!(0));
    assert!(matches!(
        parse_amount("x", "3", Some("EUR")),
        Err(Error::UnexpectedUnit { .. })
    ));
    assert!(matches!(
        parse_amount("x", "abc", Some("USD")),
        Err(Error::Malformed { .. })
    ));
}

#[tokio::test]
async fn any_commercial_region_reaches_the_us_east_1_endpoint() {
    // So the Lambdas can run in the organization's home region without a region override.
    use aws_sdk_costexplorer::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
    for region in ["us-east-1", "ap-northeast-1", "eu-west-1"] {
        let params = Params::builder()
            .region(region.to_string())
            .build()
            .unwrap();
        let endpoint = DefaultResolver::new()
            .resolve_endpoint(&params)
            .await
            .unwrap();
        assert_eq!(
            endpoint.url(),
            "https://ce.us-east-1.amazonaws.com",
            "{region}"
        );
    }
}

fn settings(account: &str) -> AccountSettings {
    AccountSettings {
        account_id: id(account),
        description: String::new(),
        channel_ids: vec![],
        currency: orgpulse_config::CurrencyCode::usd(),
        granularities: vec![Granularity::Daily],
        cost_tags: TagFilter::default(),
        metric: CostMetric::UnblendedCost,
        top_services: 5,
        thresholds: Default::default(),
        weekly_report_day: chrono::Weekday::Mon,
        monthly_report_day: 1,
        forecast: false,
        budgets: true,
        enabled: true,
        sources: vec![],
    }
}

#[test]
fn the_organization_query_does_not_depend_on_the_number_of_accounts() {
    let date = d("2024-03-18"); // a Monday
    let many = |n: usize| -> Vec<AccountSettings> {
        (0..n)
            .map(|i| settings(&format!("{:012}", 100_000_000_000u64 + i as u64)))
            .collect()
    };
    let (ten, metrics) = organization_query(&many(10), date);
    assert_eq!(ten, FetchPlan::for_reports([Granularity::Daily], date));
    assert_eq!(metrics, [CostMetric::UnblendedCost]);
    assert_eq!(organization_query(&many(1_000), date).0, ten);

    let mut weekly_blended = settings(C);
    weekly_blended.granularities = vec![Granularity::Weekly];
    weekly_blended.metric = CostMetric::BlendedCost;
    let mut tagged = settings(B);
    tagged.cost_tags = tag_filter();
    tagged.granularities = Granularity::ALL.to_vec();
    tagged.metric = CostMetric::AmortizedCost;
    let mut disabled = settings("333333333333");
    disabled.enabled = false;
    disabled.metric = CostMetric::NetAmortizedCost;
    let (plan, metrics) =
        organization_query(&[settings(A), weekly_blended, tagged, disabled], date);
    assert_eq!(
        plan,
        FetchPlan::for_reports([Granularity::Daily, Granularity::Weekly], date)
    );
    assert_eq!(
        metrics,
        [CostMetric::UnblendedCost, CostMetric::BlendedCost]
    );

    // Nothing due: no query.
    let (plan, _) = organization_query(&[], date);
    assert!(plan.is_empty());
}

const C: &str = "444444444444";

fn organization_data(date: NaiveDate, metrics: Vec<CostMetric>) -> OrgCostData {
    let plan = FetchPlan::for_reports([Granularity::Daily], date);
    let mut a = AccountCostData::empty(id(A), plan);
    let yesterday = Bucket::Day(d("2024-03-14"));
    a.add(CostMetric::UnblendedCost, EC2, yesterday, dec!(7));
    a.add_total(CostMetric::UnblendedCost, yesterday, dec!(7));
    OrgCostData::from_accounts(plan, metrics, [a])
}

#[tokio::test]
async fn account_data_comes_from_the_organization_query_when_it_can() {
    let date = d("2024-03-15");
    let org = organization_data(date, vec![CostMetric::UnblendedCost]);
    let explorer = explorer(RuleMode::MatchAny, &[]);
    let data = explorer
        .account_data(&settings(A), &[Granularity::Daily], date, Some(&org))
        .await
        .unwrap();
    assert_eq!(
        data.total(
            CostMetric::UnblendedCost,
            &Period::new(d("2024-03-14"), date)
        ),
        dec!(7)
    );
    assert_eq!(explorer.stats().attempts, 0, "no request of its own");
}

#[tokio::test]
async fn account_data_queries_when_the_organization_data_does_not_serve_the_row() {
    let date = d("2024-03-15");
    let org = organization_data(date, vec![CostMetric::UnblendedCost]);
    let own =
        mock!(Client::get_cost_and_usage).then_output(|| GetCostAndUsageOutput::builder().build());
    let explorer = explorer(RuleMode::MatchAny, &[&own]);

    let mut tagged = settings(A);
    tagged.cost_tags = tag_filter();
    explorer
        .account_data(&tagged, &[Granularity::Daily], date, Some(&org))
        .await
        .unwrap();
    assert_eq!(own.num_calls(), 1);

    let mut blended = settings(A);
    blended.metric = CostMetric::BlendedCost;
    explorer
        .account_data(&blended, &[Granularity::Daily], date, Some(&org))
        .await
        .unwrap();
    assert_eq!(own.num_calls(), 2);

    // The organization data covers DAILY only; a MONTHLY report needs more.
    explorer
        .account_data(
            &settings(A),
            &[Granularity::Daily, Granularity::Monthly],
            date,
            Some(&org),
        )
        .await
        .unwrap();
    assert_eq!(own.num_calls(), 4, "a DAILY and a MONTHLY query");

    explorer
        .account_data(&settings(A), &[Granularity::Daily], date, None)
        .await
        .unwrap();
    assert_eq!(own.num_calls(), 5);
}

#[tokio::test]
async fn account_data_adds_the_forecast_when_asked_and_survives_its_failure() {
    let date = d("2024-03-15");
    let org = organization_data(date, vec![CostMetric::UnblendedCost]);
    let mut wants_forecast = settings(A);
    wants_forecast.forecast = true;

    let forecast = mock!(Client::get_cost_forecast).then_output(|| {
        GetCostForecastOutput::builder()
            .total(MetricValue::builder().amount("99.5").unit("USD").build())
            .build()
    });
    let own =
        mock!(Client::get_cost_and_usage).then_output(|| GetCostAndUsageOutput::builder().build());
    let explorer_ok = explorer(RuleMode::MatchAny, &[&forecast, &own]);
    let data = explorer_ok
        .account_data(&wants_forecast, &[Granularity::Daily], date, Some(&org))
        .await
        .unwrap();
    assert_eq!(data.forecast.unwrap().mean, dec!(99.5));

    // Weekly only: no month-end projection, no forecast request.
    explorer_ok
        .account_data(
            &wants_forecast,
            &[Granularity::Weekly],
            d("2024-03-18"),
            None,
        )
        .await
        .unwrap();
    assert_eq!((forecast.num_calls(), own.num_calls()), (1, 1));

    let denied = mock!(Client::get_cost_forecast)
        .sequence()
        .http_status(400, aws_error("AccessDeniedException", "not authorized"))
        .build();
    let explorer_denied = explorer(RuleMode::MatchAny, &[&denied]);
    let data = explorer_denied
        .account_data(&wants_forecast, &[Granularity::Daily], date, Some(&org))
        .await
        .unwrap();
    assert_eq!(data.forecast, None);
    assert_eq!(denied.num_calls(), 1);
}

#[test]
fn clients_from_the_standard_configuration_have_one_retry_policy_and_timeouts() {
    let sdk_config = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("ap-northeast-1"))
        .build();
    let explorer = CostExplorer::from_sdk_config(&sdk_config, RetryPolicy::default());
    let conf = explorer.ce.config();
    assert_eq!(
        conf.retry_config().unwrap().max_attempts(),
        1,
        "the SDK does not retry on its own"
    );
    let timeouts = conf.timeout_config().unwrap();
    assert_eq!(
        timeouts.operation_attempt_timeout(),
        Some(Duration::from_secs(30))
    );
    assert_eq!(timeouts.connect_timeout(), Some(Duration::from_secs(5)));
}
