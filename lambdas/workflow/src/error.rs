//! The workflow's error: what failed, what to do, and the stable `errorType` name the state
//! machine's `Retry` rules match ("Retryable", "Throttled", "InvalidConfig", "Permanent", …).

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Aws(#[from] orgpulse_pipeline::Error),

    #[error(transparent)]
    Cost(#[from] orgpulse_cost::Error),

    #[error(transparent)]
    Slack(#[from] orgpulse_slack::SlackError),

    /// Google failed in a way a later attempt can fix (its other failures are `Config`).
    #[error(transparent)]
    Sheets(orgpulse_sheets::SheetsError),

    #[error("the configuration could not be used: {problem}. Fix: {fix}")]
    Config { problem: String, fix: String },

    #[error(
        "environment variable {name} {problem}. Fix: set it on the function (the hub module does)"
    )]
    Environment { name: &'static str, problem: String },

    #[error("{key} cannot be read back: {problem}. It was written by another version of orgpulse; start a new execution")]
    CorruptFile { key: String, problem: String },

    #[error("the run summary could not be posted to {channel}: {code}: {message}")]
    SummaryNotPosted {
        channel: String,
        code: String,
        message: String,
        retryable: bool,
    },

    #[error("{deliveries} deliveries of account {account} failed and can be retried: {first}")]
    DeliveriesPending {
        account: String,
        deliveries: usize,
        first: String,
    },
}

impl Error {
    pub fn error_type(&self) -> &'static str {
        match self {
            Error::Aws(err) => err.error_type(),
            Error::Cost(err) => err.error_type(),
            Error::Slack(err) if err.is_retryable() => "Retryable",
            Error::Slack(_) => "Permanent",
            Error::Sheets(err) if err.is_retryable() => "Retryable",
            Error::Sheets(_) => "InvalidConfig",
            Error::Config { .. } | Error::Environment { .. } => "InvalidConfig",
            Error::CorruptFile { .. } => "Permanent",
            Error::DeliveriesPending { .. } => "Retryable",
            Error::SummaryNotPosted {
                retryable: true, ..
            } => "Retryable",
            Error::SummaryNotPosted { .. } => "Permanent",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
