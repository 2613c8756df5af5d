//! The crate's one error type, and how an AWS SDK failure becomes one.
//!
//! Step Functions matches a Lambda error's `errorType` with `ErrorEquals`, so the names
//! returned by [`Error::error_type`] are an interface with the state machine
//! (`modules/hub/templates/state-machine.asl.json.tftpl`). They never change:
//!
//! | variant                      | `error_type()`  | why                                              |
//! |------------------------------|-----------------|--------------------------------------------------|
//! | [`Error::Throttled`]         | `Throttled`     | the SDK's own retries ran out; retry later       |
//! | [`Error::Transient`]         | `Retryable`     | timeout, connection failure, 5xx                 |
//! | [`Error::AccessDenied`]      | `InvalidConfig` | IAM/KMS/trust policy must be fixed by a person   |
//! | [`Error::NotFound`]          | `InvalidConfig` | an object the deployment names does not exist    |
//! | [`Error::InvalidConfig`]     | `InvalidConfig` | a setting or a secret has the wrong shape        |
//! | [`Error::Service`]           | `Permanent`     | AWS refused the request; repeating it won't help |
//! | [`Error::CorruptData`]       | `Permanent`     | our own stored record cannot be read back        |
//! | [`Error::Encode`]            | `Permanent`     | a value cannot be written as JSON (a bug)        |

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Names an AWS operation as IAM spells it (`s3:GetObject`), so every error says which
/// permission or call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwsOperation {
    /// The IAM service prefix: `organizations`, `s3`, `dynamodb`, `secretsmanager`, `sts`.
    pub service: &'static str,
    /// The API operation name: `ListAccountsForParent`, `GetObject`, ...
    pub operation: &'static str,
}

impl AwsOperation {
    pub const fn new(service: &'static str, operation: &'static str) -> Self {
        Self { service, operation }
    }
}

impl std::fmt::Display for AwsOperation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.service, self.operation)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{operation} was throttled and the SDK's bounded retries ran out: {message}. \
         The step is retried later; if this persists, lower how many calls run at once"
    )]
    Throttled {
        operation: AwsOperation,
        message: String,
    },

    #[error("{operation} failed transiently: {message}. The step is retried")]
    Transient {
        operation: AwsOperation,
        message: String,
    },

    #[error("{operation} was denied: {message}. Fix: {fix}")]
    AccessDenied {
        operation: AwsOperation,
        message: String,
        fix: String,
    },

    #[error("s3://{bucket}/{key} does not exist. Fix: {fix}")]
    NotFound {
        bucket: String,
        key: String,
        fix: String,
    },

    #[error("{what}: {problem}. Fix: {fix}")]
    InvalidConfig {
        what: String,
        problem: String,
        fix: String,
    },

    #[error("{operation} failed{}: {message}", code.as_deref().map(|c| format!(" with {c}")).unwrap_or_default())]
    Service {
        operation: AwsOperation,
        code: Option<String>,
        message: String,
    },

    #[error("{what} cannot be written as JSON: {source}")]
    Encode {
        what: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("{what} cannot be read back: {problem}. It was written by another version of orgpulse or edited by hand; delete it to start afresh")]
    CorruptData { what: String, problem: String },
}

impl Error {
    /// The stable name Step Functions matches in `Retry`/`Catch` (see the module table).
    pub fn error_type(&self) -> &'static str {
        match self {
            Error::Throttled { .. } => "Throttled",
            Error::Transient { .. } => "Retryable",
            Error::AccessDenied { .. } | Error::NotFound { .. } | Error::InvalidConfig { .. } => {
                "InvalidConfig"
            }
            Error::Service { .. } | Error::CorruptData { .. } | Error::Encode { .. } => "Permanent",
        }
    }

    /// Whether running the same step again later can succeed without a person fixing something.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Throttled { .. } | Error::Transient { .. })
    }

    /// Turns an SDK failure into the crate's error, classifying it by what the caller can do.
    pub fn from_sdk<E>(operation: AwsOperation, err: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match &err {
            SdkError::ServiceError(service_err) => {
                let status = service_err.raw().status().as_u16();
                let code = service_err.err().code().map(str::to_owned);
                let message = service_err
                    .err()
                    .message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| DisplayErrorContext(&err).to_string());
                classify_service_error(operation, status, code, message)
            }
            // The request was malformed before it left: a bug in this crate, not in AWS.
            SdkError::ConstructionFailure(_) => Error::Service {
                operation,
                code: None,
                message: DisplayErrorContext(&err).to_string(),
            },
            // Timeouts, connection failures, unparseable responses: nothing is known to be wrong
            // with the request itself.
            _ => Error::Transient {
                operation,
                message: DisplayErrorContext(&err).to_string(),
            },
        }
    }
}

/// Error codes AWS services use for "slow down". The SDK's standard retry strategy already
/// retries these with jittered backoff; reaching us means its bounded attempts ran out.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
];

/// Codes meaning the caller's credentials or permissions are wrong.
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AuthFailure",
];

/// Codes some services return for their own transient faults with a 4xx status.
const TRANSIENT_CODES: &[&str] = &[
    "RequestTimeout",
    "RequestTimeoutException",
    "ExpiredToken",
    "ExpiredTokenException",
    "TransactionInProgressException",
    "PriorRequestNotComplete",
];

fn classify_service_error(
    operation: AwsOperation,
    status: u16,
    code: Option<String>,
    message: String,
) -> Error {
    let code_str = code.as_deref().unwrap_or_default();
    if THROTTLING_CODES.contains(&code_str) || status == 429 {
        Error::Throttled { operation, message }
    } else if ACCESS_DENIED_CODES.contains(&code_str) || (status == 403 && code.is_none()) {
        Error::AccessDenied {
            operation,
            message,
            fix: format!(
                "allow {operation} for this function's IAM role (the hub module's policy), \
                 and check the resource's own policy and KMS key policy"
            ),
        }
    } else if TRANSIENT_CODES.contains(&code_str) || status >= 500 {
        Error::Transient {
            operation,
            message: match code {
                Some(code) => format!("{code}: {message}"),
                None => format!("HTTP {status}: {message}"),
            },
        }
    } else {
        Error::Service {
            operation,
            code,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OP: AwsOperation = AwsOperation::new("s3", "GetObject");

    #[test]
    fn error_types_are_the_names_the_state_machine_matches() {
        let cases = [
            (
                classify_service_error(OP, 400, Some("ThrottlingException".into()), "x".into()),
                "Throttled",
            ),
            (
                classify_service_error(OP, 429, None, "x".into()),
                "Throttled",
            ),
            (
                classify_service_error(
                    OP,
                    400,
                    Some("TooManyRequestsException".into()),
                    "x".into(),
                ),
                "Throttled",
            ),
            (
                classify_service_error(OP, 503, Some("ServiceUnavailable".into()), "x".into()),
                "Retryable",
            ),
            (
                classify_service_error(OP, 500, None, "x".into()),
                "Retryable",
            ),
            (
                classify_service_error(OP, 400, Some("RequestTimeout".into()), "x".into()),
                "Retryable",
            ),
            (
                classify_service_error(OP, 403, Some("AccessDenied".into()), "x".into()),
                "InvalidConfig",
            ),
            (
                classify_service_error(OP, 400, Some("AccessDeniedException".into()), "x".into()),
                "InvalidConfig",
            ),
            (
                classify_service_error(OP, 400, Some("ValidationException".into()), "x".into()),
                "Permanent",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.error_type(), expected, "{error}");
        }
        let not_found = Error::NotFound {
            bucket: "b".into(),
            key: "k".into(),
            fix: "f".into(),
        };
        assert_eq!(not_found.error_type(), "InvalidConfig");
    }

    #[test]
    fn access_denied_names_the_permission_to_grant() {
        let error = classify_service_error(OP, 403, Some("AccessDenied".into()), "nope".into());
        assert!(error.to_string().contains("allow s3:GetObject"), "{error}");
        assert!(!error.is_retryable());
    }

    #[test]
    fn service_error_names_its_code() {
        let error =
            classify_service_error(OP, 400, Some("InvalidInputException".into()), "bad".into());
        assert_eq!(
            error.to_string(),
            "s3:GetObject failed with InvalidInputException: bad"
        );
    }
}
