//! Exit statuses shared by every `orgpulse` command, so scripts can rely on them.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything checked out.
    Ok = 0,
    /// The input had problems (invalid configuration rows), or some deliveries failed; they
    /// were printed.
    Problems = 1,
    /// The command could not do its work: bad arguments, unreadable or unwritable files,
    /// missing credentials, an unknown account, no cost data.
    Usage = 2,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status as u8)
    }
}

/// Why a command stopped: printed as `orgpulse: <message>` on stderr, then the process exits
/// with `status`.
#[derive(Debug)]
pub struct Failure {
    pub status: Status,
    pub message: String,
}

impl Failure {
    /// The command could not do its work (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            status: Status::Usage,
            message: message.into(),
        }
    }
}

/// Prints the failure and turns it into the exit status.
pub fn report(result: Result<Status, Failure>) -> Status {
    match result {
        Ok(status) => status,
        Err(failure) => {
            eprintln!("orgpulse: {}", failure.message);
            failure.status
        }
    }
}

/// An error with its sources, `a: b: c` (the AWS SDK and reqwest keep the useful part — the
/// profile, the expired token, the refused connection — in the sources).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
