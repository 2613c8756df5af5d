//! What can go wrong reading a sheet, each said with what to do about it. No variant carries
//! the private key, the signed assertion or the access token.

use std::time::Duration;

/// The fix for every problem with the key itself.
pub const ROTATE_KEY_FIX: &str = "create a new JSON key for the service account (Google Cloud \
    console > IAM & Admin > Service accounts > the account > Keys > Add key > JSON) and store \
    the whole file as the credentials secret's value (aws secretsmanager put-secret-value \
    --secret-id <ORGPULSE_GOOGLE_CREDENTIALS_SECRET_ARN> --secret-string file://key.json), then \
    delete the old key";

#[derive(Debug, thiserror::Error)]
pub enum SheetsError {
    /// The credentials are not a usable service-account key (not JSON, another kind of Google
    /// credential, a damaged private key).
    #[error("the Google service account key {problem}. Fix: {fix}")]
    InvalidKey { problem: String, fix: String },

    /// Google's token endpoint refused the key: deleted, disabled or expired key, deleted
    /// service account, or a clock far off.
    #[error(
        "Google refused the service account key of {email} ({code}: {description}). Fix: {fix}"
    )]
    KeyRejected {
        email: String,
        code: String,
        description: String,
        fix: String,
    },

    #[error(
        "spreadsheet {spreadsheet_id} is not shared with the service account {email} (Google \
         answered 403: {message}). Fix: open the sheet, click Share, add {email} as a Viewer \
         (no notification needed)"
    )]
    NotShared {
        spreadsheet_id: String,
        email: String,
        message: String,
    },

    #[error(
        "the Google Sheets API is not enabled in the service account's Google Cloud project \
         ({message}). Fix: enable \"Google Sheets API\" in that project (APIs & Services > \
         Library), wait a few minutes, and run again"
    )]
    ApiDisabled { message: String },

    #[error(
        "spreadsheet {spreadsheet_id} does not exist (Google answered 404: {message}). Fix: \
         check the sheet ID (ORGPULSE_CONFIG_SHEET_ID, or --sheet): it is the part of the \
         sheet's URL between /d/ and /edit"
    )]
    NotFound {
        spreadsheet_id: String,
        message: String,
    },

    #[error(
        "spreadsheet {spreadsheet_id} has no range {range:?} (Google answered {status}: \
         {message}). Fix: set ORGPULSE_CONFIG_SHEET_RANGE (or --range) to the name of a tab \
         (e.g. 'Accounts'), a named range, or an A1 range such as 'Accounts'!A1:Z; leave it \
         empty to read the whole first tab"
    )]
    BadRange {
        spreadsheet_id: String,
        range: String,
        status: u16,
        message: String,
    },

    #[error(
        "{what} is rate limiting this service account{after} after {attempts} attempt(s). \
         Fix: nothing to change if it is rare (the next run reads again); if it persists, \
         another program shares the Google Cloud project's Sheets quota"
    )]
    RateLimited {
        what: &'static str,
        /// Shown as " (Retry-After: 60s)" when Google said how long.
        after: String,
        retry_after: Option<Duration>,
        attempts: u32,
    },

    #[error(
        "{what} answered HTTP {status} after {attempts} attempt(s): Google is having trouble. \
         Fix: nothing to change; the next run reads again (see \
         https://www.google.com/appsstatus if it persists)"
    )]
    Server {
        what: &'static str,
        status: u16,
        attempts: u32,
    },

    #[error(
        "{what} could not be reached after {attempts} attempt(s): {reason}. Fix: check the \
         network path to {url} (a Lambda in a VPC needs a NAT gateway to reach Google)"
    )]
    Network {
        what: &'static str,
        url: String,
        reason: String,
        attempts: u32,
    },

    #[error(
        "{what} answered HTTP {status} with something that is not a Google API answer \
         ({detail}). Fix: check GOOGLE_OAUTH_TOKEN_URL and GOOGLE_SHEETS_API_URL ({url}); \
         unset them to use Google's own endpoints"
    )]
    InvalidResponse {
        what: &'static str,
        status: u16,
        detail: String,
        url: String,
    },

    #[error(
        "{what} is {size}, more than orgpulse reads ({limit}). Fix: a configuration has one \
         row per account or OU; check that the range (ORGPULSE_CONFIG_SHEET_RANGE) covers the \
         configuration only, and delete stray data far below or to the right of it"
    )]
    TooLarge {
        what: String,
        size: String,
        limit: String,
    },

    #[error(
        "{what} refused the request (HTTP {status} {code}: {message}). Fix: check the sheet \
         ID, the range and the service account's access to the sheet"
    )]
    Refused {
        what: &'static str,
        status: u16,
        code: String,
        message: String,
    },

    #[error("the Google HTTP client could not be built: {0}")]
    Setup(String),
}

impl SheetsError {
    /// Whether trying again later can succeed without anyone changing anything.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server { .. } | Self::Network { .. }
        )
    }

    /// A short stable name for logs and summaries.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidKey { .. } => "invalid_key",
            Self::KeyRejected { .. } => "key_rejected",
            Self::NotShared { .. } => "not_shared",
            Self::ApiDisabled { .. } => "api_disabled",
            Self::NotFound { .. } => "not_found",
            Self::BadRange { .. } => "bad_range",
            Self::RateLimited { .. } => "rate_limited",
            Self::Server { .. } => "server_error",
            Self::Network { .. } => "network_error",
            Self::InvalidResponse { .. } => "invalid_response",
            Self::TooLarge { .. } => "too_large",
            Self::Refused { .. } => "refused",
            Self::Setup(_) => "client_setup",
        }
    }
}

pub type Result<T, E = SheetsError> = std::result::Result<T, E>;
