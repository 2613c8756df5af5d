//! The plan step: configuration + organization + today's date → one work item per account with
//! a report due, and the organization-wide cost data fetched once for all of them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use orgpulse_config::{
    AccountId, Config, CostMetric, CurrencyCode, Granularity, OrgSettings, OrgUnitId,
};
use orgpulse_cost::{
    due_kinds, report_date, resolve_rate, AppliedRate, CostExplorer, EcbRates, FetchPlan,
    FixedRates, FixedThenLive, RateSource,
};
use orgpulse_pipeline::organizations::{OrgAccount, OrgListing, OrganizationsReader, TagLookup};
use orgpulse_pipeline::store::KnownAccounts;

use crate::channels::{invite_fix, not_joined_list, ChannelCheck, Membership};
use crate::error::Result;
use crate::files::{RunFiles, RunLayout, KNOWN_ACCOUNTS_KEY};
use crate::messages::{AccountRef, CostSource, PlanEvent, PlanOutput, PlanRecord, WorkItem};
use crate::stack_set::{MemberStackSet, RoleDeployments};

/// Exchange rates last fetched successfully, per currency: the fallback when the live source
/// is down.
pub const LAST_RATES_KEY: &str = "state/last-exchange-rates.json";

/// Per-account cost slices written at the same time.
const WRITE_CONCURRENCY: usize = 32;

pub use crate::config_source::ConfigSource;

/// What the plan step needs; built once per container.
pub struct Planner {
    pub files: RunFiles,
    pub config: ConfigSource,
    pub organizations: OrganizationsReader,
    pub explorer: CostExplorer,
    pub live_rates: EcbRates,
    /// Used when the configuration's Default row sets no `TimeZone`.
    pub default_time_zone: chrono_tz::Tz,
    /// The StackSet deploying the member role: which accounts have it. `None` leaves it to STS
    /// in the report step.
    pub member_stack_set: Option<MemberStackSet>,
    /// Which configured channels the Slack app is not in, once per run; `None` posts to every
    /// channel unchecked (`--dry-run`).
    pub channel_check: Option<ChannelCheck>,
}

/// A finished plan: the answer for Step Functions and the items (the CLI runs them itself).
#[derive(Debug)]
pub struct Plan {
    pub output: PlanOutput,
    pub items: Vec<WorkItem>,
    pub record: PlanRecord,
}

impl Planner {
    pub async fn plan(&self, event: &PlanEvent) -> Result<Plan> {
        // The source's valid rows, with the last good version of any row (or of the whole
        // configuration) that is broken now; see config_source.
        let loaded_config = self.config.load(&self.files).await?;
        let loaded = &loaded_config.loaded;
        let mut org = loaded.config.org_settings();
        if loaded
            .config
            .default_row()
            .is_none_or(|row| row.time_zone.is_none())
        {
            org.time_zone = self.default_time_zone;
        }
        let today = run_date(&org, event);
        let run_id = run_id(event, today);
        let layout = RunLayout {
            run_id: run_id.clone(),
        };
        tracing::info!(%run_id, %today, time_zone = %org.time_zone, "planning");

        let listing = self.organizations.list_accounts(&TagLookup::None).await?;
        let (baseline, onboarded_ids) = self.account_changes(&listing).await?;

        let mut record = PlanRecord {
            run_id: run_id.clone(),
            report_date: today,
            organization_id: listing.organization.id.clone(),
            management_account_id: listing.organization.management_account_id.clone(),
            config_source: loaded_config.source_label(),
            config_rows_read: loaded.rows_read,
            config_problems: loaded.problems.clone(),
            items: Vec::new(),
            unconfigured: BTreeMap::new(),
            disabled: Vec::new(),
            not_due: 0,
            skipped: listing.skipped.clone(),
            onboarded: Vec::new(),
            baseline,
            unknown_accounts: unknown_accounts(&loaded.config, &listing),
            active_accounts: listing.accounts.iter().map(|a| a.id.clone()).collect(),
            cost_explorer_requests: 0,
            warnings: Vec::new(),
            member_roles_missing: Vec::new(),
            channels_not_joined: Vec::new(),
        };
        record.warnings.extend(loaded_config.warnings(&listing));
        let role_deployments = match &self.member_stack_set {
            Some(stack_set) => stack_set.deployments(&mut record.warnings).await?,
            None => RoleDeployments::unknown(),
        };
        record.member_roles_missing = role_deployments.gaps(&listing);

        let requests_before = self.explorer.stats().billed_requests;

        // Settings and due reports, account by account.
        let mut due = Vec::new();
        for account in &listing.accounts {
            let ou_path: Vec<OrgUnitId> = account.ou_path.iter().map(|ou| ou.id.clone()).collect();
            let account_ref = account_ref(account, onboarded_ids.contains(&account.id));
            if account_ref.onboarded {
                record.onboarded.push(account_ref.clone());
            }
            let settings = match loaded.config.try_resolve(&account.id, &ou_path) {
                Ok(settings) => settings,
                Err(reason) => {
                    record
                        .unconfigured
                        .insert(account.id.clone(), reason.to_string());
                    continue;
                }
            };
            if !settings.enabled {
                record.disabled.push(account.id.clone());
                continue;
            }
            let kinds = due_kinds(&settings, today);
            if kinds.is_empty() {
                record.not_due += 1;
                continue;
            }
            due.push((account_ref, settings, kinds));
        }

        // The organization-wide query: every account without a tag filter, all due kinds,
        // every metric in use — a fixed number of requests whatever the number of accounts.
        let shared: Vec<&(AccountRef, _, Vec<Granularity>)> = due
            .iter()
            .filter(|(_, s, _)| s.cost_tags.is_empty())
            .collect();
        let shared_kinds: BTreeSet<Granularity> = shared
            .iter()
            .flat_map(|(_, _, k)| k.iter().copied())
            .collect();
        let shared_metrics: Vec<CostMetric> = CostMetric::ALL
            .into_iter()
            .filter(|metric| shared.iter().any(|(_, s, _)| s.metric == *metric))
            .collect();
        let fetch_plan = FetchPlan::for_reports(shared_kinds.iter().copied(), today);
        let org_costs = if shared.is_empty() {
            None
        } else {
            Some(
                self.explorer
                    .fetch_organization(&shared_metrics, &fetch_plan)
                    .await?,
            )
        };
        // The client lives as long as the container: count this run's requests only.
        record.cost_explorer_requests = self.explorer.stats().billed_requests - requests_before;

        let rates = self.rates(&org, today, &due, &mut record).await?;
        let membership = self.channel_membership(&due, &mut record).await;

        // Items, and each shared account's slice of the organization's costs.
        let mut items = Vec::with_capacity(due.len());
        let mut slices = Vec::new();
        for (account, settings, kinds) in due {
            let costs = if settings.cost_tags.is_empty() {
                let key = layout.costs(&account.id);
                if let Some(org_costs) = &org_costs {
                    slices.push((key.clone(), org_costs.for_account(&account.id)));
                }
                CostSource::Shared { key }
            } else {
                CostSource::Query {
                    plan: FetchPlan::for_reports(kinds.iter().copied(), today),
                }
            };
            record.items.push(account.id.clone());
            let channels_not_joined = settings
                .channel_ids
                .iter()
                .filter(|c| membership.not_joined.contains(*c))
                .map(|c| (c.clone(), invite_fix(&membership.app_name, c)))
                .collect();
            items.push(WorkItem {
                run_id: run_id.clone(),
                report_date: today,
                check_member_role: account.id != listing.organization.management_account_id
                    && role_deployments.missing(&account.id).is_none(),
                rate: rates.get(&settings.currency).cloned().flatten(),
                account,
                settings,
                org: org.clone(),
                kinds,
                costs,
                failure: None,
                channels_not_joined,
            });
        }
        stream::iter(slices)
            .map(|(key, slice)| {
                let files = &self.files;
                async move { files.put_json(&key, &slice).await }
            })
            .buffer_unordered(WRITE_CONCURRENCY)
            .try_collect::<()>()
            .await?;

        self.files.put_json(&layout.items(), &items).await?;
        self.files.put_json(&layout.plan(), &record).await?;

        let output = PlanOutput {
            run_id,
            report_date: today,
            bucket: self.files.bucket().to_owned(),
            items_key: layout.items(),
            plan_key: layout.plan(),
            item_count: items.len(),
            fan_out_error: None,
        };
        tracing::info!(
            items = items.len(),
            cost_explorer_requests = record.cost_explorer_requests,
            config_problems = record.config_problems.len(),
            "plan ready"
        );
        Ok(Plan {
            output,
            items,
            record,
        })
    }

    /// The configured channels of today's items the Slack app is not in ([`crate::channels`]);
    /// when Slack cannot say, a warning, and every channel is posted to as before.
    async fn channel_membership(
        &self,
        due: &[(
            AccountRef,
            orgpulse_config::AccountSettings,
            Vec<Granularity>,
        )],
        record: &mut PlanRecord,
    ) -> Membership {
        let Some(check) = &self.channel_check else {
            return Membership::default();
        };
        let routes: Vec<(AccountId, Vec<orgpulse_config::ChannelId>)> = due
            .iter()
            .map(|(account, settings, _)| (account.id.clone(), settings.channel_ids.clone()))
            .collect();
        let channels = routes.iter().flat_map(|(_, c)| c.iter().cloned()).collect();
        match check.check(&channels).await {
            Ok(membership) => {
                record.channels_not_joined = not_joined_list(&membership, &routes);
                if !membership.not_joined.is_empty() {
                    tracing::warn!(
                        channels = membership.not_joined.len(),
                        "the Slack app is not in some configured channels"
                    );
                }
                membership
            }
            Err(warning) => {
                record.warnings.push(warning);
                Membership::default()
            }
        }
    }

    /// Accounts not in the previous runs' list are onboarded; the first run records a baseline
    /// and announces nobody (announcing a whole organization is noise).
    /// The summary saves the new list once it has announced them, so a run that fails earlier
    /// leaves them new for the next one.
    async fn account_changes(&self, listing: &OrgListing) -> Result<(bool, BTreeSet<AccountId>)> {
        let previous: Option<KnownAccounts> = self.files.get_json(KNOWN_ACCOUNTS_KEY).await?;
        let current: Vec<AccountId> = listing.accounts.iter().map(|a| a.id.clone()).collect();
        let changes = KnownAccounts::changes(previous.as_ref(), &current);
        Ok((changes.baseline, changes.onboarded.into_iter().collect()))
    }

    /// One rate per currency in use, for the whole run: fixed rates from the Default row
    /// first, then the ECB reference rate, then the last rate that worked (with a warning).
    async fn rates(
        &self,
        org: &OrgSettings,
        today: NaiveDate,
        due: &[(
            AccountRef,
            orgpulse_config::AccountSettings,
            Vec<Granularity>,
        )],
        record: &mut PlanRecord,
    ) -> Result<BTreeMap<CurrencyCode, Option<AppliedRate>>> {
        let currencies: BTreeSet<&CurrencyCode> = due.iter().map(|(_, s, _)| &s.currency).collect();
        let mut last_known: BTreeMap<CurrencyCode, AppliedRate> = self
            .files
            .get_json(LAST_RATES_KEY)
            .await?
            .unwrap_or_default();
        let source = FixedThenLive {
            fixed: FixedRates::from_org(org, today),
            live: LiveRates(&self.live_rates),
        };
        let mut rates = BTreeMap::new();
        let mut fetched = false;
        for currency in currencies {
            match resolve_rate(&source, currency, last_known.get(currency)).await {
                Ok(rate) => {
                    if let Some(rate) = &rate {
                        if let Some(warning) = &rate.warning {
                            record.warnings.push(format!("{currency}: {warning}"));
                        } else {
                            last_known.insert(currency.clone(), rate.clone());
                            fetched = true;
                        }
                    }
                    rates.insert(currency.clone(), rate);
                }
                Err(err) => {
                    record.warnings.push(format!(
                        "{currency}: no exchange rate ({err}); reports in {currency} are shown in USD. \
                         Fix: set ExchangeRates on the Default row, e.g. \"{currency}=150\""
                    ));
                    rates.insert(currency.clone(), None);
                }
            }
        }
        if fetched {
            self.files.put_json(LAST_RATES_KEY, &last_known).await?;
        }
        Ok(rates)
    }
}

/// The day a run reports on: the input's `date` (an operator re-running a day), else the
/// schedule's `scheduled_time` or the execution's start, in the organization's time zone; the
/// wall clock (through the one clock module) only for a manual run with neither.
fn run_date(org: &OrgSettings, event: &PlanEvent) -> NaiveDate {
    match event.input.date {
        Some(date) => date,
        None => report_date(
            org,
            event
                .input
                .scheduled_time
                .or(event.started_at)
                .unwrap_or_else(orgpulse_config::clock::now),
        ),
    }
}

/// The execution name when Step Functions gives one (unique per state machine), else the date
/// and time: a run's files never mix with another run's.
fn run_id(event: &PlanEvent, today: NaiveDate) -> String {
    let cleaned = event
        .execution_name
        .as_deref()
        .map(|name| {
            name.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect::<String>()
        })
        .filter(|name| !name.is_empty());
    cleaned.unwrap_or_else(|| {
        format!(
            "{today}-{}",
            orgpulse_config::clock::now().format("%H%M%S%3f")
        )
    })
}

fn account_ref(account: &OrgAccount, onboarded: bool) -> AccountRef {
    AccountRef {
        id: account.id.clone(),
        name: account.name.clone(),
        ou_names: account.ou_path.iter().map(|ou| ou.name.clone()).collect(),
        onboarded,
    }
}

/// Account rows that name no ACTIVE account: a typo, or a closed account.
fn unknown_accounts(config: &Config, listing: &OrgListing) -> Vec<AccountId> {
    let active: BTreeSet<&AccountId> = listing.accounts.iter().map(|a| &a.id).collect();
    config
        .accounts()
        .filter(|id| !active.contains(id))
        .cloned()
        .collect()
}

/// Borrows the container's ECB client for one run.
struct LiveRates<'a>(&'a EcbRates);

impl RateSource for LiveRates<'_> {
    async fn usd_rate(
        &self,
        currency: &CurrencyCode,
    ) -> std::result::Result<AppliedRate, orgpulse_cost::RateError> {
        self.0.usd_rate(currency).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::RunInput;
    use chrono::{TimeZone, Utc};

    fn org_in(time_zone: chrono_tz::Tz) -> OrgSettings {
        OrgSettings {
            time_zone,
            ..OrgSettings::default()
        }
    }

    #[test]
    fn a_manual_run_reports_on_the_pinned_clocks_day_in_the_organizations_time_zone() {
        // 31 December 23:30 UTC is already 1 January in Tokyo, still 31 December in New York.
        let _pinned =
            orgpulse_config::clock::pin(Utc.with_ymd_and_hms(2026, 12, 31, 23, 30, 0).unwrap());
        let manual = PlanEvent::default();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(
            run_date(&org_in(chrono_tz::Asia::Tokyo), &manual),
            day(2027, 1, 1)
        );
        assert_eq!(
            run_date(&org_in(chrono_tz::America::New_York), &manual),
            day(2026, 12, 31)
        );
        assert_eq!(run_id(&manual, day(2027, 1, 1)), "2027-01-01-233000000");
        // The schedule's time and an explicit date win over the clock.
        let scheduled = PlanEvent {
            input: RunInput {
                scheduled_time: Some(Utc.with_ymd_and_hms(2028, 2, 28, 23, 0, 0).unwrap()),
                date: None,
            },
            ..PlanEvent::default()
        };
        assert_eq!(
            run_date(&org_in(chrono_tz::Asia::Tokyo), &scheduled),
            day(2028, 2, 29)
        );
        let rerun = PlanEvent {
            input: RunInput {
                date: Some(day(2026, 3, 1)),
                scheduled_time: None,
            },
            ..PlanEvent::default()
        };
        assert_eq!(
            run_date(&org_in(chrono_tz::Asia::Tokyo), &rerun),
            day(2026, 3, 1)
        );
    }
}
