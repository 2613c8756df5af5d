//! Exit statuses shared by every `orgpulse` command, so scripts can rely on them.

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything checked out.
    Ok = 0,
    /// The input had problems (invalid configuration rows); they were printed.
    Problems = 1,
    /// The command could not do its work: bad arguments, unreadable or unwritable files.
    Usage = 2,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status as u8)
    }
}
