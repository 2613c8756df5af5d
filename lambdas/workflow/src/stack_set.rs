//! Where the member read-only role is deployed, according to the StackSet that deploys it.
//!
//! STS cannot be trusted alone to say an account lacks the role: it answers `AccessDenied`
//! alike for a missing role and for a trust policy that does not match, and emulators (moto)
//! let anyone assume roles that do not exist. The StackSet's instances are the record of where
//! the role was (or failed to be) deployed, so the plan step reads them once per run — one
//! paginated `ListStackInstances`, whatever the number of accounts — and
//!
//! - accounts with a usable instance keep `check_member_role`: the report step assumes the role
//!   (and STS has the last word);
//! - the other member accounts are not assumed into; the summary lists each with the
//!   instance's status and what to do.
//!
//! Calls: `cloudformation:ListStackInstances` on the StackSet named by
//! `ORGPULSE_MEMBER_STACKSET_NAME` (`CallAs` from `ORGPULSE_MEMBER_STACKSET_CALL_AS`).

use std::collections::BTreeMap;

use aws_sdk_cloudformation::types::{CallAs, StackInstanceSummary};
use orgpulse_config::AccountId;
use orgpulse_pipeline::error::AwsOperation;
use orgpulse_pipeline::organizations::OrgListing;

use crate::error::Result;
use crate::messages::MemberRoleGap;

const LIST_STACK_INSTANCES: AwsOperation =
    AwsOperation::new("cloudformation", "ListStackInstances");

/// The largest page `ListStackInstances` returns.
const PAGE_SIZE: i32 = 100;

/// The member-role StackSet.
#[derive(Debug, Clone)]
pub struct MemberStackSet {
    cloudformation: aws_sdk_cloudformation::Client,
    name: String,
    call_as: CallAs,
}

impl MemberStackSet {
    /// `delegated_admin`: the hub runs in a StackSets delegated administrator account
    /// (`CallAs=DELEGATED_ADMIN`), not in the management account.
    pub fn new(
        cloudformation: aws_sdk_cloudformation::Client,
        name: impl Into<String>,
        delegated_admin: bool,
    ) -> Self {
        Self {
            cloudformation,
            name: name.into(),
            call_as: if delegated_admin {
                CallAs::DelegatedAdmin
            } else {
                CallAs::SelfValue
            },
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every instance of the StackSet, all pages. A StackSet that cannot be read (missing, or
    /// not readable with this role) is a warning, not a failure: the run goes on with STS alone
    /// deciding.
    pub async fn deployments(&self, warnings: &mut Vec<String>) -> Result<RoleDeployments> {
        let mut instances = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let page = match self
                .cloudformation
                .list_stack_instances()
                .stack_set_name(&self.name)
                .call_as(self.call_as.clone())
                .max_results(PAGE_SIZE)
                .set_next_token(next_token.take())
                .send()
                .await
            {
                Ok(page) => page,
                Err(err) => {
                    let not_found = err
                        .as_service_error()
                        .is_some_and(|e| e.is_stack_set_not_found_exception());
                    let err = orgpulse_pipeline::Error::from_sdk(LIST_STACK_INSTANCES, err);
                    return match unreadable(&self.name, not_found, &err) {
                        Some(warning) => {
                            warnings.push(warning);
                            Ok(RoleDeployments::unknown())
                        }
                        None => Err(err.into()),
                    };
                }
            };
            instances.extend(page.summaries().iter().filter_map(Instance::from_summary));
            next_token = page.next_token().map(str::to_owned);
            if next_token.is_none() {
                break;
            }
        }
        Ok(RoleDeployments::from_instances(&self.name, instances))
    }
}

/// The warning for a StackSet that cannot be read for a reason a person must fix; `None` for
/// failures a retry can cure.
fn unreadable(name: &str, not_found: bool, err: &orgpulse_pipeline::Error) -> Option<String> {
    use orgpulse_pipeline::Error;
    let fix = match err {
        _ if not_found => {
            "set ORGPULSE_MEMBER_STACKSET_NAME to the member-roles module's stack_set_name \
             (the hub module's member_stack_set_name does), and ORGPULSE_MEMBER_STACKSET_CALL_AS \
             to DELEGATED_ADMIN when the hub runs in a delegated administrator account"
        }
        Error::AccessDenied { .. } => {
            "allow cloudformation:ListStackInstances on the StackSet in the plan function's \
             policy (the hub module does)"
        }
        _ => return None,
    };
    Some(format!(
        "the member-role StackSet {name} could not be read ({err}); member roles were checked \
         with STS alone. Fix: {fix}"
    ))
}

/// One stack instance, as far as the role is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub account: AccountId,
    /// `CURRENT`, `OUTDATED` or `INOPERABLE`.
    pub status: String,
    /// `SUCCEEDED`, `PENDING`, `RUNNING`, `FAILED`, `CANCELLED`, `INOPERABLE`,
    /// `SKIPPED_SUSPENDED_ACCOUNT`, `FAILED_IMPORT`.
    pub detailed_status: Option<String>,
    pub reason: Option<String>,
}

impl Instance {
    fn from_summary(summary: &StackInstanceSummary) -> Option<Self> {
        Some(Self {
            account: AccountId::parse(summary.account()?).ok()?,
            status: summary.status()?.as_str().to_owned(),
            detailed_status: summary
                .stack_instance_status()
                .and_then(|s| s.detailed_status())
                .map(|s| s.as_str().to_owned()),
            reason: summary.status_reason().map(str::to_owned),
        })
    }

    /// The role is there (`CURRENT`), or an operation is deploying or updating it right now
    /// (then STS tells whether it exists yet).
    fn usable(&self) -> bool {
        self.status == "CURRENT"
            || (self.status == "OUTDATED"
                && matches!(self.detailed_status.as_deref(), Some("PENDING" | "RUNNING")))
    }
}

/// Which accounts have the member role, per the StackSet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDeployments {
    /// `None`: no StackSet to ask (or it could not be read); STS alone decides.
    known: Option<Known>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Known {
    stack_set: String,
    instances: BTreeMap<AccountId, Vec<Instance>>,
}

impl RoleDeployments {
    /// Nothing known: every member account is checked with STS.
    pub fn unknown() -> Self {
        Self { known: None }
    }

    pub fn from_instances(stack_set: &str, instances: Vec<Instance>) -> Self {
        let mut by_account: BTreeMap<AccountId, Vec<Instance>> = BTreeMap::new();
        for instance in instances {
            by_account
                .entry(instance.account.clone())
                .or_default()
                .push(instance);
        }
        Self {
            known: Some(Known {
                stack_set: stack_set.to_owned(),
                instances: by_account,
            }),
        }
    }

    /// Whether the report step should assume the role in `account`. `None` means yes; otherwise
    /// the reason it is missing.
    pub fn missing(&self, account: &AccountId) -> Option<String> {
        let known = self.known.as_ref()?;
        let instances = known
            .instances
            .get(account)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if instances.iter().any(Instance::usable) {
            return None;
        }
        let stack_set = &known.stack_set;
        Some(match instances.first() {
            None => format!(
                "the member-role StackSet {stack_set} has no instance in this account: it is \
                 outside the StackSet's target OUs (modules/member-roles organizational_unit_ids) \
                 or was never deployed to. Fix: target its OU or the root, then `terraform apply`"
            ),
            Some(instance) => {
                let detail = instance
                    .detailed_status
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                let reason = instance
                    .reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                format!(
                    "the member-role StackSet {stack_set}'s instance is {}{detail}{reason}. \
                     Fix: correct the cause in the account, then retry the StackSet operation \
                     (`terraform apply`, or the console's \"Edit StackSet\" with no change)",
                    instance.status
                )
            }
        })
    }

    /// Every ACTIVE member account the StackSet says lacks the role (the management account
    /// never has it: StackSets skip it), for the summary.
    pub fn gaps(&self, listing: &OrgListing) -> Vec<MemberRoleGap> {
        listing
            .accounts
            .iter()
            .filter(|account| account.id != listing.organization.management_account_id)
            .filter_map(|account| {
                self.missing(&account.id).map(|reason| MemberRoleGap {
                    account_id: account.id.clone(),
                    account_name: account.name.clone(),
                    reason,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudformation::operation::list_stack_instances::ListStackInstancesOutput;
    use aws_sdk_cloudformation::types::{
        StackInstanceComprehensiveStatus, StackInstanceDetailedStatus, StackInstanceStatus,
    };
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    fn id(n: u64) -> AccountId {
        AccountId::parse(&format!("{n:012}")).unwrap()
    }

    fn instance(n: u64, status: &str, detailed: &str) -> Instance {
        Instance {
            account: id(n),
            status: status.into(),
            detailed_status: Some(detailed.into()),
            reason: (detailed == "FAILED").then(|| "Role already exists".into()),
        }
    }

    #[test]
    fn only_current_or_deploying_instances_count_as_the_role_being_there() {
        let deployments = RoleDeployments::from_instances(
            "orgpulse-member-roles",
            vec![
                instance(1, "CURRENT", "SUCCEEDED"),
                instance(2, "OUTDATED", "RUNNING"),
                instance(3, "OUTDATED", "FAILED"),
                instance(4, "INOPERABLE", "INOPERABLE"),
                // Two regions: one good instance is enough (IAM is global).
                instance(5, "OUTDATED", "FAILED"),
                instance(5, "CURRENT", "SUCCEEDED"),
            ],
        );
        assert_eq!(deployments.missing(&id(1)), None);
        assert_eq!(deployments.missing(&id(2)), None);
        assert_eq!(deployments.missing(&id(5)), None);
        let failed = deployments.missing(&id(3)).unwrap();
        assert!(
            failed.contains("instance is OUTDATED (FAILED): Role already exists"),
            "{failed}"
        );
        assert!(deployments.missing(&id(4)).unwrap().contains("INOPERABLE"));
        let absent = deployments.missing(&id(6)).unwrap();
        assert!(
            absent.contains("has no instance in this account"),
            "{absent}"
        );
        assert_eq!(RoleDeployments::unknown().missing(&id(6)), None);
    }

    fn summary(account: &str, status: StackInstanceStatus) -> StackInstanceSummary {
        StackInstanceSummary::builder()
            .account(account)
            .region("us-east-1")
            .status(status)
            .stack_instance_status(
                StackInstanceComprehensiveStatus::builder()
                    .detailed_status(StackInstanceDetailedStatus::Succeeded)
                    .build(),
            )
            .build()
    }

    #[tokio::test]
    async fn reads_every_page_once() {
        let first = mock!(aws_sdk_cloudformation::Client::list_stack_instances)
            .match_requests(|r| {
                r.stack_set_name() == Some("orgpulse-member-roles")
                    && r.call_as() == Some(&CallAs::DelegatedAdmin)
                    && r.next_token().is_none()
            })
            .then_output(|| {
                ListStackInstancesOutput::builder()
                    .summaries(summary("000000000001", StackInstanceStatus::Current))
                    .next_token("page-2")
                    .build()
            });
        let second = mock!(aws_sdk_cloudformation::Client::list_stack_instances)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(|| {
                ListStackInstancesOutput::builder()
                    .summaries(summary("000000000002", StackInstanceStatus::Inoperable))
                    .build()
            });
        let cloudformation = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::Sequential,
            [&first, &second]
        );
        let stack_set = MemberStackSet::new(cloudformation, "orgpulse-member-roles", true);
        let mut warnings = Vec::new();
        let deployments = stack_set.deployments(&mut warnings).await.unwrap();
        assert!(warnings.is_empty());
        assert_eq!(first.num_calls() + second.num_calls(), 2);
        assert_eq!(deployments.missing(&id(1)), None);
        assert!(deployments.missing(&id(2)).is_some());
    }

    #[tokio::test]
    async fn a_missing_stack_set_is_a_warning_and_sts_decides() {
        let rule = mock!(aws_sdk_cloudformation::Client::list_stack_instances).then_error(|| {
            aws_sdk_cloudformation::operation::list_stack_instances::ListStackInstancesError::StackSetNotFoundException(
                aws_sdk_cloudformation::types::error::StackSetNotFoundException::builder()
                    .message("StackSet orgpulse-typo not found")
                    .build(),
            )
        });
        let cloudformation = mock_client!(aws_sdk_cloudformation, [&rule]);
        let stack_set = MemberStackSet::new(cloudformation, "orgpulse-typo", false);
        let mut warnings = Vec::new();
        let deployments = stack_set.deployments(&mut warnings).await.unwrap();
        assert_eq!(deployments, RoleDeployments::unknown());
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("orgpulse-typo could not be read"),
            "{}",
            warnings[0]
        );
    }
}
