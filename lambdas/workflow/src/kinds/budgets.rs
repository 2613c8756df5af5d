//! AWS Budgets status: the cost and usage budgets defined inside the member account, each with
//! its actual and forecast spend against its limit, as a compact section of the account's
//! report. A budget forecast to exceed its limit (or already over it) marks the report as an
//! alert.
//!
//! Needs: the member role ([`Need::MemberRole`]); the budgets live in the member account, so
//! the hub reads them with the session the report step assumed (no second `AssumeRole`).
//! Accounts without the role (the management account, StackSet instance missing or failed,
//! STS refusing) get their report without the section; the summary lists them.
//! IAM (member role): `budgets:ViewBudget`, which authorizes `DescribeBudgets`.
//! Configuration: the `Budgets` column (default `TRUE`).

use std::str::FromStr;

use aws_sdk_budgets::types::{Budget, BudgetType, Spend};
use chrono::NaiveDate;
use futures_util::future::BoxFuture;
use orgpulse_config::{AccountId, CurrencyCode};
use orgpulse_pipeline::error::AwsOperation;
use orgpulse_slack::mrkdwn::{single_line, truncate};
use rust_decimal::{Decimal, RoundingStrategy};

use super::section::{Line, ALERT_MARKER};
use super::{KindInput, KindSpec, Need, NotificationKind, Output, Produced, Produces, Section};
use crate::error::Result;
use crate::messages::WorkItem;

pub const SPEC: KindSpec = KindSpec {
    name: "budgets",
    description: "The AWS Budgets of the account: actual and forecast spend against each limit",
    needs: &[Need::MemberRole],
    produces: Produces::Section,
    hub_actions: &[],
    member_actions: &["budgets:ViewBudget"],
};

const DESCRIBE_BUDGETS: AwsOperation = AwsOperation::new("budgets", "DescribeBudgets");

/// `DescribeBudgets` page size (the API's default; it allows up to 1,000).
const PAGE_SIZE: i32 = 100;
/// Budgets listed in the section; the rest are counted.
const MAX_LISTED: usize = 10;
/// Budget names are free text typed in the console.
const MAX_NAME_CHARS: usize = 80;
/// A usage budget's unit is free text too (`GB`, `Hrs`, or whatever the member admin typed).
const MAX_UNIT_CHARS: usize = 20;

/// The AWS Budgets kind.
pub struct BudgetStatus;

impl NotificationKind for BudgetStatus {
    fn spec(&self) -> &'static KindSpec {
        &SPEC
    }

    fn wanted(&self, item: &WorkItem) -> bool {
        item.settings.budgets
    }

    fn produce<'a>(&'a self, input: &'a KindInput<'a>) -> BoxFuture<'a, Result<Produced>> {
        Box::pin(budget_status(input))
    }
}

async fn budget_status(input: &KindInput<'_>) -> Result<Produced> {
    let Some(session) = input.member_session() else {
        return Ok(Produced::new(Output::Nothing));
    };
    let member_budgets = aws_sdk_budgets::Client::new(&session.config);
    let item = input.item;
    Ok(
        match read_budgets(&member_budgets, &item.account.id, item.report_date).await {
            Ok(budgets) => Produced::new(match section(&budgets) {
                Some(section) => Output::Section(section),
                None => Output::Nothing,
            }),
            Err(problem) => Produced {
                output: Output::Section(unreadable_section()),
                warnings: vec![format!(
                    "{} ({}): AWS Budgets could not be read, its report went out without them: \
                     {problem}",
                    item.account.name, item.account.id
                )],
            },
        },
    )
}

/// One budget as the section shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLine {
    pub name: String,
    /// `monthly`, `quarterly`, …
    pub period: String,
    pub limit: Amount,
    pub actual: Option<Amount>,
    pub forecast: Option<Amount>,
}

/// An amount with its unit: a currency (`USD`) for cost budgets, a usage unit (`GB`, `Hrs`)
/// for usage budgets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    pub value: Decimal,
    pub unit: String,
}

impl Amount {
    fn from_spend(spend: &Spend) -> Option<Self> {
        let text = spend.amount().trim();
        let value = Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .ok()?;
        Some(Self {
            value,
            unit: spend.unit().trim().to_owned(),
        })
    }

    /// `$1,234.50`, `¥1,235` for currencies; `12.5 GB` for usage.
    fn text(&self) -> String {
        match CurrencyCode::parse(&self.unit.to_ascii_uppercase()) {
            Ok(currency) => orgpulse_slack::money::amount(self.value, &currency),
            Err(_) => {
                let value = self
                    .value
                    .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
                    .normalize();
                // Raw text: the member admin typed the unit; `Line::text` escapes it.
                let unit = truncate(&single_line(&self.unit), MAX_UNIT_CHARS);
                format!("{value} {unit}")
            }
        }
    }

    /// How much of `limit` this is, in whole percent; `None` against a zero limit, or when the
    /// figures (set by the member admin: a limit of 0.0000001) overflow a decimal — the line
    /// then shows no percent instead of failing the account's report.
    fn percent_of(&self, limit: &Amount) -> Option<Decimal> {
        if limit.value.is_zero() {
            return None;
        }
        self.value
            .checked_mul(Decimal::ONE_HUNDRED)?
            .checked_div(limit.value)
            .map(|p| p.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero))
    }
}

impl BudgetLine {
    /// Cost and usage budgets; utilization and coverage budgets (RI, Savings Plans) measure
    /// percentages where falling short is the problem, so "over the limit" means nothing there.
    fn from_budget(budget: &Budget, report_date: NaiveDate) -> Option<Self> {
        if !matches!(budget.budget_type(), BudgetType::Cost | BudgetType::Usage) {
            return None;
        }
        let limit = budget
            .budget_limit()
            .or_else(|| planned_limit(budget, report_date))
            .and_then(Amount::from_spend)?;
        let spend = budget.calculated_spend();
        Some(Self {
            name: budget.budget_name().to_owned(),
            period: budget.time_unit().as_str().to_lowercase(),
            limit,
            actual: spend
                .and_then(|s| s.actual_spend())
                .and_then(Amount::from_spend),
            forecast: spend
                .and_then(|s| s.forecasted_spend())
                .and_then(Amount::from_spend),
        })
    }

    pub fn over_limit(&self) -> bool {
        self.actual
            .as_ref()
            .is_some_and(|a| a.unit == self.limit.unit && a.value > self.limit.value)
    }

    pub fn forecast_over_limit(&self) -> bool {
        self.forecast
            .as_ref()
            .is_some_and(|f| f.unit == self.limit.unit && f.value > self.limit.value)
    }

    fn used_percent(&self) -> Option<Decimal> {
        self.actual.as_ref()?.percent_of(&self.limit)
    }

    /// `$812.40 of $1,000.00 (81%) · forecast $1,240.00 (124%)`, with `*…*` around the figures
    /// that alert. Every amount carries its unit, so each goes through `Line::text`.
    fn figures(&self, line: Line) -> Line {
        let percent = |line: Line, amount: &Amount| match amount.percent_of(&self.limit) {
            Some(p) => line.markup(" (").text(&p.to_string()).markup("%)"),
            None => line,
        };
        let line = match &self.actual {
            Some(actual) => {
                let line = line
                    .emphasised(&actual.text(), self.over_limit())
                    .markup(" of ")
                    .text(&self.limit.text());
                percent(line, actual)
            }
            None => line.markup("no spend yet of ").text(&self.limit.text()),
        };
        match &self.forecast {
            Some(forecast) => {
                let line = line
                    .markup(" · forecast ")
                    .emphasised(&forecast.text(), self.forecast_over_limit());
                percent(line, forecast)
            }
            None => line,
        }
    }

    fn verdict(&self) -> Option<&'static str> {
        if self.over_limit() {
            Some("over its limit")
        } else if self.forecast_over_limit() {
            Some("forecast to exceed its limit")
        } else {
            None
        }
    }

    /// One line; the name, the period and every unit are escaped (people typed them).
    fn line(&self) -> Line {
        let verdict = self.verdict();
        let line = if verdict.is_some() {
            Line::new().markup(ALERT_MARKER)
        } else {
            Line::new().markup("• ")
        };
        let line = line
            .markup("*")
            .text_capped(&self.name, MAX_NAME_CHARS)
            .markup("* (")
            .text(&self.period)
            .markup(") — ");
        let line = self.figures(line);
        match verdict {
            Some(verdict) => line.markup(" — *").text(verdict).markup("*"),
            None => line,
        }
    }
}

/// The limit of the period containing `report_date`, for budgets with planned limits per
/// period (keys are the periods' starts, in epoch seconds).
fn planned_limit(budget: &Budget, report_date: NaiveDate) -> Option<&Spend> {
    let today = report_date.and_hms_opt(23, 59, 59)?.and_utc().timestamp();
    budget
        .planned_budget_limits()?
        .iter()
        .filter_map(|(start, spend)| Some((start.parse::<i64>().ok()?, spend)))
        .filter(|(start, _)| *start <= today)
        .max_by_key(|(start, _)| *start)
        .map(|(_, spend)| spend)
}

/// What `DescribeBudgets` said about the account.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Budgets {
    pub lines: Vec<BudgetLine>,
    /// Utilization and coverage budgets, not shown.
    pub other: usize,
}

/// Every budget of the account, all pages. `Err` says why they could not be read (the role
/// lacks `budgets:ViewBudget`, AWS Budgets kept failing); an account without budgets is `Ok`.
async fn read_budgets(
    member_budgets: &aws_sdk_budgets::Client,
    account: &AccountId,
    report_date: NaiveDate,
) -> std::result::Result<Budgets, String> {
    let mut budgets = Budgets::default();
    let mut next_token: Option<String> = None;
    loop {
        let page = match member_budgets
            .describe_budgets()
            .account_id(account.as_str())
            .max_results(PAGE_SIZE)
            .set_next_token(next_token.take())
            .send()
            .await
        {
            Ok(page) => page,
            // AWS Budgets answers NotFoundException for an account with no budget at all.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_not_found_exception()) =>
            {
                break
            }
            Err(err) => {
                let denied = err
                    .as_service_error()
                    .is_some_and(|e| e.is_access_denied_exception());
                let err = orgpulse_pipeline::Error::from_sdk(DESCRIBE_BUDGETS, err);
                return Err(match err {
                    _ if denied || matches!(err, orgpulse_pipeline::Error::AccessDenied { .. }) => {
                        format!(
                            "{err}. The member role must allow budgets:ViewBudget: update the \
                         member-role StackSet (stacksets/member-role.yaml) with `terraform apply`"
                        )
                    }
                    other => other.to_string(),
                });
            }
        };
        for budget in page.budgets() {
            match BudgetLine::from_budget(budget, report_date) {
                Some(line) => budgets.lines.push(line),
                None => budgets.other += 1,
            }
        }
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            break;
        }
    }
    Ok(budgets)
}

/// The section for the account's budgets; `None` when it has none to show.
pub fn section(budgets: &Budgets) -> Option<Section> {
    if budgets.lines.is_empty() && budgets.other == 0 {
        return None;
    }
    let mut lines = budgets.lines.clone();
    // Alerts first (over before forecast over), then the most used, then by name.
    lines.sort_by(|a, b| {
        (b.over_limit(), b.forecast_over_limit(), b.used_percent())
            .cmp(&(a.over_limit(), a.forecast_over_limit(), a.used_percent()))
            .then_with(|| a.name.cmp(&b.name))
    });
    let over = lines.iter().filter(|l| l.over_limit()).count();
    let forecast_over = lines
        .iter()
        .filter(|l| !l.over_limit() && l.forecast_over_limit())
        .count();

    let listed = &lines[..lines.len().min(MAX_LISTED)];
    let mut shown: Vec<Line> = listed.iter().map(BudgetLine::line).collect();
    let unlisted = lines.len() - listed.len();
    if unlisted > 0 {
        shown.push(Line::plain(&format!(
            "…and {unlisted} more {}",
            plural(unlisted, "budget")
        )));
    }
    if budgets.other > 0 {
        let line = format!(
            "{} utilization or coverage {} (RI, Savings Plans) not shown",
            budgets.other,
            plural(budgets.other, "budget")
        );
        shown.push(Line::new().markup("_").text(&line).markup("_"));
    }

    let mut problems = Vec::new();
    if over > 0 {
        problems.push(format!("{over} {} over its limit", plural(over, "budget")));
    }
    if forecast_over > 0 {
        problems.push(format!(
            "{forecast_over} {} forecast to exceed its limit",
            plural(forecast_over, "budget")
        ));
    }
    let alert = (!problems.is_empty()).then(|| problems.join(", "));
    let count = format!("{} {}", lines.len(), plural(lines.len(), "budget"));
    let overview = match &alert {
        Some(problems) => Line::new()
            .markup(ALERT_MARKER)
            .text(&format!("{count}: {problems}")),
        None => Line::plain(&format!("{count}, none forecast to exceed its limit")),
    };
    Some(Section::new(
        SPEC.name,
        "AWS Budgets (current period)",
        shown,
        overview,
        alert,
    ))
}

/// What the report says when the budgets could not be read: readers should not take a missing
/// section for "no budgets".
fn unreadable_section() -> Section {
    let short = Line::new()
        .markup("⚠️ ")
        .markup("AWS Budgets could not be read today; the operators' summary says why");
    Section::new(SPEC.name, "AWS Budgets", vec![short.clone()], short, None)
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        noun.to_owned()
    } else {
        format!("{noun}s")
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_budgets::operation::describe_budgets::{
        DescribeBudgetsError, DescribeBudgetsOutput,
    };
    use aws_sdk_budgets::types::{CalculatedSpend, TimeUnit};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use pretty_assertions::assert_eq;

    use super::*;
    use crate::messages::MemberRole;
    use orgpulse_config::Granularity;

    const REPORT_DATE: NaiveDate = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();

    fn spend(amount: &str, unit: &str) -> Spend {
        Spend::builder().amount(amount).unit(unit).build().unwrap()
    }

    fn budget(name: &str, limit: &str, actual: &str, forecast: Option<&str>) -> Budget {
        let mut calculated = CalculatedSpend::builder().actual_spend(spend(actual, "USD"));
        if let Some(forecast) = forecast {
            calculated = calculated.forecasted_spend(spend(forecast, "USD"));
        }
        Budget::builder()
            .budget_name(name)
            .budget_limit(spend(limit, "USD"))
            .time_unit(TimeUnit::Monthly)
            .budget_type(BudgetType::Cost)
            .calculated_spend(calculated.build())
            .build()
            .unwrap()
    }

    fn account() -> AccountId {
        AccountId::parse("012345678901").unwrap()
    }

    // The report step with this kind: the session it assumed, the first message only.
    const ROW: &str =
        r#"{"AccountId": "012345678901", "ChannelIds": ["C0COST0001", "C0COST0002"]}"#;

    const BUDGETS: &str = r#"{"Budgets": [
        {"BudgetName": "prod", "BudgetType": "COST", "TimeUnit": "MONTHLY",
         "BudgetLimit": {"Amount": "100", "Unit": "USD"},
         "CalculatedSpend": {"ActualSpend": {"Amount": "90", "Unit": "USD"},
                             "ForecastedSpend": {"Amount": "130", "Unit": "USD"}}}]}"#;

    #[tokio::test]
    async fn the_budgets_section_joins_the_first_report_through_the_assumed_session() {
        let item = crate::test_support::item(ROW, &[Granularity::Daily, Granularity::Monthly]);
        let mut reporter = crate::test_support::reporter(&item).await;
        let (roles, describe_budgets) = crate::test_support::member_roles(BUDGETS);
        reporter.member_roles = Some(roles);
        let reported = reporter.report(&item).await.unwrap();

        assert_eq!(reported.result.member_role, MemberRole::Available);
        assert_eq!(
            describe_budgets.load(std::sync::atomic::Ordering::SeqCst),
            1
        );
        let [section] = reported.sections.as_slice() else {
            panic!("one section expected")
        };
        assert_eq!(section.notification, "budgets");
        assert_eq!(
            section.alert.as_deref(),
            Some("1 budget forecast to exceed its limit")
        );
        // The daily report carries the section (and its alert); the monthly one does not.
        let alerts: Vec<(Granularity, bool)> = reported
            .result
            .deliveries
            .iter()
            .map(|d| (d.kind, d.alert))
            .collect();
        assert_eq!(
            alerts,
            [
                (Granularity::Daily, true),
                (Granularity::Daily, true),
                (Granularity::Monthly, false),
                (Granularity::Monthly, false),
            ]
        );
        assert!(
            reported.result.warnings.is_empty(),
            "{:?}",
            reported.result.warnings
        );
    }

    #[tokio::test]
    async fn budgets_false_reads_no_budget_and_adds_no_section() {
        let row =
            r#"{"AccountId": "012345678901", "ChannelIds": ["C0COST0001"], "Budgets": "FALSE"}"#;
        let item = crate::test_support::item(row, &[Granularity::Daily]);
        let mut reporter = crate::test_support::reporter(&item).await;
        let (roles, describe_budgets) = crate::test_support::member_roles(BUDGETS);
        reporter.member_roles = Some(roles);
        let reported = reporter.report(&item).await.unwrap();
        // The role is still checked for the summary.
        assert_eq!(reported.result.member_role, MemberRole::Available);
        assert_eq!(
            describe_budgets.load(std::sync::atomic::Ordering::SeqCst),
            0
        );
        assert!(reported.sections.is_empty());
    }

    #[tokio::test]
    async fn an_account_the_stack_set_lacks_is_not_assumed_into() {
        let mut item = crate::test_support::item(ROW, &[Granularity::Daily]);
        item.check_member_role = false;
        let mut reporter = crate::test_support::reporter(&item).await;
        let (roles, describe_budgets) = crate::test_support::member_roles(BUDGETS);
        reporter.member_roles = Some(roles);
        let reported = reporter.report(&item).await.unwrap();
        assert_eq!(reported.result.member_role, MemberRole::NotChecked);
        assert_eq!(
            describe_budgets.load(std::sync::atomic::Ordering::SeqCst),
            0
        );
        assert!(reported.sections.is_empty());
        assert_eq!(reported.result.deliveries.len(), 2);
    }

    #[tokio::test]
    async fn reads_every_page_of_the_accounts_budgets() {
        let first = mock!(aws_sdk_budgets::Client::describe_budgets)
            .match_requests(|r| r.account_id() == Some("012345678901") && r.next_token().is_none())
            .then_output(|| {
                DescribeBudgetsOutput::builder()
                    .budgets(budget("prod-monthly", "1000", "812.4", Some("1240")))
                    .next_token("page-2")
                    .build()
            });
        let second = mock!(aws_sdk_budgets::Client::describe_budgets)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(|| {
                DescribeBudgetsOutput::builder()
                    .budgets(budget("dev", "100.00", "20", Some("60")))
                    .budgets(
                        Budget::builder()
                            .budget_name("ri-utilization")
                            .time_unit(TimeUnit::Monthly)
                            .budget_type(BudgetType::RiUtilization)
                            .budget_limit(spend("80", "PERCENTAGE"))
                            .build()
                            .unwrap(),
                    )
                    .build()
            });
        let member_budgets = mock_client!(aws_sdk_budgets, RuleMode::Sequential, [&first, &second]);
        let budgets = read_budgets(&member_budgets, &account(), REPORT_DATE)
            .await
            .unwrap();
        assert_eq!(
            budgets
                .lines
                .iter()
                .map(|l| l.name.as_str())
                .collect::<Vec<_>>(),
            ["prod-monthly", "dev"]
        );
        assert_eq!(budgets.other, 1);
    }

    #[tokio::test]
    async fn an_account_without_budgets_has_no_section() {
        let rule = mock!(aws_sdk_budgets::Client::describe_budgets).then_error(|| {
            DescribeBudgetsError::NotFoundException(
                aws_sdk_budgets::types::error::NotFoundException::builder()
                    .message("Unable to get budgets")
                    .build(),
            )
        });
        let member_budgets = mock_client!(aws_sdk_budgets, [&rule]);
        let budgets = read_budgets(&member_budgets, &account(), REPORT_DATE)
            .await
            .unwrap();
        assert_eq!(budgets, Budgets::default());
        assert_eq!(section(&budgets), None);
    }

    #[tokio::test]
    async fn a_role_without_view_budget_says_how_to_fix_it() {
        let rule = mock!(aws_sdk_budgets::Client::describe_budgets).then_error(|| {
            DescribeBudgetsError::AccessDeniedException(
                aws_sdk_budgets::types::error::AccessDeniedException::builder()
                    .message("not authorized to perform budgets:ViewBudget")
                    .build(),
            )
        });
        let member_budgets = mock_client!(aws_sdk_budgets, [&rule]);
        let problem = read_budgets(&member_budgets, &account(), REPORT_DATE)
            .await
            .unwrap_err();
        assert!(problem.contains("budgets:DescribeBudgets"), "{problem}");
        assert!(problem.contains("stacksets/member-role.yaml"), "{problem}");
    }

    #[test]
    fn alerts_come_first_and_mark_the_section() {
        let budgets = Budgets {
            lines: [
                budget("dev", "100", "20", Some("60")),
                budget("prod <!channel>", "1000", "812.4", Some("1240")),
                budget("sandbox", "50", "75", Some("90")),
                budget("new", "10", "0", None),
            ]
            .iter()
            .map(|b| BudgetLine::from_budget(b, REPORT_DATE).unwrap())
            .collect(),
            other: 0,
        };
        let section = section(&budgets).unwrap();
        assert_eq!(
            section.lines(),
            [
                "🚨 *sandbox* (monthly) — *$75.00* of $50.00 (150%) · forecast *$90.00* (180%) — *over its limit*",
                "🚨 *prod &lt;!channel&gt;* (monthly) — $812.40 of $1,000.00 (81%) · forecast *$1,240.00* (124%) — *forecast to exceed its limit*",
                "• *dev* (monthly) — $20.00 of $100.00 (20%) · forecast $60.00 (60%)",
                "• *new* (monthly) — $0.00 of $10.00 (0%)",
            ]
        );
        assert_eq!(
            section.text_lines()[1],
            "🚨 prod <!channel> (monthly) — $812.40 of $1,000.00 (81%) · forecast $1,240.00 (124%) — forecast to exceed its limit"
        );
        assert_eq!(
            section.alert.as_deref(),
            Some("1 budget over its limit, 1 budget forecast to exceed its limit")
        );
        assert_eq!(
            section.overview(),
            "🚨 4 budgets: 1 budget over its limit, 1 budget forecast to exceed its limit"
        );
    }

    #[test]
    fn usage_budgets_and_planned_limits() {
        let usage = Budget::builder()
            .budget_name("s3-storage")
            .time_unit(TimeUnit::Quarterly)
            .budget_type(BudgetType::Usage)
            // Planned limits per period start (epoch seconds): the current quarter's applies.
            .planned_budget_limits("1785888000", spend("500", "GB")) // 2026-08-05
            .planned_budget_limits("1790812800", spend("750", "GB")) // 2026-10-01
            .planned_budget_limits("1798761600", spend("900", "GB")) // 2027-01-01
            .calculated_spend(
                CalculatedSpend::builder()
                    .actual_spend(spend("612.345", "GB"))
                    .build(),
            )
            .build()
            .unwrap();
        let line = BudgetLine::from_budget(&usage, REPORT_DATE).unwrap();
        assert_eq!(line.limit.text(), "750 GB");
        assert_eq!(
            line.line().mrkdwn(),
            "• *s3-storage* (quarterly) — 612.35 GB of 750 GB (82%)"
        );
        assert!(!line.over_limit() && !line.forecast_over_limit());
    }

    #[test]
    fn many_budgets_are_counted_after_the_first_ten() {
        let budgets = Budgets {
            lines: (0..13)
                .map(|i| {
                    BudgetLine::from_budget(
                        &budget(&format!("b{i:02}"), "100", "1", None),
                        REPORT_DATE,
                    )
                    .unwrap()
                })
                .collect(),
            other: 2,
        };
        let section = section(&budgets).unwrap();
        assert_eq!(section.lines().len(), 12);
        assert_eq!(section.lines()[10], "…and 3 more budgets");
        assert_eq!(
            section.lines()[11],
            "_2 utilization or coverage budgets (RI, Savings Plans) not shown_"
        );
        assert_eq!(section.alert, None);
        assert_eq!(
            section.overview(),
            "13 budgets, none forecast to exceed its limit"
        );
    }

    /// A budget as `DescribeBudgets` returns it, every free-text field chosen by the caller.
    fn usage_budget(name: &str, unit: &str, limit: &str, actual: &str, forecast: &str) -> Budget {
        Budget::builder()
            .budget_name(name)
            .budget_limit(spend(limit, unit))
            .time_unit(TimeUnit::Monthly)
            .budget_type(BudgetType::Usage)
            .calculated_spend(
                CalculatedSpend::builder()
                    .actual_spend(spend(actual, unit))
                    .forecasted_spend(spend(forecast, unit))
                    .build(),
            )
            .build()
            .unwrap()
    }

    /// What Slack would turn into a mention or a link in mrkdwn: any `<…>` (`<!channel>`,
    /// `<@U1>`, `<#C1>`, `<https://…|…>`). Escaped text has no `<` or `>` at all.
    fn live_markup(mrkdwn: &str) -> bool {
        mrkdwn.contains('<') || mrkdwn.contains('>')
    }

    #[test]
    fn a_hostile_usage_unit_is_shown_literally() {
        let budgets = Budgets {
            lines: vec![
                BudgetLine::from_budget(
                    &usage_budget("api calls", "<!channel>", "100", "120", "150"),
                    REPORT_DATE,
                )
                .unwrap(),
                BudgetLine::from_budget(
                    &usage_budget(
                        "storage",
                        "<https://evil.example|Pay invoice>",
                        "100",
                        "20",
                        "30",
                    ),
                    REPORT_DATE,
                )
                .unwrap(),
            ],
            other: 0,
        };
        let section = section(&budgets).unwrap();
        assert_eq!(
            section.lines(),
            [
                "🚨 *api calls* (monthly) — *120 &lt;!channel&gt;* of 100 &lt;!channel&gt; (120%) · \
                 forecast *150 &lt;!channel&gt;* (150%) — *over its limit*",
                "• *storage* (monthly) — 20 &lt;https://evil.examp… of 100 &lt;https://evil.examp… \
                 (20%) · forecast 30 &lt;https://evil.examp… (30%)",
            ]
        );
    }

    #[test]
    fn a_tiny_limit_or_a_huge_spend_degrades_the_line_not_the_report() {
        // 100 × 7.9e28 and 1 / 1e-28 overflow a decimal: the line shows no percent.
        let budgets = Budgets {
            lines: vec![
                BudgetLine::from_budget(
                    &budget("tiny", "0.0000000000000000000000000001", "5", Some("6")),
                    REPORT_DATE,
                )
                .unwrap(),
                BudgetLine::from_budget(
                    &budget("huge", "1", "79228162514264337593543950335", None),
                    REPORT_DATE,
                )
                .unwrap(),
            ],
            other: 0,
        };
        let section = section(&budgets).unwrap();
        let lines = section.lines();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| !l.contains('%')), "{lines:?}");
        assert!(lines[0].contains("*over its limit*"), "{lines:?}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Any text in any field a member account's admin controls (budget name, the units of
        /// the limit, the spend and the forecast, the amounts themselves) renders with no live
        /// mention or link, each budget on one line.
        #[test]
        fn member_supplied_fields_never_render_live_markup(
            name in "\\PC{0,200}|<!channel>|<@U0123>|<https://evil.example\\|Pay invoice>",
            unit in "\\PC{0,60}|<!here>|<https://evil.example\\|Pay>|\\s*<!channel>\\s*",
            other_unit in proptest::string::string_regex("[<>&|!@#\\n a-zA-Z:/.]{0,40}").unwrap(),
            limit in "[0-9]{1,29}(\\.[0-9]{1,28})?|0\\.0{0,27}1",
            actual in "[0-9]{1,29}(\\.[0-9]{1,28})?",
        ) {
            let budgets = Budgets {
                lines: [
                    usage_budget(&name, &unit, &limit, &actual, &actual),
                    usage_budget(&other_unit, &other_unit, &limit, &actual, &limit),
                ]
                .iter()
                .filter_map(|b| BudgetLine::from_budget(b, REPORT_DATE))
                .collect(),
                other: 1,
            };
            let section = section(&budgets).unwrap();
            for line in section.lines().iter().chain([&section.overview()]) {
                proptest::prop_assert!(!live_markup(line), "{line}");
                proptest::prop_assert!(!line.contains('\n'), "{line}");
            }
            proptest::prop_assert_eq!(section.lines().len(), budgets.lines.len() + 1);
            // And in the message as Slack receives it.
            let mut message = orgpulse_slack::PostMessage::new(
                slack_morphism::prelude::SlackChannelId("C0123456789".into()),
                slack_morphism::prelude::SlackMessageContent::new().with_text("x".into()),
            );
            crate::kinds::attach_sections(&mut message, &[section]);
            let json = serde_json::to_value(&message).unwrap();
            for block in json["blocks"].as_array().unwrap() {
                if let Some(text) = block["text"]["text"].as_str() {
                    proptest::prop_assert!(!live_markup(text), "{text}");
                }
            }
        }
    }
}
