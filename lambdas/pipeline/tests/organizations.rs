//! The organisation walk against mocked Organizations responses: pages, paths, skipped
//! accounts, tags only where asked, throttling.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_organizations::operation::describe_organization::DescribeOrganizationOutput;
use aws_sdk_organizations::operation::list_accounts_for_parent::ListAccountsForParentOutput;
use aws_sdk_organizations::operation::list_organizational_units_for_parent::ListOrganizationalUnitsForParentOutput;
use aws_sdk_organizations::operation::list_roots::ListRootsOutput;
use aws_sdk_organizations::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_organizations::types::{
    Account, AccountState, AccountStatus, Organization, OrganizationalUnit, Root, Tag,
};
use aws_sdk_organizations::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use orgpulse_config::AccountId;
use orgpulse_pipeline::aws::{retry_config, ORGANIZATIONS_MAX_ATTEMPTS};
use orgpulse_pipeline::organizations::{OrganizationsReader, TagLookup};
use pretty_assertions::assert_eq;

fn account(id: &str, name: &str) -> Account {
    Account::builder()
        .id(id)
        .name(name)
        .email(format!("{name}@example.com"))
        .status(AccountStatus::Active)
        .build()
}

fn describe_organization() -> Rule {
    mock!(Client::describe_organization).then_output(|| {
        DescribeOrganizationOutput::builder()
            .organization(
                Organization::builder()
                    .id("o-exampleorg")
                    .master_account_id("000000000001")
                    .master_account_email("root@example.com")
                    .build(),
            )
            .build()
    })
}

fn list_roots() -> Rule {
    mock!(Client::list_roots).then_output(|| {
        ListRootsOutput::builder()
            .roots(Root::builder().id("r-root").name("Root").build())
            .build()
    })
}

fn child_ous(parent: &'static str, children: &'static [(&'static str, &'static str)]) -> Rule {
    mock!(Client::list_organizational_units_for_parent)
        .match_requests(move |req| req.parent_id() == Some(parent))
        .then_output(move || {
            ListOrganizationalUnitsForParentOutput::builder()
                .set_organizational_units(Some(
                    children
                        .iter()
                        .map(|(id, name)| OrganizationalUnit::builder().id(*id).name(*name).build())
                        .collect(),
                ))
                .build()
        })
}

/// One page of `ListAccountsForParent` for `parent`, answered when the request carries `token`.
fn accounts_page(
    parent: &'static str,
    token: Option<&'static str>,
    next: Option<&'static str>,
    accounts: Vec<Account>,
) -> Rule {
    mock!(Client::list_accounts_for_parent)
        .match_requests(move |req| req.parent_id() == Some(parent) && req.next_token() == token)
        .then_output(move || {
            ListAccountsForParentOutput::builder()
                .set_accounts(Some(accounts.clone()))
                .set_next_token(next.map(str::to_owned))
                .build()
        })
}

/// Forty-five accounts in three pages under `ou-prod`; three of them not ACTIVE-by-Status.
fn prod_accounts() -> Vec<Vec<Account>> {
    let all: Vec<Account> = (0..45)
        .map(|i| {
            let id = format!("{}", 100_000_000_000u64 + i);
            match i {
                7 => Account::builder()
                    .id(id)
                    .name("old")
                    .status(AccountStatus::Suspended)
                    .build(),
                8 => Account::builder()
                    .id(id)
                    .name("closing")
                    .state(AccountState::PendingClosure)
                    .status(AccountStatus::PendingClosure)
                    .build(),
                // Only the newer `State` field: still recognised as ACTIVE.
                9 => Account::builder()
                    .id(id)
                    .name("state-only")
                    .email("s@example.com")
                    .state(AccountState::Active)
                    .build(),
                _ => account(&id, &format!("prod-{i}")),
            }
        })
        .collect();
    all.chunks(20).map(<[Account]>::to_vec).collect()
}

struct Org {
    rules: Vec<Rule>,
}

impl Org {
    fn example() -> Self {
        let pages = prod_accounts();
        let rules = vec![
            describe_organization(),
            list_roots(),
            child_ous("r-root", &[("ou-prod", "Prod"), ("ou-dev", "Dev")]),
            child_ous("ou-prod", &[("ou-pay", "Payments")]),
            child_ous("ou-dev", &[]),
            child_ous("ou-pay", &[]),
            accounts_page(
                "r-root",
                None,
                None,
                vec![account("000000000001", "management")],
            ),
            accounts_page("ou-prod", None, Some("p2"), pages[0].clone()),
            accounts_page("ou-prod", Some("p2"), Some("p3"), pages[1].clone()),
            accounts_page("ou-prod", Some("p3"), None, pages[2].clone()),
            accounts_page("ou-dev", None, None, vec![]),
            accounts_page(
                "ou-pay",
                None,
                None,
                vec![account("012345678901", "payments")],
            ),
            mock!(Client::list_tags_for_resource)
                .match_requests(|req| req.resource_id() == Some("012345678901"))
                .then_output(|| {
                    ListTagsForResourceOutput::builder()
                        .tags(
                            Tag::builder()
                                .key("team")
                                .value("payments")
                                .build()
                                .unwrap(),
                        )
                        .build()
                }),
        ];
        Self { rules }
    }

    fn reader(&self) -> OrganizationsReader {
        let client = mock_client!(
            aws_sdk_organizations,
            RuleMode::MatchAny,
            &self.rules,
            |c| c.retry_config(retry_config(ORGANIZATIONS_MAX_ATTEMPTS))
        );
        OrganizationsReader::new(client)
    }

    fn calls(&self) -> usize {
        self.rules.iter().map(Rule::num_calls).sum()
    }
}

fn id(s: &str) -> AccountId {
    AccountId::parse(s).unwrap()
}

#[tokio::test]
async fn walks_every_page_of_every_ou_and_keeps_active_accounts_with_their_paths() {
    let org = Org::example();
    let listing = org
        .reader()
        .list_accounts(&TagLookup::Only(BTreeSet::from([id("012345678901")])))
        .await
        .unwrap();

    assert_eq!(listing.organization.id, "o-exampleorg");
    assert_eq!(
        listing.organization.management_account_id,
        id("000000000001")
    );

    // 1 management + 45 prod - 2 not active + 1 payments
    assert_eq!(listing.accounts.len(), 45);
    let by_id: BTreeMap<_, _> = listing
        .accounts
        .iter()
        .map(|a| (a.id.as_str().to_owned(), a))
        .collect();

    let payments = by_id["012345678901"];
    let path: Vec<(&str, &str)> = payments
        .ou_path
        .iter()
        .map(|ou| (ou.id.0.as_str(), ou.name.as_str()))
        .collect();
    assert_eq!(
        path,
        vec![
            ("ou-pay", "Payments"),
            ("ou-prod", "Prod"),
            ("r-root", "Root")
        ]
    );
    assert_eq!(
        payments.tags,
        BTreeMap::from([("team".to_owned(), "payments".to_owned())])
    );

    let management = by_id["000000000001"];
    assert_eq!(management.ou_path.len(), 1);
    assert_eq!(management.ou_path[0].id.0, "r-root");
    assert!(management.tags.is_empty(), "tags only where asked");

    assert_eq!(by_id["100000000044"].ou_path[0].id.0, "ou-prod");
    assert_eq!(by_id["100000000009"].status, "ACTIVE");

    let skipped: Vec<(&str, &str)> = listing
        .skipped
        .iter()
        .map(|s| (s.id.as_str(), s.status.as_str()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            ("100000000007", "SUSPENDED"),
            ("100000000008", "PENDING_CLOSURE")
        ]
    );
    assert!(listing.skipped[0].reason.contains("suspended"));

    // Sorted output: stable items files and diffs.
    let ids: Vec<_> = listing.accounts.iter().map(|a| a.id.clone()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);

    // DescribeOrganization + ListRoots + 4 OU listings + 6 account pages + 1 tag lookup.
    assert_eq!(org.calls(), 13);
}

#[tokio::test]
async fn without_a_tag_lookup_no_tags_are_fetched() {
    let org = Org::example();
    let listing = org.reader().list_accounts(&TagLookup::None).await.unwrap();
    assert!(listing.accounts.iter().all(|a| a.tags.is_empty()));
    assert_eq!(org.calls(), 12);
}

#[tokio::test]
async fn tag_lookup_for_all_accounts_calls_once_per_account() {
    let rules = vec![
        describe_organization(),
        list_roots(),
        child_ous("r-root", &[]),
        accounts_page(
            "r-root",
            None,
            None,
            vec![account("000000000001", "a"), account("000000000002", "b")],
        ),
        mock!(Client::list_tags_for_resource).then_compute_output(|req| {
            ListTagsForResourceOutput::builder()
                .tags(
                    Tag::builder()
                        .key("id")
                        .value(req.resource_id().unwrap())
                        .build()
                        .unwrap(),
                )
                .build()
        }),
    ];
    let client = mock_client!(aws_sdk_organizations, RuleMode::MatchAny, &rules);
    let listing = OrganizationsReader::new(client)
        .list_accounts(&TagLookup::All)
        .await
        .unwrap();
    for account in &listing.accounts {
        assert_eq!(account.tags["id"], account.id.as_str());
    }
    assert_eq!(rules[4].num_calls(), 2);
}

const THROTTLED: &str = r#"{"__type":"TooManyRequestsException","Message":"AWS Organizations can't complete your request because another request is already in progress."}"#;

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_with_backoff_then_succeeds() {
    let rules = vec![
        describe_organization(),
        list_roots(),
        child_ous("r-root", &[]),
        mock!(Client::list_accounts_for_parent)
            .sequence()
            .http_status(400, Some(THROTTLED.into()))
            .times(3)
            .output(|| {
                ListAccountsForParentOutput::builder()
                    .accounts(account("000000000001", "management"))
                    .build()
            })
            .build(),
    ];
    let client = mock_client!(aws_sdk_organizations, RuleMode::MatchAny, &rules, |c| c
        .retry_config(retry_config(ORGANIZATIONS_MAX_ATTEMPTS)));
    let started = tokio::time::Instant::now();
    let listing = OrganizationsReader::new(client)
        .list_accounts(&TagLookup::None)
        .await
        .unwrap();
    assert_eq!(listing.accounts.len(), 1);
    assert_eq!(
        rules[3].num_calls(),
        4,
        "three throttled attempts, then success"
    );
    assert!(
        started.elapsed() > std::time::Duration::ZERO,
        "the retries waited (backoff) between attempts"
    );
}

#[tokio::test(start_paused = true)]
async fn throttling_that_outlasts_the_retries_is_a_throttled_error() {
    let rules = vec![
        describe_organization(),
        list_roots(),
        mock!(Client::list_organizational_units_for_parent)
            .sequence()
            .http_status(400, Some(THROTTLED.into()))
            .repeatedly()
            .build(),
    ];
    let client = mock_client!(aws_sdk_organizations, RuleMode::MatchAny, &rules, |c| c
        .retry_config(retry_config(ORGANIZATIONS_MAX_ATTEMPTS)));
    let error = OrganizationsReader::new(client)
        .list_accounts(&TagLookup::None)
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "Throttled", "{error}");
    assert!(error.is_retryable());
    assert_eq!(rules[2].num_calls(), ORGANIZATIONS_MAX_ATTEMPTS as usize);
    assert!(
        error
            .to_string()
            .contains("organizations:ListOrganizationalUnitsForParent"),
        "{error}"
    );
}

#[tokio::test]
async fn a_hub_outside_an_organization_is_a_configuration_error() {
    let rules = vec![mock!(Client::describe_organization)
        .sequence()
        .http_status(
            400,
            Some(r#"{"__type":"AWSOrganizationsNotInUseException","Message":"Your account is not a member of an organization."}"#.into()),
        )
        .build()];
    let client = mock_client!(aws_sdk_organizations, RuleMode::MatchAny, &rules);
    let error = OrganizationsReader::new(client)
        .list_accounts(&TagLookup::None)
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "InvalidConfig");
    assert!(error.to_string().contains("management account"), "{error}");
}

#[tokio::test]
async fn access_denied_says_where_orgpulse_must_run() {
    let rules = vec![
        describe_organization(),
        mock!(Client::list_roots)
            .sequence()
            .http_status(
                400,
                Some(r#"{"__type":"AccessDeniedException","Message":"You don't have permissions to access this resource."}"#.into()),
            )
            .build(),
    ];
    let client = mock_client!(aws_sdk_organizations, RuleMode::MatchAny, &rules);
    let error = OrganizationsReader::new(client)
        .list_accounts(&TagLookup::None)
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "InvalidConfig");
    let text = error.to_string();
    assert!(text.contains("organizations:ListRoots"), "{text}");
    assert!(text.contains("delegated administrator"), "{text}");
}
