//! A small Slack Web API client: `chat.postMessage` and the `conversations.history` look-up
//! that tells whether an earlier attempt already delivered a message.
//!
//! Every call has a timeout and bounded retries with full-jitter backoff; Slack's `ok:false`
//! codes map onto [`SlackErrorCode`], each retryable or permanent and with the fix in its
//! message.
//!
//! Rate limits are not errors to count but a queue to wait in: `chat.postMessage` allows about
//! one message per second per channel, so when hundreds of accounts report to one channel every
//! Map worker but one is told to wait. A rate-limited answer waits `Retry-After` plus a random
//! share of it (so the waiting workers do not all come back in the same instant) and does not
//! use up an attempt; a call gives up only when its total wait would pass
//! [`SlackClientConfig::ratelimit_patience`], when a wait would end after the caller's deadline
//! ([`SlackClient::post_message_before`]), or when one `Retry-After` alone passes
//! [`SlackClientConfig::max_retry_after`]: then the caller is told to come back later instead
//! of sleeping through a Lambda's time.
//!
//! A post whose answer was lost (timeout, connection dropped, 5xx, `internal_error`) may have
//! been delivered. Before sending it again the client looks for it in the channel's history by
//! the delivery key in its metadata; only when it is not there is it sent again. When that
//! look-up is impossible the error says so ([`SlackError::Ambiguous`]) rather than risking a
//! duplicate.
//!
//! The token never appears in logs, errors or `Debug` output.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use orgpulse_config::clock;

use crate::limits::{self, LimitViolations};
use crate::render::{delivery_key_of, PostMessage, DELIVERY_KEY_FIELD};

/// The environment variable that overrides the API base URL (for a proxy or a test sink).
pub const SLACK_API_URL_ENV: &str = "SLACK_API_URL";
pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api";

/// A Slack bot token (`xoxb-…`). Kept out of every log line and error message.
#[derive(Clone)]
pub struct SlackToken(String);

impl SlackToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into().trim().to_string())
    }
    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SlackToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SlackToken(redacted)")
    }
}

/// Timeouts, retry bounds and where the API is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackClientConfig {
    /// `https://slack.com/api`, or `SLACK_API_URL`.
    pub base_url: String,
    /// For one HTTP request, connection included.
    pub request_timeout: Duration,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// Full-jitter backoff: a random wait in `[0, min(backoff_max, backoff_base * 2^n)]`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// The longest `Retry-After` the client sleeps through; longer ones are returned as
    /// [`SlackError::RateLimited`] so the caller retries later.
    pub max_retry_after: Duration,
    /// The longest a call waits, in total, through rate-limited answers before it returns
    /// [`SlackError::StillRateLimited`]. Rate-limited answers do not count as attempts: with
    /// `n` Map workers posting to one channel each waits about `n` seconds per message.
    pub ratelimit_patience: Duration,
    /// How many `conversations.history` pages a delivery check reads at most.
    pub max_history_pages: u32,
    /// The largest response body read; a longer one is refused, not buffered (a broken or
    /// hostile endpoint must not exhaust the function's memory). As the Sheets client does.
    pub max_response_bytes: usize,
}

impl Default for SlackClientConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_SLACK_API_URL.into(),
            request_timeout: Duration::from_secs(10),
            max_attempts: 4,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(30),
            // Well inside the report function's 180 s timeout even for two busy channels; covers
            // a Map concurrency of 40 on one channel with room to spare.
            ratelimit_patience: Duration::from_secs(75),
            max_history_pages: 5,
            // A history page of 200 full reports with metadata is about 2 MB.
            max_response_bytes: 8 * 1024 * 1024,
        }
    }
}

impl SlackClientConfig {
    /// Defaults, with the base URL from `SLACK_API_URL` when set and allowed (see
    /// `orgpulse_config::endpoint`).
    pub fn from_env() -> Self {
        let mut config = Self::default();
        // https to slack.com only, unless the local-endpoints switch is set
        // (orgpulse_config::endpoint): this URL receives the bot token.
        match orgpulse_config::endpoint::override_from_env(SLACK_API_URL_ENV, &["slack.com"]) {
            Ok(Some(url)) => config.base_url = url,
            Ok(None) => {}
            Err(refused) => tracing::error!("{refused}"),
        }
        config
    }
}

/// Slack's `error` codes this product meets, plus anything else verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlackErrorCode {
    // Permanent: retrying cannot help, a person must fix something.
    ChannelNotFound,
    NotInChannel,
    IsArchived,
    InvalidAuth,
    NotAuthed,
    TokenRevoked,
    TokenExpired,
    AccountInactive,
    MissingScope,
    NoPermission,
    RestrictedAction,
    TeamAccessNotGranted,
    MsgTooLong,
    MsgBlocksTooLong,
    InvalidBlocks,
    InvalidMetadataFormat,
    InvalidMetadataSchema,
    MetadataTooLarge,
    NoText,
    InvalidArguments,
    InvalidCursor,
    // Retryable: Slack's side, or too fast.
    Ratelimited,
    InternalError,
    FatalError,
    ServiceUnavailable,
    RequestTimeout,
    /// A code this client does not know; treated as permanent.
    Other(String),
}

impl SlackErrorCode {
    pub fn parse(code: &str) -> Self {
        use SlackErrorCode::*;
        match code {
            "channel_not_found" => ChannelNotFound,
            "not_in_channel" => NotInChannel,
            "is_archived" => IsArchived,
            "invalid_auth" => InvalidAuth,
            "not_authed" => NotAuthed,
            "token_revoked" => TokenRevoked,
            "token_expired" => TokenExpired,
            "account_inactive" => AccountInactive,
            "missing_scope" => MissingScope,
            "no_permission" => NoPermission,
            "restricted_action" => RestrictedAction,
            "team_access_not_granted" => TeamAccessNotGranted,
            "msg_too_long" => MsgTooLong,
            "msg_blocks_too_long" => MsgBlocksTooLong,
            "invalid_blocks" | "invalid_blocks_format" => InvalidBlocks,
            "invalid_metadata_format" => InvalidMetadataFormat,
            "invalid_metadata_schema" => InvalidMetadataSchema,
            "metadata_too_large" => MetadataTooLarge,
            "no_text" => NoText,
            "invalid_arguments" => InvalidArguments,
            "invalid_cursor" => InvalidCursor,
            "ratelimited" | "rate_limited" => Ratelimited,
            "internal_error" => InternalError,
            "fatal_error" => FatalError,
            "service_unavailable" => ServiceUnavailable,
            "request_timeout" => RequestTimeout,
            other => Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        use SlackErrorCode::*;
        match self {
            ChannelNotFound => "channel_not_found",
            NotInChannel => "not_in_channel",
            IsArchived => "is_archived",
            InvalidAuth => "invalid_auth",
            NotAuthed => "not_authed",
            TokenRevoked => "token_revoked",
            TokenExpired => "token_expired",
            AccountInactive => "account_inactive",
            MissingScope => "missing_scope",
            NoPermission => "no_permission",
            RestrictedAction => "restricted_action",
            TeamAccessNotGranted => "team_access_not_granted",
            MsgTooLong => "msg_too_long",
            MsgBlocksTooLong => "msg_blocks_too_long",
            InvalidBlocks => "invalid_blocks",
            InvalidMetadataFormat => "invalid_metadata_format",
            InvalidMetadataSchema => "invalid_metadata_schema",
            MetadataTooLarge => "metadata_too_large",
            NoText => "no_text",
            InvalidArguments => "invalid_arguments",
            InvalidCursor => "invalid_cursor",
            Ratelimited => "ratelimited",
            InternalError => "internal_error",
            FatalError => "fatal_error",
            ServiceUnavailable => "service_unavailable",
            RequestTimeout => "request_timeout",
            Other(code) => code,
        }
    }

    pub fn is_retryable(&self) -> bool {
        use SlackErrorCode::*;
        matches!(
            self,
            Ratelimited | InternalError | FatalError | ServiceUnavailable | RequestTimeout
        )
    }

    /// Slack documents that after these "some aspect of the operation" may have succeeded.
    fn may_have_succeeded(&self) -> bool {
        matches!(self, Self::InternalError | Self::FatalError)
    }

    /// What a person does about it.
    pub fn fix_hint(&self) -> &'static str {
        use SlackErrorCode::*;
        match self {
            ChannelNotFound => {
                "check the channel ID in the configuration (right-click the channel > Copy link; \
                 the ID starts with C or G); for a private channel, invite the app first with \
                 /invite @orgpulse"
            }
            NotInChannel => "invite the app to the channel with /invite @orgpulse",
            IsArchived => "the channel is archived: unarchive it or change the row's ChannelIds",
            InvalidAuth | NotAuthed => {
                "the bot token is missing or wrong: store the app's Bot User OAuth Token \
                 (xoxb-…) in the Slack token secret"
            }
            TokenRevoked | TokenExpired | AccountInactive => {
                "the bot token no longer works (app uninstalled or token revoked): reinstall \
                 the app and store the new Bot User OAuth Token in the Slack token secret"
            }
            MissingScope => {
                "the app lacks a scope: add chat:write, channels:history and groups:history \
                 (delivery checks), channels:read and groups:read (channel membership) under \
                 OAuth & Permissions, then reinstall the app"
            }
            NoPermission | RestrictedAction | TeamAccessNotGranted => {
                "the workspace does not let the app post there: ask a Slack admin to allow the \
                 app in that channel or workspace"
            }
            MsgTooLong | MsgBlocksTooLong | InvalidBlocks | NoText => {
                "Slack rejected the message layout: this is an orgpulse bug, please report it \
                 with the account and date"
            }
            InvalidMetadataFormat | InvalidMetadataSchema | MetadataTooLarge => {
                "Slack rejected the message metadata: this is an orgpulse bug, please report it"
            }
            InvalidArguments | InvalidCursor => {
                "Slack rejected the request: this is an orgpulse bug, please report it"
            }
            Ratelimited => "Slack is rate limiting this app: the run retries later",
            InternalError | FatalError | ServiceUnavailable | RequestTimeout => {
                "Slack had a transient problem: the run retries; check https://slack-status.com \
                 if it persists"
            }
            Other(_) => "see the error's description in Slack's API documentation for this method",
        }
    }
}

impl fmt::Display for SlackErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    #[error("Slack {method} failed with `{code}`{detail}: {}", code.fix_hint())]
    Api {
        method: &'static str,
        code: SlackErrorCode,
        /// Extra facts Slack gave: the scope needed, block errors.
        detail: String,
    },
    #[error(
        "Slack {method} is rate limited for {retry_after:?}, longer than this client waits: \
         retry the delivery later"
    )]
    RateLimited {
        method: &'static str,
        retry_after: Duration,
    },
    #[error(
        "Slack {method} was still rate limited after waiting {waited:?}: Slack takes about one \
         message per second per channel and many accounts report to this one; the run retries \
         the delivery later (a lower max_concurrency or fewer accounts per channel avoids it)"
    )]
    StillRateLimited {
        method: &'static str,
        waited: Duration,
    },
    #[error(
        "Slack {method} answered HTTP {status} after {attempts} attempt(s): Slack is having \
         trouble; the run retries; check https://slack-status.com if it persists"
    )]
    Server {
        method: &'static str,
        status: u16,
        attempts: u32,
    },
    #[error(
        "Slack {method} could not be reached after {attempts} attempt(s): {reason}; check the \
         network path to {base_url} (NAT gateway or VPC endpoint for a Lambda in a VPC)"
    )]
    Network {
        method: &'static str,
        reason: String,
        attempts: u32,
        base_url: String,
    },
    #[error(
        "Slack {method} may have delivered the message but no answer came back ({reason}), \
         and the channel history could not be checked ({check}): look in the channel before \
         sending again; give the app channels:history and groups:history so it can check itself"
    )]
    Ambiguous {
        method: &'static str,
        reason: String,
        check: String,
    },
    #[error(
        "the channel history since the first attempt is longer than {pages} pages, so an \
         earlier delivery cannot be ruled out: look in the channel before sending again"
    )]
    HistoryTooLong { pages: u32 },
    #[error("message not sent: {0}; this is an orgpulse rendering bug, please report it")]
    Limits(#[from] LimitViolations),
    #[error(
        "Slack {method} answered HTTP {status} with something that is not a Slack API \
         response ({detail}): check SLACK_API_URL ({base_url})"
    )]
    InvalidResponse {
        method: &'static str,
        status: u16,
        detail: String,
        base_url: String,
    },
    #[error("cannot build the Slack HTTP client: {0}")]
    Setup(String),
}

impl SlackError {
    /// Whether trying again later can succeed without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api { code, .. } => code.is_retryable(),
            Self::RateLimited { .. }
            | Self::StillRateLimited { .. }
            | Self::Server { .. }
            | Self::Network { .. } => true,
            // Retrying blindly could post twice; a later run re-checks the history first.
            Self::Ambiguous { .. } | Self::HistoryTooLong { .. } => true,
            Self::Limits(_) | Self::InvalidResponse { .. } | Self::Setup(_) => false,
        }
    }

    /// A stable short name for reports and summaries: Slack's code, or the kind of failure.
    pub fn code(&self) -> &str {
        match self {
            Self::Api { code, .. } => code.as_str(),
            Self::RateLimited { .. } | Self::StillRateLimited { .. } => "ratelimited",
            Self::Server { .. } => "server_error",
            Self::Network { .. } => "network_error",
            Self::Ambiguous { .. } => "delivery_unknown",
            Self::HistoryTooLong { .. } => "history_too_long",
            Self::Limits(_) => "message_over_limits",
            Self::InvalidResponse { .. } => "invalid_response",
            Self::Setup(_) => "client_setup",
        }
    }
}

/// A message Slack has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub channel: String,
    /// The message's `ts`, its ID within the channel.
    pub ts: String,
    /// The message was found in the channel's history from an earlier attempt whose answer was
    /// lost, and was not sent again.
    pub found_earlier: bool,
}

pub struct SlackClient {
    http: reqwest::Client,
    token: TokenCell,
    config: SlackClientConfig,
    /// Reads the token again (from its secret) when Slack refuses the one in use.
    refresh: Option<TokenRefresh>,
    /// Who this token posts as (`auth.test`), asked once per client, i.e. once per run.
    identity: std::sync::OnceLock<BotIdentity>,
}

/// The bot's own identity: a history message counts as one of our deliveries only when it
/// was posted by it, so another app in the channel cannot forge one (metadata event types
/// are free text any app can send) and suppress a retried delivery.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BotIdentity {
    pub bot_id: String,
    /// Not every `auth.test` answer has it; when both sides have one, they must match.
    #[serde(default)]
    pub app_id: Option<String>,
}

impl fmt::Debug for SlackClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackClient")
            .field("token", &self.token)
            .field("config", &self.config)
            .finish()
    }
}

/// What one call has used of its retries: attempts for failures, time for rate limits.
#[derive(Debug, Default)]
struct RetryBudget {
    /// Requests sent so far, less one.
    requests: u32,
    /// Failures other than a rate limit with `Retry-After`; bounded by `max_attempts`.
    failed_attempts: u32,
    /// Time slept on `Retry-After`; bounded by `ratelimit_patience`.
    ratelimited_wait: Duration,
    /// No `Retry-After` wait may end after this.
    deadline: Option<SystemTime>,
}

impl RetryBudget {
    /// The number of the request about to be sent, from 1 (for error messages).
    fn attempt(&self) -> u32 {
        self.requests + 1
    }
}

/// Uniformly random in `[0, of]`: spreads the workers that `Retry-After` sent away together.
fn random_share_of(of: Duration) -> Duration {
    let millis = of.as_millis().min(u64::MAX as u128) as u64;
    Duration::from_millis(fastrand::u64(0..=millis))
}

/// One failed attempt, and what it means for the next one.
struct Failure {
    error: SlackError,
    retry: Retry,
    /// The request may have taken effect (the answer, not the request, was lost).
    maybe_applied: bool,
}

enum Retry {
    No,
    /// Backoff with jitter.
    Backoff,
    /// Slack said when.
    After(Duration),
}

enum Request<'a> {
    PostJson(&'a [u8]),
    Get(&'a [(&'static str, String)]),
}

impl SlackClient {
    pub fn new(token: SlackToken, config: SlackClientConfig) -> Result<Self, SlackError> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            .user_agent(concat!("orgpulse/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SlackError::Setup(e.to_string()))?;
        Ok(Self {
            http,
            token: TokenCell::new(token),
            config,
            refresh: None,
            identity: std::sync::OnceLock::new(),
        })
    }

    pub fn config(&self) -> &SlackClientConfig {
        &self.config
    }

    /// Posts a message after checking it against Slack's limits. Retries what is worth
    /// retrying; never posts twice when the message carries a delivery key (see module docs).
    pub async fn post_message(&self, message: &PostMessage) -> Result<Posted, SlackError> {
        self.post_message_before(message, None).await
    }

    /// [`Self::post_message`], but waits out rate limits only while the wait ends before
    /// `deadline` (a Lambda's deadline, less the time its caller needs to record the outcome);
    /// past it the call returns [`SlackError::StillRateLimited`], which is retryable.
    pub async fn post_message_before(
        &self,
        message: &PostMessage,
        deadline: Option<SystemTime>,
    ) -> Result<Posted, SlackError> {
        const METHOD: &str = "chat.postMessage";
        limits::check(message)?;
        let body = serde_json::to_vec(message).map_err(|e| SlackError::Setup(e.to_string()))?;
        let channel = message.channel.0.as_str();
        let delivery_key = delivery_key_of(message);
        // Slack's clock and ours differ a little; look a minute further back.
        let since = clock::system_now() - Duration::from_secs(60);

        let mut budget = RetryBudget {
            deadline,
            ..RetryBudget::default()
        };
        loop {
            let failure = match self
                .send(METHOD, Request::PostJson(&body), budget.attempt())
                .await
            {
                Ok(response) => {
                    let posted: PostResponse =
                        serde_json::from_value(response).map_err(|e| self.invalid(METHOD, e))?;
                    return Ok(Posted {
                        channel: posted.channel.unwrap_or_else(|| channel.to_string()),
                        ts: posted.ts,
                        found_earlier: false,
                    });
                }
                Err(failure) => failure,
            };
            if failure.maybe_applied {
                let reason = failure.error.to_string();
                let Some(key) = delivery_key else {
                    return Err(SlackError::Ambiguous {
                        method: METHOD,
                        reason,
                        check: "the message has no delivery key to look for".into(),
                    });
                };
                match self.find_delivery(channel, key, since).await {
                    Ok(Some(ts)) => {
                        tracing::info!(
                            channel,
                            ts,
                            "found the earlier delivery; not sending again"
                        );
                        return Ok(Posted {
                            channel: channel.to_string(),
                            ts,
                            found_earlier: true,
                        });
                    }
                    Ok(None) => {}
                    Err(check) => {
                        return Err(SlackError::Ambiguous {
                            method: METHOD,
                            reason,
                            check: check.to_string(),
                        })
                    }
                }
            }
            self.wait_before_retry(METHOD, &mut budget, failure).await?;
        }
    }

    /// The `ts` of a message this product posted to `channel` with `delivery_key` in its
    /// metadata (any `orgpulse_…` event type: reports and summaries), at or after `since`,
    /// posted by this bot (`bot_id`/`app_id` from `auth.test`, see [`BotIdentity`]);
    /// `None` when there is none. Needs `channels:history`
    /// (public) or `groups:history` (private channels).
    pub async fn find_delivery(
        &self,
        channel: &str,
        delivery_key: &str,
        since: SystemTime,
    ) -> Result<Option<String>, SlackError> {
        const METHOD: &str = "conversations.history";
        let oldest = since
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs()
            .to_string();
        let identity = self.identity().await?;
        let mut cursor: Option<String> = None;
        for _ in 0..self.config.max_history_pages {
            let mut query = vec![
                ("channel", channel.to_string()),
                ("oldest", oldest.clone()),
                ("include_all_metadata", "true".to_string()),
                ("limit", "200".to_string()),
            ];
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor.clone()));
            }
            let response = self.call(METHOD, Request::Get(&query)).await?;
            let page: HistoryResponse =
                serde_json::from_value(response).map_err(|e| self.invalid(METHOD, e))?;
            if let Some(found) = page
                .messages
                .iter()
                .find(|m| m.posted_by(&identity) && m.carries(delivery_key))
            {
                return Ok(Some(found.ts.clone()));
            }
            cursor = page
                .response_metadata
                .and_then(|m| m.next_cursor)
                .filter(|c| !c.is_empty());
            if cursor.is_none() {
                return Ok(None);
            }
        }
        Err(SlackError::HistoryTooLong {
            pages: self.config.max_history_pages,
        })
    }

    /// The bot's `bot_id` and `app_id` from `auth.test` (no scope needed), cached: the same
    /// call and parsing as [`Self::auth_test`].
    pub async fn identity(&self) -> Result<BotIdentity, SlackError> {
        if let Some(identity) = self.identity.get() {
            return Ok(identity.clone());
        }
        let info = self.auth_test().await?;
        let Some(bot_id) = info.bot_id else {
            return Err(SlackError::InvalidResponse {
                method: "auth.test",
                status: 200,
                detail: "no bot_id: the token is not a bot token (xoxb-…)".to_owned(),
                base_url: self.config.base_url.clone(),
            });
        };
        let identity = BotIdentity {
            bot_id,
            app_id: info.app_id,
        };
        Ok(self.identity.get_or_init(|| identity).clone())
    }

    /// A read-only call with retries (reads are always safe to repeat).
    async fn call(&self, method: &'static str, request: Request<'_>) -> Result<Value, SlackError> {
        let mut budget = RetryBudget::default();
        loop {
            let request = match &request {
                Request::PostJson(body) => Request::PostJson(body),
                Request::Get(query) => Request::Get(query),
            };
            match self.send(method, request, budget.attempt()).await {
                Ok(response) => return Ok(response),
                Err(failure) => self.wait_before_retry(method, &mut budget, failure).await?,
            }
        }
    }

    /// Sleeps before the next attempt, or returns the error when the budget is spent.
    async fn wait_before_retry(
        &self,
        method: &'static str,
        budget: &mut RetryBudget,
        failure: Failure,
    ) -> Result<(), SlackError> {
        let wait = match failure.retry {
            Retry::No => return Err(failure.error),
            Retry::After(wait) if wait > self.config.max_retry_after => {
                return Err(SlackError::RateLimited {
                    method,
                    retry_after: wait,
                })
            }
            Retry::After(retry_after) => {
                let wait = retry_after + random_share_of(retry_after);
                let past_deadline = budget
                    .deadline
                    .is_some_and(|deadline| clock::system_now() + wait > deadline);
                if past_deadline || budget.ratelimited_wait + wait > self.config.ratelimit_patience
                {
                    return Err(SlackError::StillRateLimited {
                        method,
                        waited: budget.ratelimited_wait,
                    });
                }
                budget.ratelimited_wait += wait;
                wait
            }
            Retry::Backoff => {
                budget.failed_attempts += 1;
                if budget.failed_attempts >= self.config.max_attempts {
                    return Err(failure.error);
                }
                self.backoff(budget.failed_attempts)
            }
        };
        budget.requests += 1;
        tracing::warn!(
            method,
            requests = budget.requests,
            error = failure.error.code(),
            wait_ms = wait.as_millis() as u64,
            "retrying Slack call"
        );
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// Full jitter: uniformly random in `[0, min(max, base * 2^(attempt-1))]`.
    fn backoff(&self, attempt: u32) -> Duration {
        let exponential = self
            .config
            .backoff_base
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
        let ceiling = exponential.min(self.config.backoff_max);
        let millis = ceiling.as_millis().min(u64::MAX as u128) as u64;
        Duration::from_millis(fastrand::u64(0..=millis))
    }

    /// One HTTP exchange, classified, with the answer's headers.
    async fn send_with_headers(
        &self,
        method: &'static str,
        request: Request<'_>,
        attempt: u32,
    ) -> Result<(Value, HeaderMap), Failure> {
        let url = format!("{}/{method}", self.config.base_url.trim_end_matches('/'));
        let builder = match request {
            Request::PostJson(body) => self
                .http
                .post(&url)
                .header(CONTENT_TYPE, "application/json; charset=utf-8")
                .body(body.to_vec()),
            Request::Get(query) => self.http.get(&url).query(query),
        };
        let response = builder
            .header(AUTHORIZATION, format!("Bearer {}", self.token.expose()))
            .send()
            .await
            .map_err(|e| self.network_failure(method, e, attempt))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = self.capped_body(method, response, attempt).await?;

        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = retry_after(&headers);
            return Err(Failure {
                error: SlackError::RateLimited {
                    method,
                    retry_after: retry_after.unwrap_or_default(),
                },
                retry: retry_after.map_or(Retry::Backoff, Retry::After),
                maybe_applied: false,
            });
        }
        let parsed: Option<ApiResponse> = serde_json::from_slice(&body).ok();
        if status.is_server_error() {
            // A 5xx may still carry Slack's code (e.g. service_unavailable).
            let code = parsed
                .and_then(|p| p.error)
                .map(|c| SlackErrorCode::parse(&c));
            return Err(Failure {
                maybe_applied: code.as_ref().is_none_or(|c| c.may_have_succeeded()),
                error: SlackError::Server {
                    method,
                    status: status.as_u16(),
                    attempts: attempt,
                },
                retry: Retry::Backoff,
            });
        }
        let Some(parsed) = parsed else {
            return Err(Failure {
                error: SlackError::InvalidResponse {
                    method,
                    status: status.as_u16(),
                    detail: format!("{} bytes, not JSON", body.len()),
                    base_url: self.config.base_url.clone(),
                },
                retry: Retry::No,
                maybe_applied: false,
            });
        };
        if parsed.ok {
            return serde_json::from_slice(&body)
                .map(|v| (v, headers))
                .map_err(|e| Failure {
                    error: self.invalid(method, e),
                    retry: Retry::No,
                    maybe_applied: false,
                });
        }
        let code = SlackErrorCode::parse(parsed.error.as_deref().unwrap_or("unknown_error"));
        let retry = if code == SlackErrorCode::Ratelimited {
            retry_after(&headers).map_or(Retry::Backoff, Retry::After)
        } else if code.is_retryable() {
            Retry::Backoff
        } else {
            Retry::No
        };
        Err(Failure {
            maybe_applied: code.may_have_succeeded(),
            error: SlackError::Api {
                method,
                detail: parsed.detail(),
                code,
            },
            retry,
        })
    }

    /// The body, read chunk by chunk up to `max_response_bytes`.
    async fn capped_body(
        &self,
        method: &'static str,
        mut response: reqwest::Response,
        attempt: u32,
    ) -> Result<Vec<u8>, Failure> {
        let max = self.config.max_response_bytes;
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.network_failure(method, e, attempt))?
        {
            if body.len() + chunk.len() > max {
                return Err(Failure {
                    error: SlackError::InvalidResponse {
                        method,
                        status: response.status().as_u16(),
                        detail: format!("answer longer than {max} bytes, not read"),
                        base_url: self.config.base_url.clone(),
                    },
                    retry: Retry::No,
                    // Slack's answers are small; a post whose answer is this odd may have
                    // been made, and the history check settles it.
                    maybe_applied: true,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn network_failure(
        &self,
        method: &'static str,
        error: reqwest::Error,
        attempts: u32,
    ) -> Failure {
        // Refused or unresolvable connections never reached Slack; anything later might have.
        let never_sent = error.is_connect() && !error.is_timeout();
        let reason = if error.is_timeout() {
            format!("no answer within {:?}", self.config.request_timeout)
        } else {
            // Without the URL: it adds nothing the message does not say.
            error.without_url().to_string()
        };
        Failure {
            error: SlackError::Network {
                method,
                reason,
                attempts,
                base_url: self.config.base_url.clone(),
            },
            retry: Retry::Backoff,
            maybe_applied: !never_sent,
        }
    }

    fn invalid(&self, method: &'static str, error: serde_json::Error) -> SlackError {
        SlackError::InvalidResponse {
            method,
            status: 200,
            detail: error.to_string(),
            base_url: self.config.base_url.clone(),
        }
    }
}

/// The token in use; replaced when a refresh finds a rotated one.
struct TokenCell(std::sync::RwLock<SlackToken>);

impl TokenCell {
    fn new(token: SlackToken) -> Self {
        Self(std::sync::RwLock::new(token))
    }

    fn get(&self) -> SlackToken {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The token for the `Authorization` header only.
    fn expose(&self) -> String {
        self.get().expose().to_owned()
    }

    fn replace(&self, token: SlackToken) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = token;
    }
}

impl fmt::Debug for TokenCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SlackToken(redacted)")
    }
}

/// Reads the token again from where it is kept (the Lambdas: the Secrets Manager secret); the
/// error is a sentence for the operators, without the token.
pub type TokenRefresh = std::sync::Arc<
    dyn Fn() -> std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<SlackToken, String>> + Send>,
        > + Send
        + Sync,
>;

/// What `auth.test` says about the token: who the app is and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthInfo {
    /// The workspace's name and ID.
    pub team: String,
    pub team_id: String,
    /// The bot user's name (what `/invite @…` takes) and ID.
    pub user: String,
    pub user_id: String,
    pub bot_id: Option<String>,
    /// Not in every `auth.test` answer.
    pub app_id: Option<String>,
    /// The token's scopes, from the `x-oauth-scopes` header Slack adds to Web API answers;
    /// `None` when the answer had no such header.
    pub scopes: Option<Vec<String>>,
}

/// The conversation types `users.conversations` may list, and the scope each needs (Slack's
/// method reference: channels:read, groups:read, im:read, mpim:read).
pub const MEMBERSHIP_TYPES: [(&str, &str); 4] = [
    ("public_channel", "channels:read"),
    ("private_channel", "groups:read"),
    ("im", "im:read"),
    ("mpim", "mpim:read"),
];

/// Pages of `users.conversations` read at most: 50 pages of up to 999 conversations.
const MAX_MEMBERSHIP_PAGES: u32 = 50;

#[derive(Deserialize)]
struct AuthTestResponse {
    #[serde(default)]
    team: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    user_id: String,
    bot_id: Option<String>,
    #[serde(default)]
    app_id: Option<String>,
}

#[derive(Deserialize)]
struct ConversationsPage {
    #[serde(default)]
    channels: Vec<ConversationId>,
    response_metadata: Option<ResponseMetadata>,
}

#[derive(Deserialize)]
struct ConversationId {
    id: String,
}

/// One conversation as `conversations.info` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ConversationInfo {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub is_private: bool,
    #[serde(default)]
    pub is_archived: bool,
    #[serde(default)]
    pub is_member: bool,
}

#[derive(Deserialize)]
struct ConversationInfoResponse {
    channel: ConversationInfo,
}

impl SlackClient {
    /// Re-reads the token with `refresh` when Slack answers `invalid_auth`, `token_revoked` or
    /// `token_expired`: once per call, and only a token different from the one refused is
    /// tried, so a rotated secret works in a warm container and a wrong one fails at once.
    pub fn with_token_refresh(mut self, refresh: TokenRefresh) -> Self {
        self.refresh = Some(refresh);
        self
    }

    /// One HTTP exchange, classified; a refused token is read again once (see
    /// [`Self::with_token_refresh`]). Safe for posts too: Slack refuses a bad token before it
    /// does anything.
    async fn send(
        &self,
        method: &'static str,
        request: Request<'_>,
        attempt: u32,
    ) -> Result<Value, Failure> {
        self.send_refreshing(method, request, attempt)
            .await
            .map(|(value, _)| value)
    }

    async fn send_refreshing(
        &self,
        method: &'static str,
        request: Request<'_>,
        attempt: u32,
    ) -> Result<(Value, HeaderMap), Failure> {
        let again = match &request {
            Request::PostJson(body) => Request::PostJson(body),
            Request::Get(query) => Request::Get(query),
        };
        let failure = match self.send_with_headers(method, request, attempt).await {
            Ok(answer) => return Ok(answer),
            Err(failure) => failure,
        };
        let refused = matches!(
            &failure.error,
            SlackError::Api {
                code: SlackErrorCode::InvalidAuth
                    | SlackErrorCode::TokenRevoked
                    | SlackErrorCode::TokenExpired,
                ..
            }
        );
        let Some(refresh) = self.refresh.as_ref().filter(|_| refused) else {
            return Err(failure);
        };
        let before = self.token.get();
        match refresh().await {
            Ok(fresh) if fresh.0 != before.0 => {
                tracing::info!(
                    method,
                    "Slack refused the token; using the one now in the secret"
                );
                self.token.replace(fresh);
                self.send_with_headers(method, again, attempt + 1).await
            }
            Ok(_) => Err(failure),
            Err(problem) => {
                tracing::warn!(method, %problem, "could not read the Slack token again");
                Err(failure)
            }
        }
    }

    /// `auth.test`: the app's identity and, from the `x-oauth-scopes` header, its scopes.
    pub async fn auth_test(&self) -> Result<AuthInfo, SlackError> {
        const METHOD: &str = "auth.test";
        let mut budget = RetryBudget::default();
        let (value, headers) = loop {
            match self
                .send_refreshing(METHOD, Request::PostJson(b"{}"), budget.attempt())
                .await
            {
                Ok(answer) => break answer,
                Err(failure) => self.wait_before_retry(METHOD, &mut budget, failure).await?,
            }
        };
        let answer: AuthTestResponse =
            serde_json::from_value(value).map_err(|e| self.invalid(METHOD, e))?;
        let scopes = headers
            .get("x-oauth-scopes")
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            });
        Ok(AuthInfo {
            team: answer.team,
            team_id: answer.team_id,
            user: answer.user,
            user_id: answer.user_id,
            bot_id: answer.bot_id,
            app_id: answer.app_id,
            scopes,
        })
    }

    /// `conversations.info` for one channel; `None` when Slack says `channel_not_found` (no
    /// such channel, or a private channel the app is not in: Slack does not tell them apart).
    pub async fn conversation_info(
        &self,
        channel: &str,
    ) -> Result<Option<ConversationInfo>, SlackError> {
        const METHOD: &str = "conversations.info";
        let query = [("channel", channel.to_string())];
        match self.call(METHOD, Request::Get(&query)).await {
            Ok(response) => {
                let answer: ConversationInfoResponse =
                    serde_json::from_value(response).map_err(|e| self.invalid(METHOD, e))?;
                Ok(Some(answer.channel))
            }
            Err(SlackError::Api {
                code: SlackErrorCode::ChannelNotFound,
                ..
            }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The IDs of the conversations of `types` (`public_channel`, `private_channel`, `im`,
    /// `mpim`) the app is a member of: `users.conversations` for the token's own user, as few
    /// pages as Slack allows (999 a page), at most 50 pages. A Tier 3 method; each type needs
    /// its read scope ([`MEMBERSHIP_TYPES`]), else Slack answers `missing_scope`.
    pub async fn member_channels(
        &self,
        types: &[&str],
    ) -> Result<std::collections::BTreeSet<String>, SlackError> {
        const METHOD: &str = "users.conversations";
        let mut members = std::collections::BTreeSet::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_MEMBERSHIP_PAGES {
            let mut query = vec![("types", types.join(",")), ("limit", "999".to_string())];
            if let Some(cursor) = &cursor {
                query.push(("cursor", cursor.clone()));
            }
            let response = self.call(METHOD, Request::Get(&query)).await?;
            let page: ConversationsPage =
                serde_json::from_value(response).map_err(|e| self.invalid(METHOD, e))?;
            members.extend(page.channels.into_iter().map(|c| c.id));
            cursor = page
                .response_metadata
                .and_then(|m| m.next_cursor)
                .filter(|c| !c.is_empty());
            if cursor.is_none() {
                return Ok(members);
            }
        }
        Err(SlackError::InvalidResponse {
            method: METHOD,
            status: 200,
            detail: format!(
                "more than {MAX_MEMBERSHIP_PAGES} pages of conversations; the app is in too many \
                 conversations to list"
            ),
            base_url: self.config.base_url.clone(),
        })
    }
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

/// The envelope every Web API answer shares.
#[derive(Deserialize)]
struct ApiResponse {
    ok: bool,
    error: Option<String>,
    /// missing_scope: which scope.
    needed: Option<String>,
    /// missing_scope: the scopes the token has.
    provided: Option<String>,
    response_metadata: Option<ResponseMetadata>,
}

impl ApiResponse {
    fn detail(&self) -> String {
        let mut parts = Vec::new();
        if let Some(needed) = &self.needed {
            parts.push(format!("needed scope: {needed}"));
        }
        if let Some(provided) = &self.provided {
            parts.push(format!("the token has: {provided}"));
        }
        if let Some(messages) = self.response_metadata.as_ref().map(|m| &m.messages) {
            parts.extend(messages.iter().take(5).cloned());
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join("; "))
        }
    }
}

#[derive(Deserialize, Default)]
struct ResponseMetadata {
    #[serde(default)]
    messages: Vec<String>,
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct PostResponse {
    channel: Option<String>,
    ts: String,
}

/// Read leniently: only what the delivery check needs, so unusual messages in the channel
/// never break it.
#[derive(Deserialize)]
struct HistoryResponse {
    #[serde(default)]
    messages: Vec<HistoryMessage>,
    response_metadata: Option<ResponseMetadata>,
}

#[derive(Deserialize)]
struct HistoryMessage {
    ts: String,
    #[serde(default)]
    bot_id: Option<String>,
    #[serde(default)]
    app_id: Option<String>,
    metadata: Option<HistoryMetadata>,
}

#[derive(Deserialize)]
struct HistoryMetadata {
    event_type: Option<String>,
    event_payload: Option<Value>,
}

/// Every message orgpulse posts (reports, the operators' summary) has an `orgpulse_…` event type
/// and a delivery key in its metadata.
const EVENT_TYPE_PREFIX: &str = "orgpulse_";

impl HistoryMessage {
    /// Posted by this bot: its `bot_id`, and its `app_id` when both sides name one.
    fn posted_by(&self, identity: &BotIdentity) -> bool {
        self.bot_id.as_deref() == Some(identity.bot_id.as_str())
            && match (&self.app_id, &identity.app_id) {
                (Some(message), Some(ours)) => message == ours,
                _ => true,
            }
    }

    fn carries(&self, delivery_key: &str) -> bool {
        let Some(metadata) = &self.metadata else {
            return false;
        };
        metadata
            .event_type
            .as_deref()
            .is_some_and(|t| t.starts_with(EVENT_TYPE_PREFIX))
            && metadata
                .event_payload
                .as_ref()
                .and_then(|p| p.get(DELIVERY_KEY_FIELD))
                .and_then(Value::as_str)
                == Some(delivery_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_never_printed() {
        let token = SlackToken::new("xoxb-secret-value");
        assert_eq!(format!("{token:?}"), "SlackToken(redacted)");
        let client = SlackClient::new(token, SlackClientConfig::default()).unwrap();
        assert!(!format!("{client:?}").contains("secret"));
    }

    #[test]
    fn codes_round_trip_and_classify() {
        for code in [
            "channel_not_found",
            "not_in_channel",
            "invalid_auth",
            "token_revoked",
            "account_inactive",
            "missing_scope",
            "msg_too_long",
            "invalid_blocks",
            "is_archived",
        ] {
            let parsed = SlackErrorCode::parse(code);
            assert_eq!(parsed.as_str(), code);
            assert!(!parsed.is_retryable(), "{code}");
        }
        for code in [
            "ratelimited",
            "internal_error",
            "fatal_error",
            "service_unavailable",
            "request_timeout",
        ] {
            assert!(SlackErrorCode::parse(code).is_retryable(), "{code}");
        }
        assert_eq!(
            SlackErrorCode::parse("something_new"),
            SlackErrorCode::Other("something_new".into())
        );
        assert!(!SlackErrorCode::parse("something_new").is_retryable());
    }

    #[test]
    fn errors_say_how_to_fix_them() {
        let error = SlackError::Api {
            method: "chat.postMessage",
            code: SlackErrorCode::NotInChannel,
            detail: String::new(),
        };
        assert_eq!(
            error.to_string(),
            "Slack chat.postMessage failed with `not_in_channel`: invite the app to the channel \
             with /invite @orgpulse"
        );
        assert!(!error.is_retryable());
        assert_eq!(error.code(), "not_in_channel");
    }

    #[test]
    fn backoff_is_bounded_full_jitter() {
        let config = SlackClientConfig {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(350),
            ..SlackClientConfig::default()
        };
        let client = SlackClient::new(SlackToken::new("t"), config).unwrap();
        for attempt in 1..=10 {
            let ceiling = (100u64 << (attempt - 1).min(20)).min(350);
            for _ in 0..50 {
                assert!(client.backoff(attempt) <= Duration::from_millis(ceiling));
            }
        }
        let spread: std::collections::BTreeSet<_> = (0..50).map(|_| client.backoff(5)).collect();
        assert!(spread.len() > 10, "jitter spreads retries");
    }
}
