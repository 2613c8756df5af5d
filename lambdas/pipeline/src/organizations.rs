//! The organisation as the planning step needs it: every ACTIVE account, its OU path (nearest
//! OU first, the root last) with names, optionally its tags, and the organisation's identity.
//!
//! # Why a top-down walk instead of `ListAccounts` + `ListParents`
//!
//! Organizations returns at most 20 accounts per page and throttles per account at a low,
//! unpublished rate, so the number of calls decides whether a 10,000-account organisation is
//! listed in seconds or not at all within a Lambda's 15 minutes:
//!
//! - `ListAccounts` (N/20 pages) + `ListParents` for every account (N calls) + `ListParents` and
//!   `DescribeOrganizationalUnit` for every OU on the way up (cached: 2 per OU) costs about
//!   `1.05·N + 2·OUs` calls — 10,500+ for 10,000 accounts.
//! - Walking the tree from the root, `ListOrganizationalUnitsForParent` gives each OU's children
//!   *with their names* and `ListAccountsForParent` gives each OU's accounts *with the same
//!   fields as `ListAccounts`* (state, name, email). That is `1 + 2·(OUs + 1)` calls plus one per
//!   extra page of 20 — about 900 for 10,000 accounts in 200 OUs, and no account-proportional
//!   term but the pages. The path of every account is known from the walk itself.
//!
//! So this module calls: `DescribeOrganization`, `ListRoots`,
//! `ListOrganizationalUnitsForParent`, `ListAccountsForParent`, and `ListTagsForResource` only
//! for the accounts the caller asks tags for (tags cost one call per account; see
//! [`TagLookup`]). Independent parents are listed concurrently (bounded); throttling is retried
//! by the Organizations client's retry policy ([`crate::aws::organizations_client`]).
//!
//! An account moved between OUs while the walk runs can be seen twice (kept once, at the
//! first place seen) or, rarely, missed; the next run sees it where it settled.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_organizations::types::{Account, AccountState, AccountStatus};
use futures_util::{StreamExt, TryStreamExt};
use orgpulse_config::{AccountId, OrgUnitId};
use serde::{Deserialize, Serialize};

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::{AwsOperation, Error, Result};

const DESCRIBE_ORGANIZATION: AwsOperation =
    AwsOperation::new("organizations", "DescribeOrganization");
const LIST_ROOTS: AwsOperation = AwsOperation::new("organizations", "ListRoots");
const LIST_OUS_FOR_PARENT: AwsOperation =
    AwsOperation::new("organizations", "ListOrganizationalUnitsForParent");
const LIST_ACCOUNTS_FOR_PARENT: AwsOperation =
    AwsOperation::new("organizations", "ListAccountsForParent");
const LIST_TAGS_FOR_RESOURCE: AwsOperation =
    AwsOperation::new("organizations", "ListTagsForResource");

/// Organizations' largest page for the list operations used here.
const PAGE_SIZE: i32 = 20;
/// Parents (or accounts, for tags) listed at the same time. Organizations throttles per calling
/// account; a handful in flight keeps a big walk fast without living on retries.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// An organizational unit or the root, with its display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgUnit {
    pub id: OrgUnitId,
    pub name: String,
}

/// An ACTIVE member of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgAccount {
    pub id: AccountId,
    pub name: String,
    pub email: String,
    /// The lifecycle value Organizations reported (`State` when present, else `Status`).
    pub status: String,
    /// The OUs containing the account, nearest first; the root is the last element.
    pub ou_path: Vec<OrgUnit>,
    /// Account tags; empty when not requested (see [`TagLookup`]) or when there are none.
    pub tags: BTreeMap<String, String>,
}

/// An account that is not reported on, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedAccount {
    /// As Organizations spelled it (kept as text: it may be the reason for skipping).
    pub id: String,
    pub name: String,
    pub status: String,
    pub reason: String,
}

/// Who the organisation is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganizationIdentity {
    /// `o-xxxxxxxxxx`.
    pub id: String,
    /// The management account: service-managed StackSets never deploy there, so it has no
    /// member role unless someone created one by hand.
    pub management_account_id: AccountId,
    pub management_account_email: String,
}

/// Everything the walk found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgListing {
    pub organization: OrganizationIdentity,
    /// ACTIVE accounts, sorted by ID.
    pub accounts: Vec<OrgAccount>,
    /// Accounts left out (suspended, closing, ...), sorted by ID.
    pub skipped: Vec<SkippedAccount>,
}

/// Which accounts get their tags looked up: each costs one `ListTagsForResource` call (more
/// for over 20 tags), so a 10,000-account organisation should only ask when configuration uses
/// account tags.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TagLookup {
    /// No tags: zero extra calls.
    #[default]
    None,
    /// Every ACTIVE account.
    All,
    /// Only these accounts (others get an empty map).
    Only(BTreeSet<AccountId>),
}

impl TagLookup {
    fn wants(&self, account: &AccountId) -> bool {
        match self {
            TagLookup::None => false,
            TagLookup::All => true,
            TagLookup::Only(accounts) => accounts.contains(account),
        }
    }
}

/// Reads the organisation through the Organizations API.
#[derive(Debug, Clone)]
pub struct OrganizationsReader {
    organizations: aws_sdk_organizations::Client,
    concurrency: usize,
}

/// A node of the walk: a parent and its path (itself first, the root last).
struct Parent {
    path: Vec<OrgUnit>,
}

/// What is directly under one parent.
struct Children {
    ous: Vec<Parent>,
    /// Each account with the path of the parent it was listed under.
    accounts: Vec<(Account, Vec<OrgUnit>)>,
}

impl Parent {
    fn id(&self) -> &str {
        &self.path[0].id.0
    }
}

impl OrganizationsReader {
    /// `organizations` should come from [`crate::aws::organizations_client`] (more attempts
    /// for throttling).
    pub fn new(organizations: aws_sdk_organizations::Client) -> Self {
        Self {
            organizations,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    /// How many parents (or tag lookups) are in flight at once; at least one.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The organisation's ID and management account (`DescribeOrganization`).
    pub async fn describe_organization(&self) -> Result<OrganizationIdentity> {
        let output = self
            .organizations
            .describe_organization()
            .send()
            .await
            .map_err(|err| organizations_error(DESCRIBE_ORGANIZATION, err))?;
        let organization = output.organization().ok_or_else(|| Error::Service {
            operation: DESCRIBE_ORGANIZATION,
            code: None,
            message: "the response has no organization".into(),
        })?;
        let management_account_id = organization
            .master_account_id()
            .and_then(|id| AccountId::parse(id).ok())
            .ok_or_else(|| Error::Service {
                operation: DESCRIBE_ORGANIZATION,
                code: None,
                message: format!(
                    "the management account ID {:?} is not a 12-digit account ID",
                    organization.master_account_id()
                ),
            })?;
        Ok(OrganizationIdentity {
            id: organization.id().unwrap_or_default().to_owned(),
            management_account_id,
            management_account_email: organization
                .master_account_email()
                .unwrap_or_default()
                .to_owned(),
        })
    }

    /// Every account of the organisation, walked from the root; ACTIVE ones kept with their
    /// OU path, the others listed as skipped; tags for the accounts `tags` selects.
    pub async fn list_accounts(&self, tags: &TagLookup) -> Result<OrgListing> {
        let organization = self.describe_organization().await?;

        let roots = self
            .organizations
            .list_roots()
            .into_paginator()
            .page_size(PAGE_SIZE)
            .send()
            .try_collect()
            .await
            .map_err(|err| organizations_error(LIST_ROOTS, err))?;
        let mut level: Vec<Parent> = roots
            .iter()
            .flat_map(|page| page.roots())
            .filter_map(|root| {
                Some(Parent {
                    path: vec![OrgUnit {
                        id: OrgUnitId(root.id()?.to_owned()),
                        name: root.name().unwrap_or("Root").to_owned(),
                    }],
                })
            })
            .collect();

        let mut found: BTreeMap<String, (Account, Vec<OrgUnit>)> = BTreeMap::new();
        while !level.is_empty() {
            let listed: Vec<Children> =
                futures_util::stream::iter(level.iter().map(|parent| self.list_children(parent)))
                    .buffer_unordered(self.concurrency)
                    .try_collect()
                    .await?;
            level = Vec::new();
            for children in listed {
                level.extend(children.ous);
                for (account, path) in children.accounts {
                    let id = account.id().unwrap_or_default().to_owned();
                    if found.contains_key(&id) {
                        tracing::warn!(account = %id, "account seen under two parents (moved during the walk); keeping the first");
                        continue;
                    }
                    found.insert(id, (account, path));
                }
            }
        }

        let mut accounts = Vec::new();
        let mut skipped = Vec::new();
        for (raw_id, (account, ou_path)) in found {
            match active_account(&raw_id, &account) {
                Ok(id) => accounts.push(OrgAccount {
                    id,
                    name: account.name().unwrap_or_default().to_owned(),
                    email: account.email().unwrap_or_default().to_owned(),
                    status: lifecycle(&account).unwrap_or_default(),
                    ou_path,
                    tags: BTreeMap::new(),
                }),
                Err(reason) => skipped.push(SkippedAccount {
                    id: raw_id,
                    name: account.name().unwrap_or_default().to_owned(),
                    status: lifecycle(&account).unwrap_or_default(),
                    reason,
                }),
            }
        }

        self.attach_tags(&mut accounts, tags).await?;
        Ok(OrgListing {
            organization,
            accounts,
            skipped,
        })
    }

    /// One account's tags (`ListTagsForResource`, all pages).
    pub async fn account_tags(&self, account: &AccountId) -> Result<BTreeMap<String, String>> {
        let tags: Vec<_> = self
            .organizations
            .list_tags_for_resource()
            .resource_id(account.as_str())
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|err| organizations_error(LIST_TAGS_FOR_RESOURCE, err))?;
        Ok(tags.into_iter().map(|tag| (tag.key, tag.value)).collect())
    }

    async fn attach_tags(&self, accounts: &mut [OrgAccount], lookup: &TagLookup) -> Result<()> {
        let wanted: Vec<AccountId> = accounts
            .iter()
            .filter(|account| lookup.wants(&account.id))
            .map(|account| account.id.clone())
            .collect();
        let mut tags: BTreeMap<AccountId, BTreeMap<String, String>> =
            futures_util::stream::iter(wanted.into_iter().map(|id| async move {
                let tags = self.account_tags(&id).await?;
                Ok::<_, Error>((id, tags))
            }))
            .buffer_unordered(self.concurrency)
            .try_collect()
            .await?;
        for account in accounts {
            if let Some(found) = tags.remove(&account.id) {
                account.tags = found;
            }
        }
        Ok(())
    }

    /// The child OUs (as the next level of the walk) and the accounts directly under `parent`.
    async fn list_children(&self, parent: &Parent) -> Result<Children> {
        let ou_pages = self
            .organizations
            .list_organizational_units_for_parent()
            .parent_id(parent.id())
            .into_paginator()
            .page_size(PAGE_SIZE)
            .send()
            .try_collect()
            .await
            .map_err(|err| organizations_error(LIST_OUS_FOR_PARENT, err))?;
        let ous = ou_pages
            .iter()
            .flat_map(|page| page.organizational_units())
            .filter_map(|ou| {
                let mut path = Vec::with_capacity(parent.path.len() + 1);
                path.push(OrgUnit {
                    id: OrgUnitId(ou.id()?.to_owned()),
                    name: ou.name().unwrap_or_default().to_owned(),
                });
                path.extend(parent.path.iter().cloned());
                Some(Parent { path })
            })
            .collect();

        let account_pages = self
            .organizations
            .list_accounts_for_parent()
            .parent_id(parent.id())
            .into_paginator()
            .page_size(PAGE_SIZE)
            .send()
            .try_collect()
            .await
            .map_err(|err| organizations_error(LIST_ACCOUNTS_FOR_PARENT, err))?;
        let accounts = account_pages
            .into_iter()
            .flat_map(|page| page.accounts.unwrap_or_default())
            .map(|account| (account, parent.path.clone()))
            .collect();
        Ok(Children { ous, accounts })
    }
}

/// `State` when Organizations sends it (the newer field), else the older `Status`.
fn lifecycle(account: &Account) -> Option<String> {
    account
        .state()
        .map(|state| state.as_str().to_owned())
        .or_else(|| account.status().map(|status| status.as_str().to_owned()))
}

/// The account's ID if it is ACTIVE, else why it is skipped.
fn active_account(raw_id: &str, account: &Account) -> std::result::Result<AccountId, String> {
    let active = match (account.state(), account.status()) {
        (Some(state), _) => *state == AccountState::Active,
        (None, Some(status)) => *status == AccountStatus::Active,
        (None, None) => {
            return Err("Organizations reported neither State nor Status".into());
        }
    };
    if !active {
        let value = lifecycle(account).unwrap_or_default();
        return Err(match value.as_str() {
            "SUSPENDED" => "suspended: AWS has suspended the account; nothing to report".into(),
            "PENDING_CLOSURE" => "closing: the account is pending closure".into(),
            "CLOSED" => "closed".into(),
            "PENDING_ACTIVATION" => {
                "not yet active: it will be reported once Organizations marks it ACTIVE".into()
            }
            other => format!("not ACTIVE (state {other})"),
        });
    }
    AccountId::parse(raw_id).map_err(|problem| format!("unusable account ID: {problem}"))
}

/// Organizations-specific advice on top of the generic classification.
fn organizations_error<E>(
    operation: AwsOperation,
    err: aws_sdk_organizations::error::SdkError<E>,
) -> Error
where
    E: aws_sdk_organizations::error::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
{
    let not_in_use = err.code() == Some("AWSOrganizationsNotInUseException");
    match Error::from_sdk(operation, err) {
        _ if not_in_use => Error::InvalidConfig {
            what: "the hub account".into(),
            problem: "it is not a member of an AWS Organization".into(),
            fix: "deploy orgpulse in the organisation's management account or a delegated \
                  administrator account"
                .into(),
        },
        Error::AccessDenied {
            operation, message, ..
        } => Error::AccessDenied {
            operation,
            message,
            fix: format!(
                "allow {operation} for the plan function's role, and run orgpulse in the \
                 management account or an account registered as a delegated administrator \
                 for Organizations (member accounts cannot list the organisation)"
            ),
        },
        other => other,
    }
}
