//! The crate's one error type. Each variant says what failed and what to do about it, and
//! maps to a stable `errorType` name (`error_type`) that Step Functions retry rules match.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "Cost Explorer {operation} was throttled (LimitExceededException) on all {attempts} attempts; \
         the organization is over Cost Explorer's request rate: run again later or lower the \
         Map state's concurrency"
    )]
    Throttled {
        operation: &'static str,
        attempts: u32,
    },

    #[error(
        "Cost Explorer {operation} did not answer after {attempts} attempts (last: {last}); each \
         attempt was limited to {attempt_timeout:?}: check the network path to \
         ce.us-east-1.amazonaws.com (VPC endpoints, NAT) and run again"
    )]
    Unreachable {
        operation: &'static str,
        attempts: u32,
        attempt_timeout: Duration,
        last: String,
    },

    #[error("Cost Explorer {operation} failed: {code}: {message}{hint}")]
    Rejected {
        operation: &'static str,
        code: String,
        message: String,
        /// What to do, from the error code (empty when there is nothing specific to say).
        hint: &'static str,
    },

    #[error(
        "Cost Explorer {operation} returned more than {max_pages} pages for one query; \
         stopped to bound the cost of the run (each page is billed)"
    )]
    TooManyPages {
        operation: &'static str,
        max_pages: u32,
    },

    #[error(
        "Cost Explorer {operation} returned an amount of {amount} {unit}; orgpulse converts from \
         USD only, so the report would be wrong"
    )]
    UnexpectedUnit {
        operation: &'static str,
        amount: String,
        unit: String,
    },

    #[error("Cost Explorer {operation} returned {what} {value:?} that is not valid: {reason}")]
    Malformed {
        operation: &'static str,
        what: &'static str,
        value: String,
        reason: String,
    },

    #[error("exchange rate: {0}")]
    Rate(#[from] RateError),
}

impl Error {
    /// The stable name a Lambda handler reports as `errorType`.
    pub fn error_type(&self) -> &'static str {
        match self {
            Error::Throttled { .. } => "Throttled",
            Error::Unreachable { .. } => "Retryable",
            Error::Rejected { .. } | Error::TooManyPages { .. } => "CostExplorerError",
            Error::UnexpectedUnit { .. } | Error::Malformed { .. } => "CostExplorerError",
            Error::Rate(_) => "ExchangeRateUnavailable",
        }
    }
}

/// Why no exchange rate could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error(
        "no rate for {currency}: the ECB publishes reference rates for about 30 currencies; add a \
         fixed rate for {currency} to the Default row's exchange rates"
    )]
    UnknownCurrency { currency: String },

    #[error("{source_name} could not be fetched from {url} after {attempts} attempts: {reason}")]
    Unavailable {
        source_name: &'static str,
        url: String,
        attempts: u32,
        reason: String,
    },

    #[error("{source_name} from {url} could not be read: {reason}")]
    Unreadable {
        source_name: &'static str,
        url: String,
        reason: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error with its sources, `a: b: c`: the SDK and reqwest put the useful part (refused,
/// DNS, TLS, timeout) in the sources.
pub(crate) struct DisplayChain<'a>(pub &'a dyn std::error::Error);

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}
